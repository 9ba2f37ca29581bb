-- Tether's own blacklist events on the indexed USDT token (AddedBlackList,
-- RemovedBlackList, DestroyedBlackFunds), one row per event, keyed like transfers so
-- that a reorg rollback (DELETE ... WHERE block_number > ancestor) covers them.
-- `blacklisted` is the address's state after the event; `amount` (exact NUMERIC) is
-- the burned balance of `funds_destroyed` events.

CREATE TABLE token_blacklist (
    chain        TEXT    NOT NULL,
    block_number BIGINT  NOT NULL,
    log_index    BIGINT  NOT NULL,
    block_hash   TEXT    NOT NULL,
    block_time   BIGINT  NOT NULL,
    tx_hash      TEXT    NOT NULL,
    token        TEXT    NOT NULL,
    address      TEXT    NOT NULL,
    event        TEXT    NOT NULL CHECK (event IN ('added', 'removed', 'funds_destroyed')),
    blacklisted  BOOLEAN NOT NULL,
    amount       NUMERIC(78,0),
    confirmed    BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (chain, block_number, log_index)
);
CREATE INDEX token_blacklist_address ON token_blacklist (chain, address, block_number, log_index);
