// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Signers} from "./utils/Signers.sol";
import {MultiSig} from "../src/MultiSig.sol";
import {IMultiSig} from "../src/interfaces/IMultiSig.sol";
import {MockUSDTTron} from "./mocks/MockUSDTTron.sol";

/// @dev A target that tolerates the failure of its own heavy step, as many real contracts do (try/catch).
contract TolerantTarget {
    bool public done;
    uint256[] internal _work;

    function work() external {
        try this.heavy() {
            done = true;
        } catch {}
    }

    function heavy() external {
        for (uint256 i; i < 8; ++i) {
            _work.push(i);
        }
    }
}

/// @notice The MultiSig findings of issue #12 (4 and 5), each failing on protocol v1.
contract MultiSigFindingsTest is Signers {
    Owner[] internal owners;
    MultiSig internal msig;
    MockUSDTTron internal usdt;
    TolerantTarget internal target;
    address internal payee = makeAddr("payee");

    function setUp() public {
        Owner[] memory o = _owners("owner", 3);
        for (uint256 i; i < 3; ++i) {
            owners.push(o[i]);
        }
        msig = new MultiSig(_addrs(o), 2, 0);
        usdt = new MockUSDTTron();
        usdt.mint(address(msig), 1000e6);
        target = new TolerantTarget();
    }

    /// @dev Finding 4: approvals collected before a configuration change no longer count after it.
    function test_Finding4_ApprovalBeforeConfigChangeIsStale() public {
        uint256 deadline = block.timestamp + 1 hours;
        Owner[] memory two = _first(owners, 2);
        // Proposal 0 adds an owner; proposal 1 (a transfer) was signed by two owners before it.
        bytes memory raise = abi.encodeCall(IMultiSig.addOwner, (makeAddr("newOwner"), 2));
        bytes memory pay = abi.encodeWithSignature("transfer(address,uint256)", payee, 500e6);
        bytes memory sigs0 = _signProposal(msig, two, address(msig), 0, raise, 0, deadline);
        bytes memory sigs1 = _signProposal(msig, two, address(usdt), 0, pay, 1, deadline);
        msig.execute(address(msig), 0, raise, 0, deadline, 0, sigs0);
        // Under the new version the digest differs, so the first signature recovers to a non-owner.
        vm.expectPartialRevert(IMultiSig.NotOwner.selector);
        msig.execute(address(usdt), 0, pay, 1, deadline, 0, sigs1);
        assertEq(usdt.balanceOf(payee), 0, "old approvals spent");
    }

    /// @dev Finding 5: a relayer cannot use up a nonce by giving the inner call too little gas. The owners sign
    ///      the gas the call needs (minGas); with less, `execute` refuses before the call.
    function test_Finding5_RelayerCannotStarveInnerCall() public {
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory data = abi.encodeCall(TolerantTarget.work, ());
        bytes memory sigs =
            _signProposalGas(msig, _first(owners, 2), address(target), data, 0, deadline, 300_000);
        try msig.execute{gas: 200_000}(address(target), 0, data, 0, deadline, 300_000, sigs) {} catch {}
        assertTrue(msig.nonce() == 0 || target.done(), "nonce used up, work not done");
        assertEq(msig.nonce(), 0);
        vm.expectPartialRevert(IMultiSig.InsufficientGas.selector);
        msig.execute{gas: 200_000}(address(target), 0, data, 0, deadline, 300_000, sigs);
        // With the signed gas available the work is done.
        msig.execute{gas: 400_000}(address(target), 0, data, 0, deadline, 300_000, sigs);
        assertTrue(target.done());
    }

    /// @dev Finding 5: a schedule whose deadline is before its executable time is refused.
    function test_Finding5_ScheduleExpiringBeforeExecutableRejected() public {
        MultiSig locked = new MultiSig(_addrs(owners), 2, 1 days);
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory pay = abi.encodeWithSignature("transfer(address,uint256)", payee, 1e6);
        bytes memory sigs = _signProposal(locked, _first(owners, 2), address(usdt), 0, pay, 0, deadline);
        vm.expectRevert(
            abi.encodeWithSelector(
                IMultiSig.ScheduleExpiresBeforeExecutable.selector, deadline, uint64(block.timestamp + 1 days)
            )
        );
        locked.schedule(address(usdt), 0, pay, 0, deadline, 0, sigs);
    }
}
