// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {Escrow} from "../../src/Escrow.sol";
import {IEscrow} from "../../src/interfaces/IEscrow.sol";
import {EscrowConfig} from "../../src/base/EscrowConfig.sol";

/// @notice Admin configuration of the escrow: setters, validation, role checks, pause, admin transfer.
contract EscrowConfigTest is BaseTest {
    /*//////////////////////////////////////////////////////////////
                              CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    function test_Constructor_StoresConfig() public view {
        assertEq(escrow.token(), token);
        assertEq(escrow.owner(), admin);
        assertEq(escrow.guardian(), guardian);
        assertEq(escrow.arbiter(), arbiter);
        assertEq(escrow.dispatcher(), dispatcher);
        assertEq(escrow.compliance(), compliance);
        assertEq(escrow.treasury(), treasury);
        (IEscrow.Tier[] memory m, IEscrow.Tier[] memory a, uint16 reward) = escrow.feeSchedule();
        assertEq(m.length, 3);
        assertEq(m[1].threshold, 10_000 * USDT);
        assertEq(m[1].bps, 80);
        assertEq(a.length, 2);
        assertEq(a[1].bps, 3000);
        assertEq(reward, 1000);
        IEscrow.Limits memory l = escrow.limits();
        assertEq(l.maxDealAmount, 1_000_000 * USDT);
        assertEq(l.withdrawalDelay, WITHDRAWAL_DELAY);
        assertFalse(escrow.paused());
    }

    function test_Constructor_RevertsOnZeroToken() public {
        vm.expectRevert(IEscrow.ZeroAddress.selector);
        new Escrow(address(0), admin, _keys(), _merchantTiers(), _agentTiers(), 1000, _limits());
    }

    function test_Constructor_RevertsOnZeroRoleKey() public {
        EscrowConfig.RoleKeys memory k = _keys();
        k.treasury = address(0);
        vm.expectRevert(IEscrow.ZeroAddress.selector);
        new Escrow(token, admin, k, _merchantTiers(), _agentTiers(), 1000, _limits());
    }

    function test_Constructor_RevertsOnBadSchedule() public {
        vm.expectRevert(IEscrow.TierCount.selector);
        new Escrow(token, admin, _keys(), new IEscrow.Tier[](0), _agentTiers(), 1000, _limits());
    }

    /*//////////////////////////////////////////////////////////////
                             ROLE KEY SETTERS
    //////////////////////////////////////////////////////////////*/

    function test_SetGuardian() public {
        address n = makeAddr("newGuardian");
        vm.expectEmit(address(escrow));
        emit IEscrow.GuardianSet(guardian, n);
        vm.prank(admin);
        escrow.setGuardian(n);
        assertEq(escrow.guardian(), n);
    }

    function test_SetArbiter() public {
        address n = makeAddr("newArbiter");
        vm.expectEmit(address(escrow));
        emit IEscrow.ArbiterSet(arbiter, n);
        vm.prank(admin);
        escrow.setArbiter(n);
        assertEq(escrow.arbiter(), n);
    }

    function test_SetDispatcher() public {
        address n = makeAddr("newDispatcher");
        vm.expectEmit(address(escrow));
        emit IEscrow.DispatcherSet(dispatcher, n);
        vm.prank(admin);
        escrow.setDispatcher(n);
        assertEq(escrow.dispatcher(), n);
    }

    function test_SetCompliance() public {
        address n = makeAddr("newCompliance");
        vm.expectEmit(address(escrow));
        emit IEscrow.ComplianceSet(compliance, n);
        vm.prank(admin);
        escrow.setCompliance(n);
        assertEq(escrow.compliance(), n);
    }

    function test_SetTreasury() public {
        address n = makeAddr("newTreasury");
        vm.expectEmit(address(escrow));
        emit IEscrow.TreasurySet(treasury, n);
        vm.prank(admin);
        escrow.setTreasury(n);
        assertEq(escrow.treasury(), n);
    }

    function test_RoleKeySetters_RejectZero() public {
        vm.startPrank(admin);
        vm.expectRevert(IEscrow.ZeroAddress.selector);
        escrow.setGuardian(address(0));
        vm.expectRevert(IEscrow.ZeroAddress.selector);
        escrow.setArbiter(address(0));
        vm.expectRevert(IEscrow.ZeroAddress.selector);
        escrow.setDispatcher(address(0));
        vm.expectRevert(IEscrow.ZeroAddress.selector);
        escrow.setCompliance(address(0));
        vm.expectRevert(IEscrow.ZeroAddress.selector);
        escrow.setTreasury(address(0));
        vm.stopPrank();
    }

    function test_AdminSetters_RejectNonAdmin() public {
        bytes memory err = abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, outsider);
        vm.startPrank(outsider);
        vm.expectRevert(err);
        escrow.setGuardian(outsider);
        vm.expectRevert(err);
        escrow.setArbiter(outsider);
        vm.expectRevert(err);
        escrow.setDispatcher(outsider);
        vm.expectRevert(err);
        escrow.setCompliance(outsider);
        vm.expectRevert(err);
        escrow.setTreasury(outsider);
        vm.expectRevert(err);
        escrow.setFeeSchedule(_merchantTiers(), _agentTiers(), 1000);
        vm.expectRevert(err);
        escrow.setLimits(_limits());
        vm.expectRevert(err);
        escrow.setRegionBlocked(7, true);
        vm.expectRevert(err);
        escrow.setRoles(outsider, 1);
        vm.expectRevert(err);
        escrow.setAgent(outsider, agent);
        vm.expectRevert(err);
        escrow.unpause();
        vm.expectRevert(err);
        escrow.transferOwnership(outsider);
        vm.stopPrank();
    }

    /*//////////////////////////////////////////////////////////////
                              FEE SCHEDULE
    //////////////////////////////////////////////////////////////*/

    function test_SetFeeSchedule_ReplacesAndEmits() public {
        IEscrow.Tier[] memory m = new IEscrow.Tier[](1);
        m[0] = IEscrow.Tier(0, 37);
        IEscrow.Tier[] memory a = new IEscrow.Tier[](8);
        for (uint256 i; i < 8; ++i) {
            a[i] = IEscrow.Tier(uint64(i * 1000), uint16(1000 + i));
        }
        vm.expectEmit(address(escrow));
        emit IEscrow.FeeScheduleSet(m, a, 500);
        vm.prank(admin);
        escrow.setFeeSchedule(m, a, 500);
        (IEscrow.Tier[] memory m2, IEscrow.Tier[] memory a2, uint16 r) = escrow.feeSchedule();
        assertEq(m2.length, 1);
        assertEq(m2[0].bps, 37);
        assertEq(a2.length, 8);
        assertEq(a2[7].threshold, 7000);
        assertEq(a2[7].bps, 1007);
        assertEq(r, 500);
    }

    function test_SetFeeSchedule_RejectsEmpty() public {
        _expectBadSchedule(new IEscrow.Tier[](0), _agentTiers(), 1000, IEscrow.TierCount.selector);
        _expectBadSchedule(_merchantTiers(), new IEscrow.Tier[](0), 1000, IEscrow.TierCount.selector);
    }

    function test_SetFeeSchedule_RejectsNineTiers() public {
        IEscrow.Tier[] memory t = new IEscrow.Tier[](9);
        for (uint256 i; i < 9; ++i) {
            t[i] = IEscrow.Tier(uint64(i), 10);
        }
        _expectBadSchedule(t, _agentTiers(), 1000, IEscrow.TierCount.selector);
        _expectBadSchedule(_merchantTiers(), t, 1000, IEscrow.TierCount.selector);
    }

    function test_SetFeeSchedule_RejectsFirstThresholdNotZero() public {
        IEscrow.Tier[] memory t = new IEscrow.Tier[](1);
        t[0] = IEscrow.Tier(1, 10);
        _expectBadSchedule(t, _agentTiers(), 1000, IEscrow.FirstTierThreshold.selector);
    }

    function test_SetFeeSchedule_RejectsNonIncreasingThresholds() public {
        IEscrow.Tier[] memory t = new IEscrow.Tier[](3);
        t[0] = IEscrow.Tier(0, 10);
        t[1] = IEscrow.Tier(100, 10);
        t[2] = IEscrow.Tier(100, 10);
        _expectBadSchedule(t, _agentTiers(), 1000, IEscrow.TierOrder.selector);
        t[2] = IEscrow.Tier(50, 10);
        _expectBadSchedule(t, _agentTiers(), 1000, IEscrow.TierOrder.selector);
        // Order is checked over the whole table before any tier's bps (as on Solana).
        t[0] = IEscrow.Tier(0, 10_001);
        _expectBadSchedule(t, _agentTiers(), 1000, IEscrow.TierOrder.selector);
    }

    function test_SetFeeSchedule_RejectsFeeAboveOneWhole() public {
        IEscrow.Tier[] memory t = new IEscrow.Tier[](1);
        t[0] = IEscrow.Tier(0, 10_001);
        _expectBadSchedule(t, _agentTiers(), 1000, IEscrow.BpsTooHigh.selector);
        _expectBadSchedule(_merchantTiers(), t, 0, IEscrow.BpsTooHigh.selector);
    }

    function test_SetFeeSchedule_RejectsAgentSharePlusRewardAboveOneWhole() public {
        IEscrow.Tier[] memory a = new IEscrow.Tier[](1);
        a[0] = IEscrow.Tier(0, 9001);
        _expectBadSchedule(_merchantTiers(), a, 1000, IEscrow.ShareAndRewardTooHigh.selector);
        _expectBadSchedule(_merchantTiers(), _agentTiers(), 10_001, IEscrow.BpsTooHigh.selector);
    }

    function test_SetFeeSchedule_AcceptsBoundaries() public {
        IEscrow.Tier[] memory m = new IEscrow.Tier[](1);
        m[0] = IEscrow.Tier(0, 1000);
        IEscrow.Tier[] memory a = new IEscrow.Tier[](1);
        a[0] = IEscrow.Tier(0, 9000);
        vm.prank(admin);
        escrow.setFeeSchedule(m, a, 1000);
        m[0] = IEscrow.Tier(0, 1001);
        vm.prank(admin);
        vm.expectRevert(IEscrow.FeeTooHigh.selector);
        escrow.setFeeSchedule(m, a, 1000);
    }

    function _expectBadSchedule(IEscrow.Tier[] memory m, IEscrow.Tier[] memory a, uint16 r, bytes4 err)
        internal
    {
        vm.prank(admin);
        vm.expectRevert(err);
        escrow.setFeeSchedule(m, a, r);
        // Nothing changed.
        (IEscrow.Tier[] memory m2,, uint16 r2) = escrow.feeSchedule();
        assertEq(m2.length, 3);
        assertEq(r2, 1000);
    }

    /*//////////////////////////////////////////////////////////////
                           LIMITS AND REGIONS
    //////////////////////////////////////////////////////////////*/

    function test_SetLimits() public {
        IEscrow.Limits memory l = _limits();
        l.maxDealAmount = 5;
        l.minKycLevel = 3;
        vm.expectEmit(address(escrow));
        emit IEscrow.LimitsSet(l);
        vm.prank(admin);
        escrow.setLimits(l);
        assertEq(escrow.limits().maxDealAmount, 5);
        assertEq(escrow.limits().minKycLevel, 3);
    }

    function test_SetLimits_RejectsInconsistent() public {
        IEscrow.Limits memory l = _limits();
        l.minPaymentWindow = l.maxPaymentWindow + 1;
        vm.startPrank(admin);
        vm.expectRevert(IEscrow.InvalidLimits.selector);
        escrow.setLimits(l);
        l = _limits();
        l.maxPaymentWindow = 0;
        l.minPaymentWindow = 0;
        vm.expectRevert(IEscrow.InvalidLimits.selector);
        escrow.setLimits(l);
        l = _limits();
        l.maxDealAmount = 0;
        vm.expectRevert(IEscrow.InvalidLimits.selector);
        escrow.setLimits(l);
        vm.stopPrank();
    }

    function test_SetRegionBlocked() public {
        vm.expectEmit(address(escrow));
        emit IEscrow.RegionBlockedSet(408, true);
        vm.prank(admin);
        escrow.setRegionBlocked(408, true);
        assertTrue(escrow.isRegionBlocked(408));
        vm.prank(admin);
        escrow.setRegionBlocked(408, false);
        assertFalse(escrow.isRegionBlocked(408));
    }

    /*//////////////////////////////////////////////////////////////
                                 PAUSE
    //////////////////////////////////////////////////////////////*/

    function test_Pause_ByGuardian() public {
        vm.expectEmit(address(escrow));
        emit Pausable.Paused(guardian);
        vm.prank(guardian);
        escrow.pause();
        assertTrue(escrow.paused());
    }

    function test_Pause_ByAdmin() public {
        vm.prank(admin);
        escrow.pause();
        assertTrue(escrow.paused());
    }

    function test_Pause_RejectsOthers() public {
        vm.prank(outsider);
        vm.expectRevert(IEscrow.NotGuardianOrAdmin.selector);
        escrow.pause();
    }

    function test_Pause_RejectsWhenPaused() public {
        vm.prank(guardian);
        escrow.pause();
        vm.prank(admin);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        escrow.pause();
    }

    function test_Unpause_AdminOnly() public {
        vm.prank(guardian);
        escrow.pause();
        vm.prank(guardian);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, guardian));
        escrow.unpause();
        vm.expectEmit(address(escrow));
        emit Pausable.Unpaused(admin);
        vm.prank(admin);
        escrow.unpause();
        assertFalse(escrow.paused());
    }

    /*//////////////////////////////////////////////////////////////
                             ADMIN TRANSFER
    //////////////////////////////////////////////////////////////*/

    function test_AdminTransfer_IsTwoStep() public {
        address next = makeAddr("nextAdmin");
        vm.prank(admin);
        escrow.transferOwnership(next);
        assertEq(escrow.owner(), admin);
        assertEq(escrow.pendingOwner(), next);

        vm.prank(outsider);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, outsider));
        escrow.acceptOwnership();

        vm.prank(next);
        escrow.acceptOwnership();
        assertEq(escrow.owner(), next);
        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, admin));
        escrow.setGuardian(outsider);
    }

    function test_RenounceOwnership_Disabled() public {
        vm.prank(admin);
        vm.expectRevert(IEscrow.RenounceDisabled.selector);
        escrow.renounceOwnership();
        assertEq(escrow.owner(), admin);
    }
}
