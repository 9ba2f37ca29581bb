//! The EIP-712 types of the `MultiSig` contract: the structs owners sign and the
//! domain, rebuilt from what the contract's `eip712Domain()` (EIP-5267) returns. The
//! client (`multisig.rs`), the proposal file (`proposal_file.rs`) and the escrow's
//! co-signatures (`co_sign.rs`) all hash with these.

use alloy::{
    primitives::{Address, B256, FixedBytes, U256},
    sol,
    sol_types::Eip712Domain,
};

sol! {
    /// The EIP-712 struct owners sign; identical to `MultiSig.PROPOSAL_TYPEHASH`.
    #[derive(Debug, PartialEq, Eq)]
    struct Proposal {
        address to;
        uint256 value;
        bytes data;
        uint256 nonce;
        uint256 deadline;
        uint256 configVersion;
        uint256 minGas;
    }

    /// The EIP-712 struct owners sign to cancel a scheduled proposal.
    #[derive(Debug)]
    struct Cancellation {
        bytes32 proposalHash;
    }
}

/// EIP-5267 field bits: which domain fields the contract uses.
const FIELD_NAME: u8 = 0x01;
const FIELD_VERSION: u8 = 0x02;
const FIELD_CHAIN_ID: u8 = 0x04;
const FIELD_VERIFYING_CONTRACT: u8 = 0x08;
const FIELD_SALT: u8 = 0x10;

/// Builds an EIP-712 domain from the fields `eip712Domain()` returned, honouring
/// its bitmask so a contract that omits a field is hashed the way it hashes itself.
pub fn domain_from_fields(
    fields: FixedBytes<1>,
    name: String,
    version: String,
    chain_id: U256,
    verifying_contract: Address,
    salt: B256,
) -> Eip712Domain {
    let bits = fields[0];
    let has = |bit: u8| bits & bit != 0;
    Eip712Domain::new(
        has(FIELD_NAME).then(|| name.into()),
        has(FIELD_VERSION).then(|| version.into()),
        has(FIELD_CHAIN_ID).then_some(chain_id),
        has(FIELD_VERIFYING_CONTRACT).then_some(verifying_contract),
        has(FIELD_SALT).then_some(salt),
    )
}

/// The EIP-5267 answer of a multisig, kept raw so the domain is rebuilt exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainFields {
    /// Bitmask of the fields in use.
    pub fields: u8,
    /// Domain name.
    pub name: String,
    /// Domain version.
    pub version: String,
    /// Chain id as the contract sees it (TRON's differs from any EVM chain's).
    pub chain_id: U256,
    /// The multisig itself.
    pub verifying_contract: Address,
    /// Salt (unused unless its bit is set).
    pub salt: B256,
}

impl DomainFields {
    /// The EIP-712 domain these fields describe.
    pub fn domain(&self) -> Eip712Domain {
        domain_from_fields(
            FixedBytes([self.fields]),
            self.name.clone(),
            self.version.clone(),
            self.chain_id,
            self.verifying_contract,
            self.salt,
        )
    }
}
