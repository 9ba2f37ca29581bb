// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test, Vm} from "forge-std/Test.sol";
import {Escrow} from "../../src/Escrow.sol";
import {IEscrow} from "../../src/interfaces/IEscrow.sol";
import {MockTokenBase} from "../mocks/MockTokenBase.sol";

/// @title EscrowHandler
/// @notice Drives random sequences of every escrow action by the right callers, and keeps ghost books:
///         the set of live deals, how many times each deal reached a final state, and any settlement whose
///         credited parts did not add up to the gross amount or whose fee exceeded it.
contract EscrowHandler is Test {
    Escrow internal escrow;
    MockTokenBase internal token;
    address internal dispatcher;
    address internal arbiter;

    address[] public actors;
    address[] internal merchants;
    address[] internal acceptors;
    address[] internal traders;

    uint256[] public liveDeals;
    mapping(uint256 dealId => uint256) public finalized;
    uint256 public doubleSettlements;
    uint256 public splitViolations;
    uint256 public settlements;

    constructor(
        Escrow escrow_,
        MockTokenBase token_,
        address dispatcher_,
        address arbiter_,
        address[] memory merchants_,
        address[] memory acceptors_,
        address[] memory traders_,
        address[] memory others
    ) {
        escrow = escrow_;
        token = token_;
        dispatcher = dispatcher_;
        arbiter = arbiter_;
        merchants = merchants_;
        acceptors = acceptors_;
        traders = traders_;
        for (uint256 i; i < merchants_.length; ++i) {
            actors.push(merchants_[i]);
        }
        for (uint256 i; i < acceptors_.length; ++i) {
            actors.push(acceptors_[i]);
        }
        for (uint256 i; i < traders_.length; ++i) {
            actors.push(traders_[i]);
        }
        for (uint256 i; i < others.length; ++i) {
            actors.push(others[i]);
        }
    }

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    function liveDealCount() external view returns (uint256) {
        return liveDeals.length;
    }

    /*//////////////////////////////////////////////////////////////
                                ACTIONS
    //////////////////////////////////////////////////////////////*/

    function deposit(uint256 who, uint256 amount) external {
        address a = actors[who % actors.length];
        amount = bound(amount, 1, 1_000_000e6);
        token.mint(a, amount);
        vm.prank(a);
        (bool ok,) =
            address(token).call(abi.encodeWithSignature("approve(address,uint256)", address(escrow), amount));
        require(ok, "approve");
        vm.prank(a);
        escrow.deposit(amount);
    }

    function withdraw(uint256 who, uint256 amount) external {
        address a = actors[who % actors.length];
        uint256 available = escrow.account(a).available;
        if (available == 0) return;
        amount = bound(amount, 1, available);
        vm.prank(a);
        escrow.withdraw(amount);
    }

    function trade(uint256 m, uint256 t, uint256 amount) external {
        address merchant = merchants[m % merchants.length];
        address trader = traders[t % traders.length];
        uint256 available = escrow.account(trader).available;
        if (available == 0) return;
        amount = bound(amount, 1, available);
        vm.prank(merchant);
        uint256 orderId =
            escrow.postBuyOrder(700, "CNY", amount, 1, amount, uint64(block.timestamp + 1 days), 1 hours);
        vm.prank(trader);
        liveDeals.push(escrow.fillBuyOrder(orderId, amount, bytes32(orderId)));
    }

    function collection(uint256 a, uint256 m, uint256 amount) external {
        address acceptor = acceptors[a % acceptors.length];
        uint256 available = escrow.account(acceptor).available;
        if (available == 0) return;
        amount = bound(amount, 1, available);
        vm.prank(dispatcher);
        liveDeals.push(
            escrow.assignCollection(acceptor, merchants[m % merchants.length], amount, 1 hours, "c")
        );
    }

    function payout(uint256 m, uint256 a, uint256 amount, bool assign) external {
        address merchant = merchants[m % merchants.length];
        uint256 available = escrow.account(merchant).available;
        if (available == 0) return;
        amount = bound(amount, 1, available);
        vm.prank(merchant);
        uint256 id = escrow.openPayout(amount, 1 hours, "p");
        liveDeals.push(id);
        if (assign) {
            vm.prank(dispatcher);
            escrow.assignPayout(id, acceptors[a % acceptors.length]);
        }
    }

    function assignPayout(uint256 i, uint256 a) external {
        (uint256 id, IEscrow.Deal memory d) = _pick(i);
        if (d.state != IEscrow.DealState.Unassigned) return;
        vm.prank(dispatcher);
        escrow.assignPayout(id, acceptors[a % acceptors.length]);
    }

    function markPaid(uint256 i) external {
        (uint256 id, IEscrow.Deal memory d) = _pick(i);
        if (d.state != IEscrow.DealState.Open) return;
        vm.prank(d.buyer);
        escrow.markPaid(id);
    }

    function dispute(uint256 i, bool bySeller) external {
        (uint256 id, IEscrow.Deal memory d) = _pick(i);
        if (d.state != IEscrow.DealState.Paid) return;
        vm.prank(bySeller ? d.seller : d.buyer);
        escrow.dispute(id);
    }

    function release(uint256 i) external {
        (uint256 id, IEscrow.Deal memory d) = _pick(i);
        if (d.state != IEscrow.DealState.Open && d.state != IEscrow.DealState.Paid) return;
        _settleAndCheck(id, d, 10_000, false);
    }

    function resolve(uint256 i, uint16 bps) external {
        (uint256 id, IEscrow.Deal memory d) = _pick(i);
        if (d.state != IEscrow.DealState.Disputed) return;
        bps = uint16(bound(bps, 0, 10_000));
        _settleAndCheck(id, d, bps, true);
    }

    function cancel(uint256 i, bool bySeller) external {
        (uint256 id, IEscrow.Deal memory d) = _pick(i);
        if (d.state == IEscrow.DealState.None) return;
        address by;
        if (d.state == IEscrow.DealState.Unassigned) {
            by = d.seller;
        } else if (bySeller && d.state == IEscrow.DealState.Open) {
            vm.warp(d.deadline + 1);
            by = d.seller;
        } else {
            by = d.buyer;
        }
        vm.prank(by);
        escrow.cancel(id);
        _finalize(i, id);
    }

    /// @dev Try to settle a deal that is already final: must revert, and counts if it ever does not.
    function settleAgain(uint256 id, bool asArbiter) external {
        if (id == 0 || finalized[id] == 0) {
            id = bound(id, 1, escrow.nextDealId());
            if (finalized[id] == 0) return;
        }
        IEscrow.Deal memory d = escrow.deal(id);
        if (d.state != IEscrow.DealState.None) ++doubleSettlements;
        vm.prank(asArbiter ? arbiter : d.seller);
        try escrow.release(id) {
            ++doubleSettlements;
        } catch {}
        vm.prank(arbiter);
        try escrow.resolve(id, 5000) {
            ++doubleSettlements;
        } catch {}
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 2 days));
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _pick(uint256 i) internal view returns (uint256 id, IEscrow.Deal memory d) {
        if (liveDeals.length == 0) return (0, d);
        id = liveDeals[i % liveDeals.length];
        d = escrow.deal(id);
    }

    function _settleAndCheck(uint256 id, IEscrow.Deal memory d, uint16 bps, bool byArbiter) internal {
        address merchant = escrow.merchantOf(id);
        address agent = escrow.account(merchant).agent;
        address treasury = escrow.treasury();
        address[4] memory who = [d.buyer, agent, d.seller, treasury];
        uint256[4] memory before;
        uint256 total;
        for (uint256 k; k < 4; ++k) {
            if (who[k] != address(0) && !_seen(who, k)) {
                before[k] = escrow.account(who[k]).available;
            }
        }
        uint256 lockedBefore = escrow.account(d.seller).locked;
        vm.recordLogs();
        if (byArbiter) {
            vm.prank(arbiter);
            escrow.resolve(id, bps);
        } else {
            vm.prank(d.seller);
            escrow.release(id);
        }
        for (uint256 k; k < 4; ++k) {
            if (who[k] != address(0) && !_seen(who, k)) {
                total += escrow.account(who[k]).available - before[k];
            }
        }
        // Everything unlocked went to the four parties (refund included), nothing more, nothing less.
        if (total != d.amount || lockedBefore - escrow.account(d.seller).locked != d.amount) {
            ++splitViolations;
        }
        // The emitted settlement: fee within the gross, parts adding up, gross = floor(amount * bps / 10000).
        IEscrow.Settlement memory e = _emittedSettlement(byArbiter);
        if (e.amount != uint256(d.amount) * bps / 10_000) ++splitViolations;
        if (e.fee > e.amount || e.buyerNet + e.fee != e.amount) ++splitViolations;
        if (e.agentCut + e.reward + e.platform != e.fee) ++splitViolations;
        ++settlements;
        _finalizeById(id);
    }

    function _emittedSettlement(bool resolved) internal returns (IEscrow.Settlement memory s) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bytes32 topic = resolved ? IEscrow.DealResolved.selector : IEscrow.DealReleased.selector;
        for (uint256 k; k < logs.length; ++k) {
            if (logs[k].topics[0] != topic) continue;
            if (resolved) (,, s) = abi.decode(logs[k].data, (uint16, uint256, IEscrow.Settlement));
            else s = abi.decode(logs[k].data, (IEscrow.Settlement));
            return s;
        }
        ++splitViolations; // no settlement event
    }

    /// @dev True when who[k] already appeared at an earlier index (the same account in two roles).
    function _seen(address[4] memory who, uint256 k) internal pure returns (bool) {
        for (uint256 j; j < k; ++j) {
            if (who[j] == who[k]) return true;
        }
        return false;
    }

    function _finalize(uint256 i, uint256 id) internal {
        if (++finalized[id] > 1) ++doubleSettlements;
        liveDeals[i % liveDeals.length] = liveDeals[liveDeals.length - 1];
        liveDeals.pop();
    }

    function _finalizeById(uint256 id) internal {
        for (uint256 j; j < liveDeals.length; ++j) {
            if (liveDeals[j] == id) {
                _finalize(j, id);
                return;
            }
        }
    }
}
