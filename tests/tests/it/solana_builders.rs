//! Every instruction builder of the SDK (which does not depend on anchor-lang)
//! equals what Anchor's generated client types of the programs produce: the
//! same program id, discriminator and Borsh data, and the same accounts in the
//! same order with the same signer and writable flags. Accounts are decoded the
//! same way too.

use anchor_lang::{AccountSerialize, InstructionData, ToAccountMetas};
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use stablerail_escrow::{accounts as ea, instruction as ei, instructions as eargs, state as es};
use stablerail_multisig::{accounts as ma, instruction as mi, instructions as margs, state as ms};
use stablerail_sdk::Amount;
use stablerail_sdk::solana::{self as sol, AnchorAccount, EscrowProgram, MultisigProgram, pda};

fn anchor(
    program_id: Pubkey,
    accounts: impl ToAccountMetas,
    data: impl InstructionData,
) -> Instruction {
    Instruction {
        program_id,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

fn escrow_ix(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    anchor(stablerail_escrow::ID, accounts, data)
}

fn multisig_ix(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    anchor(stablerail_multisig::ID, accounts, data)
}

fn key(n: u8) -> Pubkey {
    Pubkey::new_from_array([n; 32])
}

const SYSTEM: Pubkey = pda::SYSTEM_PROGRAM_ID;
/// The programs' own event authorities (`#[event_cpi]`), for Anchor's side.
const ESCROW_EVENTS: Pubkey = stablerail_escrow::EVENT_AUTHORITY_AND_BUMP.0;
const MULTISIG_EVENTS: Pubkey = stablerail_multisig::EVENT_AUTHORITY_AND_BUMP.0;
const TOKEN: Pubkey = pda::TOKEN_PROGRAM_ID;

#[test]
fn program_ids_and_seeds_match_the_programs() {
    assert_eq!(pda::ESCROW_PROGRAM_ID, stablerail_escrow::ID);
    assert_eq!(pda::MULTISIG_PROGRAM_ID, stablerail_multisig::ID);
    assert_eq!(pda::SEED_CONFIG, es::seeds::SEED_CONFIG);
    assert_eq!(pda::SEED_VAULT, es::seeds::SEED_VAULT);
    assert_eq!(pda::SEED_ACCOUNT, es::seeds::SEED_ACCOUNT);
    assert_eq!(pda::SEED_BUY_ORDER, es::seeds::SEED_BUY_ORDER);
    assert_eq!(pda::SEED_DEAL, es::seeds::SEED_DEAL);
    assert_eq!(pda::SEED_MULTISIG, ms::SEED_PREFIX);
    assert_eq!(pda::SEED_MULTISIG_VAULT, ms::SEED_VAULT);
    assert_eq!(pda::SEED_PROPOSAL, ms::SEED_PROPOSAL);
    assert_eq!(pda::SEED_SPENDING_LIMIT, ms::SEED_SPENDING_LIMIT);
    assert_eq!(pda::event_authority(&pda::ESCROW_PROGRAM_ID), ESCROW_EVENTS);
    assert_eq!(
        pda::event_authority(&pda::MULTISIG_PROGRAM_ID),
        MULTISIG_EVENTS
    );
    assert_ne!(ESCROW_EVENTS, MULTISIG_EVENTS);
    let m = pda::multisig(&key(1));
    assert_eq!(pda::multisig_vault(&m), ms::Multisig::vault_address(&m).0);
    assert_eq!(pda::TOKEN_PROGRAM_ID, anchor_spl::token::ID);
    assert_eq!(pda::TOKEN_2022_PROGRAM_ID, anchor_spl::token_2022::ID);
    assert_eq!(
        pda::ASSOCIATED_TOKEN_PROGRAM_ID,
        anchor_spl::associated_token::ID
    );
    assert_eq!(
        pda::associated_token_account(&key(5), &key(6), &TOKEN),
        anchor_spl::associated_token::get_associated_token_address_with_program_id(
            &key(5),
            &key(6),
            &TOKEN
        )
    );
}

fn sdk_fees() -> sol::FeeScheduleArgs {
    sol::FeeScheduleArgs {
        merchant_tiers: vec![
            sol::FeeTier {
                threshold: 0,
                bps: 100,
            },
            sol::FeeTier {
                threshold: 1_000,
                bps: 50,
            },
        ],
        agent_tiers: vec![sol::FeeTier {
            threshold: 0,
            bps: 2_000,
        }],
        trader_reward_bps: 1_000,
    }
}

fn anchor_fees() -> es::FeeScheduleArgs {
    es::FeeScheduleArgs {
        merchant_tiers: vec![
            es::FeeTier {
                threshold: 0,
                bps: 100,
            },
            es::FeeTier {
                threshold: 1_000,
                bps: 50,
            },
        ],
        agent_tiers: vec![es::FeeTier {
            threshold: 0,
            bps: 2_000,
        }],
        trader_reward_bps: 1_000,
    }
}

fn sdk_limits() -> sol::LimitsArgs {
    sol::LimitsArgs {
        min_payment_window_secs: 60,
        max_payment_window_secs: 86_400,
        max_deal_amount: 5_000_000,
        min_kyc_level: 1,
        blocked_regions: vec![408, 364],
        withdrawal_delay_secs: 3_600,
    }
}

fn anchor_limits() -> es::LimitsArgs {
    es::LimitsArgs {
        min_payment_window_secs: 60,
        max_payment_window_secs: 86_400,
        max_deal_amount: 5_000_000,
        min_kyc_level: 1,
        blocked_regions: vec![408, 364],
        withdrawal_delay_secs: 3_600,
    }
}

fn sdk_authorities() -> sol::Authorities {
    sol::Authorities {
        admin: key(10),
        guardian: key(11),
        arbiter: key(12),
        dispatcher: key(13),
        compliance: key(14),
        treasury: key(15),
    }
}

fn anchor_authorities() -> es::Authorities {
    es::Authorities {
        admin: key(10),
        guardian: key(11),
        arbiter: key(12),
        dispatcher: key(13),
        compliance: key(14),
        treasury: key(15),
    }
}

#[test]
fn every_escrow_builder_matches_anchor() {
    let creator = key(1);
    let e = EscrowProgram::for_creator(&creator);
    let config = e.config;
    let (admin, wallet, other, mint) = (key(2), key(3), key(4), key(5));
    let reference = [7u8; 32];
    let mut checked = Vec::new();
    let mut check = |name: &str, sdk: Instruction, anchor: Instruction| {
        assert_eq!(sdk, anchor, "{name}");
        checked.push(name.to_owned());
    };

    check(
        "config_initialize",
        e.config_initialize(
            &creator,
            &mint,
            &TOKEN,
            &sol::ConfigInitializeArgs {
                authorities: sdk_authorities(),
                fees: sdk_fees(),
                limits: sdk_limits(),
            },
        )
        .unwrap(),
        escrow_ix(
            ea::ConfigInitialize {
                creator,
                config,
                usdt_mint: mint,
                vault: e.vault(),
                token_program: TOKEN,
                system_program: SYSTEM,
                event_authority: ESCROW_EVENTS,
                program: stablerail_escrow::ID,
            },
            ei::ConfigInitialize {
                args: eargs::ConfigInitializeArgs {
                    authorities: anchor_authorities(),
                    fees: anchor_fees(),
                    limits: anchor_limits(),
                },
            },
        ),
    );
    check(
        "config_set_authorities",
        e.config_set_authorities(&admin, &sdk_authorities())
            .unwrap(),
        escrow_ix(
            ea::ConfigSetAuthorities {
                admin,
                config,
                event_authority: ESCROW_EVENTS,
                program: stablerail_escrow::ID,
            },
            ei::ConfigSetAuthorities {
                args: eargs::ConfigSetAuthoritiesArgs {
                    authorities: anchor_authorities(),
                },
            },
        ),
    );
    check(
        "config_set_fees",
        e.config_set_fees(&admin, &sdk_fees()).unwrap(),
        escrow_ix(
            ea::ConfigSetFees {
                admin,
                config,
                event_authority: ESCROW_EVENTS,
                program: stablerail_escrow::ID,
            },
            ei::ConfigSetFees {
                args: eargs::ConfigSetFeesArgs {
                    fees: anchor_fees(),
                },
            },
        ),
    );
    check(
        "config_set_limits",
        e.config_set_limits(&admin, &sdk_limits()).unwrap(),
        escrow_ix(
            ea::ConfigSetLimits {
                admin,
                config,
                event_authority: ESCROW_EVENTS,
                program: stablerail_escrow::ID,
            },
            ei::ConfigSetLimits {
                args: eargs::ConfigSetLimitsArgs {
                    limits: anchor_limits(),
                },
            },
        ),
    );
    check(
        "config_pause",
        e.config_pause(&admin),
        escrow_ix(
            ea::ConfigPause {
                authority: admin,
                config,
                event_authority: ESCROW_EVENTS,
                program: stablerail_escrow::ID,
            },
            ei::ConfigPause {},
        ),
    );
    check(
        "config_unpause",
        e.config_unpause(&admin),
        escrow_ix(
            ea::ConfigUnpause {
                admin,
                config,
                event_authority: ESCROW_EVENTS,
                program: stablerail_escrow::ID,
            },
            ei::ConfigUnpause {},
        ),
    );
    check(
        "account_open",
        e.account_open(&admin, &wallet),
        escrow_ix(
            ea::AccountOpen {
                payer: admin,
                wallet,
                config,
                escrow_account: e.account(&wallet),
                system_program: SYSTEM,
                event_authority: ESCROW_EVENTS,
                program: stablerail_escrow::ID,
            },
            ei::AccountOpen {},
        ),
    );
    check(
        "account_set_roles",
        e.account_set_roles(
            &admin,
            &wallet,
            stablerail_sdk::Roles::MERCHANT | stablerail_sdk::Roles::AGENT,
        )
        .unwrap(),
        escrow_ix(
            ea::AccountSetRoles {
                admin,
                config,
                escrow_account: e.account(&wallet),
                event_authority: ESCROW_EVENTS,
                program: stablerail_escrow::ID,
            },
            ei::AccountSetRoles {
                args: eargs::AccountSetRolesArgs {
                    roles: es::ROLE_MERCHANT | es::ROLE_AGENT,
                },
            },
        ),
    );
    check(
        "account_set_agent",
        e.account_set_agent(&admin, &wallet, &other).unwrap(),
        escrow_ix(
            ea::AccountSetAgent {
                admin,
                config,
                escrow_account: e.account(&wallet),
                agent_account: e.account(&other),
                event_authority: ESCROW_EVENTS,
                program: stablerail_escrow::ID,
            },
            ei::AccountSetAgent {},
        ),
    );
    check(
        "account_set_compliance",
        e.account_set_compliance(&admin, &wallet, 2, 276),
        escrow_ix(
            ea::AccountSetCompliance {
                compliance: admin,
                config,
                escrow_account: e.account(&wallet),
                event_authority: ESCROW_EVENTS,
                program: stablerail_escrow::ID,
            },
            ei::AccountSetCompliance {
                args: eargs::AccountSetComplianceArgs {
                    kyc_level: 2,
                    region: 276,
                },
            },
        ),
    );
    let owner_accounts = |owner: Pubkey| (owner, config, e.account(&owner));
    let (owner, cfg, account) = owner_accounts(wallet);
    check(
        "withdrawal_address_request",
        e.withdrawal_address_request(&wallet, &other),
        escrow_ix(
            ea::WithdrawalAddressRequest {
                owner,
                config: cfg,
                escrow_account: account,
                event_authority: ESCROW_EVENTS,
                program: stablerail_escrow::ID,
            },
            ei::WithdrawalAddressRequest {
                args: eargs::WithdrawalAddressRequestArgs { address: other },
            },
        ),
    );
    check(
        "withdrawal_address_cancel",
        e.withdrawal_address_cancel(&wallet),
        escrow_ix(
            ea::WithdrawalAddressCancel {
                owner,
                config: cfg,
                escrow_account: account,
                event_authority: ESCROW_EVENTS,
                program: stablerail_escrow::ID,
            },
            ei::WithdrawalAddressCancel {},
        ),
    );
    check(
        "withdrawal_address_apply",
        e.withdrawal_address_apply(&wallet),
        escrow_ix(
            ea::WithdrawalAddressApply {
                owner,
                config: cfg,
                escrow_account: account,
                event_authority: ESCROW_EVENTS,
                program: stablerail_escrow::ID,
            },
            ei::WithdrawalAddressApply {},
        ),
    );
    let source = key(20);
    check(
        "deposit",
        e.deposit(
            &wallet,
            &source,
            &mint,
            &TOKEN,
            Amount::from_units(1_500_000),
        )
        .unwrap(),
        escrow_ix(
            ea::Deposit {
                owner,
                config,
                escrow_account: account,
                usdt_mint: mint,
                token_program: TOKEN,
                source,
                vault: e.vault(),
                event_authority: ESCROW_EVENTS,
                program: stablerail_escrow::ID,
            },
            ei::Deposit {
                args: eargs::DepositArgs { amount: 1_500_000 },
            },
        ),
    );
    // Without and with the co-signer's signature.
    for co_signer in [None, Some(key(40))] {
        let built = match co_signer {
            None => e.withdraw(&wallet, &source, &mint, &TOKEN, Amount::from_units(9)),
            Some(c) => {
                e.withdraw_cosigned(&wallet, &source, &mint, &TOKEN, Amount::from_units(9), &c)
            }
        };
        check(
            "withdraw",
            built.unwrap(),
            escrow_ix(
                ea::Withdraw {
                    owner,
                    config,
                    escrow_account: account,
                    usdt_mint: mint,
                    token_program: TOKEN,
                    vault: e.vault(),
                    destination: source,
                    co_signer,
                    event_authority: ESCROW_EVENTS,
                    program: stablerail_escrow::ID,
                },
                ei::Withdraw {
                    args: eargs::WithdrawArgs { amount: 9 },
                },
            ),
        );
    }
    for (co_signer, approver) in [(Some(key(40)), None), (None, Some(key(41)))] {
        check(
            "co_signer_set",
            e.co_signer_set(
                &wallet,
                &sol::CoSignerSetArgs {
                    co_signer,
                    daily_allowance: 77,
                },
                approver.as_ref(),
            )
            .unwrap(),
            escrow_ix(
                ea::CoSignerSet {
                    owner,
                    config,
                    escrow_account: account,
                    co_signer: approver,
                    event_authority: ESCROW_EVENTS,
                    program: stablerail_escrow::ID,
                },
                ei::CoSignerSet {
                    args: eargs::CoSignerSetArgs {
                        co_signer,
                        daily_allowance: 77,
                    },
                },
            ),
        );
    }
    check(
        "co_signer_apply",
        e.co_signer_apply(&wallet),
        escrow_ix(
            ea::CoSignerApply {
                config,
                escrow_account: account,
                event_authority: ESCROW_EVENTS,
                program: stablerail_escrow::ID,
            },
            ei::CoSignerApply {},
        ),
    );
    check(
        "co_signer_cancel",
        e.co_signer_cancel(&wallet),
        escrow_ix(
            ea::CoSignerCancel {
                owner,
                config,
                escrow_account: account,
                event_authority: ESCROW_EVENTS,
                program: stablerail_escrow::ID,
            },
            ei::CoSignerCancel {},
        ),
    );
    check(
        "acceptor_set_limits",
        e.acceptor_set_limits(
            &wallet,
            &sol::AcceptorSetLimitsArgs {
                online: true,
                max_per_deal: 5,
                max_locked: 6,
            },
        ),
        escrow_ix(
            ea::AcceptorSetLimits {
                owner,
                config,
                escrow_account: account,
                event_authority: ESCROW_EVENTS,
                program: stablerail_escrow::ID,
            },
            ei::AcceptorSetLimits {
                args: eargs::AcceptorSetLimitsArgs {
                    online: true,
                    max_per_deal: 5,
                    max_locked: 6,
                },
            },
        ),
    );
    check(
        "sweep_surplus",
        e.sweep_surplus(&admin, &key(31)),
        escrow_ix(
            ea::SweepSurplus {
                admin,
                config,
                vault: e.vault(),
                treasury_account: e.account(&key(31)),
                event_authority: ESCROW_EVENTS,
                program: stablerail_escrow::ID,
            },
            ei::SweepSurplus {},
        ),
    );
    let post = sol::BuyOrderPostArgs {
        price_minor: 725,
        currency: *b"CNY",
        amount: 1_000_000,
        min_fill: 10,
        max_fill: 500_000,
        expiry: 1_900_000_000,
        payment_window_secs: 900,
    };
    check(
        "buy_order_post",
        e.buy_order_post(&wallet, 3, &post).unwrap(),
        escrow_ix(
            ea::BuyOrderPost {
                merchant: wallet,
                config,
                merchant_account: account,
                buy_order: e.buy_order(3),
                system_program: SYSTEM,
                event_authority: ESCROW_EVENTS,
                program: stablerail_escrow::ID,
            },
            ei::BuyOrderPost {
                args: eargs::BuyOrderPostArgs {
                    price_minor: 725,
                    currency: *b"CNY",
                    amount: 1_000_000,
                    min_fill: 10,
                    max_fill: 500_000,
                    expiry: 1_900_000_000,
                    payment_window_secs: 900,
                },
            },
        ),
    );
    check(
        "buy_order_cancel",
        e.buy_order_cancel(&wallet, 3),
        escrow_ix(
            ea::BuyOrderCancel {
                merchant: wallet,
                config,
                buy_order: e.buy_order(3),
                event_authority: ESCROW_EVENTS,
                program: stablerail_escrow::ID,
            },
            ei::BuyOrderCancel {},
        ),
    );
    // Without agent, with a third-party agent, and with the agent being the
    // other party (credited in place: no agent account).
    for (agent, expected) in [
        (None, None),
        (Some(key(30)), Some(e.account(&key(30)))),
        (Some(other), None),
    ] {
        check(
            "buy_order_fill",
            e.buy_order_fill(
                &other,
                3,
                &wallet,
                agent.as_ref(),
                8,
                &sol::BuyOrderFillArgs {
                    amount: 40,
                    reference,
                },
            )
            .unwrap(),
            escrow_ix(
                ea::BuyOrderFill {
                    trader: other,
                    config,
                    buy_order: e.buy_order(3),
                    trader_account: e.account(&other),
                    merchant_account: account,
                    agent_account: expected,
                    deal: e.deal(8),
                    system_program: SYSTEM,
                    event_authority: ESCROW_EVENTS,
                    program: stablerail_escrow::ID,
                },
                ei::BuyOrderFill {
                    args: eargs::BuyOrderFillArgs {
                        amount: 40,
                        reference,
                    },
                },
            ),
        );
        check(
            "deal_collection_open",
            e.deal_collection_open(
                &admin,
                &other,
                &wallet,
                agent.as_ref(),
                9,
                &sol::DealCollectionOpenArgs {
                    amount: 41,
                    payment_window_secs: 600,
                    reference,
                },
            )
            .unwrap(),
            escrow_ix(
                ea::DealCollectionOpen {
                    dispatcher: admin,
                    config,
                    acceptor_account: e.account(&other),
                    merchant_account: account,
                    agent_account: expected,
                    deal: e.deal(9),
                    system_program: SYSTEM,
                    event_authority: ESCROW_EVENTS,
                    program: stablerail_escrow::ID,
                },
                ei::DealCollectionOpen {
                    args: eargs::DealCollectionOpenArgs {
                        amount: 41,
                        payment_window_secs: 600,
                        reference,
                    },
                },
            ),
        );
    }
    for agent in [None, Some(key(30))] {
        check(
            "deal_payout_open",
            e.deal_payout_open(
                &wallet,
                agent.as_ref(),
                10,
                &sol::DealPayoutOpenArgs {
                    amount: 42,
                    reference,
                },
            )
            .unwrap(),
            escrow_ix(
                ea::DealPayoutOpen {
                    merchant: wallet,
                    config,
                    merchant_account: account,
                    agent_account: agent.map(|a| e.account(&a)),
                    deal: e.deal(10),
                    system_program: SYSTEM,
                    event_authority: ESCROW_EVENTS,
                    program: stablerail_escrow::ID,
                },
                ei::DealPayoutOpen {
                    args: eargs::DealPayoutOpenArgs {
                        amount: 42,
                        reference,
                    },
                },
            ),
        );
    }
    check(
        "deal_payout_assign",
        e.deal_payout_assign(&admin, 10, &other, 700).unwrap(),
        escrow_ix(
            ea::DealPayoutAssign {
                dispatcher: admin,
                config,
                deal: e.deal(10),
                acceptor_account: e.account(&other),
                event_authority: ESCROW_EVENTS,
                program: stablerail_escrow::ID,
            },
            ei::DealPayoutAssign {
                args: eargs::DealPayoutAssignArgs {
                    payment_window_secs: 700,
                },
            },
        ),
    );
    check(
        "deal_mark_paid",
        e.deal_mark_paid(&wallet, 10),
        escrow_ix(
            ea::DealMarkPaid {
                authority: wallet,
                config,
                deal: e.deal(10),
                event_authority: ESCROW_EVENTS,
                program: stablerail_escrow::ID,
            },
            ei::DealMarkPaid {},
        ),
    );
    check(
        "deal_dispute",
        e.deal_dispute(&wallet, 10),
        escrow_ix(
            ea::DealDispute {
                authority: wallet,
                config,
                deal: e.deal(10),
                event_authority: ESCROW_EVENTS,
                program: stablerail_escrow::ID,
            },
            ei::DealDispute {},
        ),
    );
    // Settlements: with and without a third-party agent, with the treasury
    // its own account or one of the parties (credited in place), with and
    // without a buy order (a Trade).
    let treasuries = [key(31), other, wallet, key(30)];
    for agent in [None, Some(key(30))] {
        for treasury in treasuries {
            for order_id in [None, Some(3)] {
                let parties = sol::SettlementParties {
                    seller: wallet,
                    buyer: other,
                    agent,
                    treasury,
                    rent_payer: wallet,
                    merchant: other,
                    order_id,
                };
                let in_place = treasury == wallet || treasury == other || Some(treasury) == agent;
                let treasury_account = (!in_place).then(|| e.account(&treasury));
                let buy_order = order_id.map(|id| e.buy_order(id));
                let merchant = order_id.map(|_| other);
                check(
                    "deal_cancel",
                    e.deal_cancel(&wallet, 11, &parties),
                    escrow_ix(
                        ea::DealCancel {
                            authority: wallet,
                            config,
                            deal: e.deal(11),
                            seller_account: account,
                            rent_payer: wallet,
                            buy_order,
                            merchant,
                            event_authority: ESCROW_EVENTS,
                            program: stablerail_escrow::ID,
                        },
                        ei::DealCancel {},
                    ),
                );
                for co_signer in [None, Some(key(40))] {
                    let built = match co_signer {
                        None => e.deal_release(&wallet, 11, &parties),
                        Some(c) => e.deal_release_cosigned(&wallet, 11, &parties, &c),
                    };
                    check(
                        "deal_release",
                        built,
                        escrow_ix(
                            ea::DealRelease {
                                seller: wallet,
                                config,
                                deal: e.deal(11),
                                seller_account: account,
                                buyer_account: e.account(&other),
                                agent_account: agent.map(|a| e.account(&a)),
                                treasury_account,
                                rent_payer: wallet,
                                buy_order,
                                merchant,
                                co_signer,
                                event_authority: ESCROW_EVENTS,
                                program: stablerail_escrow::ID,
                            },
                            ei::DealRelease {},
                        ),
                    );
                }
                check(
                    "deal_resolve",
                    e.deal_resolve(&admin, 11, &parties, 2_500).unwrap(),
                    escrow_ix(
                        ea::DealResolve {
                            arbiter: admin,
                            config,
                            deal: e.deal(11),
                            seller_account: account,
                            buyer_account: e.account(&other),
                            agent_account: agent.map(|a| e.account(&a)),
                            treasury_account,
                            rent_payer: wallet,
                            buy_order,
                            merchant,
                            event_authority: ESCROW_EVENTS,
                            program: stablerail_escrow::ID,
                        },
                        ei::DealResolve {
                            args: eargs::DealResolveArgs {
                                buyer_share_bps: 2_500,
                            },
                        },
                    ),
                );
            }
        }
    }
    checked.sort();
    checked.dedup();
    // The 31 entry points of `programs/escrow/src/lib.rs`.
    assert_eq!(checked.len(), 31, "every escrow instruction: {checked:?}");
}

fn stored_sdk(ix: &Instruction) -> sol::ProposalInstruction {
    sol::ProposalInstruction::from(ix)
}

fn stored_anchor(ix: &Instruction) -> ms::ProposalInstruction {
    ms::ProposalInstruction {
        program_id: ix.program_id,
        accounts: ix
            .accounts
            .iter()
            .map(|m| ms::ProposalAccountMeta {
                pubkey: m.pubkey,
                is_signer: m.is_signer,
                is_writable: m.is_writable,
            })
            .collect(),
        data: ix.data.clone(),
    }
}

#[test]
fn every_multisig_builder_matches_anchor() {
    let create_key = key(1);
    let m = MultisigProgram::for_create_key(&create_key);
    let multisig = m.multisig;
    let vault = m.vault();
    let (creator, owner, other, mint) = (key(2), key(3), key(4), key(5));
    let mut checked = Vec::new();
    let mut check = |name: &str, sdk: Instruction, anchor: Instruction| {
        assert_eq!(sdk, anchor, "{name}");
        checked.push(name.to_owned());
    };
    let owners = vec![owner, other, creator];
    check(
        "multisig_create",
        m.multisig_create(&create_key, &creator, &owners, 2, 60)
            .unwrap(),
        multisig_ix(
            ma::MultisigCreate {
                multisig,
                create_key,
                creator,
                system_program: SYSTEM,
                event_authority: MULTISIG_EVENTS,
                program: stablerail_multisig::ID,
            },
            mi::MultisigCreate {
                args: margs::MultisigCreateArgs {
                    owners: owners.clone(),
                    threshold: 2,
                    time_lock: 60,
                },
            },
        ),
    );
    // A proposal resolving a deal through the vault.
    let escrow = EscrowProgram::for_creator(&key(40));
    let resolve = escrow
        .deal_resolve(
            &vault,
            4,
            &sol::SettlementParties {
                seller: key(41),
                buyer: key(42),
                agent: None,
                treasury: vault,
                rent_payer: key(41),
                merchant: key(42),
                order_id: None,
            },
            6_000,
        )
        .unwrap();
    let pause = escrow.config_pause(&vault);
    let sdk_stored = vec![stored_sdk(&resolve), stored_sdk(&pause)];
    let anchor_stored = vec![stored_anchor(&resolve), stored_anchor(&pause)];
    check(
        "proposal_create",
        m.proposal_create(&owner, 5, &sdk_stored, 1_900_000_000)
            .unwrap(),
        multisig_ix(
            ma::ProposalCreate {
                multisig,
                proposal: m.proposal(5),
                creator: owner,
                system_program: SYSTEM,
                event_authority: MULTISIG_EVENTS,
                program: stablerail_multisig::ID,
            },
            mi::ProposalCreate {
                args: margs::ProposalCreateArgs {
                    instructions: anchor_stored.clone(),
                    expires_at: 1_900_000_000,
                },
            },
        ),
    );
    let vote = |owner| ma::ProposalApprove {
        multisig,
        proposal: m.proposal(5),
        owner,
        event_authority: MULTISIG_EVENTS,
        program: stablerail_multisig::ID,
    };
    check(
        "proposal_approve",
        m.proposal_approve(&owner, 5),
        multisig_ix(
            vote(owner),
            mi::ProposalApprove {
                args: margs::ProposalApproveArgs {},
            },
        ),
    );
    check(
        "proposal_reject",
        m.proposal_reject(&owner, 5),
        multisig_ix(
            ma::ProposalReject {
                multisig,
                proposal: m.proposal(5),
                owner,
                event_authority: MULTISIG_EVENTS,
                program: stablerail_multisig::ID,
            },
            mi::ProposalReject {
                args: margs::ProposalRejectArgs {},
            },
        ),
    );
    check(
        "proposal_cancel",
        m.proposal_cancel(&owner, 5),
        multisig_ix(
            ma::ProposalCancel {
                multisig,
                proposal: m.proposal(5),
                owner,
                event_authority: MULTISIG_EVENTS,
                program: stablerail_multisig::ID,
            },
            mi::ProposalCancel {
                args: margs::ProposalCancelArgs {},
            },
        ),
    );
    // Execute: the named accounts, then every account the stored instructions
    // name (vault excluded, never as signer) and the invoked programs.
    let mut expected = multisig_ix(
        ma::ProposalExecute {
            multisig,
            proposal: m.proposal(5),
            vault,
            executor: owner,
            event_authority: MULTISIG_EVENTS,
            program: stablerail_multisig::ID,
        },
        mi::ProposalExecute {
            args: margs::ProposalExecuteArgs {},
        },
    );
    let mut remaining: Vec<solana_sdk::instruction::AccountMeta> = Vec::new();
    for ix in [&resolve, &pause] {
        for meta in ix.accounts.iter().chain(std::iter::once(
            &solana_sdk::instruction::AccountMeta::new_readonly(ix.program_id, false),
        )) {
            if meta.pubkey == vault {
                continue;
            }
            match remaining.iter_mut().find(|r| r.pubkey == meta.pubkey) {
                Some(r) => r.is_writable |= meta.is_writable,
                None => remaining.push(solana_sdk::instruction::AccountMeta {
                    pubkey: meta.pubkey,
                    is_signer: false,
                    is_writable: meta.is_writable,
                }),
            }
        }
    }
    expected.accounts.extend(remaining);
    check(
        "proposal_execute",
        m.proposal_execute(&owner, 5, &sdk_stored),
        expected,
    );
    check(
        "proposal_close",
        m.proposal_close(5, &owner),
        multisig_ix(
            ma::ProposalClose {
                multisig,
                proposal: m.proposal(5),
                creator: owner,
                event_authority: MULTISIG_EVENTS,
                program: stablerail_multisig::ID,
            },
            mi::ProposalClose {
                args: margs::ProposalCloseArgs {},
            },
        ),
    );
    check(
        "config_owner_add",
        m.config_owner_add(&key(9)).unwrap(),
        multisig_ix(
            ma::ConfigOwnerAdd {
                multisig,
                vault,
                event_authority: MULTISIG_EVENTS,
                program: stablerail_multisig::ID,
            },
            mi::ConfigOwnerAdd {
                args: margs::ConfigOwnerAddArgs { owner: key(9) },
            },
        ),
    );
    check(
        "config_owner_remove",
        m.config_owner_remove(&other),
        multisig_ix(
            ma::ConfigOwnerRemove {
                multisig,
                vault,
                event_authority: MULTISIG_EVENTS,
                program: stablerail_multisig::ID,
            },
            mi::ConfigOwnerRemove {
                args: margs::ConfigOwnerRemoveArgs { owner: other },
            },
        ),
    );
    check(
        "config_threshold_change",
        m.config_threshold_change(3).unwrap(),
        multisig_ix(
            ma::ConfigThresholdChange {
                multisig,
                vault,
                event_authority: MULTISIG_EVENTS,
                program: stablerail_multisig::ID,
            },
            mi::ConfigThresholdChange {
                args: margs::ConfigThresholdChangeArgs { threshold: 3 },
            },
        ),
    );
    check(
        "config_time_lock_set",
        m.config_time_lock_set(3_600).unwrap(),
        multisig_ix(
            ma::ConfigTimeLockSet {
                multisig,
                vault,
                event_authority: MULTISIG_EVENTS,
                program: stablerail_multisig::ID,
            },
            mi::ConfigTimeLockSet {
                args: margs::ConfigTimeLockSetArgs { time_lock: 3_600 },
            },
        ),
    );
    let limit_key = key(50);
    check(
        "spending_limit_add",
        m.spending_limit_add(&sol::SpendingLimitAddArgs {
            create_key: limit_key,
            mint,
            amount: 1_000_000,
            period: sol::Period::Week,
            spenders: vec![owner],
            destinations: vec![other, creator],
        })
        .unwrap(),
        multisig_ix(
            ma::SpendingLimitAdd {
                multisig,
                vault,
                spending_limit: m.spending_limit(&limit_key),
                system_program: SYSTEM,
                event_authority: MULTISIG_EVENTS,
                program: stablerail_multisig::ID,
            },
            mi::SpendingLimitAdd {
                args: margs::SpendingLimitAddArgs {
                    create_key: limit_key,
                    mint,
                    amount: 1_000_000,
                    period: ms::Period::Week,
                    spenders: vec![owner],
                    destinations: vec![other, creator],
                },
            },
        ),
    );
    check(
        "spending_limit_remove",
        m.spending_limit_remove(&limit_key),
        multisig_ix(
            ma::SpendingLimitRemove {
                multisig,
                vault,
                spending_limit: m.spending_limit(&limit_key),
                event_authority: MULTISIG_EVENTS,
                program: stablerail_multisig::ID,
            },
            mi::SpendingLimitRemove {
                args: margs::SpendingLimitRemoveArgs {},
            },
        ),
    );
    let (vault_token, destination) = (key(60), key(61));
    check(
        "spending_limit_use",
        m.spending_limit_use(
            &owner,
            &limit_key,
            &mint,
            &vault_token,
            &destination,
            &TOKEN,
            Amount::from_units(77),
        )
        .unwrap(),
        multisig_ix(
            ma::SpendingLimitUse {
                multisig,
                spending_limit: m.spending_limit(&limit_key),
                spender: owner,
                mint,
                vault,
                vault_token_account: vault_token,
                destination,
                token_program: TOKEN,
                event_authority: MULTISIG_EVENTS,
                program: stablerail_multisig::ID,
            },
            mi::SpendingLimitUse {
                args: margs::SpendingLimitUseArgs { amount: 77 },
            },
        ),
    );
    checked.sort();
    checked.dedup();
    // The 14 entry points of `programs/multisig/src/lib.rs`.
    assert_eq!(checked.len(), 14, "every multisig instruction: {checked:?}");
}

fn anchor_bytes<T: AccountSerialize>(account: &T) -> Vec<u8> {
    let mut data = Vec::new();
    account
        .try_serialize(&mut data)
        .unwrap_or_else(|e| panic!("Anchor serializes the account: {e}"));
    data
}

#[test]
fn accounts_decode_like_anchor_encodes_them() {
    let deal = es::Deal {
        config: key(1),
        id: 12,
        bump: 250,
        kind: es::DealKind::Collection,
        state: es::DealState::Disputed,
        seller: key(2),
        buyer: key(3),
        merchant: key(3),
        amount: 1_234_567,
        deadline: 1_800_000_000,
        reference: [5; 32],
        rent_payer: key(4),
        order_id: Some(3),
        fee_bps: 100,
        agent: Some(key(5)),
        agent_share_bps: 2_000,
        reward_bps: 0,
        disputed_at: 1_700_000_000,
    };
    let decoded = sol::Deal::decode(&anchor_bytes(&deal)).unwrap();
    assert_eq!(
        (
            decoded.fee_bps,
            decoded.agent,
            decoded.agent_share_bps,
            decoded.disputed_at
        ),
        (100, Some(key(5)), 2_000, 1_700_000_000)
    );
    assert_eq!(decoded.kind, stablerail_sdk::DealKind::Collection);
    assert_eq!(decoded.state, sol::DealState::Disputed);
    assert_eq!(
        (
            decoded.seller,
            decoded.buyer,
            decoded.amount,
            decoded.order_id
        ),
        (key(2), key(3), 1_234_567, Some(3))
    );
    assert_eq!(decoded.encode(), anchor_bytes(&deal));

    let account = es::EscrowAccount {
        config: key(1),
        wallet: key(2),
        bump: 1,
        available: 10,
        locked: 20,
        roles: es::ROLE_ACCEPTOR,
        agent: Some(key(9)),
        merchant_volume: 30,
        agent_volume: 40,
        kyc_level: 2,
        region: 276,
        withdrawal_address: key(2),
        pending_withdrawal_address: None,
        pending_effective_at: 0,
        co_signer: Some(key(7)),
        daily_allowance: 50,
        outflow_day: 20_000,
        outflow_today: 5,
        pending_co_signer: None,
        pending_daily_allowance: 60,
        pending_co_signer_at: 1_800_000_000,
        online: true,
        max_per_deal: 70,
        max_locked: 80,
    };
    let decoded = sol::EscrowAccount::decode(&anchor_bytes(&account)).unwrap();
    assert_eq!(decoded.encode(), anchor_bytes(&account));
    assert_eq!(
        (
            decoded.co_signer,
            decoded.allowance_left(20_000 * 86_400 + 5)
        ),
        (Some(key(7)), Some(45))
    );
    assert_eq!(decoded.allowance_left(20_001 * 86_400), Some(50));
    assert_eq!((decoded.online, decoded.max_locked), (true, 80));
    assert_eq!((decoded.available, decoded.agent), (10, Some(key(9))));

    let order = es::BuyOrder {
        config: key(1),
        id: 2,
        bump: 3,
        merchant: key(4),
        price_minor: 725,
        currency: *b"CNY",
        remaining: 5,
        min_fill: 1,
        max_fill: 5,
        expiry: 99,
        payment_window_secs: 60,
        open: true,
        open_fills: 4,
    };
    assert_eq!(
        sol::BuyOrder::decode(&anchor_bytes(&order))
            .unwrap()
            .encode(),
        anchor_bytes(&order)
    );

    let proposal = ms::Proposal {
        multisig: key(1),
        index: 4,
        creator: key(2),
        created_at: 10,
        expires_at: 20,
        status: ms::ProposalStatus::Approved { timestamp: 15 },
        bump: 9,
        vote_capacity: 3,
        approved: vec![key(2), key(3)],
        rejected: vec![],
        cancelled: vec![key(4)],
        instructions: vec![stored_anchor(&Instruction {
            program_id: key(5),
            accounts: vec![solana_sdk::instruction::AccountMeta::new(key(6), false)],
            data: vec![1, 2, 3],
        })],
    };
    let decoded = sol::Proposal::decode(&anchor_bytes(&proposal)).unwrap();
    assert_eq!(
        decoded.status,
        sol::ProposalStatus::Approved { timestamp: 15 }
    );
    assert_eq!(decoded.encode(), anchor_bytes(&proposal));

    let multisig = ms::Multisig {
        create_key: key(1),
        threshold: 2,
        time_lock: 0,
        transaction_index: 7,
        stale_transaction_index: 3,
        bump: 1,
        vault_bump: 2,
        owners: vec![key(2), key(3), key(4)],
    };
    assert_eq!(
        sol::Multisig::decode(&anchor_bytes(&multisig))
            .unwrap()
            .encode(),
        anchor_bytes(&multisig)
    );
    // The wrong type is refused by its discriminator.
    assert!(sol::Deal::decode(&anchor_bytes(&multisig)).is_err());
}

/// One vocabulary (`sdk/src/vocabulary.rs`): the SDK's deal kinds and role bits
/// are the program's, byte for byte.
#[test]
fn deal_kinds_and_roles_are_the_programs() {
    use anchor_lang::prelude::borsh;
    use stablerail_sdk::{DealKind, Roles};
    let kinds = [
        (DealKind::Trade, es::DealKind::Trade),
        (DealKind::Collection, es::DealKind::Collection),
        (DealKind::Payout, es::DealKind::Payout),
    ];
    for (sdk, program) in kinds {
        let bytes = borsh::to_vec(&program).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(borsh::to_vec(&sdk).ok(), Some(bytes.clone()), "{sdk}");
        assert_eq!(bytes, vec![sdk.code()], "{sdk}");
    }
    assert_eq!(DealKind::ALL.len(), kinds.len());
    assert_eq!(
        [Roles::MERCHANT, Roles::ACCEPTOR, Roles::AGENT, Roles::ALL].map(Roles::bits),
        [
            es::ROLE_MERCHANT,
            es::ROLE_ACCEPTOR,
            es::ROLE_AGENT,
            es::ROLE_ALL
        ]
    );
}
