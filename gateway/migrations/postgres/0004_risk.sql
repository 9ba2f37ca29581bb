-- Risk and AML monitor (DESIGN §11): the monitor's cursor per chain, the block hashes
-- it evaluated (to find the common ancestor after a reorg), alerts with their evidence
-- rows and workflow, and what the circuit breaker did. Times are Unix milliseconds,
-- amounts integers of the smallest unit. The SQLite file has the same tables.

-- The last block whose transfers the monitor evaluated, per chain.
CREATE TABLE gw_risk_cursors (
    chain         TEXT    PRIMARY KEY NOT NULL,
    block_number  BIGINT  NOT NULL,
    block_hash    TEXT    NOT NULL,
    updated_at    BIGINT  NOT NULL
);

-- Hashes of the evaluated blocks still in the indexer's reorg window (pruned below
-- the finality line): compared with the indexer's after a rollback.
CREATE TABLE gw_risk_blocks (
    chain   TEXT    NOT NULL,
    number  BIGINT  NOT NULL,
    hash    TEXT    NOT NULL,
    PRIMARY KEY (chain, number)
);

-- An alert: open -> acknowledged -> closed (with a note), or withdrawn when a reorg
-- rolled its evidence back. `dedup_key` (rule, chain, subject) has at most one live
-- (open or acknowledged) alert.
CREATE TABLE gw_risk_alerts (
    seq              BIGSERIAL PRIMARY KEY,
    id               TEXT    NOT NULL UNIQUE,
    rule             TEXT    NOT NULL,
    severity         TEXT    NOT NULL,
    chain            TEXT    NOT NULL,
    subject_kind     TEXT    NOT NULL,
    subject          TEXT    NOT NULL,
    summary          TEXT    NOT NULL,
    details          TEXT    NOT NULL,
    state            TEXT    NOT NULL,
    dedup_key        TEXT    NOT NULL,
    block_number     BIGINT,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL,
    acknowledged_by  TEXT,
    acknowledged_at  BIGINT,
    closed_by        TEXT,
    closed_at        BIGINT,
    close_note       TEXT,
    withdrawn_at     BIGINT,
    withdrawn_reason TEXT
);
CREATE UNIQUE INDEX gw_risk_alerts_live ON gw_risk_alerts (dedup_key) WHERE state IN ('open', 'acknowledged');
CREATE INDEX gw_risk_alerts_state ON gw_risk_alerts (state, seq);

-- The rows an alert rests on: transfers (chain position and block hash), deals,
-- measurements. Rows with a block number are withdrawn with the block on a reorg.
CREATE TABLE gw_risk_evidence (
    alert_id      TEXT    NOT NULL,
    position      BIGINT  NOT NULL,
    kind          TEXT    NOT NULL,
    chain         TEXT    NOT NULL,
    block_number  BIGINT,
    log_index     BIGINT,
    block_hash    TEXT,
    tx_hash       TEXT,
    data          TEXT    NOT NULL,
    PRIMARY KEY (alert_id, position)
);
CREATE INDEX gw_risk_evidence_block ON gw_risk_evidence (chain, block_number);

-- What the circuit breaker did (a guardian pause), and why.
CREATE TABLE gw_risk_actions (
    seq         BIGSERIAL PRIMARY KEY,
    chain       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    alert_id    TEXT,
    reason      TEXT    NOT NULL,
    tx_hash     TEXT,
    error       TEXT,
    created_at  BIGINT  NOT NULL
);

-- Webhook endpoints may belong to the operator (owner `operator`, not a merchant).
ALTER TABLE gw_webhook_endpoints DROP CONSTRAINT IF EXISTS gw_webhook_endpoints_merchant_id_fkey;
-- The webhook failure rate rule counts recent deliveries.
CREATE INDEX gw_deliveries_created ON gw_deliveries (created_at);
