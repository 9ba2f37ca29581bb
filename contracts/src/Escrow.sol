// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IEscrow} from "./interfaces/IEscrow.sol";
import {EscrowConfig} from "./base/EscrowConfig.sol";
import {FeeMath} from "./libraries/FeeMath.sol";
import {TokenTransfer} from "./libraries/TokenTransfer.sol";

/// @title Escrow
/// @notice stablerail's USDT escrow for Ethereum and TRON (DESIGN.md §4). See {IEscrow} for the terms.
/// @dev Only `deposit` and `withdraw` touch the token; every settlement is a credit to balances, so a
///      blacklisted or reverting recipient can block only its own withdrawal. Conservation holds after every
///      call: token.balanceOf(this) == sum(available) + sum(locked). The same bytecode deploys on TRON: no
///      chain id, no CREATE2 address, no gas-price opcode and no RIPEMD/blake2f is used.
contract Escrow is EscrowConfig, ReentrancyGuard {
    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    mapping(address owner => Account) internal _accounts;
    mapping(uint256 dealId => Deal) internal _deals;
    mapping(uint256 orderId => BuyOrder) internal _orders;
    uint128 internal _nextDealId = 1;
    uint128 internal _nextOrderId = 1;

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
    ) EscrowConfig(token_, admin_, keys, merchantTiers, agentTiers, traderRewardBps, limits_) {}

    /*//////////////////////////////////////////////////////////////
                          ADMIN AND COMPLIANCE
    //////////////////////////////////////////////////////////////*/

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
        // Keeping the whole holding within 96 bits makes every later credit overflow-free, so no
        // settlement can ever revert on arithmetic.
        if (IERC20(_token).balanceOf(address(this)) > type(uint96).max) revert AmountOverflow();
        Account storage a = _accounts[msg.sender];
        // Safe: received <= the escrow's holding, checked above to fit 96 bits.
        // forge-lint: disable-next-line(unsafe-typecast)
        a.available += uint96(received);
        emit Deposited(msg.sender, received);
    }

    /// @inheritdoc IEscrow
    function withdraw(uint256 amount) external nonReentrant whenNotPaused {
        if (amount == 0) revert ZeroAmount();
        Account storage a = _accounts[msg.sender];
        uint256 available = a.available;
        if (available < amount) revert InsufficientAvailable(msg.sender, available, amount);
        // Safe: below `available`, itself a uint96.
        // forge-lint: disable-next-line(unsafe-typecast)
        a.available = uint96(available - amount);
        address to = _promoteWithdrawalAddress(a, msg.sender);
        emit Withdrawn(msg.sender, to, amount);
        TokenTransfer.push(_token, to, amount);
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
        if (
            price == 0 || currency == bytes3(0) || maxFill == 0 || minFill > maxFill
                || expiry <= block.timestamp || amount > type(uint96).max
        ) revert InvalidOrder();
        Limits memory l = _limits;
        if (maxFill > l.maxDealAmount) revert AmountAboveMax(maxFill, l.maxDealAmount);
        _checkWindow(l, paymentWindow);

        orderId = _nextOrderId++;
        _orders[orderId] = BuyOrder({
            merchant: msg.sender,
            expiry: expiry,
            currency: currency,
            // Safe: amount <= type(uint96).max is checked above.
            // forge-lint: disable-next-line(unsafe-typecast)
            remaining: uint96(amount),
            // Safe: minFill <= maxFill <= maxDealAmount, a uint96.
            // forge-lint: disable-next-line(unsafe-typecast)
            minFill: uint96(minFill),
            price: price,
            // Safe: maxFill <= maxDealAmount, a uint96.
            // forge-lint: disable-next-line(unsafe-typecast)
            maxFill: uint96(maxFill),
            paymentWindow: paymentWindow
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
        if (remaining == 0) delete _orders[orderId];
        // Safe: below the previous remaining, itself a uint96.
        // forge-lint: disable-next-line(unsafe-typecast)
        else o.remaining = uint96(remaining);

        dealId = _openDeal(DealKind.Trade, msg.sender, merchant, amount, window, orderRef);
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
        dealId = _openDeal(DealKind.Collection, acceptor, merchant, amount, paymentWindow, orderRef);
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
        dealId = _nextDealId++;
        _deals[dealId] = Deal({
            seller: msg.sender,
            deadline: paymentWindow,
            kind: DealKind.Payout,
            state: DealState.Unassigned,
            buyer: address(0),
            // Safe: amount <= maxDealAmount (a uint96), checked in _checkAmountAndWindow.
            // forge-lint: disable-next-line(unsafe-typecast)
            amount: uint96(amount),
            orderRef: orderRef
        });
        emit DealOpened(
            dealId, DealKind.Payout, msg.sender, address(0), msg.sender, amount, paymentWindow, 0, orderRef
        );
    }

    /// @inheritdoc IEscrow
    function assignPayout(uint256 dealId, address acceptor) external whenNotPaused {
        if (msg.sender != _dispatcher) revert NotDispatcher();
        Deal storage d = _deals[dealId];
        DealState state = d.state;
        if (state == DealState.None) revert DealNotFound(dealId);
        if (state != DealState.Unassigned) revert WrongDealState(dealId, state);
        if (acceptor == d.seller) revert SameParty();
        _requireRole(acceptor, ROLE_ACCEPTOR);
        _checkCompliance(acceptor);
        uint64 deadline = uint64(block.timestamp) + d.deadline;
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
        Deal storage d = _deals[dealId];
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
        Deal memory d = _deals[dealId];
        if (d.state == DealState.None) revert DealNotFound(dealId);
        if (msg.sender != d.seller) revert NotSeller();
        if (d.state != DealState.Open && d.state != DealState.Paid) revert WrongDealState(dealId, d.state);
        delete _deals[dealId];

        _accounts[d.seller].locked -= d.amount;
        Settlement memory s = _settle(d, d.amount);
        emit DealReleased(dealId, d.seller, d.buyer, s);
    }

    /// @inheritdoc IEscrow
    function cancel(uint256 dealId) external {
        Deal storage d = _deals[dealId];
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
        uint96 amount = d.amount;
        delete _deals[dealId];

        Account storage s = _accounts[seller];
        s.locked -= amount;
        s.available += amount;
        emit DealCancelled(dealId, msg.sender, seller, amount);
    }

    /// @inheritdoc IEscrow
    function dispute(uint256 dealId) external {
        Deal storage d = _deals[dealId];
        DealState state = d.state;
        if (state == DealState.None) revert DealNotFound(dealId);
        if (msg.sender != d.buyer && msg.sender != d.seller) revert NotParty();
        if (state != DealState.Paid) revert WrongDealState(dealId, state);
        d.state = DealState.Disputed;
        emit DealDisputed(dealId, msg.sender);
    }

    /// @inheritdoc IEscrow
    function resolve(uint256 dealId, uint16 buyerShareBps) external {
        if (msg.sender != _arbiter) revert NotArbiter();
        Deal memory d = _deals[dealId];
        if (d.state == DealState.None) revert DealNotFound(dealId);
        if (d.state != DealState.Disputed) revert WrongDealState(dealId, d.state);
        if (buyerShareBps > BPS) revert InvalidBuyerShare(buyerShareBps);
        delete _deals[dealId];

        uint256 gross = uint256(d.amount) * buyerShareBps / BPS;
        uint256 refund = d.amount - gross;
        Account storage seller = _accounts[d.seller];
        seller.locked -= d.amount;
        // Safe: refund <= d.amount, a uint96.
        // forge-lint: disable-next-line(unsafe-typecast)
        seller.available += uint96(refund);
        Settlement memory s = _settle(d, gross);
        emit DealResolved(dealId, d.seller, d.buyer, buyerShareBps, refund, s);
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
    function deal(uint256 dealId) external view returns (Deal memory) {
        return _deals[dealId];
    }

    /// @inheritdoc IEscrow
    function merchantOf(uint256 dealId) external view returns (address) {
        Deal storage d = _deals[dealId];
        if (d.state == DealState.None) revert DealNotFound(dealId);
        return d.kind == DealKind.Payout ? d.seller : d.buyer;
    }

    /// @inheritdoc IEscrow
    function previewSettlement(address merchant, DealKind kind, uint256 amount)
        external
        view
        returns (Settlement memory s)
    {
        FeeMath.Split memory p = _split(merchant, kind, amount);
        s = Settlement({
            kind: kind,
            merchant: merchant,
            agent: _accounts[merchant].agent,
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
        bytes32 orderRef
    ) internal returns (uint256 dealId) {
        if (seller == buyer) revert SameParty();
        _checkAmountAndWindow(amount, paymentWindow);
        _checkCompliance(seller);
        _checkCompliance(buyer);
        _lock(seller, amount);
        uint64 deadline = uint64(block.timestamp) + paymentWindow;
        dealId = _nextDealId++;
        _deals[dealId] = Deal({
            seller: seller,
            deadline: deadline,
            kind: kind,
            state: DealState.Open,
            buyer: buyer,
            // Safe: amount <= maxDealAmount (a uint96), checked in _checkAmountAndWindow.
            // forge-lint: disable-next-line(unsafe-typecast)
            amount: uint96(amount),
            orderRef: orderRef
        });
        emit DealOpened(dealId, kind, seller, buyer, buyer, amount, paymentWindow, deadline, orderRef);
    }

    /// @dev Settle gross `gross` of deal `d` (already deleted and unlocked): credit buyer, agent, seller
    ///      (trade reward) and treasury, and add the volumes. A zero gross settles nothing.
    function _settle(Deal memory d, uint256 gross) internal returns (Settlement memory s) {
        address merchant = d.kind == DealKind.Payout ? d.seller : d.buyer;
        Account storage m = _accounts[merchant];
        address agent = m.agent;
        s.kind = d.kind;
        s.merchant = merchant;
        s.agent = agent;
        s.amount = gross;
        if (gross == 0) return s;

        FeeMath.Split memory p = _split(merchant, d.kind, gross);
        s.buyerNet = p.buyerNet;
        s.fee = p.fee;
        s.agentCut = p.agentCut;
        s.reward = p.reward;
        s.platform = p.platform;

        // All credits fit: deposits keep the escrow's whole holding within 96 bits (see `deposit`).
        m.merchantVolume = _addVolume(m.merchantVolume, gross);
        _accounts[d.buyer].available += uint96(p.buyerNet);
        if (agent != address(0)) {
            Account storage g = _accounts[agent];
            g.available += uint96(p.agentCut);
            g.agentVolume = _addVolume(g.agentVolume, gross);
        }
        if (p.reward != 0) _accounts[d.seller].available += uint96(p.reward);
        if (p.platform != 0) _accounts[_treasury].available += uint96(p.platform);
    }

    /// @dev The fee split for `merchant` at its current volume (and its agent's).
    function _split(address merchant, DealKind kind, uint256 gross)
        internal
        view
        returns (FeeMath.Split memory)
    {
        Account storage m = _accounts[merchant];
        address agent = m.agent;
        uint256 feeBps =
            FeeMath.tierBps(_merchantThresholds, _merchantFeeBps, _merchantTierCount, m.merchantVolume);
        uint256 shareBps = agent == address(0)
            ? 0
            : FeeMath.tierBps(_agentThresholds, _agentShareBps, _agentTierCount, _accounts[agent].agentVolume);
        uint256 rewardBps = kind == DealKind.Trade ? _traderRewardBps : 0;
        return FeeMath.split(gross, feeBps, agent != address(0), shareBps, rewardBps);
    }

    /// @dev Volumes are statistics that select tiers; they saturate rather than ever block a settlement.
    function _addVolume(uint64 volume, uint256 gross) internal pure returns (uint64) {
        uint256 sum = uint256(volume) + gross;
        // Safe: the branch above saturates anything larger.
        // forge-lint: disable-next-line(unsafe-typecast)
        return sum > type(uint64).max ? type(uint64).max : uint64(sum);
    }

    function _lock(address owner, uint256 amount) internal {
        Account storage a = _accounts[owner];
        uint256 available = a.available;
        if (available < amount) revert InsufficientAvailable(owner, available, amount);
        // amount <= maxDealAmount, a uint96.
        // Safe: below `available`, itself a uint96.
        // forge-lint: disable-next-line(unsafe-typecast)
        a.available = uint96(available - amount);
        // Safe: amount <= maxDealAmount, a uint96; all balances together fit the 96-bit holding.
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
