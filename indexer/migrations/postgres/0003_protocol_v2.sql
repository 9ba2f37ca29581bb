-- Protocol v2 (docs/rules.md): the derived tables gain the state the escrow now keeps.
-- Deals: the rates fixed at open and the arbitration clock. Accounts: the co-signer, its
-- daily allowance and today's counted outflow, and the acceptor's own limits.
-- Settings: the escrow's liabilities and what sweeps
-- credited. Amounts are exact NUMERIC.

ALTER TABLE deals ADD COLUMN fee_bps         BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deals ADD COLUMN agent_share_bps BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deals ADD COLUMN reward_bps      BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deals ADD COLUMN disputed_at     BIGINT;

ALTER TABLE escrow_accounts ADD COLUMN co_signer       TEXT;
ALTER TABLE escrow_accounts ADD COLUMN daily_allowance NUMERIC(78,0) NOT NULL DEFAULT 0;
ALTER TABLE escrow_accounts ADD COLUMN outflow_day     BIGINT  NOT NULL DEFAULT 0;
ALTER TABLE escrow_accounts ADD COLUMN outflow_today   NUMERIC(78,0) NOT NULL DEFAULT 0;
ALTER TABLE escrow_accounts ADD COLUMN online          BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE escrow_accounts ADD COLUMN max_per_deal    NUMERIC(78,0) NOT NULL DEFAULT 0;
ALTER TABLE escrow_accounts ADD COLUMN max_locked      NUMERIC(78,0) NOT NULL DEFAULT 0;


ALTER TABLE escrow_settings ADD COLUMN liabilities NUMERIC(78,0) NOT NULL DEFAULT 0;
ALTER TABLE escrow_settings ADD COLUMN swept       NUMERIC(78,0) NOT NULL DEFAULT 0;
