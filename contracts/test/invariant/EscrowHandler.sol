// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test, Vm} from "forge-std/Test.sol";
import {Escrow} from "../../src/Escrow.sol";
import {IEscrow} from "../../src/interfaces/IEscrow.sol";
import {MockTokenBase} from "../mocks/MockTokenBase.sol";

/// @title EscrowHandler
/// @notice Drives random sequences of every escrow action by the right callers, including the admin,
///         guardian and compliance (fee changes, pause/unpause, KYC and region changes, role removal, treasury
///         moves, sweeps), the token (blacklisting, direct transfers to the escrow) and the accounts themselves
///         (withdrawal-address, co-signer and acceptor-limit changes). It keeps ghost books: the live deals, how
///         many times each deal reached a final state, settlements whose parts do not add up, settlements that
///         reverted although the rules allow them (docs/rules.md: a paused escrow, a blacklisted party or a
///         changed fee schedule never block one), and sweeps that did not restore balance == liabilities.
///         It also counts, per action, the escrow calls that took effect (`done`) and those the escrow refused
///         by its rules (`refused`), so a suite whose actions stopped happening (a `release` that always
///         reverts, deals that never open) fails instead of holding vacuously (EscrowActionCoverageTest).
contract EscrowHandler is Test {
    /// @dev One per handler entry point, in the order of the selectors the invariant tests target.
    enum Action {
        Deposit,
        Withdraw,
        RequestWithdrawalAddress,
        ChangeCoSigner,
        SetAcceptorLimits,
        Trade,
        Collection,
        Payout,
        AssignPayout,
        MarkPaid,
        Dispute,
        Release,
        Resolve,
        Cancel,
        SettleAgain,
        SetFees,
        PauseOrUnpause,
        SetKyc,
        BlockRegion,
        SetRoles,
        SetTreasury,
        Blacklist,
        TransferDirectly,
        Sweep,
        Warp
    }

    uint256 internal constant ACTIONS = 25; // uint256(type(Action).max) + 1, checked in the constructor

    Escrow internal escrow;
    MockTokenBase internal token;
    address internal dispatcher;
    address internal arbiter;
    address internal admin;
    address internal compliance;
    address internal coSigner;
    uint256 internal coSignerKey;

    address[] public actors;
    address[] internal merchants;
    address[] internal acceptors;
    address[] internal traders;
    /// @dev The actors compliance actions (KYC, region, roles) apply to: all but the first merchant, acceptor
    ///      and trader, so deals between those three keep opening however the others are restricted.
    address[] internal restrictable;

    uint256[] public liveDeals;
    mapping(uint256 dealId => uint256) public finalized;
    uint256 public doubleSettlements;
    uint256 public splitViolations;
    uint256 public settlements;
    uint256 public unexpectedReverts;
    uint256 public sweepViolations;
    /// @dev Per action: escrow (or token) calls that took effect. For SettleAgain: re-settlements refused.
    uint256[ACTIONS] internal _done;
    /// @dev Per action: escrow calls the escrow refused by its rules (paused, KYC, limits, blacklist, ...).
    uint256[ACTIONS] internal _refused;
    /// @dev Outflows above the daily allowance that went through with the co-signer's signature (not counted
    ///      in `done` for Withdraw and Release, which count the plain calls).
    uint256 public withdrawalsCoSigned;
    uint256 public releasesCoSigned;

    struct Keys {
        address dispatcher;
        address arbiter;
        address admin;
        address compliance;
    }

    constructor(
        Escrow escrow_,
        MockTokenBase token_,
        Keys memory keys,
        address[] memory merchants_,
        address[] memory acceptors_,
        address[] memory traders_,
        address[] memory others
    ) {
        escrow = escrow_;
        token = token_;
        require(uint256(type(Action).max) + 1 == ACTIONS, "ACTIONS");
        dispatcher = keys.dispatcher;
        arbiter = keys.arbiter;
        admin = keys.admin;
        compliance = keys.compliance;
        (coSigner, coSignerKey) = makeAddrAndKey("handler-co-signer");
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
        for (uint256 i; i < actors.length; ++i) {
            address a = actors[i];
            if (a != merchants_[0] && a != acceptors_[0] && a != traders_[0]) restrictable.push(a);
        }
    }

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    function liveDealCount() external view returns (uint256) {
        return liveDeals.length;
    }

    function done(Action a) external view returns (uint256) {
        return _done[uint256(a)];
    }

    function refused(Action a) external view returns (uint256) {
        return _refused[uint256(a)];
    }

    /*//////////////////////////////////////////////////////////////
                          ACCOUNT-HOLDER ACTIONS
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
        try escrow.deposit(amount) {
            _count(Action.Deposit);
        } catch {
            _refuse(Action.Deposit); // paused, or a blacklisted sender
        }
    }

    function withdraw(uint256 who, uint256 amount) external {
        address a = actors[who % actors.length];
        uint256 available = escrow.account(a).available;
        if (available == 0) return;
        amount = bound(amount, 1, available);
        if (_fitsAllowance(a, amount)) {
            vm.prank(a);
            try escrow.withdraw(amount) {
                _count(Action.Withdraw);
            } catch {
                _refuse(Action.Withdraw); // paused, or blacklisted
            }
        } else {
            uint256 deadline = block.timestamp + 1 hours;
            bytes memory sig = _coSign(a, 0, amount, deadline);
            vm.prank(a);
            try escrow.withdrawCoSigned(amount, deadline, sig) {
                ++withdrawalsCoSigned;
            } catch {
                _refuse(Action.Withdraw);
            }
        }
    }

    function requestWithdrawalAddress(uint256 who, uint256 to) external {
        vm.prank(actors[who % actors.length]);
        escrow.requestWithdrawalAddress(actors[to % actors.length]);
        _count(Action.RequestWithdrawalAddress);
    }

    /// @dev Set, raise (pending, applied later), lower or remove (co-signed) the handler's co-signer.
    function changeCoSigner(uint256 who, uint64 allowance, uint8 how) external {
        address a = actors[who % actors.length];
        allowance = uint64(bound(allowance, 0, 200_000e6));
        how %= 3;
        if (how == 0) {
            vm.prank(a);
            escrow.setCoSigner(coSigner, allowance);
            _count(Action.ChangeCoSigner);
        } else if (how == 1) {
            if (escrow.account(a).coSigner == address(0)) return;
            uint256 deadline = block.timestamp + 1 hours;
            uint256 subject = uint256(keccak256(abi.encode(address(0), uint64(0))));
            bytes memory sig = _coSign(a, 2, subject, deadline);
            vm.prank(a);
            escrow.setCoSignerCoSigned(address(0), 0, deadline, sig);
            _count(Action.ChangeCoSigner);
        } else {
            IEscrow.Account memory acc = escrow.account(a);
            if (acc.pendingCoSignerAt == 0 || block.timestamp < acc.pendingCoSignerAt) return;
            escrow.applyCoSigner(a);
            _count(Action.ChangeCoSigner);
        }
    }

    /// @dev Limits an acceptor might choose (1 to 500,000 USDT a deal), so offline and over-limit refusals
    ///      happen without stopping every collection and payout assignment.
    function setAcceptorLimits(uint256 who, bool online, uint64 maxPerDeal, uint64 maxLocked) external {
        maxPerDeal = uint64(bound(maxPerDeal, 1e6, 500_000e6));
        maxLocked = uint64(bound(maxLocked, maxPerDeal, 2_000_000e6));
        vm.prank(acceptors[who % acceptors.length]);
        escrow.setAcceptorLimits(online, maxPerDeal, maxLocked);
        _count(Action.SetAcceptorLimits);
    }

    /*//////////////////////////////////////////////////////////////
                              OPENING DEALS
    //////////////////////////////////////////////////////////////*/

    // Opening may fail by the rules (paused, KYC, region, a removed role, acceptor limits): counted as refused.

    function trade(uint256 m, uint256 t, uint256 amount) external {
        address merchant = merchants[m % merchants.length];
        address trader = traders[t % traders.length];
        uint256 available = escrow.account(trader).available;
        if (available == 0) return;
        amount = bound(amount, 1, available);
        vm.prank(merchant);
        try escrow.postBuyOrder(
            700, "CNY", amount, 1, amount, uint64(block.timestamp + 1 days), 1 hours
        ) returns (
            uint256 orderId
        ) {
            vm.prank(trader);
            try escrow.fillBuyOrder(orderId, amount, bytes32(orderId)) returns (uint256 id) {
                liveDeals.push(id);
                _count(Action.Trade);
            } catch {
                _refuse(Action.Trade);
            }
        } catch {
            _refuse(Action.Trade);
        }
    }

    function collection(uint256 a, uint256 m, uint256 amount) external {
        address acceptor = acceptors[a % acceptors.length];
        uint256 available = escrow.account(acceptor).available;
        if (available == 0) return;
        amount = bound(amount, 1, available);
        vm.prank(dispatcher);
        try escrow.assignCollection(acceptor, merchants[m % merchants.length], amount, 1 hours, "c") returns (
            uint256 id
        ) {
            liveDeals.push(id);
            _count(Action.Collection);
        } catch {
            _refuse(Action.Collection);
        }
    }

    function payout(uint256 m, uint256 a, uint256 amount, bool assign) external {
        address merchant = merchants[m % merchants.length];
        uint256 available = escrow.account(merchant).available;
        if (available == 0) return;
        amount = bound(amount, 1, available);
        vm.prank(merchant);
        try escrow.openPayout(amount, 1 hours, "p") returns (uint256 id) {
            liveDeals.push(id);
            _count(Action.Payout);
            if (assign) _assign(id, a);
        } catch {
            _refuse(Action.Payout);
        }
    }

    function assignPayout(uint256 i, uint256 a) external {
        (uint256 id, IEscrow.Deal memory d) =
            _pickIn(i, IEscrow.DealState.Unassigned, IEscrow.DealState.Unassigned);
        if (d.state != IEscrow.DealState.Unassigned) return;
        _assign(id, a);
    }

    function _assign(uint256 id, uint256 a) internal {
        vm.prank(dispatcher);
        try escrow.assignPayout(id, acceptors[a % acceptors.length]) {
            _count(Action.AssignPayout);
        } catch {
            _refuse(Action.AssignPayout); // the acceptor is offline, over its limits, or not compliant
        }
    }

    /*//////////////////////////////////////////////////////////////
                   PROGRESSING DEALS (MUST NOT REVERT)
    //////////////////////////////////////////////////////////////*/

    function markPaid(uint256 i) external {
        (uint256 id, IEscrow.Deal memory d) = _pickIn(i, IEscrow.DealState.Open, IEscrow.DealState.Open);
        if (d.state != IEscrow.DealState.Open) return;
        vm.prank(d.buyer);
        try escrow.markPaid(id) {
            _count(Action.MarkPaid);
        } catch {
            ++unexpectedReverts;
        }
    }

    function dispute(uint256 i, bool bySeller) external {
        (uint256 id, IEscrow.Deal memory d) = _pickIn(i, IEscrow.DealState.Paid, IEscrow.DealState.Paid);
        if (d.state != IEscrow.DealState.Paid) return;
        vm.prank(bySeller ? d.seller : d.buyer);
        try escrow.dispute(id) {
            _count(Action.Dispute);
        } catch {
            ++unexpectedReverts;
        }
    }

    function release(uint256 i) external {
        (uint256 id, IEscrow.Deal memory d) = _pickIn(i, IEscrow.DealState.Open, IEscrow.DealState.Paid);
        if (d.state != IEscrow.DealState.Open && d.state != IEscrow.DealState.Paid) return;
        _settleAndCheck(id, d, 10_000, false);
    }

    function resolve(uint256 i, uint16 bps) external {
        (uint256 id, IEscrow.Deal memory d) =
            _pickIn(i, IEscrow.DealState.Disputed, IEscrow.DealState.Disputed);
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
        try escrow.cancel(id) {
            _finalize(i, id);
            _count(Action.Cancel);
        } catch {
            ++unexpectedReverts;
        }
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
        } catch {
            _count(Action.SettleAgain);
        }
        vm.prank(arbiter);
        try escrow.resolve(id, 5000) {
            ++doubleSettlements;
        } catch {
            _count(Action.SettleAgain);
        }
    }

    /*//////////////////////////////////////////////////////////////
                    ADMIN, GUARDIAN, COMPLIANCE, TOKEN
    //////////////////////////////////////////////////////////////*/

    function setFees(uint16 feeBps, uint16 shareBps, uint16 rewardBps) external {
        IEscrow.Tier[] memory m = new IEscrow.Tier[](2);
        m[0] = IEscrow.Tier(0, uint16(bound(feeBps, 0, 1000)));
        m[1] = IEscrow.Tier(50_000e6, uint16(bound(feeBps / 2, 0, 1000)));
        rewardBps = uint16(bound(rewardBps, 0, 5000));
        IEscrow.Tier[] memory g = new IEscrow.Tier[](1);
        g[0] = IEscrow.Tier(0, uint16(bound(shareBps, 0, 10_000 - rewardBps)));
        vm.prank(admin);
        escrow.setFeeSchedule(m, g, rewardBps);
        _count(Action.SetFees);
    }

    /// @dev A pause lasts until the next call of this action (an incident, then the admin's unpause), so the
    ///      escrow is not left paused for most of a long run.
    function pauseOrUnpause(bool pause_) external {
        bool paused = escrow.paused();
        if (!paused && !pause_) return;
        vm.prank(admin);
        if (paused) escrow.unpause();
        else escrow.pause();
        _count(Action.PauseOrUnpause);
    }

    function setKyc(uint256 who, uint8 level, bool otherRegion) external {
        vm.prank(compliance);
        escrow.setKyc(restrictable[who % restrictable.length], level % 3, otherRegion ? 2 : 1);
        _count(Action.SetKyc);
    }

    function blockRegion(bool blocked) external {
        vm.prank(admin);
        escrow.setRegionBlocked(2, blocked);
        _count(Action.BlockRegion);
    }

    function setRoles(uint256 who, uint8 roles) external {
        vm.prank(admin);
        escrow.setRoles(restrictable[who % restrictable.length], roles % 8);
        _count(Action.SetRoles);
    }

    function setTreasury(uint256 who) external {
        vm.prank(admin);
        escrow.setTreasury(actors[who % actors.length]);
        _count(Action.SetTreasury);
    }

    function blacklist(uint256 who, bool listed) external {
        token.setBlacklisted(actors[who % actors.length], listed);
        _count(Action.Blacklist);
    }

    function transferDirectly(uint256 amount) external {
        token.mint(address(escrow), bound(amount, 1, 10_000e6));
        _count(Action.TransferDirectly);
    }

    function sweep() external {
        if (token.balanceOf(address(escrow)) == escrow.liabilities()) return;
        vm.prank(admin);
        escrow.sweepSurplus();
        if (token.balanceOf(address(escrow)) != escrow.liabilities()) ++sweepViolations;
        _count(Action.Sweep);
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 2 days));
        _count(Action.Warp);
    }

    /*//////////////////////////////////////////////////////////////
                                 CLOSING
    //////////////////////////////////////////////////////////////*/

    /// @dev Finalise every live deal, without try/catch: any revert fails the caller (afterInvariant).
    function finaliseAll() external {
        while (liveDeals.length != 0) {
            uint256 id = liveDeals[liveDeals.length - 1];
            IEscrow.Deal memory d = escrow.deal(id);
            if (d.state == IEscrow.DealState.Unassigned) {
                vm.prank(d.seller);
                escrow.cancel(id);
            } else if (d.state == IEscrow.DealState.Disputed) {
                vm.prank(arbiter);
                escrow.resolve(id, 5000);
            } else if (_fitsAllowance(d.seller, d.amount)) {
                vm.prank(d.seller);
                escrow.release(id);
            } else {
                uint256 deadline = block.timestamp + 1 hours;
                bytes memory sig = _coSign(d.seller, 1, id, deadline);
                vm.prank(d.seller);
                escrow.releaseCoSigned(id, deadline, sig);
            }
            liveDeals.pop();
            ++finalized[id];
        }
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _count(Action a) internal {
        ++_done[uint256(a)];
    }

    function _refuse(Action a) internal {
        ++_refused[uint256(a)];
    }

    /// @dev The first live deal in state `a` or `b`, searching from index `i` on (wrapping), so an action meant
    ///      for one state acts whenever such a deal exists; otherwise state None.
    function _pickIn(uint256 i, IEscrow.DealState a, IEscrow.DealState b)
        internal
        view
        returns (uint256 id, IEscrow.Deal memory d)
    {
        uint256 n = liveDeals.length;
        for (uint256 k; k < n; ++k) {
            id = liveDeals[(i + k) % n];
            d = escrow.deal(id);
            if (d.state == a || d.state == b) return (id, d);
        }
        IEscrow.Deal memory none;
        return (0, none);
    }

    function _pick(uint256 i) internal view returns (uint256 id, IEscrow.Deal memory d) {
        if (liveDeals.length == 0) return (0, d);
        id = liveDeals[i % liveDeals.length];
        d = escrow.deal(id);
    }

    /// @dev Whether an outflow of `amount` by `a` needs no co-signature (docs/rules.md, "Co-signer").
    function _fitsAllowance(address a, uint256 amount) internal view returns (bool) {
        IEscrow.Account memory acc = escrow.account(a);
        if (acc.coSigner == address(0)) return true;
        uint256 today = acc.outflowDay == block.timestamp / 1 days ? acc.outflowToday : 0;
        return today + amount <= acc.dailyAllowance;
    }

    function _coSign(address a, uint8 action, uint256 subject, uint256 deadline)
        internal
        view
        returns (bytes memory)
    {
        uint256 nonce = escrow.account(a).coSignNonce;
        (uint8 v, bytes32 r, bytes32 s) =
            vm.sign(coSignerKey, escrow.coSignHash(a, action, subject, nonce, deadline));
        return abi.encodePacked(r, s, v);
    }

    function _settleAndCheck(uint256 id, IEscrow.Deal memory d, uint16 bps, bool byArbiter) internal {
        address treasury = escrow.treasury();
        address[4] memory who = [d.buyer, d.agent, d.seller, treasury];
        uint256[4] memory before;
        uint256 total;
        for (uint256 k; k < 4; ++k) {
            if (who[k] != address(0) && !_seen(who, k)) {
                before[k] = escrow.account(who[k]).available;
            }
        }
        uint256 lockedBefore = escrow.account(d.seller).locked;
        vm.recordLogs();
        bool ok;
        bool coSigned;
        if (byArbiter) {
            vm.prank(arbiter);
            try escrow.resolve(id, bps) {
                ok = true;
            } catch {}
        } else if (_fitsAllowance(d.seller, d.amount)) {
            vm.prank(d.seller);
            try escrow.release(id) {
                ok = true;
            } catch {}
        } else {
            uint256 deadline = block.timestamp + 1 hours;
            bytes memory sig = _coSign(d.seller, 1, id, deadline);
            vm.prank(d.seller);
            try escrow.releaseCoSigned(id, deadline, sig) {
                ok = true;
                coSigned = true;
            } catch {}
        }
        if (!ok) {
            ++unexpectedReverts;
            return;
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
        // The emitted settlement: fee within the gross, parts adding up, gross = floor(amount * bps / 10000),
        // and the fee at the rate fixed when the deal opened.
        IEscrow.Settlement memory e = _emittedSettlement(byArbiter);
        if (e.amount != uint256(d.amount) * bps / 10_000) ++splitViolations;
        if (e.fee != e.amount * d.feeBps / 10_000) ++splitViolations;
        if (e.fee > e.amount || e.buyerNet + e.fee != e.amount) ++splitViolations;
        if (e.agentCut + e.reward + e.platform != e.fee) ++splitViolations;
        if (e.agent != d.agent) ++splitViolations;
        ++settlements;
        if (coSigned) ++releasesCoSigned;
        else _count(byArbiter ? Action.Resolve : Action.Release);
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
