// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Escrow} from "../src/Escrow.sol";
import {IEscrow} from "../src/interfaces/IEscrow.sol";
import {EscrowConfig} from "../src/base/EscrowConfig.sol";
import {VectorJson} from "./utils/VectorJson.sol";
import {MockTokenBase} from "./mocks/MockTokenBase.sol";
import {MockERC20} from "./mocks/MockERC20.sol";
import {MockUSDTEthereum} from "./mocks/MockUSDTEthereum.sol";
import {MockUSDTTron} from "./mocks/MockUSDTTron.sol";

/// @title ConformanceTest
/// @notice Runs every scenario of tests/vectors/settlement.json (the cross-chain conformance vectors) against a
///         fresh Escrow, once per token behaviour, and asserts every expected balance, volume and conservation.
contract ConformanceTest is VectorJson {
    string internal constant VECTORS = "tests/vectors/settlement.json";
    uint32 internal constant WINDOW = 1 hours;

    Escrow internal escrow;
    address internal token;
    address internal admin = makeAddr("admin");
    address internal arbiter = makeAddr("arbiter");
    address internal dispatcher = makeAddr("dispatcher");
    address internal treasury = makeAddr("treasury");
    /// @dev Each party's co-signer key (protocol v2 `co_signers`), by party address.
    mapping(address party => uint256) internal coSignerKey;
    /// @dev Money that left or entered the books during a scenario: withdrawals and sweeps.
    uint256 internal withdrawn;
    uint256 internal swept;
    uint256 internal directTransfer;

    function setUp() public {
        json = vm.readFile(string.concat(vm.projectRoot(), "/", VECTORS));
    }

    function test_Conformance_StandardERC20() public {
        _runAll(TokenKind.Erc20);
    }

    function test_Conformance_EthereumUSDT() public {
        _runAll(TokenKind.EthereumUsdt);
    }

    function test_Conformance_TronUSDT() public {
        _runAll(TokenKind.TronUsdt);
    }

    /// @dev Guards against a vectors file that silently shrank or failed to parse.
    function test_Conformance_HasScenarios() public view {
        assertGe(_count(".scenarios"), 6, "at least 6 scenarios");
    }

    /*//////////////////////////////////////////////////////////////
                                 RUNNER
    //////////////////////////////////////////////////////////////*/

    enum TokenKind {
        Erc20,
        EthereumUsdt,
        TronUsdt
    }

    function _runAll(TokenKind kind) internal {
        uint256 n = _count(".scenarios");
        assertGt(n, 0, "no scenarios");
        for (uint256 i; i < n; ++i) {
            uint256 snap = vm.snapshotState();
            _runScenario(kind, string.concat(".scenarios[", vm.toString(i), "]"));
            vm.revertToState(snap);
        }
    }

    function _runScenario(TokenKind kind, string memory s) internal {
        string memory name = vm.parseJsonString(json, string.concat(s, ".name"));
        (withdrawn, swept, directTransfer) = (0, 0, 0);
        _deploy(kind, s);
        _setUpParties(s);
        _setUpCoSigners(s);
        uint256 deposited = _deposit(s);
        if (_has(s, ".direct_transfer")) {
            directTransfer = vm.parseJsonUint(json, string.concat(s, ".direct_transfer"));
            MockTokenBase(token).mint(address(escrow), directTransfer);
        }

        uint256 nDeals = _count(string.concat(s, ".deals"));
        for (uint256 j; j < nDeals; ++j) {
            _runDeal(string.concat(s, ".deals[", vm.toString(j), "]"));
        }
        _withdraw(s);
        if (_has(s, ".sweep") && vm.parseJsonBool(json, string.concat(s, ".sweep"))) {
            uint256 before = escrow.liabilities();
            vm.prank(admin);
            escrow.sweepSurplus();
            swept = escrow.liabilities() - before;
        }
        _checkExpected(s, name, deposited);
    }

    /// @dev Protocol v2 `co_signers`: each party names a fresh co-signer with its daily allowance, at the
    ///      start of a UTC day so every outflow of the scenario falls in one day.
    function _setUpCoSigners(string memory s) internal {
        uint256 n = _count(string.concat(s, ".co_signers"));
        if (n == 0) return;
        vm.warp((block.timestamp / 1 days + 1) * 1 days);
        for (uint256 i; i < n; ++i) {
            string memory c = string.concat(s, ".co_signers[", vm.toString(i), "]");
            string memory party = vm.parseJsonString(json, string.concat(c, ".party"));
            (address key, uint256 pk) = makeAddrAndKey(string.concat("co-signer:", party));
            address who = _addr(party);
            coSignerKey[who] = pk;
            vm.prank(who);
            escrow.setCoSigner(key, uint64(vm.parseJsonUint(json, string.concat(c, ".daily_allowance"))));
        }
    }

    /// @dev Protocol v2 `withdrawals`, each to the party's own address, co-signed where `co_sign` says.
    function _withdraw(string memory s) internal {
        uint256 n = _count(string.concat(s, ".withdrawals"));
        for (uint256 i; i < n; ++i) {
            string memory w = string.concat(s, ".withdrawals[", vm.toString(i), "]");
            address who = _party(w, ".party");
            uint256 amount = vm.parseJsonUint(json, string.concat(w, ".amount"));
            if (_coSignRequired(w)) {
                vm.prank(who);
                vm.expectPartialRevert(IEscrow.AllowanceExceeded.selector);
                escrow.withdraw(amount);
                uint256 deadline = block.timestamp + 1 hours;
                bytes memory sig = _coSign(who, 0, amount, deadline);
                vm.prank(who);
                escrow.withdrawCoSigned(amount, deadline, sig);
            } else {
                vm.prank(who);
                escrow.withdraw(amount);
            }
            withdrawn += amount;
        }
    }

    function _coSignRequired(string memory base) internal view returns (bool) {
        return
            _has(base, ".co_sign")
                && _eq(vm.parseJsonString(json, string.concat(base, ".co_sign")), "required");
    }

    function _coSign(address owner, uint8 action, uint256 subject, uint256 deadline)
        internal
        view
        returns (bytes memory)
    {
        uint256 nonce = escrow.account(owner).coSignNonce;
        (uint8 v, bytes32 r, bytes32 sg) =
            vm.sign(coSignerKey[owner], escrow.coSignHash(owner, action, subject, nonce, deadline));
        return abi.encodePacked(r, sg, v);
    }

    function _has(string memory base, string memory field) internal view returns (bool) {
        return vm.keyExistsJson(json, string.concat(base, field));
    }

    function _deploy(TokenKind kind, string memory s) internal {
        if (kind == TokenKind.Erc20) token = address(new MockERC20());
        else if (kind == TokenKind.EthereumUsdt) token = address(new MockUSDTEthereum());
        else token = address(new MockUSDTTron());

        IEscrow.Tier[] memory m = _tiers(string.concat(s, ".fees.merchant_tiers"));
        IEscrow.Tier[] memory a = _tiers(string.concat(s, ".fees.agent_tiers"));
        uint16 reward = uint16(vm.parseJsonUint(json, string.concat(s, ".fees.trader_reward_bps")));
        IEscrow.Limits memory limits = IEscrow.Limits({
            minPaymentWindow: 60,
            maxPaymentWindow: 1 days,
            maxDealAmount: type(uint64).max,
            minKycLevel: 0,
            withdrawalDelay: 0
        });
        EscrowConfig.RoleKeys memory keys = EscrowConfig.RoleKeys({
            guardian: admin, arbiter: arbiter, dispatcher: dispatcher, compliance: admin, treasury: treasury
        });
        escrow = new Escrow(token, admin, keys, m, a, reward, limits);
        // Protocol v2 `treasury_is`: the treasury is one of the parties (credited in place).
        if (_has(s, ".treasury_is")) {
            vm.prank(admin);
            escrow.setTreasury(_party(s, ".treasury_is"));
        }
    }

    /// @dev Roles follow from the deals: merchants get ROLE_MERCHANT, collection sellers and payout buyers
    ///      ROLE_ACCEPTOR, agents ROLE_AGENT; then the agent links.
    function _setUpParties(string memory s) internal {
        uint256 nDeals = _count(string.concat(s, ".deals"));
        vm.startPrank(admin);
        for (uint256 j; j < nDeals; ++j) {
            string memory d = string.concat(s, ".deals[", vm.toString(j), "]");
            string memory kind = vm.parseJsonString(json, string.concat(d, ".kind"));
            _grant(_party(d, ".merchant"), escrow.ROLE_MERCHANT());
            if (_eq(kind, "collection")) _grant(_party(d, ".seller"), escrow.ROLE_ACCEPTOR());
            if (_eq(kind, "payout")) _grant(_party(d, ".buyer"), escrow.ROLE_ACCEPTOR());
        }
        uint256 nAgents = _count(string.concat(s, ".agents"));
        for (uint256 k; k < nAgents; ++k) {
            string memory link = string.concat(s, ".agents[", vm.toString(k), "]");
            address g = _party(link, ".agent");
            _grant(g, escrow.ROLE_AGENT());
            escrow.setAgent(_party(link, ".merchant"), g);
        }
        vm.stopPrank();
        // docs/rules.md, "Acceptor limits": every acceptor goes online with room for its deals.
        for (uint256 j; j < nDeals; ++j) {
            string memory d = string.concat(s, ".deals[", vm.toString(j), "]");
            string memory kind = vm.parseJsonString(json, string.concat(d, ".kind"));
            address acceptor = address(0);
            if (_eq(kind, "collection")) acceptor = _party(d, ".seller");
            if (_eq(kind, "payout")) acceptor = _party(d, ".buyer");
            if (acceptor != address(0)) {
                vm.prank(acceptor);
                escrow.setAcceptorLimits(true, type(uint64).max, type(uint64).max);
            }
        }
    }

    function _grant(address who, uint8 role) internal {
        escrow.setRoles(who, escrow.account(who).roles | role);
    }

    function _deposit(string memory s) internal returns (uint256 total) {
        uint256 n = _count(string.concat(s, ".deposits"));
        for (uint256 i; i < n; ++i) {
            string memory d = string.concat(s, ".deposits[", vm.toString(i), "]");
            address who = _party(d, ".party");
            uint256 amount = vm.parseJsonUint(json, string.concat(d, ".amount"));
            MockTokenBase(token).mint(who, amount);
            vm.prank(who);
            (bool ok,) =
                token.call(abi.encodeWithSignature("approve(address,uint256)", address(escrow), amount));
            require(ok, "approve");
            vm.prank(who);
            escrow.deposit(amount);
            total += amount;
        }
    }

    function _runDeal(string memory d) internal {
        string memory kind = vm.parseJsonString(json, string.concat(d, ".kind"));
        address seller = _party(d, ".seller");
        address buyer = _party(d, ".buyer");
        address merchantParty = _party(d, ".merchant");
        uint256 amount = vm.parseJsonUint(json, string.concat(d, ".amount"));
        bytes32 ref = keccak256(bytes(d));

        if (
            _has(d, ".agent_role_revoked_before_open")
                && vm.parseJsonBool(json, string.concat(d, ".agent_role_revoked_before_open"))
        ) {
            address g = escrow.account(merchantParty).agent;
            uint8 roles = escrow.account(g).roles & ~escrow.ROLE_AGENT();
            vm.prank(admin);
            escrow.setRoles(g, roles);
        }

        uint256 dealId;
        uint256 orderId;
        if (_eq(kind, "trade")) {
            assertEq(buyer, merchantParty, "trade: merchant is the buyer");
            uint256 orderAmount =
                _has(d, ".order_amount") ? vm.parseJsonUint(json, string.concat(d, ".order_amount")) : amount;
            vm.prank(buyer);
            orderId = escrow.postBuyOrder(
                725, "CNY", orderAmount, 1, orderAmount, uint64(block.timestamp + WINDOW + 1 days + 1), WINDOW
            );
            vm.prank(seller);
            dealId = escrow.fillBuyOrder(orderId, amount, ref);
        } else if (_eq(kind, "collection")) {
            assertEq(buyer, merchantParty, "collection: merchant is the buyer");
            vm.prank(dispatcher);
            dealId = escrow.assignCollection(seller, buyer, amount, WINDOW, ref);
        } else {
            assertEq(seller, merchantParty, "payout: merchant is the seller");
            vm.prank(seller);
            dealId = escrow.openPayout(amount, WINDOW, ref);
            vm.prank(dispatcher);
            escrow.assignPayout(dealId, buyer);
        }
        assertEq(escrow.merchantOf(dealId), merchantParty, "fee party");

        string memory outcome = vm.parseJsonString(json, string.concat(d, ".outcome"));
        if (_eq(outcome, "release")) {
            vm.prank(buyer);
            escrow.markPaid(dealId);
            _feesAfterOpen(d);
            if (_coSignRequired(d)) {
                vm.prank(seller);
                vm.expectPartialRevert(IEscrow.AllowanceExceeded.selector);
                escrow.release(dealId);
                uint256 deadline = block.timestamp + 1 hours;
                bytes memory sig = _coSign(seller, 1, dealId, deadline);
                vm.prank(seller);
                escrow.releaseCoSigned(dealId, deadline, sig);
            } else {
                vm.prank(seller);
                escrow.release(dealId);
            }
        } else if (_eq(outcome, "cancel_by_buyer")) {
            _feesAfterOpen(d);
            vm.prank(buyer);
            escrow.cancel(dealId);
        } else if (_eq(outcome, "cancel_after_deadline")) {
            _feesAfterOpen(d);
            vm.warp(escrow.deal(dealId).deadline + 1);
            vm.prank(seller);
            escrow.cancel(dealId);
        } else if (_eq(outcome, "resolve")) {
            uint16 bps = uint16(vm.parseJsonUint(json, string.concat(d, ".buyer_share_bps")));
            vm.prank(buyer);
            escrow.markPaid(dealId);
            _feesAfterOpen(d);
            vm.prank(seller);
            escrow.dispute(dealId);
            vm.prank(arbiter);
            escrow.resolve(dealId, bps);
        } else {
            revert(string.concat("unknown outcome ", outcome));
        }
        assertEq(uint8(escrow.deal(dealId).state), uint8(IEscrow.DealState.None), "final deal deleted");
        if (_has(d, ".expect_order_remaining")) {
            uint256 want = vm.parseJsonUint(json, string.concat(d, ".expect_order_remaining"));
            IEscrow.BuyOrder memory o = escrow.buyOrder(orderId);
            if (want == 0) assertEq(o.merchant, address(0), "order gone");
            else assertEq(o.remaining, want, "order remaining");
        }
    }

    /// @dev Protocol v2 `fees_after_open`: the admin replaces the fee schedule while the deal is live.
    function _feesAfterOpen(string memory d) internal {
        if (!_has(d, ".fees_after_open")) return;
        string memory f = string.concat(d, ".fees_after_open");
        IEscrow.Tier[] memory m = _tiers(string.concat(f, ".merchant_tiers"));
        IEscrow.Tier[] memory a = _tiers(string.concat(f, ".agent_tiers"));
        uint16 reward = uint16(vm.parseJsonUint(json, string.concat(f, ".trader_reward_bps")));
        vm.prank(admin);
        escrow.setFeeSchedule(m, a, reward);
    }

    function _checkExpected(string memory s, string memory name, uint256 deposited) internal view {
        string memory e = string.concat(s, ".expected");
        string[] memory who = vm.parseJsonKeys(json, string.concat(e, ".balances"));
        uint256 sum;
        for (uint256 i; i < who.length; ++i) {
            address a = _addr(who[i]);
            uint256 expected = vm.parseJsonUint(json, string.concat(e, ".balances.", who[i]));
            IEscrow.Account memory acc = escrow.account(a);
            assertEq(acc.available, expected, string.concat(name, ": balance of ", who[i]));
            assertEq(acc.locked, 0, string.concat(name, ": locked of ", who[i]));
            sum += expected;
        }
        // Conservation: the listed balances are the whole escrow: deposits - withdrawals + sweeps, exactly the
        // liabilities; the holding equals them, plus any direct transfer not swept.
        assertEq(
            sum, deposited - withdrawn + swept, string.concat(name, ": expected balances sum to deposits")
        );
        assertEq(escrow.liabilities(), sum, string.concat(name, ": liabilities"));
        assertEq(
            MockTokenBase(token).balanceOf(address(escrow)),
            sum + directTransfer - swept,
            string.concat(name, ": conservation")
        );

        string[] memory ms = vm.parseJsonKeys(json, string.concat(e, ".merchant_volume"));
        for (uint256 i; i < ms.length; ++i) {
            uint256 expected = vm.parseJsonUint(json, string.concat(e, ".merchant_volume.", ms[i]));
            assertEq(
                escrow.account(_addr(ms[i])).merchantVolume, expected, string.concat(name, ": V of ", ms[i])
            );
        }
        string[] memory gs = vm.parseJsonKeys(json, string.concat(e, ".agent_volume"));
        for (uint256 i; i < gs.length; ++i) {
            uint256 expected = vm.parseJsonUint(json, string.concat(e, ".agent_volume.", gs[i]));
            assertEq(
                escrow.account(_addr(gs[i])).agentVolume, expected, string.concat(name, ": R of ", gs[i])
            );
        }
    }

    /*//////////////////////////////////////////////////////////////
                                 JSON
    //////////////////////////////////////////////////////////////*/

    function _party(string memory base, string memory field) internal view returns (address) {
        return _addr(vm.parseJsonString(json, string.concat(base, field)));
    }

    /// @dev Party names map to deterministic addresses; "treasury" is the escrow's treasury.
    function _addr(string memory name) internal view returns (address) {
        if (_eq(name, "treasury")) return treasury;
        return address(uint160(uint256(keccak256(abi.encodePacked("party:", name)))));
    }

    function _eq(string memory a, string memory b) internal pure returns (bool) {
        return keccak256(bytes(a)) == keccak256(bytes(b));
    }
}
