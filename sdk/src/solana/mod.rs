//! Solana: PDAs and instruction builders for the escrow and multisig Anchor
//! programs (without anchor-lang), their accounts decoded, the compute-unit price
//! from recent prioritization fees, transaction assembly and signing, and a small
//! JSON-RPC client.
//!
//! The types are those of the Solana 3.x SDK crates (`solana-pubkey`,
//! `solana-instruction`, `solana-transaction`, ...), so the instructions and
//! transactions built here go to any Solana client or test bank unchanged.

mod co_signed;
mod codec;
mod compute_budget;
mod error;
mod escrow;
mod keypair;
mod multisig;
pub mod pda;
mod program_error;
mod proposal_file;
mod rpc;
mod state;
mod token;
mod transaction;

pub use co_signed::{CoSignedAction, CoSignedOutflow};
pub use codec::{
    DISCRIMINATOR_LEN, account_discriminator, instruction_data, instruction_discriminator,
};
pub use compute_budget::{
    DEFAULT_CAP_MICRO_LAMPORTS, DEFAULT_COMPUTE_UNIT_LIMIT, DEFAULT_FLOOR_MICRO_LAMPORTS,
    PrioritizationFee, PriorityFeePolicy, PriorityLevel, compute_unit_limit, compute_unit_price,
};
pub use error::{SolanaError, SolanaRpcError};
pub use escrow::{
    AcceptorSetLimitsArgs, Authorities, BuyOrderFillArgs, BuyOrderPostArgs, CoSignerSetArgs,
    ConfigInitializeArgs, DealCollectionOpenArgs, DealPayoutOpenArgs, EscrowProgram,
    FeeScheduleArgs, FeeTier, LimitsArgs, MAX_BLOCKED_REGIONS, MAX_FEE_BPS, MAX_TIERS,
    SettlementParties, parse_currency, parse_reference,
};
pub use keypair::{KEYPAIR_LEN, keypair_from_text};
pub use multisig::{
    MAX_INSTRUCTION_ACCOUNTS, MAX_INSTRUCTION_DATA, MAX_INSTRUCTIONS, MAX_OWNERS, MAX_SPENDERS,
    MAX_TIME_LOCK, MultisigProgram, Period, ProposalAccountMeta, ProposalInstruction,
    SpendingLimitAddArgs, execute_remaining_accounts, validate_owners, validate_proposal,
};
pub use program_error::{
    ESCROW_ERRORS, MULTISIG_ERRORS, PROGRAM_ERROR_OFFSET, ProgramError, error_name,
};
pub use proposal_file::{FileAccount, FileInstruction, PROPOSAL_FILE_VERSION, SolanaProposalFile};
pub use rpc::{
    AccountData, AddressSignature, COMMITMENT, ContextAccount, FINALIZED, LatestBlockhash,
    SignatureStatus, SolanaRpc,
};
pub use state::{
    AnchorAccount, BuyOrder, Config, Deal, DealState, EscrowAccount, FeeSchedule, Limits, Multisig,
    Proposal, ProposalStatus, SpendingLimit,
};
pub use token::{
    MINT_LEN, TOKEN_ACCOUNT_LEN, TokenAccount, create_associated_token_account_idempotent,
    is_token_program, mint_decimals, transfer_checked,
};
pub use transaction::{PACKET_DATA_SIZE, TransactionBuilder, decode_base64, encode, encode_base64};

/// The Solana SDK types the builders take and return, re-exported so callers
/// need no direct dependency on them.
pub mod sdk {
    pub use solana_hash::Hash;
    pub use solana_instruction::{AccountMeta, Instruction};
    pub use solana_keypair::Keypair;
    pub use solana_message::Message;
    pub use solana_pubkey::Pubkey;
    pub use solana_signature::Signature;
    pub use solana_signer::Signer;
    pub use solana_transaction::Transaction;
}
