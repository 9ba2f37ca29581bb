//! Tether's own blacklist: the USDT contracts on Ethereum and TRON emit
//! `AddedBlackList(address)`, `RemovedBlackList(address)` and
//! `DestroyedBlackFunds(address,uint256)`, every parameter unindexed (in the data).
//! These rows feed the risk monitor's screening (DESIGN §11); they are stored whatever
//! `watched` says, since a blacklisting matters for every counterparty.

use alloy::{
    primitives::{B256, Log as PrimLog},
    sol,
    sol_types::SolEvent,
};

use crate::{
    chain::ChainKind,
    error::{Error, Result},
    events::EventRow,
};

sol! {
    /// Tether's `addBlackList`.
    event AddedBlackList(address _user);
    /// Tether's `removeBlackList`.
    event RemovedBlackList(address _user);
    /// Tether's `destroyBlackFunds`: the listed address's whole balance burned.
    event DestroyedBlackFunds(address _blackListedUser, uint256 _balance);
}

/// What a blacklist event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlacklistChange {
    /// The address was blacklisted.
    Added,
    /// The address was removed from the blacklist.
    Removed,
    /// The blacklisted address's balance was burned (it stays blacklisted).
    FundsDestroyed,
}

impl BlacklistChange {
    /// The `event` column's value.
    pub fn name(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Removed => "removed",
            Self::FundsDestroyed => "funds_destroyed",
        }
    }

    /// Whether the address is blacklisted after this event.
    pub fn blacklisted(self) -> bool {
        !matches!(self, Self::Removed)
    }
}

/// One blacklist event of the token, addresses in the chain's text form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlacklistEvent {
    /// The listed (or cleared) address.
    pub address: String,
    /// What happened to it.
    pub change: BlacklistChange,
    /// The burned balance, exact decimal (`FundsDestroyed` only).
    pub amount: Option<String>,
}

/// A row of `token_blacklist` (`contract` is the token).
pub type BlacklistEventRow = EventRow<BlacklistEvent>;

/// Topic-0 of the three events.
pub fn blacklist_topics() -> [B256; 3] {
    [
        AddedBlackList::SIGNATURE_HASH,
        RemovedBlackList::SIGNATURE_HASH,
        DestroyedBlackFunds::SIGNATURE_HASH,
    ]
}

/// Decodes a token log that is one of the three events; `Ok(None)` for any other topic,
/// an error for one of them in another layout.
pub fn decode_blacklist(
    kind: ChainKind,
    log: &PrimLog,
    block: u64,
    log_index: u64,
) -> Result<Option<BlacklistEvent>> {
    let Some(topic) = log.topics().first() else {
        return Ok(None);
    };
    let bad = |e: alloy::sol_types::Error| Error::Decode {
        block,
        log_index,
        reason: format!("blacklist event: {e}"),
    };
    let (address, change, amount) = match *topic {
        AddedBlackList::SIGNATURE_HASH => {
            let e = AddedBlackList::decode_log_data(&log.data).map_err(bad)?;
            (e._user, BlacklistChange::Added, None)
        }
        RemovedBlackList::SIGNATURE_HASH => {
            let e = RemovedBlackList::decode_log_data(&log.data).map_err(bad)?;
            (e._user, BlacklistChange::Removed, None)
        }
        DestroyedBlackFunds::SIGNATURE_HASH => {
            let e = DestroyedBlackFunds::decode_log_data(&log.data).map_err(bad)?;
            (
                e._blackListedUser,
                BlacklistChange::FundsDestroyed,
                Some(e._balance.to_string()),
            )
        }
        _ => return Ok(None),
    };
    Ok(Some(BlacklistEvent {
        address: kind.format_address(&address),
        change,
        amount,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{Address, U256, address, keccak256};

    #[test]
    fn topics_are_tethers_signatures() {
        assert_eq!(
            blacklist_topics(),
            [
                keccak256("AddedBlackList(address)"),
                keccak256("RemovedBlackList(address)"),
                keccak256("DestroyedBlackFunds(address,uint256)"),
            ]
        );
    }

    #[test]
    fn decodes_each_event_and_refuses_another_layout() {
        let who = address!("1111111111111111111111111111111111111111");
        let log = |data| PrimLog {
            address: Address::ZERO,
            data,
        };
        let added = log(AddedBlackList { _user: who }.encode_log_data());
        let got = decode_blacklist(ChainKind::Evm, &added, 1, 0)
            .unwrap()
            .unwrap();
        assert_eq!(got.change, BlacklistChange::Added);
        assert_eq!(got.address, format!("{who:#x}"));
        let burned = log(DestroyedBlackFunds {
            _blackListedUser: who,
            _balance: U256::from(123_456_789u64),
        }
        .encode_log_data());
        let got = decode_blacklist(ChainKind::Tron, &burned, 1, 0)
            .unwrap()
            .unwrap();
        assert_eq!(got.change, BlacklistChange::FundsDestroyed);
        assert!(got.change.blacklisted());
        assert_eq!(got.amount.as_deref(), Some("123456789"));
        assert!(got.address.starts_with('T'));
        // The address indexed (a topic) instead of in the data: not Tether's layout.
        let indexed = log(alloy::primitives::LogData::new_unchecked(
            vec![AddedBlackList::SIGNATURE_HASH, who.into_word()],
            Default::default(),
        ));
        assert!(matches!(
            decode_blacklist(ChainKind::Evm, &indexed, 1, 0),
            Err(Error::Decode { .. })
        ));
        let other = log(alloy::primitives::LogData::new_unchecked(
            vec![B256::ZERO],
            Default::default(),
        ));
        assert_eq!(
            decode_blacklist(ChainKind::Evm, &other, 1, 0).unwrap(),
            None
        );
    }
}
