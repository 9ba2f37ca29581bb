// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MockTokenBase} from "./MockTokenBase.sol";

/// @title MockERC20
/// @notice A standard ERC20 (returns true) with 6 decimals, a test mint and a blacklist.
contract MockERC20 is MockTokenBase {
    constructor() MockTokenBase("Mock USD", "mUSD") {}

    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return true;
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
