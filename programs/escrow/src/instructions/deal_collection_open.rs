//! The dispatcher assigns a customer payment to an acceptor: a Collection
//! deal locks the amount from the acceptor's collateral (seller acceptor,
//! buyer merchant).

use anchor_lang::prelude::*;

use crate::errors::EscrowError;
use crate::events::DealOpened;
use crate::state::seeds::{SEED_ACCOUNT, SEED_CONFIG, SEED_DEAL};
use crate::state::{
    Config, Deal, DealKind, DealState, EscrowAccount, ROLE_ACCEPTOR, ROLE_MERCHANT,
};

/// Arguments of `deal_collection_open`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct DealCollectionOpenArgs {
    /// Amount to lock from the acceptor.
    pub amount: u64,
    /// Payment window, seconds.
    pub payment_window_secs: u32,
    /// Reference to the off-chain customer payment.
    pub reference: [u8; 32],
}

/// Accounts of `deal_collection_open`.
#[derive(Accounts)]
pub struct DealCollectionOpen<'info> {
    /// The dispatcher; pays the deal's rent.
    #[account(mut)]
    pub dispatcher: Signer<'info>,
    /// The config (its deal counter advances).
    #[account(
        mut,
        seeds = [SEED_CONFIG, config.creator.as_ref()],
        bump = config.bump,
        constraint = config.authorities.dispatcher == dispatcher.key() @ EscrowError::NotDispatcher
    )]
    pub config: Account<'info, Config>,
    /// The acceptor's escrow account (seller; amount locked from it).
    #[account(
        mut,
        seeds = [SEED_ACCOUNT, config.key().as_ref(), acceptor_account.wallet.as_ref()],
        bump = acceptor_account.bump
    )]
    pub acceptor_account: Account<'info, EscrowAccount>,
    /// The merchant's escrow account (buyer).
    #[account(
        seeds = [SEED_ACCOUNT, config.key().as_ref(), merchant_account.wallet.as_ref()],
        bump = merchant_account.bump
    )]
    pub merchant_account: Account<'info, EscrowAccount>,
    /// The new deal, `["deal", config, next_deal_id]`.
    #[account(
        init,
        payer = dispatcher,
        space = 8 + Deal::INIT_SPACE,
        seeds = [SEED_DEAL, config.key().as_ref(), &config.next_deal_id.to_le_bytes()],
        bump
    )]
    pub deal: Account<'info, Deal>,
    /// System program.
    pub system_program: Program<'info, System>,
}

impl DealCollectionOpen<'_> {
    fn validate(&self, args: &DealCollectionOpenArgs) -> Result<()> {
        let config = &self.config;
        config.require_not_paused()?;
        // Roles and distinct parties.
        self.acceptor_account.require_role(ROLE_ACCEPTOR)?;
        self.merchant_account.require_role(ROLE_MERCHANT)?;
        require_keys_neq!(
            self.acceptor_account.wallet,
            self.merchant_account.wallet,
            EscrowError::SameParty
        );
        // Compliance and limits.
        config.check_party(&self.acceptor_account)?;
        config.check_party(&self.merchant_account)?;
        config.check_deal_amount(args.amount)?;
        config.check_payment_window(args.payment_window_secs)
    }

    /// Locks the acceptor's USDT, opens the deal and emits `DealOpened`.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn handler(ctx: Context<Self>, args: DealCollectionOpenArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let accounts = ctx.accounts;
        accounts.acceptor_account.lock(args.amount)?;
        let deal_id = accounts.config.take_deal_id()?;
        let deal = &mut accounts.deal;
        deal.config = accounts.config.key();
        deal.id = deal_id;
        deal.bump = ctx.bumps.deal;
        deal.kind = DealKind::Collection;
        deal.state = DealState::Open;
        deal.seller = accounts.acceptor_account.wallet;
        deal.buyer = accounts.merchant_account.wallet;
        deal.merchant = accounts.merchant_account.wallet;
        deal.amount = args.amount;
        deal.deadline = Config::deadline(now, args.payment_window_secs)?;
        deal.reference = args.reference;
        deal.rent_payer = accounts.dispatcher.key();
        deal.order_id = None;
        emit!(DealOpened {
            config: deal.config,
            deal_id,
            kind: deal.kind,
            seller: deal.seller,
            buyer: deal.buyer,
            merchant: deal.merchant,
            amount: deal.amount,
            deadline: deal.deadline,
            reference: deal.reference,
            order_id: None,
        });
        Ok(())
    }
}
