// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Signers} from "./utils/Signers.sol";
import {TokenTransfer} from "../src/libraries/TokenTransfer.sol";
import {MultiSig} from "../src/MultiSig.sol";
import {IMultiSig} from "../src/interfaces/IMultiSig.sol";
import {MockTokenBase} from "./mocks/MockTokenBase.sol";
import {MockUSDTTron} from "./mocks/MockUSDTTron.sol";
import {MockUSDTEthereum} from "./mocks/MockUSDTEthereum.sol";

/// @notice Owners, EIP-712 proposals and their signatures, time lock, staleness and spending limits.
contract MultiSigTest is Signers {
    uint256 internal constant USDT = 1e6;

    Owner[] internal owners;
    MultiSig internal msig;
    MockUSDTTron internal usdt;
    address internal payee = makeAddr("payee");
    address internal spender = makeAddr("spender");

    function setUp() public {
        Owner[] memory o = _owners("owner", 3);
        for (uint256 i; i < 3; ++i) {
            owners.push(o[i]);
        }
        msig = new MultiSig(_addrs(o), 2, 0);
        usdt = new MockUSDTTron();
        usdt.mint(address(msig), 10_000 * USDT);
    }

    /*//////////////////////////////////////////////////////////////
                                HELPERS
    //////////////////////////////////////////////////////////////*/

    function _transferData(uint256 amount) internal view returns (bytes memory) {
        return abi.encodeWithSignature("transfer(address,uint256)", payee, amount);
    }

    function _two() internal view returns (Owner[] memory) {
        return _first(owners, 2);
    }

    /// @dev Sign and execute a self-call (configuration change) with the first `k` owners.
    function _selfCall(bytes memory data, uint256 k) internal {
        uint256 deadline = block.timestamp + 1 hours;
        uint256 n = msig.nonce();
        bytes memory sigs = _signProposal(msig, _first(owners, k), address(msig), 0, data, n, deadline);
        msig.execute(address(msig), 0, data, n, deadline, 0, sigs);
    }

    /// @dev Who a signature `o` made over `signed` appears to be when checked against `checked`.
    function _recovered(bytes32 signed, bytes32 checked, Owner memory o) internal pure returns (address) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(o.key, signed);
        return ecrecover(checked, v, r, s);
    }

    /*//////////////////////////////////////////////////////////////
                              CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    function test_Constructor() public view {
        assertEq(msig.getOwners().length, 3);
        for (uint256 i; i < 3; ++i) {
            assertTrue(msig.isOwner(owners[i].addr));
        }
        assertEq(msig.threshold(), 2);
        assertEq(msig.timeLock(), 0);
        assertEq(msig.nonce(), 0);
        assertEq(msig.configVersion(), 0);
    }

    function test_Constructor_Rejects() public {
        address[] memory a = new address[](2);
        a[0] = owners[0].addr;
        a[1] = owners[0].addr;
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.DuplicateOwner.selector, owners[0].addr));
        new MultiSig(a, 1, 0);

        a[1] = address(0);
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.InvalidOwner.selector, address(0)));
        new MultiSig(a, 1, 0);

        a[1] = owners[1].addr;
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.InvalidThreshold.selector, 3));
        new MultiSig(a, 3, 0);
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.InvalidThreshold.selector, 0));
        new MultiSig(a, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.InvalidTimeLock.selector, 91 days));
        new MultiSig(a, 1, 91 days);

        address[] memory many = new address[](17);
        for (uint256 i; i < 17; ++i) {
            many[i] = address(uint160(i + 1));
        }
        vm.expectRevert(IMultiSig.TooManyOwners.selector);
        new MultiSig(many, 1, 0);
    }

    function test_Eip712Domain_ReadFromContract() public view {
        (, string memory name, string memory version, uint256 chainId, address verifying,,) =
            msig.eip712Domain();
        assertEq(name, "stablerail MultiSig");
        assertEq(version, "1");
        assertEq(chainId, block.chainid);
        assertEq(verifying, address(msig));
    }

    function test_ProposalHash_MatchesEip712() public view {
        bytes memory data = _transferData(1);
        (, string memory name, string memory version, uint256 chainId, address verifying,,) =
            msig.eip712Domain();
        bytes32 domain = keccak256(
            abi.encode(
                keccak256(
                    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
                ),
                keccak256(bytes(name)),
                keccak256(bytes(version)),
                chainId,
                verifying
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256(
                    "Proposal(address to,uint256 value,bytes data,uint256 nonce,uint256 deadline,uint256 configVersion,uint256 minGas)"
                ),
                address(usdt),
                0,
                keccak256(data),
                0,
                1000,
                0,
                0
            )
        );
        assertEq(
            msig.proposalHash(address(usdt), 0, data, 0, 1000, msig.configVersion(), 0),
            keccak256(abi.encodePacked("\x19\x01", domain, structHash))
        );
    }

    /*//////////////////////////////////////////////////////////////
                                EXECUTE
    //////////////////////////////////////////////////////////////*/

    function test_Execute_TwoOfThree() public {
        bytes memory data = _transferData(100 * USDT);
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sigs = _signProposal(msig, _two(), address(usdt), 0, data, 0, deadline);
        bytes32 h = msig.proposalHash(address(usdt), 0, data, 0, deadline, msig.configVersion(), 0);
        vm.expectEmit(address(msig));
        emit IMultiSig.ProposalExecuted(h, 0, address(usdt), 0, data);
        bytes memory ret = msig.execute(address(usdt), 0, data, 0, deadline, 0, sigs);
        assertEq(abi.decode(ret, (bool)), false, "TRON USDT returns false, the call still succeeded");
        assertEq(usdt.balanceOf(payee), 100 * USDT);
        assertEq(msig.nonce(), 1);
    }

    function test_Execute_AllThreeSigners() public {
        bytes memory data = _transferData(1);
        bytes memory sigs = _signProposal(msig, owners, address(usdt), 0, data, 0, block.timestamp);
        msig.execute(address(usdt), 0, data, 0, block.timestamp, 0, sigs);
        assertEq(usdt.balanceOf(payee), 1);
    }

    function test_Execute_SendsValue() public {
        vm.deal(address(msig), 1 ether);
        bytes memory sigs = _signProposal(msig, _two(), payee, 0.5 ether, "", 0, block.timestamp);
        msig.execute(payee, 0.5 ether, "", 0, block.timestamp, 0, sigs);
        assertEq(payee.balance, 0.5 ether);
    }

    function test_Receive_EmitsEvent() public {
        vm.deal(payee, 1 ether);
        vm.expectEmit(address(msig));
        emit IMultiSig.Received(payee, 1 ether);
        vm.prank(payee);
        (bool ok,) = address(msig).call{value: 1 ether}("");
        assertTrue(ok);
    }

    function test_Execute_RejectsTooFewSignatures() public {
        bytes memory data = _transferData(1);
        bytes memory sigs = _signProposal(msig, _first(owners, 1), address(usdt), 0, data, 0, block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.NotEnoughSignatures.selector, 1, 2));
        msig.execute(address(usdt), 0, data, 0, block.timestamp, 0, sigs);
    }

    function test_Execute_RejectsNonOwner() public {
        Owner[] memory o = _owners("stranger", 1);
        Owner[] memory signers = new Owner[](2);
        // Keep ascending order so the owner check, not the order check, fires.
        if (o[0].addr > owners[0].addr) (signers[0], signers[1]) = (owners[0], o[0]);
        else (signers[0], signers[1]) = (o[0], owners[0]);
        bytes memory data = _transferData(1);
        bytes memory sigs = _signProposal(msig, signers, address(usdt), 0, data, 0, block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.NotOwner.selector, o[0].addr));
        msig.execute(address(usdt), 0, data, 0, block.timestamp, 0, sigs);
    }

    function test_Execute_RejectsDuplicateSigner() public {
        Owner[] memory signers = new Owner[](2);
        signers[0] = owners[0];
        signers[1] = owners[0];
        bytes memory data = _transferData(1);
        bytes memory sigs = _signProposal(msig, signers, address(usdt), 0, data, 0, block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.SignersNotSorted.selector, owners[0].addr));
        msig.execute(address(usdt), 0, data, 0, block.timestamp, 0, sigs);
    }

    function test_Execute_RejectsUnsortedSigners() public {
        Owner[] memory signers = new Owner[](2);
        signers[0] = owners[1];
        signers[1] = owners[0];
        bytes memory data = _transferData(1);
        bytes memory sigs = _signProposal(msig, signers, address(usdt), 0, data, 0, block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.SignersNotSorted.selector, owners[0].addr));
        msig.execute(address(usdt), 0, data, 0, block.timestamp, 0, sigs);
    }

    function test_Execute_RejectsExpiredDeadline() public {
        uint256 deadline = block.timestamp + 10;
        bytes memory data = _transferData(1);
        bytes memory sigs = _signProposal(msig, _two(), address(usdt), 0, data, 0, deadline);
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.ProposalExpired.selector, deadline));
        msig.execute(address(usdt), 0, data, 0, deadline, 0, sigs);
    }

    function test_Execute_RejectsReplayAndOtherNonce() public {
        bytes memory data = _transferData(1);
        bytes memory sigs = _signProposal(msig, _two(), address(usdt), 0, data, 0, block.timestamp);
        msig.execute(address(usdt), 0, data, 0, block.timestamp, 0, sigs);
        // Replaying the same signed proposal: its nonce is spent.
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.WrongNonce.selector, 1, 0));
        msig.execute(address(usdt), 0, data, 0, block.timestamp, 0, sigs);
        // Signatures over nonce 0 submitted as nonce 1: the digest differs, so the signers do not match.
        bytes32 signed =
            msig.proposalHash(address(usdt), 0, data, 0, block.timestamp, msig.configVersion(), 0);
        bytes32 other = msig.proposalHash(address(usdt), 0, data, 1, block.timestamp, msig.configVersion(), 0);
        vm.expectRevert(
            abi.encodeWithSelector(IMultiSig.NotOwner.selector, _recovered(signed, other, owners[0]))
        );
        msig.execute(address(usdt), 0, data, 1, block.timestamp, 0, sigs);
        assertEq(usdt.balanceOf(payee), 1);
    }

    function test_Execute_RejectsOtherChainId() public {
        bytes memory data = _transferData(1);
        bytes memory sigs = _signProposal(msig, _two(), address(usdt), 0, data, 0, block.timestamp);
        bytes32 signed =
            msig.proposalHash(address(usdt), 0, data, 0, block.timestamp, msig.configVersion(), 0);
        vm.chainId(block.chainid + 1);
        // The domain separator follows the chain id, so the signatures now recover to strangers.
        bytes32 moved = msig.proposalHash(address(usdt), 0, data, 0, block.timestamp, msig.configVersion(), 0);
        assertTrue(moved != signed, "domain follows chain id");
        vm.expectRevert(
            abi.encodeWithSelector(IMultiSig.NotOwner.selector, _recovered(signed, moved, owners[0]))
        );
        msig.execute(address(usdt), 0, data, 0, block.timestamp, 0, sigs);
    }

    function test_Execute_RejectsOtherContract() public {
        MultiSig twin = new MultiSig(_addrs(owners), 2, 0);
        usdt.mint(address(twin), 10 * USDT);
        bytes memory data = _transferData(1);
        bytes memory sigs = _signProposal(msig, _two(), address(usdt), 0, data, 0, block.timestamp);
        bytes32 signed =
            msig.proposalHash(address(usdt), 0, data, 0, block.timestamp, msig.configVersion(), 0);
        bytes32 there = twin.proposalHash(address(usdt), 0, data, 0, block.timestamp, twin.configVersion(), 0);
        vm.expectRevert(
            abi.encodeWithSelector(IMultiSig.NotOwner.selector, _recovered(signed, there, owners[0]))
        );
        twin.execute(address(usdt), 0, data, 0, block.timestamp, 0, sigs);
    }

    function test_Execute_RejectsBadSignatureBytes() public {
        bytes memory data = _transferData(1);
        vm.expectRevert(IMultiSig.InvalidSignatureLength.selector);
        msig.execute(address(usdt), 0, data, 0, block.timestamp, 0, "");
        vm.expectRevert(IMultiSig.InvalidSignatureLength.selector);
        msig.execute(address(usdt), 0, data, 0, block.timestamp, 0, new bytes(129));

        // A high-s (malleable) twin of a valid signature is rejected by OpenZeppelin's ECDSA.
        bytes32 h = msig.proposalHash(address(usdt), 0, data, 0, block.timestamp, msig.configVersion(), 0);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(owners[0].key, h);
        bytes32 highS =
            bytes32(0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141 - uint256(s));
        bytes memory sigs = bytes.concat(
            abi.encodePacked(r, highS, v == 27 ? uint8(28) : uint8(27)),
            _sign(_first(_asArray(owners[1]), 1), h)
        );
        vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureS.selector, highS));
        msig.execute(address(usdt), 0, data, 0, block.timestamp, 0, sigs);
    }

    function _asArray(Owner memory o) internal pure returns (Owner[] memory a) {
        a = new Owner[](1);
        a[0] = o;
    }

    function test_Execute_BubblesRevert() public {
        bytes memory data = _transferData(1_000_000 * USDT);
        bytes memory sigs = _signProposal(msig, _two(), address(usdt), 0, data, 0, block.timestamp);
        vm.expectRevert(
            abi.encodeWithSelector(
                MockTokenBase.InsufficientBalance.selector, address(msig), 10_000 * USDT, 1_000_000 * USDT
            )
        );
        msig.execute(address(usdt), 0, data, 0, block.timestamp, 0, sigs);
        assertEq(msig.nonce(), 0, "a failed call consumes nothing");
    }

    function test_Execute_RevertsWithoutReason() public {
        bytes memory data = abi.encodeWithSignature("noSuchFunction()");
        bytes memory sigs = _signProposal(msig, _two(), address(usdt), 0, data, 0, block.timestamp);
        vm.expectRevert(IMultiSig.ExecutionFailed.selector);
        msig.execute(address(usdt), 0, data, 0, block.timestamp, 0, sigs);
    }

    /*//////////////////////////////////////////////////////////////
                             CONFIGURATION
    //////////////////////////////////////////////////////////////*/

    function test_Config_OnlySelf() public {
        vm.startPrank(owners[0].addr);
        vm.expectRevert(IMultiSig.NotSelf.selector);
        msig.addOwner(payee, 2);
        vm.expectRevert(IMultiSig.NotSelf.selector);
        msig.removeOwner(owners[1].addr, 1);
        vm.expectRevert(IMultiSig.NotSelf.selector);
        msig.changeThreshold(1);
        vm.expectRevert(IMultiSig.NotSelf.selector);
        msig.setTimeLock(1 days);
        vm.expectRevert(IMultiSig.NotSelf.selector);
        msig.setSpendingLimit(spender, address(usdt), 1, IMultiSig.Period.Day, new address[](0));
        vm.expectRevert(IMultiSig.NotSelf.selector);
        msig.removeSpendingLimit(spender, address(usdt));
        vm.stopPrank();
    }

    function test_Config_AddOwnerThroughProposal() public {
        address n = makeAddr("newOwner");
        vm.expectEmit(address(msig));
        emit IMultiSig.OwnerAdded(n);
        _selfCall(abi.encodeCall(IMultiSig.addOwner, (n, 3)), 2);
        assertTrue(msig.isOwner(n));
        assertEq(msig.threshold(), 3);
        assertEq(msig.getOwners().length, 4);
        assertEq(msig.configVersion(), 1);
    }

    function test_Config_RemoveOwnerAndThreshold() public {
        address gone = owners[2].addr;
        _selfCall(abi.encodeCall(IMultiSig.removeOwner, (gone, 1)), 2);
        assertFalse(msig.isOwner(gone));
        assertEq(msig.getOwners().length, 2);
        assertEq(msig.threshold(), 1);

        // The removed owner's signature no longer counts.
        Owner[] memory o = new Owner[](1);
        o[0] = owners[2];
        bytes memory data = _transferData(1);
        bytes memory sigs = _signProposal(msig, o, address(usdt), 0, data, 1, block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.NotOwner.selector, gone));
        msig.execute(address(usdt), 0, data, 1, block.timestamp, 0, sigs);
    }

    function test_Config_RejectsInvalid() public {
        // Each failing self-call reverts the whole proposal (bubbled), so the nonce stays.
        bytes memory data = abi.encodeCall(IMultiSig.changeThreshold, (4));
        bytes memory sigs = _signProposal(msig, _two(), address(msig), 0, data, 0, block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.InvalidThreshold.selector, 4));
        msig.execute(address(msig), 0, data, 0, block.timestamp, 0, sigs);

        vm.startPrank(address(msig));
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.DuplicateOwner.selector, owners[0].addr));
        msig.addOwner(owners[0].addr, 2);
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.InvalidOwner.selector, address(msig)));
        msig.addOwner(address(msig), 2);
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.InvalidOwner.selector, payee));
        msig.removeOwner(payee, 1);
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.InvalidThreshold.selector, 3));
        msig.removeOwner(owners[0].addr, 3);
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.InvalidTimeLock.selector, 91 days));
        msig.setTimeLock(91 days);
        vm.stopPrank();
        assertEq(msig.nonce(), 0);
        assertEq(msig.configVersion(), 0);
    }

    function test_Config_AddOwnerBeyondSixteen() public {
        vm.startPrank(address(msig));
        for (uint160 i = 1; i <= 13; ++i) {
            msig.addOwner(address(i), 2);
        }
        assertEq(msig.getOwners().length, 16);
        vm.expectRevert(IMultiSig.TooManyOwners.selector);
        msig.addOwner(address(uint160(100)), 2);
        vm.stopPrank();
    }

    /*//////////////////////////////////////////////////////////////
                               TIME LOCK
    //////////////////////////////////////////////////////////////*/

    function _lock() internal {
        _selfCall(abi.encodeCall(IMultiSig.setTimeLock, (1 days)), 2);
        assertEq(msig.timeLock(), 1 days);
    }

    function test_TimeLock_ScheduleThenExecute() public {
        _lock();
        bytes memory data = _transferData(5 * USDT);
        uint256 n = msig.nonce();
        uint256 deadline = block.timestamp + 3 days;
        bytes memory sigs = _signProposal(msig, _two(), address(usdt), 0, data, n, deadline);

        vm.expectRevert(IMultiSig.TimeLockActive.selector);
        msig.execute(address(usdt), 0, data, n, deadline, 0, sigs);

        bytes32 h = msig.proposalHash(address(usdt), 0, data, n, deadline, msig.configVersion(), 0);
        uint64 eta = uint64(block.timestamp + 1 days);
        vm.expectEmit(address(msig));
        emit IMultiSig.ProposalScheduled(h, n, address(usdt), 0, data, deadline, eta, msig.configVersion());
        assertEq(msig.schedule(address(usdt), 0, data, n, deadline, 0, sigs), h);
        assertEq(msig.nonce(), n + 1, "scheduling consumes the nonce");
        (uint64 e,) = msig.scheduled(h);
        assertEq(e, eta);

        vm.expectRevert(abi.encodeWithSelector(IMultiSig.TimeLockNotElapsed.selector, eta));
        msig.executeScheduled(address(usdt), 0, data, n, deadline, 0);

        vm.warp(eta);
        msig.executeScheduled(address(usdt), 0, data, n, deadline, 0);
        assertEq(usdt.balanceOf(payee), 5 * USDT);

        vm.expectRevert(abi.encodeWithSelector(IMultiSig.NotScheduled.selector, h));
        msig.executeScheduled(address(usdt), 0, data, n, deadline, 0);
    }

    function test_TimeLock_ExpiresAtDeadline() public {
        _lock();
        bytes memory data = _transferData(1);
        uint256 n = msig.nonce();
        uint256 deadline = block.timestamp + 2 days;
        msig.schedule(
            address(usdt),
            0,
            data,
            n,
            deadline,
            0,
            _signProposal(msig, _two(), address(usdt), 0, data, n, deadline)
        );
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.ProposalExpired.selector, deadline));
        msig.executeScheduled(address(usdt), 0, data, n, deadline, 0);
    }

    function test_TimeLock_ScheduleRejectsWithoutLock() public {
        bytes memory data = _transferData(1);
        bytes memory sigs = _signProposal(msig, _two(), address(usdt), 0, data, 0, block.timestamp);
        vm.expectRevert(IMultiSig.NoTimeLock.selector);
        msig.schedule(address(usdt), 0, data, 0, block.timestamp, 0, sigs);
    }

    function test_TimeLock_CancelByThreshold() public {
        _lock();
        bytes memory data = _transferData(1);
        uint256 n = msig.nonce();
        uint256 deadline = block.timestamp + 3 days;
        bytes32 h = msig.schedule(
            address(usdt),
            0,
            data,
            n,
            deadline,
            0,
            _signProposal(msig, _two(), address(usdt), 0, data, n, deadline)
        );
        bytes32 c = msig.cancellationHash(h);

        vm.expectRevert(abi.encodeWithSelector(IMultiSig.NotEnoughSignatures.selector, 1, 2));
        msig.cancel(h, _sign(_first(owners, 1), c));
        // Signatures over the proposal itself are not a cancellation.
        bytes memory proposalSigs = _sign(_two(), h);
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.NotOwner.selector, _recovered(h, c, owners[0])));
        msig.cancel(h, proposalSigs);

        vm.expectEmit(address(msig));
        emit IMultiSig.ProposalCancelled(h);
        msig.cancel(h, _sign(_two(), c));
        vm.warp(block.timestamp + 1 days);
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.NotScheduled.selector, h));
        msig.executeScheduled(address(usdt), 0, data, n, deadline, 0);
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.NotScheduled.selector, h));
        msig.cancel(h, _sign(_two(), c));
    }

    /// @dev Schedule a proposal signed by the first two owners; return its hash.
    function _schedule(address to, bytes memory data, uint256 deadline) internal returns (bytes32) {
        uint256 n = msig.nonce();
        bytes memory sigs = _signProposal(msig, _two(), to, 0, data, n, deadline);
        return msig.schedule(to, 0, data, n, deadline, 0, sigs);
    }

    function test_TimeLock_ConfigChangeMakesScheduledStale() public {
        _lock();
        uint256 deadline = block.timestamp + 5 days;
        // P1: a transfer. P2: a threshold change. Both scheduled; P2 runs first.
        bytes memory d1 = _transferData(1);
        uint256 n1 = msig.nonce();
        bytes32 h1 = _schedule(address(usdt), d1, deadline);
        bytes memory d2 = abi.encodeCall(IMultiSig.changeThreshold, (3));
        uint256 n2 = msig.nonce();
        _schedule(address(msig), d2, deadline);

        vm.warp(block.timestamp + 1 days);
        msig.executeScheduled(address(msig), 0, d2, n2, deadline, 0);
        assertEq(msig.threshold(), 3);

        // P1 was signed and scheduled under version 1; the digest under version 2 is not scheduled.
        assertTrue(h1 != msig.proposalHash(address(usdt), 0, d1, n1, deadline, msig.configVersion(), 0));
        bytes32 now_ = msig.proposalHash(address(usdt), 0, d1, n1, deadline, msig.configVersion(), 0);
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.NotScheduled.selector, now_));
        msig.executeScheduled(address(usdt), 0, d1, n1, deadline, 0);
        assertEq(usdt.balanceOf(payee), 0);
    }

    /*//////////////////////////////////////////////////////////////
                            SPENDING LIMITS
    //////////////////////////////////////////////////////////////*/

    function _setLimit(uint128 amount, IMultiSig.Period period, address[] memory dests) internal {
        vm.prank(address(msig));
        msig.setSpendingLimit(spender, address(usdt), amount, period, dests);
    }

    function test_SpendingLimit_SetThroughProposal() public {
        address[] memory dests = new address[](1);
        dests[0] = payee;
        vm.expectEmit(address(msig));
        emit IMultiSig.SpendingLimitSet(spender, address(usdt), 100, IMultiSig.Period.Week, dests);
        _selfCall(
            abi.encodeCall(
                IMultiSig.setSpendingLimit, (spender, address(usdt), 100, IMultiSig.Period.Week, dests)
            ),
            2
        );
        IMultiSig.SpendingLimit memory l = msig.spendingLimit(spender, address(usdt));
        assertEq(l.amount, 100);
        assertEq(uint8(l.period), uint8(IMultiSig.Period.Week));
        assertEq(l.destinations.length, 1);
        assertEq(l.periodStart, block.timestamp);
        assertEq(msig.configVersion(), 1);
    }

    function test_SpendingLimit_SpendWithinAndAbove() public {
        _setLimit(uint128(100 * USDT), IMultiSig.Period.Day, new address[](0));
        vm.expectEmit(address(msig));
        emit IMultiSig.Spent(spender, address(usdt), payee, 60 * USDT, 60 * USDT);
        vm.prank(spender);
        msig.spend(address(usdt), payee, 60 * USDT);
        assertEq(usdt.balanceOf(payee), 60 * USDT, "TRON USDT transfer returning false still counts");

        vm.prank(spender);
        vm.expectRevert(
            abi.encodeWithSelector(IMultiSig.SpendingLimitExceeded.selector, 41 * USDT, 40 * USDT)
        );
        msig.spend(address(usdt), payee, 41 * USDT);
        vm.prank(spender);
        msig.spend(address(usdt), payee, 40 * USDT);
        assertEq(msig.spendingLimit(spender, address(usdt)).spent, 100 * USDT);
    }

    function test_SpendingLimit_DayResetsAligned() public {
        // A cheatcode read: via-IR may re-read `block.timestamp` after a warp.
        uint256 start = vm.getBlockTimestamp();
        _setLimit(100, IMultiSig.Period.Day, new address[](0));
        vm.prank(spender);
        msig.spend(address(usdt), payee, 100);
        vm.warp(start + 1 days - 1);
        vm.prank(spender);
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.SpendingLimitExceeded.selector, 1, 0));
        msig.spend(address(usdt), payee, 1);

        vm.warp(start + 3 days + 5);
        vm.prank(spender);
        msig.spend(address(usdt), payee, 100);
        IMultiSig.SpendingLimit memory l = msig.spendingLimit(spender, address(usdt));
        assertEq(l.periodStart, start + 3 days, "period start stays aligned");
        assertEq(l.spent, 100);
    }

    function test_SpendingLimit_MonthIsThirtyDays() public {
        uint256 start = block.timestamp;
        _setLimit(100, IMultiSig.Period.Month, new address[](0));
        vm.prank(spender);
        msig.spend(address(usdt), payee, 100);
        vm.warp(start + 30 days);
        vm.prank(spender);
        msig.spend(address(usdt), payee, 100);
        assertEq(usdt.balanceOf(payee), 200);
    }

    function test_SpendingLimit_OneTimeNeverResets() public {
        _setLimit(100, IMultiSig.Period.OneTime, new address[](0));
        vm.prank(spender);
        msig.spend(address(usdt), payee, 100);
        vm.warp(block.timestamp + 365 days);
        vm.prank(spender);
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.SpendingLimitExceeded.selector, 1, 0));
        msig.spend(address(usdt), payee, 1);
    }

    function test_SpendingLimit_Allowlist() public {
        address[] memory dests = new address[](2);
        dests[0] = makeAddr("cold");
        dests[1] = payee;
        _setLimit(100, IMultiSig.Period.Week, dests);
        vm.prank(spender);
        msig.spend(address(usdt), payee, 10);
        vm.prank(spender);
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.DestinationNotAllowed.selector, spender));
        msig.spend(address(usdt), spender, 10);
    }

    function test_SpendingLimit_Rejects() public {
        vm.prank(spender);
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.NoSpendingLimit.selector, spender, address(usdt)));
        msig.spend(address(usdt), payee, 1);

        _setLimit(100, IMultiSig.Period.Week, new address[](0));
        vm.prank(owners[0].addr);
        vm.expectRevert(
            abi.encodeWithSelector(IMultiSig.NoSpendingLimit.selector, owners[0].addr, address(usdt))
        );
        msig.spend(address(usdt), payee, 1);
        vm.prank(spender);
        vm.expectRevert(IMultiSig.ZeroAmount.selector);
        msig.spend(address(usdt), payee, 0);

        vm.startPrank(address(msig));
        vm.expectRevert(IMultiSig.InvalidSpendingLimit.selector);
        msig.setSpendingLimit(address(0), address(usdt), 1, IMultiSig.Period.Day, new address[](0));
        vm.expectRevert(IMultiSig.InvalidSpendingLimit.selector);
        msig.setSpendingLimit(spender, address(usdt), 0, IMultiSig.Period.Day, new address[](0));
        vm.expectRevert(IMultiSig.InvalidSpendingLimit.selector);
        msig.setSpendingLimit(spender, address(usdt), 1, IMultiSig.Period.Day, new address[](17));
        vm.stopPrank();
    }

    function test_SpendingLimit_Remove() public {
        _setLimit(100, IMultiSig.Period.Week, new address[](0));
        vm.expectEmit(address(msig));
        emit IMultiSig.SpendingLimitRemoved(spender, address(usdt));
        vm.prank(address(msig));
        msig.removeSpendingLimit(spender, address(usdt));
        vm.prank(spender);
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.NoSpendingLimit.selector, spender, address(usdt)));
        msig.spend(address(usdt), payee, 1);
        vm.prank(address(msig));
        vm.expectRevert(abi.encodeWithSelector(IMultiSig.NoSpendingLimit.selector, spender, address(usdt)));
        msig.removeSpendingLimit(spender, address(usdt));
    }

    function test_SpendingLimit_BlacklistedDestinationFailsCleanly() public {
        _setLimit(100, IMultiSig.Period.Week, new address[](0));
        usdt.setBlacklisted(payee, true);
        vm.prank(spender);
        vm.expectRevert(abi.encodeWithSelector(MockTokenBase.Blacklisted.selector, payee));
        msig.spend(address(usdt), payee, 10);
        assertEq(msig.spendingLimit(spender, address(usdt)).spent, 0, "nothing counted");
    }

    function test_SpendingLimit_TokenWithoutCode() public {
        address notAToken = makeAddr("notAToken");
        vm.prank(address(msig));
        msig.setSpendingLimit(spender, notAToken, 100, IMultiSig.Period.Day, new address[](0));
        vm.prank(spender);
        vm.expectRevert(abi.encodeWithSelector(TokenTransfer.TokenCallFailed.selector, notAToken));
        msig.spend(notAToken, payee, 1);
    }

    function test_SpendingLimit_EthereumUSDT() public {
        MockUSDTEthereum eth = new MockUSDTEthereum();
        eth.mint(address(msig), 100);
        vm.prank(address(msig));
        msig.setSpendingLimit(spender, address(eth), 100, IMultiSig.Period.Day, new address[](0));
        vm.prank(spender);
        msig.spend(address(eth), payee, 70);
        assertEq(eth.balanceOf(payee), 70);
    }
}
