//! Config changes: only through an executed proposal (the vault signs a CPI
//! of this program into itself); each makes every pending proposal stale.

use anchor_lang::error::ErrorCode as AnchorError;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::system_instruction;
use solana_sdk::signature::{Keypair, Signer};
use stablerail_multisig::errors::MultisigError;
use stablerail_multisig::instructions::ConfigOwnerAddArgs;
use stablerail_multisig::state::*;

use crate::harness::*;

async fn owners(env: &mut Env, count: usize) -> Vec<Keypair> {
    let mut keys = Vec::new();
    for _ in 0..count {
        keys.push(env.funded_keypair().await);
    }
    keys
}

fn keys(owners: &[Keypair]) -> Vec<Pubkey> {
    owners.iter().map(Signer::pubkey).collect()
}

#[tokio::test]
async fn config_instructions_cannot_be_called_directly() {
    let mut env = Env::start().await;
    let owners = owners(&mut env, 3).await;
    let multisig = env.create_multisig(&keys(&owners), 2, 0).await.unwrap();
    let intruder = Keypair::new();
    let before: Multisig = env.account(multisig).await;

    // The vault cannot sign a transaction: without its signature, refused.
    let mut ix = anchor_ix(
        stablerail_multisig::accounts::ConfigOwnerAdd {
            multisig,
            vault: vault_pda(&multisig),
            event_authority: stablerail_multisig::EVENT_AUTHORITY_AND_BUMP.0,
            program: stablerail_multisig::ID,
        },
        stablerail_multisig::instruction::ConfigOwnerAdd {
            args: ConfigOwnerAddArgs {
                owner: intruder.pubkey(),
            },
        },
    );
    ix.accounts[1].is_signer = false;
    assert_err(
        env.send(&[ix.clone()], &[]).await,
        anchor_code(AnchorError::AccountNotSigner),
    );

    // An owner signing in the vault's place: not the vault PDA.
    ix.accounts[1].pubkey = owners[0].pubkey();
    ix.accounts[1].is_signer = true;
    assert_err(
        env.send(&[ix], &[&owners[0]]).await,
        anchor_code(AnchorError::ConstraintSeeds),
    );
    assert_eq!(env.account::<Multisig>(multisig).await, before);
}

#[tokio::test]
async fn owner_added_by_proposal_and_pending_proposals_become_stale() {
    let mut env = Env::start().await;
    let owners = owners(&mut env, 3).await;
    let [a, b, c] = [&owners[0], &owners[1], &owners[2]];
    let multisig = env.create_multisig(&keys(&owners), 2, 0).await.unwrap();
    let vault = vault_pda(&multisig);
    env.fund(vault, 2_000_000_000).await;
    let recipient = Pubkey::new_unique();
    let payment = stored(&system_instruction::transfer(
        &vault,
        &recipient,
        500_000_000,
    ));

    // Two pending proposals: one approved, one active.
    let approved = env
        .propose(multisig, a, vec![payment.clone()])
        .await
        .unwrap();
    env.approve(multisig, approved, a).await.unwrap();
    env.approve(multisig, approved, b).await.unwrap();
    let active = env
        .propose(multisig, a, vec![payment.clone()])
        .await
        .unwrap();

    // The config proposal: add D and raise the threshold to 3.
    let d = env.funded_keypair().await;
    let change = env
        .pass(
            multisig,
            &[b, c],
            vec![
                config::owner_add(multisig, d.pubkey()),
                config::threshold(multisig, 3),
            ],
        )
        .await;
    assert_eq!(change, proposal_pda(&multisig, 3));
    let state: Multisig = env.account(multisig).await;
    let mut expected = keys(&owners);
    expected.push(d.pubkey());
    expected.sort();
    assert_eq!(state.owners, expected);
    assert_eq!(state.threshold, 3);
    assert_eq!(state.stale_transaction_index, 3);

    // Both earlier proposals are stale now.
    assert_err(
        env.execute(multisig, approved, a).await,
        code(MultisigError::ProposalStale),
    );
    assert_err(
        env.approve(multisig, active, b).await,
        code(MultisigError::ProposalStale),
    );
    assert_err(
        env.reject(multisig, active, b).await,
        code(MultisigError::ProposalStale),
    );
    assert_err(
        env.cancel(multisig, approved, b).await,
        code(MultisigError::ProposalStale),
    );
    assert_eq!(env.lamports(recipient).await, 0);
    // Stale proposals can be closed.
    env.close(multisig, approved, a.pubkey()).await.unwrap();
    env.close(multisig, active, a.pubkey()).await.unwrap();

    // The new owner takes part; three approvals are needed now.
    let fresh = env.propose(multisig, &d, vec![payment]).await.unwrap();
    env.approve(multisig, fresh, &d).await.unwrap();
    env.approve(multisig, fresh, a).await.unwrap();
    assert_err(
        env.execute(multisig, fresh, &d).await,
        code(MultisigError::ProposalNotApproved),
    );
    env.approve(multisig, fresh, b).await.unwrap();
    env.execute(multisig, fresh, &d).await.unwrap();
    assert_eq!(env.lamports(recipient).await, 500_000_000);
}

#[tokio::test]
async fn owner_removal_threshold_and_time_lock_by_proposal() {
    let mut env = Env::start().await;
    let owners = owners(&mut env, 3).await;
    let [a, b, c] = [&owners[0], &owners[1], &owners[2]];
    let multisig = env.create_multisig(&keys(&owners), 3, 0).await.unwrap();

    // Removing an owner of a 3-of-3 would make the threshold unreachable: the
    // whole execution fails and nothing changes.
    let remove = env
        .propose(
            multisig,
            a,
            vec![config::owner_remove(multisig, c.pubkey())],
        )
        .await
        .unwrap();
    for owner in [a, b, c] {
        env.approve(multisig, remove, owner).await.unwrap();
    }
    assert_err(
        env.execute(multisig, remove, a).await,
        code(MultisigError::ThresholdUnreachable),
    );
    assert!(matches!(
        env.account::<Proposal>(remove).await.status,
        ProposalStatus::Approved { .. }
    ));
    assert_eq!(env.account::<Multisig>(multisig).await.owners.len(), 3);

    // Invalid values fail the same way.
    for (bad, error) in [
        (
            config::threshold(multisig, 0),
            MultisigError::InvalidThreshold,
        ),
        (
            config::threshold(multisig, 4),
            MultisigError::InvalidThreshold,
        ),
        (
            config::time_lock(multisig, MAX_TIME_LOCK + 1),
            MultisigError::TimeLockTooLong,
        ),
        (
            config::owner_add(multisig, a.pubkey()),
            MultisigError::DuplicateOwner,
        ),
        (
            config::owner_add(multisig, vault_pda(&multisig)),
            MultisigError::InvalidOwner,
        ),
        (
            config::owner_remove(multisig, Pubkey::new_unique()),
            MultisigError::NotAnOwner,
        ),
    ] {
        let proposal = env.propose(multisig, a, vec![bad]).await.unwrap();
        for owner in [a, b, c] {
            env.approve(multisig, proposal, owner).await.unwrap();
        }
        assert_err(env.execute(multisig, proposal, a).await, code(error));
    }

    // Lower the threshold, then remove, then set a time lock: one proposal.
    env.pass(
        multisig,
        &[a, b, c],
        vec![
            config::threshold(multisig, 2),
            config::owner_remove(multisig, c.pubkey()),
            config::time_lock(multisig, 86_400),
        ],
    )
    .await;
    let state: Multisig = env.account(multisig).await;
    let mut expected = vec![a.pubkey(), b.pubkey()];
    expected.sort();
    assert_eq!(state.owners, expected);
    assert_eq!(state.threshold, 2);
    assert_eq!(state.time_lock, 86_400);
    assert_eq!(state.stale_transaction_index, state.transaction_index);

    // The earlier approved proposal is stale, and the removed owner is out.
    assert_err(
        env.execute(multisig, remove, a).await,
        code(MultisigError::ProposalStale),
    );
    let vault = vault_pda(&multisig);
    let payment = stored(&system_instruction::transfer(
        &vault,
        &Pubkey::new_unique(),
        1,
    ));
    assert_err(
        env.propose(multisig, c, vec![payment.clone()])
            .await
            .map(drop),
        code(MultisigError::NotAnOwner),
    );
    // The new time lock applies.
    let proposal = env.propose(multisig, a, vec![payment]).await.unwrap();
    env.approve(multisig, proposal, a).await.unwrap();
    env.approve(multisig, proposal, b).await.unwrap();
    assert_err(
        env.execute(multisig, proposal, a).await,
        code(MultisigError::TimeLockNotReleased),
    );
}
