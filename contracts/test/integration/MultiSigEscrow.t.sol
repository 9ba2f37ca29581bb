// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {Signers} from "../utils/Signers.sol";
import {Escrow} from "../../src/Escrow.sol";
import {IEscrow} from "../../src/interfaces/IEscrow.sol";
import {EscrowConfig} from "../../src/base/EscrowConfig.sol";
import {MultiSig} from "../../src/MultiSig.sol";
import {IMultiSig} from "../../src/interfaces/IMultiSig.sol";
import {MockUSDTTron} from "../mocks/MockUSDTTron.sol";

/// @notice The multisig as the escrow's admin, arbiter and treasury: configuration, dispute resolution and
///         withdrawing platform fees all go through signed proposals (with and without a time lock).
contract MultiSigEscrowTest is BaseTest, Signers {
    MultiSig internal platform;
    Owner[] internal owners;

    function setUp() public override {
        Owner[] memory o = _owners("platform", 3);
        for (uint256 i; i < 3; ++i) {
            owners.push(o[i]);
        }
        platform = new MultiSig(_addrs(o), 2, 0);
        admin = address(platform);
        arbiter = address(platform);
        treasury = address(platform);
        token = address(new MockUSDTTron());
        escrow = _deployEscrow(token);

        // Roles and the agent link are admin actions: each one a proposal.
        _propose(address(escrow), abi.encodeCall(IEscrow.setRoles, (merchant, escrow.ROLE_MERCHANT())));
        _propose(address(escrow), abi.encodeCall(IEscrow.setRoles, (acceptor, escrow.ROLE_ACCEPTOR())));
        _propose(address(escrow), abi.encodeCall(IEscrow.setRoles, (agent, escrow.ROLE_AGENT())));
        _propose(address(escrow), abi.encodeCall(IEscrow.setAgent, (merchant, agent)));
        vm.startPrank(compliance);
        escrow.setKyc(merchant, 2, 1);
        escrow.setKyc(acceptor, 2, 1);
        escrow.setKyc(trader, 1, 1);
        vm.stopPrank();
        parties = [merchant, acceptor, trader, agent, treasury, outsider];
    }

    function _propose(address to, bytes memory data) internal returns (bytes memory) {
        uint256 n = platform.nonce();
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sigs = _signProposal(platform, _first(owners, 2), to, 0, data, n, deadline);
        return platform.execute(to, 0, data, n, deadline, 0, sigs);
    }

    function test_AdminSettersOnlyThroughProposals() public {
        assertEq(escrow.owner(), address(platform));
        assertEq(escrow.account(merchant).agent, agent);

        IEscrow.Limits memory l = _limits();
        l.maxDealAmount = uint96(500 * USDT);
        _propose(address(escrow), abi.encodeCall(IEscrow.setLimits, (l)));
        assertEq(escrow.limits().maxDealAmount, 500 * USDT);

        // An owner acting alone is not the admin.
        vm.prank(owners[0].addr);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, owners[0].addr));
        escrow.setLimits(_limits());
    }

    function test_ResolveAndWithdrawFeesThroughProposals() public {
        _fund(trader, 10_000 * USDT);
        uint256 a = _openTrade(1_000 * USDT);
        _markPaid(a);
        vm.prank(trader);
        escrow.release(a);
        uint256 b = _openTrade(2_000 * USDT);
        _dispute(b);

        _propose(address(escrow), abi.encodeCall(IEscrow.resolve, (b, 5000)));
        assertEq(uint8(escrow.deal(b).state), uint8(IEscrow.DealState.None));
        // a: fee 10, reward 1, agent 2 -> platform 7. b: gross 1000, same split -> platform 7.
        uint256 fees = _available(address(platform));
        assertEq(fees, 14 * USDT);
        _assertConservation();

        // The treasury account is the multisig's own: a proposal withdraws it into the vault.
        _propose(address(escrow), abi.encodeCall(IEscrow.withdraw, (fees)));
        assertEq(MockUSDTTron(token).balanceOf(address(platform)), fees);
        assertEq(_available(address(platform)), 0);
        _assertConservation();
    }

    function test_TimeLockedAdminChangeCanBeCancelled() public {
        _propose(address(platform), abi.encodeCall(IMultiSig.setTimeLock, (2 days)));
        bytes memory data = abi.encodeCall(IEscrow.setTreasury, (outsider));
        uint256 n = platform.nonce();
        uint256 deadline = block.timestamp + 7 days;
        bytes32 h = platform.schedule(
            address(escrow),
            0,
            data,
            n,
            deadline,
            0,
            _signProposal(platform, _first(owners, 2), address(escrow), 0, data, n, deadline)
        );
        // A watcher notices the malicious change and threshold owners cancel it within the time lock.
        platform.cancel(h, _sign(_first(owners, 2), platform.cancellationHash(h)));
        vm.warp(block.timestamp + 2 days);
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.NotScheduled.selector, h));
        platform.executeScheduled(address(escrow), 0, data, n, deadline, 0);
        assertEq(escrow.treasury(), address(platform));
    }

    function test_PauseByGuardianUnpauseByMultisig() public {
        vm.prank(guardian);
        escrow.pause();
        _propose(address(escrow), abi.encodeCall(IEscrow.unpause, ()));
        assertFalse(escrow.paused());
    }
}
