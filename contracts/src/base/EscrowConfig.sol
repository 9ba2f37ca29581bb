// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IEscrow} from "../interfaces/IEscrow.sol";

/// @title EscrowConfig
/// @notice The escrow's configuration: the admin (OpenZeppelin `Ownable2Step` owner, normally the platform
///         multisig; transfer is two-step and renouncing is disabled), the role keys, the fee schedule, the
///         limits, the blocked regions and the pause switch. Every setter is admin-only and emits an event.
abstract contract EscrowConfig is IEscrow, Ownable2Step, Pausable {
    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Role bit: may post buy orders and be the merchant of Collection and Payout deals.
    uint8 public constant ROLE_MERCHANT = 1;
    /// @notice Role bit: may be assigned Collection (as seller) and Payout (as buyer) deals.
    uint8 public constant ROLE_ACCEPTOR = 2;
    /// @notice Role bit: may be set as a merchant's referring agent.
    uint8 public constant ROLE_AGENT = 4;
    /// @dev All role bits.
    uint8 internal constant ALL_ROLES = ROLE_MERCHANT | ROLE_ACCEPTOR | ROLE_AGENT;
    /// @dev Tier tables hold at most this many rows.
    uint256 internal constant MAX_TIERS = 8;
    /// @dev Basis points in one whole.
    uint256 internal constant BPS = 10_000;
    /// @notice No merchant fee tier may exceed 10 % (docs/rules.md, "Fee rates").
    uint256 public constant MAX_FEE_BPS = 1000;

    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @dev The USDT token. Immutable: an escrow holds one token for its whole life.
    address internal immutable _token;

    // Read on every settlement, so packed in one slot.
    address internal _treasury;
    uint8 internal _merchantTierCount;
    uint8 internal _agentTierCount;
    uint16 internal _traderRewardBps;

    // Tier tables as packed fixed arrays: a lookup among up to four tiers reads two slots.
    uint64[8] internal _merchantThresholds;
    uint16[8] internal _merchantFeeBps;
    uint64[8] internal _agentThresholds;
    uint16[8] internal _agentShareBps;

    Limits internal _limits;

    address internal _guardian;
    address internal _arbiter;
    address internal _dispatcher;
    address internal _compliance;

    mapping(uint16 region => bool) internal _blockedRegions;

    /*//////////////////////////////////////////////////////////////
                              CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @notice The role keys set at deployment.
    struct RoleKeys {
        address guardian;
        address arbiter;
        address dispatcher;
        address compliance;
        address treasury;
    }

    constructor(
        address token_,
        address admin_,
        RoleKeys memory keys,
        Tier[] memory merchantTiers,
        Tier[] memory agentTiers,
        uint16 traderRewardBps,
        Limits memory limits_
    ) Ownable(admin_) {
        if (token_ == address(0)) revert ZeroAddress();
        _token = token_;
        _setGuardian(keys.guardian);
        _setArbiter(keys.arbiter);
        _setDispatcher(keys.dispatcher);
        _setCompliance(keys.compliance);
        _setTreasury(keys.treasury);
        _setFeeSchedule(merchantTiers, agentTiers, traderRewardBps);
        _setLimits(limits_);
    }

    /*//////////////////////////////////////////////////////////////
                              ADMIN WRITES
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IEscrow
    function setGuardian(address guardian_) external onlyOwner {
        _setGuardian(guardian_);
    }

    /// @inheritdoc IEscrow
    function setArbiter(address arbiter_) external onlyOwner {
        _setArbiter(arbiter_);
    }

    /// @inheritdoc IEscrow
    function setDispatcher(address dispatcher_) external onlyOwner {
        _setDispatcher(dispatcher_);
    }

    /// @inheritdoc IEscrow
    function setCompliance(address compliance_) external onlyOwner {
        _setCompliance(compliance_);
    }

    /// @inheritdoc IEscrow
    function setTreasury(address treasury_) external onlyOwner {
        _setTreasury(treasury_);
    }

    /// @inheritdoc IEscrow
    function setFeeSchedule(Tier[] calldata merchantTiers, Tier[] calldata agentTiers, uint16 traderRewardBps)
        external
        onlyOwner
    {
        _setFeeSchedule(merchantTiers, agentTiers, traderRewardBps);
    }

    /// @inheritdoc IEscrow
    function setLimits(Limits calldata limits_) external onlyOwner {
        _setLimits(limits_);
    }

    /// @inheritdoc IEscrow
    function setRegionBlocked(uint16 region, bool blocked) external onlyOwner {
        _blockedRegions[region] = blocked;
        emit RegionBlockedSet(region, blocked);
    }

    /// @inheritdoc IEscrow
    function pause() external {
        if (msg.sender != _guardian && msg.sender != owner()) revert NotGuardianOrAdmin();
        _pause();
    }

    /// @inheritdoc IEscrow
    function unpause() external onlyOwner {
        _unpause();
    }

    /// @notice Renouncing the admin would freeze the configuration forever, so it is disabled.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    /*//////////////////////////////////////////////////////////////
                                 READS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IEscrow
    function token() external view returns (address) {
        return _token;
    }

    /// @inheritdoc IEscrow
    function guardian() external view returns (address) {
        return _guardian;
    }

    /// @inheritdoc IEscrow
    function arbiter() external view returns (address) {
        return _arbiter;
    }

    /// @inheritdoc IEscrow
    function dispatcher() external view returns (address) {
        return _dispatcher;
    }

    /// @inheritdoc IEscrow
    function compliance() external view returns (address) {
        return _compliance;
    }

    /// @inheritdoc IEscrow
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc IEscrow
    function feeSchedule()
        external
        view
        returns (Tier[] memory merchantTiers, Tier[] memory agentTiers, uint16 traderRewardBps)
    {
        merchantTiers = _readTiers(_merchantThresholds, _merchantFeeBps, _merchantTierCount);
        agentTiers = _readTiers(_agentThresholds, _agentShareBps, _agentTierCount);
        traderRewardBps = _traderRewardBps;
    }

    /// @inheritdoc IEscrow
    function limits() external view returns (Limits memory) {
        return _limits;
    }

    /// @inheritdoc IEscrow
    function isRegionBlocked(uint16 region) external view returns (bool) {
        return _blockedRegions[region];
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _setGuardian(address guardian_) internal {
        if (guardian_ == address(0)) revert ZeroAddress();
        emit GuardianSet(_guardian, guardian_);
        _guardian = guardian_;
    }

    function _setArbiter(address arbiter_) internal {
        if (arbiter_ == address(0)) revert ZeroAddress();
        emit ArbiterSet(_arbiter, arbiter_);
        _arbiter = arbiter_;
    }

    function _setDispatcher(address dispatcher_) internal {
        if (dispatcher_ == address(0)) revert ZeroAddress();
        emit DispatcherSet(_dispatcher, dispatcher_);
        _dispatcher = dispatcher_;
    }

    function _setCompliance(address compliance_) internal {
        if (compliance_ == address(0)) revert ZeroAddress();
        emit ComplianceSet(_compliance, compliance_);
        _compliance = compliance_;
    }

    function _setTreasury(address treasury_) internal {
        if (treasury_ == address(0)) revert ZeroAddress();
        if (treasury_ == address(this)) revert TreasuryIsEscrow();
        emit TreasurySet(_treasury, treasury_);
        _treasury = treasury_;
    }

    /// @dev Validates the whole schedule before writing anything, so a bad schedule changes nothing.
    /// The checks run in the order the Anchor program and the SDK run them (docs/rules.md, fee
    /// schedule), so one bad schedule gets the same error on every chain.
    function _setFeeSchedule(Tier[] memory merchantTiers, Tier[] memory agentTiers, uint16 traderRewardBps)
        internal
    {
        _validateTiers(merchantTiers, MAX_FEE_BPS);
        _validateTiers(agentTiers, BPS);
        if (traderRewardBps > BPS) revert BpsTooHigh();
        for (uint256 i; i < agentTiers.length; ++i) {
            if (uint256(agentTiers[i].bps) + traderRewardBps > BPS) revert ShareAndRewardTooHigh();
        }

        for (uint256 i; i < MAX_TIERS; ++i) {
            bool m = i < merchantTiers.length;
            _merchantThresholds[i] = m ? merchantTiers[i].threshold : 0;
            _merchantFeeBps[i] = m ? merchantTiers[i].bps : 0;
            bool a = i < agentTiers.length;
            _agentThresholds[i] = a ? agentTiers[i].threshold : 0;
            _agentShareBps[i] = a ? agentTiers[i].bps : 0;
        }
        _merchantTierCount = uint8(merchantTiers.length);
        _agentTierCount = uint8(agentTiers.length);
        _traderRewardBps = traderRewardBps;
        emit FeeScheduleSet(merchantTiers, agentTiers, traderRewardBps);
    }

    /// @dev 1..=MAX_TIERS tiers, first threshold 0, thresholds strictly increasing, then each
    /// tier's bps at most 10000 and at most `maxBps`.
    function _validateTiers(Tier[] memory tiers, uint256 maxBps) internal pure {
        uint256 n = tiers.length;
        if (n == 0 || n > MAX_TIERS) revert TierCount();
        if (tiers[0].threshold != 0) revert FirstTierThreshold();
        for (uint256 i = 1; i < n; ++i) {
            if (tiers[i].threshold <= tiers[i - 1].threshold) revert TierOrder();
        }
        for (uint256 i; i < n; ++i) {
            if (tiers[i].bps > BPS) revert BpsTooHigh();
            if (tiers[i].bps > maxBps) revert FeeTooHigh();
        }
    }

    function _setLimits(Limits memory limits_) internal {
        if (
            limits_.maxPaymentWindow == 0 || limits_.minPaymentWindow > limits_.maxPaymentWindow
                || limits_.maxDealAmount == 0 || limits_.maxDealAmount > type(uint64).max
        ) revert InvalidLimits();
        _limits = limits_;
        emit LimitsSet(limits_);
    }

    function _readTiers(uint64[8] storage thresholds, uint16[8] storage bps, uint256 count)
        internal
        view
        returns (Tier[] memory tiers)
    {
        tiers = new Tier[](count);
        for (uint256 i; i < count; ++i) {
            tiers[i] = Tier(thresholds[i], bps[i]);
        }
    }
}
