//! The dispatcher assigns a customer payment to an acceptor: a Collection
//! deal locks the amount from the acceptor's collateral (seller acceptor,
//! buyer merchant).

use anchor_lang::prelude::*;

use crate::errors::EscrowError;
use crate::events::DealOpened;
use crate::state::seeds::{SEED_ACCOUNT, SEED_CONFIG, SEED_DEAL};
use crate::state::{
    merchant_agent, Config, Deal, DealKind, DealState, EscrowAccount, ROLE_ACCEPTOR, ROLE_MERCHANT,
};
use crate::utils::create_program_account;

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
#[event_cpi]
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
    pub config: Box<Account<'info, Config>>,
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
    /// The merchant's agent's escrow account (its role and volume fix the
    /// agent's rate); omitted without agent or when the agent is a party.
    pub agent_account: Option<Box<Account<'info, EscrowAccount>>>,
    /// CHECK: the new deal, `["deal", config, next_deal_id]`; created by the
    /// handler (a PDA that already holds lamports is accepted).
    #[account(
        mut,
        seeds = [SEED_DEAL, config.key().as_ref(), &config.next_deal_id.to_le_bytes()],
        bump
    )]
    pub deal: UncheckedAccount<'info>,
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
        // The acceptor's own consent: online, within its limits (docs/rules.md, acceptor limits).
        self.acceptor_account
            .check_acceptor_limits(args.amount, true)?;
        config.check_payment_window(args.payment_window_secs)
    }

    /// Locks the acceptor's USDT, opens the deal and emits `DealOpened`.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn handler(ctx: Context<Self>, args: DealCollectionOpenArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        ctx.accounts.acceptor_account.lock(args.amount)?;
        let deal_id = ctx.accounts.config.take_deal_id()?;
        let bump = ctx.bumps.deal;
        let mut deal = Deal {
            config: ctx.accounts.config.key(),
            id: deal_id,
            bump,
            kind: DealKind::Collection,
            state: DealState::Open,
            seller: ctx.accounts.acceptor_account.wallet,
            buyer: ctx.accounts.merchant_account.wallet,
            merchant: ctx.accounts.merchant_account.wallet,
            amount: args.amount,
            deadline: Config::deadline(now, args.payment_window_secs)?,
            reference: args.reference,
            rent_payer: ctx.accounts.dispatcher.key(),
            order_id: None,
            fee_bps: 0,
            agent: None,
            agent_share_bps: 0,
            reward_bps: 0,
            disputed_at: 0,
        };
        let agent = merchant_agent(
            &ctx.accounts.merchant_account,
            &[&*ctx.accounts.acceptor_account],
            ctx.accounts.agent_account.as_deref().map(|a| &**a),
        )?;
        deal.fix_rates(
            &ctx.accounts.config.fees,
            &ctx.accounts.merchant_account,
            agent,
        )?;
        create_program_account(
            &ctx.accounts.dispatcher.to_account_info(),
            &ctx.accounts.deal.to_account_info(),
            &ctx.accounts.system_program.to_account_info(),
            &[
                SEED_DEAL,
                deal.config.as_ref(),
                &deal_id.to_le_bytes(),
                &[bump],
            ],
            &deal,
        )?;
        emit_cpi!(DealOpened {
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
            fee_bps: deal.fee_bps,
            agent: deal.agent,
            agent_share_bps: deal.agent_share_bps,
            reward_bps: deal.reward_bps,
        });
        deal.invariant()?;
        ctx.accounts.acceptor_account.invariant()?;
        Ok(())
    }
}
