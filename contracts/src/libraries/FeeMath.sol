// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title FeeMath
/// @notice The settlement split of docs/rules.md ("Fee rates"), shared by every chain's implementation:
///         ```
///         fee       = floor(A * feeBps / 10000)
///         agentCut  = hasAgent ? floor(fee * agentShareBps / 10000) : 0
///         reward    = floor(fee * rewardBps / 10000)        (rewardBps is 0 unless the deal is a Trade)
///         platform  = fee - agentCut - reward
///         buyerNet  = A - fee
///         ```
///         With feeBps <= 10000 and agentShareBps + rewardBps <= 10000 every part is non-negative and
///         buyerNet + agentCut + reward + platform == A.
library FeeMath {
    /// @dev Basis points in one whole.
    uint256 internal constant BPS = 10_000;

    /// @notice The parts of one settlement.
    struct Split {
        uint256 buyerNet;
        uint256 fee;
        uint256 agentCut;
        uint256 reward;
        uint256 platform;
    }

    /// @notice Split gross `amount` by the formula above.
    /// @dev Reverts (checked arithmetic) when the bps preconditions are broken, instead of minting value.
    function split(uint256 amount, uint256 feeBps, bool hasAgent, uint256 agentShareBps, uint256 rewardBps)
        internal
        pure
        returns (Split memory s)
    {
        s.fee = amount * feeBps / BPS;
        s.agentCut = hasAgent ? s.fee * agentShareBps / BPS : 0;
        s.reward = s.fee * rewardBps / BPS;
        s.platform = s.fee - s.agentCut - s.reward;
        s.buyerNet = amount - s.fee;
    }

    /// @notice The bps of the highest tier whose threshold is <= `volume`.
    /// @dev Tables are stored as packed fixed arrays so a lookup reads one or two slots. `count` >= 1 and
    ///      `thresholds[0] == 0` are guaranteed by the setter, so the loop always returns.
    function tierBps(uint64[8] storage thresholds, uint16[8] storage bps, uint256 count, uint256 volume)
        internal
        view
        returns (uint256)
    {
        for (uint256 i = count; i > 1; --i) {
            if (thresholds[i - 1] <= volume) return bps[i - 1];
        }
        return bps[0];
    }

    /// @notice The same lookup over an in-memory table (used by tests and off-chain previews).
    function tierBpsMemory(uint64[] memory thresholds, uint16[] memory bps, uint256 volume)
        internal
        pure
        returns (uint256)
    {
        for (uint256 i = thresholds.length; i > 1; --i) {
            if (thresholds[i - 1] <= volume) return bps[i - 1];
        }
        return bps[0];
    }
}
