//! The escrow program's events in the shared vocabulary of [`EscrowEvent`]
//! (docs/rules.md, "Events"): each maps to the contract event with the same meaning, so
//! the derived tables replay them unchanged. Two have no one-to-one counterpart and keep
//! the program's name: `ConfigInitialized` and `AuthoritiesUpdated` (the contract emits
//! one `*Set` event per role holder instead).

use anchor_lang::{AnchorDeserialize, Discriminator, prelude::Pubkey};
use stablerail_escrow::{
    events as ev,
    state::{Authorities, DealKind, DealState, FeeSchedule, FeeTier, Limits},
};

use super::Position;
use crate::{
    amount::Amount,
    error::Result,
    events::{AuthoritiesFields, EscrowEvent, LimitsFields, SettlementFields, TierFields},
};

/// Decodes one event payload (discriminator and borsh) of the escrow program; `None`
/// when the event belongs to another config of the same program.
pub(super) fn decode(data: &[u8], config: &str, at: &Position<'_>) -> Result<Option<EscrowEvent>> {
    macro_rules! try_events {
        ($($ty:ident),* $(,)?) => {
            $(
                if let Some(body) = data.strip_prefix(ev::$ty::DISCRIMINATOR) {
                    let e = ev::$ty::try_from_slice(body).map_err(|err| {
                        at.error(format!("escrow event {} does not decode: {err}", stringify!($ty)))
                    })?;
                    if e.config.to_string() != config {
                        return Ok(None);
                    }
                    return translate_event(Event::$ty(e), at).map(Some);
                }
            )*
        };
    }
    try_events!(
        ConfigInitialized,
        AuthoritiesUpdated,
        FeesUpdated,
        LimitsUpdated,
        PauseChanged,
        AccountOpened,
        RolesSet,
        AgentSet,
        KycSet,
        WithdrawalAddressRequested,
        WithdrawalAddressCancelled,
        WithdrawalAddressApplied,
        Deposited,
        Withdrawn,
        BuyOrderPosted,
        BuyOrderCancelled,
        BuyOrderFilled,
        DealOpened,
        PayoutAssigned,
        DealStateChanged,
        DealCancelled,
        DealSettled,
        BuyOrderRefilled,
        BuyOrderClosed,
        SurplusSwept,
        AcceptorLimitsSet,
        CoSignerChangeRequested,
        CoSignerSet,
        CoSignerChangeCancelled,
        OutflowCoSigned,
        OutflowCounted,
    );
    Err(at.error(format!(
        "unknown escrow event discriminator {}",
        hex::encode(data.get(..8).unwrap_or(data))
    )))
}

/// Every event of the program: the `match` in [`translate_event`] is exhaustive, so an
/// event added here fails the build until it is translated. One value lives for one
/// call, so the size of its largest variant costs nothing worth a heap allocation.
#[allow(clippy::large_enum_variant)]
enum Event {
    ConfigInitialized(ev::ConfigInitialized),
    AuthoritiesUpdated(ev::AuthoritiesUpdated),
    FeesUpdated(ev::FeesUpdated),
    LimitsUpdated(ev::LimitsUpdated),
    PauseChanged(ev::PauseChanged),
    AccountOpened(ev::AccountOpened),
    RolesSet(ev::RolesSet),
    AgentSet(ev::AgentSet),
    KycSet(ev::KycSet),
    WithdrawalAddressRequested(ev::WithdrawalAddressRequested),
    WithdrawalAddressCancelled(ev::WithdrawalAddressCancelled),
    WithdrawalAddressApplied(ev::WithdrawalAddressApplied),
    Deposited(ev::Deposited),
    Withdrawn(ev::Withdrawn),
    BuyOrderPosted(ev::BuyOrderPosted),
    BuyOrderCancelled(ev::BuyOrderCancelled),
    BuyOrderFilled(ev::BuyOrderFilled),
    DealOpened(ev::DealOpened),
    PayoutAssigned(ev::PayoutAssigned),
    DealStateChanged(ev::DealStateChanged),
    DealCancelled(ev::DealCancelled),
    DealSettled(ev::DealSettled),
    BuyOrderRefilled(ev::BuyOrderRefilled),
    BuyOrderClosed(ev::BuyOrderClosed),
    SurplusSwept(ev::SurplusSwept),
    AcceptorLimitsSet(ev::AcceptorLimitsSet),
    CoSignerChangeRequested(ev::CoSignerChangeRequested),
    CoSignerSet(ev::CoSignerSet),
    CoSignerChangeCancelled(ev::CoSignerChangeCancelled),
    OutflowCoSigned(ev::OutflowCoSigned),
    OutflowCounted(ev::OutflowCounted),
}

fn key(k: &Pubkey) -> String {
    k.to_string()
}

fn opt_key(k: &Option<Pubkey>) -> Option<String> {
    k.as_ref().map(key)
}

fn deal_kind(k: DealKind) -> String {
    match k {
        DealKind::Trade => "trade",
        DealKind::Collection => "collection",
        DealKind::Payout => "payout",
    }
    .into()
}

fn reference(r: &[u8; 32]) -> String {
    format!("0x{}", hex::encode(r))
}

fn tiers(t: &[FeeTier], count: u8) -> Vec<TierFields> {
    t.iter()
        .take(usize::from(count))
        .map(|t| TierFields {
            threshold: t.threshold,
            bps: t.bps,
        })
        .collect()
}

fn authorities(a: &Authorities) -> AuthoritiesFields {
    AuthoritiesFields {
        admin: key(&a.admin),
        guardian: key(&a.guardian),
        arbiter: key(&a.arbiter),
        dispatcher: key(&a.dispatcher),
        compliance: key(&a.compliance),
        treasury: key(&a.treasury),
    }
}

fn fee_schedule(f: &FeeSchedule) -> EscrowEvent {
    EscrowEvent::FeeScheduleSet {
        merchant_tiers: tiers(&f.merchant_tiers, f.merchant_tier_count),
        agent_tiers: tiers(&f.agent_tiers, f.agent_tier_count),
        trader_reward_bps: f.trader_reward_bps,
    }
}

fn limits(l: &Limits, at: &Position<'_>) -> Result<LimitsFields> {
    Ok(LimitsFields {
        min_payment_window: l.min_payment_window_secs,
        max_payment_window: l.max_payment_window_secs,
        max_deal_amount: Amount::from(l.max_deal_amount),
        min_kyc_level: l.min_kyc_level,
        withdrawal_delay: u32::try_from(l.withdrawal_delay_secs)
            .map_err(|_| at.error("withdrawal delay outside 0..=u32::MAX".into()))?,
    })
}

fn unsigned(v: i64, what: &str, at: &Position<'_>) -> Result<u64> {
    u64::try_from(v).map_err(|_| at.error(format!("negative {what}")))
}

/// A settled deal's parts as the contract's `Settlement` reports them.
fn settlement(e: &ev::DealSettled) -> SettlementFields {
    SettlementFields {
        deal_kind: deal_kind(e.kind),
        merchant: key(&e.merchant),
        agent: opt_key(&e.agent),
        amount: Amount::from(e.gross),
        buyer_net: Amount::from(e.buyer_net),
        fee: Amount::from(e.fee),
        agent_cut: Amount::from(e.agent_cut),
        reward: Amount::from(e.reward),
        platform: Amount::from(e.platform),
    }
}

fn translate_event(e: Event, at: &Position<'_>) -> Result<EscrowEvent> {
    use EscrowEvent as E;
    Ok(match e {
        Event::ConfigInitialized(e) => E::ConfigInitialized {
            authorities: authorities(&e.authorities),
            usdt_mint: key(&e.usdt_mint),
            vault: key(&e.vault),
            merchant_tiers: tiers(&e.fees.merchant_tiers, e.fees.merchant_tier_count),
            agent_tiers: tiers(&e.fees.agent_tiers, e.fees.agent_tier_count),
            trader_reward_bps: e.fees.trader_reward_bps,
            limits: limits(&e.limits, at)?,
        },
        Event::AuthoritiesUpdated(e) => E::AuthoritiesUpdated {
            authorities: authorities(&e.authorities),
        },
        Event::FeesUpdated(e) => fee_schedule(&e.fees),
        Event::LimitsUpdated(e) => E::LimitsSet {
            limits: limits(&e.limits, at)?,
        },
        Event::PauseChanged(e) if e.paused => E::Paused {
            account: key(&e.by),
        },
        Event::PauseChanged(e) => E::Unpaused {
            account: key(&e.by),
        },
        Event::AccountOpened(e) => E::AccountOpened {
            account: key(&e.wallet),
        },
        Event::RolesSet(e) => E::RolesSet {
            account: key(&e.wallet),
            roles: e.roles,
        },
        Event::AgentSet(e) => E::AgentSet {
            merchant: key(&e.wallet),
            agent: key(&e.agent),
        },
        Event::KycSet(e) => E::KycSet {
            account: key(&e.wallet),
            kyc_level: e.kyc_level,
            region: e.region,
        },
        Event::WithdrawalAddressRequested(e) => E::WithdrawalAddressChangeRequested {
            account: key(&e.wallet),
            new_address: key(&e.address),
            effective_at: unsigned(e.effective_at, "effective time", at)?,
        },
        Event::WithdrawalAddressCancelled(e) => E::WithdrawalAddressChangeCancelled {
            account: key(&e.wallet),
            cancelled_address: key(&e.address),
        },
        Event::WithdrawalAddressApplied(e) => E::WithdrawalAddressChanged {
            account: key(&e.wallet),
            new_address: key(&e.address),
        },
        Event::Deposited(e) => E::Deposited {
            account: key(&e.wallet),
            amount: Amount::from(e.amount),
        },
        Event::Withdrawn(e) => E::Withdrawn {
            account: key(&e.wallet),
            to: key(&e.destination),
            amount: Amount::from(e.amount),
        },
        Event::BuyOrderPosted(e) => E::BuyOrderPosted {
            order_id: e.order_id,
            merchant: key(&e.merchant),
            price: e.price_minor,
            currency: String::from_utf8_lossy(&e.currency)
                .trim_end_matches('\0')
                .to_owned(),
            amount: Amount::from(e.amount),
            min_fill: Amount::from(e.min_fill),
            max_fill: Amount::from(e.max_fill),
            expiry: unsigned(e.expiry, "order expiry", at)?,
            payment_window: e.payment_window_secs,
        },
        Event::BuyOrderCancelled(e) => E::BuyOrderCancelled {
            order_id: e.order_id,
            merchant: key(&e.merchant),
            remaining: Amount::from(e.remaining),
        },
        Event::BuyOrderFilled(e) => E::BuyOrderFilled {
            order_id: e.order_id,
            deal_id: e.deal_id,
            trader: key(&e.trader),
            amount: Amount::from(e.amount),
            remaining: Amount::from(e.remaining),
        },
        Event::DealOpened(e) => {
            // An unassigned payout has the default key as buyer and no deadline; an
            // assigned deal's deadline is the open time plus its payment window.
            let buyer = (e.buyer != Pubkey::default()).then(|| key(&e.buyer));
            let payment_window = if buyer.is_some() {
                u32::try_from(e.deadline.saturating_sub(at.block_time)).unwrap_or(0)
            } else {
                0
            };
            E::DealOpened {
                deal_id: e.deal_id,
                deal_kind: deal_kind(e.kind),
                seller: key(&e.seller),
                buyer,
                merchant: key(&e.merchant),
                amount: Amount::from(e.amount),
                payment_window,
                deadline: unsigned(e.deadline, "deadline", at)?,
                order_ref: reference(&e.reference),
                fee_bps: e.fee_bps,
                rate_agent: opt_key(&e.agent),
                agent_share_bps: e.agent_share_bps,
                reward_bps: e.reward_bps,
            }
        }
        Event::PayoutAssigned(e) => E::DealAssigned {
            deal_id: e.deal_id,
            buyer: key(&e.acceptor),
            deadline: unsigned(e.deadline, "deadline", at)?,
        },
        Event::DealStateChanged(e) => match e.state {
            DealState::Paid => E::DealMarkedPaid {
                deal_id: e.deal_id,
                by: key(&e.by),
            },
            DealState::Disputed => E::DealDisputed {
                deal_id: e.deal_id,
                by: key(&e.by),
                disputed_at: unsigned(e.disputed_at, "dispute time", at)?,
            },
            other => {
                return Err(at.error(format!(
                    "DealStateChanged to {other:?}: final states come as DealSettled or DealCancelled"
                )));
            }
        },
        Event::DealCancelled(e) => E::DealCancelled {
            deal_id: e.deal_id,
            by: key(&e.by),
            seller: key(&e.seller),
            amount: Amount::from(e.amount),
        },
        Event::DealSettled(e) => match e.outcome {
            DealState::Released => E::DealReleased {
                deal_id: e.deal_id,
                seller: key(&e.seller),
                buyer: key(&e.buyer),
                settlement: settlement(&e),
            },
            DealState::Resolved => E::DealResolved {
                deal_id: e.deal_id,
                seller: key(&e.seller),
                buyer: key(&e.buyer),
                buyer_share_bps: e.buyer_share_bps,
                seller_refund: Amount::from(e.refund),
                settlement: settlement(&e),
            },
            other => {
                return Err(at.error(format!("DealSettled with outcome {other:?}")));
            }
        },
        Event::BuyOrderRefilled(e) => E::BuyOrderRefilled {
            order_id: e.order_id,
            deal_id: e.deal_id,
            amount: Amount::from(e.amount),
        },
        Event::BuyOrderClosed(e) => E::BuyOrderClosed {
            order_id: e.order_id,
        },
        Event::SurplusSwept(e) => E::SurplusSwept {
            treasury: key(&e.treasury),
            amount: Amount::from(e.amount),
        },
        Event::AcceptorLimitsSet(e) => E::AcceptorLimitsSet {
            account: key(&e.wallet),
            online: e.online,
            max_per_deal: e.max_per_deal,
            max_locked: e.max_locked,
        },
        Event::CoSignerChangeRequested(e) => E::CoSignerChangeRequested {
            account: key(&e.wallet),
            co_signer: opt_key(&e.co_signer),
            daily_allowance: e.daily_allowance,
            effective_at: unsigned(e.effective_at, "effective time", at)?,
        },
        Event::CoSignerSet(e) => E::CoSignerSet {
            account: key(&e.wallet),
            co_signer: opt_key(&e.co_signer),
            daily_allowance: e.daily_allowance,
        },
        Event::CoSignerChangeCancelled(e) => E::CoSignerChangeCancelled {
            account: key(&e.wallet),
        },
        Event::OutflowCoSigned(e) => E::OutflowCoSigned {
            account: key(&e.wallet),
            action: e.action,
            subject: e.subject.to_string(),
        },
        Event::OutflowCounted(e) => E::OutflowCounted {
            account: key(&e.wallet),
            day: u32::try_from(e.day).map_err(|_| at.error("outflow day outside u32".into()))?,
            outflow_today: e.outflow_today,
        },
    })
}
