-- Dashboards (DESIGN §10): wallet sign-in nonces, sessions, TOTP second factor.
-- Secrets of sessions and recovery codes are stored as sha256 only. Times are Unix
-- milliseconds. The PostgreSQL file has the same tables and columns.

-- A sign-in nonce: single use (used_at), expiring, bound to the browser that asked
-- for it (sha256 of its pre-session cookie) so that a signed message posted from
-- another browser is refused.
CREATE TABLE gw_signin_nonces (
    nonce       TEXT    PRIMARY KEY NOT NULL,
    pre_hash    TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    used_at     BIGINT
);
CREATE INDEX gw_signin_nonces_expiry ON gw_signin_nonces (expires_at);

-- A signed-in wallet's session. `mfa_ok` is 0 until the TOTP code (or a recovery
-- code) was given at sign-in, when the wallet has enrolled TOTP.
CREATE TABLE gw_sessions (
    token_hash  TEXT    PRIMARY KEY NOT NULL,
    kind        TEXT    NOT NULL,
    address     TEXT    NOT NULL,
    role        TEXT,
    mfa_ok      BIGINT  NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL
);
CREATE INDEX gw_sessions_wallet ON gw_sessions (kind, address);

-- A wallet's second factor: the confirmed TOTP secret (base32), one being enrolled,
-- the last accepted time step (a code is never accepted twice), and the wrong codes
-- in a row with the time until which codes are refused (throttling).
CREATE TABLE gw_totp (
    kind            TEXT    NOT NULL,
    address         TEXT    NOT NULL,
    secret          TEXT,
    pending_secret  TEXT,
    last_step       BIGINT  NOT NULL,
    enabled_at      BIGINT,
    failures        BIGINT  NOT NULL DEFAULT 0,
    blocked_until   BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, address)
);

-- Recovery codes: sha256 only, each usable once.
CREATE TABLE gw_recovery_codes (
    kind        TEXT    NOT NULL,
    address     TEXT    NOT NULL,
    code_hash   TEXT    NOT NULL,
    used_at     BIGINT,
    PRIMARY KEY (kind, address, code_hash)
);

-- The dashboard's invoice filters and totals: by status, newest first; settled
-- amounts per chain and by the time they settled (the overview's volume per day),
-- both covering so that the totals read no table rows.
CREATE INDEX gw_invoices_merchant_status ON gw_invoices (merchant_id, status, seq);
CREATE INDEX gw_invoices_merchant_status_chain ON gw_invoices (merchant_id, status, chain, paid);
CREATE INDEX gw_invoices_merchant_status_updated ON gw_invoices (merchant_id, status, updated_at, paid);
