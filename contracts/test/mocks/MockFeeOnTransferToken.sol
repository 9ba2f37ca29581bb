// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MockTokenBase} from "./MockTokenBase.sol";

/// @title MockFeeOnTransferToken
/// @notice A standard-ABI token that burns 1% of every transfer, so the recipient gets less than `amount`.
contract MockFeeOnTransferToken is MockTokenBase {
    constructor() MockTokenBase("Fee USD", "fUSD") {}

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

    function _move(address from, address to, uint256 amount) internal override {
        uint256 burned = amount / 100;
        super._move(from, to, amount);
        balanceOf[to] -= burned;
        totalSupply -= burned;
        emit Transfer(to, address(0), burned);
    }
}
