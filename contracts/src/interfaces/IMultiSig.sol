// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IMultiSig
/// @notice stablerail's M-of-N multisig for Ethereum and TRON (docs/rules.md, "Multisig"). It is the escrow's admin,
///         arbiter and treasury.
/// @dev Terms:
///      - owners: up to 16 distinct non-zero addresses; `threshold` of them must sign a proposal.
///      - proposal: an arbitrary call `(to, value, data)` bound to the multisig's `nonce` and a `deadline`,
///        signed off-chain as EIP-712 typed data
///        `Proposal(address to,uint256 value,bytes data,uint256 nonce,uint256 deadline)` under the domain
///        returned by `eip712Domain()` (EIP-5267; never hard-code the chain id: TRON's differs). Signatures
///        are 65-byte `r || s || v`, concatenated in ascending order of signer address.
///      - time lock: with `timeLock > 0` signatures only schedule a proposal; anyone may execute it once
///        `timeLock` seconds have passed and before its deadline, unless threshold owners cancel it first.
///      - config version: bumped by every configuration change (owners, threshold, time lock, spending
///        limits). A scheduled proposal records the version it was scheduled under and is stale after a bump.
///      - spending limit: a `spender` (owner or not) may move up to `amount` of `token` per period out of the
///        multisig without a proposal, optionally only to listed destinations.
interface IMultiSig {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice Spending-limit periods. Month is 30 days. OneTime never resets.
    enum Period {
        OneTime,
        Day,
        Week,
        Month
    }

    /// @notice A spending limit as returned by {spendingLimit}.
    struct SpendingLimit {
        uint128 amount;
        uint128 spent;
        uint64 periodStart;
        Period period;
        address[] destinations;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @dev Configuration functions may only be called by the multisig itself, through a proposal.
    error NotSelf();
    /// @dev The owner is zero, the multisig itself, or (for removal) not an owner.
    error InvalidOwner(address owner);
    /// @dev The owner is already an owner.
    error DuplicateOwner(address owner);
    /// @dev More than 16 owners.
    error TooManyOwners();
    /// @dev The threshold is 0 or above the number of owners.
    error InvalidThreshold(uint256 threshold);
    /// @dev The time lock is above MAX_TIME_LOCK.
    error InvalidTimeLock(uint256 timeLock);
    /// @dev The signatures are not a non-empty multiple of 65 bytes.
    error InvalidSignatureLength();
    /// @dev Fewer signatures than the threshold.
    error NotEnoughSignatures(uint256 given, uint256 threshold);
    /// @dev A signer is not an owner.
    error NotOwner(address signer);
    /// @dev Signers are not strictly ascending (a duplicate or out-of-order signature).
    error SignersNotSorted(address signer);
    /// @dev The proposal's deadline has passed.
    error ProposalExpired(uint256 deadline);
    /// @dev The proposal's nonce is not the current nonce.
    error WrongNonce(uint256 expected, uint256 given);
    /// @dev A time lock is set: proposals must be scheduled, not executed at once.
    error TimeLockActive();
    /// @dev No time lock is set: there is nothing to schedule.
    error NoTimeLock();
    /// @dev No such scheduled proposal.
    error NotScheduled(bytes32 proposalHash);
    /// @dev The time lock of the scheduled proposal has not elapsed.
    error TimeLockNotElapsed(uint64 eta);
    /// @dev The configuration changed after the proposal was scheduled.
    error StaleProposal(bytes32 proposalHash);
    /// @dev The proposal's call reverted without a reason.
    error ExecutionFailed();
    /// @dev Too little gas is left to give the inner call the signed `minGas`.
    error InsufficientGas(uint256 minGas);
    /// @dev The proposal's deadline is before `eta`, the time it would become executable.
    error ScheduleExpiresBeforeExecutable(uint256 deadline, uint64 eta);
    /// @dev A proposal's call re-entered `execute`, `executeScheduled` or `spend`.
    error ReentrantCall();
    /// @dev No spending limit for (caller, token).
    error NoSpendingLimit(address spender, address token);
    /// @dev The spend exceeds what is left in the current period.
    error SpendingLimitExceeded(uint256 requested, uint256 remaining);
    /// @dev The destination is not on the spending limit's allowlist.
    error DestinationNotAllowed(address to);
    /// @dev A spending limit needs a non-zero spender, token and amount, and at most 16 destinations.
    error InvalidSpendingLimit();
    /// @dev An amount argument is zero.
    error ZeroAmount();

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice The multisig was set up (emitted once, by the constructor, after the OwnerAdded events).
    event Setup(address[] owners, uint256 threshold, uint256 timeLock);
    /// @notice `owner` became an owner.
    event OwnerAdded(address indexed owner);
    /// @notice `owner` stopped being an owner.
    event OwnerRemoved(address indexed owner);
    /// @notice The threshold changed.
    event ThresholdChanged(uint256 threshold);
    /// @notice The time lock changed.
    event TimeLockChanged(uint256 timeLock);
    /// @notice The configuration version changed; proposals scheduled under an older version are stale.
    event ConfigVersionChanged(uint64 configVersion);
    /// @notice A proposal was signed by threshold owners and scheduled; executable from `eta` until `deadline`.
    event ProposalScheduled(
        bytes32 indexed proposalHash,
        uint256 indexed nonce,
        address indexed to,
        uint256 value,
        bytes data,
        uint256 deadline,
        uint64 eta,
        uint64 configVersion
    );
    /// @notice A proposal was executed (directly, or after its time lock).
    event ProposalExecuted(
        bytes32 indexed proposalHash, uint256 indexed nonce, address indexed to, uint256 value, bytes data
    );
    /// @notice Threshold owners cancelled a scheduled proposal.
    event ProposalCancelled(bytes32 indexed proposalHash);
    /// @notice A spending limit was set (replacing any previous one for the same spender and token).
    event SpendingLimitSet(
        address indexed spender, address indexed token, uint128 amount, Period period, address[] destinations
    );
    /// @notice A spending limit was removed.
    event SpendingLimitRemoved(address indexed spender, address indexed token);
    /// @notice `spender` sent `amount` of `token` to `to` under its limit; `spentInPeriod` is the new total.
    event Spent(
        address indexed spender,
        address indexed token,
        address indexed to,
        uint256 amount,
        uint256 spentInPeriod
    );
    /// @notice The multisig received native currency.
    event Received(address indexed from, uint256 value);

    /*//////////////////////////////////////////////////////////////
                                PROPOSALS
    //////////////////////////////////////////////////////////////*/

    /// @notice Execute a proposal signed by at least threshold owners under the current configuration
    ///         version. Only without a time lock.
    /// @param nonce Must equal the current nonce, which is then incremented.
    /// @param minGas The least gas the inner call must get (like Safe's safeTxGas); signed.
    /// @param signatures 65-byte signatures, ascending by signer.
    /// @return result The call's return data.
    function execute(
        address to,
        uint256 value,
        bytes calldata data,
        uint256 nonce,
        uint256 deadline,
        uint256 minGas,
        bytes calldata signatures
    ) external payable returns (bytes memory result);

    /// @notice Record a proposal signed by at least threshold owners under the current configuration version
    ///         for execution after the time lock. Consumes the nonce. Only with a time lock, and only when the
    ///         deadline is not before the time the proposal becomes executable.
    /// @return proposalHash The EIP-712 digest identifying the scheduled proposal.
    function schedule(
        address to,
        uint256 value,
        bytes calldata data,
        uint256 nonce,
        uint256 deadline,
        uint256 minGas,
        bytes calldata signatures
    ) external returns (bytes32 proposalHash);

    /// @notice Execute a scheduled proposal after its time lock and before its deadline, while the configuration
    ///         version it was scheduled under is current. Anyone may call.
    function executeScheduled(
        address to,
        uint256 value,
        bytes calldata data,
        uint256 nonce,
        uint256 deadline,
        uint256 minGas
    ) external payable returns (bytes memory result);

    /// @notice Cancel a scheduled proposal with threshold signatures over
    ///         `Cancellation(bytes32 proposalHash)`.
    function cancel(bytes32 proposalHash, bytes calldata signatures) external;

    /*//////////////////////////////////////////////////////////////
                        CONFIGURATION (SELF ONLY)
    //////////////////////////////////////////////////////////////*/

    /// @notice Add `owner` and set the threshold. Only through a proposal.
    function addOwner(address owner, uint256 threshold) external;
    /// @notice Remove `owner` and set the threshold. Only through a proposal.
    function removeOwner(address owner, uint256 threshold) external;
    /// @notice Set the threshold. Only through a proposal.
    function changeThreshold(uint256 threshold) external;
    /// @notice Set the time lock in seconds (0 disables it). Only through a proposal.
    function setTimeLock(uint256 timeLock) external;
    /// @notice Set the spending limit of `spender` for `token`; resets its period and spent amount.
    ///         An empty `destinations` allows any destination. Only through a proposal.
    function setSpendingLimit(
        address spender,
        address token,
        uint128 amount,
        Period period,
        address[] calldata destinations
    ) external;
    /// @notice Remove the spending limit of `spender` for `token`. Only through a proposal.
    function removeSpendingLimit(address spender, address token) external;

    /*//////////////////////////////////////////////////////////////
                             SPENDING LIMITS
    //////////////////////////////////////////////////////////////*/

    /// @notice Send `amount` of `token` to `to` under the caller's spending limit (balance-delta checked).
    function spend(address token, address to, uint256 amount) external;

    /*//////////////////////////////////////////////////////////////
                                 READS
    //////////////////////////////////////////////////////////////*/

    /// @notice The owners, in the order they were added.
    function getOwners() external view returns (address[] memory);
    /// @notice Whether `account` is an owner.
    function isOwner(address account) external view returns (bool);
    /// @notice The number of signatures needed.
    function threshold() external view returns (uint256);
    /// @notice The time lock in seconds.
    function timeLock() external view returns (uint256);
    /// @notice The nonce the next proposal must carry.
    function nonce() external view returns (uint256);
    /// @notice The configuration version.
    function configVersion() external view returns (uint64);
    /// @notice The scheduled proposal `proposalHash`: its eta and the config version it was scheduled under.
    function scheduled(bytes32 proposalHash) external view returns (uint64 eta, uint64 configVersion);
    /// @notice The EIP-712 digest owners sign for a proposal under configuration version `configVersion`.
    function proposalHash(
        address to,
        uint256 value,
        bytes calldata data,
        uint256 nonce,
        uint256 deadline,
        uint256 configVersion,
        uint256 minGas
    ) external view returns (bytes32);
    /// @notice The EIP-712 digest owners sign to cancel scheduled proposal `proposalHash`.
    function cancellationHash(bytes32 proposalHash) external view returns (bytes32);
    /// @notice The spending limit of `spender` for `token` (amount 0 when none).
    function spendingLimit(address spender, address token) external view returns (SpendingLimit memory);
}
