// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MockTokenBase} from "./MockTokenBase.sol";

/// @title MockUSDTSenderBlacklist
/// @notice Behaves like real USDT's blacklist: only the sender of a transfer (the `from` of `transferFrom`) is
///         checked, so a blacklisted address can still receive. Transfers return nothing, like Ethereum USDT.
///         {MockTokenBase}'s other mocks are stricter and refuse a blacklisted recipient too.
contract MockUSDTSenderBlacklist is MockTokenBase {
    constructor() MockTokenBase("Tether USD", "USDT") {}

    function transfer(address to, uint256 amount) external {
        _move(msg.sender, to, amount);
    }

    function transferFrom(address from, address to, uint256 amount) external {
        _spendAllowance(from, msg.sender, amount);
        _move(from, to, amount);
    }

    function approve(address spender, uint256 amount) external {
        _approve(msg.sender, spender, amount);
    }

    /// @dev Only the sender is checked, as USDT's `transfer`/`transferFrom` do.
    function _move(address from, address to, uint256 amount) internal override {
        if (isBlackListed[from]) revert Blacklisted(from);
        uint256 bal = balanceOf[from];
        if (bal < amount) revert InsufficientBalance(from, bal, amount);
        balanceOf[from] = bal - amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }
}
