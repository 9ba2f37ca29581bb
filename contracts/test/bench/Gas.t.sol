// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {console} from "forge-std/console.sol";
import {Vm} from "forge-std/Vm.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {Signers} from "../utils/Signers.sol";
import {IEscrow} from "../../src/interfaces/IEscrow.sol";
import {MultiSig} from "../../src/MultiSig.sol";
import {IMultiSig} from "../../src/interfaces/IMultiSig.sol";
import {MockUSDTEthereum} from "../mocks/MockUSDTEthereum.sol";

/// @title GasBench
/// @notice Gas of each external function in a realistic state (Ethereum-USDT mock, every credited balance
///         already non-zero). Each row is its own test, so the measured call runs in a fresh transaction with
///         every account and slot cold; the state it acts on is built in `setUp`.
///         A row reads the call frame's own gas from `vm.lastCallGas()`: the execution gas (what the call
///         burns before the refund; the caller's cost of reaching the frame is not part of it, as a
///         transaction's `to` costs nothing to reach) and the total transaction gas computed from it:
///         21,000 + calldata (4 per zero byte, 16 per other byte) + execution - refund (capped at a fifth of
///         the gas used, EIP-3529). Under `forge test --isolate` forge runs the call as a real transaction and
///         `vm.lastCallGas()` returns that transaction's gas used; gas-table.sh fails unless it equals the
///         computed total, so every total in the table is confirmed by a real transaction.
///         Targets (issue #12) are assertions: a row over its target fails `make test`.
/// @dev Prints `GAS|<row>|<function>|<execution>|<total>|<target or ->|<exec or total>` lines (plain run) and
///      `GAS|<row>|<function>|<total>` lines (`--isolate`, with STABLERAIL_GAS_ISOLATED=true);
///      contracts/script/gas-table.sh turns them into the table in docs/bench.md and checks that file against it.
contract GasBench is BaseTest, Signers {
    MultiSig internal msig2of3;
    MultiSig internal msig3of5;
    MultiSig internal msigLocked;
    Owner[] internal owners3;
    Owner[] internal owners5;
    address internal spender = makeAddr("spender");
    address internal payee = makeAddr("payee");
    address internal relayer = makeAddr("relayer");

    uint256 internal orderId;
    uint256 internal tradeOpen;
    uint256 internal tradePaid;
    uint256 internal collectionOpen;
    uint256 internal payoutUnassigned;
    uint256 internal payoutDisputed;
    bytes internal sigs2of3;
    bytes internal sigs3of5;
    bytes internal sigsLocked;
    uint256 internal deadline;
    uint256 internal lockedDeadline;

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

        // The deals and orders each row acts on.
        vm.prank(merchant);
        orderId = escrow.postBuyOrder(
            725, "CNY", 10_000 * USDT, 10 * USDT, 5_000 * USDT, uint64(block.timestamp + 1 days), WINDOW
        );
        vm.startPrank(trader);
        tradeOpen = escrow.fillBuyOrder(orderId, 1_000 * USDT, REF);
        tradePaid = escrow.fillBuyOrder(orderId, 1_000 * USDT, REF);
        vm.stopPrank();
        _markPaid(tradePaid);
        collectionOpen = _openCollection(500 * USDT);
        payoutUnassigned = _openPayout(800 * USDT);
        payoutDisputed = _openAssignedPayout(800 * USDT);
        _dispute(payoutDisputed);

        // Spending limit for the 2-of-3 vault.
        vm.prank(address(msig2of3));
        msig2of3.setSpendingLimit(
            spender, token, uint128(1_000 * USDT), IMultiSig.Period.Day, new address[](0)
        );

        // Signed proposals: a USDT transfer out of each vault; the time-locked one is scheduled already
        // (executeScheduled's row) and signed again at the next nonce (schedule's row).
        bytes memory data = _transferData();
        deadline = block.timestamp + 1 hours;
        sigs2of3 = _signProposal(msig2of3, _first(owners3, 2), token, 0, data, 0, deadline);
        sigs3of5 = _signProposal(msig3of5, _first(owners5, 3), token, 0, data, 0, deadline);
        lockedDeadline = block.timestamp + 3 days;
        bytes memory s0 = _signProposal(msigLocked, _first(owners3, 2), token, 0, data, 0, lockedDeadline);
        msigLocked.schedule(token, 0, data, 0, lockedDeadline, 0, s0);
        sigsLocked = _signProposal(msigLocked, _first(owners3, 2), token, 0, data, 1, lockedDeadline);
    }

    /*//////////////////////////////////////////////////////////////
                              ESCROW ROWS
    //////////////////////////////////////////////////////////////*/

    function test_Gas_Deposit() public {
        _measure(
            1, "deposit", address(escrow), abi.encodeCall(IEscrow.deposit, (1_000 * USDT)), acceptor, 0, false
        );
    }

    function test_Gas_Withdraw() public {
        _measure(
            2, "withdraw", address(escrow), abi.encodeCall(IEscrow.withdraw, (10 * USDT)), merchant, 0, false
        );
    }

    function test_Gas_PostBuyOrder() public {
        _measure(
            3,
            "postBuyOrder",
            address(escrow),
            abi.encodeCall(
                IEscrow.postBuyOrder,
                (725, "CNY", 10_000 * USDT, 10 * USDT, 5_000 * USDT, uint64(block.timestamp + 1 days), WINDOW)
            ),
            merchant,
            0,
            false
        );
    }

    function test_Gas_FillBuyOrder() public {
        _measure(
            4,
            "fillBuyOrder",
            address(escrow),
            abi.encodeCall(IEscrow.fillBuyOrder, (orderId, 1_000 * USDT, REF)),
            trader,
            130_000,
            false
        );
    }

    function test_Gas_MarkPaid() public {
        _measure(
            5, "markPaid", address(escrow), abi.encodeCall(IEscrow.markPaid, (tradeOpen)), merchant, 0, false
        );
    }

    function test_Gas_Release() public {
        _measure(
            6,
            "release (trade: buyer, agent, trader reward, treasury)",
            address(escrow),
            abi.encodeCall(IEscrow.release, (tradePaid)),
            trader,
            80_000,
            false
        );
    }

    function test_Gas_AssignCollection() public {
        _measure(
            7,
            "assignCollection",
            address(escrow),
            abi.encodeCall(IEscrow.assignCollection, (acceptor, merchant, 500 * USDT, WINDOW, REF)),
            dispatcher,
            0,
            false
        );
    }

    function test_Gas_CancelByBuyer() public {
        _measure(
            8,
            "cancel (by buyer)",
            address(escrow),
            abi.encodeCall(IEscrow.cancel, (collectionOpen)),
            merchant,
            0,
            false
        );
    }

    function test_Gas_OpenPayout() public {
        _measure(
            9,
            "openPayout",
            address(escrow),
            abi.encodeCall(IEscrow.openPayout, (800 * USDT, WINDOW, REF)),
            merchant,
            0,
            false
        );
    }

    function test_Gas_AssignPayout() public {
        _measure(
            10,
            "assignPayout",
            address(escrow),
            abi.encodeCall(IEscrow.assignPayout, (payoutUnassigned, acceptor)),
            dispatcher,
            0,
            false
        );
    }

    function test_Gas_Dispute() public {
        _measure(
            11, "dispute", address(escrow), abi.encodeCall(IEscrow.dispute, (tradePaid)), trader, 0, false
        );
    }

    function test_Gas_Resolve() public {
        _measure(
            12,
            "resolve (3333 bps)",
            address(escrow),
            abi.encodeCall(IEscrow.resolve, (payoutDisputed, 3333)),
            arbiter,
            0,
            false
        );
    }

    /*//////////////////////////////////////////////////////////////
                             MULTISIG ROWS
    //////////////////////////////////////////////////////////////*/

    function test_Gas_MultiSigExecute2of3() public {
        _measure(
            13,
            "MultiSig.execute USDT transfer, 2-of-3",
            address(msig2of3),
            abi.encodeCall(IMultiSig.execute, (token, 0, _transferData(), 0, deadline, 0, sigs2of3)),
            relayer,
            70_000,
            true
        );
    }

    function test_Gas_MultiSigExecute3of5() public {
        _measure(
            14,
            "MultiSig.execute USDT transfer, 3-of-5",
            address(msig3of5),
            abi.encodeCall(IMultiSig.execute, (token, 0, _transferData(), 0, deadline, 0, sigs3of5)),
            relayer,
            0,
            true
        );
    }

    function test_Gas_MultiSigSchedule() public {
        _measure(
            15,
            "MultiSig.schedule (time lock, 2-of-3)",
            address(msigLocked),
            abi.encodeCall(IMultiSig.schedule, (token, 0, _transferData(), 1, lockedDeadline, 0, sigsLocked)),
            relayer,
            0,
            true
        );
    }

    function test_Gas_MultiSigExecuteScheduled() public {
        vm.warp(block.timestamp + 1 days);
        _measure(
            16,
            "MultiSig.executeScheduled (USDT transfer)",
            address(msigLocked),
            abi.encodeCall(IMultiSig.executeScheduled, (token, 0, _transferData(), 0, lockedDeadline, 0)),
            relayer,
            0,
            true
        );
    }

    function test_Gas_MultiSigSpend() public {
        _measure(
            17,
            "MultiSig.spend (spending limit)",
            address(msig2of3),
            abi.encodeCall(IMultiSig.spend, (token, payee, 100 * USDT)),
            spender,
            0,
            true
        );
    }

    /*//////////////////////////////////////////////////////////////
                                HELPERS
    //////////////////////////////////////////////////////////////*/

    function _transferData() internal view returns (bytes memory) {
        return abi.encodeWithSignature("transfer(address,uint256)", payee, 100 * USDT);
    }

    /// @dev Intrinsic calldata gas (EIP-2028): 4 per zero byte, 16 per other byte.
    function _calldataGas(bytes memory data) internal pure returns (uint256 g) {
        for (uint256 i; i < data.length; ++i) {
            g += data[i] == 0 ? 4 : 16;
        }
    }

    /// @dev Call `target` as `from` in this test's fresh transaction; print the figures and check the target.
    ///      `limit` (0: none) bounds the execution gas, or the total transaction gas when `limitIsTotal`.
    function _measure(
        uint256 row,
        string memory name,
        address target,
        bytes memory data,
        address from,
        uint256 limit,
        bool limitIsTotal
    ) internal {
        vm.prank(from);
        (bool ok, bytes memory ret) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        // The measured frame alone: not the CALL that reaches it from this test (account access, memory).
        Vm.Gas memory g = vm.lastCallGas();
        string memory prefix = string.concat("GAS|", vm.toString(row), "|", name, "|");
        if (vm.envOr("STABLERAIL_GAS_ISOLATED", false)) {
            // The call ran as a real transaction: gasTotalUsed is its gas used, refund deducted.
            uint256 txGas = g.gasTotalUsed;
            console.log(string.concat(prefix, vm.toString(txGas)));
            if (limit != 0 && limitIsTotal) assertLe(txGas, limit, name);
            return;
        }
        uint256 exec = g.gasTotalUsed;
        uint256 refund = g.gasRefunded > 0 ? uint256(uint64(g.gasRefunded)) : 0;
        uint256 gross = 21_000 + _calldataGas(data) + exec;
        uint256 total = gross - (refund < gross / 5 ? refund : gross / 5);
        console.log(
            string.concat(
                prefix,
                vm.toString(exec),
                "|",
                vm.toString(total),
                "|",
                limit == 0 ? "-" : vm.toString(limit),
                "|",
                limitIsTotal ? "total" : "exec"
            )
        );
        if (limit != 0) assertLe(limitIsTotal ? total : exec, limit, name);
    }
}
