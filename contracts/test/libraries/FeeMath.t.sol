// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {FeeMath} from "../../src/libraries/FeeMath.sol";

/// @dev Exposes the storage-based tier lookup for tests.
contract TierTable {
    uint64[8] internal _thresholds;
    uint16[8] internal _bps;
    uint256 internal _count;

    function set(uint64[] memory thresholds, uint16[] memory bps) external {
        for (uint256 i; i < thresholds.length; ++i) {
            _thresholds[i] = thresholds[i];
            _bps[i] = bps[i];
        }
        _count = thresholds.length;
    }

    function lookup(uint256 volume) external view returns (uint256) {
        return FeeMath.tierBps(_thresholds, _bps, _count, volume);
    }
}

/// @notice The settlement split against its definition: every part is the floor of its product (checked as
///         `part * 10000 <= x * bps < (part + 1) * 10000`), and the parts add up to the gross amount.
///         Each fuzz test has a fixed-input twin with hand-computed values.
contract FeeMathTest is Test {
    TierTable internal table;

    function setUp() public {
        table = new TierTable();
    }

    /*//////////////////////////////////////////////////////////////
                                 SPLIT
    //////////////////////////////////////////////////////////////*/

    function test_Split_Fixed_RoundsEveryFloor() public pure {
        // 1234567 at 37 bps: fee floor(45678979 / 10000) = 4567; agent floor(4567 * 2500 / 10000) = 1141;
        // reward floor(4567 * 1000 / 10000) = 456; platform 2970; buyer 1230000.
        FeeMath.Split memory s = FeeMath.split(1_234_567, 37, true, 2500, 1000);
        assertEq(s.fee, 4567);
        assertEq(s.agentCut, 1141);
        assertEq(s.reward, 456);
        assertEq(s.platform, 2970);
        assertEq(s.buyerNet, 1_230_000);
    }

    function test_Split_Fixed_NoAgent() public pure {
        FeeMath.Split memory s = FeeMath.split(250_000_000, 100, false, 2000, 1000);
        assertEq(s.fee, 2_500_000);
        assertEq(s.agentCut, 0);
        assertEq(s.reward, 250_000);
        assertEq(s.platform, 2_250_000);
        assertEq(s.buyerNet, 247_500_000);
    }

    function test_Split_Fixed_Extremes() public pure {
        FeeMath.Split memory s = FeeMath.split(999, 10_000, true, 9000, 1000);
        assertEq(s.fee, 999);
        assertEq(s.agentCut, 899);
        assertEq(s.reward, 99);
        assertEq(s.platform, 1);
        assertEq(s.buyerNet, 0);
        s = FeeMath.split(1, 9999, true, 5000, 5000);
        assertEq(s.fee, 0);
        assertEq(s.buyerNet, 1);
    }

    function testFuzz_Split_MatchesDefinition(
        uint96 amount,
        uint16 feeBps,
        bool hasAgent,
        uint16 shareBps,
        uint16 rewardBps
    ) public pure {
        feeBps = uint16(bound(feeBps, 0, 10_000));
        rewardBps = uint16(bound(rewardBps, 0, 10_000));
        shareBps = uint16(bound(shareBps, 0, 10_000 - rewardBps));
        FeeMath.Split memory s = FeeMath.split(amount, feeBps, hasAgent, shareBps, rewardBps);

        _assertFloor(s.fee, uint256(amount) * feeBps);
        if (hasAgent) _assertFloor(s.agentCut, s.fee * shareBps);
        else assertEq(s.agentCut, 0);
        _assertFloor(s.reward, s.fee * rewardBps);
        assertEq(s.buyerNet + s.fee, amount, "buyer + fee == amount");
        assertEq(s.agentCut + s.reward + s.platform, s.fee, "fee parts");
        assertLe(s.fee, amount, "fee never exceeds amount");
    }

    /// @dev `part` is floor(product / 10000).
    function _assertFloor(uint256 part, uint256 product) internal pure {
        assertLe(part * 10_000, product, "floor: not above");
        assertGt((part + 1) * 10_000, product, "floor: not below");
    }

    /*//////////////////////////////////////////////////////////////
                                 TIERS
    //////////////////////////////////////////////////////////////*/

    function test_TierBps_Fixed() public {
        uint64[] memory t = new uint64[](3);
        uint16[] memory b = new uint16[](3);
        (t[0], t[1], t[2]) = (0, 500, 5000);
        (b[0], b[1], b[2]) = (100, 60, 40);
        table.set(t, b);
        assertEq(table.lookup(0), 100);
        assertEq(table.lookup(499), 100);
        assertEq(table.lookup(500), 60, "threshold is inclusive");
        assertEq(table.lookup(4999), 60);
        assertEq(table.lookup(5000), 40);
        assertEq(table.lookup(type(uint256).max), 40);
        assertEq(FeeMath.tierBpsMemory(t, b, 500), 60);
    }

    function testFuzz_TierBps_HighestThresholdAtOrBelow(uint8 n, uint64 seed, uint256 volume) public {
        n = uint8(bound(n, 1, 8));
        uint64[] memory t = new uint64[](n);
        uint16[] memory b = new uint16[](n);
        for (uint256 i = 1; i < n; ++i) {
            t[i] = t[i - 1] + 1 + uint64(uint256(keccak256(abi.encode(seed, i))) % 1e12);
        }
        for (uint256 i; i < n; ++i) {
            b[i] = uint16(uint256(keccak256(abi.encode(seed, i, "bps"))) % 10_001);
        }
        volume = bound(volume, 0, uint256(t[n - 1]) * 2 + 1);
        table.set(t, b);

        // Reference: scan upward and keep the last tier whose threshold <= volume.
        uint256 expected = b[0];
        for (uint256 i; i < n; ++i) {
            if (t[i] <= volume) expected = b[i];
        }
        assertEq(table.lookup(volume), expected);
        assertEq(FeeMath.tierBpsMemory(t, b, volume), expected);
    }
}
