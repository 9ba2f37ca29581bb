// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {BaseTest} from "./utils/BaseTest.sol";
import {IEscrow} from "../src/interfaces/IEscrow.sol";
import {TokenTransfer} from "../src/libraries/TokenTransfer.sol";
import {MockTokenBase} from "./mocks/MockTokenBase.sol";
import {MockUSDTEthereum} from "./mocks/MockUSDTEthereum.sol";
import {MockUSDTTron} from "./mocks/MockUSDTTron.sol";
import {MockFeeOnTransferToken} from "./mocks/MockFeeOnTransferToken.sol";
import {ReentrantToken} from "./mocks/ReentrantToken.sol";

/// @notice Accounts, funds, buy orders and the deal state machine of the escrow, over a standard ERC20.
contract EscrowTest is BaseTest {
    /*//////////////////////////////////////////////////////////////
                          ROLES, AGENT AND KYC
    //////////////////////////////////////////////////////////////*/

    function test_SetRoles() public {
        vm.expectEmit(address(escrow));
        emit IEscrow.RolesSet(outsider, 3);
        vm.prank(admin);
        escrow.setRoles(outsider, 3);
        assertEq(escrow.account(outsider).roles, 3);
    }

    function test_SetRoles_RejectsUnknownBitsAndZero() public {
        vm.startPrank(admin);
        vm.expectRevert(IEscrow.InvalidRoles.selector);
        escrow.setRoles(outsider, 8);
        vm.expectRevert(IEscrow.ZeroAddress.selector);
        escrow.setRoles(address(0), 1);
        vm.stopPrank();
    }

    function test_SetAgent_Once() public {
        address m2 = makeAddr("m2");
        vm.expectEmit(address(escrow));
        emit IEscrow.AgentSet(m2, agent);
        vm.prank(admin);
        escrow.setAgent(m2, agent);
        assertEq(escrow.account(m2).agent, agent);

        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.AgentAlreadySet.selector, m2));
        escrow.setAgent(m2, agent);
    }

    function test_SetAgent_RequiresAgentRole() public {
        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.MissingRole.selector, outsider, uint8(4)));
        escrow.setAgent(makeAddr("m2"), outsider);
    }

    function test_SetAgent_RejectsSelfAndZero() public {
        vm.startPrank(admin);
        vm.expectRevert(IEscrow.SameParty.selector);
        escrow.setAgent(agent, agent);
        vm.expectRevert(IEscrow.ZeroAddress.selector);
        escrow.setAgent(address(0), agent);
        vm.expectRevert(IEscrow.ZeroAddress.selector);
        escrow.setAgent(outsider, address(0));
        vm.stopPrank();
    }

    function test_SetKyc() public {
        vm.expectEmit(address(escrow));
        emit IEscrow.KycSet(outsider, 3, 276);
        vm.prank(compliance);
        escrow.setKyc(outsider, 3, 276);
        assertEq(escrow.account(outsider).kycLevel, 3);
        assertEq(escrow.account(outsider).region, 276);
    }

    function test_SetKyc_RejectsNonCompliance() public {
        vm.prank(admin);
        vm.expectRevert(IEscrow.NotCompliance.selector);
        escrow.setKyc(outsider, 3, 276);
        vm.prank(compliance);
        vm.expectRevert(IEscrow.ZeroAddress.selector);
        escrow.setKyc(address(0), 3, 276);
    }

    /*//////////////////////////////////////////////////////////////
                          DEPOSIT AND WITHDRAW
    //////////////////////////////////////////////////////////////*/

    function test_Deposit_CreditsAvailable() public {
        MockTokenBase(token).mint(trader, 100 * USDT);
        _approve(trader, address(escrow), 100 * USDT);
        vm.expectEmit(address(escrow));
        emit IEscrow.Deposited(trader, 100 * USDT);
        vm.prank(trader);
        escrow.deposit(100 * USDT);
        assertEq(_available(trader), 100 * USDT);
        assertEq(MockTokenBase(token).balanceOf(trader), 0);
        _assertConservation();
    }

    function test_Deposit_RejectsZero() public {
        vm.prank(trader);
        vm.expectRevert(IEscrow.ZeroAmount.selector);
        escrow.deposit(0);
    }

    function test_Deposit_RejectsWithoutAllowance() public {
        MockTokenBase(token).mint(trader, 100 * USDT);
        vm.prank(trader);
        vm.expectRevert(
            abi.encodeWithSelector(MockTokenBase.InsufficientAllowance.selector, address(escrow), 0, 100)
        );
        escrow.deposit(100);
    }

    function test_Deposit_RejectsHoldingAbove96Bits() public {
        uint256 big = uint256(type(uint96).max) + 1;
        MockTokenBase(token).mint(trader, big);
        _approve(trader, address(escrow), big);
        vm.prank(trader);
        vm.expectRevert(IEscrow.AmountOverflow.selector);
        escrow.deposit(big);
    }

    function test_Withdraw_SendsToOwner() public {
        _fund(trader, 100 * USDT);
        vm.expectEmit(address(escrow));
        emit IEscrow.Withdrawn(trader, trader, 40 * USDT);
        vm.prank(trader);
        escrow.withdraw(40 * USDT);
        assertEq(_available(trader), 60 * USDT);
        assertEq(MockTokenBase(token).balanceOf(trader), 40 * USDT);
        _assertConservation();
    }

    function test_Withdraw_RejectsZeroAndOverdraw() public {
        _fund(trader, 100);
        vm.startPrank(trader);
        vm.expectRevert(IEscrow.ZeroAmount.selector);
        escrow.withdraw(0);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.InsufficientAvailable.selector, trader, 100, 101));
        escrow.withdraw(101);
        vm.stopPrank();
    }

    function test_Withdraw_CannotTouchLocked() public {
        _fund(trader, 100 * USDT);
        _openTrade(70 * USDT);
        vm.prank(trader);
        vm.expectRevert(
            abi.encodeWithSelector(IEscrow.InsufficientAvailable.selector, trader, 30 * USDT, 31 * USDT)
        );
        escrow.withdraw(31 * USDT);
    }

    function test_Pause_StopsDepositsAndWithdrawals() public {
        _fund(trader, 100);
        vm.prank(guardian);
        escrow.pause();
        vm.startPrank(trader);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        escrow.deposit(1);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        escrow.withdraw(1);
        vm.stopPrank();
    }

    /*//////////////////////////////////////////////////////////////
                          WITHDRAWAL ADDRESS
    //////////////////////////////////////////////////////////////*/

    function test_WithdrawalAddress_EffectiveAfterDelay() public {
        address cold = makeAddr("cold");
        _fund(trader, 100);
        uint64 at = uint64(block.timestamp) + WITHDRAWAL_DELAY;
        vm.expectEmit(address(escrow));
        emit IEscrow.WithdrawalAddressChangeRequested(trader, cold, at);
        vm.prank(trader);
        escrow.requestWithdrawalAddress(cold);

        // Before the delay, withdrawals still go to the owner.
        assertEq(escrow.withdrawalAddressOf(trader), trader);
        vm.prank(trader);
        escrow.withdraw(10);
        assertEq(MockTokenBase(token).balanceOf(trader), 10);

        vm.warp(at);
        assertEq(escrow.withdrawalAddressOf(trader), cold);
        vm.expectEmit(address(escrow));
        emit IEscrow.WithdrawalAddressChanged(trader, cold);
        vm.prank(trader);
        escrow.withdraw(20);
        assertEq(MockTokenBase(token).balanceOf(cold), 20);
        IEscrow.Account memory a = escrow.account(trader);
        assertEq(a.withdrawalAddress, cold);
        assertEq(a.pendingWithdrawalAt, 0);
        _assertConservation();
    }

    function test_WithdrawalAddress_Cancel() public {
        address thief = makeAddr("thief");
        vm.prank(trader);
        escrow.requestWithdrawalAddress(thief);
        vm.expectEmit(address(escrow));
        emit IEscrow.WithdrawalAddressChangeCancelled(trader, thief);
        vm.prank(trader);
        escrow.cancelWithdrawalAddressChange();
        vm.warp(block.timestamp + WITHDRAWAL_DELAY);
        assertEq(escrow.withdrawalAddressOf(trader), trader);
    }

    function test_WithdrawalAddress_CancelRejectsNoneOrAlreadyEffective() public {
        vm.prank(trader);
        vm.expectRevert(IEscrow.NoPendingWithdrawalAddress.selector);
        escrow.cancelWithdrawalAddressChange();

        vm.prank(trader);
        escrow.requestWithdrawalAddress(outsider);
        vm.warp(block.timestamp + WITHDRAWAL_DELAY);
        vm.prank(trader);
        vm.expectRevert(IEscrow.NoPendingWithdrawalAddress.selector);
        escrow.cancelWithdrawalAddressChange();
    }

    function test_WithdrawalAddress_RejectsZeroAndEscrow() public {
        vm.startPrank(trader);
        vm.expectRevert(IEscrow.ZeroAddress.selector);
        escrow.requestWithdrawalAddress(address(0));
        vm.expectRevert(IEscrow.InvalidWithdrawalAddress.selector);
        escrow.requestWithdrawalAddress(address(escrow));
        vm.stopPrank();
    }

    /*//////////////////////////////////////////////////////////////
                              BUY ORDERS
    //////////////////////////////////////////////////////////////*/

    function test_PostBuyOrder() public {
        uint64 expiry = uint64(block.timestamp + 1 days);
        vm.expectEmit(address(escrow));
        emit IEscrow.BuyOrderPosted(1, merchant, 725, "CNY", 500, 10, 200, expiry, WINDOW);
        vm.prank(merchant);
        uint256 id = escrow.postBuyOrder(725, "CNY", 500, 10, 200, expiry, WINDOW);
        assertEq(id, 1);
        IEscrow.BuyOrder memory o = escrow.buyOrder(id);
        assertEq(o.merchant, merchant);
        assertEq(o.remaining, 500);
        assertEq(o.currency, bytes3("CNY"));
        assertEq(o.price, 725);
        assertEq(escrow.nextOrderId(), 2);
    }

    function test_PostBuyOrder_RequiresMerchantRole() public {
        vm.prank(trader);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.MissingRole.selector, trader, uint8(1)));
        escrow.postBuyOrder(725, "CNY", 500, 10, 200, uint64(block.timestamp + 1), WINDOW);
    }

    function test_PostBuyOrder_RejectsBadParameters() public {
        uint64 exp = uint64(block.timestamp + 1 days);
        vm.startPrank(merchant);
        vm.expectRevert(IEscrow.ZeroAmount.selector);
        escrow.postBuyOrder(725, "CNY", 0, 10, 200, exp, WINDOW);
        vm.expectRevert(IEscrow.InvalidOrder.selector);
        escrow.postBuyOrder(0, "CNY", 500, 10, 200, exp, WINDOW);
        vm.expectRevert(IEscrow.InvalidOrder.selector);
        escrow.postBuyOrder(725, bytes3(0), 500, 10, 200, exp, WINDOW);
        vm.expectRevert(IEscrow.InvalidOrder.selector);
        escrow.postBuyOrder(725, "CNY", 500, 300, 200, exp, WINDOW);
        vm.expectRevert(IEscrow.InvalidOrder.selector);
        escrow.postBuyOrder(725, "CNY", 500, 10, 200, uint64(block.timestamp), WINDOW);
        vm.expectRevert(
            abi.encodeWithSelector(IEscrow.AmountAboveMax.selector, 1_000_001 * USDT, 1_000_000 * USDT)
        );
        escrow.postBuyOrder(725, "CNY", 2_000_000 * USDT, 10, 1_000_001 * USDT, exp, WINDOW);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.PaymentWindowOutOfRange.selector, 60));
        escrow.postBuyOrder(725, "CNY", 500, 10, 200, exp, 60);
        vm.stopPrank();
    }

    function test_CancelBuyOrder() public {
        uint256 id = _postOrder(500);
        vm.prank(outsider);
        vm.expectRevert(IEscrow.NotOrderMerchant.selector);
        escrow.cancelBuyOrder(id);
        vm.expectEmit(address(escrow));
        emit IEscrow.BuyOrderCancelled(id, merchant, 500);
        vm.prank(merchant);
        escrow.cancelBuyOrder(id);
        assertEq(escrow.buyOrder(id).merchant, address(0));
        vm.prank(merchant);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.OrderNotFound.selector, id));
        escrow.cancelBuyOrder(id);
    }

    function test_FillBuyOrder_OpensTradeAndDecrements() public {
        _fund(trader, 1_000);
        vm.prank(merchant);
        uint256 id = escrow.postBuyOrder(725, "CNY", 500, 100, 300, uint64(block.timestamp + 1 days), WINDOW);
        vm.expectEmit(address(escrow));
        emit IEscrow.DealOpened(
            1,
            IEscrow.DealKind.Trade,
            trader,
            merchant,
            merchant,
            300,
            WINDOW,
            uint64(block.timestamp + WINDOW),
            REF,
            IEscrow.Rates(100, agent, 2000, 1000)
        );
        vm.expectEmit(address(escrow));
        emit IEscrow.BuyOrderFilled(id, 1, trader, 300, 200);
        vm.prank(trader);
        uint256 dealId = escrow.fillBuyOrder(id, 300, REF);

        IEscrow.Deal memory d = escrow.deal(dealId);
        assertEq(uint8(d.kind), uint8(IEscrow.DealKind.Trade));
        assertEq(uint8(d.state), uint8(IEscrow.DealState.Open));
        assertEq(d.seller, trader);
        assertEq(d.buyer, merchant);
        assertEq(d.amount, 300);
        assertEq(d.orderRef, REF);
        assertEq(escrow.merchantOf(dealId), merchant);
        assertEq(escrow.buyOrder(id).remaining, 200);
        assertEq(_available(trader), 700);
        assertEq(_locked(trader), 300);

        // The remainder (200) may be taken; the order stays while its fills are open, then is gone.
        vm.prank(trader);
        uint256 last = escrow.fillBuyOrder(id, 200, REF);
        assertEq(escrow.buyOrder(id).remaining, 0);
        assertEq(escrow.buyOrder(id).openFills, 2);
        vm.startPrank(trader);
        escrow.release(dealId);
        vm.expectEmit(address(escrow));
        emit IEscrow.BuyOrderClosed(id);
        escrow.release(last);
        vm.stopPrank();
        assertEq(escrow.buyOrder(id).merchant, address(0));
        _assertConservation();
    }

    function test_FillBuyOrder_RemainderBelowMinFillAllowed() public {
        _fund(trader, 1_000);
        vm.prank(merchant);
        uint256 id = escrow.postBuyOrder(725, "CNY", 250, 100, 200, uint64(block.timestamp + 1 days), WINDOW);
        vm.startPrank(trader);
        escrow.fillBuyOrder(id, 200, REF);
        escrow.fillBuyOrder(id, 50, REF);
        vm.stopPrank();
        assertEq(escrow.buyOrder(id).remaining, 0);
    }

    function test_FillBuyOrder_RejectsOutOfRange() public {
        _fund(trader, 1_000);
        vm.prank(merchant);
        uint256 id = escrow.postBuyOrder(725, "CNY", 500, 100, 300, uint64(block.timestamp + 1 days), WINDOW);
        vm.startPrank(trader);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.FillOutOfRange.selector, 99));
        escrow.fillBuyOrder(id, 99, REF);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.FillOutOfRange.selector, 301));
        escrow.fillBuyOrder(id, 301, REF);
        vm.expectRevert(IEscrow.ZeroAmount.selector);
        escrow.fillBuyOrder(id, 0, REF);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.OrderNotFound.selector, 99));
        escrow.fillBuyOrder(99, 100, REF);
        vm.stopPrank();
    }

    function test_FillBuyOrder_RejectsExpired() public {
        _fund(trader, 1_000);
        uint256 id = _postOrder(500);
        vm.warp(block.timestamp + 1 days);
        vm.prank(trader);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.OrderExpired.selector, id));
        escrow.fillBuyOrder(id, 100, REF);
    }

    function test_FillBuyOrder_RejectsInsufficientBalance() public {
        _fund(trader, 50);
        uint256 id = _postOrder(500);
        vm.prank(trader);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.InsufficientAvailable.selector, trader, 50, 100));
        escrow.fillBuyOrder(id, 100, REF);
        assertEq(escrow.buyOrder(id).remaining, 500, "order unchanged");
    }

    function test_FillBuyOrder_RejectsMerchantWhoLostRole() public {
        _fund(trader, 1_000);
        uint256 id = _postOrder(500);
        vm.prank(admin);
        escrow.setRoles(merchant, 0);
        vm.prank(trader);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.MissingRole.selector, merchant, uint8(1)));
        escrow.fillBuyOrder(id, 100, REF);
    }

    function test_FillBuyOrder_RejectsSelfTrade() public {
        _fund(merchant, 1_000);
        uint256 id = _postOrder(500);
        vm.prank(merchant);
        vm.expectRevert(IEscrow.SameParty.selector);
        escrow.fillBuyOrder(id, 100, REF);
    }

    function test_Pause_StopsOrdersAndNewDeals() public {
        _fund(trader, 1_000);
        _fund(acceptor, 1_000);
        _fund(merchant, 1_000);
        uint256 id = _postOrder(500);
        vm.prank(guardian);
        escrow.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        _postOrder(500);
        vm.prank(trader);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        escrow.fillBuyOrder(id, 100, REF);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        _openCollection(100);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        _openPayout(100);
        // Cancelling an order is still allowed.
        vm.prank(merchant);
        escrow.cancelBuyOrder(id);
    }

    function test_Pause_OpenDealsStillProgress() public {
        _fund(trader, 1_000);
        _fund(acceptor, 1_000);
        uint256 a = _openTrade(100);
        uint256 b = _openTrade(100);
        uint256 c = _openCollection(100);
        vm.prank(guardian);
        escrow.pause();
        _markPaid(a);
        vm.prank(trader);
        escrow.release(a);
        _dispute(b);
        vm.prank(arbiter);
        escrow.resolve(b, 5000);
        vm.prank(merchant);
        escrow.cancel(c);
        _assertConservation();
    }

    /*//////////////////////////////////////////////////////////////
                         COLLECTION AND PAYOUT
    //////////////////////////////////////////////////////////////*/

    function test_AssignCollection() public {
        _fund(acceptor, 1_000);
        uint256 id = _openCollection(400);
        IEscrow.Deal memory d = escrow.deal(id);
        assertEq(uint8(d.kind), uint8(IEscrow.DealKind.Collection));
        assertEq(d.seller, acceptor);
        assertEq(d.buyer, merchant);
        assertEq(d.deadline, block.timestamp + WINDOW);
        assertEq(_locked(acceptor), 400);
        assertEq(escrow.merchantOf(id), merchant);
    }

    function test_AssignCollection_Rejects() public {
        _fund(acceptor, 1_000);
        vm.prank(outsider);
        vm.expectRevert(IEscrow.NotDispatcher.selector);
        escrow.assignCollection(acceptor, merchant, 100, WINDOW, REF);

        vm.startPrank(dispatcher);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.MissingRole.selector, trader, uint8(2)));
        escrow.assignCollection(trader, merchant, 100, WINDOW, REF);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.MissingRole.selector, trader, uint8(1)));
        escrow.assignCollection(acceptor, trader, 100, WINDOW, REF);
        vm.expectRevert(IEscrow.ZeroAmount.selector);
        escrow.assignCollection(acceptor, merchant, 0, WINDOW, REF);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.PaymentWindowOutOfRange.selector, 2 days));
        escrow.assignCollection(acceptor, merchant, 100, 2 days, REF);
        vm.expectRevert(
            abi.encodeWithSelector(IEscrow.InsufficientAvailable.selector, acceptor, 1_000, 1_001)
        );
        escrow.assignCollection(acceptor, merchant, 1_001, WINDOW, REF);
        vm.stopPrank();
    }

    function test_OpenDeal_RejectsAboveMaxAmount() public {
        vm.prank(dispatcher);
        vm.expectRevert(
            abi.encodeWithSelector(IEscrow.AmountAboveMax.selector, 1_000_000 * USDT + 1, 1_000_000 * USDT)
        );
        escrow.assignCollection(acceptor, merchant, 1_000_000 * USDT + 1, WINDOW, REF);
    }

    function test_Compliance_KycAndRegion() public {
        _fund(acceptor, 1_000);
        _fund(trader, 1_000);
        // Raise the minimum: the trader (level 1) is now below it.
        IEscrow.Limits memory l = _limits();
        l.minKycLevel = 2;
        vm.prank(admin);
        escrow.setLimits(l);
        uint256 id = _postOrder(500);
        vm.prank(trader);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.KycTooLow.selector, trader, uint8(1)));
        escrow.fillBuyOrder(id, 100, REF);

        // Block the merchant's region: the buyer side fails too.
        vm.prank(admin);
        escrow.setRegionBlocked(1, true);
        vm.prank(dispatcher);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.RegionBlocked.selector, acceptor, uint16(1)));
        escrow.assignCollection(acceptor, merchant, 100, WINDOW, REF);
        vm.prank(compliance);
        escrow.setKyc(acceptor, 2, 2);
        vm.prank(dispatcher);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.RegionBlocked.selector, merchant, uint16(1)));
        escrow.assignCollection(acceptor, merchant, 100, WINDOW, REF);
    }

    function test_Payout_OpenAssignRelease() public {
        _fund(merchant, 1_000 * USDT);
        vm.expectEmit(address(escrow));
        emit IEscrow.DealOpened(
            1,
            IEscrow.DealKind.Payout,
            merchant,
            address(0),
            merchant,
            600 * USDT,
            WINDOW,
            0,
            REF,
            IEscrow.Rates(100, agent, 2000, 0)
        );
        uint256 id = _openPayout(600 * USDT);
        IEscrow.Deal memory d = escrow.deal(id);
        assertEq(uint8(d.state), uint8(IEscrow.DealState.Unassigned));
        assertEq(d.buyer, address(0));
        assertEq(_locked(merchant), 600 * USDT);

        vm.warp(block.timestamp + 1 hours);
        uint64 deadline = uint64(block.timestamp) + WINDOW;
        vm.expectEmit(address(escrow));
        emit IEscrow.DealAssigned(id, acceptor, deadline);
        vm.prank(dispatcher);
        escrow.assignPayout(id, acceptor);
        d = escrow.deal(id);
        assertEq(uint8(d.state), uint8(IEscrow.DealState.Open));
        assertEq(d.deadline, deadline);
        assertEq(escrow.merchantOf(id), merchant);

        _markPaid(id);
        vm.prank(merchant);
        escrow.release(id);
        // 600 USDT at 100 bps: fee 6; agent 20% = 1.2; no reward on a payout; platform 4.8.
        assertEq(_available(acceptor), 594 * USDT);
        assertEq(_available(agent), 1_200_000);
        assertEq(_available(treasury), 4_800_000);
        assertEq(_available(merchant), 400 * USDT);
        assertEq(escrow.account(merchant).merchantVolume, 600 * USDT);
        _assertConservation();
    }

    function test_Payout_Rejects() public {
        _fund(merchant, 1_000);
        vm.prank(trader);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.MissingRole.selector, trader, uint8(1)));
        escrow.openPayout(100, WINDOW, REF);

        uint256 id = _openPayout(100);
        vm.prank(outsider);
        vm.expectRevert(IEscrow.NotDispatcher.selector);
        escrow.assignPayout(id, acceptor);
        vm.startPrank(dispatcher);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.MissingRole.selector, trader, uint8(2)));
        escrow.assignPayout(id, trader);
        vm.expectRevert(IEscrow.SameParty.selector);
        escrow.assignPayout(id, merchant);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.DealNotFound.selector, 99));
        escrow.assignPayout(99, acceptor);
        escrow.assignPayout(id, acceptor);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.WrongDealState.selector, id, IEscrow.DealState.Open));
        escrow.assignPayout(id, acceptor);
        vm.stopPrank();
    }

    function test_Payout_UnassignedOnlyMerchantCancels() public {
        _fund(merchant, 1_000);
        uint256 id = _openPayout(100);
        vm.prank(acceptor);
        vm.expectRevert(IEscrow.NotParty.selector);
        escrow.cancel(id);
        vm.prank(acceptor);
        vm.expectRevert(IEscrow.NotBuyer.selector);
        escrow.markPaid(id);
        vm.prank(merchant);
        vm.expectRevert(
            abi.encodeWithSelector(IEscrow.WrongDealState.selector, id, IEscrow.DealState.Unassigned)
        );
        escrow.release(id);

        vm.expectEmit(address(escrow));
        emit IEscrow.DealCancelled(id, merchant, merchant, 100);
        vm.prank(merchant);
        escrow.cancel(id);
        assertEq(_available(merchant), 1_000);
        assertEq(_locked(merchant), 0);
        _assertConservation();
    }

    /*//////////////////////////////////////////////////////////////
                            DEAL TRANSITIONS
    //////////////////////////////////////////////////////////////*/

    function test_MarkPaid_ByBuyer() public {
        _fund(trader, 1_000);
        uint256 id = _openTrade(100);
        vm.expectEmit(address(escrow));
        emit IEscrow.DealMarkedPaid(id, merchant);
        vm.prank(merchant);
        escrow.markPaid(id);
        assertEq(uint8(escrow.deal(id).state), uint8(IEscrow.DealState.Paid));
    }

    function test_MarkPaid_DispatcherOnlyForCollection() public {
        _fund(acceptor, 1_000);
        _fund(trader, 1_000);
        uint256 c = _openCollection(100);
        vm.prank(dispatcher);
        escrow.markPaid(c);
        assertEq(uint8(escrow.deal(c).state), uint8(IEscrow.DealState.Paid));

        uint256 t = _openTrade(100);
        vm.prank(dispatcher);
        vm.expectRevert(IEscrow.NotBuyer.selector);
        escrow.markPaid(t);
    }

    function test_MarkPaid_Rejects() public {
        _fund(trader, 1_000);
        uint256 id = _openTrade(100);
        vm.prank(trader);
        vm.expectRevert(IEscrow.NotBuyer.selector);
        escrow.markPaid(id);
        vm.prank(merchant);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.DealNotFound.selector, 42));
        escrow.markPaid(42);
        _markPaid(id);
        vm.prank(merchant);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.WrongDealState.selector, id, IEscrow.DealState.Paid));
        escrow.markPaid(id);
    }

    function test_Release_FullSplitAndEvent() public {
        _fund(trader, 1_000 * USDT);
        uint256 id = _openTrade(1_000 * USDT);
        _markPaid(id);
        // 1000 USDT at 100 bps: fee 10; agent 20% = 2; reward 10% = 1; platform 7; merchant 990.
        IEscrow.Settlement memory s = IEscrow.Settlement({
            kind: IEscrow.DealKind.Trade,
            merchant: merchant,
            agent: agent,
            amount: 1_000 * USDT,
            buyerNet: 990 * USDT,
            fee: 10 * USDT,
            agentCut: 2 * USDT,
            reward: 1 * USDT,
            platform: 7 * USDT
        });
        vm.expectEmit(address(escrow));
        emit IEscrow.DealReleased(id, trader, merchant, s);
        vm.prank(trader);
        escrow.release(id);

        assertEq(_available(merchant), 990 * USDT);
        assertEq(_available(agent), 2 * USDT);
        assertEq(_available(trader), 1 * USDT);
        assertEq(_locked(trader), 0);
        assertEq(_available(treasury), 7 * USDT);
        assertEq(escrow.account(merchant).merchantVolume, 1_000 * USDT);
        assertEq(escrow.account(agent).agentVolume, 1_000 * USDT);
        assertEq(uint8(escrow.deal(id).state), uint8(IEscrow.DealState.None), "deleted");
        _assertConservation();
    }

    function test_Release_WhileOpen() public {
        _fund(acceptor, 1_000);
        uint256 id = _openCollection(1_000);
        vm.prank(acceptor);
        escrow.release(id);
        // 1000 units at 100 bps: fee 10; agent 2; no reward on a collection; platform 8.
        assertEq(_available(merchant), 990);
        assertEq(_available(agent), 2);
        assertEq(_available(treasury), 8);
        assertEq(_available(acceptor), 0);
        _assertConservation();
    }

    function test_Release_Rejects() public {
        _fund(trader, 1_000);
        uint256 id = _openTrade(100);
        vm.prank(merchant);
        vm.expectRevert(IEscrow.NotSeller.selector);
        escrow.release(id);
        vm.prank(trader);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.DealNotFound.selector, 7));
        escrow.release(7);
        _dispute(id);
        vm.prank(trader);
        vm.expectRevert(
            abi.encodeWithSelector(IEscrow.WrongDealState.selector, id, IEscrow.DealState.Disputed)
        );
        escrow.release(id);
    }

    function test_Release_NoDoubleSettlement() public {
        _fund(trader, 1_000);
        uint256 id = _openTrade(100);
        vm.prank(trader);
        escrow.release(id);
        vm.prank(trader);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.DealNotFound.selector, id));
        escrow.release(id);
        vm.prank(merchant);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.DealNotFound.selector, id));
        escrow.cancel(id);
    }

    function test_Cancel_ByBuyerInEveryLiveState() public {
        _fund(trader, 1_000);
        uint256 open = _openTrade(100);
        uint256 paid = _openTrade(100);
        uint256 disputed = _openTrade(100);
        _markPaid(paid);
        _dispute(disputed);
        vm.startPrank(merchant);
        escrow.cancel(open);
        escrow.cancel(paid);
        escrow.cancel(disputed);
        vm.stopPrank();
        assertEq(_available(trader), 1_000);
        assertEq(_locked(trader), 0);
        assertEq(escrow.account(merchant).merchantVolume, 0);
        _assertConservation();
    }

    function test_Cancel_BySellerOnlyAfterDeadline() public {
        _fund(trader, 1_000);
        uint256 id = _openTrade(100);
        uint64 deadline = escrow.deal(id).deadline;
        vm.warp(deadline);
        vm.prank(trader);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.DeadlineNotPassed.selector, id, deadline));
        escrow.cancel(id);
        vm.warp(deadline + 1);
        vm.expectEmit(address(escrow));
        emit IEscrow.DealCancelled(id, trader, trader, 100);
        vm.prank(trader);
        escrow.cancel(id);
        assertEq(_available(trader), 1_000);
    }

    function test_Cancel_SellerCannotCancelPaid() public {
        _fund(trader, 1_000);
        uint256 id = _openTrade(100);
        _markPaid(id);
        vm.warp(block.timestamp + 2 days);
        vm.prank(trader);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.WrongDealState.selector, id, IEscrow.DealState.Paid));
        escrow.cancel(id);
    }

    function test_Cancel_RejectsOutsider() public {
        _fund(trader, 1_000);
        uint256 id = _openTrade(100);
        vm.prank(outsider);
        vm.expectRevert(IEscrow.NotParty.selector);
        escrow.cancel(id);
    }

    function test_Dispute_ByEitherParty() public {
        _fund(trader, 1_000);
        uint256 a = _openTrade(100);
        uint256 b = _openTrade(100);
        _markPaid(a);
        _markPaid(b);
        vm.expectEmit(address(escrow));
        emit IEscrow.DealDisputed(a, merchant, uint64(block.timestamp));
        vm.prank(merchant);
        escrow.dispute(a);
        vm.prank(trader);
        escrow.dispute(b);
        assertEq(uint8(escrow.deal(a).state), uint8(IEscrow.DealState.Disputed));
        assertEq(uint8(escrow.deal(b).state), uint8(IEscrow.DealState.Disputed));
    }

    function test_Dispute_Rejects() public {
        _fund(trader, 1_000);
        uint256 id = _openTrade(100);
        vm.prank(trader);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.WrongDealState.selector, id, IEscrow.DealState.Open));
        escrow.dispute(id);
        _markPaid(id);
        vm.prank(outsider);
        vm.expectRevert(IEscrow.NotParty.selector);
        escrow.dispute(id);
        vm.prank(trader);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.DealNotFound.selector, 77));
        escrow.dispute(77);
    }

    function test_Resolve_SplitsAndEvent() public {
        _fund(trader, 1_234_567);
        uint256 id = _openTrade(1_234_567);
        _dispute(id);
        // gross = floor(1234567 * 3333 / 10000) = 411481; fee at 100 bps = 4114; agent 20% = 822;
        // reward 10% = 411; platform 2881; buyer 407367; refund 823086.
        IEscrow.Settlement memory s = IEscrow.Settlement({
            kind: IEscrow.DealKind.Trade,
            merchant: merchant,
            agent: agent,
            amount: 411_481,
            buyerNet: 407_367,
            fee: 4114,
            agentCut: 822,
            reward: 411,
            platform: 2881
        });
        vm.expectEmit(address(escrow));
        emit IEscrow.DealResolved(id, trader, merchant, 3333, 823_086, s);
        vm.prank(arbiter);
        escrow.resolve(id, 3333);
        assertEq(_available(trader), 823_086 + 411);
        assertEq(_available(merchant), 407_367);
        assertEq(_available(agent), 822);
        assertEq(_available(treasury), 2881);
        assertEq(escrow.account(merchant).merchantVolume, 411_481);
        _assertConservation();
    }

    function test_Resolve_ZeroShareSettlesNothing() public {
        _fund(trader, 1_000);
        uint256 id = _openTrade(1_000);
        _dispute(id);
        vm.prank(arbiter);
        escrow.resolve(id, 0);
        assertEq(_available(trader), 1_000);
        assertEq(_available(treasury), 0);
        assertEq(escrow.account(merchant).merchantVolume, 0);
        assertEq(escrow.account(agent).agentVolume, 0);
    }

    function test_Resolve_Rejects() public {
        _fund(trader, 1_000);
        uint256 id = _openTrade(1_000);
        _markPaid(id);
        vm.prank(merchant);
        vm.expectRevert(IEscrow.NotArbiter.selector);
        escrow.resolve(id, 5000);
        vm.prank(arbiter);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.WrongDealState.selector, id, IEscrow.DealState.Paid));
        escrow.resolve(id, 5000);
        vm.prank(trader);
        escrow.dispute(id);
        vm.prank(arbiter);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.InvalidBuyerShare.selector, 10_001));
        escrow.resolve(id, 10_001);
        vm.prank(arbiter);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.DealNotFound.selector, 5));
        escrow.resolve(5, 5000);
    }

    function test_FeeTierCrossing() public {
        _fund(acceptor, 20_000 * USDT);
        // First collection at 100 bps lifts V to 10,000 USDT, the second tier's threshold.
        uint256 a = _openCollection(10_000 * USDT);
        vm.prank(acceptor);
        escrow.release(a);
        assertEq(_available(merchant), 9_900 * USDT);
        uint256 b = _openCollection(1_000 * USDT);
        vm.prank(acceptor);
        escrow.release(b);
        // 1000 USDT at 80 bps: fee 8.
        assertEq(_available(merchant), 9_900 * USDT + 992 * USDT);
        IEscrow.Settlement memory p = escrow.previewSettlement(merchant, IEscrow.DealKind.Trade, 1_000 * USDT);
        assertEq(p.fee, 8 * USDT);
        assertEq(p.reward, 800_000);
        assertEq(p.agentCut, 1_600_000);
    }

    function test_MerchantWithoutAgent() public {
        address m2 = makeAddr("m2");
        vm.prank(admin);
        escrow.setRoles(m2, 1);
        vm.prank(compliance);
        escrow.setKyc(m2, 1, 1);
        parties.push(m2);
        _fund(acceptor, 1_000);
        vm.prank(dispatcher);
        uint256 id = escrow.assignCollection(acceptor, m2, 1_000, WINDOW, REF);
        vm.prank(acceptor);
        escrow.release(id);
        assertEq(_available(m2), 990);
        assertEq(_available(treasury), 10);
        assertEq(_available(agent), 0);
        _assertConservation();
    }

    function test_NextDealId_CountsEveryKind() public {
        _fund(trader, 1_000);
        _fund(acceptor, 1_000);
        _fund(merchant, 1_000);
        assertEq(escrow.nextDealId(), 1);
        assertEq(_openTrade(10), 1);
        assertEq(_openCollection(10), 2);
        assertEq(_openPayout(10), 3);
        assertEq(escrow.nextDealId(), 4);
    }

    function test_AssignCollection_RejectsZeroAcceptor() public {
        vm.prank(dispatcher);
        vm.expectRevert(IEscrow.ZeroAddress.selector);
        escrow.assignCollection(address(0), merchant, 100, WINDOW, REF);
    }

    function test_MerchantOf_RejectsUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IEscrow.DealNotFound.selector, 3));
        escrow.merchantOf(3);
    }
}

/// @notice The same funds paths over each token behaviour: Ethereum USDT (no return value), TRON USDT
///         (`transfer` returns false on success), a fee-on-transfer token, a blacklisting token and a
///         reentrant token.
contract EscrowTokenTest is BaseTest {
    function _useToken(address t) internal {
        token = t;
        escrow = _deployEscrow(t);
        _setUpParticipants();
    }

    function _roundTrip() internal {
        _fund(trader, 1_000 * USDT);
        _fund(acceptor, 1_000 * USDT);
        uint256 id = _openTrade(500 * USDT);
        _markPaid(id);
        vm.prank(trader);
        escrow.release(id);
        vm.prank(merchant);
        escrow.withdraw(495 * USDT);
        assertEq(MockTokenBase(token).balanceOf(merchant), 495 * USDT);
        {
            uint256 bal = _available(trader);
            vm.prank(trader);
            escrow.withdraw(bal);
        }
        assertEq(MockTokenBase(token).balanceOf(trader), 500 * USDT + 500_000);
        _assertConservation();
    }

    function test_EthereumUSDT_RoundTrip() public {
        _useToken(address(new MockUSDTEthereum()));
        _roundTrip();
    }

    function test_TronUSDT_RoundTrip() public {
        _useToken(address(new MockUSDTTron()));
        _roundTrip();
    }

    function test_FeeOnTransfer_CreditsOnlyWhatArrived() public {
        _useToken(address(new MockFeeOnTransferToken()));
        MockTokenBase(token).mint(trader, 1_000);
        _approve(trader, address(escrow), 1_000);
        vm.expectEmit(address(escrow));
        emit IEscrow.Deposited(trader, 990);
        vm.prank(trader);
        escrow.deposit(1_000);
        assertEq(_available(trader), 990);
        _assertConservation();
        // Withdrawing from a fee-taking token still lowers the escrow by exactly the amount.
        vm.prank(trader);
        escrow.withdraw(990);
        assertEq(_available(trader), 0);
        _assertConservation();
    }

    function test_Blacklist_BlocksOnlyThatWithdrawal() public {
        MockUSDTTron usdt = new MockUSDTTron();
        _useToken(address(usdt));
        _fund(trader, 1_000 * USDT);
        uint256 id = _openTrade(500 * USDT);
        // The merchant (buyer) is blacklisted after the deal opened: the settlement still goes through.
        usdt.setBlacklisted(merchant, true);
        _markPaid(id);
        vm.prank(trader);
        escrow.release(id);
        assertEq(_available(merchant), 495 * USDT);

        vm.prank(merchant);
        vm.expectRevert(abi.encodeWithSelector(MockTokenBase.Blacklisted.selector, merchant));
        escrow.withdraw(1);
        assertEq(_available(merchant), 495 * USDT, "nothing changed");

        // Everyone else withdraws normally.
        {
            uint256 bal = _available(treasury);
            vm.prank(treasury);
            escrow.withdraw(bal);
        }
        {
            uint256 bal = _available(agent);
            vm.prank(agent);
            escrow.withdraw(bal);
        }
        {
            uint256 bal = _available(trader);
            vm.prank(trader);
            escrow.withdraw(bal);
        }
        _assertConservation();
    }

    function test_Blacklist_EthereumUSDT() public {
        MockUSDTEthereum usdt = new MockUSDTEthereum();
        _useToken(address(usdt));
        _fund(trader, 100);
        usdt.setBlacklisted(trader, true);
        vm.prank(trader);
        vm.expectRevert(abi.encodeWithSelector(MockTokenBase.Blacklisted.selector, trader));
        escrow.withdraw(100);
        assertEq(_available(trader), 100);
    }

    function test_Reentrancy_DepositCannotReenter() public {
        ReentrantToken rt = new ReentrantToken();
        _useToken(address(rt));
        _fund(trader, 1_000);
        rt.arm(address(escrow), abi.encodeCall(IEscrow.withdraw, (1)));
        MockTokenBase(token).mint(trader, 100);
        _approve(trader, address(escrow), 100);
        vm.prank(trader);
        vm.expectRevert(ReentrancyGuard.ReentrancyGuardReentrantCall.selector);
        escrow.deposit(100);
    }

    function test_Reentrancy_WithdrawCannotReenter() public {
        ReentrantToken rt = new ReentrantToken();
        _useToken(address(rt));
        _fund(trader, 1_000);
        rt.arm(address(escrow), abi.encodeCall(IEscrow.withdraw, (1)));
        vm.prank(trader);
        vm.expectRevert(ReentrancyGuard.ReentrancyGuardReentrantCall.selector);
        escrow.withdraw(500);
        assertEq(_available(trader), 1_000);
    }

    function test_Withdraw_RejectsTokenThatLies() public {
        // A token whose transfer "succeeds" without moving funds cannot pass the balance check.
        LyingToken lt = new LyingToken();
        _useToken(address(lt));
        _fund(trader, 1_000);
        lt.setLying(true);
        vm.prank(trader);
        vm.expectRevert(
            abi.encodeWithSelector(TokenTransfer.BalanceChangeMismatch.selector, address(lt), 100, 0)
        );
        escrow.withdraw(100);
        vm.prank(trader);
        vm.expectRevert(abi.encodeWithSelector(TokenTransfer.NothingReceived.selector, address(lt)));
        escrow.deposit(1);
    }

    function test_Withdraw_TokenRevertingWithoutReason() public {
        _fund(trader, 1_000);
        vm.mockCallRevert(token, abi.encodeWithSignature("transfer(address,uint256)", trader, 100), "");
        vm.prank(trader);
        vm.expectRevert(abi.encodeWithSelector(TokenTransfer.TokenCallFailed.selector, token));
        escrow.withdraw(100);
        assertEq(_available(trader), 1_000);
    }

    function test_Deposit_RejectsNonContractToken() public {
        address notAToken = makeAddr("notAToken");
        _useToken(notAToken);
        vm.prank(trader);
        vm.expectRevert(abi.encodeWithSelector(TokenTransfer.TokenCallFailed.selector, notAToken));
        escrow.deposit(1);
    }
}

/// @dev A token that returns true but, when lying, moves nothing.
contract LyingToken is MockTokenBase {
    bool public lying;

    constructor() MockTokenBase("Lying USD", "lUSD") {}

    function setLying(bool l) external {
        lying = l;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        if (!lying) _move(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        if (!lying) {
            _spendAllowance(from, msg.sender, amount);
            _move(from, to, amount);
        }
        return true;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        _approve(msg.sender, spender, amount);
        return true;
    }
}

/// @notice The split credited by a release against the DESIGN §4 formula, fuzzed over amount, tiers and
///         kind, with a fixed-input twin.
contract EscrowSettlementFuzzTest is BaseTest {
    function _releaseCollection(uint256 amount) internal {
        _fund(acceptor, amount);
        uint256 id = _openCollection(amount);
        vm.prank(acceptor);
        escrow.release(id);
    }

    function _releaseTrade(uint256 amount) internal {
        _fund(trader, amount);
        uint256 id = _openTrade(amount);
        _markPaid(id);
        vm.prank(trader);
        escrow.release(id);
    }

    function _setSchedule(uint16 feeBps, uint16 shareBps, uint16 rewardBps) internal {
        IEscrow.Tier[] memory m = new IEscrow.Tier[](1);
        m[0] = IEscrow.Tier(0, feeBps);
        IEscrow.Tier[] memory a = new IEscrow.Tier[](1);
        a[0] = IEscrow.Tier(0, shareBps);
        vm.prank(admin);
        escrow.setFeeSchedule(m, a, rewardBps);
    }

    function test_Release_Fixed_TradeSplit() public {
        _setSchedule(37, 2500, 1000);
        _releaseTrade(1_234_567);
        assertEq(_available(merchant), 1_230_000);
        assertEq(_available(agent), 1141);
        assertEq(_available(trader), 456);
        assertEq(_available(treasury), 2970);
        _assertConservation();
    }

    function testFuzz_Release_TradeSplitMatchesFormula(
        uint256 amount,
        uint16 feeBps,
        uint16 shareBps,
        uint16 rewardBps
    ) public {
        amount = bound(amount, 1, 1_000_000 * USDT);
        feeBps = uint16(bound(feeBps, 0, 1000));
        rewardBps = uint16(bound(rewardBps, 0, 10_000));
        shareBps = uint16(bound(shareBps, 0, 10_000 - rewardBps));
        _setSchedule(feeBps, shareBps, rewardBps);
        _releaseTrade(amount);

        uint256 fee = amount * feeBps / 10_000;
        uint256 cut = fee * shareBps / 10_000;
        uint256 reward = fee * rewardBps / 10_000;
        assertEq(_available(merchant), amount - fee, "buyer");
        assertEq(_available(agent), cut, "agent");
        assertEq(_available(trader), reward, "trader reward");
        assertEq(_available(treasury), fee - cut - reward, "platform");
        assertEq(escrow.account(merchant).merchantVolume, amount);
        assertEq(escrow.account(agent).agentVolume, amount);
        _assertConservation();
    }

    function test_Resolve_Fixed_CollectionSplit() public {
        _setSchedule(37, 2500, 1000);
        _fund(acceptor, 1_234_567);
        uint256 id = _openCollection(1_234_567);
        _dispute(id);
        vm.prank(arbiter);
        escrow.resolve(id, 3333);
        // gross 411481; fee 1522; agent 380; no reward (collection); platform 1142.
        assertEq(_available(merchant), 409_959);
        assertEq(_available(agent), 380);
        assertEq(_available(treasury), 1142);
        assertEq(_available(acceptor), 823_086);
        _assertConservation();
    }

    function testFuzz_Resolve_CollectionSplitMatchesFormula(uint256 amount, uint16 bps, uint16 feeBps)
        public
    {
        amount = bound(amount, 1, 1_000_000 * USDT);
        bps = uint16(bound(bps, 0, 10_000));
        feeBps = uint16(bound(feeBps, 0, 1000));
        _setSchedule(feeBps, 2000, 1000);
        _fund(acceptor, amount);
        uint256 id = _openCollection(amount);
        _dispute(id);
        vm.prank(arbiter);
        escrow.resolve(id, bps);

        uint256 gross = amount * bps / 10_000;
        uint256 fee = gross * feeBps / 10_000;
        uint256 cut = fee * 2000 / 10_000;
        assertEq(_available(merchant), gross - fee, "buyer");
        assertEq(_available(agent), cut, "agent");
        assertEq(_available(treasury), fee - cut, "platform (no reward on a collection)");
        assertEq(_available(acceptor), amount - gross, "seller refund");
        assertEq(escrow.account(merchant).merchantVolume, gross);
        _assertConservation();
    }

    function test_Release_Fixed_CollectionHasNoReward() public {
        _releaseCollection(1_000 * USDT);
        assertEq(_available(treasury), 8 * USDT);
        assertEq(_available(acceptor), 0);
    }
}
