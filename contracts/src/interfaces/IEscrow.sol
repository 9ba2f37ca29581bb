// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IEscrow
/// @notice USDT escrow for stablerail (docs/rules.md): per-wallet accounts, merchant buy orders, and deals of
///         three kinds (Trade, Collection, Payout) that lock the seller's USDT until the seller releases it, the
///         buyer cancels, or the arbiter resolves a dispute. Settlement credits every party's escrow balance
///         (pull payments); only `withdraw` moves tokens out.
/// @dev Terms:
///      - seller: the account whose available balance is locked by a deal.
///      - buyer: the account that receives the USDT, net of fees, on settlement.
///      - merchant: the fee party. Its settled volume selects the fee tier and its referrer (agent) earns a
///        share of the fee. Trade and Collection: merchant = buyer. Payout: merchant = seller.
///      Deal states: a Payout starts `Unassigned` (no buyer yet; only its merchant may cancel it) until the
///      dispatcher assigns an acceptor, which makes it `Open` and starts the payment window. Trade and
///      Collection deals start `Open`. `Open -> Paid -> Disputed`; released, cancelled and resolved deals are
///      deleted (their final state is carried by the event).
interface IEscrow {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice What a deal settles.
    enum DealKind {
        Trade,
        Collection,
        Payout
    }

    /// @notice Live states of a deal. Final states are not stored: the deal is deleted.
    enum DealState {
        None,
        Unassigned,
        Open,
        Paid,
        Disputed
    }

    /// @notice One row of a tier table: `bps` applies from `threshold` (inclusive) of settled volume on.
    struct Tier {
        uint64 threshold;
        uint16 bps;
    }

    /// @notice Admin-set limits. `withdrawalDelay` is the wait before a new withdrawal address takes effect.
    struct Limits {
        uint32 minPaymentWindow;
        uint32 maxPaymentWindow;
        uint96 maxDealAmount;
        uint8 minKycLevel;
        uint32 withdrawalDelay;
    }

    /// @notice A wallet's escrow account. Packed into seven storage slots, grouped by the calls that read them.
    /// @dev `pendingWithdrawalAt` is 0 when no change is pending. `withdrawalAddress` 0 means the owner itself.
    ///      Co-signer (docs/rules.md, "Co-signer and daily allowance"): `coSigner` 0 means none (no outflow
    ///      limit); `outflowToday` counts the outflows of UTC day `outflowDay` (unix time / 86400) made without
    ///      co-signature; `coSignNonce` is the nonce the next co-signature must carry; a pending co-signer change
    ///      (`pendingCoSignerAt` 0 = none) takes effect through {applyCoSigner}. Acceptor limits (docs/rules.md,
    ///      "Acceptor limits"): the dispatcher may assign deals only while `online`, up to `maxPerDeal` each and
    ///      `maxLocked` in total locked.
    struct Account {
        uint96 available;
        uint96 locked;
        uint64 agentVolume;
        address agent;
        uint8 roles;
        uint8 kycLevel;
        uint16 region;
        uint64 merchantVolume;
        address withdrawalAddress;
        uint64 pendingWithdrawalAt;
        address pendingWithdrawalAddress;
        uint64 pendingCoSignerAt;
        address coSigner;
        uint64 dailyAllowance;
        uint32 coSignNonce;
        bool online;
        uint64 maxPerDeal;
        uint64 maxLocked;
        uint64 outflowToday;
        uint32 outflowDay;
        address pendingCoSigner;
        uint64 pendingDailyAllowance;
    }

    /// @notice A merchant's standing offer to buy USDT for fiat. `openFills` counts its fills whose deals are not
    ///         final yet. Deleted when the merchant cancels it, or once nothing remains and no fill is open.
    struct BuyOrder {
        address merchant;
        uint64 expiry;
        bytes3 currency;
        uint96 remaining;
        uint96 maxFill;
        uint32 openFills;
        uint32 paymentWindow;
        uint96 minFill;
        uint64 price;
    }

    /// @notice A deal; the merchant is derived from `kind`.
    /// @dev While `Unassigned`, `deadline` holds the payment window in seconds; from assignment on it is the
    ///      unix time after which the seller may cancel an unpaid deal. `orderRef` is the 32-byte reference
    ///      of the off-chain order (`reference` is a reserved word in Solidity). `orderId` is the buy order a
    ///      Trade filled (0 for other kinds). The rates are fixed when the deal opens (docs/rules.md, "Fee
    ///      rates"): `feeBps` (merchant tier), `agent` (the merchant's agent if it held the agent
    ///      role at open, else 0) with `agentShareBps`, and `rewardBps` (a Trade's trader reward, else 0).
    ///      `disputedAt` is the unix time of the dispute, 0 until disputed.
    struct Deal {
        address seller;
        uint64 deadline;
        DealKind kind;
        DealState state;
        address buyer;
        uint96 amount;
        bytes32 orderRef;
        uint256 orderId;
        uint16 feeBps;
        address agent;
        uint16 agentShareBps;
        uint16 rewardBps;
        uint64 disputedAt;
    }

    /// @notice The fee rates a deal fixed when it opened (see {Deal}).
    struct Rates {
        uint16 feeBps;
        address agent;
        uint16 agentShareBps;
        uint16 rewardBps;
    }

    /// @notice Every part of one settlement of gross `amount`, as emitted for indexers.
    /// @dev `buyerNet + agentCut + reward + platform == amount`; `fee == agentCut + reward + platform`.
    struct Settlement {
        DealKind kind;
        address merchant;
        address agent;
        uint256 amount;
        uint256 buyerNet;
        uint256 fee;
        uint256 agentCut;
        uint256 reward;
        uint256 platform;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @dev The caller is neither the guardian nor the admin.
    error NotGuardianOrAdmin();
    /// @dev The caller is not the arbiter.
    error NotArbiter();
    /// @dev The caller is not the dispatcher.
    error NotDispatcher();
    /// @dev The caller is not the compliance key.
    error NotCompliance();
    /// @dev The caller is not the deal's buyer (or, for marking a collection paid, the dispatcher).
    error NotBuyer();
    /// @dev The caller is not the deal's seller.
    error NotSeller();
    /// @dev The caller is neither the deal's buyer nor its seller.
    error NotParty();
    /// @dev The caller is not the merchant who posted the buy order.
    error NotOrderMerchant();
    /// @dev The admin cannot be renounced: the escrow would lose its configuration owner.
    error RenounceDisabled();
    /// @dev An address argument is zero.
    error ZeroAddress();
    /// @dev An amount argument is zero.
    error ZeroAmount();
    /// @dev An amount does not fit the packed 96-bit balance fields.
    error AmountOverflow();
    /// @dev A tier table has no entries or more than MAX_TIERS (8).
    error TierCount();
    /// @dev A tier table's first threshold is not 0.
    error FirstTierThreshold();
    /// @dev Tier thresholds are not strictly increasing.
    error TierOrder();
    /// @dev A basis-point value (a tier's bps or the trader reward) is above 10000.
    error BpsTooHigh();
    /// @dev An agent tier's share plus the trader reward is above 10000 bps.
    error ShareAndRewardTooHigh();
    /// @dev A merchant fee tier is above MAX_FEE_BPS (10 %).
    error FeeTooHigh();
    /// @dev The treasury cannot be the escrow itself.
    error TreasuryIsEscrow();
    /// @dev The acceptor is not online: the dispatcher cannot assign it deals.
    error AcceptorOffline(address acceptor);
    /// @dev The deal is above the acceptor's maximum per deal, or would lock more than its maximum locked.
    error AcceptorLimitExceeded(address acceptor, uint256 amount);
    /// @dev An outflow without co-signature is above what is left of the account's daily allowance.
    error AllowanceExceeded(address account, uint256 amount, uint256 left);
    /// @dev The co-signature is not by the account's co-signer over this action, subject and nonce.
    error InvalidCoSignature();
    /// @dev The co-signature's deadline has passed.
    error CoSignatureExpired(uint256 deadline);
    /// @dev No co-signer change is pending for the account.
    error NoPendingCoSignerChange();
    /// @dev The pending co-signer change takes effect only at `effectiveAt`.
    error CoSignerChangeNotDue(uint64 effectiveAt);
    /// @dev The escrow holds no tokens beyond its liabilities.
    error NoSurplus();
    /// @dev The limits are inconsistent (min window above max, zero max window or zero max amount).
    error InvalidLimits();
    /// @dev The roles bitmask has bits outside merchant | acceptor | agent.
    error InvalidRoles();
    /// @dev `account` lacks `role` (ROLE_MERCHANT, ROLE_ACCEPTOR or ROLE_AGENT).
    error MissingRole(address account, uint8 role);
    /// @dev The merchant already has an agent; it is set once.
    error AgentAlreadySet(address merchant);
    /// @dev A merchant cannot be its own agent, and a deal's seller cannot be its buyer.
    error SameParty();
    /// @dev `account` has less available balance than `needed`.
    error InsufficientAvailable(address account, uint256 available, uint256 needed);
    /// @dev `account` is below the minimum KYC level.
    error KycTooLow(address account, uint8 level);
    /// @dev `account` is in a blocked region.
    error RegionBlocked(address account, uint16 region);
    /// @dev The payment window is outside [minPaymentWindow, maxPaymentWindow].
    error PaymentWindowOutOfRange(uint256 window);
    /// @dev The deal or fill amount is above the maximum deal amount.
    error AmountAboveMax(uint256 amount, uint256 max);
    /// @dev No such deal (never opened, or already final and deleted).
    error DealNotFound(uint256 dealId);
    /// @dev The deal is not in a state that allows this action.
    error WrongDealState(uint256 dealId, DealState state);
    /// @dev The seller may cancel only after the payment deadline.
    error DeadlineNotPassed(uint256 dealId, uint64 deadline);
    /// @dev The buyer share is above 10000 bps.
    error InvalidBuyerShare(uint256 buyerShareBps);
    /// @dev No such buy order (never posted, filled or cancelled).
    error OrderNotFound(uint256 orderId);
    /// @dev The buy order's expiry has passed.
    error OrderExpired(uint256 orderId);
    /// @dev The buy order parameters are invalid (min > max, max > amount, expiry in the past, zero price).
    error InvalidOrder();
    /// @dev The fill amount is outside [minFill, maxFill] (a fill of the whole remainder is always allowed
    ///      up to maxFill) or above the remaining amount.
    error FillOutOfRange(uint256 amount);
    /// @dev No withdrawal address change is pending.
    error NoPendingWithdrawalAddress();
    /// @dev The withdrawal address cannot be the escrow itself.
    error InvalidWithdrawalAddress();

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice The guardian changed.
    event GuardianSet(address indexed previous, address indexed current);
    /// @notice The arbiter changed.
    event ArbiterSet(address indexed previous, address indexed current);
    /// @notice The dispatcher changed.
    event DispatcherSet(address indexed previous, address indexed current);
    /// @notice The compliance key changed.
    event ComplianceSet(address indexed previous, address indexed current);
    /// @notice The treasury (the account credited with platform fees) changed.
    event TreasurySet(address indexed previous, address indexed current);
    /// @notice The fee schedule was replaced.
    event FeeScheduleSet(Tier[] merchantTiers, Tier[] agentTiers, uint16 traderRewardBps);
    /// @notice The limits were replaced.
    event LimitsSet(Limits limits);
    /// @notice A region was blocked or unblocked.
    event RegionBlockedSet(uint16 indexed region, bool blocked);
    /// @notice The roles bitmask of `account` was set.
    event RolesSet(address indexed account, uint8 roles);
    /// @notice `merchant` was linked to its referring `agent` (once).
    event AgentSet(address indexed merchant, address indexed agent);
    /// @notice Compliance recorded a KYC level and region for `account`.
    event KycSet(address indexed account, uint8 kycLevel, uint16 region);

    /// @notice `amount` (the exact balance increase of the escrow) was credited to `account`.
    event Deposited(address indexed account, uint256 amount);
    /// @notice `amount` of `account`'s available balance was sent to `to`.
    event Withdrawn(address indexed account, address indexed to, uint256 amount);
    /// @notice `account` asked to withdraw to `newAddress` from `effectiveAt` on.
    event WithdrawalAddressChangeRequested(
        address indexed account, address indexed newAddress, uint64 effectiveAt
    );
    /// @notice `account` cancelled its pending withdrawal address change.
    event WithdrawalAddressChangeCancelled(address indexed account, address indexed cancelledAddress);
    /// @notice A pending withdrawal address became the stored one (on the first withdraw after `effectiveAt`).
    event WithdrawalAddressChanged(address indexed account, address indexed newAddress);

    /// @notice `merchant` posted buy order `orderId`. `price` is fiat minor units per 1 USDT in `currency`
    ///         (ISO 4217, e.g. "CNY"); a fill opens a Trade deal with `paymentWindow` seconds to pay.
    event BuyOrderPosted(
        uint256 indexed orderId,
        address indexed merchant,
        uint64 price,
        bytes3 currency,
        uint256 amount,
        uint256 minFill,
        uint256 maxFill,
        uint64 expiry,
        uint32 paymentWindow
    );
    /// @notice `trader` filled `amount` of order `orderId`, opening Trade deal `dealId`. `remaining` is what
    ///         is left to fill.
    event BuyOrderFilled(
        uint256 indexed orderId,
        uint256 indexed dealId,
        address indexed trader,
        uint256 amount,
        uint256 remaining
    );
    /// @notice The merchant cancelled buy order `orderId` with `remaining` unfilled; the order is deleted.
    event BuyOrderCancelled(uint256 indexed orderId, address indexed merchant, uint256 remaining);
    /// @notice Trade `dealId` was cancelled and its `amount` returned to its open, unexpired order `orderId`.
    event BuyOrderRefilled(uint256 indexed orderId, uint256 indexed dealId, uint256 amount);
    /// @notice Buy order `orderId` was deleted because nothing remains and no fill of it is open.
    event BuyOrderClosed(uint256 indexed orderId);

    /// @notice `account` asked for `coSigner` and `dailyAllowance`, effective from `effectiveAt` on.
    event CoSignerChangeRequested(
        address indexed account, address indexed coSigner, uint64 dailyAllowance, uint64 effectiveAt
    );
    /// @notice `account`'s co-signer and daily allowance are now `coSigner` and `dailyAllowance`.
    event CoSignerSet(address indexed account, address indexed coSigner, uint64 dailyAllowance);
    /// @notice `account` cancelled its pending co-signer change.
    event CoSignerChangeCancelled(address indexed account);
    /// @notice An outflow without co-signature counted against the allowance: `outflowToday` on UTC `day`.
    event OutflowCounted(address indexed account, uint32 day, uint64 outflowToday);
    /// @notice `account`'s co-signer approved `action` (0 withdraw, 1 release, 2 co-signer change) on `subject`.
    event OutflowCoSigned(address indexed account, uint8 action, uint256 subject);
    /// @notice `account` set its acceptor limits.
    event AcceptorLimitsSet(address indexed account, bool online, uint64 maxPerDeal, uint64 maxLocked);
    /// @notice `amount` of tokens held beyond the liabilities was credited to `treasury`.
    event SurplusSwept(address indexed treasury, uint256 amount);

    /// @notice Deal `dealId` was opened and `amount` moved from the seller's available to its locked balance.
    ///         `rates` are the fee rates fixed for its settlement.
    /// @dev For an unassigned Payout `buyer` and `deadline` are 0 until `DealAssigned`.
    event DealOpened(
        uint256 indexed dealId,
        DealKind kind,
        address indexed seller,
        address indexed buyer,
        address merchant,
        uint256 amount,
        uint32 paymentWindow,
        uint64 deadline,
        bytes32 orderRef,
        Rates rates
    );
    /// @notice The dispatcher assigned acceptor `buyer` to Payout `dealId`; it is now Open until `deadline`.
    event DealAssigned(uint256 indexed dealId, address indexed buyer, uint64 deadline);
    /// @notice `by` (the buyer, or the dispatcher for a Collection) declared the fiat sent.
    event DealMarkedPaid(uint256 indexed dealId, address indexed by);
    /// @notice `by` (buyer or seller) disputed the paid deal at unix time `disputedAt`.
    event DealDisputed(uint256 indexed dealId, address indexed by, uint64 disputedAt);
    /// @notice `by` cancelled the deal; `amount` went back to `seller`'s available balance. The deal is deleted.
    event DealCancelled(uint256 indexed dealId, address indexed by, address indexed seller, uint256 amount);
    /// @notice The seller released the deal; `settlement` lists every credited part. The deal is deleted.
    event DealReleased(
        uint256 indexed dealId, address indexed seller, address indexed buyer, Settlement settlement
    );
    /// @notice The arbiter resolved the dispute: `settlement` settles the buyer's gross share
    ///         (floor(amount * buyerShareBps / 10000)), `sellerRefund` went back to the seller. Deleted.
    event DealResolved(
        uint256 indexed dealId,
        address indexed seller,
        address indexed buyer,
        uint16 buyerShareBps,
        uint256 sellerRefund,
        Settlement settlement
    );

    /*//////////////////////////////////////////////////////////////
                              ADMIN WRITES
    //////////////////////////////////////////////////////////////*/

    /// @notice Set the guardian (may pause). Admin only.
    function setGuardian(address guardian) external;
    /// @notice Set the arbiter (resolves disputes). Admin only.
    function setArbiter(address arbiter) external;
    /// @notice Set the dispatcher (assigns collections and payouts). Admin only.
    function setDispatcher(address dispatcher) external;
    /// @notice Set the compliance key (records KYC level and region). Admin only.
    function setCompliance(address compliance) external;
    /// @notice Set the treasury, the account whose available balance receives platform fees. Admin only.
    function setTreasury(address treasury) external;
    /// @notice Replace the fee schedule. Admin only.
    /// @param merchantTiers 1..=8 tiers, first threshold 0, strictly increasing, fee bps <= MAX_FEE_BPS.
    /// @param agentTiers 1..=8 tiers, same shape; each share + `traderRewardBps` <= 10000.
    /// @param traderRewardBps Share of the fee paid to the seller of a Trade.
    function setFeeSchedule(Tier[] calldata merchantTiers, Tier[] calldata agentTiers, uint16 traderRewardBps)
        external;
    /// @notice Replace the limits. Admin only.
    function setLimits(Limits calldata limits) external;
    /// @notice Block or unblock a region code for new deals. Admin only.
    function setRegionBlocked(uint16 region, bool blocked) external;
    /// @notice Set the roles bitmask of `account` (ROLE_MERCHANT | ROLE_ACCEPTOR | ROLE_AGENT). Admin only.
    function setRoles(address account, uint8 roles) external;
    /// @notice Link `merchant` to its referring `agent` (must hold ROLE_AGENT). Once per merchant. Admin only.
    function setAgent(address merchant, address agent) external;
    /// @notice Credit the tokens held beyond the liabilities (sent to the escrow directly) to the treasury's
    ///         available balance. Admin only.
    function sweepSurplus() external;
    /// @notice Stop deposits, withdrawals, new buy orders and new deals. Guardian or admin.
    function pause() external;
    /// @notice Resume. Admin only.
    function unpause() external;

    /// @notice Record `account`'s KYC level and region. Compliance only.
    function setKyc(address account, uint8 kycLevel, uint16 region) external;

    /*//////////////////////////////////////////////////////////////
                              FUNDS
    //////////////////////////////////////////////////////////////*/

    /// @notice Pull `amount` USDT from the caller (needs an allowance) and credit the escrow's exact balance
    ///         increase to the caller's available balance. Not while paused.
    function deposit(uint256 amount) external;
    /// @notice Send `amount` of the caller's available balance to its withdrawal address. Not while paused.
    ///         With a co-signer set, `amount` must fit what is left of today's allowance.
    function withdraw(uint256 amount) external;
    /// @notice {withdraw} approved by the caller's co-signer (action 0, subject `amount`); not counted against
    ///         the allowance.
    /// @param deadline Unix time after which the co-signature is void.
    /// @param signature The co-signer's 65-byte EIP-712 signature of `CoSign` (see {coSignHash}).
    function withdrawCoSigned(uint256 amount, uint256 deadline, bytes calldata signature) external;
    /// @notice Set the caller's co-signer and daily allowance. Immediate when none is set, or when only lowering
    ///         the allowance; otherwise recorded as pending, effective after the withdrawal delay.
    function setCoSigner(address newCoSigner, uint64 newDailyAllowance) external;
    /// @notice {setCoSigner} approved by the current co-signer (action 2, subject
    ///         `uint256(keccak256(abi.encode(newCoSigner, newDailyAllowance)))`): immediate.
    function setCoSignerCoSigned(
        address newCoSigner,
        uint64 newDailyAllowance,
        uint256 deadline,
        bytes calldata signature
    ) external;
    /// @notice Make `owner`'s pending co-signer change effective once its time has come. Anyone.
    function applyCoSigner(address owner) external;
    /// @notice Cancel the caller's pending co-signer change.
    function cancelCoSignerChange() external;
    /// @notice Set the caller's acceptor limits: whether the dispatcher may assign it deals, the largest deal,
    ///         and the most its assigned collections may lock in total.
    function setAcceptorLimits(bool online, uint64 maxPerDeal, uint64 maxLocked) external;
    /// @notice Ask for future withdrawals to go to `newAddress`, effective after the withdrawal delay.
    function requestWithdrawalAddress(address newAddress) external;
    /// @notice Cancel the caller's pending withdrawal address change.
    function cancelWithdrawalAddressChange() external;

    /*//////////////////////////////////////////////////////////////
                              BUY ORDERS
    //////////////////////////////////////////////////////////////*/

    /// @notice Post a buy order (merchant role). Not while paused.
    /// @param price Fiat minor units per 1 USDT (e.g. 725 for 7.25 CNY).
    /// @param currency ISO 4217 code, e.g. bytes3("CNY").
    /// @param amount Total USDT (smallest units) the merchant wants to buy.
    /// @param minFill Smallest fill, unless the fill takes the whole remainder.
    /// @param maxFill Largest fill.
    /// @param expiry Unix time after which the order cannot be filled.
    /// @param paymentWindow Seconds the merchant has to pay the fiat of each fill.
    /// @return orderId The new order's id (from 1).
    function postBuyOrder(
        uint64 price,
        bytes3 currency,
        uint256 amount,
        uint256 minFill,
        uint256 maxFill,
        uint64 expiry,
        uint32 paymentWindow
    ) external returns (uint256 orderId);
    /// @notice Cancel the caller's buy order; it is deleted.
    function cancelBuyOrder(uint256 orderId) external;
    /// @notice Sell `amount` USDT from the caller's available balance into buy order `orderId`, opening a Trade
    ///         deal (seller = caller, buyer = merchant = the order's merchant). Not while paused.
    /// @param orderRef The 32-byte reference of the off-chain order, carried by the deal's events.
    /// @return dealId The new deal's id.
    function fillBuyOrder(uint256 orderId, uint256 amount, bytes32 orderRef) external returns (uint256 dealId);

    /*//////////////////////////////////////////////////////////////
                                 DEALS
    //////////////////////////////////////////////////////////////*/

    /// @notice Dispatcher: open a Collection deal locking `amount` of `acceptor`'s available balance for
    ///         `merchant`. Not while paused.
    /// @param orderRef The 32-byte reference of the off-chain customer payment.
    /// @return dealId The new deal's id.
    function assignCollection(
        address acceptor,
        address merchant,
        uint256 amount,
        uint32 paymentWindow,
        bytes32 orderRef
    ) external returns (uint256 dealId);
    /// @notice Merchant: open an Unassigned Payout deal locking `amount` of its own available balance.
    ///         The payment window starts when the dispatcher assigns an acceptor. Not while paused.
    /// @param orderRef The 32-byte reference of the off-chain payout request.
    /// @return dealId The new deal's id.
    function openPayout(uint256 amount, uint32 paymentWindow, bytes32 orderRef)
        external
        returns (uint256 dealId);
    /// @notice Dispatcher: assign `acceptor` (the buyer) to an Unassigned Payout, making it Open. Not while paused.
    function assignPayout(uint256 dealId, address acceptor) external;
    /// @notice Declare the fiat sent. The buyer (for a Collection also the dispatcher), while Open.
    function markPaid(uint256 dealId) external;
    /// @notice Settle the deal with the fee split. The seller, while Open or Paid. An outflow of the seller:
    ///         with a co-signer set, the amount must fit what is left of today's allowance.
    function release(uint256 dealId) external;
    /// @notice {release} approved by the seller's co-signer (action 1, subject `dealId`); not counted against
    ///         the allowance.
    function releaseCoSigned(uint256 dealId, uint256 deadline, bytes calldata signature) external;
    /// @notice Return the whole amount to the seller. The buyer while Open, Paid or Disputed; the seller while
    ///         Open after the deadline, or any time while an unassigned Payout.
    function cancel(uint256 dealId) external;
    /// @notice Dispute a paid deal. Buyer or seller, while Paid.
    function dispute(uint256 dealId) external;
    /// @notice Arbiter: settle `floor(amount * buyerShareBps / 10000)` to the buyer with the fee split and
    ///         return the rest to the seller. While Disputed.
    function resolve(uint256 dealId, uint16 buyerShareBps) external;

    /*//////////////////////////////////////////////////////////////
                                 READS
    //////////////////////////////////////////////////////////////*/

    /// @notice The USDT token.
    function token() external view returns (address);
    /// @notice The guardian.
    function guardian() external view returns (address);
    /// @notice The arbiter.
    function arbiter() external view returns (address);
    /// @notice The dispatcher.
    function dispatcher() external view returns (address);
    /// @notice The compliance key.
    function compliance() external view returns (address);
    /// @notice The treasury account.
    function treasury() external view returns (address);
    /// @notice The fee schedule.
    function feeSchedule()
        external
        view
        returns (Tier[] memory merchantTiers, Tier[] memory agentTiers, uint16 traderRewardBps);
    /// @notice The limits.
    function limits() external view returns (Limits memory);
    /// @notice Whether `region` is blocked.
    function isRegionBlocked(uint16 region) external view returns (bool);
    /// @notice The account of `owner`.
    function account(address owner) external view returns (Account memory);
    /// @notice Where `owner`'s withdrawals go now (a pending change counts once its time has come).
    function withdrawalAddressOf(address owner) external view returns (address);
    /// @notice Buy order `orderId` (all zero when it does not exist).
    function buyOrder(uint256 orderId) external view returns (BuyOrder memory);
    /// @notice Deal `dealId` (all zero when it does not exist).
    function deal(uint256 dealId) external view returns (Deal memory);
    /// @notice The merchant (fee party) of deal `dealId`.
    function merchantOf(uint256 dealId) external view returns (address);
    /// @notice The sum of every account's available and locked balance.
    function liabilities() external view returns (uint256);
    /// @notice The EIP-712 digest `owner`'s co-signer signs to approve `action` on `subject` with `nonce`.
    function coSignHash(address owner, uint8 action, uint256 subject, uint256 nonce, uint256 deadline)
        external
        view
        returns (bytes32);
    /// @notice Preview the split of a settlement of gross `amount` for `merchant` at its current volumes.
    function previewSettlement(address merchant, DealKind kind, uint256 amount)
        external
        view
        returns (Settlement memory);
    /// @notice The id the next deal will get.
    function nextDealId() external view returns (uint256);
    /// @notice The id the next buy order will get.
    function nextOrderId() external view returns (uint256);
}
