// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title TokenTransfer
/// @notice Token moves that trust the balance change, not the return value.
/// @dev Ethereum USDT returns nothing, TRON USDT's `transfer` returns false on success and some tokens take a
///      fee on transfer. Each move here ignores the return data, bubbles a revert, and checks this contract's
///      own balance: a pull credits exactly what arrived; a push must leave exactly `amount` lighter.
library TokenTransfer {
    /// @dev The token call reverted without a reason, or the token is not a contract.
    error TokenCallFailed(address token);
    /// @dev A pull brought in nothing.
    error NothingReceived(address token);
    /// @dev A push did not lower this contract's balance by exactly `expected`.
    error BalanceChangeMismatch(address token, uint256 expected, uint256 actual);

    /// @notice Pull up to `amount` from `from` with `transferFrom`; return the exact balance increase.
    function pullFrom(address token, address from, uint256 amount) internal returns (uint256 received) {
        if (token.code.length == 0) revert TokenCallFailed(token);
        uint256 before = IERC20(token).balanceOf(address(this));
        _call(token, abi.encodeCall(IERC20.transferFrom, (from, address(this), amount)));
        uint256 afterwards = IERC20(token).balanceOf(address(this));
        // A token that lowered our balance on an incoming transfer is broken; treat as nothing received.
        if (afterwards <= before) revert NothingReceived(token);
        received = afterwards - before;
    }

    /// @notice Send exactly `amount` to `to` with `transfer`, whatever the token returns.
    function push(address token, address to, uint256 amount) internal {
        if (token.code.length == 0) revert TokenCallFailed(token);
        uint256 before = IERC20(token).balanceOf(address(this));
        _call(token, abi.encodeCall(IERC20.transfer, (to, amount)));
        uint256 afterwards = IERC20(token).balanceOf(address(this));
        if (afterwards > before || before - afterwards != amount) {
            revert BalanceChangeMismatch(token, amount, afterwards > before ? 0 : before - afterwards);
        }
    }

    /// @dev Call `token`, ignore its return data, bubble its revert reason.
    function _call(address token, bytes memory data) private {
        (bool ok, bytes memory ret) = token.call(data);
        if (!ok) {
            if (ret.length == 0) revert TokenCallFailed(token);
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
    }
}
