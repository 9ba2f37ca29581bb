//! A ledger of REAL Solana transactions: every transaction a test bank
//! (solana-program-test: the tests crate's `common/solana.rs`, and
//! [`crate::solana_node`]) processes while recording, in its own block, stored exactly as Solana JSON-RPC `getBlock` returns it with
//! `{"encoding":"json","transactionDetails":"full","rewards":false,
//! "maxSupportedTransactionVersion":0}`.
//!
//! For each transaction the recorder simulates first (logs, inner instructions,
//! compute units), processes it for real and checks that both agree, reads the
//! lamports of every account key and every SPL Token / Token-2022 account among
//! them before and after, and checks that the lamports the transaction took are
//! exactly its fee. Then the bank advances one slot (two when a skip is asked
//! for), so slots, blockhashes and block times are the bank's own.
//!
//! Events of the escrow and the multisig are self-CPIs (docs/rules.md,
//! "Events"): they appear in `meta.innerInstructions`.

#![allow(deprecated)] // solana-program-test 3.1 marks its API as unstable-to-be

use std::collections::BTreeMap;

use anchor_spl::token::spl_token;
use anchor_spl::token_2022::spl_token_2022;
use anchor_spl::token_2022::spl_token_2022::extension::StateWithExtensions;
use anyhow::{Context as _, bail, ensure};
use serde::{Deserialize, Serialize};
use solana_program_test::{BanksClientError, ProgramTestContext};
use solana_sdk::clock::Clock;
use solana_sdk::inner_instruction::InnerInstructions;
use solana_sdk::message::compiled_instruction::CompiledInstruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::transaction::{Transaction, TransactionError};

/// `version` of a transaction in `getBlock`/`getTransaction`: `"legacy"` or a
/// version number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TransactionVersion {
    /// `"legacy"`.
    Legacy(Legacy),
    /// A versioned transaction (`0`).
    Number(u8),
}

/// The string `"legacy"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Legacy {
    /// `"legacy"`.
    Legacy,
}

/// A block as `getBlock` returns it (`rewards: false`: no `rewards` field).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UiBlock {
    /// Blocks before this one on its fork (skipped slots not counted).
    pub block_height: Option<u64>,
    /// Unix time of the block (the bank's Clock sysvar).
    pub block_time: Option<i64>,
    /// The block's hash, base58.
    pub blockhash: String,
    /// The slot of the parent block.
    pub parent_slot: u64,
    /// The parent block's hash, base58.
    pub previous_blockhash: String,
    /// The transactions, in order.
    pub transactions: Vec<UiTransactionWithMeta>,
}

/// A transaction with its status meta (`transactionDetails: "full"`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UiTransactionWithMeta {
    /// The signed transaction.
    pub transaction: UiTransaction,
    /// What running it did.
    pub meta: UiTransactionStatusMeta,
    /// `"legacy"` (the harness sends legacy transactions).
    pub version: TransactionVersion,
}

/// A transaction in `json` encoding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UiTransaction {
    /// Signatures, base58; the first is the transaction's id.
    pub signatures: Vec<String>,
    /// The message.
    pub message: UiMessage,
}

/// A legacy message in `json` encoding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UiMessage {
    /// Every account the transaction names, base58; instructions index into it.
    pub account_keys: Vec<String>,
    /// Signer and read-only counts.
    pub header: UiMessageHeader,
    /// The blockhash the transaction was signed on, base58.
    pub recent_blockhash: String,
    /// The top-level instructions (`stackHeight` null).
    pub instructions: Vec<UiCompiledInstruction>,
}

/// The message header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UiMessageHeader {
    /// Signatures required (the first keys).
    pub num_required_signatures: u8,
    /// Of those, read-only.
    pub num_readonly_signed_accounts: u8,
    /// Read-only keys among the unsigned ones (the last keys).
    pub num_readonly_unsigned_accounts: u8,
}

/// An instruction whose program and accounts index into `accountKeys`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UiCompiledInstruction {
    /// Index of the program in `accountKeys`.
    pub program_id_index: u8,
    /// Indexes of its accounts in `accountKeys`.
    pub accounts: Vec<u8>,
    /// Its data, base58.
    pub data: String,
    /// Invocation depth: null for top-level instructions, 2 for a CPI from
    /// one, and so on.
    pub stack_height: Option<u32>,
}

/// The inner instructions (CPIs) of one top-level instruction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UiInnerInstructions {
    /// Index of the top-level instruction.
    pub index: u8,
    /// Its CPIs in execution order.
    pub instructions: Vec<UiCompiledInstruction>,
}

/// A token amount with its decimals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UiTokenAmount {
    /// The amount as a float, as the node reports it (read `amount`).
    pub ui_amount: Option<f64>,
    /// The mint's decimals.
    pub decimals: u8,
    /// The amount in smallest units, decimal string.
    pub amount: String,
    /// The amount with `decimals` applied, trailing zeros trimmed.
    pub ui_amount_string: String,
}

/// The balance of one token account among the transaction's keys.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UiTransactionTokenBalance {
    /// Index of the token account in `accountKeys`.
    pub account_index: u8,
    /// The mint, base58.
    pub mint: String,
    /// The token account's owner, base58.
    pub owner: Option<String>,
    /// The token program owning the account, base58.
    pub program_id: Option<String>,
    /// The balance.
    pub ui_token_amount: UiTokenAmount,
}

/// Address-lookup-table keys (always empty: legacy transactions).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UiLoadedAddresses {
    /// Writable keys loaded from tables.
    pub writable: Vec<String>,
    /// Read-only keys loaded from tables.
    pub readonly: Vec<String>,
}

/// The status meta of a transaction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UiTransactionStatusMeta {
    /// The error, null on success.
    pub err: Option<TransactionError>,
    /// `{"Ok":null}` or `{"Err":...}` (the older form of `err`).
    pub status: Result<(), TransactionError>,
    /// Lamports charged.
    pub fee: u64,
    /// Lamports of every key before, in `accountKeys` order.
    pub pre_balances: Vec<u64>,
    /// Lamports of every key after.
    pub post_balances: Vec<u64>,
    /// CPIs per top-level instruction that made any.
    pub inner_instructions: Vec<UiInnerInstructions>,
    /// The program logs.
    pub log_messages: Vec<String>,
    /// Token accounts among the keys, before.
    pub pre_token_balances: Vec<UiTransactionTokenBalance>,
    /// Token accounts among the keys, after.
    pub post_token_balances: Vec<UiTransactionTokenBalance>,
    /// Always empty (no rewards in a transaction's meta here).
    pub rewards: Vec<serde_json::Value>,
    /// Always empty (legacy transactions).
    pub loaded_addresses: UiLoadedAddresses,
    /// Compute units the transaction used.
    pub compute_units_consumed: u64,
}

impl UiTransactionWithMeta {
    /// The transaction's id (its first signature).
    pub fn signature(&self) -> &str {
        self.transaction
            .signatures
            .first()
            .map_or("", String::as_str)
    }

    /// Whether the transaction failed (it is in its block, `meta.err` set).
    pub fn failed(&self) -> bool {
        self.meta.err.is_some()
    }

    /// The account keys, parsed.
    pub fn keys(&self) -> anyhow::Result<Vec<Pubkey>> {
        self.transaction
            .message
            .account_keys
            .iter()
            .map(|k| {
                k.parse::<Pubkey>()
                    .with_context(|| format!("account key {k}"))
            })
            .collect()
    }
}

/// A block recorded from the bank: its slot and what `getBlock` returns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedBlock {
    /// The block's slot.
    pub slot: u64,
    /// The block (one transaction).
    pub block: UiBlock,
}

/// Recorded blocks in increasing slot order; slots without a block are
/// skipped slots.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    /// The blocks, by increasing slot.
    pub blocks: Vec<RecordedBlock>,
}

impl Ledger {
    /// The block at `slot`, if one was produced there.
    pub fn block(&self, slot: u64) -> Option<&RecordedBlock> {
        self.blocks
            .binary_search_by_key(&slot, |b| b.slot)
            .ok()
            .and_then(|i| self.blocks.get(i))
    }

    /// The highest slot with a block.
    pub fn head(&self) -> Option<u64> {
        self.blocks.last().map(|b| b.slot)
    }

    /// The lowest slot with a block.
    pub fn first_slot(&self) -> Option<u64> {
        self.blocks.first().map(|b| b.slot)
    }

    /// Every transaction with its block, in ledger order.
    pub fn transactions(
        &self,
    ) -> impl DoubleEndedIterator<Item = (&RecordedBlock, &UiTransactionWithMeta)> {
        self.blocks
            .iter()
            .flat_map(|b| b.block.transactions.iter().map(move |t| (b, t)))
    }

    /// The failed transactions (in their blocks with `meta.err` set).
    pub fn failed(&self) -> impl Iterator<Item = (&RecordedBlock, &UiTransactionWithMeta)> {
        self.transactions().filter(|(_, t)| t.failed())
    }

    /// The transaction with signature `signature` and its block.
    pub fn transaction(&self, signature: &str) -> Option<(&RecordedBlock, &UiTransactionWithMeta)> {
        self.transactions()
            .find(|(_, t)| t.signature() == signature)
    }

    /// Slots between the first and the last block that have no block.
    pub fn skipped_slots(&self) -> Vec<u64> {
        let mut out = Vec::new();
        for pair in self.blocks.windows(2) {
            if let [a, b] = pair {
                out.extend(a.slot + 1..b.slot);
            }
        }
        out
    }

    /// Checks the chain: slots increase, and every block names the block
    /// before it (slot and hash) as its parent.
    pub fn check_links(&self) -> anyhow::Result<()> {
        for pair in self.blocks.windows(2) {
            if let [a, b] = pair {
                ensure!(
                    a.slot < b.slot,
                    "slots {} and {} out of order",
                    a.slot,
                    b.slot
                );
                ensure!(
                    b.block.parent_slot == a.slot
                        && b.block.previous_blockhash == a.block.blockhash,
                    "block {} does not follow block {}",
                    b.slot,
                    a.slot
                );
            }
        }
        Ok(())
    }
}

/// Where the recorder is: the last block (the next block's parent) and
/// whether the next advance skips a slot.
#[derive(Debug)]
pub struct Recorder {
    ledger: Ledger,
    parent_slot: u64,
    parent_hash: String,
    parent_height: u64,
    skip_next: bool,
    decimals: BTreeMap<Pubkey, u8>,
}

/// What the recorder returns for one transaction: the harness's own result.
pub type Sent = Result<(), BanksClientError>;

impl Recorder {
    /// Starts recording on `ctx`: the bank advances one slot, so the first
    /// recorded block holds only recorded transactions.
    pub async fn start(ctx: &mut ProgramTestContext) -> anyhow::Result<Self> {
        let clock: Clock = ctx.banks_client.get_sysvar().await?;
        ctx.warp_to_slot(clock.slot + 1)
            .map_err(|e| anyhow::anyhow!("warp to slot {}: {e:?}", clock.slot + 1))?;
        let height = ctx.banks_client.get_root_block_height().await?;
        Ok(Self {
            ledger: Ledger::default(),
            parent_slot: clock.slot,
            parent_hash: ctx.last_blockhash.to_string(),
            parent_height: height,
            skip_next: false,
            decimals: BTreeMap::new(),
        })
    }

    /// The slot of the last recorded block (before any: the slot recording
    /// started after).
    pub fn head(&self) -> u64 {
        self.parent_slot
    }

    /// The ledger so far.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The ledger so far, recording going on with an empty one.
    pub fn take_ledger(&mut self) -> Ledger {
        std::mem::take(&mut self.ledger)
    }

    /// The block after the next recorded one comes two slots later: the slot
    /// between is skipped (no block; the next block's parent is the previous
    /// block). Built by warping the bank two slots, not by editing hashes.
    pub fn skip_next_slot(&mut self) {
        self.skip_next = true;
    }

    /// Simulates, processes and records `tx` in a block of its own; returns
    /// the result the harness expects (`TransactionError` for a failed one,
    /// which is recorded too when the bank charged its fee).
    pub async fn process(
        &mut self,
        ctx: &mut ProgramTestContext,
        tx: Transaction,
    ) -> anyhow::Result<Sent> {
        let client = &mut ctx.banks_client;
        let clock: Clock = client.get_sysvar().await?;
        ensure!(
            clock.slot > self.parent_slot,
            "bank at slot {} is not past the recorded block {}",
            clock.slot,
            self.parent_slot
        );
        let keys = tx.message.account_keys.clone();
        let (pre_balances, pre_token_balances) = self.read_keys(ctx, &keys).await?;
        let client = &mut ctx.banks_client;
        let fee = client
            .get_fee_for_message(tx.message.clone())
            .await?
            .context("the bank gave no fee for the message")?;
        let simulated = client.simulate_transaction(tx.clone()).await?;
        let processed = client.process_transaction_with_metadata(tx.clone()).await?;
        let Some(metadata) = processed.metadata else {
            // Refused before execution (no fee charged, not in any block).
            let err = processed
                .result
                .err()
                .context("the bank processed a transaction without metadata")?;
            return Ok(Err(BanksClientError::TransactionError(err)));
        };
        let details = simulated
            .simulation_details
            .context("the simulation returned no details")?;
        ensure!(
            simulated.result.as_ref() == Some(&processed.result),
            "simulated {:?}, processed {:?}",
            simulated.result,
            processed.result
        );
        ensure!(
            details.logs == metadata.log_messages,
            "simulated logs differ from the processed ones:\n{:?}\n{:?}",
            details.logs,
            metadata.log_messages
        );
        ensure!(
            details.units_consumed == metadata.compute_units_consumed,
            "simulated {} units, processed {}",
            details.units_consumed,
            metadata.compute_units_consumed
        );
        let (post_balances, post_token_balances) = self.read_keys(ctx, &keys).await?;
        let spent = pre_balances
            .iter()
            .sum::<u64>()
            .checked_sub(post_balances.iter().sum::<u64>())
            .context("the transaction created lamports")?;
        ensure!(
            spent == fee,
            "the transaction took {spent} lamports, its fee is {fee}"
        );
        let inner = inner_instructions(details.inner_instructions.unwrap_or_default());

        let slot = clock.slot;
        let step = if std::mem::take(&mut self.skip_next) {
            2
        } else {
            1
        };
        ctx.warp_to_slot(slot + step)
            .map_err(|e| anyhow::anyhow!("warp to slot {}: {e:?}", slot + step))?;
        let blockhash = ctx.last_blockhash.to_string();

        let err = processed.result.clone().err();
        let message = &tx.message;
        let transaction = UiTransactionWithMeta {
            transaction: UiTransaction {
                signatures: tx.signatures.iter().map(ToString::to_string).collect(),
                message: UiMessage {
                    account_keys: keys.iter().map(ToString::to_string).collect(),
                    header: UiMessageHeader {
                        num_required_signatures: message.header.num_required_signatures,
                        num_readonly_signed_accounts: message.header.num_readonly_signed_accounts,
                        num_readonly_unsigned_accounts: message
                            .header
                            .num_readonly_unsigned_accounts,
                    },
                    recent_blockhash: message.recent_blockhash.to_string(),
                    instructions: message
                        .instructions
                        .iter()
                        .map(|ix| compiled(ix, None))
                        .collect(),
                },
            },
            meta: UiTransactionStatusMeta {
                err: err.clone(),
                status: processed.result.clone(),
                fee,
                pre_balances,
                post_balances,
                inner_instructions: inner,
                log_messages: metadata.log_messages,
                pre_token_balances,
                post_token_balances,
                rewards: Vec::new(),
                loaded_addresses: UiLoadedAddresses::default(),
                compute_units_consumed: metadata.compute_units_consumed,
            },
            version: TransactionVersion::Legacy(Legacy::Legacy),
        };
        let height = self.parent_height + 1;
        self.ledger.blocks.push(RecordedBlock {
            slot,
            block: UiBlock {
                block_height: Some(height),
                block_time: Some(clock.unix_timestamp),
                blockhash: blockhash.clone(),
                parent_slot: self.parent_slot,
                previous_blockhash: std::mem::replace(&mut self.parent_hash, blockhash),
                transactions: vec![transaction],
            },
        });
        self.parent_slot = slot;
        self.parent_height = height;
        Ok(match err {
            None => Ok(()),
            Some(e) => Err(BanksClientError::TransactionError(e)),
        })
    }

    /// Lamports of every key, and the token balances of the SPL Token and
    /// Token-2022 accounts among them.
    async fn read_keys(
        &mut self,
        ctx: &mut ProgramTestContext,
        keys: &[Pubkey],
    ) -> anyhow::Result<(Vec<u64>, Vec<UiTransactionTokenBalance>)> {
        let mut lamports = Vec::with_capacity(keys.len());
        let mut tokens = Vec::new();
        for (index, key) in keys.iter().enumerate() {
            let account = ctx.banks_client.get_account(*key).await?;
            let Some(account) = account else {
                lamports.push(0);
                continue;
            };
            lamports.push(account.lamports);
            let is_token_program =
                account.owner == spl_token::ID || account.owner == spl_token_2022::ID;
            if !is_token_program {
                continue;
            }
            let Ok(state) =
                StateWithExtensions::<spl_token_2022::state::Account>::unpack(&account.data)
            else {
                continue; // a mint or an uninitialised account
            };
            let base = state.base;
            let decimals = self.decimals(ctx, &base.mint).await?;
            tokens.push(UiTransactionTokenBalance {
                account_index: u8::try_from(index)?,
                mint: base.mint.to_string(),
                owner: Some(base.owner.to_string()),
                program_id: Some(account.owner.to_string()),
                ui_token_amount: ui_token_amount(base.amount, decimals),
            });
        }
        Ok((lamports, tokens))
    }

    /// A mint's decimals (read once).
    async fn decimals(
        &mut self,
        ctx: &mut ProgramTestContext,
        mint: &Pubkey,
    ) -> anyhow::Result<u8> {
        if let Some(d) = self.decimals.get(mint) {
            return Ok(*d);
        }
        let account = ctx
            .banks_client
            .get_account(*mint)
            .await?
            .with_context(|| format!("mint {mint} missing"))?;
        let Ok(state) = StateWithExtensions::<spl_token_2022::state::Mint>::unpack(&account.data)
        else {
            bail!("{mint} is not a mint");
        };
        self.decimals.insert(*mint, state.base.decimals);
        Ok(state.base.decimals)
    }
}

fn compiled(ix: &CompiledInstruction, stack_height: Option<u32>) -> UiCompiledInstruction {
    UiCompiledInstruction {
        program_id_index: ix.program_id_index,
        accounts: ix.accounts.clone(),
        data: bs58::encode(&ix.data).into_string(),
        stack_height,
    }
}

/// The runtime's inner instructions per top-level instruction, those that
/// made no CPI left out (as a node stores them).
fn inner_instructions(all: Vec<InnerInstructions>) -> Vec<UiInnerInstructions> {
    all.into_iter()
        .enumerate()
        .filter(|(_, list)| !list.is_empty())
        .filter_map(|(index, list)| {
            Some(UiInnerInstructions {
                index: u8::try_from(index).ok()?,
                instructions: list
                    .iter()
                    .map(|inner| compiled(&inner.instruction, Some(u32::from(inner.stack_height))))
                    .collect(),
            })
        })
        .collect()
}

/// `amount` with `decimals` as a node reports it: the decimal string with
/// trailing zeros trimmed, and that string read as a float.
pub fn ui_token_amount(amount: u64, decimals: u8) -> UiTokenAmount {
    let digits = amount.to_string();
    let d = usize::from(decimals);
    let text = if d == 0 {
        digits.clone()
    } else {
        let padded = format!("{digits:0>width$}", width = d + 1);
        let (int, frac) = padded.split_at(padded.len() - d);
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() {
            int.to_owned()
        } else {
            format!("{int}.{frac}")
        }
    };
    UiTokenAmount {
        ui_amount: text.parse::<f64>().ok(),
        decimals,
        amount: digits,
        ui_amount_string: text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_amounts_are_trimmed_as_a_node_prints_them() {
        assert_eq!(ui_token_amount(123, 6).ui_amount_string, "0.000123");
        assert_eq!(ui_token_amount(1_000_000, 6).ui_amount_string, "1");
        assert_eq!(ui_token_amount(1_500_000, 6).ui_amount_string, "1.5");
        assert_eq!(ui_token_amount(0, 6).ui_amount_string, "0");
        assert_eq!(ui_token_amount(42, 0).ui_amount_string, "42");
        assert_eq!(ui_token_amount(123, 6).amount, "123");
        assert_eq!(ui_token_amount(123, 6).ui_amount, Some(0.000123));
    }
}
