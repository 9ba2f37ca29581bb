// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {StdInvariant} from "forge-std/StdInvariant.sol";
import {console} from "forge-std/console.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {IEscrow} from "../../src/interfaces/IEscrow.sol";
import {MockTokenBase} from "../mocks/MockTokenBase.sol";
import {MockUSDTSenderBlacklist} from "../mocks/MockUSDTSenderBlacklist.sol";
import {EscrowHandler} from "./EscrowHandler.sol";

/// @notice The escrow, its actors and the handler the invariant tests drive: every action, including admin,
///         guardian, compliance and token-side actions (USDT-like mock whose blacklist checks only the sender).
abstract contract EscrowInvariantBase is StdInvariant, BaseTest {
    EscrowHandler internal handler;

    function setUp() public override {
        token = address(new MockUSDTSenderBlacklist());
        escrow = _deployEscrow(token);
        _setUpParticipants();
        // Invariant actors need KYC and roles: a second merchant without agent, a second acceptor, a trader.
        address merchant2 = makeAddr("merchant2");
        address acceptor2 = makeAddr("acceptor2");
        address trader2 = makeAddr("trader2");
        vm.startPrank(admin);
        escrow.setRoles(merchant2, escrow.ROLE_MERCHANT() | escrow.ROLE_ACCEPTOR());
        escrow.setRoles(acceptor2, escrow.ROLE_ACCEPTOR());
        vm.stopPrank();
        vm.startPrank(compliance);
        escrow.setKyc(merchant2, 1, 1);
        escrow.setKyc(acceptor2, 1, 1);
        escrow.setKyc(trader2, 1, 1);
        vm.stopPrank();
        vm.prank(merchant2);
        escrow.setAcceptorLimits(true, type(uint64).max, type(uint64).max);
        vm.prank(acceptor2);
        escrow.setAcceptorLimits(true, type(uint64).max, type(uint64).max);

        address[] memory ms = new address[](2);
        (ms[0], ms[1]) = (merchant, merchant2);
        address[] memory as_ = new address[](2);
        (as_[0], as_[1]) = (acceptor, acceptor2);
        address[] memory ts = new address[](2);
        (ts[0], ts[1]) = (trader, trader2);
        address[] memory others = new address[](2);
        (others[0], others[1]) = (agent, treasury);
        // Everyone who can be a seller starts with collateral, so deals open from the first call.
        _fund(merchant, 100_000 * USDT);
        _fund(merchant2, 100_000 * USDT);
        _fund(acceptor, 100_000 * USDT);
        _fund(acceptor2, 100_000 * USDT);
        _fund(trader, 100_000 * USDT);
        _fund(trader2, 100_000 * USDT);
        handler = new EscrowHandler(
            escrow,
            MockTokenBase(token),
            EscrowHandler.Keys({
                dispatcher: dispatcher, arbiter: arbiter, admin: admin, compliance: compliance
            }),
            ms,
            as_,
            ts,
            others
        );
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](26);
        selectors[0] = EscrowHandler.deposit.selector;
        selectors[1] = EscrowHandler.withdraw.selector;
        selectors[2] = EscrowHandler.requestWithdrawalAddress.selector;
        selectors[3] = EscrowHandler.changeCoSigner.selector;
        selectors[4] = EscrowHandler.setAcceptorLimits.selector;
        selectors[5] = EscrowHandler.trade.selector;
        selectors[6] = EscrowHandler.collection.selector;
        selectors[7] = EscrowHandler.payout.selector;
        selectors[8] = EscrowHandler.assignPayout.selector;
        selectors[9] = EscrowHandler.markPaid.selector;
        selectors[10] = EscrowHandler.dispute.selector;
        selectors[11] = EscrowHandler.release.selector;
        selectors[12] = EscrowHandler.resolve.selector;
        selectors[13] = EscrowHandler.cancel.selector;
        selectors[14] = EscrowHandler.settleAgain.selector;
        selectors[15] = EscrowHandler.setFees.selector;
        selectors[16] = EscrowHandler.pauseOrUnpause.selector;
        selectors[17] = EscrowHandler.setKyc.selector;
        selectors[18] = EscrowHandler.blockRegion.selector;
        selectors[19] = EscrowHandler.setRoles.selector;
        selectors[20] = EscrowHandler.setTreasury.selector;
        selectors[21] = EscrowHandler.blacklist.selector;
        selectors[22] = EscrowHandler.transferDirectly.selector;
        selectors[23] = EscrowHandler.sweep.selector;
        selectors[24] = EscrowHandler.warp.selector;
        selectors[25] = EscrowHandler.trade.selector; // deals twice as likely as the rarer admin actions
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }
}

/// @notice Invariants of the escrow under random sequences of every action: liabilities == sum of balances
///         exactly, the token balance covers them, locked == live deals, no deal settles twice, settlements
///         split exactly at the rates fixed at open, and no settlement ever reverts. After every run the escrow
///         is paused, everyone is blacklisted and every live deal is finalised without a revert (docs/rules.md,
///         the v2 sections).
contract EscrowInvariantTest is EscrowInvariantBase {
    /// @dev liabilities == sum of available + locked over every account that can hold funds, exactly; the
    ///      token balance covers them (tokens sent directly are surplus until swept).
    function invariant_Conservation() public view {
        uint256 sum;
        uint256 n = handler.actorCount();
        for (uint256 i; i < n; ++i) {
            IEscrow.Account memory a = escrow.account(handler.actors(i));
            sum += uint256(a.available) + a.locked;
        }
        assertEq(escrow.liabilities(), sum, "liabilities");
        assertGe(MockTokenBase(token).balanceOf(address(escrow)), sum, "holding");
    }

    /// @dev The locked balances equal the amounts of the live deals.
    function invariant_LockedEqualsLiveDeals() public view {
        uint256 locked;
        uint256 n = handler.actorCount();
        for (uint256 i; i < n; ++i) {
            locked += escrow.account(handler.actors(i)).locked;
        }
        uint256 live;
        uint256 d = handler.liveDealCount();
        for (uint256 i; i < d; ++i) {
            live += escrow.deal(handler.liveDeals(i)).amount;
        }
        assertEq(locked, live);
    }

    function invariant_NoDealSettlesTwice() public view {
        assertEq(handler.doubleSettlements(), 0);
    }

    function invariant_SettlementsSplitExactly() public view {
        assertEq(handler.splitViolations(), 0);
    }

    function invariant_SettlementsNeverRevert() public view {
        assertEq(handler.unexpectedReverts(), 0);
    }

    function invariant_SweepRestoresEquality() public view {
        assertEq(handler.sweepViolations(), 0);
    }

    /// @dev Pause, blacklist everyone (the escrow too) and finalise every live deal: nothing may revert.
    function afterInvariant() public {
        if (!escrow.paused()) {
            vm.prank(guardian);
            escrow.pause();
        }
        uint256 n = handler.actorCount();
        for (uint256 i; i < n; ++i) {
            MockTokenBase(token).setBlacklisted(handler.actors(i), true);
        }
        MockTokenBase(token).setBlacklisted(address(escrow), true);
        handler.finaliseAll();
        uint256 sum;
        for (uint256 i; i < n; ++i) {
            IEscrow.Account memory a = escrow.account(handler.actors(i));
            assertEq(a.locked, 0, "nothing locked");
            sum += a.available;
        }
        assertEq(escrow.liabilities(), sum, "liabilities after finalising");
    }
}

/// @notice The invariants above hold only if the actions happen: a `release` that always reverted, or deals
///         that never opened, would leave every invariant true. This campaign runs long sequences (5,000 calls)
///         and, after each, requires every handler action to have taken effect at least MIN times, the rules to
///         have refused some deposits, withdrawals, openings and assignments (pause, compliance, blacklist,
///         acceptor limits; docs/rules.md) and every re-settlement of a final deal, and some withdrawals and
///         releases to have gone through with the co-signer (docs/rules.md, "Co-signer"). A run does far more of each (run with -vv to see the counts: 10 seeds at 3,000
///         calls gave at least 4 collections, 6 resolutions, 27 releases and tens of everything else), so only
///         an action that stopped working misses its minimum.
contract EscrowActionCoverageTest is EscrowInvariantBase {
    uint256 internal constant MIN = 3;

    /// @dev Checked after every call; the point of this campaign is its afterInvariant step. No shrinking: a
    ///      shorter sequence always has fewer actions, so shrinking a failure here would only take minutes.
    /// forge-config: default.invariant.runs = 2
    /// forge-config: default.invariant.depth = 5000
    /// forge-config: default.invariant.shrink_run_limit = 0
    function invariant_ActionsHappen() public view {
        assertEq(handler.unexpectedReverts(), 0, "a settlement reverted");
    }

    function afterInvariant() public view {
        string[25] memory names = [
            "deposit",
            "withdraw",
            "requestWithdrawalAddress",
            "changeCoSigner",
            "setAcceptorLimits",
            "trade",
            "collection",
            "payout",
            "assignPayout",
            "markPaid",
            "dispute",
            "release",
            "resolve",
            "cancel",
            "settleAgain (refused)",
            "setFees",
            "pauseOrUnpause",
            "setKyc",
            "blockRegion",
            "setRoles",
            "setTreasury",
            "blacklist",
            "transferDirectly",
            "sweep",
            "warp"
        ];
        string memory line = "done/refused per action:";
        for (uint256 a; a < names.length; ++a) {
            EscrowHandler.Action action = EscrowHandler.Action(a);
            line = string.concat(
                line,
                " ",
                names[a],
                " ",
                vm.toString(handler.done(action)),
                "/",
                vm.toString(handler.refused(action))
            );
        }
        console.log(line);
        console.log(
            "settlements",
            handler.settlements(),
            "co-signed withdrawals / releases",
            string.concat(
                vm.toString(handler.withdrawalsCoSigned()), " / ", vm.toString(handler.releasesCoSigned())
            )
        );

        for (uint256 a; a < names.length; ++a) {
            assertGe(
                handler.done(EscrowHandler.Action(a)), MIN, string.concat(names[a], ": too few took effect")
            );
        }
        EscrowHandler.Action[6] memory refusable = [
            EscrowHandler.Action.Deposit,
            EscrowHandler.Action.Withdraw,
            EscrowHandler.Action.Trade,
            EscrowHandler.Action.Collection,
            EscrowHandler.Action.Payout,
            EscrowHandler.Action.AssignPayout
        ];
        for (uint256 k; k < refusable.length; ++k) {
            assertGe(
                handler.refused(refusable[k]),
                MIN,
                string.concat(names[uint256(refusable[k])], ": too few refused")
            );
        }
        assertGe(handler.withdrawalsCoSigned(), MIN, "withdrawCoSigned: too few took effect");
        assertGe(handler.releasesCoSigned(), MIN, "releaseCoSigned: too few took effect");
        assertEq(
            handler.settlements(),
            handler.done(EscrowHandler.Action.Release) + handler.releasesCoSigned()
                + handler.done(EscrowHandler.Action.Resolve),
            "settlements"
        );
    }
}
