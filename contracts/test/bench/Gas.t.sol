// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {console} from "forge-std/console.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {Signers} from "../utils/Signers.sol";
import {Escrow} from "../../src/Escrow.sol";
import {IEscrow} from "../../src/interfaces/IEscrow.sol";
import {MultiSig} from "../../src/MultiSig.sol";
import {IMultiSig} from "../../src/interfaces/IMultiSig.sol";
import {MockUSDTEthereum} from "../mocks/MockUSDTEthereum.sol";

/// @title GasBench
/// @notice Gas of each external function in a realistic warm state (Ethereum-USDT mock, every credited
///         balance already non-zero). Before each measured call every contract's storage and address is
///         marked cold (`vm.cool`), then the called contract's address is warmed as a transaction's `to` is,
///         so the figure is the execution gas of that call in its own transaction: without the 21,000 base
///         and calldata cost, and before the end-of-transaction refund for cleared slots.
/// @dev Prints `GAS|<function>|<gas>|<target or ->` lines; contracts/script/gas-table.sh turns them into a table.
contract GasBench is BaseTest, Signers {
    MultiSig internal msig2of3;
    MultiSig internal msig3of5;
    MultiSig internal msigLocked;
    Owner[] internal owners3;
    Owner[] internal owners5;
    address internal spender = makeAddr("spender");
    address internal payee = makeAddr("payee");

    function setUp() public override {
        token = address(new MockUSDTEthereum());
        escrow = _deployEscrow(token);
        _setUpParticipants();

        Owner[] memory o3 = _owners("owner3-", 3);
        Owner[] memory o5 = _owners("owner5-", 5);
        for (uint256 i; i < 3; ++i) {
            owners3.push(o3[i]);
        }
        for (uint256 i; i < 5; ++i) {
            owners5.push(o5[i]);
        }
        msig2of3 = new MultiSig(_addrs(o3), 2, 0);
        msig3of5 = new MultiSig(_addrs(o5), 3, 0);
        msigLocked = new MultiSig(_addrs(o3), 2, 1 days);

        // Treasury is the 2-of-3 multisig, as in production.
        vm.prank(admin);
        escrow.setTreasury(address(msig2of3));
        parties.push(address(msig2of3));

        // Wallets and vaults already hold USDT, so every token credit lands on a non-zero balance.
        MockUSDTEthereum usdt = MockUSDTEthereum(token);
        usdt.mint(merchant, 1_000 * USDT);
        usdt.mint(payee, 1 * USDT);
        usdt.mint(address(msig2of3), 10_000 * USDT);
        usdt.mint(address(msig3of5), 10_000 * USDT);
        usdt.mint(address(msigLocked), 10_000 * USDT);
        _fund(trader, 50_000 * USDT);
        _fund(acceptor, 50_000 * USDT);
        _fund(merchant, 10_000 * USDT);
        _approve(acceptor, address(escrow), 0);
        _approve(acceptor, address(escrow), type(uint256).max);
        usdt.mint(acceptor, 100_000 * USDT);

        // One settled trade: merchant, agent, trader and treasury balances and both volumes are non-zero.
        uint256 first = _openTrade(100 * USDT);
        _markPaid(first);
        vm.prank(trader);
        escrow.release(first);

        // Spending limit for the 2-of-3 vault.
        vm.prank(address(msig2of3));
        msig2of3.setSpendingLimit(
            spender, token, uint128(1_000 * USDT), IMultiSig.Period.Day, new address[](0)
        );
    }

    function test_GasTable() public {
        // Funds.
        _measure("deposit", address(escrow), abi.encodeCall(IEscrow.deposit, (1_000 * USDT)), acceptor, 0);
        _measure("withdraw", address(escrow), abi.encodeCall(IEscrow.withdraw, (10 * USDT)), merchant, 0);

        // Buy orders and a trade through to release with the full four-way split.
        uint256 orderId = _measureRet(
            "postBuyOrder",
            address(escrow),
            abi.encodeCall(
                IEscrow.postBuyOrder,
                (725, "CNY", 10_000 * USDT, 10 * USDT, 5_000 * USDT, uint64(block.timestamp + 1 days), WINDOW)
            ),
            merchant
        );
        uint256 tradeId = _measureRet(
            "fillBuyOrder",
            address(escrow),
            abi.encodeCall(IEscrow.fillBuyOrder, (orderId, 1_000 * USDT, REF)),
            trader
        );
        _measure("markPaid", address(escrow), abi.encodeCall(IEscrow.markPaid, (tradeId)), merchant, 0);
        _measure(
            "release (trade: buyer, agent, trader reward, treasury)",
            address(escrow),
            abi.encodeCall(IEscrow.release, (tradeId)),
            trader,
            80_000
        );

        // Collection: assign, then the buyer cancels.
        uint256 collectionId = _measureRet(
            "assignCollection",
            address(escrow),
            abi.encodeCall(IEscrow.assignCollection, (acceptor, merchant, 500 * USDT, WINDOW, REF)),
            dispatcher
        );
        _measure(
            "cancel (by buyer)", address(escrow), abi.encodeCall(IEscrow.cancel, (collectionId)), merchant, 0
        );

        // Payout: open, assign, paid, dispute, resolve.
        uint256 payoutId = _measureRet(
            "openPayout",
            address(escrow),
            abi.encodeCall(IEscrow.openPayout, (800 * USDT, WINDOW, REF)),
            merchant
        );
        _measure(
            "assignPayout",
            address(escrow),
            abi.encodeCall(IEscrow.assignPayout, (payoutId, acceptor)),
            dispatcher,
            0
        );
        _markPaid(payoutId);
        _measure("dispute", address(escrow), abi.encodeCall(IEscrow.dispute, (payoutId)), merchant, 0);
        _measure(
            "resolve (3333 bps)",
            address(escrow),
            abi.encodeCall(IEscrow.resolve, (payoutId, 3333)),
            arbiter,
            0
        );

        // Multisig: a USDT transfer out of the vault.
        _measureExecute("MultiSig.execute USDT transfer, 2-of-3", msig2of3, owners3, 2, 100_000);
        _measureExecute("MultiSig.execute USDT transfer, 3-of-5", msig3of5, owners5, 3, 0);
        _measureScheduled();
        _measure(
            "MultiSig.spend (spending limit)",
            address(msig2of3),
            abi.encodeCall(IMultiSig.spend, (token, payee, 100 * USDT)),
            spender,
            0
        );
        _assertConservation();
    }

    /*//////////////////////////////////////////////////////////////
                                HELPERS
    //////////////////////////////////////////////////////////////*/

    function _transferData() internal view returns (bytes memory) {
        return abi.encodeWithSignature("transfer(address,uint256)", payee, 100 * USDT);
    }

    function _measureExecute(string memory name, MultiSig m, Owner[] memory owners, uint256 k, uint256 target)
        internal
    {
        bytes memory data = _transferData();
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sigs = _signProposal(m, _first(owners, k), token, 0, data, m.nonce(), deadline);
        _measure(
            name,
            address(m),
            abi.encodeCall(IMultiSig.execute, (token, 0, data, m.nonce(), deadline, 0, sigs)),
            makeAddr("relayer"),
            target
        );
    }

    function _measureScheduled() internal {
        bytes memory data = _transferData();
        uint256 deadline = block.timestamp + 3 days;
        uint256 n = msigLocked.nonce();
        bytes memory sigs = _signProposal(msigLocked, _first(owners3, 2), token, 0, data, n, deadline);
        uint256 a = _measure(
            "MultiSig.schedule (time lock, 2-of-3)",
            address(msigLocked),
            abi.encodeCall(IMultiSig.schedule, (token, 0, data, n, deadline, 0, sigs)),
            makeAddr("relayer"),
            0
        );
        vm.warp(block.timestamp + 1 days);
        uint256 b = _measure(
            "MultiSig.executeScheduled (USDT transfer)",
            address(msigLocked),
            abi.encodeCall(IMultiSig.executeScheduled, (token, 0, data, n, deadline, 0)),
            makeAddr("relayer"),
            0
        );
        console.log(string.concat("GAS|MultiSig schedule + executeScheduled|", vm.toString(a + b), "|-"));
    }

    function _measureRet(string memory name, address target, bytes memory data, address from)
        internal
        returns (uint256 id)
    {
        bytes memory ret;
        (, ret) = _call(name, target, data, from, 0);
        id = abi.decode(ret, (uint256));
    }

    function _measure(string memory name, address target, bytes memory data, address from, uint256 limit)
        internal
        returns (uint256 used)
    {
        (used,) = _call(name, target, data, from, limit);
    }

    function _call(string memory name, address target, bytes memory data, address from, uint256 limit)
        internal
        returns (uint256 used, bytes memory ret)
    {
        vm.cool(address(escrow));
        vm.cool(token);
        vm.cool(address(msig2of3));
        vm.cool(address(msig3of5));
        vm.cool(address(msigLocked));
        // A transaction's `to` is warm from the start.
        uint256 ignored = target.balance;
        ignored;
        vm.prank(from);
        uint256 before = gasleft();
        bool ok;
        (ok, ret) = target.call(data);
        used = before - gasleft();
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        console.log(
            string.concat("GAS|", name, "|", vm.toString(used), "|", limit == 0 ? "-" : vm.toString(limit))
        );
        if (limit != 0) assertLe(used, limit, name);
    }
}
