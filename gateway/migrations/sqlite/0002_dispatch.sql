-- The dispatcher service (SQLite; the PostgreSQL file has the same tables and columns):
-- acceptors known to the gateway with their own API keys and presence, the decision
-- log, and the order columns of the offer step. Times are Unix milliseconds.

-- An acceptor: one escrow address on one chain, with what the engine needs beyond the
-- chain (currencies and amounts it serves, strategy targets) and its presence.
CREATE TABLE gw_acceptors (
    id                TEXT    PRIMARY KEY NOT NULL,
    chain             TEXT    NOT NULL,
    address           TEXT    NOT NULL,
    name              TEXT    NOT NULL,
    currencies        TEXT    NOT NULL,
    min_amount        BIGINT  NOT NULL,
    max_amount        BIGINT  NOT NULL,
    priority          BIGINT  NOT NULL,
    target_share_bps  BIGINT  NOT NULL,
    target_volume     BIGINT  NOT NULL,
    online            BIGINT  NOT NULL,
    last_heartbeat    BIGINT  NOT NULL,
    created_at        BIGINT  NOT NULL
);
CREATE UNIQUE INDEX gw_acceptors_address ON gw_acceptors (chain, address);

-- Acceptor API keys (only the sha256 of the key), apart from merchant keys.
CREATE TABLE gw_acceptor_keys (
    id           TEXT    PRIMARY KEY NOT NULL,
    acceptor_id  TEXT    NOT NULL REFERENCES gw_acceptors (id),
    name         TEXT    NOT NULL,
    key_hash     TEXT    NOT NULL UNIQUE,
    created_at   BIGINT  NOT NULL,
    revoked_at   BIGINT
);

-- Every decision: the order, the candidates with their inputs, eligibility and score,
-- the strategy and the seed (`decision`, the engine's JSON, replays to itself), and
-- how the attempt ended (`offered`, `accepted`, `assigned`, `timed_out`,
-- `assign_failed`, `no_candidate`).
CREATE TABLE gw_dispatch_decisions (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT    NOT NULL UNIQUE,
    order_id     TEXT    NOT NULL,
    merchant_id  TEXT    NOT NULL,
    chain        TEXT    NOT NULL,
    chosen       TEXT,
    strategy     TEXT    NOT NULL,
    seed         TEXT    NOT NULL,
    decision     TEXT    NOT NULL,
    outcome      TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    ended_at     BIGINT
);
CREATE INDEX gw_dispatch_decisions_order ON gw_dispatch_decisions (order_id, seq);
CREATE INDEX gw_dispatch_decisions_chosen ON gw_dispatch_decisions (chain, chosen, outcome);

-- Orders: how many decisions were made (attempts), and after a failed assignment the
-- chain head the indexer must reach before the order is decided again (so an
-- assignment that did go through is adopted, never sent twice).
ALTER TABLE gw_orders ADD COLUMN attempt BIGINT NOT NULL DEFAULT 0;
ALTER TABLE gw_orders ADD COLUMN wait_block BIGINT NOT NULL DEFAULT 0;
