// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MockTokenBase} from "./MockTokenBase.sol";

/// @title ReentrantToken
/// @notice A standard-ABI token that, once armed, calls `target` with `payload` in the middle of every
///         transfer (as a malicious or hook-carrying token would) and bubbles that call's revert.
contract ReentrantToken is MockTokenBase {
    address public target;
    bytes public payload;

    constructor() MockTokenBase("Reentrant USD", "rUSD") {}

    /// @notice Arm the hook; an empty payload disarms it.
    function arm(address target_, bytes calldata payload_) external {
        target = target_;
        payload = payload_;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        _hook();
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        _spendAllowance(from, msg.sender, amount);
        _move(from, to, amount);
        _hook();
        return true;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        _approve(msg.sender, spender, amount);
        return true;
    }

    function _hook() internal {
        bytes memory p = payload;
        if (p.length == 0) return;
        (bool ok, bytes memory ret) = target.call(p);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
    }
}
