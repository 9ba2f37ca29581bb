// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {StdInvariant} from "forge-std/StdInvariant.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {IEscrow} from "../../src/interfaces/IEscrow.sol";
import {MockTokenBase} from "../mocks/MockTokenBase.sol";
import {MockUSDTTron} from "../mocks/MockUSDTTron.sol";
import {EscrowHandler} from "./EscrowHandler.sol";

/// @notice Invariants of the escrow under random sequences of every action (TRON-USDT mock):
///         conservation, locked == live deals, no deal settles twice, settlements split exactly.
contract EscrowInvariantTest is StdInvariant, BaseTest {
    EscrowHandler internal handler;

    function setUp() public override {
        token = address(new MockUSDTTron());
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
        handler = new EscrowHandler(escrow, MockTokenBase(token), dispatcher, arbiter, ms, as_, ts, others);
        targetContract(address(handler));
    }

    /// @dev token.balanceOf(escrow) == sum of available + locked over every account that can hold funds.
    function invariant_Conservation() public view {
        uint256 sum;
        uint256 n = handler.actorCount();
        for (uint256 i; i < n; ++i) {
            IEscrow.Account memory a = escrow.account(handler.actors(i));
            sum += uint256(a.available) + a.locked;
        }
        assertEq(MockTokenBase(token).balanceOf(address(escrow)), sum);
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
}
