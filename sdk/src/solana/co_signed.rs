//! A co-signed outflow handed to its owner (DESIGN §4.1, docs/rules.md "Co-signer
//! and daily allowance"). On Solana the co-signer is a signer of the transaction
//! itself, so a co-signing service (the gateway) builds the owner's `withdraw` or
//! `deal_release`, signs it as co-signer only, and hands it over with the owner's
//! signature slot empty. The owner reads it back here before adding its signature:
//! one escrow outflow approved by a co-signer, paid by the owner, and nothing else.

use solana_hash::Hash;
use solana_pubkey::Pubkey;
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::Transaction;

use super::codec::{DISCRIMINATOR_LEN, instruction_discriminator};
use super::error::SolanaError;
use super::pda::{self, ESCROW_PROGRAM_ID};
use crate::Amount;

/// The compute-budget program: the only other program a co-signed outflow may call.
const COMPUTE_BUDGET_ID: Pubkey =
    solana_pubkey::pubkey!("ComputeBudget111111111111111111111111111111");

/// What a co-signed outflow does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoSignedAction {
    /// `withdraw` of `amount` to the token account `destination`.
    Withdraw {
        /// The amount withdrawn.
        amount: Amount,
        /// The token account credited.
        destination: Pubkey,
    },
    /// `deal_release` of the deal account `deal`, as seller.
    Release {
        /// The deal's account (its PDA; the id is in its data).
        deal: Pubkey,
    },
}

/// A transaction read back as one co-signed escrow outflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoSignedOutflow {
    /// The transaction, co-signed, the owner's slot empty.
    pub transaction: Transaction,
    /// The owner: fee payer and the outflow's authority.
    pub owner: Pubkey,
    /// The co-signer, whose signature is in place and valid.
    pub co_signer: Pubkey,
    /// The escrow deployment (its config account).
    pub config: Pubkey,
    /// The outflow.
    pub action: CoSignedAction,
    /// The compute-unit limit it sets, if any.
    pub compute_unit_limit: Option<u32>,
    /// The compute-unit price it sets (micro-lamports per unit; 0 without one).
    pub compute_unit_price: u64,
}

fn refuse(reason: impl Into<String>) -> SolanaError {
    SolanaError::CoSigned {
        reason: reason.into(),
    }
}

impl CoSignedOutflow {
    /// Reads `tx` as a co-signed outflow: exactly two signers (the owner paying
    /// the fee, then the co-signer), the co-signer's signature valid and the
    /// owner's slot empty, one `withdraw` or `deal_release` of the escrow program
    /// whose authority is the owner and whose co-signer account is the co-signer,
    /// and otherwise only a compute-unit limit and price. Anything else is refused.
    pub fn read(tx: Transaction) -> Result<Self, SolanaError> {
        let msg = &tx.message;
        let keys = &msg.account_keys;
        let signers = usize::from(msg.header.num_required_signatures);
        if signers != 2 || tx.signatures.len() != 2 || keys.len() < 2 {
            return Err(refuse(format!(
                "it has {signers} signers; a co-signed outflow has two, the owner (fee payer) and the co-signer"
            )));
        }
        let (owner, co_signer) = (keys[0], keys[1]);
        let key = |i: u8| {
            keys.get(usize::from(i))
                .copied()
                .ok_or_else(|| refuse("an instruction names an account the message lacks"))
        };
        let (mut limit, mut price, mut outflow) = (None, None, None);
        for (n, ix) in msg.instructions.iter().enumerate() {
            let program = key(ix.program_id_index)?;
            if program == COMPUTE_BUDGET_ID {
                match ix.data.split_first() {
                    Some((2, rest)) if limit.is_none() => {
                        let units: [u8; 4] = rest
                            .try_into()
                            .map_err(|_| refuse("malformed compute-unit limit"))?;
                        limit = Some(u32::from_le_bytes(units));
                    }
                    Some((3, rest)) if price.is_none() => {
                        let micro: [u8; 8] = rest
                            .try_into()
                            .map_err(|_| refuse("malformed compute-unit price"))?;
                        price = Some(u64::from_le_bytes(micro));
                    }
                    _ => {
                        return Err(refuse(format!(
                            "instruction {n} is a compute-budget instruction other than one unit limit and one price"
                        )));
                    }
                }
                continue;
            }
            if program != ESCROW_PROGRAM_ID {
                return Err(refuse(format!(
                    "instruction {n} calls program {program}, not the escrow program"
                )));
            }
            if outflow.is_some() {
                return Err(refuse("it has more than one escrow instruction"));
            }
            let accounts = ix
                .accounts
                .iter()
                .map(|i| key(*i))
                .collect::<Result<Vec<_>, _>>()?;
            outflow = Some(escrow_outflow(&accounts, &ix.data, &owner, &co_signer)?);
        }
        let (config, action) =
            outflow.ok_or_else(|| refuse("it has no escrow withdraw or deal_release"))?;
        if tx.signatures[0] != Signature::default() {
            return Err(refuse("the owner's signature slot is not empty"));
        }
        if tx.verify_with_results().get(1) != Some(&true) {
            return Err(refuse(format!(
                "the co-signer {co_signer} has not signed this message"
            )));
        }
        Ok(Self {
            transaction: tx,
            owner,
            co_signer,
            config,
            action,
            compute_unit_limit: limit,
            compute_unit_price: price.unwrap_or(0),
        })
    }

    /// The escrow instruction: `withdraw` or `deal_release`.
    pub fn instruction(&self) -> &'static str {
        match self.action {
            CoSignedAction::Withdraw { .. } => "withdraw",
            CoSignedAction::Release { .. } => "deal_release",
        }
    }

    /// The blockhash the transaction was built on (it expires with it).
    pub fn blockhash(&self) -> Hash {
        self.transaction.message.recent_blockhash
    }

    /// Adds the owner's signature (the fee payer's slot); refuses any key other
    /// than the owner. The result is fully signed.
    pub fn sign_as_owner(self, owner: &dyn Signer) -> Result<Transaction, SolanaError> {
        if owner.pubkey() != self.owner {
            return Err(refuse(format!(
                "the key {} is not its owner and fee payer {}",
                owner.pubkey(),
                self.owner
            )));
        }
        let mut tx = self.transaction;
        tx.signatures[0] =
            owner
                .try_sign_message(&tx.message_data())
                .map_err(|e| SolanaError::Signing {
                    reason: e.to_string(),
                })?;
        Ok(tx)
    }
}

/// The config and action of an escrow instruction, if it is a co-signed outflow of
/// `owner` approved by `co_signer` (the accounts as the SDK's builders lay them out).
fn escrow_outflow(
    accounts: &[Pubkey],
    data: &[u8],
    owner: &Pubkey,
    co_signer: &Pubkey,
) -> Result<(Pubkey, CoSignedAction), SolanaError> {
    let (disc, args) = data
        .split_at_checked(DISCRIMINATOR_LEN)
        .ok_or_else(|| refuse("escrow instruction data too short"))?;
    // withdraw: owner, config, account, mint, token program, vault, destination,
    // co-signer, event authority, program. deal_release: owner, config, deal, seller,
    // buyer, agent, treasury, rent payer, order, merchant, co-signer, event
    // authority, program.
    let (co_signer_at, action) = if disc == instruction_discriminator("withdraw").as_slice() {
        let units: [u8; 8] = args
            .try_into()
            .map_err(|_| refuse("malformed withdraw amount"))?;
        let amount = Amount::from_units(u64::from_le_bytes(units));
        if accounts.len() != 10 || amount.is_zero() {
            return Err(refuse("malformed withdraw"));
        }
        let action = CoSignedAction::Withdraw {
            amount,
            destination: accounts[6],
        };
        (7, action)
    } else if disc == instruction_discriminator("deal_release").as_slice() {
        if accounts.len() != 13 || !args.is_empty() {
            return Err(refuse("malformed deal_release"));
        }
        (10, CoSignedAction::Release { deal: accounts[2] })
    } else {
        return Err(refuse(
            "its escrow instruction is neither withdraw nor deal_release",
        ));
    };
    let config = accounts[1];
    if accounts[0] != *owner {
        return Err(refuse(format!(
            "the outflow's authority {} is not the fee payer {owner}",
            accounts[0]
        )));
    }
    if accounts[co_signer_at] != *co_signer {
        return Err(refuse(format!(
            "the outflow's co-signer account {} is not the second signer {co_signer}",
            accounts[co_signer_at]
        )));
    }
    // A withdraw moves the owner's own account; a release debits the seller's.
    let own = if matches!(action, CoSignedAction::Withdraw { .. }) {
        accounts[2]
    } else {
        accounts[3]
    };
    if own != pda::escrow_account(&config, owner) {
        return Err(refuse(
            "the outflow does not debit the owner's escrow account",
        ));
    }
    Ok((config, action))
}

#[cfg(test)]
mod tests {
    use solana_keypair::Keypair;

    use super::*;
    use crate::solana::{EscrowProgram, SettlementParties, TransactionBuilder};

    fn withdrawal(
        owner: &Keypair,
        co: &Keypair,
        extra: Vec<solana_instruction::Instruction>,
    ) -> Transaction {
        let escrow = EscrowProgram::for_creator(&Pubkey::new_from_array([1; 32]));
        let ix = escrow
            .withdraw_cosigned(
                &owner.pubkey(),
                &Pubkey::new_from_array([2; 32]),
                &Pubkey::new_from_array([3; 32]),
                &pda::TOKEN_PROGRAM_ID,
                Amount::from_units(5_000_000),
                &co.pubkey(),
            )
            .unwrap();
        TransactionBuilder::new(owner.pubkey())
            .with_compute_unit_limit(200_000)
            .with_compute_unit_price(7)
            .with_instruction(ix)
            .with_instructions(extra)
            .partial_sign(Hash::new_from_array([9; 32]), &[co as &dyn Signer])
            .unwrap()
    }

    #[test]
    fn a_co_signed_withdrawal_reads_back_and_only_its_owner_signs() {
        let (owner, co) = (Keypair::new(), Keypair::new());
        let tx = withdrawal(&owner, &co, vec![]);
        let read = CoSignedOutflow::read(tx.clone()).unwrap();
        assert_eq!(read.owner, owner.pubkey());
        assert_eq!(read.co_signer, co.pubkey());
        assert_eq!(read.instruction(), "withdraw");
        assert_eq!(
            read.action,
            CoSignedAction::Withdraw {
                amount: Amount::from_units(5_000_000),
                destination: Pubkey::new_from_array([2; 32])
            }
        );
        assert_eq!(
            (read.compute_unit_limit, read.compute_unit_price),
            (Some(200_000), 7)
        );
        // Another key is refused; the owner's signature completes it.
        assert!(read.clone().sign_as_owner(&Keypair::new()).is_err());
        let signed = read.sign_as_owner(&owner).unwrap();
        signed.verify().unwrap();
        // Already signed by the owner: not read again.
        assert!(CoSignedOutflow::read(signed).is_err());
    }

    #[test]
    fn anything_but_one_co_signed_outflow_is_refused() {
        let (owner, co) = (Keypair::new(), Keypair::new());
        // A transfer of lamports riding along.
        let extra = solana_instruction::Instruction::new_with_bytes(
            pda::SYSTEM_PROGRAM_ID,
            &[2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
            vec![
                solana_instruction::AccountMeta::new(owner.pubkey(), true),
                solana_instruction::AccountMeta::new(co.pubkey(), false),
            ],
        );
        let err = CoSignedOutflow::read(withdrawal(&owner, &co, vec![extra])).unwrap_err();
        assert!(err.to_string().contains("not the escrow program"), "{err}");
        // The co-signer's signature broken.
        let mut tx = withdrawal(&owner, &co, vec![]);
        tx.signatures[1] = Signature::from([7; 64]);
        let err = CoSignedOutflow::read(tx).unwrap_err();
        assert!(err.to_string().contains("has not signed"), "{err}");
        // An outflow paid by another key than its authority: three signers.
        let escrow = EscrowProgram::for_creator(&Pubkey::new_from_array([1; 32]));
        let parties = SettlementParties {
            seller: owner.pubkey(),
            buyer: Pubkey::new_from_array([4; 32]),
            agent: None,
            treasury: Pubkey::new_from_array([5; 32]),
            rent_payer: owner.pubkey(),
            merchant: Pubkey::new_from_array([4; 32]),
            order_id: None,
        };
        let release = escrow.deal_release_cosigned(&owner.pubkey(), 3, &parties, &co.pubkey());
        let payer = Keypair::new();
        let tx = TransactionBuilder::new(payer.pubkey())
            .with_instruction(release.clone())
            .partial_sign(Hash::default(), &[&co as &dyn Signer])
            .unwrap();
        assert!(CoSignedOutflow::read(tx).is_err());
        // The same release paid by its seller reads back.
        let tx = TransactionBuilder::new(owner.pubkey())
            .with_instruction(release)
            .partial_sign(Hash::default(), &[&co as &dyn Signer])
            .unwrap();
        let read = CoSignedOutflow::read(tx).unwrap();
        assert_eq!(
            read.action,
            CoSignedAction::Release {
                deal: escrow.deal(3)
            }
        );
        // An outflow without a co-signer is not a co-signed one.
        let plain = escrow.deal_release(&owner.pubkey(), 3, &parties);
        let tx = TransactionBuilder::new(owner.pubkey())
            .with_instruction(plain)
            .build(Hash::default())
            .unwrap();
        assert!(CoSignedOutflow::read(tx).is_err());
    }
}
