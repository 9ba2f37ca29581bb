//! The treasury watch on Solana (the plan is the same `rules::treasury`): the vault
//! is a multisig of the Squads-like program (`programs/multisig`), whose funds sit
//! in its vault PDA's associated token account; its spending limits are accounts of
//! their own (`SpendingLimit`, listed in the configuration since their addresses
//! come from a free create key); a hot wallet is another multisig (its vault PDA's
//! token account counts) or a plain wallet (its associated token account counts).
//!
//! Every account is read with `getAccountInfo` at `finalized`, from a slot at least
//! the indexer's finalized slot (`minContextSlot`), and the reads that make one
//! measurement must come from one slot: when the node's slot moved between them
//! they are read again (up to three times), as TRON reads between two equal heads.
//! The measurement names that slot.
//!
//! The actions are what the owners and keys of Solana run: a hot multisig's excess
//! and a spending-limit change are Solana proposal files (the SDK's
//! [`SolanaProposalFile`]: the exact instructions the multisig's vault signs), which
//! an owner proposes with `stablerail solana multisig propose --multisig <m> file
//! --path <file>`, the owners approve and one executes; a plain hot account's excess
//! is the `stablerail solana transfer --from …` command its key runs. A limit is
//! lowered by removing it and adding it again with the same create key (same
//! address, mint, period, spenders and destinations) in one proposal, which starts a
//! fresh period with nothing spent, as the plan assumes.

use serde_json::{Value, json};
use stablerail_sdk::solana::{
    self as sol, AccountData, ContextAccount, FINALIZED, MultisigProgram, Period,
    ProposalInstruction, SolanaProposalFile, SolanaRpc, SpendingLimitAddArgs, TokenAccount, pda,
    sdk::Pubkey,
};

use crate::risk::{
    config::{Treasury, TreasuryChain},
    reader::ReadError,
    rules::treasury::{Action, Allowance, Measurement, Plan},
    treasury_common::{At, Target, TreasuryError, file_path, save_solana},
    usdt,
};

/// How often the accounts are read again when the node's slot moved meanwhile.
const ATTEMPTS: u32 = 3;

fn read_error(e: impl ToString) -> TreasuryError {
    TreasuryError::Read(ReadError::Solana(e.to_string()))
}

fn key(text: &str) -> Result<Pubkey, TreasuryError> {
    text.parse()
        .map_err(|_| TreasuryError::Read(ReadError::Address(text.to_owned())))
}

/// Reads of one measurement, all from one slot.
struct Snapshot<'a> {
    rpc: &'a SolanaRpc,
    min_slot: u64,
    slot: Option<u64>,
    moved: bool,
}

impl Snapshot<'_> {
    async fn get(&mut self, address: &Pubkey) -> Result<Option<AccountData>, TreasuryError> {
        let ContextAccount { slot, account } = self
            .rpc
            .account_at(address, FINALIZED, Some(self.min_slot))
            .await
            .map_err(read_error)?;
        match self.slot {
            None => self.slot = Some(slot),
            Some(s) if s != slot => self.moved = true,
            Some(_) => {}
        }
        Ok(account)
    }

    /// The token balance of `owner`'s associated token account (0 if it does not
    /// exist); anything else at that address is an error.
    async fn balance(
        &mut self,
        owner: &Pubkey,
        mint: &Pubkey,
        token_program: &Pubkey,
    ) -> Result<u128, TreasuryError> {
        let ata = pda::associated_token_account(owner, mint, token_program);
        let Some(a) = self.get(&ata).await? else {
            return Ok(0);
        };
        let t = TokenAccount::decode(&a.owner, &a.data).ok_or_else(|| {
            read_error(format!(
                "{ata} (token account of {owner}) is not a token account"
            ))
        })?;
        if t.mint != *mint || t.owner != *owner {
            return Err(read_error(format!(
                "{ata} is not {owner}'s token account of {mint}"
            )));
        }
        Ok(u128::from(t.amount))
    }

    /// The multisig at `address`, if it is one.
    async fn multisig(&mut self, address: &Pubkey) -> Result<Option<sol::Multisig>, TreasuryError> {
        Ok(self
            .get(address)
            .await?
            .filter(|a| a.owner == pda::MULTISIG_PROGRAM_ID)
            .and_then(|a| sol::AnchorAccount::decode(&a.data).ok()))
    }
}

/// The mint's token program and decimals.
async fn mint_of(snap: &mut Snapshot<'_>, mint: &Pubkey) -> Result<(Pubkey, u8), TreasuryError> {
    let a = snap
        .get(mint)
        .await?
        .ok_or_else(|| read_error(format!("mint {mint} does not exist")))?;
    let decimals = sol::mint_decimals(&a.owner, &a.data)
        .ok_or_else(|| read_error(format!("{mint} is not a token mint")))?;
    Ok((a.owner, decimals))
}

fn period_code(p: Period) -> u8 {
    match p {
        Period::OneTime => 0,
        Period::Day => 1,
        Period::Week => 2,
        Period::Month => 3,
    }
}

/// The treasury `t` at `finalized`, from a slot at least `at.finalized`: the vault
/// multisig's and the hot wallets' balances of `mint`, and the vault's spending
/// limits. The measurement names the slot read (its hash and time are the
/// indexer's: the monitor fills them in).
pub async fn measure(
    rpc: &SolanaRpc,
    usdt_mint: &str,
    t: &TreasuryChain,
    at: &At,
) -> Result<Measurement, TreasuryError> {
    let mint = key(usdt_mint)?;
    let vault = key(&t.vault)?;
    let vault_pda = pda::multisig_vault(&vault);
    for _ in 0..ATTEMPTS {
        let mut snap = Snapshot {
            rpc,
            min_slot: at.finalized,
            slot: None,
            moved: false,
        };
        let (token_program, _) = mint_of(&mut snap, &mint).await?;
        if snap.multisig(&vault).await?.is_none() {
            return Err(read_error(format!("vault {vault} is not a multisig")));
        }
        let vault_balance = snap.balance(&vault_pda, &mint, &token_program).await?;
        let mut allowances = Vec::new();
        for l in &t.spending_limits {
            let address = key(l)?;
            let limit: Option<sol::SpendingLimit> = match snap.get(&address).await? {
                // Removed: nothing left to spend.
                None => None,
                Some(a) if a.owner == pda::MULTISIG_PROGRAM_ID => {
                    Some(sol::AnchorAccount::decode(&a.data).map_err(read_error)?)
                }
                Some(_) => {
                    return Err(read_error(format!("{address} is not a spending limit")));
                }
            };
            allowances.push(match limit {
                Some(s) => {
                    if s.multisig != vault {
                        return Err(read_error(format!(
                            "spending limit {address} belongs to {}, not the vault {vault}",
                            s.multisig
                        )));
                    }
                    // A limit of another mint cannot send USDT.
                    let amount = if s.mint == mint { s.amount } else { 0 };
                    Allowance {
                        spender: address.to_string(),
                        amount: u128::from(amount),
                        spent: u128::from(amount.saturating_sub(s.remaining)),
                        period_start: u64::try_from(s.last_reset).unwrap_or(0),
                        period: period_code(s.period),
                        destinations: s.destinations.iter().map(ToString::to_string).collect(),
                    }
                }
                None => Allowance {
                    spender: address.to_string(),
                    amount: 0,
                    spent: 0,
                    period_start: 0,
                    period: 0,
                    destinations: Vec::new(),
                },
            });
        }
        let mut hot = Vec::new();
        for h in &t.hot_wallets {
            let address = key(h)?;
            let owner = match snap.multisig(&address).await? {
                Some(_) => pda::multisig_vault(&address),
                None => address,
            };
            hot.push((
                address.to_string(),
                snap.balance(&owner, &mint, &token_program).await?,
            ));
        }
        if snap.moved {
            continue;
        }
        let slot = snap.slot.unwrap_or(at.finalized);
        return Ok(Measurement {
            block_number: slot,
            block_hash: if slot == at.number {
                at.hash.clone()
            } else {
                String::new()
            },
            block_time: if slot == at.number { at.time } else { 0 },
            vault: vault.to_string(),
            vault_balance,
            allowances,
            hot,
        });
    }
    Err(TreasuryError::SlotMoving(ATTEMPTS))
}

/// The hot wallets of `m` that are multisigs of the program.
pub async fn hot_multisigs(rpc: &SolanaRpc, m: &Measurement) -> std::collections::HashSet<String> {
    let mut out = std::collections::HashSet::new();
    for (a, _) in &m.hot {
        let Ok(address) = a.parse::<Pubkey>() else {
            continue;
        };
        let is_multisig = rpc
            .account_at(&address, FINALIZED, None)
            .await
            .ok()
            .and_then(|c| c.account)
            .filter(|a| a.owner == pda::MULTISIG_PROGRAM_ID)
            .and_then(|a| <sol::Multisig as sol::AnchorAccount>::decode(&a.data).ok())
            .is_some();
        if is_multisig {
            out.insert(a.clone());
        }
    }
    out
}

async fn read<T: sol::AnchorAccount>(
    rpc: &SolanaRpc,
    address: &Pubkey,
    what: &'static str,
) -> Result<T, TreasuryError> {
    rpc.decoded(address, what).await.map_err(read_error)
}

/// The commands an owner runs for a proposal file on `multisig`.
fn proposal_commands(multisig: &str, file: &str) -> Value {
    json!([
        format!(
            "stablerail solana multisig propose --multisig {multisig} --send file --path {file}"
        ),
        format!(
            "stablerail solana multisig approve --multisig {multisig} --proposal <index> --send"
        ),
        format!(
            "stablerail solana multisig execute --multisig {multisig} --proposal <index> --send"
        ),
    ])
}

/// Carries `plan` out on paper on Solana: proposal files for a hot multisig's
/// transfer back to the vault's token account and for each spending-limit change
/// on the vault (step k of n: each change makes the vault's pending proposals
/// stale, so step k is proposed after step k−1 executed), and the `stablerail
/// solana transfer` command for a plain hot account.
pub async fn write_actions(
    rpc: &SolanaRpc,
    config: &Treasury,
    target: &Target<'_>,
    plan: &Plan,
) -> Result<Vec<Value>, TreasuryError> {
    let m = target.measurement;
    let mint = key(target.token)?;
    let vault = key(&m.vault)?;
    let vault_pda = pda::multisig_vault(&vault);
    let mint_account = rpc
        .account(&mint)
        .await
        .map_err(read_error)?
        .ok_or_else(|| read_error(format!("mint {mint} does not exist")))?;
    let token_program = mint_account.owner;
    let decimals = sol::mint_decimals(&token_program, &mint_account.data)
        .ok_or_else(|| read_error(format!("{mint} is not a token mint")))?;
    let vault_state: sol::Multisig = read(rpc, &vault, "vault multisig").await?;
    let vault_ata = pda::associated_token_account(&vault_pda, &mint, &token_program);
    let limits = plan
        .actions
        .iter()
        .filter(|a| matches!(a, Action::Limit { .. }))
        .count();
    let mut step = 0usize;
    let mut out = Vec::new();
    for action in &plan.actions {
        let view = match action {
            Action::MultisigTransfer { from, amount, .. } => {
                let hot = key(from)?;
                let state: sol::Multisig = read(rpc, &hot, "hot multisig").await?;
                let hot_vault = pda::multisig_vault(&hot);
                let units = u64::try_from(*amount).map_err(|_| read_error("amount beyond u64"))?;
                let ix = sol::transfer_checked(
                    &token_program,
                    &pda::associated_token_account(&hot_vault, &mint, &token_program),
                    &mint,
                    &vault_ata,
                    &hot_vault,
                    units,
                    decimals,
                )
                .map_err(read_error)?;
                let description = format!(
                    "treasury watch: move {} USDT from hot multisig {hot} back to the vault {vault} (transfer_checked of {units} from {hot_vault}'s token account to {vault_pda}'s)",
                    usdt(*amount),
                );
                let file =
                    SolanaProposalFile::new(&hot, description, &[ProposalInstruction::from(&ix)])
                        .map_err(read_error)?;
                let path = file_path(config, target, &format!("transfer-{from}"));
                save_solana(&file, &path)?;
                let path = path.display().to_string();
                json!({
                    "kind": "multisig_transfer",
                    "multisig": from,
                    "to": m.vault,
                    "to_token_account": vault_ata.to_string(),
                    "amount": amount.to_string(),
                    "covers": action.covers().to_string(),
                    "file": path,
                    "commands": proposal_commands(from, &path),
                    "threshold": state.threshold,
                    "time_lock": state.time_lock,
                })
            }
            Action::AccountTransfer { from, amount, .. } => json!({
                "kind": "account_transfer",
                "from": from,
                "to": m.vault,
                "to_owner": vault_pda.to_string(),
                "token": target.token,
                "amount": amount.to_string(),
                "covers": action.covers().to_string(),
                "command": format!(
                    "stablerail solana transfer --from {from} --mint {} --to {vault_pda} --amount {} --send",
                    target.token,
                    usdt(*amount),
                ),
                "env": format!("STABLERAIL_SOLANA_RPC_URL (the node's URL) and STABLERAIL_SOLANA_KEY (or --key-file): the key of {from}"),
            }),
            Action::Limit {
                spender,
                remaining,
                new_limit,
                ..
            } => {
                step += 1;
                let address = key(spender)?;
                let limit: sol::SpendingLimit = read(rpc, &address, "spending limit").await?;
                let program = MultisigProgram::new(vault);
                let mut ixs = vec![program.spending_limit_remove(&limit.create_key)];
                let call = if *new_limit == 0 {
                    "spending_limit_remove"
                } else {
                    let amount =
                        u64::try_from(*new_limit).map_err(|_| read_error("limit beyond u64"))?;
                    ixs.push(
                        program
                            .spending_limit_add(&SpendingLimitAddArgs {
                                create_key: limit.create_key,
                                mint: limit.mint,
                                amount,
                                period: limit.period,
                                spenders: limit.spenders.clone(),
                                destinations: limit.destinations.clone(),
                            })
                            .map_err(read_error)?,
                    );
                    "spending_limit_remove+spending_limit_add"
                };
                let what = if *new_limit == 0 {
                    format!("remove the spending limit {address}")
                } else {
                    format!(
                        "lower the spending limit {address} to {} USDT per period (removed and added again with the same create key)",
                        usdt(*new_limit)
                    )
                };
                let description = format!(
                    "treasury watch: {what} on the vault {vault} (it could still send {} USDT); step {step} of {limits}: propose it after the earlier steps executed (each limit change makes pending proposals stale)",
                    usdt(*remaining),
                );
                let instructions: Vec<ProposalInstruction> =
                    ixs.iter().map(ProposalInstruction::from).collect();
                let file = SolanaProposalFile::new(&vault, description, &instructions)
                    .map_err(read_error)?;
                let path = file_path(config, target, &format!("limit-{step}-{spender}"));
                save_solana(&file, &path)?;
                let path = path.display().to_string();
                json!({
                    "kind": "spending_limit",
                    "multisig": m.vault,
                    "spender": spender,
                    "call": call,
                    "remaining": remaining.to_string(),
                    "new_limit": new_limit.to_string(),
                    "covers": action.covers().to_string(),
                    "step": step,
                    "steps": limits,
                    "file": path,
                    "commands": proposal_commands(&m.vault, &path),
                    "threshold": vault_state.threshold,
                    "time_lock": vault_state.time_lock,
                })
            }
        };
        out.push(view);
    }
    Ok(out)
}
