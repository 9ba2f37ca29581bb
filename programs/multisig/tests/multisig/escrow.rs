//! The multisig administering the escrow (docs/rules.md): its vault is the
//! escrow's admin, arbiter and treasury; admin actions and a dispute
//! resolution run as proposals whose instructions the vault signs through CPI.

use anchor_lang::prelude::{AccountInfo, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{InstructionData, ToAccountMetas};
use anchor_spl::token::spl_token;
use solana_program_test::processor;
use solana_sdk::signature::Signer;
use stablerail_escrow::errors::EscrowError;
use stablerail_escrow::instructions::{
    AccountSetRolesArgs, BuyOrderFillArgs, BuyOrderPostArgs, ConfigInitializeArgs,
    ConfigSetFeesArgs, DealResolveArgs, DepositArgs,
};
use stablerail_escrow::state::seeds::{
    SEED_ACCOUNT, SEED_BUY_ORDER, SEED_CONFIG, SEED_DEAL, SEED_VAULT as ESCROW_SEED_VAULT,
};
use stablerail_escrow::state::{
    Authorities, Config, Deal, DealState, EscrowAccount, FeeScheduleArgs, FeeTier, LimitsArgs,
    ROLE_MERCHANT,
};
use stablerail_escrow::ID as ESCROW_ID;

use crate::harness::*;

/// Native entry of the escrow program (same lifetime re-borrow as the multisig's).
fn escrow_entry(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> solana_sdk::entrypoint::ProgramResult {
    let program_id: &Pubkey = Box::leak(Box::new(*program_id));
    let accounts: &[AccountInfo] = Box::leak(accounts.to_vec().into_boxed_slice());
    let data: &[u8] = Box::leak(data.to_vec().into_boxed_slice());
    stablerail_escrow::entry(program_id, accounts, data)
}

fn escrow_ix(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: ESCROW_ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

fn fees(merchant_bps: u16) -> FeeScheduleArgs {
    FeeScheduleArgs {
        merchant_tiers: vec![FeeTier {
            threshold: 0,
            bps: merchant_bps,
        }],
        agent_tiers: vec![FeeTier {
            threshold: 0,
            bps: 2_000,
        }],
        trader_reward_bps: 1_000,
    }
}

/// Addresses of one escrow deployment.
struct Escrow {
    config: Pubkey,
    vault: Pubkey,
}

impl Escrow {
    fn account(&self, wallet: &Pubkey) -> Pubkey {
        Pubkey::find_program_address(
            &[SEED_ACCOUNT, self.config.as_ref(), wallet.as_ref()],
            &ESCROW_ID,
        )
        .0
    }

    fn deal(&self, id: u64) -> Pubkey {
        Pubkey::find_program_address(
            &[SEED_DEAL, self.config.as_ref(), &id.to_le_bytes()],
            &ESCROW_ID,
        )
        .0
    }

    fn order(&self, id: u64) -> Pubkey {
        Pubkey::find_program_address(
            &[SEED_BUY_ORDER, self.config.as_ref(), &id.to_le_bytes()],
            &ESCROW_ID,
        )
        .0
    }
}

#[tokio::test]
async fn multisig_administers_escrow_and_resolves_a_dispute_through_cpi() {
    let mut test = program_test();
    test.add_program("stablerail_escrow", ESCROW_ID, processor!(escrow_entry));
    let mut env = Env::start_with(test).await;

    // A 2-of-3 multisig; its vault will be admin, arbiter and treasury.
    let owners = [
        env.funded_keypair().await,
        env.funded_keypair().await,
        env.funded_keypair().await,
    ];
    let [a, b, c] = [&owners[0], &owners[1], &owners[2]];
    let keys: Vec<Pubkey> = owners.iter().map(Signer::pubkey).collect();
    let multisig = env.create_multisig(&keys, 2, 0).await.unwrap();
    let vault = vault_pda(&multisig);

    // The escrow, configured with the vault as admin, arbiter and treasury.
    let mint = env.create_mint(6).await;
    let creator = env.funded_keypair().await;
    let config =
        Pubkey::find_program_address(&[SEED_CONFIG, creator.pubkey().as_ref()], &ESCROW_ID).0;
    let escrow = Escrow {
        config,
        vault: Pubkey::find_program_address(&[ESCROW_SEED_VAULT, config.as_ref()], &ESCROW_ID).0,
    };
    let init = escrow_ix(
        stablerail_escrow::accounts::ConfigInitialize {
            creator: creator.pubkey(),
            config,
            usdt_mint: mint,
            vault: escrow.vault,
            token_program: spl_token::ID,
            system_program: anchor_lang::solana_program::system_program::ID,
            event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
            program: stablerail_escrow::ID,
        },
        stablerail_escrow::instruction::ConfigInitialize {
            args: ConfigInitializeArgs {
                authorities: Authorities {
                    admin: vault,
                    guardian: a.pubkey(),
                    arbiter: vault,
                    dispatcher: Pubkey::new_unique(),
                    compliance: Pubkey::new_unique(),
                    treasury: vault,
                },
                fees: fees(100),
                limits: LimitsArgs {
                    min_payment_window_secs: 60,
                    max_payment_window_secs: 86_400,
                    max_deal_amount: 1_000_000_000_000,
                    min_kyc_level: 0,
                    blocked_regions: vec![],
                    withdrawal_delay_secs: 86_400,
                },
            },
        },
    );
    env.send(&[init], &[&creator])
        .await
        .expect("config_initialize");

    // Escrow accounts for the treasury (the vault), a merchant and a trader.
    let merchant = env.funded_keypair().await;
    let trader = env.funded_keypair().await;
    for wallet in [vault, merchant.pubkey(), trader.pubkey()] {
        let open = escrow_ix(
            stablerail_escrow::accounts::AccountOpen {
                payer: creator.pubkey(),
                wallet,
                config,
                escrow_account: escrow.account(&wallet),
                system_program: anchor_lang::solana_program::system_program::ID,
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            stablerail_escrow::instruction::AccountOpen {},
        );
        env.send(&[open], &[&creator]).await.expect("account_open");
    }

    // Admin actions need the admin: an owner alone is refused...
    let set_roles = |admin: Pubkey| {
        escrow_ix(
            stablerail_escrow::accounts::AccountSetRoles {
                admin,
                config,
                escrow_account: escrow.account(&merchant.pubkey()),
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            stablerail_escrow::instruction::AccountSetRoles {
                args: AccountSetRolesArgs {
                    roles: ROLE_MERCHANT,
                },
            },
        )
    };
    assert_err(
        env.send(&[set_roles(a.pubkey())], &[a]).await,
        u32::from(EscrowError::NotAdmin),
    );
    // ...the multisig does it by proposal: merchant role and a new fee schedule.
    let set_fees = escrow_ix(
        stablerail_escrow::accounts::ConfigSetFees {
            admin: vault,
            config,
            event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
            program: stablerail_escrow::ID,
        },
        stablerail_escrow::instruction::ConfigSetFees {
            args: ConfigSetFeesArgs { fees: fees(200) },
        },
    );
    env.pass(
        multisig,
        &[a, b],
        vec![stored(&set_roles(vault)), stored(&set_fees)],
    )
    .await;
    let merchant_state: EscrowAccount = env.account(escrow.account(&merchant.pubkey())).await;
    assert_eq!(merchant_state.roles, ROLE_MERCHANT);
    let config_state: Config = env.account(config).await;
    assert_eq!(config_state.fees.merchant_tiers[0].bps, 200);

    // The trader deposits 1,000 USDT and sells 100 into the merchant's order.
    let deposit_amount = 1_000_000_000;
    let trader_tokens = env.create_token_account(&mint, &trader.pubkey()).await;
    env.mint_to(&mint, &trader_tokens, deposit_amount).await;
    let deposit = escrow_ix(
        stablerail_escrow::accounts::Deposit {
            owner: trader.pubkey(),
            config,
            escrow_account: escrow.account(&trader.pubkey()),
            usdt_mint: mint,
            source: trader_tokens,
            vault: escrow.vault,
            token_program: spl_token::ID,
            event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
            program: stablerail_escrow::ID,
        },
        stablerail_escrow::instruction::Deposit {
            args: DepositArgs {
                amount: deposit_amount,
            },
        },
    );
    env.send(&[deposit], &[&trader]).await.expect("deposit");

    let amount = 100_000_000;
    let now = env.now().await;
    let post = escrow_ix(
        stablerail_escrow::accounts::BuyOrderPost {
            merchant: merchant.pubkey(),
            config,
            merchant_account: escrow.account(&merchant.pubkey()),
            buy_order: escrow.order(0),
            system_program: anchor_lang::solana_program::system_program::ID,
            event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
            program: stablerail_escrow::ID,
        },
        stablerail_escrow::instruction::BuyOrderPost {
            args: BuyOrderPostArgs {
                price_minor: 92,
                currency: *b"EUR",
                amount,
                min_fill: 1,
                max_fill: amount,
                expiry: now + 86_400,
                payment_window_secs: 3_600,
            },
        },
    );
    env.send(&[post], &[&merchant])
        .await
        .expect("buy_order_post");
    let fill = escrow_ix(
        stablerail_escrow::accounts::BuyOrderFill {
            trader: trader.pubkey(),
            config,
            buy_order: escrow.order(0),
            trader_account: escrow.account(&trader.pubkey()),
            merchant_account: escrow.account(&merchant.pubkey()),
            agent_account: None,
            deal: escrow.deal(0),
            system_program: anchor_lang::solana_program::system_program::ID,
            event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
            program: stablerail_escrow::ID,
        },
        stablerail_escrow::instruction::BuyOrderFill {
            args: BuyOrderFillArgs {
                amount,
                reference: [5u8; 32],
            },
        },
    );
    env.send(&[fill], &[&trader]).await.expect("buy_order_fill");

    // The merchant marks paid; the trader disputes.
    let mark_paid = escrow_ix(
        stablerail_escrow::accounts::DealMarkPaid {
            authority: merchant.pubkey(),
            config,
            deal: escrow.deal(0),
            event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
            program: stablerail_escrow::ID,
        },
        stablerail_escrow::instruction::DealMarkPaid {},
    );
    env.send(&[mark_paid], &[&merchant])
        .await
        .expect("mark paid");
    let dispute = escrow_ix(
        stablerail_escrow::accounts::DealDispute {
            authority: trader.pubkey(),
            config,
            deal: escrow.deal(0),
            event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
            program: stablerail_escrow::ID,
        },
        stablerail_escrow::instruction::DealDispute {},
    );
    env.send(&[dispute], &[&trader]).await.expect("dispute");
    let deal: Deal = env.account(escrow.deal(0)).await;
    assert_eq!(deal.state, DealState::Disputed);

    // Resolution: 60% to the buyer (merchant), the rest back to the seller.
    let buyer_share_bps = 6_000;
    let resolve = |arbiter: Pubkey| {
        escrow_ix(
            stablerail_escrow::accounts::DealResolve {
                arbiter,
                config,
                deal: escrow.deal(0),
                seller_account: escrow.account(&trader.pubkey()),
                buyer_account: escrow.account(&merchant.pubkey()),
                agent_account: None,
                treasury_account: Some(escrow.account(&vault)),
                rent_payer: deal.rent_payer,
                buy_order: Some(escrow.order(0)),
                merchant: Some(merchant.pubkey()),
                event_authority: stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_escrow::ID,
            },
            stablerail_escrow::instruction::DealResolve {
                args: DealResolveArgs { buyer_share_bps },
            },
        )
    };
    // An owner cannot resolve alone.
    assert_err(
        env.send(&[resolve(c.pubkey())], &[c]).await,
        u32::from(EscrowError::NotArbiter),
    );
    let proposal = env
        .propose(multisig, c, vec![stored(&resolve(vault))])
        .await
        .unwrap();
    env.approve(multisig, proposal, c).await.unwrap();
    assert_err(
        env.execute(multisig, proposal, c).await,
        code(stablerail_multisig::errors::MultisigError::ProposalNotApproved),
    );
    env.approve(multisig, proposal, b).await.unwrap();
    let rent = env.lamports(escrow.deal(0)).await;
    let rent_payer_before = env.lamports(deal.rent_payer).await;
    env.execute(multisig, proposal, b).await.unwrap();

    // The deal is closed, its rent returned; the split follows docs/rules.md.
    assert!(env.raw(escrow.deal(0)).await.is_none());
    assert_eq!(
        env.lamports(deal.rent_payer).await,
        rent_payer_before + rent
    );
    let gross = amount * u64::from(buyer_share_bps) / 10_000; // 60 USDT
    let fee = gross * 200 / 10_000; // merchant fee set by the proposal
    let reward = fee * 1_000 / 10_000; // Trade: the trader's reward share
    let platform = fee - reward;
    let seller: EscrowAccount = env.account(escrow.account(&trader.pubkey())).await;
    let buyer: EscrowAccount = env.account(escrow.account(&merchant.pubkey())).await;
    let treasury: EscrowAccount = env.account(escrow.account(&vault)).await;
    assert_eq!(buyer.available, gross - fee);
    assert_eq!(seller.available, deposit_amount - gross + reward);
    assert_eq!(treasury.available, platform);
    assert_eq!(seller.locked + buyer.locked + treasury.locked, 0);
    // Conservation: the escrow's tokens equal its liabilities and the sum of balances.
    let config_state: Config = env.account(config).await;
    assert_eq!(
        env.balance(escrow.vault).await,
        seller.available + buyer.available + treasury.available
    );
    assert_eq!(config_state.liabilities, deposit_amount);
    assert_eq!(env.balance(escrow.vault).await, deposit_amount);
}
