-- Protocol v2 (docs/rules.md): the derived tables gain the state the escrow now keeps.
-- Deals: the rates fixed at open and the arbitration clock. Accounts: the co-signer, its
-- daily allowance and today's counted outflow, and the acceptor's own limits.
-- Settings: the escrow's liabilities and what sweeps
-- credited. Amounts are exact decimal TEXT.

ALTER TABLE deals ADD COLUMN fee_bps         INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deals ADD COLUMN agent_share_bps INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deals ADD COLUMN reward_bps      INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deals ADD COLUMN disputed_at     INTEGER;

ALTER TABLE escrow_accounts ADD COLUMN co_signer       TEXT;
ALTER TABLE escrow_accounts ADD COLUMN daily_allowance TEXT    NOT NULL DEFAULT '0';
ALTER TABLE escrow_accounts ADD COLUMN outflow_day     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE escrow_accounts ADD COLUMN outflow_today   TEXT    NOT NULL DEFAULT '0';
ALTER TABLE escrow_accounts ADD COLUMN online          INTEGER NOT NULL DEFAULT 0;
ALTER TABLE escrow_accounts ADD COLUMN max_per_deal    TEXT    NOT NULL DEFAULT '0';
ALTER TABLE escrow_accounts ADD COLUMN max_locked      TEXT    NOT NULL DEFAULT '0';


ALTER TABLE escrow_settings ADD COLUMN liabilities TEXT NOT NULL DEFAULT '0';
ALTER TABLE escrow_settings ADD COLUMN swept       TEXT NOT NULL DEFAULT '0';
