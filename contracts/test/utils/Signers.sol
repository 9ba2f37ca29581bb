// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {MultiSig} from "../../src/MultiSig.sol";

/// @title Signers
/// @notice Owner keys for multisig tests and EIP-712 signing helpers (signatures ascending by signer).
abstract contract Signers is Test {
    struct Owner {
        address addr;
        uint256 key;
    }

    /// @dev `n` owners sorted by address ascending, derived from labels so runs are reproducible.
    function _owners(string memory prefix, uint256 n) internal returns (Owner[] memory o) {
        o = new Owner[](n);
        for (uint256 i; i < n; ++i) {
            (address a, uint256 k) = makeAddrAndKey(string.concat(prefix, vm.toString(i)));
            o[i] = Owner(a, k);
        }
        // Insertion sort by address.
        for (uint256 i = 1; i < n; ++i) {
            Owner memory x = o[i];
            uint256 j = i;
            while (j > 0 && o[j - 1].addr > x.addr) {
                o[j] = o[j - 1];
                --j;
            }
            o[j] = x;
        }
    }

    function _addrs(Owner[] memory o) internal pure returns (address[] memory a) {
        a = new address[](o.length);
        for (uint256 i; i < o.length; ++i) {
            a[i] = o[i].addr;
        }
    }

    /// @dev Concatenated r||s||v signatures of `digest` by `signers` in the given order.
    function _sign(Owner[] memory signers, bytes32 digest) internal pure returns (bytes memory sigs) {
        for (uint256 i; i < signers.length; ++i) {
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(signers[i].key, digest);
            sigs = bytes.concat(sigs, abi.encodePacked(r, s, v));
        }
    }

    /// @dev The first `k` owners (already ascending).
    function _first(Owner[] memory o, uint256 k) internal pure returns (Owner[] memory f) {
        f = new Owner[](k);
        for (uint256 i; i < k; ++i) {
            f[i] = o[i];
        }
    }

    function _signProposal(
        MultiSig msig,
        Owner[] memory signers,
        address to,
        uint256 value,
        bytes memory data,
        uint256 nonce,
        uint256 deadline
    ) internal view returns (bytes memory) {
        return _sign(signers, msig.proposalHash(to, value, data, nonce, deadline, msig.configVersion(), 0));
    }

    /// @dev Signatures of a proposal that requires `minGas` for its inner call.
    function _signProposalGas(
        MultiSig msig,
        Owner[] memory signers,
        address to,
        bytes memory data,
        uint256 nonce,
        uint256 deadline,
        uint256 minGas
    ) internal view returns (bytes memory) {
        return _sign(signers, msig.proposalHash(to, 0, data, nonce, deadline, msig.configVersion(), minGas));
    }
}
