-- Escrow and multisig events and the tables derived from them (PostgreSQL).
-- Events are keyed like transfers, so a reorg rollback deletes them by block; the derived
-- tables are then replayed from the remaining events in the same transaction.
-- `fields` is the decoded event as JSON (addresses in the chain's text form, amounts as
-- exact decimal strings). Amounts are exact NUMERIC(78,0).

CREATE TABLE escrow_events (
    chain        TEXT    NOT NULL,
    block_number BIGINT  NOT NULL,
    log_index    BIGINT  NOT NULL,
    block_hash   TEXT    NOT NULL,
    block_time   BIGINT  NOT NULL,
    tx_hash      TEXT    NOT NULL,
    contract     TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    deal_id      BIGINT ,
    fields       TEXT    NOT NULL,
    confirmed    BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (chain, block_number, log_index)
);
CREATE INDEX escrow_events_deal ON escrow_events (chain, deal_id, block_number, log_index);
CREATE INDEX escrow_events_kind ON escrow_events (chain, kind, block_number, log_index);
CREATE INDEX escrow_events_unconfirmed ON escrow_events (chain, block_number) WHERE NOT confirmed;

CREATE TABLE multisig_events (
    chain        TEXT    NOT NULL,
    block_number BIGINT  NOT NULL,
    log_index    BIGINT  NOT NULL,
    block_hash   TEXT    NOT NULL,
    block_time   BIGINT  NOT NULL,
    tx_hash      TEXT    NOT NULL,
    contract     TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    fields       TEXT    NOT NULL,
    confirmed    BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (chain, block_number, log_index)
);
CREATE INDEX multisig_events_kind ON multisig_events (chain, kind, block_number, log_index);
CREATE INDEX multisig_events_unconfirmed ON multisig_events (chain, block_number) WHERE NOT confirmed;

-- The escrow's configuration as last emitted (one escrow per chain).
CREATE TABLE escrow_settings (
    chain        TEXT    PRIMARY KEY NOT NULL,
    owner        TEXT,
    guardian     TEXT,
    arbiter      TEXT,
    dispatcher   TEXT,
    compliance   TEXT,
    treasury     TEXT,
    paused       BOOLEAN NOT NULL DEFAULT FALSE,
    fee_schedule TEXT,
    limits       TEXT
);

CREATE TABLE escrow_accounts (
    chain           TEXT    NOT NULL,
    address         TEXT    NOT NULL,
    available       NUMERIC(78,0) NOT NULL,
    locked          NUMERIC(78,0) NOT NULL,
    roles           BIGINT  NOT NULL,
    agent           TEXT,
    merchant_volume NUMERIC(78,0) NOT NULL,
    agent_volume    NUMERIC(78,0) NOT NULL,
    kyc_level       BIGINT  NOT NULL,
    region          BIGINT  NOT NULL,
    deposited       NUMERIC(78,0) NOT NULL,
    withdrawn       NUMERIC(78,0) NOT NULL,
    PRIMARY KEY (chain, address)
);
CREATE INDEX escrow_accounts_agent ON escrow_accounts (chain, agent);

CREATE TABLE deals (
    chain           TEXT    NOT NULL,
    deal_id         BIGINT  NOT NULL,
    kind            TEXT    NOT NULL,
    seller          TEXT    NOT NULL,
    buyer           TEXT,
    merchant        TEXT    NOT NULL,
    amount          NUMERIC(78,0) NOT NULL,
    state           TEXT    NOT NULL,
    payment_window  BIGINT  NOT NULL,
    deadline        BIGINT  NOT NULL,
    order_ref       TEXT    NOT NULL,
    order_id        BIGINT ,
    opened_block    BIGINT  NOT NULL,
    opened_time     BIGINT  NOT NULL,
    closed_block    BIGINT ,
    closed_time     BIGINT ,
    buyer_share_bps BIGINT ,
    agent           TEXT,
    settled_amount  NUMERIC(78,0),
    buyer_net       NUMERIC(78,0),
    fee             NUMERIC(78,0),
    agent_cut       NUMERIC(78,0),
    reward          NUMERIC(78,0),
    platform        NUMERIC(78,0),
    seller_refund   NUMERIC(78,0),
    PRIMARY KEY (chain, deal_id)
);
CREATE INDEX deals_seller   ON deals (chain, seller, deal_id);
CREATE INDEX deals_buyer    ON deals (chain, buyer, deal_id);
CREATE INDEX deals_merchant ON deals (chain, merchant, deal_id);
CREATE INDEX deals_state    ON deals (chain, state, deal_id);
CREATE INDEX deals_closed   ON deals (chain, closed_time);

CREATE TABLE buy_orders (
    chain          TEXT    NOT NULL,
    order_id       BIGINT  NOT NULL,
    merchant       TEXT    NOT NULL,
    price          BIGINT  NOT NULL,
    currency       TEXT    NOT NULL,
    amount         NUMERIC(78,0) NOT NULL,
    remaining      NUMERIC(78,0) NOT NULL,
    min_fill       NUMERIC(78,0) NOT NULL,
    max_fill       NUMERIC(78,0) NOT NULL,
    expiry         BIGINT  NOT NULL,
    payment_window BIGINT  NOT NULL,
    open           BOOLEAN NOT NULL,
    posted_block   BIGINT  NOT NULL,
    PRIMARY KEY (chain, order_id)
);

-- One row per settlement with an agent: its cut.
CREATE TABLE agent_commissions (
    chain        TEXT    NOT NULL,
    block_number BIGINT  NOT NULL,
    log_index    BIGINT  NOT NULL,
    block_time   BIGINT  NOT NULL,
    deal_id      BIGINT  NOT NULL,
    agent        TEXT    NOT NULL,
    merchant     TEXT    NOT NULL,
    gross        NUMERIC(78,0) NOT NULL,
    amount       NUMERIC(78,0) NOT NULL,
    PRIMARY KEY (chain, block_number, log_index)
);
CREATE INDEX agent_commissions_agent ON agent_commissions (chain, agent, block_number, log_index);

-- Settled gross volume per merchant per UTC day.
CREATE TABLE daily_volume (
    chain   TEXT    NOT NULL,
    address TEXT    NOT NULL,
    day     BIGINT  NOT NULL,
    amount  NUMERIC(78,0) NOT NULL,
    count   BIGINT  NOT NULL,
    fees    NUMERIC(78,0) NOT NULL,
    PRIMARY KEY (chain, address, day)
);
