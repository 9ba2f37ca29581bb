// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Script, console} from "forge-std/Script.sol";
import {Escrow} from "../src/Escrow.sol";
import {IEscrow} from "../src/interfaces/IEscrow.sol";
import {EscrowConfig} from "../src/base/EscrowConfig.sol";
import {MultiSig} from "../src/MultiSig.sol";

/// @title Deploy
/// @notice Deploys the platform MultiSig and an Escrow whose admin, arbiter and treasury is that multisig.
/// @dev Environment (addresses as 0x hex; on TRON use the 20-byte form without the 41 prefix):
///      USDT                 the token (required)
///      OWNERS               comma-separated multisig owners (required)
///      THRESHOLD            signatures needed (required)
///      TIME_LOCK            seconds, default 0
///      GUARDIAN, DISPATCHER, COMPLIANCE   role keys (required)
///      The fee schedule and limits start at the defaults below; change them later by proposal.
contract Deploy is Script {
    function run() external returns (MultiSig platform, Escrow escrow) {
        address usdt = vm.envAddress("USDT");
        address[] memory owners = vm.envAddress("OWNERS", ",");
        uint256 threshold = vm.envUint("THRESHOLD");
        uint256 timeLock = vm.envOr("TIME_LOCK", uint256(0));
        EscrowConfig.RoleKeys memory keys = EscrowConfig.RoleKeys({
            guardian: vm.envAddress("GUARDIAN"),
            arbiter: address(0),
            dispatcher: vm.envAddress("DISPATCHER"),
            compliance: vm.envAddress("COMPLIANCE"),
            treasury: address(0)
        });

        vm.startBroadcast();
        platform = new MultiSig(owners, threshold, timeLock);
        keys.arbiter = address(platform);
        keys.treasury = address(platform);
        escrow = new Escrow(usdt, address(platform), keys, _merchantTiers(), _agentTiers(), 1000, _limits());
        vm.stopBroadcast();

        console.log("MultiSig", address(platform));
        console.log("Escrow", address(escrow));
    }

    /// @dev 1.00% below 10,000 USDT of settled volume, 0.80% from 10,000, 0.50% from 100,000.
    function _merchantTiers() internal pure returns (IEscrow.Tier[] memory t) {
        t = new IEscrow.Tier[](3);
        t[0] = IEscrow.Tier(0, 100);
        t[1] = IEscrow.Tier(10_000e6, 80);
        t[2] = IEscrow.Tier(100_000e6, 50);
    }

    /// @dev Agents get 20% of the fee, 30% once their merchants settled 1,000,000 USDT.
    function _agentTiers() internal pure returns (IEscrow.Tier[] memory t) {
        t = new IEscrow.Tier[](2);
        t[0] = IEscrow.Tier(0, 2000);
        t[1] = IEscrow.Tier(1_000_000e6, 3000);
    }

    /// @dev Payment windows 5 minutes to 1 day, deals up to 1,000,000 USDT, KYC level 1, 1-day address delay.
    function _limits() internal pure returns (IEscrow.Limits memory) {
        return IEscrow.Limits({
            minPaymentWindow: 5 minutes,
            maxPaymentWindow: 1 days,
            maxDealAmount: 1_000_000e6,
            minKycLevel: 1,
            withdrawalDelay: 1 days
        });
    }
}
