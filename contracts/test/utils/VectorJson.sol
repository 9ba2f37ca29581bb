// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {IEscrow} from "../../src/interfaces/IEscrow.sol";

/// @notice Reading the cross-chain vectors under `tests/vectors/`: the file's text and the tier tables and
/// arrays in it, shared by the suites that replay them.
abstract contract VectorJson is Test {
    /// @dev The vector file's text (read in each suite's `setUp`).
    string internal json;

    /// @dev The tier table at `path` (`[{threshold, bps}, ...]`).
    function _tiers(string memory path) internal view returns (IEscrow.Tier[] memory t) {
        uint256 n = _count(path);
        t = new IEscrow.Tier[](n);
        for (uint256 i; i < n; ++i) {
            string memory row = string.concat(path, "[", vm.toString(i), "]");
            t[i] = IEscrow.Tier({
                threshold: uint64(vm.parseJsonUint(json, string.concat(row, ".threshold"))),
                bps: uint16(vm.parseJsonUint(json, string.concat(row, ".bps")))
            });
        }
    }

    /// @dev How many entries the array at `path` has (0 when absent or empty).
    function _count(string memory path) internal view returns (uint256 n) {
        while (vm.keyExistsJson(json, string.concat(path, "[", vm.toString(n), "]"))) ++n;
    }
}
