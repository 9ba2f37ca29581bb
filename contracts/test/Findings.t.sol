// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {BaseTest} from "./utils/BaseTest.sol";
import {IEscrow} from "../src/interfaces/IEscrow.sol";
import {MockTokenBase} from "./mocks/MockTokenBase.sol";

/// @notice The escrow findings of issue #12, each as the exploit a reviewer wrote against protocol v1. Every
///         test here failed on v1 and passes on v2 (docs/rules.md, "Protocol v2").
contract EscrowFindingsTest is BaseTest {
    address internal victim = makeAddr("victim");

    /// @dev Finding 2: a fee change after the buyer marked the deal paid must not apply to it.
    function test_Finding2_FeeChangeAfterPaidDoesNotApply() public {
        _fund(trader, 1000 * USDT);
        uint256 dealId = _openTrade(1000 * USDT);
        _markPaid(dealId);
        IEscrow.Tier[] memory greedy = new IEscrow.Tier[](1);
        greedy[0] = IEscrow.Tier(0, 1000);
        vm.prank(admin);
        escrow.setFeeSchedule(greedy, _agentTiers(), 1000);
        vm.prank(trader);
        escrow.release(dealId);
        // 1 % at open, not the 10 % set afterwards.
        assertEq(_available(merchant), 990 * USDT);
    }

    /// @dev Finding 2: no tier above MAX_FEE_BPS (10 %).
    function test_Finding2_FeeAboveCapRejected() public {
        IEscrow.Tier[] memory greedy = new IEscrow.Tier[](1);
        greedy[0] = IEscrow.Tier(0, 10_000);
        vm.prank(admin);
        vm.expectRevert(bytes4(keccak256("FeeTooHigh()")));
        escrow.setFeeSchedule(greedy, _agentTiers(), 1000);
    }

    /// @dev Finding 3: filling a whole order and letting the deal be cancelled must not empty the order.
    function test_Finding3_CancelledFillRefillsOrder() public {
        _fund(trader, 1000 * USDT);
        uint256 orderId = _postOrder(1000 * USDT);
        vm.prank(trader);
        uint256 dealId = escrow.fillBuyOrder(orderId, 1000 * USDT, REF);
        vm.warp(block.timestamp + WINDOW + 1);
        vm.prank(trader);
        escrow.cancel(dealId);
        assertEq(escrow.buyOrder(orderId).remaining, 1000 * USDT, "order refilled");
        assertEq(escrow.buyOrder(orderId).merchant, merchant, "order still exists");
    }

    /// @dev Finding 9: tokens sent straight to the escrow can be swept to the treasury.
    function test_Finding9_DirectTransferIsSweepable() public {
        _fund(trader, 100 * USDT);
        MockTokenBase(token).mint(address(escrow), 7 * USDT);
        vm.prank(admin);
        (bool ok,) = address(escrow).call(abi.encodeWithSignature("sweepSurplus()"));
        assertTrue(ok, "sweepSurplus");
        assertEq(_available(treasury), 7 * USDT);
        _assertConservation();
    }

    /// @dev Finding 10: the dispatcher cannot lock an acceptor's collateral without the acceptor's consent.
    function test_Finding10_DispatcherCannotLockOfflineAcceptor() public {
        _fund(acceptor, 1000 * USDT);
        vm.prank(dispatcher);
        vm.expectRevert(abi.encodeWithSelector(bytes4(keccak256("AcceptorOffline(address)")), acceptor));
        escrow.assignCollection(acceptor, merchant, 1000 * USDT, WINDOW, REF);
    }

    /// @dev Finding 11a: the treasury cannot be the escrow itself.
    function test_Finding11_TreasuryCannotBeEscrow() public {
        vm.prank(admin);
        vm.expectRevert(bytes4(keccak256("TreasuryIsEscrow()")));
        escrow.setTreasury(address(escrow));
    }

    /// @dev Finding 11b: an agent that lost the agent role before the deal opened is not paid.
    function test_Finding11_AgentWithoutRoleAtOpenNotPaid() public {
        vm.prank(admin);
        escrow.setRoles(agent, 0);
        _fund(trader, 1000 * USDT);
        uint256 dealId = _openTrade(1000 * USDT);
        vm.prank(trader);
        escrow.release(dealId);
        assertEq(_available(agent), 0, "agent not paid");
    }

    /// @dev Finding 1: with a co-signer and a daily allowance set, a stolen key cannot fill an order of the
    ///      attacker's merchant, release it in the same transaction and have the merchant withdraw.
    function test_Finding1_StolenKeyCannotDrainAtOnce() public {
        address coSigner = makeAddr("coSigner");
        vm.prank(compliance);
        escrow.setKyc(victim, 1, 1);
        _fund(victim, 1000 * USDT);
        vm.prank(victim);
        (bool ok,) = address(escrow).call(
            abi.encodeWithSignature("setCoSigner(address,uint64)", coSigner, uint64(100 * USDT))
        );
        assertTrue(ok, "setCoSigner");
        // The attacker holds the victim's key; `merchant` is the attacker's merchant.
        uint256 orderId = _postOrder(1000 * USDT);
        vm.startPrank(victim);
        uint256 dealId = escrow.fillBuyOrder(orderId, 1000 * USDT, REF);
        vm.expectRevert();
        escrow.release(dealId);
        vm.stopPrank();
        assertEq(_available(merchant), 0, "nothing reached the attacker");
    }
}
