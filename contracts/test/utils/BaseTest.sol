// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {Escrow} from "../../src/Escrow.sol";
import {IEscrow} from "../../src/interfaces/IEscrow.sol";
import {EscrowConfig} from "../../src/base/EscrowConfig.sol";
import {MockTokenBase} from "../mocks/MockTokenBase.sol";
import {MockERC20} from "../mocks/MockERC20.sol";

/// @title BaseTest
/// @notice Shared fixture: role keys, participants with roles and KYC, an escrow over a token mock, helpers
///         that open each kind of deal, and the conservation check every balance-changing test ends with.
abstract contract BaseTest is Test {
    uint256 internal constant USDT = 1e6;
    uint32 internal constant WINDOW = 30 minutes;
    uint8 internal constant MIN_KYC = 1;
    uint32 internal constant WITHDRAWAL_DELAY = 1 days;
    bytes32 internal constant REF = keccak256("order-1");

    address internal admin = makeAddr("admin");
    address internal guardian = makeAddr("guardian");
    address internal arbiter = makeAddr("arbiter");
    address internal dispatcher = makeAddr("dispatcher");
    address internal compliance = makeAddr("compliance");
    address internal treasury = makeAddr("treasury");

    address internal merchant = makeAddr("merchant");
    address internal acceptor = makeAddr("acceptor");
    address internal trader = makeAddr("trader");
    address internal agent = makeAddr("agent");
    address internal outsider = makeAddr("outsider");

    address internal token;
    Escrow internal escrow;
    address[] internal parties;

    function setUp() public virtual {
        token = address(new MockERC20());
        escrow = _deployEscrow(token);
        _setUpParticipants();
    }

    /*//////////////////////////////////////////////////////////////
                                FIXTURE
    //////////////////////////////////////////////////////////////*/

    function _merchantTiers() internal pure returns (IEscrow.Tier[] memory t) {
        t = new IEscrow.Tier[](3);
        t[0] = IEscrow.Tier(0, 100);
        t[1] = IEscrow.Tier(uint64(10_000 * USDT), 80);
        t[2] = IEscrow.Tier(uint64(100_000 * USDT), 50);
    }

    function _agentTiers() internal pure returns (IEscrow.Tier[] memory t) {
        t = new IEscrow.Tier[](2);
        t[0] = IEscrow.Tier(0, 2000);
        t[1] = IEscrow.Tier(uint64(50_000 * USDT), 3000);
    }

    function _limits() internal pure returns (IEscrow.Limits memory) {
        return IEscrow.Limits({
            minPaymentWindow: 5 minutes,
            maxPaymentWindow: 1 days,
            maxDealAmount: uint96(1_000_000 * USDT),
            minKycLevel: MIN_KYC,
            withdrawalDelay: WITHDRAWAL_DELAY
        });
    }

    function _keys() internal view returns (EscrowConfig.RoleKeys memory) {
        return EscrowConfig.RoleKeys({
            guardian: guardian,
            arbiter: arbiter,
            dispatcher: dispatcher,
            compliance: compliance,
            treasury: treasury
        });
    }

    function _deployEscrow(address token_) internal returns (Escrow) {
        return new Escrow(token_, admin, _keys(), _merchantTiers(), _agentTiers(), 1000, _limits());
    }

    function _setUpParticipants() internal {
        vm.startPrank(admin);
        escrow.setRoles(merchant, escrow.ROLE_MERCHANT());
        escrow.setRoles(acceptor, escrow.ROLE_ACCEPTOR());
        escrow.setRoles(agent, escrow.ROLE_AGENT());
        escrow.setAgent(merchant, agent);
        vm.stopPrank();
        // docs/rules.md, "Acceptor limits": the acceptor goes online and sets its own limits.
        vm.prank(acceptor);
        escrow.setAcceptorLimits(true, uint64(1_000_000 * USDT), uint64(10_000_000 * USDT));
        vm.startPrank(compliance);
        escrow.setKyc(merchant, 2, 1);
        escrow.setKyc(acceptor, 2, 1);
        escrow.setKyc(trader, 1, 1);
        vm.stopPrank();
        parties = [merchant, acceptor, trader, agent, treasury, outsider];
    }

    /*//////////////////////////////////////////////////////////////
                                HELPERS
    //////////////////////////////////////////////////////////////*/

    /// @dev Approve through a low-level call: Ethereum USDT's approve returns nothing.
    function _approve(address owner, address spender, uint256 amount) internal {
        vm.prank(owner);
        (bool ok,) = token.call(abi.encodeWithSignature("approve(address,uint256)", spender, amount));
        require(ok, "approve failed");
    }

    function _fund(address who, uint256 amount) internal {
        MockTokenBase(token).mint(who, amount);
        _approve(who, address(escrow), 0);
        _approve(who, address(escrow), amount);
        vm.prank(who);
        escrow.deposit(amount);
    }

    function _available(address who) internal view returns (uint256) {
        return escrow.account(who).available;
    }

    function _locked(address who) internal view returns (uint256) {
        return escrow.account(who).locked;
    }

    function _postOrder(uint256 amount) internal returns (uint256 orderId) {
        vm.prank(merchant);
        orderId = escrow.postBuyOrder(725, "CNY", amount, 1, amount, uint64(block.timestamp + 1 days), WINDOW);
    }

    /// @dev Trade: trader (funded) fills a fresh order of `amount` from `merchant`.
    function _openTrade(uint256 amount) internal returns (uint256 dealId) {
        uint256 orderId = _postOrder(amount);
        vm.prank(trader);
        dealId = escrow.fillBuyOrder(orderId, amount, REF);
    }

    function _openCollection(uint256 amount) internal returns (uint256 dealId) {
        vm.prank(dispatcher);
        dealId = escrow.assignCollection(acceptor, merchant, amount, WINDOW, REF);
    }

    function _openPayout(uint256 amount) internal returns (uint256 dealId) {
        vm.prank(merchant);
        dealId = escrow.openPayout(amount, WINDOW, REF);
    }

    function _openAssignedPayout(uint256 amount) internal returns (uint256 dealId) {
        dealId = _openPayout(amount);
        vm.prank(dispatcher);
        escrow.assignPayout(dealId, acceptor);
    }

    function _markPaid(uint256 dealId) internal {
        vm.prank(escrow.deal(dealId).buyer);
        escrow.markPaid(dealId);
    }

    function _dispute(uint256 dealId) internal {
        _markPaid(dealId);
        vm.prank(escrow.deal(dealId).seller);
        escrow.dispute(dealId);
    }

    /// @dev liabilities == sum of every known party's available + locked, exactly; the token balance covers
    ///      them, and equals them when nothing was sent to the escrow directly (docs/rules.md, "Liabilities").
    function _assertConservation() internal view {
        uint256 sum;
        for (uint256 i; i < parties.length; ++i) {
            IEscrow.Account memory a = escrow.account(parties[i]);
            sum += uint256(a.available) + a.locked;
        }
        assertEq(escrow.liabilities(), sum, "liabilities");
        assertEq(MockTokenBase(token).balanceOf(address(escrow)), sum, "conservation");
    }
}
