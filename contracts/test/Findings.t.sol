// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {BaseTest} from "./utils/BaseTest.sol";
import {IEscrow} from "../src/interfaces/IEscrow.sol";
import {MockTokenBase} from "./mocks/MockTokenBase.sol";

/// @notice The escrow findings of issue #12, each as the exploit a reviewer wrote against protocol v1. Every
///         test here failed on v1 and passes on v2 (docs/rules.md, the v2 sections).
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
        vm.expectRevert(IEscrow.FeeTooHigh.selector);
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
        vm.prank(acceptor);
        escrow.setAcceptorLimits(false, uint64(1000 * USDT), uint64(1000 * USDT));
        vm.prank(dispatcher);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.AcceptorOffline.selector, acceptor));
        escrow.assignCollection(acceptor, merchant, 1000 * USDT, WINDOW, REF);
        // Online, the acceptor's own limits still bind the dispatcher.
        vm.prank(acceptor);
        escrow.setAcceptorLimits(true, uint64(500 * USDT), uint64(800 * USDT));
        vm.prank(dispatcher);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.AcceptorLimitExceeded.selector, acceptor, 600 * USDT));
        escrow.assignCollection(acceptor, merchant, 600 * USDT, WINDOW, REF);
        vm.startPrank(dispatcher);
        escrow.assignCollection(acceptor, merchant, 500 * USDT, WINDOW, REF);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.AcceptorLimitExceeded.selector, acceptor, 400 * USDT));
        escrow.assignCollection(acceptor, merchant, 400 * USDT, WINDOW, REF);
        vm.stopPrank();
    }

    /// @dev Finding 11a: the treasury cannot be the escrow itself.
    function test_Finding11_TreasuryCannotBeEscrow() public {
        vm.prank(admin);
        vm.expectRevert(IEscrow.TreasuryIsEscrow.selector);
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
        escrow.setCoSigner(coSigner, uint64(100 * USDT));
        // The attacker holds the victim's key; `merchant` is the attacker's merchant.
        uint256 orderId = _postOrder(1000 * USDT);
        vm.startPrank(victim);
        uint256 dealId = escrow.fillBuyOrder(orderId, 1000 * USDT, REF);
        vm.expectRevert(
            abi.encodeWithSelector(IEscrow.AllowanceExceeded.selector, victim, 1000 * USDT, 100 * USDT)
        );
        escrow.release(dealId);
        // Nor can the key withdraw beyond the allowance, or remove the co-signer at once.
        vm.expectRevert(
            abi.encodeWithSelector(IEscrow.AllowanceExceeded.selector, victim, 101 * USDT, 100 * USDT)
        );
        escrow.withdraw(101 * USDT);
        escrow.setCoSigner(address(0), 0);
        assertEq(escrow.account(victim).coSigner, coSigner, "removal is pending");
        vm.stopPrank();
        assertEq(_available(merchant), 0, "nothing reached the attacker");
    }
}

/// @notice The v2 rules around the fixes (docs/rules.md, the v2 sections): co-signatures, allowance days,
///         co-signer changes, refills, sweeps, rate snapshots and the arbitration clock.
contract EscrowV2RulesTest is BaseTest {
    address internal coSigner;
    uint256 internal coSignerKey;

    function setUp() public override {
        super.setUp();
        (coSigner, coSignerKey) = makeAddrAndKey("coSigner");
    }

    function _coSign(address owner, uint8 action, uint256 subject, uint256 deadline)
        internal
        view
        returns (bytes memory)
    {
        uint256 nonce = escrow.account(owner).coSignNonce;
        (uint8 v, bytes32 r, bytes32 s) =
            vm.sign(coSignerKey, escrow.coSignHash(owner, action, subject, nonce, deadline));
        return abi.encodePacked(r, s, v);
    }

    function _withCoSigner(address owner, uint256 allowance) internal {
        vm.prank(owner);
        escrow.setCoSigner(coSigner, uint64(allowance));
    }

    function test_CoSignedReleaseAndWithdraw() public {
        _fund(trader, 1000 * USDT);
        _withCoSigner(trader, 10 * USDT);
        uint256 dealId = _openTrade(500 * USDT);
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _coSign(trader, 1, dealId, deadline);
        vm.prank(trader);
        escrow.releaseCoSigned(dealId, deadline, sig);
        assertEq(escrow.account(trader).coSignNonce, 1);
        assertEq(escrow.account(trader).outflowToday, 0, "co-signed outflows are not counted");
        // Replay and a wrong signer fail.
        sig = _coSign(trader, 0, 400 * USDT, deadline);
        vm.startPrank(trader);
        escrow.withdrawCoSigned(400 * USDT, deadline, sig);
        vm.expectRevert(IEscrow.InvalidCoSignature.selector);
        escrow.withdrawCoSigned(400 * USDT, deadline, sig);
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.CoSignatureExpired.selector, deadline));
        escrow.withdrawCoSigned(1, deadline, sig);
        vm.stopPrank();
        _assertConservation();
    }

    function test_AllowanceRollsOverByUtcDay() public {
        vm.warp(100 days + 23 hours);
        _fund(trader, 1000 * USDT);
        _withCoSigner(trader, 100 * USDT);
        vm.startPrank(trader);
        escrow.withdraw(60 * USDT);
        vm.expectRevert(
            abi.encodeWithSelector(IEscrow.AllowanceExceeded.selector, trader, 41 * USDT, 40 * USDT)
        );
        escrow.withdraw(41 * USDT);
        escrow.withdraw(40 * USDT);
        vm.warp(101 days);
        escrow.withdraw(100 * USDT);
        vm.stopPrank();
        assertEq(escrow.account(trader).outflowToday, 100 * USDT);
        assertEq(escrow.account(trader).outflowDay, 101);
    }

    function test_CoSignerChangeWaitsOrIsCoSigned() public {
        _withCoSigner(trader, 100 * USDT);
        // Lowering is immediate.
        vm.prank(trader);
        escrow.setCoSigner(coSigner, uint64(50 * USDT));
        assertEq(escrow.account(trader).dailyAllowance, 50 * USDT);
        // Raising waits the withdrawal delay; anyone applies it after.
        vm.prank(trader);
        escrow.setCoSigner(coSigner, uint64(500 * USDT));
        assertEq(escrow.account(trader).dailyAllowance, 50 * USDT);
        vm.expectRevert(
            abi.encodeWithSelector(
                IEscrow.CoSignerChangeNotDue.selector, uint64(block.timestamp + WITHDRAWAL_DELAY)
            )
        );
        escrow.applyCoSigner(trader);
        vm.warp(block.timestamp + WITHDRAWAL_DELAY);
        vm.prank(outsider);
        escrow.applyCoSigner(trader);
        assertEq(escrow.account(trader).dailyAllowance, 500 * USDT);
        // A pending removal can be cancelled by the owner.
        vm.startPrank(trader);
        escrow.setCoSigner(address(0), 0);
        escrow.cancelCoSignerChange();
        vm.expectRevert(IEscrow.NoPendingCoSignerChange.selector);
        escrow.cancelCoSignerChange();
        vm.stopPrank();
        // With the co-signer's approval the removal is immediate.
        uint256 deadline = block.timestamp + 1 hours;
        uint256 subject = uint256(keccak256(abi.encode(address(0), uint64(0))));
        bytes memory sig = _coSign(trader, 2, subject, deadline);
        vm.prank(trader);
        escrow.setCoSignerCoSigned(address(0), 0, deadline, sig);
        assertEq(escrow.account(trader).coSigner, address(0));
    }

    function test_RefillOnlyWhileOrderUnexpired() public {
        _fund(trader, 1000 * USDT);
        vm.prank(merchant);
        uint256 orderId = escrow.postBuyOrder(
            725, "CNY", 100 * USDT, 1, 100 * USDT, uint64(block.timestamp + 1 hours), WINDOW
        );
        vm.prank(trader);
        uint256 dealId = escrow.fillBuyOrder(orderId, 100 * USDT, REF);
        vm.warp(block.timestamp + 2 hours);
        // Expired: no refill; nothing remains and no fill is open, so the order is deleted.
        vm.expectEmit(address(escrow));
        emit IEscrow.BuyOrderClosed(orderId);
        vm.prank(merchant);
        escrow.cancel(dealId);
        assertEq(escrow.buyOrder(orderId).merchant, address(0));
    }

    function test_MerchantCancelledOrderIsSkippedByItsFills() public {
        _fund(trader, 1000 * USDT);
        uint256 orderId = _postOrder(100 * USDT);
        vm.prank(trader);
        uint256 dealId = escrow.fillBuyOrder(orderId, 60 * USDT, REF);
        vm.prank(merchant);
        escrow.cancelBuyOrder(orderId);
        vm.prank(merchant);
        escrow.cancel(dealId);
        assertEq(escrow.buyOrder(orderId).merchant, address(0));
        assertEq(_available(trader), 1000 * USDT);
    }

    function test_SweepSurplusAndEquality() public {
        vm.prank(admin);
        vm.expectRevert(IEscrow.NoSurplus.selector);
        escrow.sweepSurplus();
        _fund(trader, 100 * USDT);
        MockTokenBase(token).mint(address(escrow), 5 * USDT);
        assertEq(escrow.liabilities(), 100 * USDT);
        vm.prank(outsider);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, outsider));
        escrow.sweepSurplus();
        vm.expectEmit(address(escrow));
        emit IEscrow.SurplusSwept(treasury, 5 * USDT);
        vm.prank(admin);
        escrow.sweepSurplus();
        assertEq(escrow.liabilities(), 105 * USDT);
        _assertConservation();
    }

    function test_RatesFixedAtOpenForPayoutAndDisputeClock() public {
        _fund(merchant, 1000 * USDT);
        uint256 id = _openPayout(100 * USDT);
        IEscrow.Deal memory d = escrow.deal(id);
        assertEq(d.feeBps, 100);
        assertEq(d.agent, agent);
        assertEq(d.agentShareBps, 2000);
        assertEq(d.rewardBps, 0);
        vm.prank(dispatcher);
        escrow.assignPayout(id, acceptor);
        _dispute(id);
        assertEq(escrow.deal(id).disputedAt, block.timestamp);
        // The agent loses its role after open: it is still paid at the recorded rate.
        vm.prank(admin);
        escrow.setRoles(agent, 0);
        vm.prank(arbiter);
        escrow.resolve(id, 10_000);
        assertEq(_available(agent), 200_000); // 1 USDT fee * 20 %
        _assertConservation();
    }

    function test_TreasuryAsPartySettles() public {
        vm.prank(admin);
        escrow.setTreasury(merchant);
        _fund(trader, 1000 * USDT);
        uint256 dealId = _openTrade(1000 * USDT);
        vm.prank(trader);
        escrow.release(dealId);
        // Merchant nets 990 and, as treasury, the platform's 7 (10 fee - 2 agent - 1 reward).
        assertEq(_available(merchant), 997 * USDT);
        _assertConservation();
    }
}
