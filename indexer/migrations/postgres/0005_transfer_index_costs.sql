-- The sink's cost is index maintenance, not the COPY itself (docs/bench.md, "Indexer"):
-- into the primary key alone PostgreSQL takes a dense chain's rows about four times as
-- fast as into the table with its secondary indexes.
--
-- Two cheaper forms that answer the same queries:
-- * Chains, addresses and hashes are ASCII (hex, base58). Under the byte-order collation
--   "C" their comparisons are memcmp with abbreviated keys instead of the database's
--   locale collation; for ASCII the order is the same, so every query returns the same
--   rows in the same order.
-- * A transaction hash is only ever looked up by equality: a hash index stores a 4-byte
--   code per row instead of the 66-character text.
ALTER TABLE transfers
    ALTER COLUMN chain     TYPE TEXT COLLATE "C",
    ALTER COLUMN tx_hash   TYPE TEXT COLLATE "C",
    ALTER COLUMN from_addr TYPE TEXT COLLATE "C",
    ALTER COLUMN to_addr   TYPE TEXT COLLATE "C";
DROP INDEX transfers_tx;
CREATE INDEX transfers_tx ON transfers USING hash (tx_hash);
