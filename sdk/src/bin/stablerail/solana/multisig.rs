//! `stablerail solana multisig`: propose escrow admin actions (or the exact
//! instructions of a proposal file, such as the treasury watch writes) for the
//! vault to sign, approve them, and execute them.

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use serde_json::json;
use stablerail_sdk::Roles;
use stablerail_sdk::solana::sdk::Instruction;
use stablerail_sdk::solana::{self as sol, EscrowProgram, MultisigProgram, ProposalInstruction};

use super::{TxArgs, finish, pubkey};
use crate::output::Output;

/// `stablerail solana multisig` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum MultisigCommand {
    /// Owner: propose an escrow action for the multisig's vault to sign.
    Propose(ProposeArgs),
    /// Owner: approve a proposal.
    Approve(ProposalArgs),
    /// Owner: execute an approved proposal (its instructions read from the chain).
    Execute(ProposalArgs),
}

/// Arguments of `propose`.
#[derive(Debug, Args)]
pub(crate) struct ProposeArgs {
    /// The multisig address (base58).
    #[arg(long)]
    multisig: String,
    /// Seconds until the proposal expires.
    #[arg(long, default_value_t = 7 * 86_400)]
    expires_in_secs: u32,
    #[command(flatten)]
    tx: TxArgs,
    #[command(subcommand)]
    action: ProposalAction,
}

/// What the vault is to sign (the vault is the escrow's admin and arbiter).
#[derive(Debug, Subcommand)]
pub(crate) enum ProposalAction {
    /// The instructions of a Solana proposal file (JSON: multisig, description,
    /// instructions), proposed exactly as written; the file must name --multisig.
    File {
        /// The proposal file.
        #[arg(long)]
        path: std::path::PathBuf,
    },
    /// Arbiter: resolve a disputed deal with the buyer's share in bps.
    DealResolve {
        /// The escrow config address.
        #[arg(long)]
        escrow_config: String,
        /// The deal id.
        #[arg(long)]
        deal: u64,
        /// The buyer's share, 0..=10000 bps.
        #[arg(long)]
        buyer_share_bps: u16,
    },
    /// Admin: pause the escrow.
    Pause {
        /// The escrow config address.
        #[arg(long)]
        escrow_config: String,
    },
    /// Admin: unpause the escrow.
    Unpause {
        /// The escrow config address.
        #[arg(long)]
        escrow_config: String,
    },
    /// Admin: set a wallet's roles.
    SetRoles {
        /// The escrow config address.
        #[arg(long)]
        escrow_config: String,
        /// The wallet.
        #[arg(long)]
        wallet: String,
        /// Comma-separated roles: merchant, acceptor, agent (empty: none).
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
    },
    /// Admin: replace the fee schedule.
    SetFees {
        /// The escrow config address.
        #[arg(long)]
        escrow_config: String,
        /// Merchant tiers as `threshold:bps` pairs, thresholds in USDT: `0:100,1000:80`.
        #[arg(long)]
        tiers: String,
        /// Agent share tiers as `threshold:bps` pairs, thresholds in USDT.
        #[arg(long)]
        agent_tiers: String,
        /// The trader's share of the fee on Trade deals, in bps.
        #[arg(long)]
        reward_bps: u16,
    },
    /// Admin: set a merchant's agent (once).
    SetAgent {
        /// The escrow config address.
        #[arg(long)]
        escrow_config: String,
        /// The merchant wallet.
        #[arg(long)]
        merchant: String,
        /// The agent wallet.
        #[arg(long)]
        agent: String,
    },
}

/// Arguments of `approve` and `execute`.
#[derive(Debug, Args)]
pub(crate) struct ProposalArgs {
    /// The multisig address (base58).
    #[arg(long)]
    multisig: String,
    /// The proposal index.
    #[arg(long)]
    proposal: u64,
    #[command(flatten)]
    tx: TxArgs,
}

/// Runs a `stablerail solana multisig` subcommand.
pub(crate) async fn run(out: &Output, cmd: MultisigCommand) -> anyhow::Result<()> {
    match cmd {
        MultisigCommand::Propose(a) => propose(out, &a).await,
        MultisigCommand::Approve(a) => approve(out, &a).await,
        MultisigCommand::Execute(a) => execute(out, &a).await,
    }
}

fn roles(names: &[String]) -> anyhow::Result<Roles> {
    names
        .iter()
        .filter(|n| !n.trim().is_empty())
        .try_fold(Roles::NONE, |bits, n| match Roles::from_name(n.trim()) {
            Some(role) => Ok(bits | role),
            None => bail!(
                "--roles: unknown role {:?} (merchant, acceptor, agent)",
                n.trim()
            ),
        })
}

/// A fee schedule from the command line's tier lists.
fn fee_schedule(
    tiers: &str,
    agent_tiers: &str,
    reward_bps: u16,
) -> anyhow::Result<sol::FeeScheduleArgs> {
    let convert = |flag: &str, spec: &str| -> anyhow::Result<Vec<sol::FeeTier>> {
        crate::fees::parse_tiers(flag, spec)?
            .into_iter()
            .map(|t| {
                Ok(sol::FeeTier {
                    threshold: t.threshold,
                    bps: u16::try_from(t.bps)
                        .with_context(|| format!("{flag}: {} bps is too large", t.bps))?,
                })
            })
            .collect()
    };
    Ok(sol::FeeScheduleArgs {
        merchant_tiers: convert("--tiers", tiers)?,
        agent_tiers: convert("--agent-tiers", agent_tiers)?,
        trader_reward_bps: reward_bps,
    })
}

/// The action's instructions, signed by `vault`; settlement accounts read from the
/// chain.
async fn action_instructions(
    rpc: &sol::SolanaRpc,
    multisig: &MultisigProgram,
    action: &ProposalAction,
) -> anyhow::Result<(Vec<ProposalInstruction>, serde_json::Value)> {
    if let ProposalAction::File { path } = action {
        let file = proposal_file(path, multisig)?;
        return Ok((
            file.instructions()?,
            json!({"file": {"path": path.display().to_string(), "description": file.description, "instructions": file.instructions.len()}}),
        ));
    }
    let (ix, view) = action_instruction(rpc, &multisig.vault(), action).await?;
    Ok((vec![ProposalInstruction::from(&ix)], view))
}

/// A proposal file for `multisig` (any other multisig's file is refused).
fn proposal_file(
    path: &std::path::Path,
    multisig: &MultisigProgram,
) -> anyhow::Result<sol::SolanaProposalFile> {
    let file = sol::SolanaProposalFile::load(path)?;
    if file.multisig()? != multisig.multisig {
        bail!(
            "{} is a proposal for multisig {}, not --multisig {}",
            path.display(),
            file.multisig,
            multisig.multisig
        );
    }
    Ok(file)
}

/// The action's instruction, signed by `vault`; settlement accounts read from the chain.
async fn action_instruction(
    rpc: &sol::SolanaRpc,
    vault: &sol::sdk::Pubkey,
    action: &ProposalAction,
) -> anyhow::Result<(Instruction, serde_json::Value)> {
    Ok(match action {
        ProposalAction::File { .. } => bail!("a proposal file carries its own instructions"),
        ProposalAction::DealResolve {
            escrow_config,
            deal,
            buyer_share_bps,
        } => {
            let escrow = EscrowProgram::new(pubkey("--escrow-config", escrow_config)?);
            let state: sol::Deal = rpc.decoded(&escrow.deal(*deal), "deal").await?;
            let cfg: sol::Config = rpc.decoded(&escrow.config, "escrow config").await?;
            let ix =
                escrow.deal_resolve(vault, *deal, &state.settlement(&cfg), *buyer_share_bps)?;
            (
                ix,
                json!({"deal_resolve": {"deal": deal, "buyer_share_bps": buyer_share_bps}}),
            )
        }
        ProposalAction::Pause { escrow_config } => {
            let escrow = EscrowProgram::new(pubkey("--escrow-config", escrow_config)?);
            (escrow.config_pause(vault), json!({"config_pause": {}}))
        }
        ProposalAction::Unpause { escrow_config } => {
            let escrow = EscrowProgram::new(pubkey("--escrow-config", escrow_config)?);
            (escrow.config_unpause(vault), json!({"config_unpause": {}}))
        }
        ProposalAction::SetRoles {
            escrow_config,
            wallet,
            roles: names,
        } => {
            let escrow = EscrowProgram::new(pubkey("--escrow-config", escrow_config)?);
            let wallet = pubkey("--wallet", wallet)?;
            let bits = roles(names)?;
            (
                escrow.account_set_roles(vault, &wallet, bits)?,
                json!({"account_set_roles": {"wallet": wallet.to_string(), "roles": bits.bits()}}),
            )
        }
        ProposalAction::SetFees {
            escrow_config,
            tiers,
            agent_tiers,
            reward_bps,
        } => {
            let escrow = EscrowProgram::new(pubkey("--escrow-config", escrow_config)?);
            let fees = fee_schedule(tiers, agent_tiers, *reward_bps)?;
            (
                escrow.config_set_fees(vault, &fees)?,
                json!({"config_set_fees": {"merchant_tiers": tiers, "agent_tiers": agent_tiers, "trader_reward_bps": reward_bps}}),
            )
        }
        ProposalAction::SetAgent {
            escrow_config,
            merchant,
            agent,
        } => {
            let escrow = EscrowProgram::new(pubkey("--escrow-config", escrow_config)?);
            let merchant = pubkey("--merchant", merchant)?;
            let agent = pubkey("--agent", agent)?;
            (
                escrow.account_set_agent(vault, &merchant, &agent)?,
                json!({"account_set_agent": {"merchant": merchant.to_string(), "agent": agent.to_string()}}),
            )
        }
    })
}

/// Checks the action's own inputs without the network.
fn validate_action(action: &ProposalAction, multisig: &MultisigProgram) -> anyhow::Result<()> {
    match action {
        ProposalAction::File { path } => {
            proposal_file(path, multisig)?;
        }
        ProposalAction::DealResolve {
            escrow_config,
            buyer_share_bps,
            ..
        } => {
            pubkey("--escrow-config", escrow_config)?;
            if *buyer_share_bps > 10_000 {
                bail!("--buyer-share-bps must be at most 10000");
            }
        }
        ProposalAction::Pause { escrow_config } | ProposalAction::Unpause { escrow_config } => {
            pubkey("--escrow-config", escrow_config)?;
        }
        ProposalAction::SetRoles {
            escrow_config,
            wallet,
            roles: names,
        } => {
            pubkey("--escrow-config", escrow_config)?;
            pubkey("--wallet", wallet)?;
            roles(names)?;
        }
        ProposalAction::SetFees {
            escrow_config,
            tiers,
            agent_tiers,
            reward_bps,
        } => {
            pubkey("--escrow-config", escrow_config)?;
            fee_schedule(tiers, agent_tiers, *reward_bps)?.validate()?;
        }
        ProposalAction::SetAgent {
            escrow_config,
            merchant,
            agent,
        } => {
            pubkey("--escrow-config", escrow_config)?;
            if pubkey("--merchant", merchant)? == pubkey("--agent", agent)? {
                bail!("--agent must differ from --merchant");
            }
        }
    }
    Ok(())
}

async fn propose(out: &Output, a: &ProposeArgs) -> anyhow::Result<()> {
    let multisig = MultisigProgram::new(pubkey("--multisig", &a.multisig)?);
    validate_action(&a.action, &multisig)?;
    let session = a.tx.open()?;
    let rpc = &session.rpc;
    let state: sol::Multisig = rpc
        .decoded(&multisig.multisig, "multisig")
        .await
        .context("reading the multisig")?;
    let index = state.transaction_index + 1;
    let (instructions, action) = action_instructions(rpc, &multisig, &a.action).await?;
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs(),
    )?;
    let expires_at = now + i64::from(a.expires_in_secs);
    let create = multisig.proposal_create(&session.signer(), index, &instructions, expires_at)?;
    let details = json!({"proposal": index, "expires_at": expires_at, "action": action});
    finish(out, session, "proposal_create", vec![create], details).await
}

async fn approve(out: &Output, a: &ProposalArgs) -> anyhow::Result<()> {
    let multisig = MultisigProgram::new(pubkey("--multisig", &a.multisig)?);
    let session = a.tx.open()?;
    let ix = multisig.proposal_approve(&session.signer(), a.proposal);
    let details = json!({"proposal": a.proposal});
    finish(out, session, "proposal_approve", vec![ix], details).await
}

async fn execute(out: &Output, a: &ProposalArgs) -> anyhow::Result<()> {
    let multisig = MultisigProgram::new(pubkey("--multisig", &a.multisig)?);
    let session = a.tx.open()?;
    let proposal: sol::Proposal = session
        .rpc
        .decoded(&multisig.proposal(a.proposal), "proposal")
        .await
        .with_context(|| format!("proposal {}", a.proposal))?;
    let ix = multisig.proposal_execute(&session.signer(), a.proposal, &proposal.instructions);
    let details = json!({"proposal": a.proposal, "status": format!("{:?}", proposal.status), "instructions": proposal.instructions.len()});
    finish(out, session, "proposal_execute", vec![ix], details).await
}
