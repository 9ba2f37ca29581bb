//! Errors returned by the escrow program.

use anchor_lang::prelude::*;

/// Every error the escrow program returns itself (Anchor's constraint errors
/// come on top, e.g. for a wrong PDA or a missing signature).
#[error_code]
pub enum EscrowError {
    /// Arithmetic overflowed or underflowed.
    #[msg("Arithmetic overflow")]
    Overflow,
    /// The signer is not the config's admin.
    #[msg("Signer is not the admin")]
    NotAdmin,
    /// The signer is neither the guardian nor the admin.
    #[msg("Signer is neither the guardian nor the admin")]
    NotGuardian,
    /// The signer is not the config's arbiter.
    #[msg("Signer is not the arbiter")]
    NotArbiter,
    /// The signer is not the config's dispatcher.
    #[msg("Signer is not the dispatcher")]
    NotDispatcher,
    /// The signer is not the config's compliance key.
    #[msg("Signer is not the compliance key")]
    NotCompliance,
    /// The signer does not own the escrow account.
    #[msg("Signer does not own this escrow account")]
    NotAccountOwner,
    /// The signer is not the deal's seller.
    #[msg("Signer is not the deal's seller")]
    NotDealSeller,
    /// The signer is not the deal's buyer.
    #[msg("Signer is not the deal's buyer")]
    NotDealBuyer,
    /// The signer is neither the deal's buyer nor its seller.
    #[msg("Signer is neither the deal's buyer nor its seller")]
    NotDealParty,
    /// The signer or account is not the buy order's merchant.
    #[msg("Not the buy order's merchant")]
    NotOrderMerchant,
    /// A tier table has no entries or more than eight.
    #[msg("A tier table needs 1 to 8 entries")]
    TierCount,
    /// The first tier's threshold is not zero.
    #[msg("The first tier's threshold must be 0")]
    FirstTierThreshold,
    /// Tier thresholds are not strictly increasing.
    #[msg("Tier thresholds must be strictly increasing")]
    TierOrder,
    /// A basis-point value is above 10000.
    #[msg("Basis points must not exceed 10000")]
    BpsTooHigh,
    /// An agent share plus the trader reward exceeds 10000 bps.
    #[msg("Agent share plus trader reward must not exceed 10000 bps")]
    ShareAndRewardTooHigh,
    /// The payment window bounds are invalid (zero or min above max).
    #[msg("Payment window bounds are invalid")]
    InvalidWindowBounds,
    /// The maximum deal amount is zero.
    #[msg("Maximum deal amount must be positive")]
    InvalidMaxDealAmount,
    /// More blocked regions than fit in the config.
    #[msg("Too many blocked regions")]
    TooManyRegions,
    /// The withdrawal-address change delay is negative.
    #[msg("Withdrawal delay must not be negative")]
    InvalidWithdrawalDelay,
    /// A role mask has unknown bits.
    #[msg("Unknown role bits")]
    InvalidRoles,
    /// The escrow is paused.
    #[msg("The escrow is paused")]
    Paused,
    /// The escrow is not paused.
    #[msg("The escrow is not paused")]
    NotPaused,
    /// An amount is zero.
    #[msg("Amount must be positive")]
    ZeroAmount,
    /// The available balance is too small.
    #[msg("Insufficient available balance")]
    InsufficientBalance,
    /// The deal amount exceeds the configured maximum.
    #[msg("Deal amount exceeds the configured maximum")]
    DealAmountTooLarge,
    /// The payment window is outside the configured bounds.
    #[msg("Payment window outside the configured bounds")]
    PaymentWindowOutOfBounds,
    /// The account lacks the required role.
    #[msg("Account lacks the required role")]
    MissingRole,
    /// The agent is already set and cannot change.
    #[msg("Agent already set")]
    AgentAlreadySet,
    /// The agent account does not have the agent role.
    #[msg("Agent account lacks the agent role")]
    NotAnAgent,
    /// A wallet cannot be its own agent.
    #[msg("A wallet cannot be its own agent")]
    SelfAgent,
    /// A party's KYC level is below the minimum.
    #[msg("KYC level below the minimum")]
    KycTooLow,
    /// A party's region is blocked.
    #[msg("Region is blocked")]
    RegionBlocked,
    /// Seller and buyer are the same wallet.
    #[msg("Seller and buyer must differ")]
    SameParty,
    /// The treasury cannot be the agent of a merchant.
    #[msg("The treasury cannot be an agent")]
    TreasuryNotAllowed,
    /// The deal is not in a state that allows this action.
    #[msg("Deal state does not allow this action")]
    WrongDealState,
    /// The deal kind does not allow this action.
    #[msg("Deal kind does not allow this action")]
    InvalidDealKind,
    /// The payout deal has no acceptor assigned yet.
    #[msg("Payout deal has no acceptor assigned")]
    DealNotAssigned,
    /// The payout deal already has an acceptor.
    #[msg("Payout deal already assigned")]
    DealAlreadyAssigned,
    /// The payment deadline has not passed yet.
    #[msg("Payment deadline has not passed")]
    DeadlineNotPassed,
    /// The buyer share is above 10000 bps.
    #[msg("Buyer share must not exceed 10000 bps")]
    InvalidBuyerShare,
    /// The agent account passed does not match the merchant's agent.
    #[msg("Agent account does not match the merchant's agent")]
    AgentAccountMismatch,
    /// An escrow account belongs to another config.
    #[msg("Escrow account belongs to another config")]
    ConfigMismatch,
    /// The buy order is closed.
    #[msg("Buy order is not open")]
    OrderClosed,
    /// The buy order has expired.
    #[msg("Buy order has expired")]
    OrderExpired,
    /// The expiry lies in the past.
    #[msg("Expiry must lie in the future")]
    InvalidExpiry,
    /// The fill bounds of a buy order are invalid.
    #[msg("Invalid fill bounds")]
    InvalidFillBounds,
    /// The fill amount is outside the order's bounds.
    #[msg("Fill amount outside the order's bounds")]
    FillOutOfBounds,
    /// The price is zero.
    #[msg("Price must be positive")]
    InvalidPrice,
    /// The currency is not three upper-case ASCII letters.
    #[msg("Currency must be an ISO 4217 code (three upper-case letters)")]
    InvalidCurrency,
    /// A trader cannot fill its own order.
    #[msg("A merchant cannot fill its own buy order")]
    SelfFill,
    /// There is no pending withdrawal-address change.
    #[msg("No pending withdrawal-address change")]
    NoPendingWithdrawalAddress,
    /// The withdrawal-address change delay has not elapsed.
    #[msg("Withdrawal-address change not yet effective")]
    WithdrawalAddressNotEffective,
    /// The withdrawal address is the default (all-zero) key.
    #[msg("Invalid withdrawal address")]
    InvalidWithdrawalAddress,
    /// An authority is the default (all-zero) key.
    #[msg("Authority must not be the default key")]
    InvalidAuthority,
    /// The address of a new account already holds data or belongs to a program.
    #[msg("Address already in use")]
    AddressInUse,
    /// The wallet is the default (all-zero) key.
    #[msg("Invalid wallet")]
    InvalidWallet,
    /// The mint is not the config's USDT mint.
    #[msg("Wrong mint")]
    WrongMint,
    /// The token program is not the mint's owner.
    #[msg("Wrong token program")]
    WrongTokenProgram,
    /// The rent receiver is not whoever paid the deal's rent.
    #[msg("Rent receiver is not the deal's rent payer")]
    WrongRentPayer,
    /// The mint has a Token-2022 extension the escrow does not support.
    #[msg("Mint has an unsupported Token-2022 extension")]
    UnsupportedMintExtension,

    /// A merchant fee tier exceeds MAX_FEE_BPS.
    #[msg("Merchant fee tier above MAX_FEE_BPS (10 %)")]
    FeeTooHigh,

    /// The treasury would be the escrow itself.
    #[msg("The treasury cannot be the escrow's own config or vault")]
    TreasuryIsEscrow,

    /// An outflow beyond today's allowance without the co-signer.
    #[msg("Outflow exceeds what is left of today's allowance; the co-signer must sign")]
    AllowanceExceeded,

    /// The co-signer account is not the recorded co-signer.
    #[msg("Co-signer account is not the account's co-signer")]
    InvalidCoSigner,

    /// No co-signer change is pending.
    #[msg("No pending co-signer change")]
    NoPendingCoSignerChange,

    /// The pending co-signer change is not yet effective.
    #[msg("Co-signer change not yet effective")]
    CoSignerChangeNotEffective,

    /// The acceptor has not gone online.
    #[msg("The acceptor is offline")]
    AcceptorOffline,

    /// The amount exceeds the acceptor's per-deal or locked limit.
    #[msg("Amount exceeds the acceptor's own limits")]
    AcceptorLimitExceeded,

    /// The vault holds nothing beyond the liabilities.
    #[msg("The vault holds no surplus over the liabilities")]
    NoSurplus,

    /// The treasury account is missing or superfluous.
    #[msg(
        "Treasury account missing, or passed although the treasury is a deal party or the agent"
    )]
    TreasuryAccountMismatch,

    /// The buy order or merchant account does not match the deal's order.
    #[msg("Buy order or merchant account does not match the deal's order")]
    BuyOrderMismatch,
}
