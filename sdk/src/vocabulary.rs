//! The escrow's words every chain shares (docs/rules.md, "Roles and keys" and the
//! name table): the kind of a deal and an account's role bits. One type each for
//! the EVM and TRON contract, the Solana program, the reference ledger and the
//! CLI; the chain encodings are conversions of it:
//!
//! - [`DealKind`]: the contract's `uint8 DealKind` is [`DealKind::code`] /
//!   [`DealKind::from_code`]; the program's Anchor enum is the Borsh encoding
//!   (one byte, the same numbers); the settlement vectors and the indexer write
//!   [`DealKind::name`] (`trade`, `collection`, `payout`).
//! - [`Roles`]: the same bits on every chain (the contract's `ROLE_*` constants,
//!   the program's `ROLE_*` constants), a `uint8` / `u8` on the wire.

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// What a deal is for (DESIGN §4); only a [`DealKind::Trade`] pays the trader reward.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    BorshSerialize,
    BorshDeserialize,
)]
#[serde(rename_all = "snake_case")]
#[borsh(use_discriminant = true)]
#[repr(u8)]
pub enum DealKind {
    /// A trader sells into a merchant's buy order.
    Trade = 0,
    /// The dispatcher assigns a customer payment to an acceptor's collateral.
    Collection = 1,
    /// A merchant's USDT goes to an acceptor who pays fiat to the merchant's bank.
    Payout = 2,
}

impl DealKind {
    /// Every kind, in code order.
    pub const ALL: [Self; 3] = [Self::Trade, Self::Collection, Self::Payout];

    /// The chains' number of the kind: the contract's `DealKind` and the
    /// program's enum tag.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The kind numbered `code` on chain, if any.
    pub const fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Self::Trade),
            1 => Some(Self::Collection),
            2 => Some(Self::Payout),
            _ => None,
        }
    }

    /// `trade`, `collection` or `payout`, as the vectors and the indexer write it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Trade => "trade",
            Self::Collection => "collection",
            Self::Payout => "payout",
        }
    }
}

impl fmt::Display for DealKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<DealKind> for u8 {
    fn from(kind: DealKind) -> Self {
        kind.code()
    }
}

/// An account's role bits (docs/rules.md, "Roles and keys"), the same on every
/// chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, BorshSerialize, BorshDeserialize)]
pub struct Roles(pub u8);

impl Roles {
    /// No role.
    pub const NONE: Self = Self(0);
    /// May post buy orders, open payouts and receive collections.
    pub const MERCHANT: Self = Self(1 << 0);
    /// May be assigned collections and payouts.
    pub const ACCEPTOR: Self = Self(1 << 1);
    /// May refer merchants and earn a commission.
    pub const AGENT: Self = Self(1 << 2);
    /// Every defined role.
    pub const ALL: Self = Self(Self::MERCHANT.0 | Self::ACCEPTOR.0 | Self::AGENT.0);

    /// The single roles with their names, in bit order.
    pub const NAMED: [(Self, &'static str); 3] = [
        (Self::MERCHANT, "merchant"),
        (Self::ACCEPTOR, "acceptor"),
        (Self::AGENT, "agent"),
    ];

    /// The bits.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Both sets of roles.
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// These roles without `other`'s.
    pub const fn without(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }

    /// Whether every role of `other` is held.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether only defined role bits are set (the programs refuse others).
    pub const fn is_valid(self) -> bool {
        self.0 & !Self::ALL.0 == 0
    }

    /// The name of a single role (`merchant`, `acceptor`, `agent`), else `roles`.
    pub const fn name(self) -> &'static str {
        match self.0 {
            1 => "merchant",
            2 => "acceptor",
            4 => "agent",
            _ => "roles",
        }
    }

    /// The single role named `name` (`merchant`, `acceptor`, `agent`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::NAMED
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(role, _)| *role)
    }
}

impl BitOr for Roles {
    type Output = Self;

    fn bitor(self, other: Self) -> Self {
        self.union(other)
    }
}

impl BitOrAssign for Roles {
    fn bitor_assign(&mut self, other: Self) {
        *self = self.union(other);
    }
}

impl From<Roles> for u8 {
    fn from(roles: Roles) -> Self {
        roles.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deal_kinds_encode_alike_on_every_chain() {
        for (code, kind) in DealKind::ALL.into_iter().enumerate() {
            let code = u8::try_from(code).unwrap();
            assert_eq!(kind.code(), code);
            assert_eq!(DealKind::from_code(code), Some(kind));
            // The program's enum: one Borsh byte, the same number.
            assert_eq!(borsh::to_vec(&kind).unwrap(), vec![code]);
            assert_eq!(DealKind::try_from_slice(&[code]).unwrap(), kind);
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.name())
            );
        }
        assert_eq!(DealKind::from_code(3), None);
        assert!(DealKind::try_from_slice(&[3]).is_err());
    }

    #[test]
    fn role_bits_match_the_contract_and_the_program() {
        assert_eq!(Roles::MERCHANT | Roles::AGENT, Roles(5));
        assert_eq!(Roles::ACCEPTOR.bits(), 2);
        assert_eq!(Roles::ALL, Roles(7));
        assert!(Roles(5).contains(Roles::AGENT) && !Roles(5).contains(Roles::ACCEPTOR));
        assert_eq!(Roles(7).without(Roles::AGENT), Roles(3));
        assert!(Roles(7).is_valid() && !Roles(8).is_valid());
        assert_eq!(Roles::from_name("acceptor"), Some(Roles::ACCEPTOR));
        assert_eq!(Roles::from_name("admin"), None);
        assert_eq!(borsh::to_vec(&Roles(5)).unwrap(), vec![5]);
    }
}
