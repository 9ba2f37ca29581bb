//! `stablerail evm multisig` / `stablerail tron multisig`: a proposal file passed
//! between owners. `propose` writes it (domain, owners, threshold and nonce read
//! from the contract), `sign` adds one owner's EIP-712 signature (offline), and
//! `execute` submits it (or schedules it behind the time lock; `execute-scheduled`
//! runs it later). `show` prints the multisig and the file's status.

use std::path::{Path, PathBuf};

use alloy::primitives::{Address, Bytes, U256};
use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use stablerail_sdk::evm::ProposalError;
use stablerail_sdk::evm::{
    Chain, MultiSigClient, MultiSigState, Proposal, ProposalFile, Submission,
};
use stablerail_sdk::tron::{TronClient, TronMultiSig};

use crate::escrow::views::emit_value;
use crate::evm::rpc as evm_rpc;
use crate::tron::send::{self as tron_send, TronSendArgs};
use crate::{inputs, keys, output::Output};

/// Arguments of `stablerail <chain> multisig`.
#[derive(Debug, Args)]
pub(crate) struct MultisigArgs {
    /// The chain of the multisig: evm or tron (default: the parent command's).
    #[arg(long, global = true)]
    chain: Option<String>,
    /// EVM: the node's JSON-RPC URL.
    #[arg(long, global = true, env = "STABLERAIL_RPC_URL")]
    rpc_url: Option<String>,
    /// TRON: the full node's HTTP URL.
    #[arg(long, global = true)]
    node: Option<String>,
    /// The multisig contract.
    #[arg(long, global = true)]
    multisig: Option<String>,
    /// File holding the key (else STABLERAIL_EVM_KEY, or STABLERAIL_TRON_KEY on TRON).
    #[arg(long, global = true)]
    key_file: Option<PathBuf>,
    /// EVM priority tip: low, normal, high, or a tip in gwei.
    #[arg(long, global = true, default_value = "normal")]
    priority: String,
    #[command(subcommand)]
    action: MultisigAction,
}

#[derive(Debug, Subcommand)]
enum MultisigAction {
    /// Write a proposal file for a call of `--to` (by ABI signature and arguments, or raw `--data`).
    Propose(ProposeArgs),
    /// Add the key's EIP-712 signature to a proposal file (offline).
    Sign {
        /// The proposal file.
        #[arg(long)]
        file: PathBuf,
    },
    /// Submit a signed proposal: execute it, or schedule it when the multisig has a time lock.
    Execute {
        /// The proposal file.
        #[arg(long)]
        file: PathBuf,
        #[command(flatten)]
        tron: TronSendArgs,
    },
    /// Execute a scheduled proposal once its time lock has passed.
    ExecuteScheduled {
        /// The proposal file.
        #[arg(long)]
        file: PathBuf,
        #[command(flatten)]
        tron: TronSendArgs,
    },
    /// Owners, threshold, nonce and time lock; with --file, the proposal's status.
    Show {
        /// A proposal file.
        #[arg(long)]
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
struct ProposeArgs {
    /// The contract the multisig will call (e.g. the escrow).
    #[arg(long)]
    to: String,
    /// Function signature (`resolve(uint256,uint16)`) or an escrow/multisig function name (`resolve`).
    #[arg(long, conflicts_with = "data")]
    call: Option<String>,
    /// The call's arguments, in order (addresses in the chain's form).
    #[arg(allow_negative_numbers = true)]
    args: Vec<String>,
    /// Raw calldata (0x hex) instead of --call.
    #[arg(long)]
    data: Option<String>,
    /// Native value sent with the call (wei or sun).
    #[arg(long, default_value = "0")]
    value: String,
    /// Seconds from now (chain time) until the proposal expires.
    #[arg(long, default_value_t = 86_400)]
    deadline_in: u64,
    /// Nonce (default: the multisig's current nonce; higher to queue behind pending ones).
    #[arg(long)]
    nonce: Option<String>,
    /// The least gas the inner call must get; the multisig refuses to run it with less
    /// (like Safe's safeTxGas), so a relayer cannot starve it.
    #[arg(long, default_value_t = 0)]
    min_gas: u64,
    /// Where to write the proposal file (must not exist).
    #[arg(long)]
    out: PathBuf,
}

/// Runs a multisig command; `default_chain` is the parent command's chain.
pub(crate) async fn run(
    out: &Output,
    args: MultisigArgs,
    default_chain: Chain,
) -> anyhow::Result<()> {
    let chain = match args.chain.as_deref() {
        Some(c) => c.parse().context("--chain must be evm or tron")?,
        None => default_chain,
    };
    let multisig = args
        .multisig
        .as_deref()
        .map(|m| chain.parse_address(m).context("--multisig"))
        .transpose()?;
    match &args.action {
        MultisigAction::Propose(p) => propose(out, &args, chain, multisig, p).await,
        MultisigAction::Sign { file } => sign(out, &args, chain, multisig, file),
        MultisigAction::Execute { file, tron } => {
            execute(out, &args, chain, multisig, file, tron, false).await
        }
        MultisigAction::ExecuteScheduled { file, tron } => {
            execute(out, &args, chain, multisig, file, tron, true).await
        }
        MultisigAction::Show { file } => show(out, &args, chain, multisig, file.as_deref()).await,
    }
}

/// The chain's reads behind one command.
enum Conn {
    Evm(
        Box<MultiSigClient<alloy::providers::DynProvider>>,
        alloy::providers::DynProvider,
    ),
    Tron(TronMultiSig, TronClient),
}

impl Conn {
    async fn open(
        args: &MultisigArgs,
        chain: Chain,
        multisig: Address,
        signer: Option<alloy::signers::local::PrivateKeySigner>,
        tron_caller: Option<stablerail_sdk::tron::Address>,
    ) -> anyhow::Result<Self> {
        Ok(match chain {
            Chain::Evm => {
                let url = args
                    .rpc_url
                    .as_deref()
                    .context("--rpc-url (or STABLERAIL_RPC_URL) is required on EVM")?;
                let level = inputs::priority(&args.priority)?;
                let sends = signer.is_some();
                let p = evm_rpc::provider(url, signer)?;
                let mut client = MultiSigClient::connect(multisig, p.clone()).await?;
                if sends {
                    client = client.with_fees(evm_rpc::fees(&p, level).await?);
                }
                Self::Evm(Box::new(client), p)
            }
            Chain::Tron => {
                let url = args.node.as_deref().context("--node is required on TRON")?;
                let client = TronClient::new(url)?;
                let address = stablerail_sdk::tron::Address::from_evm_bytes(multisig.into_array());
                let caller = tron_caller.unwrap_or(address);
                Self::Tron(TronMultiSig::new(client.clone(), address, caller), client)
            }
        })
    }

    async fn state(&self) -> anyhow::Result<MultiSigState> {
        Ok(match self {
            Self::Evm(c, _) => c.state().await?,
            Self::Tron(m, _) => m.state().await?,
        })
    }

    async fn now(&self) -> anyhow::Result<u64> {
        Ok(match self {
            Self::Evm(_, p) => evm_rpc::chain_time(p).await?,
            Self::Tron(_, c) => u64::try_from(c.now_block().await?.timestamp / 1000).unwrap_or(0),
        })
    }

    async fn scheduled_eta(&self, file: &ProposalFile) -> anyhow::Result<Option<u64>> {
        Ok(match self {
            Self::Evm(c, _) => c.scheduled_eta(file.digest()).await?,
            Self::Tron(m, _) => m.scheduled_eta(file.digest()).await?,
        })
    }
}

async fn propose(
    out: &Output,
    args: &MultisigArgs,
    chain: Chain,
    multisig: Option<Address>,
    p: &ProposeArgs,
) -> anyhow::Result<()> {
    // Validate everything before touching the network.
    let multisig = multisig.context("--multisig is required")?;
    let to = chain.parse_address(&p.to).context("--to")?;
    let (data, description) = match (&p.call, &p.data) {
        (Some(call), None) => {
            let (data, desc) = crate::proposal_call::encode(chain, call, &p.args)?;
            (data, Some(desc))
        }
        (None, Some(raw)) => {
            if !p.args.is_empty() {
                bail!("arguments are only taken with --call");
            }
            let data: Bytes = raw
                .parse()
                .with_context(|| format!("--data {raw:?} is not 0x hex"))?;
            (data, None)
        }
        _ => bail!("give --call <signature or name> with its arguments, or --data <hex>"),
    };
    let value: U256 = p
        .value
        .parse()
        .context("--value must be a whole number of wei/sun")?;
    let nonce = p
        .nonce
        .as_deref()
        .map(|n| inputs::id("--nonce", n))
        .transpose()?;
    if p.out.exists() {
        bail!(
            "{} exists; refusing to overwrite a proposal file",
            p.out.display()
        );
    }
    let conn = Conn::open(args, chain, multisig, None, None).await?;
    let domain = match &conn {
        Conn::Evm(c, _) => c.domain_fields().clone(),
        Conn::Tron(m, _) => m.domain_fields().await?,
    };
    let state = conn.state().await?;
    let now = conn.now().await?;
    let proposal = Proposal {
        to,
        value,
        data,
        nonce: nonce.unwrap_or(state.nonce),
        deadline: U256::from(now.saturating_add(p.deadline_in)),
        configVersion: state.config_version,
        minGas: U256::from(p.min_gas),
    };
    let file = ProposalFile::new(
        chain,
        multisig,
        domain,
        proposal,
        state.owners,
        state.threshold,
        state.time_lock,
        description,
    );
    file.save(&p.out)?;
    emit_value(out, &file_json(&file, Some(&p.out), None))
}

fn sign(
    out: &Output,
    args: &MultisigArgs,
    chain: Chain,
    multisig: Option<Address>,
    path: &Path,
) -> anyhow::Result<()> {
    let mut file = ProposalFile::load(path)?;
    // Signing is offline; the file carries everything signed. A given --multisig
    // (or --chain) must still match, so an owner never signs for the wrong wallet.
    file.check_target(chain, multisig.unwrap_or(file.multisig))?;
    let env = match file.chain {
        Chain::Evm => keys::EVM_KEY_ENV,
        Chain::Tron => keys::KEY_ENV,
    };
    let signer = keys::load_signer(args.key_file.as_deref(), env)?;
    file.sign(&signer, signer.address())?;
    drop(signer);
    file.save(path)?;
    emit_value(out, &file_json(&file, Some(path), None))
}

async fn execute(
    out: &Output,
    args: &MultisigArgs,
    chain: Chain,
    multisig: Option<Address>,
    path: &Path,
    tron: &TronSendArgs,
    scheduled: bool,
) -> anyhow::Result<()> {
    let mut file = ProposalFile::load(path)?;
    let multisig = multisig.unwrap_or(file.multisig);
    file.check_target(chain, multisig)?;
    let plan = tron.plan()?;
    match chain {
        Chain::Evm => {
            let signer = keys::load_signer(args.key_file.as_deref(), keys::EVM_KEY_ENV)?;
            let from = signer.address();
            let progress = out.progress("multisig: submitting, waiting for the receipt");
            let conn = Conn::open(args, chain, multisig, Some(signer), None).await?;
            let now = conn.now().await?;
            let Conn::Evm(client, _) = &conn else {
                bail!("not an EVM connection");
            };
            let (receipt, kind) = if scheduled {
                let eta = conn
                    .scheduled_eta(&file)
                    .await?
                    .ok_or(ProposalError::NotScheduled)?;
                if eta > now {
                    return Err(ProposalError::TimeLockPending { eta, now }.into());
                }
                (client.execute_scheduled(&file.proposal).await?, "executed")
            } else {
                let (receipt, was_scheduled) = client.submit(&file, now).await?;
                (
                    receipt,
                    if was_scheduled {
                        "scheduled"
                    } else {
                        "executed"
                    },
                )
            };
            let eta = if kind == "scheduled" {
                conn.scheduled_eta(&file).await?
            } else {
                None
            };
            file.submitted.push(Submission {
                kind: kind.to_owned(),
                tx: receipt.transaction_hash.to_string(),
                eta,
            });
            file.save(path)?;
            drop(progress);
            let mut v = file_json(&file, Some(path), None);
            v["submitted_by"] = json!(evm_rpc::show(from));
            v["tx_hash"] = json!(receipt.transaction_hash.to_string());
            v["block_number"] = json!(receipt.block_number);
            v["result"] = json!(kind);
            emit_value(out, &v)
        }
        Chain::Tron => {
            let key = keys::load(args.key_file.as_deref())?;
            let progress = out.progress("multisig: building, signing, sending");
            let conn = Conn::open(args, chain, multisig, None, Some(key.address())).await?;
            let now = conn.now().await?;
            let Conn::Tron(m, client) = &conn else {
                bail!("not a TRON connection");
            };
            let (call, kind) = if scheduled {
                (m.execute_scheduled_call(&file, now).await?, "executed")
            } else {
                let (call, was_scheduled) = m.submit_call(&file, now).await?;
                (
                    call,
                    if was_scheduled {
                        "scheduled"
                    } else {
                        "executed"
                    },
                )
            };
            let views = tron_send::send_all(client, &key, vec![call], &plan).await?;
            drop(key);
            drop(progress);
            if let Some(v) = views.first()
                && v.broadcast
            {
                file.submitted.push(Submission {
                    kind: kind.to_owned(),
                    tx: v.txid.clone(),
                    eta: None,
                });
                file.save(path)?;
            }
            let mut v = file_json(&file, Some(path), None);
            v["result"] = json!(if views.iter().any(|v| v.broadcast) {
                kind
            } else {
                "signed, not broadcast"
            });
            v["transactions"] = serde_json::to_value(&views)?;
            if out.json {
                emit_value(out, &v)
            } else {
                println!("{}", tron_send::render(&views));
                Ok(())
            }
        }
    }
}

async fn show(
    out: &Output,
    args: &MultisigArgs,
    chain: Chain,
    multisig: Option<Address>,
    path: Option<&Path>,
) -> anyhow::Result<()> {
    let file = path.map(ProposalFile::load).transpose()?;
    let multisig = multisig
        .or(file.as_ref().map(|f| f.multisig))
        .context("--multisig (or --file) is required")?;
    if let Some(f) = &file {
        f.check_target(chain, multisig)?;
    }
    let conn = Conn::open(args, chain, multisig, None, None).await?;
    let state = conn.state().await?;
    let now = conn.now().await?;
    let mut v = json!({
        "chain": chain.as_str(),
        "multisig": chain.render(multisig),
        "owners": state.owners.iter().map(|&o| chain.render(o)).collect::<Vec<_>>(),
        "threshold": state.threshold,
        "nonce": state.nonce.to_string(),
        "time_lock": state.time_lock,
    });
    if let Some(f) = &file {
        let eta = conn.scheduled_eta(f).await?;
        let status = status(f, &state, now, eta);
        v["proposal"] = file_json(f, path, Some(status));
    }
    emit_value(out, &v)
}

/// Where a proposal stands against the chain.
fn status(f: &ProposalFile, state: &MultiSigState, now: u64, eta: Option<u64>) -> String {
    let signed = f
        .signers()
        .iter()
        .filter(|s| state.owners.contains(s))
        .count();
    if let Some(eta) = eta {
        return if eta > now {
            format!("scheduled; executable from {eta} (chain time {now})")
        } else {
            "scheduled; time lock passed, run execute-scheduled".to_owned()
        };
    }
    match f.check_nonce(state.nonce) {
        Err(ProposalError::NonceUsed { .. }) => {
            return if f.submitted.iter().any(|s| s.kind == "executed") {
                "executed".to_owned()
            } else {
                "nonce used: executed or superseded".to_owned()
            };
        }
        Err(ProposalError::NonceAhead { .. }) => {
            return format!("waiting for nonce {} to execute first", state.nonce);
        }
        _ => {}
    }
    if f.deadline() <= now {
        return "expired".to_owned();
    }
    if signed >= state.threshold {
        "ready to execute".to_owned()
    } else {
        format!("collecting signatures ({signed} of {})", state.threshold)
    }
}

fn file_json(f: &ProposalFile, path: Option<&Path>, status: Option<String>) -> Value {
    let c = f.chain;
    let mut v = json!({
        "file": path.map(|p| p.display().to_string()),
        "chain": c.as_str(),
        "multisig": c.render(f.multisig),
        "to": c.render(f.proposal.to),
        "value": f.proposal.value.to_string(),
        "data": f.proposal.data.to_string(),
        "call": f.description,
        "nonce": f.proposal.nonce.to_string(),
        "deadline": f.deadline(),
        "chain_id": f.domain.chain_id.to_string(),
        "digest": f.digest().to_string(),
        "threshold": f.threshold,
        "signers": f.signers().iter().map(|&s| c.render(s)).collect::<Vec<_>>(),
    });
    if let Some(s) = status {
        v["status"] = json!(s);
    }
    v
}
