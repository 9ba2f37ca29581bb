//! Spending limits: added and removed by proposal, used by spenders without
//! one, refilled at period boundaries aligned to the creation time.

use anchor_lang::error::ErrorCode as AnchorError;
use anchor_lang::prelude::Pubkey;
use anchor_spl::token::spl_token;
use solana_sdk::signature::{Keypair, Signer};
use stablerail_multisig::errors::MultisigError;
use stablerail_multisig::instructions::{SpendingLimitAddArgs, SpendingLimitUseArgs};
use stablerail_multisig::state::*;

use crate::harness::*;

const DAY: i64 = 86_400;
/// 1 USDT in smallest units.
const USDT: u64 = 1_000_000;

/// A 2-of-3 multisig whose vault holds 10,000 USDT and SOL for rent, an
/// allowed recipient and a spender who is not an owner.
struct Setup {
    env: Env,
    multisig: Pubkey,
    owners: [Keypair; 3],
    mint: Pubkey,
    vault_tokens: Pubkey,
    allowed: Pubkey,
    spender: Keypair,
    token_program: Pubkey,
}

const VAULT_FUNDS: u64 = 10_000 * USDT;

async fn setup() -> Setup {
    setup_in(spl_token::ID).await
}

/// The setup with a mint of `token_program` (SPL Token or Token-2022).
async fn setup_in(token_program: Pubkey) -> Setup {
    let mut env = Env::start().await;
    let owners = [
        env.funded_keypair().await,
        env.funded_keypair().await,
        env.funded_keypair().await,
    ];
    let keys: Vec<Pubkey> = owners.iter().map(Signer::pubkey).collect();
    let multisig = env.create_multisig(&keys, 2, 0).await.unwrap();
    env.fund(vault_pda(&multisig), 1_000_000_000).await;
    let mint = env.create_mint_in(token_program, 6).await;
    let vault_tokens = env
        .create_token_account_in(token_program, &mint, &vault_pda(&multisig))
        .await;
    env.mint_to_in(token_program, &mint, &vault_tokens, VAULT_FUNDS)
        .await;
    let allowed_owner = Pubkey::new_unique();
    let allowed = env
        .create_token_account_in(token_program, &mint, &allowed_owner)
        .await;
    let spender = env.funded_keypair().await;
    Setup {
        env,
        multisig,
        owners,
        mint,
        vault_tokens,
        allowed,
        spender,
        token_program,
    }
}

impl Setup {
    /// Adds a limit for the setup's spender through a proposal; returns its address.
    async fn add_limit(
        &mut self,
        amount: u64,
        period: Period,
        destinations: Vec<Pubkey>,
    ) -> Pubkey {
        let create_key = Pubkey::new_unique();
        let args = SpendingLimitAddArgs {
            create_key,
            mint: self.mint,
            amount,
            period,
            spenders: vec![self.spender.pubkey()],
            destinations,
        };
        let [a, b, _] = &self.owners;
        self.env
            .pass(
                self.multisig,
                &[a, b],
                vec![config::spending_limit_add(self.multisig, args)],
            )
            .await;
        spending_limit_pda(&self.multisig, &create_key)
    }

    async fn allowed_owner(&mut self) -> Pubkey {
        let raw = self.env.raw(self.allowed).await.unwrap();
        use anchor_lang::solana_program::program_pack::Pack;
        spl_token::state::Account::unpack(&raw.data).unwrap().owner
    }

    /// `spender` sends `amount` to `destination` under `limit`.
    async fn spend(
        &mut self,
        limit: Pubkey,
        spender: &Keypair,
        destination: Pubkey,
        amount: u64,
    ) -> TxResult {
        let mint = self.mint;
        let vault_tokens = self.vault_tokens;
        self.spend_with(limit, spender, mint, vault_tokens, destination, amount)
            .await
    }

    async fn spend_with(
        &mut self,
        limit: Pubkey,
        spender: &Keypair,
        mint: Pubkey,
        vault_tokens: Pubkey,
        destination: Pubkey,
        amount: u64,
    ) -> TxResult {
        let ix = anchor_ix(
            stablerail_multisig::accounts::SpendingLimitUse {
                multisig: self.multisig,
                spending_limit: limit,
                spender: spender.pubkey(),
                mint,
                vault: vault_pda(&self.multisig),
                vault_token_account: vault_tokens,
                destination,
                token_program: self.token_program,
                event_authority: stablerail_multisig::EVENT_AUTHORITY_AND_BUMP.0,
                program: stablerail_multisig::ID,
            },
            stablerail_multisig::instruction::SpendingLimitUse {
                args: SpendingLimitUseArgs { amount },
            },
        );
        self.env.send(&[ix], &[spender]).await
    }

    /// Vault plus recipient balances equal the vault's initial funds.
    async fn assert_conserved(&mut self, others: &[Pubkey]) {
        let mut sum = self.env.balance(self.vault_tokens).await;
        for account in others {
            sum += self.env.balance(*account).await;
        }
        assert_eq!(sum, VAULT_FUNDS, "tokens conserved");
    }
}

#[tokio::test]
async fn daily_limit_checks_role_destination_mint_and_refills_each_day() {
    let mut s = setup().await;
    let allowed_owner = s.allowed_owner().await;
    let limit = s
        .add_limit(100 * USDT, Period::Day, vec![allowed_owner])
        .await;
    let state: SpendingLimit = s.env.account(limit).await;
    let start = state.last_reset;
    assert_eq!(state.remaining, 100 * USDT);
    assert_eq!(state.mint, s.mint);

    let spender = s.spender.insecure_clone();
    let allowed = s.allowed;
    s.spend(limit, &spender, allowed, 60 * USDT).await.unwrap();
    assert_eq!(s.env.balance(allowed).await, 60 * USDT);
    assert_err(
        s.spend(limit, &spender, allowed, 40 * USDT + 1).await,
        code(MultisigError::SpendingLimitExceeded),
    );
    assert_err(
        s.spend(limit, &spender, allowed, 0).await,
        code(MultisigError::InvalidAmount),
    );

    // An owner who is not a spender, and an outsider, cannot use it.
    let owner = s.owners[0].insecure_clone();
    assert_err(
        s.spend(limit, &owner, allowed, USDT).await,
        code(MultisigError::NotASpender),
    );
    let outsider = s.env.funded_keypair().await;
    assert_err(
        s.spend(limit, &outsider, allowed, USDT).await,
        code(MultisigError::NotASpender),
    );

    // A destination off the allowlist.
    let mint = s.mint;
    let elsewhere = s
        .env
        .create_token_account(&mint, &Pubkey::new_unique())
        .await;
    assert_err(
        s.spend(limit, &spender, elsewhere, USDT).await,
        code(MultisigError::DestinationNotAllowed),
    );

    // Another mint's accounts.
    let other_mint = s.env.create_mint(6).await;
    let other_vault = s
        .env
        .create_token_account(&other_mint, &vault_pda(&s.multisig))
        .await;
    s.env.mint_to(&other_mint, &other_vault, 1_000 * USDT).await;
    let other_dest = s
        .env
        .create_token_account(&other_mint, &allowed_owner)
        .await;
    assert_err(
        s.spend_with(limit, &spender, other_mint, other_vault, other_dest, USDT)
            .await,
        code(MultisigError::WrongMint),
    );
    assert_eq!(s.env.balance(other_dest).await, 0);

    // Just before the day ends nothing refills; at the boundary it does.
    s.env.warp(DAY - 1).await;
    assert_err(
        s.spend(limit, &spender, allowed, 40 * USDT + 1).await,
        code(MultisigError::SpendingLimitExceeded),
    );
    s.env.warp(1).await;
    s.spend(limit, &spender, allowed, 100 * USDT).await.unwrap();
    let state: SpendingLimit = s.env.account(limit).await;
    assert_eq!(state.remaining, 0);
    assert_eq!(state.last_reset, start + DAY);

    // Two and a half days later: refilled once, aligned to whole days.
    s.env.warp(2 * DAY + DAY / 2).await;
    s.spend(limit, &spender, allowed, 30 * USDT).await.unwrap();
    let state: SpendingLimit = s.env.account(limit).await;
    assert_eq!(state.remaining, 70 * USDT);
    assert_eq!(state.last_reset, start + 3 * DAY);

    assert_eq!(s.env.balance(allowed).await, 190 * USDT);
    s.assert_conserved(&[allowed, elsewhere]).await;
}

#[tokio::test]
async fn weekly_and_monthly_limits_refill_only_after_a_full_period() {
    for (period, length) in [(Period::Week, 7 * DAY), (Period::Month, 30 * DAY)] {
        let mut s = setup().await;
        let limit = s.add_limit(500 * USDT, period, vec![]).await;
        let spender = s.spender.insecure_clone();
        let allowed = s.allowed;
        s.spend(limit, &spender, allowed, 500 * USDT).await.unwrap();
        s.env.warp(length - 1).await;
        assert_err(
            s.spend(limit, &spender, allowed, 1).await,
            code(MultisigError::SpendingLimitExceeded),
        );
        s.env.warp(1).await;
        s.spend(limit, &spender, allowed, 500 * USDT).await.unwrap();
        assert_err(
            s.spend(limit, &spender, allowed, 1).await,
            code(MultisigError::SpendingLimitExceeded),
        );
        assert_eq!(s.env.balance(allowed).await, 1_000 * USDT, "{period:?}");
        s.assert_conserved(&[allowed]).await;
    }
}

#[tokio::test]
async fn one_time_limit_never_refills() {
    let mut s = setup().await;
    let limit = s.add_limit(250 * USDT, Period::OneTime, vec![]).await;
    let spender = s.spender.insecure_clone();
    let allowed = s.allowed;
    s.spend(limit, &spender, allowed, 200 * USDT).await.unwrap();
    s.env.warp(400 * DAY).await;
    assert_err(
        s.spend(limit, &spender, allowed, 50 * USDT + 1).await,
        code(MultisigError::SpendingLimitExceeded),
    );
    s.spend(limit, &spender, allowed, 50 * USDT).await.unwrap();
    assert_eq!(s.env.account::<SpendingLimit>(limit).await.remaining, 0);
    s.assert_conserved(&[allowed]).await;
}

#[tokio::test]
async fn spending_limits_change_only_by_proposal_and_make_pending_stale() {
    let mut s = setup().await;
    let multisig = s.multisig;
    let [a, b, c] = [
        s.owners[0].insecure_clone(),
        s.owners[1].insecure_clone(),
        s.owners[2].insecure_clone(),
    ];
    let vault = vault_pda(&multisig);

    // Invalid parameters fail at execution and change nothing.
    let base = SpendingLimitAddArgs {
        create_key: Pubkey::new_unique(),
        mint: s.mint,
        amount: USDT,
        period: Period::Day,
        spenders: vec![s.spender.pubkey()],
        destinations: vec![],
    };
    let dup = base.spenders[0];
    for (args, error) in [
        (
            SpendingLimitAddArgs {
                amount: 0,
                ..base.clone()
            },
            MultisigError::InvalidAmount,
        ),
        (
            SpendingLimitAddArgs {
                spenders: vec![],
                ..base.clone()
            },
            MultisigError::NoSpenders,
        ),
        (
            SpendingLimitAddArgs {
                spenders: vec![dup, dup],
                ..base.clone()
            },
            MultisigError::DuplicateSpender,
        ),
    ] {
        let limit = spending_limit_pda(&multisig, &args.create_key);
        let proposal = s
            .env
            .propose(
                multisig,
                &a,
                vec![config::spending_limit_add(multisig, args)],
            )
            .await
            .unwrap();
        s.env.approve(multisig, proposal, &a).await.unwrap();
        s.env.approve(multisig, proposal, &b).await.unwrap();
        assert_err(s.env.execute(multisig, proposal, &a).await, code(error));
        assert!(s.env.raw(limit).await.is_none());
    }

    // Adding directly, without the vault's signature, is refused.
    let mut direct = config::spending_limit_add(multisig, base.clone());
    direct.accounts[1].is_signer = false;
    let ix = anchor_lang::solana_program::instruction::Instruction {
        program_id: direct.program_id,
        accounts: direct
            .accounts
            .iter()
            .map(|m| anchor_lang::solana_program::instruction::AccountMeta {
                pubkey: m.pubkey,
                is_signer: m.is_signer,
                is_writable: m.is_writable,
            })
            .collect(),
        data: direct.data.clone(),
    };
    assert_err(
        s.env.send(&[ix], &[]).await,
        anchor_code(AnchorError::AccountNotSigner),
    );

    // A pending proposal becomes stale when a limit is added.
    let pending = s
        .env
        .propose(multisig, &c, vec![config::threshold(multisig, 3)])
        .await
        .unwrap();
    let vault_before = s.env.lamports(vault).await;
    let limit = s.add_limit(USDT, Period::Day, vec![]).await;
    let rent = s.env.lamports(limit).await;
    assert_eq!(
        s.env.lamports(vault).await,
        vault_before - rent,
        "vault paid the rent"
    );
    assert_err(
        s.env.approve(multisig, pending, &a).await,
        code(MultisigError::ProposalStale),
    );

    // Removal by proposal returns the rent to the vault; the limit is gone.
    s.env
        .pass(
            multisig,
            &[&a, &b],
            vec![config::spending_limit_remove(multisig, limit)],
        )
        .await;
    assert!(s.env.raw(limit).await.is_none());
    assert_eq!(s.env.lamports(vault).await, vault_before);
    let spender = s.spender.insecure_clone();
    let allowed = s.allowed;
    assert_err(
        s.spend(limit, &spender, allowed, 1).await,
        anchor_code(AnchorError::AccountNotInitialized),
    );
    s.assert_conserved(&[allowed]).await;
}

#[tokio::test]
async fn spending_limit_works_with_a_token_2022_mint() {
    let mut s = setup_in(anchor_spl::token_2022::ID).await;
    let limit = s.add_limit(100 * USDT, Period::Day, vec![]).await;
    let spender = s.spender.insecure_clone();
    let allowed = s.allowed;
    s.spend(limit, &spender, allowed, 100 * USDT).await.unwrap();
    assert_err(
        s.spend(limit, &spender, allowed, 1).await,
        code(MultisigError::SpendingLimitExceeded),
    );
    assert_eq!(s.env.balance(allowed).await, 100 * USDT);
    s.assert_conserved(&[allowed]).await;

    // The wrong token program for the mint is refused.
    s.token_program = spl_token::ID;
    assert_err(
        s.spend(limit, &spender, allowed, 1).await,
        anchor_code(AnchorError::ConstraintMintTokenProgram),
    );
}

#[tokio::test]
async fn prefunded_spending_limit_address_does_not_block_the_addition() {
    let mut s = setup().await;
    let create_key = Pubkey::new_unique();
    let limit = spending_limit_pda(&s.multisig, &create_key);
    s.env.fund(limit, 2_000_000).await;
    let args = SpendingLimitAddArgs {
        create_key,
        mint: s.mint,
        amount: 5 * USDT,
        period: Period::OneTime,
        spenders: vec![s.spender.pubkey()],
        destinations: vec![],
    };
    let (a, b) = (s.owners[0].insecure_clone(), s.owners[1].insecure_clone());
    s.env
        .pass(
            s.multisig,
            &[&a, &b],
            vec![config::spending_limit_add(s.multisig, args)],
        )
        .await;
    let spender = s.spender.insecure_clone();
    let allowed = s.allowed;
    s.spend(limit, &spender, allowed, 5 * USDT).await.unwrap();
    assert_eq!(s.env.balance(allowed).await, 5 * USDT);
}
