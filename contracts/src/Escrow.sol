// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IEscrow} from "./interfaces/IEscrow.sol";
import {EscrowConfig} from "./base/EscrowConfig.sol";
import {FeeMath} from "./libraries/FeeMath.sol";
import {TokenTransfer} from "./libraries/TokenTransfer.sol";

/// @title Escrow
/// @notice stablerail's USDT escrow for Ethereum and TRON (docs/rules.md). See {IEscrow} for the terms.
/// @dev Only `deposit`, `withdraw` and `sweepSurplus` touch the token; every settlement is a credit to
///      balances, so a blacklisted or reverting recipient can block only its own withdrawal. Conservation holds
///      after every call (docs/rules.md, "Liabilities"): liabilities == sum(available) + sum(locked) and
///      token.balanceOf(this) >= liabilities, with equality after `sweepSurplus`. Co-signatures are EIP-712
///      typed data whose domain a client reads with EIP-5267 `eip712Domain()`. The same bytecode deploys on
///      TRON: no hard-coded chain id, no CREATE2 address, no gas-price opcode and no RIPEMD/blake2f is used.
contract Escrow is EscrowConfig, EIP712, ReentrancyGuard {
    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice The EIP-712 type hash of a co-signer's approval (docs/rules.md, "Co-signer and daily allowance").
    bytes32 public constant COSIGN_TYPEHASH =
        keccak256("CoSign(address account,uint8 action,uint256 subject,uint256 nonce,uint256 deadline)");
    /// @notice Co-signed action: withdraw (subject = amount).
    uint8 public constant COSIGN_WITHDRAW = 0;
    /// @notice Co-signed action: release as seller (subject = deal id).
    uint8 public constant COSIGN_RELEASE = 1;
    /// @notice Co-signed action: co-signer change (subject = uint256(keccak256(abi.encode(coSigner, allowance)))).
    uint8 public constant COSIGN_CHANGE = 2;
    /// @dev Marks a recorded agent in {DealRecord.agentShare}; shares are at most 10000 < 2^15.
    uint16 internal constant AGENT_FLAG = 0x8000;

    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @dev A deal as stored: three slots. The public {Deal} view is built from it. `agentShare` carries
    ///      AGENT_FLAG when an agent was recorded at open (the merchant's agent is set once, so the flag names
    ///      it). `deadline` and `orderId` are 32-bit (unix time until 2106; order ids are capped at posting).
    struct DealRecord {
        address seller;
        uint32 deadline;
        DealKind kind;
        DealState state;
        uint16 feeBps;
        uint16 agentShare;
        uint16 rewardBps;
        address buyer;
        uint64 amount;
        uint32 orderId;
        bytes32 orderRef;
    }

    mapping(address owner => Account) internal _accounts;
    mapping(uint256 dealId => DealRecord) internal _deals;
    mapping(uint256 orderId => BuyOrder) internal _orders;
    mapping(uint256 dealId => uint64) internal _disputedAt;
    uint128 internal _nextDealId = 1;
    uint128 internal _nextOrderId = 1;
    /// @dev Sum of every account's available and locked balance (docs/rules.md, "Liabilities").
    uint256 internal _liabilities;

    /*//////////////////////////////////////////////////////////////
                              CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param token_ The USDT token (any ERC20-like token; return values are not trusted).
    /// @param admin_ The admin, normally the platform multisig.
    /// @param keys Guardian, arbiter, dispatcher, compliance and treasury.
    /// @param merchantTiers Merchant fee tiers; see {setFeeSchedule}.
    /// @param agentTiers Agent share tiers.
    /// @param traderRewardBps The trader's share of a Trade's fee.
    /// @param limits_ Payment window bounds, max deal amount, min KYC level, withdrawal address delay.
    constructor(
        address token_,
        address admin_,
        RoleKeys memory keys,
        Tier[] memory merchantTiers,
        Tier[] memory agentTiers,
        uint16 traderRewardBps,
        Limits memory limits_
    )
        EscrowConfig(token_, admin_, keys, merchantTiers, agentTiers, traderRewardBps, limits_)
        EIP712("stablerail Escrow", "1")
    {}

    /*//////////////////////////////////////////////////////////////
                          ADMIN AND COMPLIANCE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IEscrow
    function sweepSurplus() external onlyOwner {
        uint256 held = IERC20(_token).balanceOf(address(this));
        uint256 owed = _liabilities;
        if (held <= owed) revert NoSurplus();
        uint256 surplus = held - owed;
        // Keep every balance within 96 bits (see `deposit`).
        if (held > type(uint96).max) revert AmountOverflow();
        _liabilities = held;
        address t = _treasury;
        // Safe: surplus < held <= type(uint96).max.
        // forge-lint: disable-next-line(unsafe-typecast)
        _accounts[t].available += uint96(surplus);
        emit SurplusSwept(t, surplus);
    }

    /// @inheritdoc IEscrow
    function setRoles(address owner, uint8 roles) external onlyOwner {
        if (owner == address(0)) revert ZeroAddress();
        if (roles & ~ALL_ROLES != 0) revert InvalidRoles();
        _accounts[owner].roles = roles;
        emit RolesSet(owner, roles);
    }

    /// @inheritdoc IEscrow
    function setAgent(address merchant, address agent) external onlyOwner {
        if (merchant == address(0) || agent == address(0)) revert ZeroAddress();
        if (merchant == agent) revert SameParty();
        Account storage m = _accounts[merchant];
        if (m.agent != address(0)) revert AgentAlreadySet(merchant);
        if (_accounts[agent].roles & ROLE_AGENT == 0) revert MissingRole(agent, ROLE_AGENT);
        m.agent = agent;
        emit AgentSet(merchant, agent);
    }

    /// @inheritdoc IEscrow
    function setKyc(address owner, uint8 kycLevel, uint16 region) external {
        if (msg.sender != _compliance) revert NotCompliance();
        if (owner == address(0)) revert ZeroAddress();
        Account storage a = _accounts[owner];
        a.kycLevel = kycLevel;
        a.region = region;
        emit KycSet(owner, kycLevel, region);
    }

    /*//////////////////////////////////////////////////////////////
                                 FUNDS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IEscrow
    function deposit(uint256 amount) external nonReentrant whenNotPaused {
        if (amount == 0) revert ZeroAmount();
        uint256 received = TokenTransfer.pullFrom(_token, msg.sender, amount);
        // Keeping the liabilities within 96 bits makes every later credit overflow-free, so no settlement
        // can ever revert on arithmetic.
        uint256 owed = _liabilities + received;
        if (owed > type(uint96).max) revert AmountOverflow();
        _liabilities = owed;
        Account storage a = _accounts[msg.sender];
        // Safe: received <= the liabilities, checked above to fit 96 bits.
        // forge-lint: disable-next-line(unsafe-typecast)
        a.available += uint96(received);
        emit Deposited(msg.sender, received);
    }

    /// @inheritdoc IEscrow
    function withdraw(uint256 amount) external nonReentrant whenNotPaused {
        Account storage a = _accounts[msg.sender];
        if (a.coSigner != address(0)) _countOutflow(a, msg.sender, amount);
        _withdraw(a, amount);
    }

    /// @inheritdoc IEscrow
    function withdrawCoSigned(uint256 amount, uint256 deadline, bytes calldata signature)
        external
        nonReentrant
        whenNotPaused
    {
        Account storage a = _accounts[msg.sender];
        _useCoSignature(a, msg.sender, COSIGN_WITHDRAW, amount, deadline, signature);
        _withdraw(a, amount);
    }

    /// @inheritdoc IEscrow
    function requestWithdrawalAddress(address newAddress) external {
        if (newAddress == address(0)) revert ZeroAddress();
        if (newAddress == address(this)) revert InvalidWithdrawalAddress();
        Account storage a = _accounts[msg.sender];
        uint64 effectiveAt = uint64(block.timestamp) + _limits.withdrawalDelay;
        a.pendingWithdrawalAddress = newAddress;
        a.pendingWithdrawalAt = effectiveAt;
        emit WithdrawalAddressChangeRequested(msg.sender, newAddress, effectiveAt);
    }

    /// @inheritdoc IEscrow
    function cancelWithdrawalAddressChange() external {
        Account storage a = _accounts[msg.sender];
        // Only a change that has not taken effect can be cancelled; after that, request a new one.
        if (a.pendingWithdrawalAt == 0 || block.timestamp >= a.pendingWithdrawalAt) {
            revert NoPendingWithdrawalAddress();
        }
        address cancelled = a.pendingWithdrawalAddress;
        a.pendingWithdrawalAddress = address(0);
        a.pendingWithdrawalAt = 0;
        emit WithdrawalAddressChangeCancelled(msg.sender, cancelled);
    }

    /*//////////////////////////////////////////////////////////////
                       CO-SIGNER AND ACCEPTOR LIMITS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IEscrow
    function setCoSigner(address newCoSigner, uint64 newDailyAllowance) external {
        Account storage a = _accounts[msg.sender];
        address current = a.coSigner;
        // docs/rules.md, "Co-signer and daily allowance": adding a first co-signer or lowering the allowance
        // is immediate; anything else waits the withdrawal delay unless the current co-signer approves.
        if (current == address(0) || (newCoSigner == current && newDailyAllowance <= a.dailyAllowance)) {
            _setCoSigner(a, msg.sender, newCoSigner, newDailyAllowance);
            return;
        }
        uint64 effectiveAt = uint64(block.timestamp) + _limits.withdrawalDelay;
        a.pendingCoSigner = newCoSigner;
        a.pendingDailyAllowance = newDailyAllowance;
        a.pendingCoSignerAt = effectiveAt;
        emit CoSignerChangeRequested(msg.sender, newCoSigner, newDailyAllowance, effectiveAt);
    }

    /// @inheritdoc IEscrow
    function setCoSignerCoSigned(
        address newCoSigner,
        uint64 newDailyAllowance,
        uint256 deadline,
        bytes calldata signature
    ) external {
        Account storage a = _accounts[msg.sender];
        uint256 subject = uint256(keccak256(abi.encode(newCoSigner, newDailyAllowance)));
        _useCoSignature(a, msg.sender, COSIGN_CHANGE, subject, deadline, signature);
        _setCoSigner(a, msg.sender, newCoSigner, newDailyAllowance);
    }

    /// @inheritdoc IEscrow
    function applyCoSigner(address owner) external {
        Account storage a = _accounts[owner];
        uint64 at = a.pendingCoSignerAt;
        if (at == 0) revert NoPendingCoSignerChange();
        if (block.timestamp < at) revert CoSignerChangeNotDue(at);
        _setCoSigner(a, owner, a.pendingCoSigner, a.pendingDailyAllowance);
    }

    /// @inheritdoc IEscrow
    function cancelCoSignerChange() external {
        Account storage a = _accounts[msg.sender];
        if (a.pendingCoSignerAt == 0) revert NoPendingCoSignerChange();
        _clearPendingCoSigner(a);
        emit CoSignerChangeCancelled(msg.sender);
    }

    /// @inheritdoc IEscrow
    function setAcceptorLimits(bool online, uint64 maxPerDeal, uint64 maxLocked) external {
        Account storage a = _accounts[msg.sender];
        a.online = online;
        a.maxPerDeal = maxPerDeal;
        a.maxLocked = maxLocked;
        emit AcceptorLimitsSet(msg.sender, online, maxPerDeal, maxLocked);
    }

    /*//////////////////////////////////////////////////////////////
                              BUY ORDERS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IEscrow
    function postBuyOrder(
        uint64 price,
        bytes3 currency,
        uint256 amount,
        uint256 minFill,
        uint256 maxFill,
        uint64 expiry,
        uint32 paymentWindow
    ) external whenNotPaused returns (uint256 orderId) {
        _requireRole(msg.sender, ROLE_MERCHANT);
        if (amount == 0) revert ZeroAmount();
        orderId = _nextOrderId++;
        if (
            price == 0 || currency == bytes3(0) || maxFill == 0 || minFill > maxFill
                || expiry <= block.timestamp || amount > type(uint96).max || orderId > type(uint32).max
        ) revert InvalidOrder();
        Limits memory l = _limits;
        if (maxFill > l.maxDealAmount) revert AmountAboveMax(maxFill, l.maxDealAmount);
        _checkWindow(l, paymentWindow);

        _orders[orderId] = BuyOrder({
            merchant: msg.sender,
            expiry: expiry,
            currency: currency,
            // Safe: amount <= type(uint96).max is checked above.
            // forge-lint: disable-next-line(unsafe-typecast)
            remaining: uint96(amount),
            // Safe: maxFill <= maxDealAmount, a uint96.
            // forge-lint: disable-next-line(unsafe-typecast)
            maxFill: uint96(maxFill),
            openFills: 0,
            paymentWindow: paymentWindow,
            // Safe: minFill <= maxFill <= maxDealAmount, a uint96.
            // forge-lint: disable-next-line(unsafe-typecast)
            minFill: uint96(minFill),
            price: price
        });
        emit BuyOrderPosted(
            orderId, msg.sender, price, currency, amount, minFill, maxFill, expiry, paymentWindow
        );
    }

    /// @inheritdoc IEscrow
    function cancelBuyOrder(uint256 orderId) external {
        BuyOrder storage o = _orders[orderId];
        address merchant = o.merchant;
        if (merchant == address(0)) revert OrderNotFound(orderId);
        if (merchant != msg.sender) revert NotOrderMerchant();
        uint256 remaining = o.remaining;
        // Fills still open find no order when they end and skip it (docs/rules.md, "Buy orders").
        delete _orders[orderId];
        emit BuyOrderCancelled(orderId, merchant, remaining);
    }

    /// @inheritdoc IEscrow
    function fillBuyOrder(uint256 orderId, uint256 amount, bytes32 orderRef)
        external
        whenNotPaused
        returns (uint256 dealId)
    {
        BuyOrder storage o = _orders[orderId];
        address merchant = o.merchant;
        if (merchant == address(0)) revert OrderNotFound(orderId);
        if (block.timestamp >= o.expiry) revert OrderExpired(orderId);
        if (amount == 0) revert ZeroAmount();
        uint256 remaining = o.remaining;
        if (amount > remaining || amount > o.maxFill || (amount < o.minFill && amount != remaining)) {
            revert FillOutOfRange(amount);
        }
        _requireRole(merchant, ROLE_MERCHANT);
        uint32 window = o.paymentWindow;

        remaining -= amount;
        // Safe: below the previous remaining, itself a uint96.
        // forge-lint: disable-next-line(unsafe-typecast)
        o.remaining = uint96(remaining);
        o.openFills += 1;

        dealId = _openDeal(DealKind.Trade, msg.sender, merchant, amount, window, orderRef, orderId);
        emit BuyOrderFilled(orderId, dealId, msg.sender, amount, remaining);
    }

    /*//////////////////////////////////////////////////////////////
                            OPENING DEALS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IEscrow
    function assignCollection(
        address acceptor,
        address merchant,
        uint256 amount,
        uint32 paymentWindow,
        bytes32 orderRef
    ) external whenNotPaused returns (uint256 dealId) {
        if (msg.sender != _dispatcher) revert NotDispatcher();
        _requireRole(acceptor, ROLE_ACCEPTOR);
        _requireRole(merchant, ROLE_MERCHANT);
        dealId = _openDeal(DealKind.Collection, acceptor, merchant, amount, paymentWindow, orderRef, 0);
        Account storage a = _checkAcceptor(acceptor, amount);
        // docs/rules.md, "Acceptor limits": the collateral locked in assigned deals stays within maxLocked
        // (checked after locking; the revert undoes the deal).
        if (a.locked > a.maxLocked) revert AcceptorLimitExceeded(acceptor, amount);
    }

    /// @inheritdoc IEscrow
    function openPayout(uint256 amount, uint32 paymentWindow, bytes32 orderRef)
        external
        whenNotPaused
        returns (uint256 dealId)
    {
        _requireRole(msg.sender, ROLE_MERCHANT);
        _checkAmountAndWindow(amount, paymentWindow);
        _checkCompliance(msg.sender);
        _lock(msg.sender, amount);
        Rates memory r = _rates(msg.sender, DealKind.Payout);
        dealId = _store(
            DealKind.Payout,
            DealState.Unassigned,
            msg.sender,
            address(0),
            amount,
            paymentWindow,
            orderRef,
            0,
            r
        );
        emit DealOpened(
            dealId, DealKind.Payout, msg.sender, address(0), msg.sender, amount, paymentWindow, 0, orderRef, r
        );
    }

    /// @inheritdoc IEscrow
    function assignPayout(uint256 dealId, address acceptor) external whenNotPaused {
        if (msg.sender != _dispatcher) revert NotDispatcher();
        DealRecord storage d = _deals[dealId];
        DealState state = d.state;
        if (state == DealState.None) revert DealNotFound(dealId);
        if (state != DealState.Unassigned) revert WrongDealState(dealId, state);
        if (acceptor == d.seller) revert SameParty();
        _requireRole(acceptor, ROLE_ACCEPTOR);
        _checkAcceptor(acceptor, d.amount);
        _checkCompliance(acceptor);
        uint32 deadline = uint32(block.timestamp) + d.deadline;
        d.buyer = acceptor;
        d.deadline = deadline;
        d.state = DealState.Open;
        emit DealAssigned(dealId, acceptor, deadline);
    }

    /*//////////////////////////////////////////////////////////////
                           PROGRESSING DEALS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IEscrow
    function markPaid(uint256 dealId) external {
        DealRecord storage d = _deals[dealId];
        DealState state = d.state;
        if (state == DealState.None) revert DealNotFound(dealId);
        if (msg.sender != d.buyer && !(d.kind == DealKind.Collection && msg.sender == _dispatcher)) {
            revert NotBuyer();
        }
        if (state != DealState.Open) revert WrongDealState(dealId, state);
        d.state = DealState.Paid;
        emit DealMarkedPaid(dealId, msg.sender);
    }

    /// @inheritdoc IEscrow
    function release(uint256 dealId) external {
        DealRecord memory d = _deals[dealId];
        _checkRelease(dealId, d);
        Account storage seller = _accounts[d.seller];
        if (seller.coSigner != address(0)) _countOutflow(seller, d.seller, d.amount);
        _release(dealId, d, seller);
    }

    /// @inheritdoc IEscrow
    function releaseCoSigned(uint256 dealId, uint256 deadline, bytes calldata signature) external {
        DealRecord memory d = _deals[dealId];
        _checkRelease(dealId, d);
        Account storage seller = _accounts[d.seller];
        _useCoSignature(seller, d.seller, COSIGN_RELEASE, dealId, deadline, signature);
        _release(dealId, d, seller);
    }

    /// @inheritdoc IEscrow
    function cancel(uint256 dealId) external {
        DealRecord storage d = _deals[dealId];
        DealState state = d.state;
        if (state == DealState.None) revert DealNotFound(dealId);
        address seller = d.seller;
        if (msg.sender == d.buyer) {
            // The buyer may give up the deal at any time before it is final. (An unassigned payout has no
            // buyer, so this branch never sees the Unassigned state.)
        } else if (msg.sender == seller) {
            if (state == DealState.Open) {
                if (block.timestamp <= d.deadline) revert DeadlineNotPassed(dealId, d.deadline);
            } else if (state != DealState.Unassigned) {
                revert WrongDealState(dealId, state);
            }
        } else {
            revert NotParty();
        }
        uint64 amount = d.amount;
        uint256 orderId = d.orderId;
        delete _deals[dealId];
        if (state == DealState.Disputed) delete _disputedAt[dealId];

        Account storage s = _accounts[seller];
        s.locked -= amount;
        s.available += amount;
        emit DealCancelled(dealId, msg.sender, seller, amount);
        if (orderId != 0) _endFill(orderId, dealId, amount, true);
    }

    /// @inheritdoc IEscrow
    function dispute(uint256 dealId) external {
        DealRecord storage d = _deals[dealId];
        DealState state = d.state;
        if (state == DealState.None) revert DealNotFound(dealId);
        if (msg.sender != d.buyer && msg.sender != d.seller) revert NotParty();
        if (state != DealState.Paid) revert WrongDealState(dealId, state);
        d.state = DealState.Disputed;
        uint64 at = uint64(block.timestamp);
        _disputedAt[dealId] = at;
        emit DealDisputed(dealId, msg.sender, at);
    }

    /// @inheritdoc IEscrow
    function resolve(uint256 dealId, uint16 buyerShareBps) external {
        if (msg.sender != _arbiter) revert NotArbiter();
        DealRecord memory d = _deals[dealId];
        if (d.state == DealState.None) revert DealNotFound(dealId);
        if (d.state != DealState.Disputed) revert WrongDealState(dealId, d.state);
        if (buyerShareBps > BPS) revert InvalidBuyerShare(buyerShareBps);
        delete _deals[dealId];
        delete _disputedAt[dealId];

        uint256 gross = uint256(d.amount) * buyerShareBps / BPS;
        uint256 refund = d.amount - gross;
        Account storage seller = _accounts[d.seller];
        seller.locked -= d.amount;
        // Safe: refund <= d.amount, a uint64.
        // forge-lint: disable-next-line(unsafe-typecast)
        seller.available += uint96(refund);
        Settlement memory s = _settle(d, gross);
        emit DealResolved(dealId, d.seller, d.buyer, buyerShareBps, refund, s);
        if (d.orderId != 0) _endFill(d.orderId, dealId, d.amount, false);
    }

    /*//////////////////////////////////////////////////////////////
                                 READS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IEscrow
    function account(address owner) external view returns (Account memory) {
        return _accounts[owner];
    }

    /// @inheritdoc IEscrow
    function withdrawalAddressOf(address owner) external view returns (address) {
        Account storage a = _accounts[owner];
        uint64 at = a.pendingWithdrawalAt;
        if (at != 0 && block.timestamp >= at) return a.pendingWithdrawalAddress;
        address stored = a.withdrawalAddress;
        return stored == address(0) ? owner : stored;
    }

    /// @inheritdoc IEscrow
    function buyOrder(uint256 orderId) external view returns (BuyOrder memory) {
        return _orders[orderId];
    }

    /// @inheritdoc IEscrow
    function deal(uint256 dealId) external view returns (Deal memory v) {
        DealRecord memory d = _deals[dealId];
        if (d.state == DealState.None) return v;
        bool hasAgent = d.agentShare & AGENT_FLAG != 0;
        v = Deal({
            seller: d.seller,
            deadline: d.deadline,
            kind: d.kind,
            state: d.state,
            buyer: d.buyer,
            amount: d.amount,
            orderRef: d.orderRef,
            orderId: d.orderId,
            feeBps: d.feeBps,
            agent: hasAgent ? _accounts[_merchant(d)].agent : address(0),
            agentShareBps: d.agentShare & ~AGENT_FLAG,
            rewardBps: d.rewardBps,
            disputedAt: _disputedAt[dealId]
        });
    }

    /// @inheritdoc IEscrow
    function merchantOf(uint256 dealId) external view returns (address) {
        DealRecord storage d = _deals[dealId];
        if (d.state == DealState.None) revert DealNotFound(dealId);
        return d.kind == DealKind.Payout ? d.seller : d.buyer;
    }

    /// @inheritdoc IEscrow
    function liabilities() external view returns (uint256) {
        return _liabilities;
    }

    /// @inheritdoc IEscrow
    function coSignHash(address owner, uint8 action, uint256 subject, uint256 nonce, uint256 deadline)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(
            keccak256(abi.encode(COSIGN_TYPEHASH, owner, action, subject, nonce, deadline))
        );
    }

    /// @inheritdoc IEscrow
    function previewSettlement(address merchant, DealKind kind, uint256 amount)
        external
        view
        returns (Settlement memory s)
    {
        Rates memory r = _rates(merchant, kind);
        FeeMath.Split memory p =
            FeeMath.split(amount, r.feeBps, r.agent != address(0), r.agentShareBps, r.rewardBps);
        s = Settlement({
            kind: kind,
            merchant: merchant,
            agent: r.agent,
            amount: amount,
            buyerNet: p.buyerNet,
            fee: p.fee,
            agentCut: p.agentCut,
            reward: p.reward,
            platform: p.platform
        });
    }

    /// @inheritdoc IEscrow
    function nextDealId() external view returns (uint256) {
        return _nextDealId;
    }

    /// @inheritdoc IEscrow
    function nextOrderId() external view returns (uint256) {
        return _nextOrderId;
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev Validate and open a Trade or Collection deal, locking `amount` of the seller's available balance.
    function _openDeal(
        DealKind kind,
        address seller,
        address buyer,
        uint256 amount,
        uint32 paymentWindow,
        bytes32 orderRef,
        uint256 orderId
    ) internal returns (uint256 dealId) {
        if (seller == buyer) revert SameParty();
        _checkAmountAndWindow(amount, paymentWindow);
        _checkCompliance(seller);
        _checkCompliance(buyer);
        _lock(seller, amount);
        uint32 deadline = uint32(block.timestamp) + paymentWindow;
        Rates memory r = _rates(buyer, kind);
        dealId = _store(kind, DealState.Open, seller, buyer, amount, deadline, orderRef, orderId, r);
        emit DealOpened(dealId, kind, seller, buyer, buyer, amount, paymentWindow, deadline, orderRef, r);
    }

    /// @dev Write a new deal record with the rates fixed at open.
    function _store(
        DealKind kind,
        DealState state,
        address seller,
        address buyer,
        uint256 amount,
        uint32 deadline,
        bytes32 orderRef,
        uint256 orderId,
        Rates memory r
    ) internal returns (uint256 dealId) {
        dealId = _nextDealId++;
        _deals[dealId] = DealRecord({
            seller: seller,
            deadline: deadline,
            kind: kind,
            state: state,
            feeBps: r.feeBps,
            agentShare: r.agent == address(0) ? 0 : r.agentShareBps | AGENT_FLAG,
            rewardBps: r.rewardBps,
            buyer: buyer,
            // Safe: amount <= maxDealAmount, at most a uint64 (checked by the limits setter).
            // forge-lint: disable-next-line(unsafe-typecast)
            amount: uint64(amount),
            // Safe: order ids are capped at 32 bits when posted.
            // forge-lint: disable-next-line(unsafe-typecast)
            orderId: uint32(orderId),
            orderRef: orderRef
        });
    }

    /// @dev The rates a deal of `kind` for `merchant` fixes now (docs/rules.md, "Fee rates"):
    ///      the merchant's tier, its agent only while that agent holds the agent role, and a Trade's reward.
    function _rates(address merchant, DealKind kind) internal view returns (Rates memory r) {
        Account storage m = _accounts[merchant];
        // Safe: tiers are validated to at most MAX_FEE_BPS (and shares to 10000) when set.
        // forge-lint: disable-next-line(unsafe-typecast)
        r.feeBps = uint16(
            FeeMath.tierBps(_merchantThresholds, _merchantFeeBps, _merchantTierCount, m.merchantVolume)
        );
        address agent = m.agent;
        if (agent != address(0)) {
            Account storage g = _accounts[agent];
            if (g.roles & ROLE_AGENT != 0) {
                r.agent = agent;
                // forge-lint: disable-next-line(unsafe-typecast)
                r.agentShareBps =
                    uint16(FeeMath.tierBps(_agentThresholds, _agentShareBps, _agentTierCount, g.agentVolume));
            }
        }
        if (kind == DealKind.Trade) r.rewardBps = _traderRewardBps;
    }

    function _checkRelease(uint256 dealId, DealRecord memory d) internal view {
        if (d.state == DealState.None) revert DealNotFound(dealId);
        if (msg.sender != d.seller) revert NotSeller();
        if (d.state != DealState.Open && d.state != DealState.Paid) revert WrongDealState(dealId, d.state);
    }

    /// @dev Release deal `d` (checked): delete it, unlock and settle its whole amount.
    function _release(uint256 dealId, DealRecord memory d, Account storage seller) internal {
        delete _deals[dealId];
        seller.locked -= d.amount;
        Settlement memory s = _settle(d, d.amount);
        emit DealReleased(dealId, d.seller, d.buyer, s);
        if (d.orderId != 0) _endFill(d.orderId, dealId, d.amount, false);
    }

    /// @dev A fill of `orderId` reached a final state (docs/rules.md, "Buy orders"). A cancelled fill returns its amount while the order is unexpired; the order is deleted
    ///      once nothing remains and no fill is open. An order its merchant cancelled is gone: skip.
    function _endFill(uint256 orderId, uint256 dealId, uint256 amount, bool cancelled) internal {
        BuyOrder storage o = _orders[orderId];
        if (o.merchant == address(0)) return;
        uint32 open = o.openFills - 1;
        uint256 remaining = o.remaining;
        if (cancelled && block.timestamp < o.expiry) {
            remaining += amount;
            // Safe: the refill returns what a fill took, so remaining stays within the posted uint96 amount.
            // forge-lint: disable-next-line(unsafe-typecast)
            o.remaining = uint96(remaining);
            emit BuyOrderRefilled(orderId, dealId, amount);
        }
        if (remaining == 0 && open == 0) {
            delete _orders[orderId];
            emit BuyOrderClosed(orderId);
        } else {
            o.openFills = open;
        }
    }

    /// @dev Settle gross `gross` of deal `d` (already deleted and unlocked) at the rates fixed when it opened:
    ///      credit buyer, agent, seller (trade reward) and treasury, and add the volumes. A zero gross settles
    ///      nothing.
    function _settle(DealRecord memory d, uint256 gross) internal returns (Settlement memory s) {
        address merchant = _merchant(d);
        Account storage m = _accounts[merchant];
        bool hasAgent = d.agentShare & AGENT_FLAG != 0;
        // The merchant's agent is set once, so the flag recorded at open names it.
        address agent = hasAgent ? m.agent : address(0);
        s.kind = d.kind;
        s.merchant = merchant;
        s.agent = agent;
        s.amount = gross;
        if (gross == 0) return s;

        FeeMath.Split memory p =
            FeeMath.split(gross, d.feeBps, hasAgent, d.agentShare & ~AGENT_FLAG, d.rewardBps);
        s.buyerNet = p.buyerNet;
        s.fee = p.fee;
        s.agentCut = p.agentCut;
        s.reward = p.reward;
        s.platform = p.platform;

        // All credits fit: the liabilities, which bound every balance, stay within 96 bits (see `deposit`).
        m.merchantVolume = _addVolume(m.merchantVolume, gross);
        _accounts[d.buyer].available += uint96(p.buyerNet);
        if (hasAgent) {
            Account storage g = _accounts[agent];
            g.available += uint96(p.agentCut);
            g.agentVolume = _addVolume(g.agentVolume, gross);
        }
        if (p.reward != 0) _accounts[d.seller].available += uint96(p.reward);
        if (p.platform != 0) _accounts[_treasury].available += uint96(p.platform);
    }

    function _merchant(DealRecord memory d) internal pure returns (address) {
        return d.kind == DealKind.Payout ? d.seller : d.buyer;
    }

    /// @dev Volumes are statistics that select tiers; they saturate rather than ever block a settlement.
    function _addVolume(uint64 volume, uint256 gross) internal pure returns (uint64) {
        uint256 sum = uint256(volume) + gross;
        // Safe: the branch above saturates anything larger.
        // forge-lint: disable-next-line(unsafe-typecast)
        return sum > type(uint64).max ? type(uint64).max : uint64(sum);
    }

    /// @dev Debit `amount` of the available balance and send it to the withdrawal address.
    function _withdraw(Account storage a, uint256 amount) internal {
        if (amount == 0) revert ZeroAmount();
        uint256 available = a.available;
        if (available < amount) revert InsufficientAvailable(msg.sender, available, amount);
        // Safe: below `available`, itself a uint96.
        // forge-lint: disable-next-line(unsafe-typecast)
        a.available = uint96(available - amount);
        _liabilities -= amount;
        address to = _promoteWithdrawalAddress(a, msg.sender);
        emit Withdrawn(msg.sender, to, amount);
        TokenTransfer.push(_token, to, amount);
    }

    /// @dev Count an outflow without co-signature against today's allowance (the account has a co-signer).
    function _countOutflow(Account storage a, address owner, uint256 amount) internal {
        // Safe: unix days fit 32 bits for eleven million years.
        // forge-lint: disable-next-line(unsafe-typecast)
        uint32 day = uint32(block.timestamp / 1 days);
        uint256 today = a.outflowDay == day ? a.outflowToday : 0;
        uint256 allowance = a.dailyAllowance;
        uint256 total = today + amount;
        if (total > allowance) {
            revert AllowanceExceeded(owner, amount, allowance > today ? allowance - today : 0);
        }
        a.outflowDay = day;
        // Safe: total <= allowance, a uint64.
        // forge-lint: disable-next-line(unsafe-typecast)
        a.outflowToday = uint64(total);
        emit OutflowCounted(owner, day, uint64(total));
    }

    /// @dev Check and consume the co-signer's EIP-712 approval of `action` on `subject` for `owner`.
    function _useCoSignature(
        Account storage a,
        address owner,
        uint8 action,
        uint256 subject,
        uint256 deadline,
        bytes calldata signature
    ) internal {
        if (block.timestamp > deadline) revert CoSignatureExpired(deadline);
        address coSigner = a.coSigner;
        uint32 nonce = a.coSignNonce;
        (address signer, ECDSA.RecoverError err,) =
            ECDSA.tryRecover(coSignHash(owner, action, subject, nonce, deadline), signature);
        if (err != ECDSA.RecoverError.NoError || coSigner == address(0) || signer != coSigner) {
            revert InvalidCoSignature();
        }
        a.coSignNonce = nonce + 1;
        emit OutflowCoSigned(owner, action, subject);
    }

    function _setCoSigner(Account storage a, address owner, address coSigner, uint64 allowance) internal {
        a.coSigner = coSigner;
        a.dailyAllowance = allowance;
        _clearPendingCoSigner(a);
        emit CoSignerSet(owner, coSigner, allowance);
    }

    function _clearPendingCoSigner(Account storage a) internal {
        a.pendingCoSigner = address(0);
        a.pendingDailyAllowance = 0;
        a.pendingCoSignerAt = 0;
    }

    /// @dev The dispatcher may assign only an online acceptor, within its maximum per deal.
    function _checkAcceptor(address acceptor, uint256 amount) internal view returns (Account storage a) {
        a = _accounts[acceptor];
        if (!a.online) revert AcceptorOffline(acceptor);
        if (amount > a.maxPerDeal) revert AcceptorLimitExceeded(acceptor, amount);
    }

    function _lock(address owner, uint256 amount) internal {
        Account storage a = _accounts[owner];
        uint256 available = a.available;
        if (available < amount) revert InsufficientAvailable(owner, available, amount);
        // Safe: below `available`, itself a uint96.
        // forge-lint: disable-next-line(unsafe-typecast)
        a.available = uint96(available - amount);
        // Safe: amount <= maxDealAmount, a uint64; all balances together fit the 96-bit liabilities.
        // forge-lint: disable-next-line(unsafe-typecast)
        a.locked += uint96(amount);
    }

    function _checkAmountAndWindow(uint256 amount, uint32 paymentWindow) internal view {
        if (amount == 0) revert ZeroAmount();
        Limits memory l = _limits;
        if (amount > l.maxDealAmount) revert AmountAboveMax(amount, l.maxDealAmount);
        _checkWindow(l, paymentWindow);
    }

    function _checkWindow(Limits memory l, uint32 paymentWindow) internal pure {
        if (paymentWindow < l.minPaymentWindow || paymentWindow > l.maxPaymentWindow) {
            revert PaymentWindowOutOfRange(paymentWindow);
        }
    }

    function _checkCompliance(address owner) internal view {
        Account storage a = _accounts[owner];
        uint8 level = a.kycLevel;
        if (level < _limits.minKycLevel) revert KycTooLow(owner, level);
        uint16 region = a.region;
        if (_blockedRegions[region]) revert RegionBlocked(owner, region);
    }

    function _requireRole(address owner, uint8 role) internal view {
        if (owner == address(0)) revert ZeroAddress();
        if (_accounts[owner].roles & role == 0) revert MissingRole(owner, role);
    }

    /// @dev Make a pending withdrawal address whose time has come the stored one; return where to send.
    function _promoteWithdrawalAddress(Account storage a, address owner) internal returns (address) {
        uint64 at = a.pendingWithdrawalAt;
        if (at != 0 && block.timestamp >= at) {
            address next = a.pendingWithdrawalAddress;
            a.withdrawalAddress = next;
            a.pendingWithdrawalAddress = address(0);
            a.pendingWithdrawalAt = 0;
            emit WithdrawalAddressChanged(owner, next);
            return next;
        }
        address stored = a.withdrawalAddress;
        return stored == address(0) ? owner : stored;
    }
}
