-- stablerail-indexer schema (PostgreSQL). Amounts are exact NUMERIC(78,0).
-- Escrow and multisig events and their derived tables (accounts, deals, buy orders,
-- commissions) get their own migration once the contract event layouts are final;
-- they must be keyed by (chain, block_number, log_index) like transfers so that a
-- reorg rollback (DELETE ... WHERE block_number > ancestor) covers them.

CREATE TABLE transfers (
    chain        TEXT          NOT NULL,
    block_number BIGINT        NOT NULL,
    log_index    BIGINT        NOT NULL,
    block_hash   TEXT          NOT NULL,
    block_time   BIGINT        NOT NULL,
    tx_hash      TEXT          NOT NULL,
    token        TEXT          NOT NULL,
    from_addr    TEXT          NOT NULL,
    to_addr      TEXT          NOT NULL,
    amount       NUMERIC(78,0) NOT NULL CHECK (amount >= 0),
    confirmed    BOOLEAN       NOT NULL DEFAULT FALSE,
    PRIMARY KEY (chain, block_number, log_index)
);
CREATE INDEX transfers_from ON transfers (chain, from_addr, block_number, log_index);
CREATE INDEX transfers_to   ON transfers (chain, to_addr, block_number, log_index);
CREATE INDEX transfers_tx   ON transfers (tx_hash);
CREATE INDEX transfers_time ON transfers (chain, block_time);
CREATE INDEX transfers_unconfirmed ON transfers (chain, block_number) WHERE NOT confirmed;

CREATE TABLE blocks (
    chain        TEXT   NOT NULL,
    number       BIGINT NOT NULL,
    hash         TEXT   NOT NULL,
    parent_hash  TEXT   NOT NULL,
    block_time   BIGINT NOT NULL,
    PRIMARY KEY (chain, number)
);

CREATE TABLE cursors (
    chain            TEXT   PRIMARY KEY,
    block_number     BIGINT NOT NULL,
    block_hash       TEXT   NOT NULL,
    head_number      BIGINT NOT NULL,
    finalized_number BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT   NOT NULL,
    key_hash    TEXT   NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
