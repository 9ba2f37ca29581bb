-- stablerail-indexer schema (SQLite). Amounts are exact decimal TEXT.
-- Escrow and multisig events and their derived tables (accounts, deals, buy orders,
-- commissions) get their own migration once the contract event layouts are final;
-- they must be keyed by (chain, block_number, log_index) like transfers so that a
-- reorg rollback (DELETE ... WHERE block_number > ancestor) covers them.

CREATE TABLE transfers (
    chain        TEXT    NOT NULL,
    block_number INTEGER NOT NULL,
    log_index    INTEGER NOT NULL,
    block_hash   TEXT    NOT NULL,
    block_time   INTEGER NOT NULL,
    tx_hash      TEXT    NOT NULL,
    token        TEXT    NOT NULL,
    from_addr    TEXT    NOT NULL,
    to_addr      TEXT    NOT NULL,
    amount       TEXT    NOT NULL,
    confirmed    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (chain, block_number, log_index)
) WITHOUT ROWID;
CREATE INDEX transfers_from ON transfers (chain, from_addr, block_number, log_index);
CREATE INDEX transfers_to   ON transfers (chain, to_addr, block_number, log_index);
CREATE INDEX transfers_tx   ON transfers (tx_hash);
CREATE INDEX transfers_time ON transfers (chain, block_time);
CREATE INDEX transfers_unconfirmed ON transfers (chain, block_number) WHERE confirmed = 0;

-- Hashes of recent blocks: the reorg window (pruned below the finality line).
CREATE TABLE blocks (
    chain        TEXT    NOT NULL,
    number       INTEGER NOT NULL,
    hash         TEXT    NOT NULL,
    parent_hash  TEXT    NOT NULL,
    block_time   INTEGER NOT NULL,
    PRIMARY KEY (chain, number)
) WITHOUT ROWID;

-- One cursor per source: the last block whose rows are all stored.
CREATE TABLE cursors (
    chain        TEXT    PRIMARY KEY NOT NULL,
    block_number INTEGER NOT NULL,
    block_hash   TEXT    NOT NULL,
    head_number  INTEGER NOT NULL,
    finalized_number INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

-- API keys: only the sha256 of the key is stored.
CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL,
    key_hash    TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
