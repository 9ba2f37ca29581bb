// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MockTokenBase} from "./MockTokenBase.sol";
import {MockTetherBlackList} from "./MockTetherBlackList.sol";

/// @title MockUSDTTron
/// @notice Behaves like TRON's USDT: `transfer` moves the funds and returns false, `transferFrom` and
///         `approve` return true, blacklisted addresses cannot move funds, and the
///         blacklist is administered with Tether's own calls and events ({MockTetherBlackList}).
contract MockUSDTTron is MockTetherBlackList {
    constructor() MockTokenBase("Tether USD", "USDT") {}

    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return false;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        _spendAllowance(from, msg.sender, amount);
        _move(from, to, amount);
        return true;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        _approve(msg.sender, spender, amount);
        return true;
    }
}
