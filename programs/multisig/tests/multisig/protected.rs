//! Finding 6 of issue #12: while a proposal executes, no instruction for
//! another program may take the multisig, a proposal or a spending limit as
//! writable, so a called program can never change the configuration with
//! the vault's signature (docs/rules.md, Multisig).
//!
//! On agave 3.1 the relay's call back into the multisig is also refused by
//! the runtime (multisig -> relay -> multisig is reentrancy); the rule
//! refuses the proposal before the relay runs, whatever the runtime allows.

use anchor_lang::prelude::Pubkey;
use solana_program_test::processor;
use solana_sdk::account_info::AccountInfo;
use solana_sdk::instruction::{AccountMeta, Instruction};
use solana_sdk::signature::{Keypair, Signer};
use stablerail_multisig::errors::MultisigError;
use stablerail_multisig::instructions::ConfigOwnerAddArgs;
use stablerail_multisig::state::*;

use crate::harness::*;

/// Program id of the relay used as the "any called program".
const RELAY_ID: Pubkey = Pubkey::new_from_array([7u8; 32]);

/// A program that forwards its accounts and data to the multisig program,
/// keeping every signer and writable flag (signers include the vault when
/// the relay is called by `proposal_execute`).
fn relay(
    _program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> solana_sdk::entrypoint::ProgramResult {
    let metas = accounts
        .iter()
        .filter(|info| *info.key != stablerail_multisig::ID)
        .map(|info| AccountMeta {
            pubkey: *info.key,
            is_signer: info.is_signer,
            is_writable: info.is_writable,
        })
        .collect();
    let ix = Instruction {
        program_id: stablerail_multisig::ID,
        accounts: metas,
        data: data.to_vec(),
    };
    anchor_lang::solana_program::program::invoke(&ix, accounts)
}

async fn env_with_relay() -> Env {
    let mut test = program_test();
    test.add_program("relay", RELAY_ID, processor!(relay));
    Env::start_with(test).await
}

/// The relay, asked to add `intruder` as an owner, as a stored instruction.
fn relayed_owner_add(multisig: Pubkey, intruder: Pubkey) -> ProposalInstruction {
    let inner = anchor_ix(
        stablerail_multisig::accounts::ConfigOwnerAdd {
            multisig,
            vault: vault_pda(&multisig),
            event_authority: stablerail_multisig::EVENT_AUTHORITY_AND_BUMP.0,
            program: stablerail_multisig::ID,
        },
        stablerail_multisig::instruction::ConfigOwnerAdd {
            args: ConfigOwnerAddArgs { owner: intruder },
        },
    );
    let mut accounts = inner.accounts.clone();
    accounts.push(AccountMeta::new_readonly(stablerail_multisig::ID, false));
    stored(&Instruction {
        program_id: RELAY_ID,
        accounts,
        data: inner.data,
    })
}

#[tokio::test]
async fn called_program_cannot_change_the_config() {
    let mut env = env_with_relay().await;
    let owners = [env.funded_keypair().await, env.funded_keypair().await];
    let keys: Vec<Pubkey> = owners.iter().map(Signer::pubkey).collect();
    let multisig = env.create_multisig(&keys, 2, 0).await.unwrap();
    let intruder = Keypair::new();

    // A proposal that looks like "call program X", listing the multisig as writable.
    let proposal = env
        .propose(
            multisig,
            &owners[0],
            vec![relayed_owner_add(multisig, intruder.pubkey())],
        )
        .await
        .unwrap();
    for owner in &owners {
        env.approve(multisig, proposal, owner).await.unwrap();
    }
    let before: Multisig = env.account(multisig).await;
    let result = env.execute(multisig, proposal, &owners[0]).await;
    let after: Multisig = env.account(multisig).await;
    assert!(
        !after.owners.contains(&intruder.pubkey()),
        "the relay added an owner with the vault's signature"
    );
    assert_err(result, code(MultisigError::ProtectedAccountWritable));
    assert_eq!(after, before);
}
