-- Escrow and multisig events and the tables derived from them (SQLite).
-- Events are keyed like transfers, so a reorg rollback deletes them by block; the derived
-- tables are then replayed from the remaining events in the same transaction.
-- `fields` is the decoded event as JSON (addresses in the chain's text form, amounts as
-- exact decimal strings). Amounts are exact decimal TEXT.

CREATE TABLE escrow_events (
    chain        TEXT    NOT NULL,
    block_number INTEGER NOT NULL,
    log_index    INTEGER NOT NULL,
    block_hash   TEXT    NOT NULL,
    block_time   INTEGER NOT NULL,
    tx_hash      TEXT    NOT NULL,
    contract     TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    deal_id      INTEGER,
    fields       TEXT    NOT NULL,
    confirmed    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (chain, block_number, log_index)
) WITHOUT ROWID;
CREATE INDEX escrow_events_deal ON escrow_events (chain, deal_id, block_number, log_index);
CREATE INDEX escrow_events_kind ON escrow_events (chain, kind, block_number, log_index);
CREATE INDEX escrow_events_unconfirmed ON escrow_events (chain, block_number) WHERE confirmed = 0;

CREATE TABLE multisig_events (
    chain        TEXT    NOT NULL,
    block_number INTEGER NOT NULL,
    log_index    INTEGER NOT NULL,
    block_hash   TEXT    NOT NULL,
    block_time   INTEGER NOT NULL,
    tx_hash      TEXT    NOT NULL,
    contract     TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    fields       TEXT    NOT NULL,
    confirmed    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (chain, block_number, log_index)
) WITHOUT ROWID;
CREATE INDEX multisig_events_kind ON multisig_events (chain, kind, block_number, log_index);
CREATE INDEX multisig_events_unconfirmed ON multisig_events (chain, block_number) WHERE confirmed = 0;

-- The escrow's configuration as last emitted (one escrow per chain).
CREATE TABLE escrow_settings (
    chain        TEXT    PRIMARY KEY NOT NULL,
    owner        TEXT,
    guardian     TEXT,
    arbiter      TEXT,
    dispatcher   TEXT,
    compliance   TEXT,
    treasury     TEXT,
    paused       INTEGER NOT NULL DEFAULT 0,
    fee_schedule TEXT,
    limits       TEXT
);

CREATE TABLE escrow_accounts (
    chain           TEXT    NOT NULL,
    address         TEXT    NOT NULL,
    available       TEXT    NOT NULL,
    locked          TEXT    NOT NULL,
    roles           INTEGER NOT NULL,
    agent           TEXT,
    merchant_volume TEXT    NOT NULL,
    agent_volume    TEXT    NOT NULL,
    kyc_level       INTEGER NOT NULL,
    region          INTEGER NOT NULL,
    deposited       TEXT    NOT NULL,
    withdrawn       TEXT    NOT NULL,
    PRIMARY KEY (chain, address)
) WITHOUT ROWID;
CREATE INDEX escrow_accounts_agent ON escrow_accounts (chain, agent);

CREATE TABLE deals (
    chain           TEXT    NOT NULL,
    deal_id         INTEGER NOT NULL,
    kind            TEXT    NOT NULL,
    seller          TEXT    NOT NULL,
    buyer           TEXT,
    merchant        TEXT    NOT NULL,
    amount          TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    payment_window  INTEGER NOT NULL,
    deadline        INTEGER NOT NULL,
    order_ref       TEXT    NOT NULL,
    order_id        INTEGER,
    opened_block    INTEGER NOT NULL,
    opened_time     INTEGER NOT NULL,
    closed_block    INTEGER,
    closed_time     INTEGER,
    buyer_share_bps INTEGER,
    agent           TEXT,
    settled_amount  TEXT,
    buyer_net       TEXT,
    fee             TEXT,
    agent_cut       TEXT,
    reward          TEXT,
    platform        TEXT,
    seller_refund   TEXT,
    PRIMARY KEY (chain, deal_id)
) WITHOUT ROWID;
CREATE INDEX deals_seller   ON deals (chain, seller, deal_id);
CREATE INDEX deals_buyer    ON deals (chain, buyer, deal_id);
CREATE INDEX deals_merchant ON deals (chain, merchant, deal_id);
CREATE INDEX deals_state    ON deals (chain, state, deal_id);
CREATE INDEX deals_closed   ON deals (chain, closed_time);

CREATE TABLE buy_orders (
    chain          TEXT    NOT NULL,
    order_id       INTEGER NOT NULL,
    merchant       TEXT    NOT NULL,
    price          INTEGER NOT NULL,
    currency       TEXT    NOT NULL,
    amount         TEXT    NOT NULL,
    remaining      TEXT    NOT NULL,
    min_fill       TEXT    NOT NULL,
    max_fill       TEXT    NOT NULL,
    expiry         INTEGER NOT NULL,
    payment_window INTEGER NOT NULL,
    open           INTEGER NOT NULL,
    posted_block   INTEGER NOT NULL,
    PRIMARY KEY (chain, order_id)
) WITHOUT ROWID;

-- One row per settlement with an agent: its cut.
CREATE TABLE agent_commissions (
    chain        TEXT    NOT NULL,
    block_number INTEGER NOT NULL,
    log_index    INTEGER NOT NULL,
    block_time   INTEGER NOT NULL,
    deal_id      INTEGER NOT NULL,
    agent        TEXT    NOT NULL,
    merchant     TEXT    NOT NULL,
    gross        TEXT    NOT NULL,
    amount       TEXT    NOT NULL,
    PRIMARY KEY (chain, block_number, log_index)
) WITHOUT ROWID;
CREATE INDEX agent_commissions_agent ON agent_commissions (chain, agent, block_number, log_index);

-- Settled gross volume per merchant per UTC day.
CREATE TABLE daily_volume (
    chain   TEXT    NOT NULL,
    address TEXT    NOT NULL,
    day     INTEGER NOT NULL,
    amount  TEXT    NOT NULL,
    count   INTEGER NOT NULL,
    fees    TEXT    NOT NULL,
    PRIMARY KEY (chain, address, day)
) WITHOUT ROWID;
