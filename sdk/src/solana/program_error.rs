//! The escrow's and the multisig's error codes by name, so a refused transaction
//! reads `NotDealSeller`, not `custom program error: 0x1777`.
//!
//! A node's preflight answer carries the runtime's log line
//! `Program <id> failed: custom program error: 0x<code>`; [`ProgramError::from_logs`]
//! finds it and names the code: the program's own errors from 6000 on (Anchor's
//! `#[error_code]` numbering, in declaration order), and Anchor's framework errors
//! (account constraints and the like) below that. The tables follow the
//! programs' `errors.rs`; `sdk/tests/it/program_errors.rs` checks them against the
//! sources.

use std::fmt;

use solana_pubkey::Pubkey;

use super::pda::{ESCROW_PROGRAM_ID, MULTISIG_PROGRAM_ID};

/// First code of a program's own errors (Anchor's `ERROR_CODE_OFFSET`).
pub const PROGRAM_ERROR_OFFSET: u32 = 6_000;

/// The escrow program's errors, code `6000 + index`.
pub const ESCROW_ERRORS: &[&str] = &[
    "Overflow",
    "NotAdmin",
    "NotGuardian",
    "NotArbiter",
    "NotDispatcher",
    "NotCompliance",
    "NotAccountOwner",
    "NotDealSeller",
    "NotDealBuyer",
    "NotDealParty",
    "NotOrderMerchant",
    "TierCount",
    "FirstTierThreshold",
    "TierOrder",
    "BpsTooHigh",
    "ShareAndRewardTooHigh",
    "InvalidWindowBounds",
    "InvalidMaxDealAmount",
    "TooManyRegions",
    "InvalidWithdrawalDelay",
    "InvalidRoles",
    "Paused",
    "NotPaused",
    "ZeroAmount",
    "InsufficientBalance",
    "DealAmountTooLarge",
    "PaymentWindowOutOfBounds",
    "MissingRole",
    "AgentAlreadySet",
    "NotAnAgent",
    "SelfAgent",
    "KycTooLow",
    "RegionBlocked",
    "SameParty",
    "TreasuryNotAllowed",
    "WrongDealState",
    "InvalidDealKind",
    "DealNotAssigned",
    "DealAlreadyAssigned",
    "DeadlineNotPassed",
    "InvalidBuyerShare",
    "AgentAccountMismatch",
    "ConfigMismatch",
    "OrderClosed",
    "OrderExpired",
    "InvalidExpiry",
    "InvalidFillBounds",
    "FillOutOfBounds",
    "InvalidPrice",
    "InvalidCurrency",
    "SelfFill",
    "NoPendingWithdrawalAddress",
    "WithdrawalAddressNotEffective",
    "InvalidWithdrawalAddress",
    "InvalidAuthority",
    "AddressInUse",
    "InvalidWallet",
    "WrongMint",
    "WrongTokenProgram",
    "WrongRentPayer",
    "UnsupportedMintExtension",
    "FeeTooHigh",
    "TreasuryIsEscrow",
    "AllowanceExceeded",
    "InvalidCoSigner",
    "NoPendingCoSignerChange",
    "CoSignerChangeNotEffective",
    "AcceptorOffline",
    "AcceptorLimitExceeded",
    "NoSurplus",
    "TreasuryAccountMismatch",
    "BuyOrderMismatch",
];

/// The multisig program's errors, code `6000 + index`.
pub const MULTISIG_ERRORS: &[&str] = &[
    "NoOwners",
    "TooManyOwners",
    "DuplicateOwner",
    "InvalidOwner",
    "InvalidThreshold",
    "ThresholdUnreachable",
    "TimeLockTooLong",
    "NotAnOwner",
    "ArithmeticOverflow",
    "NoInstructions",
    "TooManyInstructions",
    "TooManyInstructionAccounts",
    "InstructionDataTooLong",
    "UnauthorizedSigner",
    "InvalidExpiry",
    "ProposalNotActive",
    "ProposalNotApproved",
    "ProposalStale",
    "ProposalExpired",
    "AlreadyApproved",
    "AlreadyRejected",
    "AlreadyCancelled",
    "TimeLockNotReleased",
    "MissingExecuteAccount",
    "ExecuteAccountNotWritable",
    "ProposalNotClosable",
    "WrongRentCollector",
    "InvalidAmount",
    "NoSpenders",
    "TooManySpenders",
    "DuplicateSpender",
    "TooManyDestinations",
    "DuplicateDestination",
    "NotASpender",
    "SpendingLimitExceeded",
    "DestinationNotAllowed",
    "WrongMint",
    "InvariantViolated",
    "AccountAlreadyInUse",
    "ProtectedAccountWritable",
];

/// Anchor 1.2's framework errors (both programs): each block starts at its
/// code and numbers on by one.
const ANCHOR_ERRORS: &[(u32, &[&str])] = &[
    (
        100,
        &[
            "InstructionMissing",
            "InstructionFallbackNotFound",
            "InstructionDidNotDeserialize",
            "InstructionDidNotSerialize",
        ],
    ),
    (
        1_000,
        &[
            "IdlInstructionStub",
            "IdlInstructionInvalidProgram",
            "IdlAccountNotEmpty",
        ],
    ),
    (1_500, &["EventInstructionStub"]),
    (
        2_000,
        &[
            "ConstraintMut",
            "ConstraintHasOne",
            "ConstraintSigner",
            "ConstraintRaw",
            "ConstraintOwner",
            "ConstraintRentExempt",
            "ConstraintSeeds",
            "ConstraintExecutable",
            "ConstraintState",
            "ConstraintAssociated",
            "ConstraintAssociatedInit",
            "ConstraintClose",
            "ConstraintAddress",
            "ConstraintZero",
            "ConstraintTokenMint",
            "ConstraintTokenOwner",
            "ConstraintMintMintAuthority",
            "ConstraintMintFreezeAuthority",
            "ConstraintMintDecimals",
            "ConstraintSpace",
            "ConstraintAccountIsNone",
            "ConstraintTokenTokenProgram",
            "ConstraintMintTokenProgram",
            "ConstraintAssociatedTokenTokenProgram",
        ],
    ),
    (
        2_500,
        &[
            "RequireViolated",
            "RequireEqViolated",
            "RequireKeysEqViolated",
            "RequireNeqViolated",
            "RequireKeysNeqViolated",
            "RequireGtViolated",
            "RequireGteViolated",
        ],
    ),
    (
        3_000,
        &[
            "AccountDiscriminatorAlreadySet",
            "AccountDiscriminatorNotFound",
            "AccountDiscriminatorMismatch",
            "AccountDidNotDeserialize",
            "AccountDidNotSerialize",
            "AccountNotEnoughKeys",
            "AccountNotMutable",
            "AccountOwnedByWrongProgram",
            "InvalidProgramId",
            "InvalidProgramExecutable",
            "AccountNotSigner",
            "AccountNotSystemOwned",
            "AccountNotInitialized",
            "AccountNotProgramData",
            "AccountNotAssociatedTokenAccount",
            "AccountSysvarMismatch",
            "AccountReallocExceedsLimit",
            "AccountDuplicateReallocs",
        ],
    ),
    (
        4_100,
        &[
            "DeclaredProgramIdMismatch",
            "TryingToInitPayerAsProgramAccount",
            "InvalidNumericConversion",
        ],
    ),
    (5_000, &["Deprecated"]),
];

/// A custom error a program returned, named when the program is the escrow or
/// the multisig.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramError {
    /// The program that failed.
    pub program_id: Pubkey,
    /// `escrow`, `multisig`, or `None` for another program.
    pub program: Option<&'static str>,
    /// The custom error code.
    pub code: u32,
    /// The error's name (`NotDealSeller`), when known.
    pub name: Option<&'static str>,
}

impl ProgramError {
    /// The error of `program_id` with custom code `code`.
    pub fn new(program_id: Pubkey, code: u32) -> Self {
        let program = if program_id == ESCROW_PROGRAM_ID {
            Some("escrow")
        } else if program_id == MULTISIG_PROGRAM_ID {
            Some("multisig")
        } else {
            None
        };
        Self {
            program_id,
            program,
            code,
            name: error_name(&program_id, code),
        }
    }

    /// The first `Program <id> failed: custom program error: 0x<code>` line of a
    /// transaction's logs: the program that raised the error (its callers, e.g.
    /// the multisig executing an escrow instruction, log the same code after it).
    pub fn from_logs<S: AsRef<str>>(logs: &[S]) -> Option<Self> {
        logs.iter().find_map(|line| {
            let rest = line.as_ref().strip_prefix("Program ")?;
            let (id, rest) = rest.split_once(' ')?;
            let hex = rest.strip_prefix("failed: custom program error: 0x")?;
            let code = u32::from_str_radix(hex.trim(), 16).ok()?;
            Some(Self::new(id.parse().ok()?, code))
        })
    }
}

impl fmt::Display for ProgramError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let program = self
            .program
            .map_or_else(|| self.program_id.to_string(), str::to_owned);
        match self.name {
            Some(name) => write!(f, "{program} program error {name} ({})", self.code),
            None => write!(f, "{program} program error {}", self.code),
        }
    }
}

/// The name of custom error `code` of the escrow or the multisig program.
pub fn error_name(program_id: &Pubkey, code: u32) -> Option<&'static str> {
    let own = if *program_id == ESCROW_PROGRAM_ID {
        ESCROW_ERRORS
    } else if *program_id == MULTISIG_PROGRAM_ID {
        MULTISIG_ERRORS
    } else {
        return None;
    };
    if let Some(index) = code.checked_sub(PROGRAM_ERROR_OFFSET) {
        return own.get(usize::try_from(index).ok()?).copied();
    }
    ANCHOR_ERRORS.iter().find_map(|(start, names)| {
        let index = code.checked_sub(*start)?;
        names.get(usize::try_from(index).ok()?).copied()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_codes_of_both_programs_and_anchor() {
        assert_eq!(error_name(&ESCROW_PROGRAM_ID, 6_007), Some("NotDealSeller"));
        assert_eq!(error_name(&MULTISIG_PROGRAM_ID, 6_007), Some("NotAnOwner"));
        assert_eq!(
            error_name(&ESCROW_PROGRAM_ID, 2_006),
            Some("ConstraintSeeds")
        );
        assert_eq!(
            error_name(&MULTISIG_PROGRAM_ID, 3_012),
            Some("AccountNotInitialized")
        );
        assert_eq!(error_name(&ESCROW_PROGRAM_ID, 6_000 + 72), None);
        assert_eq!(error_name(&ESCROW_PROGRAM_ID, 2_024), None);
        assert_eq!(error_name(&Pubkey::new_from_array([7; 32]), 6_000), None);
    }

    #[test]
    fn reads_the_failing_program_from_the_logs() {
        let logs = [
            "Program ComputeBudget111111111111111111111111111111 success".to_owned(),
            format!("Program {ESCROW_PROGRAM_ID} invoke [1]"),
            format!("Program {ESCROW_PROGRAM_ID} consumed 1 of 199850 compute units"),
            format!("Program {ESCROW_PROGRAM_ID} failed: custom program error: 0x1777"),
        ];
        let e = ProgramError::from_logs(&logs).unwrap();
        assert_eq!((e.code, e.name), (6_007, Some("NotDealSeller")));
        assert_eq!(e.to_string(), "escrow program error NotDealSeller (6007)");
        let other = Pubkey::new_from_array([7; 32]);
        let e = ProgramError::from_logs(&[format!(
            "Program {other} failed: custom program error: 0x1"
        )])
        .unwrap();
        assert_eq!(e.to_string(), format!("{other} program error 1"));
        assert_eq!(ProgramError::from_logs(&["Program log: hi"]), None);
    }
}
