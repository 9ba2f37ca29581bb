-- The answers stored under Idempotency-Keys are mostly an invoice's QR code (about
-- 5 KB of SVG text each), which PostgreSQL compresses when it stores the row: with
-- its default method, pglz, that was 18 % of the server's CPU under the invoice-create
-- benchmark. lz4 compresses such text as small (the row still fits its page) at a
-- fraction of the cost. Servers built without lz4 keep pglz; rows already stored
-- keep theirs. (SQLite does not compress rows: no counterpart.)
DO $$
BEGIN
    EXECUTE 'ALTER TABLE gw_idempotency ALTER COLUMN body SET COMPRESSION lz4';
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
    RAISE NOTICE 'lz4 not available; gw_idempotency.body keeps the default compression';
END
$$;
