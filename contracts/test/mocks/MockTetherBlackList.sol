// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MockTokenBase} from "./MockTokenBase.sol";

/// @title MockTetherBlackList
/// @notice Tether's own blacklist administration, as the real USDT contracts on Ethereum and TRON expose it:
///         `addBlackList`, `removeBlackList` and `destroyBlackFunds`, each emitting the same event as the real
///         token (same signatures, parameters not indexed), so the indexer can be tested on what mainnet emits.
///         Owner-free like the mocks' `mint`. {MockTokenBase.setBlacklisted} stays a silent test shortcut.
abstract contract MockTetherBlackList is MockTokenBase {
    error NotBlacklisted(address account);

    event AddedBlackList(address _user);
    event RemovedBlackList(address _user);
    event DestroyedBlackFunds(address _blackListedUser, uint256 _balance);

    function addBlackList(address evilUser) external {
        isBlackListed[evilUser] = true;
        emit AddedBlackList(evilUser);
    }

    function removeBlackList(address clearedUser) external {
        isBlackListed[clearedUser] = false;
        emit RemovedBlackList(clearedUser);
    }

    /// @dev Burns a blacklisted address's whole balance, as USDT's `destroyBlackFunds` does (no Transfer event).
    function destroyBlackFunds(address blackListedUser) external {
        if (!isBlackListed[blackListedUser]) revert NotBlacklisted(blackListedUser);
        uint256 dirtyFunds = balanceOf[blackListedUser];
        balanceOf[blackListedUser] = 0;
        totalSupply -= dirtyFunds;
        emit DestroyedBlackFunds(blackListedUser, dirtyFunds);
    }
}
