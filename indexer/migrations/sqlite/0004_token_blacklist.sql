-- Tether's own blacklist events on the indexed USDT token (AddedBlackList,
-- RemovedBlackList, DestroyedBlackFunds), one row per event, keyed like transfers so
-- that a reorg rollback (DELETE ... WHERE block_number > ancestor) covers them.
-- `blacklisted` is the address's state after the event; `amount` (exact decimal TEXT)
-- is the burned balance of `funds_destroyed` events.

CREATE TABLE token_blacklist (
    chain        TEXT    NOT NULL,
    block_number INTEGER NOT NULL,
    log_index    INTEGER NOT NULL,
    block_hash   TEXT    NOT NULL,
    block_time   INTEGER NOT NULL,
    tx_hash      TEXT    NOT NULL,
    token        TEXT    NOT NULL,
    address      TEXT    NOT NULL,
    event        TEXT    NOT NULL CHECK (event IN ('added', 'removed', 'funds_destroyed')),
    blacklisted  INTEGER NOT NULL,
    amount       TEXT,
    confirmed    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (chain, block_number, log_index)
) WITHOUT ROWID;
CREATE INDEX token_blacklist_address ON token_blacklist (chain, address, block_number, log_index);
