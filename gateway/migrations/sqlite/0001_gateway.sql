-- stablerail-gateway schema (SQLite). Amounts are integers of the smallest unit,
-- times are Unix milliseconds. The PostgreSQL file has the same tables and columns.

CREATE TABLE gw_merchants (
    id          TEXT    PRIMARY KEY NOT NULL,
    name        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);

-- One receiving address (and optional escrow account) per merchant and chain. A
-- receiving address belongs to one merchant only: payments are matched by address.
CREATE TABLE gw_merchant_chains (
    merchant_id     TEXT NOT NULL REFERENCES gw_merchants (id),
    chain           TEXT NOT NULL,
    receiving       TEXT NOT NULL,
    escrow_account  TEXT,
    PRIMARY KEY (merchant_id, chain)
);
CREATE UNIQUE INDEX gw_merchant_chains_receiving ON gw_merchant_chains (chain, receiving);

CREATE TABLE gw_bank_accounts (
    id          TEXT    PRIMARY KEY NOT NULL,
    merchant_id TEXT    NOT NULL REFERENCES gw_merchants (id),
    label       TEXT    NOT NULL,
    holder      TEXT    NOT NULL,
    account     TEXT    NOT NULL,
    currency    TEXT    NOT NULL,
    payout      BIGINT  NOT NULL,
    created_at  BIGINT  NOT NULL
);
-- Exactly one payout account per merchant (at least one is checked on creation).
CREATE UNIQUE INDEX gw_bank_accounts_payout ON gw_bank_accounts (merchant_id) WHERE payout = 1;

-- API keys: only the sha256 of the key.
CREATE TABLE gw_api_keys (
    id          TEXT    PRIMARY KEY NOT NULL,
    merchant_id TEXT    NOT NULL REFERENCES gw_merchants (id),
    name        TEXT    NOT NULL,
    key_hash    TEXT    NOT NULL UNIQUE,
    created_at  BIGINT  NOT NULL,
    revoked_at  BIGINT
);

-- Idempotency-Key records: the first answer, replayed byte for byte.
CREATE TABLE gw_idempotency (
    merchant_id   TEXT    NOT NULL,
    key           TEXT    NOT NULL,
    request_hash  TEXT    NOT NULL,
    status        BIGINT,
    body          TEXT,
    locked_until  BIGINT  NOT NULL,
    created_at    BIGINT  NOT NULL,
    PRIMARY KEY (merchant_id, key)
);

CREATE TABLE gw_invoices (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT    NOT NULL UNIQUE,
    merchant_id      TEXT    NOT NULL REFERENCES gw_merchants (id),
    chain            TEXT    NOT NULL,
    address          TEXT    NOT NULL,
    amount           BIGINT  NOT NULL,
    unique_amount    BIGINT  NOT NULL,
    status           TEXT    NOT NULL,
    additional       TEXT    NOT NULL,
    paid             BIGINT  NOT NULL,
    confirmed_paid   BIGINT  NOT NULL,
    cancelled        BIGINT  NOT NULL,
    active           BIGINT  NOT NULL,
    created_block    BIGINT  NOT NULL,
    created_at       BIGINT  NOT NULL,
    expires_at       BIGINT  NOT NULL,
    monitoring_until BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL,
    description      TEXT,
    metadata         TEXT    NOT NULL,
    redirect_url     TEXT
);
CREATE INDEX gw_invoices_merchant ON gw_invoices (merchant_id, seq);
-- The unique amount is unique among the invoices still watched on an address.
CREATE UNIQUE INDEX gw_invoices_reserved ON gw_invoices (chain, address, unique_amount) WHERE active = 1;
CREATE INDEX gw_invoices_active ON gw_invoices (active, chain, address);

-- Transfers matched to an invoice (rewritten with the invoice on every change).
CREATE TABLE gw_payments (
    invoice_id    TEXT    NOT NULL,
    chain         TEXT    NOT NULL,
    block_number  BIGINT  NOT NULL,
    log_index     BIGINT  NOT NULL,
    tx_hash       TEXT    NOT NULL,
    amount        BIGINT  NOT NULL,
    block_time    BIGINT  NOT NULL,
    confirmed     BIGINT  NOT NULL,
    PRIMARY KEY (chain, block_number, log_index)
);
CREATE INDEX gw_payments_invoice ON gw_payments (invoice_id);

CREATE TABLE gw_webhook_endpoints (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT    NOT NULL UNIQUE,
    merchant_id      TEXT    NOT NULL REFERENCES gw_merchants (id),
    url              TEXT    NOT NULL,
    events           TEXT    NOT NULL,
    secret           TEXT    NOT NULL,
    previous_secret  TEXT,
    previous_until   BIGINT  NOT NULL,
    enabled          BIGINT  NOT NULL,
    created_at       BIGINT  NOT NULL
);
CREATE INDEX gw_webhook_endpoints_merchant ON gw_webhook_endpoints (merchant_id, seq);

-- The outbox: one row per event, written in the transaction of the state change.
CREATE TABLE gw_events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT    NOT NULL UNIQUE,
    merchant_id  TEXT    NOT NULL,
    type         TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX gw_events_merchant ON gw_events (merchant_id, seq);

-- One delivery per (event, endpoint); the sender claims due rows with a lease.
CREATE TABLE gw_deliveries (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT    NOT NULL UNIQUE,
    event_id         TEXT    NOT NULL,
    endpoint_id      TEXT    NOT NULL,
    merchant_id      TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    attempts         BIGINT  NOT NULL,
    next_attempt_at  BIGINT  NOT NULL,
    lease_until      BIGINT  NOT NULL,
    lease_owner      TEXT,
    delivered_at     BIGINT,
    created_at       BIGINT  NOT NULL
);
CREATE INDEX gw_deliveries_due ON gw_deliveries (status, next_attempt_at);
CREATE INDEX gw_deliveries_endpoint ON gw_deliveries (endpoint_id, seq);

-- Every delivery attempt: status, latency, excerpt of the answer.
CREATE TABLE gw_attempts (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id       TEXT    NOT NULL,
    attempt           BIGINT  NOT NULL,
    started_at        BIGINT  NOT NULL,
    latency_ms        BIGINT  NOT NULL,
    http_status       BIGINT,
    error             TEXT,
    response_excerpt  TEXT
);
CREATE INDEX gw_attempts_delivery ON gw_attempts (delivery_id, seq);

-- Collections (fiat in) and payouts (fiat out): escrow deals the gateway dispatches
-- with the platform's dispatcher key and follows through the indexer's `deals`.
CREATE TABLE gw_orders (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT    NOT NULL UNIQUE,
    merchant_id      TEXT    NOT NULL REFERENCES gw_merchants (id),
    kind             TEXT    NOT NULL,
    chain            TEXT    NOT NULL,
    amount           BIGINT  NOT NULL,
    payment_window   BIGINT  NOT NULL,
    order_ref        TEXT    NOT NULL UNIQUE,
    status           TEXT    NOT NULL,
    deal_id          BIGINT,
    acceptor         TEXT,
    bank_account_id  TEXT,
    dispatch_after   BIGINT  NOT NULL,
    error            TEXT,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL
);
CREATE INDEX gw_orders_merchant ON gw_orders (merchant_id, seq);
CREATE INDEX gw_orders_open ON gw_orders (status);
-- A deal is one order (a payout deal cannot be submitted twice).
CREATE UNIQUE INDEX gw_orders_deal ON gw_orders (chain, deal_id) WHERE deal_id IS NOT NULL;
