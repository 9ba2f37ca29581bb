//! Multisig creation and the proposal life cycle: create, approve, reject,
//! cancel, execute (SPL Token and System program CPIs), close, time lock, expiry.

use anchor_lang::error::ErrorCode as AnchorError;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::system_instruction;
use solana_sdk::instruction::AccountMeta;
use solana_sdk::signature::{Keypair, Signer};
use stablerail_multisig::errors::MultisigError;
use stablerail_multisig::instructions::MultisigCreateArgs;
use stablerail_multisig::state::*;

use crate::harness::*;

/// Three funded owners, a 2-of-3 multisig of them with `time_lock`.
async fn two_of_three(env: &mut Env, time_lock: u32) -> (Pubkey, [Keypair; 3]) {
    let owners = [
        env.funded_keypair().await,
        env.funded_keypair().await,
        env.funded_keypair().await,
    ];
    let keys: Vec<Pubkey> = owners.iter().map(Signer::pubkey).collect();
    let multisig = env
        .create_multisig(&keys, 2, time_lock)
        .await
        .expect("create multisig");
    (multisig, owners)
}

/// A 6-decimal mint, the vault's token account holding `amount`, and an
/// outside recipient's token account.
async fn usdt_vault(env: &mut Env, multisig: Pubkey, amount: u64) -> (Pubkey, Pubkey, Pubkey) {
    let mint = env.create_mint(6).await;
    let vault_tokens = env.create_token_account(&mint, &vault_pda(&multisig)).await;
    let recipient = Pubkey::new_unique();
    let recipient_tokens = env.create_token_account(&mint, &recipient).await;
    env.mint_to(&mint, &vault_tokens, amount).await;
    (mint, vault_tokens, recipient_tokens)
}

#[tokio::test]
async fn multisig_create_stores_sorted_owners_and_prints_sizes() {
    let mut env = Env::start().await;
    let (multisig, owners) = two_of_three(&mut env, 0).await;
    let state: Multisig = env.account(multisig).await;
    let mut keys: Vec<Pubkey> = owners.iter().map(Signer::pubkey).collect();
    keys.sort();
    assert_eq!(state.owners, keys);
    assert_eq!(state.threshold, 2);
    assert_eq!(state.time_lock, 0);
    assert_eq!(state.transaction_index, 0);
    assert_eq!(state.stale_transaction_index, 0);
    assert_eq!(
        Pubkey::create_program_address(
            &[
                SEED_PREFIX,
                multisig.as_ref(),
                SEED_VAULT,
                &[state.vault_bump]
            ],
            &stablerail_multisig::ID
        )
        .unwrap(),
        vault_pda(&multisig)
    );
    let raw = env.raw(multisig).await.unwrap();
    assert_eq!(raw.data.len(), Multisig::SPACE);
    assert_eq!(raw.owner, stablerail_multisig::ID);

    // A one-transfer proposal of this multisig, and a one-spender limit.
    let (mint, vault_tokens, recipient_tokens) = usdt_vault(&mut env, multisig, 1).await;
    let transfer = vault_token_transfer(&multisig, &vault_tokens, &mint, &recipient_tokens, 1, 6);
    let proposal = env
        .propose(multisig, &owners[0], vec![transfer.clone()])
        .await
        .unwrap();
    let proposal_size = env.raw(proposal).await.unwrap().data.len();
    assert_eq!(proposal_size, Proposal::space(3, &[transfer]));

    let sizes = [
        ("Multisig (16-owner capacity)", Multisig::SPACE),
        (
            "Proposal (3 owners, one SPL transfer_checked)",
            proposal_size,
        ),
        (
            "SpendingLimit (1 spender, 1 destination)",
            SpendingLimit::space(1, 1),
        ),
    ];
    for (name, size) in sizes {
        let rent = env.rent_minimum(size).await;
        println!("account size: {name}: {size} bytes, rent-exempt minimum {rent} lamports");
    }
}

#[tokio::test]
async fn multisig_create_rejects_bad_config() {
    let mut env = Env::start().await;
    let a = Pubkey::new_unique();
    let b = Pubkey::new_unique();
    let cases: Vec<(Vec<Pubkey>, u16, u32, MultisigError)> = vec![
        (vec![], 1, 0, MultisigError::NoOwners),
        (vec![a, b], 0, 0, MultisigError::InvalidThreshold),
        (vec![a, b], 3, 0, MultisigError::InvalidThreshold),
        (vec![a, a], 1, 0, MultisigError::DuplicateOwner),
        (
            vec![Pubkey::default(), b],
            1,
            0,
            MultisigError::InvalidOwner,
        ),
        (
            (0..17).map(|_| Pubkey::new_unique()).collect(),
            1,
            0,
            MultisigError::TooManyOwners,
        ),
        (
            vec![a, b],
            1,
            MAX_TIME_LOCK + 1,
            MultisigError::TimeLockTooLong,
        ),
    ];
    for (owners, threshold, time_lock, error) in cases {
        assert_err(
            env.create_multisig(&owners, threshold, time_lock)
                .await
                .map(drop),
            code(error),
        );
    }

    // The vault of the very multisig cannot be one of its owners.
    let create_key = Keypair::new();
    let own_vault = vault_pda(&multisig_pda(&create_key.pubkey()));
    let ix = multisig_create_ix(
        &create_key.pubkey(),
        &env.ctx.payer.pubkey(),
        MultisigCreateArgs {
            owners: vec![a, own_vault],
            threshold: 1,
            time_lock: 0,
        },
    );
    assert_err(
        env.send(&[ix], &[&create_key]).await,
        code(MultisigError::InvalidOwner),
    );
    assert!(env.raw(multisig_pda(&create_key.pubkey())).await.is_none());

    // Without the create key's signature the account cannot be created.
    let mut ix = multisig_create_ix(
        &create_key.pubkey(),
        &env.ctx.payer.pubkey(),
        MultisigCreateArgs {
            owners: vec![a],
            threshold: 1,
            time_lock: 0,
        },
    );
    ix.accounts[1].is_signer = false;
    assert_err(
        env.send(&[ix], &[]).await,
        anchor_code(AnchorError::AccountNotSigner),
    );

    // A pre-funded multisig address still works; the same create key twice does not.
    let args = MultisigCreateArgs {
        owners: vec![a],
        threshold: 1,
        time_lock: 0,
    };
    env.fund(multisig_pda(&create_key.pubkey()), 3_000_000)
        .await;
    let payer = env.ctx.payer.pubkey();
    let ix = multisig_create_ix(&create_key.pubkey(), &payer, args.clone());
    env.send(&[ix], &[&create_key]).await.unwrap();
    let created: Multisig = env.account(multisig_pda(&create_key.pubkey())).await;
    assert_eq!(created.owners, vec![a]);
    let again = multisig_create_ix(
        &create_key.pubkey(),
        &payer,
        MultisigCreateArgs {
            owners: vec![b],
            ..args
        },
    );
    assert_err(
        env.send(&[again], &[&create_key]).await,
        code(MultisigError::AccountAlreadyInUse),
    );
    assert_eq!(
        env.account::<Multisig>(multisig_pda(&create_key.pubkey()))
            .await,
        created
    );
}

#[tokio::test]
async fn two_of_three_executes_spl_transfer_from_vault() {
    let mut env = Env::start().await;
    let (multisig, [a, b, c]) = two_of_three(&mut env, 0).await;
    let total = 1_000_000_000; // 1,000 USDT
    let (mint, vault_tokens, recipient_tokens) = usdt_vault(&mut env, multisig, total).await;
    let amount = 250_000_000;
    let transfer = vault_token_transfer(
        &multisig,
        &vault_tokens,
        &mint,
        &recipient_tokens,
        amount,
        6,
    );

    // Only owners propose.
    let outsider = env.funded_keypair().await;
    assert_err(
        env.propose(multisig, &outsider, vec![transfer.clone()])
            .await
            .map(drop),
        code(MultisigError::NotAnOwner),
    );
    let proposal = env.propose(multisig, &a, vec![transfer]).await.unwrap();
    assert_eq!(proposal, proposal_pda(&multisig, 1));
    assert_eq!(env.account::<Multisig>(multisig).await.transaction_index, 1);

    // One approval is not enough.
    env.approve(multisig, proposal, &a).await.unwrap();
    assert_err(
        env.approve(multisig, proposal, &a).await,
        code(MultisigError::AlreadyApproved),
    );
    assert_err(
        env.approve(multisig, proposal, &outsider).await,
        code(MultisigError::NotAnOwner),
    );
    assert_err(
        env.execute(multisig, proposal, &a).await,
        code(MultisigError::ProposalNotApproved),
    );

    env.approve(multisig, proposal, &b).await.unwrap();
    let state: Proposal = env.account(proposal).await;
    assert!(matches!(state.status, ProposalStatus::Approved { .. }));
    assert_err(
        env.approve(multisig, proposal, &c).await,
        code(MultisigError::ProposalNotActive),
    );

    // Execution: owners only, with every account present.
    assert_err(
        env.execute(multisig, proposal, &outsider).await,
        code(MultisigError::NotAnOwner),
    );
    let all = execute_accounts(&multisig, &state.instructions);
    let missing: Vec<AccountMeta> = all
        .iter()
        .filter(|m| m.pubkey != recipient_tokens)
        .cloned()
        .collect();
    assert_err(
        env.execute_with(multisig, proposal, &c, missing).await,
        code(MultisigError::MissingExecuteAccount),
    );
    let read_only: Vec<AccountMeta> = all
        .iter()
        .map(|m| AccountMeta {
            is_writable: m.pubkey != recipient_tokens && m.is_writable,
            ..m.clone()
        })
        .collect();
    assert_err(
        env.execute_with(multisig, proposal, &c, read_only).await,
        code(MultisigError::ExecuteAccountNotWritable),
    );
    assert_eq!(env.balance(vault_tokens).await, total);

    env.execute(multisig, proposal, &c).await.unwrap();
    let vault_after = env.balance(vault_tokens).await;
    let recipient_after = env.balance(recipient_tokens).await;
    assert_eq!(vault_after, total - amount);
    assert_eq!(recipient_after, amount);
    assert_eq!(vault_after + recipient_after, total, "tokens conserved");
    assert!(matches!(
        env.account::<Proposal>(proposal).await.status,
        ProposalStatus::Executed { .. }
    ));

    // Executed once only.
    assert_err(
        env.execute(multisig, proposal, &a).await,
        code(MultisigError::ProposalNotApproved),
    );

    // Closing returns the rent to the creator, whoever calls it.
    let rent = env.lamports(proposal).await;
    let before = env.lamports(a.pubkey()).await;
    assert_err(
        env.close(multisig, proposal, b.pubkey()).await,
        code(MultisigError::WrongRentCollector),
    );
    env.close(multisig, proposal, a.pubkey()).await.unwrap();
    assert!(env.raw(proposal).await.is_none());
    assert_eq!(env.lamports(a.pubkey()).await, before + rent);
}

#[tokio::test]
async fn vault_executes_system_program_transfer() {
    let mut env = Env::start().await;
    let (multisig, [a, b, _]) = two_of_three(&mut env, 0).await;
    let vault = vault_pda(&multisig);
    env.fund(vault, 5_000_000_000).await;
    let recipient = Pubkey::new_unique();
    let transfer = stored(&system_instruction::transfer(
        &vault,
        &recipient,
        1_500_000_000,
    ));
    env.pass(multisig, &[&a, &b], vec![transfer]).await;
    assert_eq!(env.lamports(vault).await, 3_500_000_000);
    assert_eq!(env.lamports(recipient).await, 1_500_000_000);
}

#[tokio::test]
async fn proposal_content_is_bounded_and_only_the_vault_signs() {
    let mut env = Env::start().await;
    let (multisig, [a, _, _]) = two_of_three(&mut env, 0).await;
    let vault = vault_pda(&multisig);
    let transfer = stored(&system_instruction::transfer(
        &vault,
        &Pubkey::new_unique(),
        1,
    ));

    // An owner's signature must never be passed on to an executed instruction.
    let owner_signs = stored(&system_instruction::transfer(&a.pubkey(), &vault, 1));
    assert_err(
        env.propose(multisig, &a, vec![owner_signs]).await.map(drop),
        code(MultisigError::UnauthorizedSigner),
    );
    assert_err(
        env.propose(multisig, &a, vec![]).await.map(drop),
        code(MultisigError::NoInstructions),
    );
    assert_err(
        env.propose(multisig, &a, vec![transfer.clone(); MAX_INSTRUCTIONS + 1])
            .await
            .map(drop),
        code(MultisigError::TooManyInstructions),
    );
    let mut long = transfer.clone();
    long.data = vec![0; MAX_INSTRUCTION_DATA + 1];
    assert_err(
        env.propose(multisig, &a, vec![long]).await.map(drop),
        code(MultisigError::InstructionDataTooLong),
    );
    let now = env.now().await;
    assert_err(
        env.propose_expiring(multisig, &a, vec![transfer], now)
            .await
            .map(drop),
        code(MultisigError::InvalidExpiry),
    );
    // Nothing was created by the failed attempts.
    assert_eq!(env.account::<Multisig>(multisig).await.transaction_index, 0);
}

#[tokio::test]
async fn rejections_that_make_the_threshold_unreachable_reject() {
    let mut env = Env::start().await;
    let (multisig, [a, b, c]) = two_of_three(&mut env, 0).await;
    let vault = vault_pda(&multisig);
    let transfer = stored(&system_instruction::transfer(
        &vault,
        &Pubkey::new_unique(),
        1,
    ));
    let proposal = env.propose(multisig, &a, vec![transfer]).await.unwrap();

    // A vote can change from approve to reject.
    env.approve(multisig, proposal, &a).await.unwrap();
    env.reject(multisig, proposal, &a).await.unwrap();
    let state: Proposal = env.account(proposal).await;
    assert!(state.approved.is_empty());
    assert_eq!(state.rejected, vec![a.pubkey()]);
    assert_eq!(state.status, ProposalStatus::Active);
    assert_err(
        env.reject(multisig, proposal, &a).await,
        code(MultisigError::AlreadyRejected),
    );
    assert_err(
        env.close(multisig, proposal, a.pubkey()).await,
        code(MultisigError::ProposalNotClosable),
    );

    // 2 of 3 rejecting leaves only one possible approval: rejected.
    env.reject(multisig, proposal, &b).await.unwrap();
    assert!(matches!(
        env.account::<Proposal>(proposal).await.status,
        ProposalStatus::Rejected { .. }
    ));
    assert_err(
        env.approve(multisig, proposal, &c).await,
        code(MultisigError::ProposalNotActive),
    );
    assert_err(
        env.reject(multisig, proposal, &c).await,
        code(MultisigError::ProposalNotActive),
    );
    assert_err(
        env.execute(multisig, proposal, &c).await,
        code(MultisigError::ProposalNotApproved),
    );
    env.close(multisig, proposal, a.pubkey()).await.unwrap();
    assert!(env.raw(proposal).await.is_none());
}

#[tokio::test]
async fn time_lock_holds_execution_and_owners_can_cancel_meanwhile() {
    let mut env = Env::start().await;
    let time_lock = 3_600;
    let (multisig, [a, b, c]) = two_of_three(&mut env, time_lock).await;
    let vault = vault_pda(&multisig);
    env.fund(vault, 1_000_000_000).await;
    let recipient = Pubkey::new_unique();
    let transfer = stored(&system_instruction::transfer(
        &vault,
        &recipient,
        100_000_000,
    ));

    let proposal = env
        .propose(multisig, &a, vec![transfer.clone()])
        .await
        .unwrap();
    assert_err(
        env.cancel(multisig, proposal, &a).await,
        code(MultisigError::ProposalNotApproved),
    );
    env.approve(multisig, proposal, &a).await.unwrap();
    env.approve(multisig, proposal, &b).await.unwrap();
    assert_err(
        env.execute(multisig, proposal, &c).await,
        code(MultisigError::TimeLockNotReleased),
    );
    env.warp(i64::from(time_lock) - 1).await;
    assert_err(
        env.execute(multisig, proposal, &c).await,
        code(MultisigError::TimeLockNotReleased),
    );
    env.warp(1).await;
    env.execute(multisig, proposal, &c).await.unwrap();
    assert_eq!(env.lamports(recipient).await, 100_000_000);

    // A second proposal is cancelled during its time lock by two owners.
    let second = env.propose(multisig, &a, vec![transfer]).await.unwrap();
    env.approve(multisig, second, &b).await.unwrap();
    env.approve(multisig, second, &c).await.unwrap();
    env.cancel(multisig, second, &a).await.unwrap();
    assert_err(
        env.cancel(multisig, second, &a).await,
        code(MultisigError::AlreadyCancelled),
    );
    let outsider = env.funded_keypair().await;
    assert_err(
        env.cancel(multisig, second, &outsider).await,
        code(MultisigError::NotAnOwner),
    );
    assert!(matches!(
        env.account::<Proposal>(second).await.status,
        ProposalStatus::Approved { .. }
    ));
    env.cancel(multisig, second, &b).await.unwrap();
    assert!(matches!(
        env.account::<Proposal>(second).await.status,
        ProposalStatus::Cancelled { .. }
    ));
    env.warp(i64::from(time_lock)).await;
    assert_err(
        env.execute(multisig, second, &c).await,
        code(MultisigError::ProposalNotApproved),
    );
    assert_eq!(env.lamports(recipient).await, 100_000_000);
    env.close(multisig, second, a.pubkey()).await.unwrap();
}

#[tokio::test]
async fn expired_proposal_can_neither_be_voted_nor_executed() {
    let mut env = Env::start().await;
    let (multisig, [a, b, c]) = two_of_three(&mut env, 0).await;
    let vault = vault_pda(&multisig);
    env.fund(vault, 1_000_000_000).await;
    let transfer = stored(&system_instruction::transfer(
        &vault,
        &Pubkey::new_unique(),
        1,
    ));
    let now = env.now().await;

    let active = env
        .propose_expiring(multisig, &a, vec![transfer.clone()], now + 600)
        .await
        .unwrap();
    let approved = env
        .propose_expiring(multisig, &a, vec![transfer], now + 600)
        .await
        .unwrap();
    env.approve(multisig, approved, &a).await.unwrap();
    env.approve(multisig, approved, &b).await.unwrap();
    env.warp(600).await;

    assert_err(
        env.approve(multisig, active, &c).await,
        code(MultisigError::ProposalExpired),
    );
    assert_err(
        env.reject(multisig, active, &c).await,
        code(MultisigError::ProposalExpired),
    );
    assert_err(
        env.execute(multisig, approved, &c).await,
        code(MultisigError::ProposalExpired),
    );
    assert_eq!(env.lamports(vault).await, 1_000_000_000);
    // Expired proposals can be closed.
    env.close(multisig, active, a.pubkey()).await.unwrap();
    env.close(multisig, approved, a.pubkey()).await.unwrap();
}

#[tokio::test]
async fn accounts_of_another_multisig_or_wrong_pdas_are_refused() {
    let mut env = Env::start().await;
    let (first, [a, b, _]) = two_of_three(&mut env, 0).await;
    let second = env
        .create_multisig(&[a.pubkey(), b.pubkey()], 1, 0)
        .await
        .unwrap();
    let vault = vault_pda(&second);
    env.fund(vault, 1_000_000_000).await;
    let recipient = Pubkey::new_unique();
    let transfer = stored(&system_instruction::transfer(
        &vault,
        &recipient,
        100_000_000,
    ));
    let proposal = env.propose(second, &a, vec![transfer]).await.unwrap();

    // The proposal of `second` presented with `first`.
    assert_err(
        env.approve(first, proposal, &a).await,
        anchor_code(AnchorError::ConstraintSeeds),
    );
    env.approve(second, proposal, &a).await.unwrap();

    // A wrong vault address.
    let mut ix = anchor_ix(
        stablerail_multisig::accounts::ProposalExecute {
            multisig: second,
            proposal,
            vault: vault_pda(&first),
            executor: a.pubkey(),
            event_authority: stablerail_multisig::EVENT_AUTHORITY_AND_BUMP.0,
            program: stablerail_multisig::ID,
        },
        stablerail_multisig::instruction::ProposalExecute {
            args: stablerail_multisig::instructions::ProposalExecuteArgs {},
        },
    );
    let stored_proposal: Proposal = env.account(proposal).await;
    ix.accounts
        .extend(execute_accounts(&second, &stored_proposal.instructions));
    assert_err(
        env.send(&[ix], &[&a]).await,
        anchor_code(AnchorError::ConstraintSeeds),
    );

    // An account not owned by the program posing as a multisig.
    let fake = env.create_mint(6).await;
    assert_err(
        env.approve(fake, proposal, &a).await,
        anchor_code(AnchorError::AccountOwnedByWrongProgram),
    );
    // A token account owned by the SPL Token program posing as a proposal.
    let tokens = env.create_token_account(&fake, &a.pubkey()).await;
    assert_err(
        env.approve(second, tokens, &a).await,
        anchor_code(AnchorError::AccountOwnedByWrongProgram),
    );
    env.execute(second, proposal, &a).await.unwrap();
    assert_eq!(env.lamports(recipient).await, 100_000_000);
}

#[tokio::test]
async fn failing_inner_instruction_reverts_the_whole_execution() {
    let mut env = Env::start().await;
    let (multisig, [a, b, _]) = two_of_three(&mut env, 0).await;
    let total = 10_000_000;
    let (mint, vault_tokens, recipient_tokens) = usdt_vault(&mut env, multisig, total).await;
    // Two transfers; the second asks for more than is left.
    let first = vault_token_transfer(
        &multisig,
        &vault_tokens,
        &mint,
        &recipient_tokens,
        6_000_000,
        6,
    );
    let second = vault_token_transfer(
        &multisig,
        &vault_tokens,
        &mint,
        &recipient_tokens,
        6_000_000,
        6,
    );
    let proposal = env
        .propose(multisig, &a, vec![first, second])
        .await
        .unwrap();
    env.approve(multisig, proposal, &a).await.unwrap();
    env.approve(multisig, proposal, &b).await.unwrap();
    // SPL Token's InsufficientFunds (custom error 1) aborts everything.
    assert_err(env.execute(multisig, proposal, &a).await, 1);
    assert_eq!(env.balance(vault_tokens).await, total);
    assert_eq!(env.balance(recipient_tokens).await, 0);
    assert!(matches!(
        env.account::<Proposal>(proposal).await.status,
        ProposalStatus::Approved { .. }
    ));
    // Once the vault holds enough, the same proposal executes.
    env.mint_to(&mint, &vault_tokens, 2_000_000).await;
    env.execute(multisig, proposal, &a).await.unwrap();
    assert_eq!(env.balance(recipient_tokens).await, 12_000_000);
    assert_eq!(env.balance(vault_tokens).await, 0);
}

#[tokio::test]
async fn prefunded_proposal_address_does_not_block_proposals() {
    let mut env = Env::start().await;
    let (multisig, [a, b, _]) = two_of_three(&mut env, 0).await;
    let vault = vault_pda(&multisig);
    env.fund(vault, 1_000_000_000).await;
    // Anyone can send lamports to the next proposal's (predictable) address.
    let next = proposal_pda(&multisig, 1);
    env.fund(next, 5_000_000).await;
    let recipient = Pubkey::new_unique();
    let transfer = stored(&system_instruction::transfer(
        &vault,
        &recipient,
        100_000_000,
    ));
    let proposal = env.pass(multisig, &[&a, &b], vec![transfer]).await;
    assert_eq!(proposal, next);
    assert_eq!(env.lamports(recipient).await, 100_000_000);
    // The surplus stays in the account and returns to the creator on close.
    let rent = env.lamports(proposal).await;
    let before = env.lamports(a.pubkey()).await;
    env.close(multisig, proposal, a.pubkey()).await.unwrap();
    assert_eq!(env.lamports(a.pubkey()).await, before + rent);
}
