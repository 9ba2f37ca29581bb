// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IMultiSig} from "./interfaces/IMultiSig.sol";
import {TokenTransfer} from "./libraries/TokenTransfer.sol";

/// @title MultiSig
/// @notice stablerail's M-of-N multisig (docs/rules.md, "Multisig"). See {IMultiSig} for the terms.
/// @dev The EIP-712 domain comes from OpenZeppelin's {EIP712}, which rebuilds the separator when the chain id
///      or address differs from deployment, so a signature is bound to one chain and one multisig. The typed
///      data also carries the configuration version (so approvals given before a change of owners, threshold
///      or time lock do not count after it) and the inner call's minimum gas (so a relayer cannot use up a
///      nonce by starving a call that tolerates failure); see docs/rules.md, "Multisig". Nothing here assumes
///      a chain id, a CREATE2 address or an EVM-only precompile: the same bytecode runs on TRON.
contract MultiSig is IMultiSig, EIP712 {
    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice The EIP-712 type hash of a proposal.
    bytes32 public constant PROPOSAL_TYPEHASH = keccak256(
        "Proposal(address to,uint256 value,bytes data,uint256 nonce,uint256 deadline,uint256 configVersion,uint256 minGas)"
    );
    /// @notice The EIP-712 type hash of a cancellation of a scheduled proposal.
    bytes32 public constant CANCELLATION_TYPEHASH = keccak256("Cancellation(bytes32 proposalHash)");
    /// @notice At most this many owners.
    uint256 public constant MAX_OWNERS = 16;
    /// @notice At most this many destinations per spending limit.
    uint256 public constant MAX_DESTINATIONS = 16;
    /// @notice The longest time lock (90 days), so a mistaken value cannot freeze the multisig for good.
    uint256 public constant MAX_TIME_LOCK = 90 days;

    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    // One slot, read by every proposal. The reentrancy flag shares it: `execute` writes the slot anyway.
    uint8 internal _threshold;
    uint32 internal _timeLock;
    uint64 internal _nonce;
    uint64 internal _configVersion;
    bool internal _entered;

    address[] internal _owners;
    mapping(address => bool) internal _isOwner;

    struct Scheduled {
        uint64 eta;
        uint64 configVersion;
    }

    mapping(bytes32 proposalHash => Scheduled) internal _scheduled;

    struct Limit {
        uint128 amount;
        uint128 spent;
        uint64 periodStart;
        Period period;
        address[] destinations;
    }

    mapping(address spender => mapping(address token => Limit)) internal _limits;

    /*//////////////////////////////////////////////////////////////
                              CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param owners_ 1..=16 distinct non-zero owners.
    /// @param threshold_ 1..=owners_.length.
    /// @param timeLock_ Seconds between scheduling and execution (0: execute at once), at most MAX_TIME_LOCK.
    constructor(address[] memory owners_, uint256 threshold_, uint256 timeLock_)
        EIP712("stablerail MultiSig", "1")
    {
        if (owners_.length > MAX_OWNERS) revert TooManyOwners();
        for (uint256 i; i < owners_.length; ++i) {
            _addOwner(owners_[i]);
        }
        _setThreshold(threshold_);
        _setTimeLock(timeLock_);
        emit Setup(owners_, threshold_, timeLock_);
    }

    /// @notice Accept native currency (a proposal can send it on).
    receive() external payable {
        emit Received(msg.sender, msg.value);
    }

    /*//////////////////////////////////////////////////////////////
                                PROPOSALS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IMultiSig
    function execute(
        address to,
        uint256 value,
        bytes calldata data,
        uint256 nonce_,
        uint256 deadline,
        uint256 minGas,
        bytes calldata signatures
    ) external payable nonReentrant returns (bytes memory result) {
        if (_timeLock != 0) revert TimeLockActive();
        bytes32 digest = _approve(to, value, data, nonce_, deadline, minGas, signatures);
        emit ProposalExecuted(digest, nonce_, to, value, data);
        result = _call(to, value, data, minGas);
    }

    /// @inheritdoc IMultiSig
    function schedule(
        address to,
        uint256 value,
        bytes calldata data,
        uint256 nonce_,
        uint256 deadline,
        uint256 minGas,
        bytes calldata signatures
    ) external returns (bytes32 digest) {
        uint256 lock = _timeLock;
        if (lock == 0) revert NoTimeLock();
        // Safe: lock <= MAX_TIME_LOCK; timestamps fit 64 bits.
        // forge-lint: disable-next-line(unsafe-typecast)
        uint64 eta = uint64(block.timestamp + lock);
        if (deadline < eta) revert ScheduleExpiresBeforeExecutable(deadline, eta);
        digest = _approve(to, value, data, nonce_, deadline, minGas, signatures);
        uint64 version = _configVersion;
        _scheduled[digest] = Scheduled({eta: eta, configVersion: version});
        emit ProposalScheduled(digest, nonce_, to, value, data, deadline, eta, version);
    }

    /// @inheritdoc IMultiSig
    function executeScheduled(
        address to,
        uint256 value,
        bytes calldata data,
        uint256 nonce_,
        uint256 deadline,
        uint256 minGas
    ) external payable nonReentrant returns (bytes memory result) {
        // The digest binds the current configuration version: after a change, a proposal scheduled before it
        // is no longer found.
        bytes32 digest = _proposalDigest(to, value, data, nonce_, deadline, _configVersion, minGas);
        Scheduled memory s = _scheduled[digest];
        if (s.eta == 0) revert NotScheduled(digest);
        if (s.configVersion != _configVersion) revert StaleProposal(digest);
        if (block.timestamp < s.eta) revert TimeLockNotElapsed(s.eta);
        if (block.timestamp > deadline) revert ProposalExpired(deadline);
        delete _scheduled[digest];
        emit ProposalExecuted(digest, nonce_, to, value, data);
        result = _call(to, value, data, minGas);
    }

    /// @inheritdoc IMultiSig
    function cancel(bytes32 digest, bytes calldata signatures) external {
        if (_scheduled[digest].eta == 0) revert NotScheduled(digest);
        _checkSignatures(_cancellationDigest(digest), signatures);
        delete _scheduled[digest];
        emit ProposalCancelled(digest);
    }

    /*//////////////////////////////////////////////////////////////
                        CONFIGURATION (SELF ONLY)
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IMultiSig
    function addOwner(address owner, uint256 threshold_) external onlySelf {
        if (_owners.length >= MAX_OWNERS) revert TooManyOwners();
        _addOwner(owner);
        _setThreshold(threshold_);
        _bumpConfigVersion();
    }

    /// @inheritdoc IMultiSig
    function removeOwner(address owner, uint256 threshold_) external onlySelf {
        if (!_isOwner[owner]) revert InvalidOwner(owner);
        uint256 n = _owners.length;
        for (uint256 i; i < n; ++i) {
            if (_owners[i] == owner) {
                _owners[i] = _owners[n - 1];
                _owners.pop();
                break;
            }
        }
        _isOwner[owner] = false;
        emit OwnerRemoved(owner);
        _setThreshold(threshold_);
        _bumpConfigVersion();
    }

    /// @inheritdoc IMultiSig
    function changeThreshold(uint256 threshold_) external onlySelf {
        _setThreshold(threshold_);
        _bumpConfigVersion();
    }

    /// @inheritdoc IMultiSig
    function setTimeLock(uint256 timeLock_) external onlySelf {
        _setTimeLock(timeLock_);
        _bumpConfigVersion();
    }

    /// @inheritdoc IMultiSig
    function setSpendingLimit(
        address spender,
        address token,
        uint128 amount,
        Period period,
        address[] calldata destinations
    ) external onlySelf {
        if (
            spender == address(0) || token == address(0) || amount == 0
                || destinations.length > MAX_DESTINATIONS
        ) {
            revert InvalidSpendingLimit();
        }
        _limits[spender][token] = Limit({
            amount: amount,
            spent: 0,
            periodStart: uint64(block.timestamp),
            period: period,
            destinations: destinations
        });
        emit SpendingLimitSet(spender, token, amount, period, destinations);
        _bumpConfigVersion();
    }

    /// @inheritdoc IMultiSig
    function removeSpendingLimit(address spender, address token) external onlySelf {
        if (_limits[spender][token].amount == 0) revert NoSpendingLimit(spender, token);
        delete _limits[spender][token];
        emit SpendingLimitRemoved(spender, token);
        _bumpConfigVersion();
    }

    /*//////////////////////////////////////////////////////////////
                             SPENDING LIMITS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IMultiSig
    function spend(address token, address to, uint256 amount) external nonReentrant {
        Limit storage l = _limits[msg.sender][token];
        uint256 limit = l.amount;
        if (limit == 0) revert NoSpendingLimit(msg.sender, token);
        if (amount == 0) revert ZeroAmount();
        address[] storage allowed = l.destinations;
        uint256 n = allowed.length;
        if (n != 0) {
            bool found;
            for (uint256 i; i < n; ++i) {
                if (allowed[i] == to) {
                    found = true;
                    break;
                }
            }
            if (!found) revert DestinationNotAllowed(to);
        }

        uint256 spent = l.spent;
        uint256 length = _periodLength(l.period);
        if (length != 0 && block.timestamp >= l.periodStart + length) {
            // Start the period that contains now, aligned to the original start, with nothing spent.
            uint256 elapsed = (block.timestamp - l.periodStart) / length * length;
            // Safe: elapsed <= block.timestamp, which fits 64 bits.
            // forge-lint: disable-next-line(unsafe-typecast)
            l.periodStart += uint64(elapsed);
            spent = 0;
        }
        uint256 remaining = limit - spent;
        if (amount > remaining) revert SpendingLimitExceeded(amount, remaining);
        spent += amount;
        // Safe: spent <= limit, a uint128.
        // forge-lint: disable-next-line(unsafe-typecast)
        l.spent = uint128(spent);
        emit Spent(msg.sender, token, to, amount, spent);
        TokenTransfer.push(token, to, amount);
    }

    /*//////////////////////////////////////////////////////////////
                                 READS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IMultiSig
    function getOwners() external view returns (address[] memory) {
        return _owners;
    }

    /// @inheritdoc IMultiSig
    function isOwner(address account) external view returns (bool) {
        return _isOwner[account];
    }

    /// @inheritdoc IMultiSig
    function threshold() external view returns (uint256) {
        return _threshold;
    }

    /// @inheritdoc IMultiSig
    function timeLock() external view returns (uint256) {
        return _timeLock;
    }

    /// @inheritdoc IMultiSig
    function nonce() external view returns (uint256) {
        return _nonce;
    }

    /// @inheritdoc IMultiSig
    function configVersion() external view returns (uint64) {
        return _configVersion;
    }

    /// @inheritdoc IMultiSig
    function scheduled(bytes32 digest) external view returns (uint64 eta, uint64 version) {
        Scheduled memory s = _scheduled[digest];
        return (s.eta, s.configVersion);
    }

    /// @inheritdoc IMultiSig
    function proposalHash(
        address to,
        uint256 value,
        bytes calldata data,
        uint256 nonce_,
        uint256 deadline,
        uint256 version,
        uint256 minGas
    ) external view returns (bytes32) {
        return _proposalDigest(to, value, data, nonce_, deadline, version, minGas);
    }

    /// @inheritdoc IMultiSig
    function cancellationHash(bytes32 digest) external view returns (bytes32) {
        return _cancellationDigest(digest);
    }

    /// @inheritdoc IMultiSig
    function spendingLimit(address spender, address token) external view returns (SpendingLimit memory) {
        Limit storage l = _limits[spender][token];
        return SpendingLimit({
            amount: l.amount,
            spent: l.spent,
            periodStart: l.periodStart,
            period: l.period,
            destinations: l.destinations
        });
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev Check deadline, nonce and signatures of a proposal, consume the nonce, return its digest.
    function _approve(
        address to,
        uint256 value,
        bytes calldata data,
        uint256 nonce_,
        uint256 deadline,
        uint256 minGas,
        bytes calldata signatures
    ) internal returns (bytes32 digest) {
        if (block.timestamp > deadline) revert ProposalExpired(deadline);
        uint256 current = _nonce;
        if (nonce_ != current) revert WrongNonce(current, nonce_);
        digest = _proposalDigest(to, value, data, nonce_, deadline, _configVersion, minGas);
        _checkSignatures(digest, signatures);
        // Safe: one increment per proposal: 2^64 is out of reach.
        // forge-lint: disable-next-line(unsafe-typecast)
        _nonce = uint64(current + 1);
    }

    /// @dev At least threshold 65-byte signatures over `digest`, from owners, signers strictly ascending.
    function _checkSignatures(bytes32 digest, bytes calldata signatures) internal view {
        uint256 len = signatures.length;
        if (len == 0 || len % 65 != 0) revert InvalidSignatureLength();
        uint256 count = len / 65;
        uint256 needed = _threshold;
        if (count < needed) revert NotEnoughSignatures(count, needed);
        address last;
        for (uint256 i; i < count; ++i) {
            uint256 o = i * 65;
            bytes32 r = bytes32(signatures[o:o + 32]);
            bytes32 s = bytes32(signatures[o + 32:o + 64]);
            uint8 v = uint8(signatures[o + 64]);
            address signer = ECDSA.recover(digest, v, r, s);
            if (signer <= last) revert SignersNotSorted(signer);
            if (!_isOwner[signer]) revert NotOwner(signer);
            last = signer;
        }
    }

    function _proposalDigest(
        address to,
        uint256 value,
        bytes calldata data,
        uint256 nonce_,
        uint256 deadline,
        uint256 version,
        uint256 minGas
    ) internal view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(PROPOSAL_TYPEHASH, to, value, keccak256(data), nonce_, deadline, version, minGas)
            )
        );
    }

    function _cancellationDigest(bytes32 digest) internal view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(CANCELLATION_TYPEHASH, digest)));
    }

    /// @dev Call `to` with at least `minGas`; bubble its revert reason.
    function _call(address to, uint256 value, bytes calldata data, uint256 minGas)
        internal
        returns (bytes memory result)
    {
        // The call keeps 1/64 of what is left and pays for the account access (and a value transfer) first,
        // so require enough that the callee surely gets `minGas` (Safe's safeTxGas check, widened by those).
        if (gasleft() < (minGas * 64) / 63 + (value == 0 ? 3_500 : 12_500)) revert InsufficientGas(minGas);
        bool ok;
        (ok, result) = to.call{value: value}(data);
        if (!ok) {
            if (result.length == 0) revert ExecutionFailed();
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
    }

    function _addOwner(address owner) internal {
        if (owner == address(0) || owner == address(this)) revert InvalidOwner(owner);
        if (_isOwner[owner]) revert DuplicateOwner(owner);
        _owners.push(owner);
        _isOwner[owner] = true;
        emit OwnerAdded(owner);
    }

    function _setThreshold(uint256 threshold_) internal {
        if (threshold_ == 0 || threshold_ > _owners.length) revert InvalidThreshold(threshold_);
        // Safe: threshold <= owners <= 16, checked above.
        // forge-lint: disable-next-line(unsafe-typecast)
        _threshold = uint8(threshold_);
        emit ThresholdChanged(threshold_);
    }

    function _setTimeLock(uint256 timeLock_) internal {
        if (timeLock_ > MAX_TIME_LOCK) revert InvalidTimeLock(timeLock_);
        // Safe: timeLock <= MAX_TIME_LOCK, checked above.
        // forge-lint: disable-next-line(unsafe-typecast)
        _timeLock = uint32(timeLock_);
        emit TimeLockChanged(timeLock_);
    }

    /// @dev Every configuration change makes the proposals scheduled so far stale.
    function _bumpConfigVersion() internal {
        uint64 v = _configVersion + 1;
        _configVersion = v;
        emit ConfigVersionChanged(v);
    }

    function _periodLength(Period period) internal pure returns (uint256) {
        if (period == Period.Day) return 1 days;
        if (period == Period.Week) return 7 days;
        if (period == Period.Month) return 30 days;
        return 0;
    }

    /// @dev The reentrancy flag lives in the slot `execute` writes anyway (cheaper than a separate guard slot).
    modifier nonReentrant() {
        if (_entered) revert ReentrantCall();
        _entered = true;
        _;
        _entered = false;
    }

    modifier onlySelf() {
        if (msg.sender != address(this)) revert NotSelf();
        _;
    }
}
