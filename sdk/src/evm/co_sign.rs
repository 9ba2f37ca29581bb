//! The co-signer's approval (docs/rules.md, "Co-signer and daily allowance"): the
//! EIP-712 struct the co-signer signs and its digest. One function for every chain
//! that runs the Solidity escrow (Ethereum and TRON), so a co-signature made for
//! one client verifies the same way in the other; only the domain (read from the
//! contract with EIP-5267) differs between chains.

use alloy::{
    primitives::{Address, B256, U256, keccak256},
    sol,
    sol_types::{Eip712Domain, SolStruct, SolValue},
};

use super::bindings::Escrow;
use crate::Amount;

/// What a co-signer approves, numbered as the contract's `COSIGN_*` constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoSignAction {
    /// A withdrawal; the subject is the amount.
    Withdraw = 0,
    /// A release as seller; the subject is the deal id.
    Release = 1,
    /// A co-signer change; the subject is `keccak256(abi.encode(coSigner, allowance))`.
    Change = 2,
}

impl CoSignAction {
    /// The lowercase name the CLI and JSON use (`withdraw`, `release`, `change`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Withdraw => "withdraw",
            Self::Release => "release",
            Self::Change => "change",
        }
    }
}

sol! {
    /// The EIP-712 struct a co-signer signs; identical to `Escrow.COSIGN_TYPEHASH`.
    #[derive(Debug, PartialEq, Eq)]
    struct CoSign {
        address account;
        uint8 action;
        uint256 subject;
        uint256 nonce;
        uint256 deadline;
    }
}

/// The subject a co-signer signs for a change to `co_signer` and `allowance`.
pub fn co_signer_change_subject(co_signer: Address, allowance: Amount) -> U256 {
    U256::from_be_bytes(keccak256((co_signer, U256::from(allowance.units())).abi_encode()).0)
}

/// The digest `account`'s co-signer signs to approve `action` on `subject` at the
/// account's co-sign `nonce`, valid until `deadline`, under the escrow's `domain`.
pub fn co_sign_hash(
    domain: &Eip712Domain,
    account: Address,
    action: CoSignAction,
    subject: U256,
    nonce: u32,
    deadline: u64,
) -> B256 {
    CoSign {
        account,
        action: action as u8,
        subject,
        nonce: U256::from(nonce),
        deadline: U256::from(deadline),
    }
    .eip712_signing_hash(domain)
}

/// The escrow's EIP-712 domain from what its `eip712Domain()` (EIP-5267) returned,
/// on either chain.
pub fn escrow_domain(d: Escrow::eip712DomainReturn) -> Eip712Domain {
    super::eip712::domain_from_fields(
        d.fields,
        d.name,
        d.version,
        d.chainId,
        d.verifyingContract,
        d.salt,
    )
}
