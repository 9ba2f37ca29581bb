// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MockTokenBase} from "./MockTokenBase.sol";
import {MockTetherBlackList} from "./MockTetherBlackList.sol";

/// @title MockUSDTEthereum
/// @notice Behaves like Ethereum's Tether: `transfer`, `transferFrom` and `approve` return nothing, `approve`
///         from a non-zero allowance to a non-zero value reverts, blacklisted addresses cannot move funds, and the
///         blacklist is administered with Tether's own calls and events ({MockTetherBlackList}).
contract MockUSDTEthereum is MockTetherBlackList {
    error ApproveFromNonZero();

    constructor() MockTokenBase("Tether USD", "USDT") {}

    function transfer(address to, uint256 amount) external {
        _move(msg.sender, to, amount);
    }

    function transferFrom(address from, address to, uint256 amount) external {
        _spendAllowance(from, msg.sender, amount);
        _move(from, to, amount);
    }

    function approve(address spender, uint256 amount) external {
        if (amount != 0 && allowance[msg.sender][spender] != 0) revert ApproveFromNonZero();
        _approve(msg.sender, spender, amount);
    }
}
