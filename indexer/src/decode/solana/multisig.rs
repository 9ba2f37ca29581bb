//! The multisig program's events as [`MultisigEvent`] rows. The Solana multisig is
//! Squads-style (proposals voted on chain), so most of its events keep the program's
//! names; `ProposalExecuted` and `SpendingLimitRemoved` share the contract's.

use anchor_lang::{AnchorDeserialize, Discriminator, prelude::Pubkey};
use stablerail_multisig::{
    events::{self as ev, Vote},
    state::{Period, seeds::SEED_PREFIX, seeds::SEED_PROPOSAL},
};

use super::Position;
use crate::{error::Result, events::MultisigEvent};

/// Decodes one event payload of the multisig program; `None` when it belongs to
/// another multisig.
pub(super) fn decode(
    data: &[u8],
    multisig: &str,
    at: &Position<'_>,
) -> Result<Option<MultisigEvent>> {
    macro_rules! try_events {
        ($($ty:ident),* $(,)?) => {
            $(
                if let Some(body) = data.strip_prefix(ev::$ty::DISCRIMINATOR) {
                    let e = ev::$ty::try_from_slice(body).map_err(|err| {
                        at.error(format!("multisig event {} does not decode: {err}", stringify!($ty)))
                    })?;
                    if e.multisig.to_string() != multisig {
                        return Ok(None);
                    }
                    return Ok(Some(translate_event(Event::$ty(e))));
                }
            )*
        };
    }
    try_events!(
        MultisigCreated,
        ProposalCreated,
        ProposalVoted,
        ProposalExecuted,
        ProposalClosed,
        ConfigChanged,
        SpendingLimitAdded,
        SpendingLimitRemoved,
        SpendingLimitUsed,
    );
    Err(at.error(format!(
        "unknown multisig event discriminator {}",
        hex::encode(data.get(..8).unwrap_or(data))
    )))
}

/// Every event of the program; [`translate_event`]'s `match` is exhaustive.
enum Event {
    MultisigCreated(ev::MultisigCreated),
    ProposalCreated(ev::ProposalCreated),
    ProposalVoted(ev::ProposalVoted),
    ProposalExecuted(ev::ProposalExecuted),
    ProposalClosed(ev::ProposalClosed),
    ConfigChanged(ev::ConfigChanged),
    SpendingLimitAdded(ev::SpendingLimitAdded),
    SpendingLimitRemoved(ev::SpendingLimitRemoved),
    SpendingLimitUsed(ev::SpendingLimitUsed),
}

fn keys(k: &[Pubkey]) -> Vec<String> {
    k.iter().map(Pubkey::to_string).collect()
}

fn translate_event(e: Event) -> MultisigEvent {
    use MultisigEvent as M;
    match e {
        Event::MultisigCreated(e) => M::MultisigCreated {
            vault: e.vault.to_string(),
            owners: keys(&e.owners),
            threshold: e.threshold,
            time_lock: e.time_lock,
        },
        Event::ProposalCreated(e) => M::ProposalCreated {
            proposal: e.proposal.to_string(),
            index: e.index,
            creator: e.creator.to_string(),
            expires_at: e.expires_at,
        },
        Event::ProposalVoted(e) => M::ProposalVoted {
            index: e.index,
            owner: e.owner.to_string(),
            vote: match e.vote {
                Vote::Approve => "approve",
                Vote::Reject => "reject",
                Vote::Cancel => "cancel",
            }
            .into(),
            status: e.status,
        },
        Event::ProposalExecuted(e) => {
            let (proposal, _) = Pubkey::find_program_address(
                &[
                    SEED_PREFIX,
                    e.multisig.as_ref(),
                    SEED_PROPOSAL,
                    &e.index.to_le_bytes(),
                ],
                &stablerail_multisig::ID,
            );
            M::ProposalExecuted {
                proposal_hash: proposal.to_string(),
                nonce: e.index.to_string(),
                to: None,
                value: None,
                data: None,
                executor: Some(e.executor.to_string()),
            }
        }
        Event::ProposalClosed(e) => M::ProposalClosed { index: e.index },
        Event::ConfigChanged(e) => M::ConfigChanged {
            owners: keys(&e.owners),
            threshold: e.threshold,
            time_lock: e.time_lock,
            stale_transaction_index: e.stale_transaction_index,
        },
        Event::SpendingLimitAdded(e) => M::SpendingLimitAdded {
            spending_limit: e.spending_limit.to_string(),
            mint: e.mint.to_string(),
            amount: e.amount.to_string(),
            period: match e.period {
                Period::OneTime => "one_time",
                Period::Day => "day",
                Period::Week => "week",
                Period::Month => "month",
            }
            .into(),
        },
        Event::SpendingLimitRemoved(e) => M::SpendingLimitRemoved {
            spender: None,
            token: None,
            spending_limit: Some(e.spending_limit.to_string()),
        },
        Event::SpendingLimitUsed(e) => M::SpendingLimitUsed {
            spending_limit: e.spending_limit.to_string(),
            spender: e.spender.to_string(),
            destination: e.destination.to_string(),
            amount: e.amount.to_string(),
            remaining: e.remaining.to_string(),
        },
    }
}
