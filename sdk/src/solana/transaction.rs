//! Transaction assembly and signing: compute budget first, then the
//! instructions; one fee payer, a recent blockhash, any number of signers.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use solana_hash::Hash;
use solana_instruction::Instruction;
use solana_message::Message;
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use solana_transaction::Transaction;

use super::error::SolanaError;
use crate::solana::compute_budget::{compute_unit_limit, compute_unit_price};

/// Largest serialized transaction that fits one packet (1280 - 48 bytes of headers).
pub const PACKET_DATA_SIZE: usize = 1232;

/// Builds a legacy transaction: optional compute-unit limit and price, then the
/// instructions, paid by `fee_payer`.
#[derive(Debug, Clone)]
pub struct TransactionBuilder {
    fee_payer: Pubkey,
    instructions: Vec<Instruction>,
    compute_unit_limit: Option<u32>,
    compute_unit_price: Option<u64>,
}

impl TransactionBuilder {
    /// An empty transaction paid by `fee_payer`.
    pub fn new(fee_payer: Pubkey) -> Self {
        Self {
            fee_payer,
            instructions: Vec::new(),
            compute_unit_limit: None,
            compute_unit_price: None,
        }
    }

    /// Appends an instruction.
    pub fn with_instruction(mut self, instruction: Instruction) -> Self {
        self.instructions.push(instruction);
        self
    }

    /// Appends instructions.
    pub fn with_instructions(
        mut self,
        instructions: impl IntoIterator<Item = Instruction>,
    ) -> Self {
        self.instructions.extend(instructions);
        self
    }

    /// Sets the compute-unit limit.
    pub fn with_compute_unit_limit(mut self, units: u32) -> Self {
        self.compute_unit_limit = Some(units);
        self
    }

    /// Sets the compute-unit price, micro-lamports per CU (see
    /// [`PriorityFeePolicy`](crate::solana::PriorityFeePolicy)).
    pub fn with_compute_unit_price(mut self, micro_lamports: u64) -> Self {
        self.compute_unit_price = Some(micro_lamports);
        self
    }

    /// The instructions in transaction order (compute budget first).
    pub fn instructions(&self) -> Vec<Instruction> {
        let mut all = Vec::with_capacity(self.instructions.len() + 2);
        if let Some(units) = self.compute_unit_limit {
            all.push(compute_unit_limit(units));
        }
        if let Some(price) = self.compute_unit_price {
            all.push(compute_unit_price(price));
        }
        all.extend(self.instructions.iter().cloned());
        all
    }

    /// The unsigned transaction on `blockhash`.
    pub fn build(&self, blockhash: Hash) -> Result<Transaction, SolanaError> {
        if self.instructions.is_empty() {
            return Err(SolanaError::NoInstructions);
        }
        let message =
            Message::new_with_blockhash(&self.instructions(), Some(&self.fee_payer), &blockhash);
        Ok(Transaction::new_unsigned(message))
    }

    /// The transaction on `blockhash`, signed by every signer it needs (the fee
    /// payer included), and checked to fit one packet.
    pub fn sign(
        &self,
        blockhash: Hash,
        signers: &[&dyn Signer],
    ) -> Result<Transaction, SolanaError> {
        let mut tx = self.build(blockhash)?;
        tx.try_sign(signers, blockhash)
            .map_err(|e| SolanaError::Signing {
                reason: e.to_string(),
            })?;
        fits_one_packet(tx)
    }

    /// The transaction on `blockhash` signed by `signers` only: the other signers'
    /// slots stay empty for their holders to fill (a co-signer signs first and
    /// hands the transaction to the fee payer). Checked to fit one packet.
    pub fn partial_sign(
        &self,
        blockhash: Hash,
        signers: &[&dyn Signer],
    ) -> Result<Transaction, SolanaError> {
        let mut tx = self.build(blockhash)?;
        let required = usize::from(tx.message.header.num_required_signatures);
        let data = tx.message_data();
        for signer in signers {
            let key = signer.pubkey();
            let slot = tx
                .message
                .account_keys
                .iter()
                .take(required)
                .position(|k| *k == key)
                .ok_or_else(|| SolanaError::Signing {
                    reason: format!("{key} is not a signer of this transaction"),
                })?;
            tx.signatures[slot] =
                signer
                    .try_sign_message(&data)
                    .map_err(|e| SolanaError::Signing {
                        reason: e.to_string(),
                    })?;
        }
        fits_one_packet(tx)
    }
}

/// The wire bytes of a transaction.
pub fn encode(tx: &Transaction) -> Result<Vec<u8>, SolanaError> {
    bincode::serialize(tx).map_err(|e| SolanaError::TransactionDecode {
        reason: e.to_string(),
    })
}

/// The wire bytes in base64, as `sendTransaction` takes them.
pub fn encode_base64(tx: &Transaction) -> Result<String, SolanaError> {
    Ok(BASE64.encode(encode(tx)?))
}

/// Decodes a base64 transaction (e.g. printed by the CLI).
pub fn decode_base64(text: &str) -> Result<Transaction, SolanaError> {
    let bytes = BASE64
        .decode(text.trim())
        .map_err(|e| SolanaError::TransactionDecode {
            reason: e.to_string(),
        })?;
    bincode::deserialize(&bytes).map_err(|e| SolanaError::TransactionDecode {
        reason: e.to_string(),
    })
}

/// `tx` if its wire form fits one packet, else `TransactionTooLarge`.
fn fits_one_packet(tx: Transaction) -> Result<Transaction, SolanaError> {
    let size = encode(&tx)?.len();
    if size > PACKET_DATA_SIZE {
        return Err(SolanaError::TransactionTooLarge {
            size,
            max: PACKET_DATA_SIZE,
        });
    }
    Ok(tx)
}

#[cfg(test)]
mod tests {
    use solana_keypair::Keypair;

    use super::*;
    use crate::solana::pda::SYSTEM_PROGRAM_ID;

    fn noop(signer: Pubkey) -> Instruction {
        Instruction::new_with_bytes(
            SYSTEM_PROGRAM_ID,
            &[],
            vec![solana_instruction::AccountMeta::new_readonly(signer, true)],
        )
    }

    #[test]
    fn signs_with_several_signers_and_round_trips() {
        let payer = Keypair::new_from_array([1; 32]);
        let other = Keypair::new_from_array([2; 32]);
        let blockhash = Hash::new_from_array([3; 32]);
        let b = TransactionBuilder::new(payer.pubkey())
            .with_compute_unit_limit(100_000)
            .with_compute_unit_price(42)
            .with_instruction(noop(other.pubkey()));
        let tx = b.sign(blockhash, &[&payer, &other]).unwrap();
        assert_eq!(tx.signatures.len(), 2);
        assert_eq!(tx.message.account_keys[0], payer.pubkey());
        assert_eq!(tx.message.recent_blockhash, blockhash);
        assert_eq!(tx.message.instructions.len(), 3);
        tx.verify().unwrap();
        let back = decode_base64(&encode_base64(&tx).unwrap()).unwrap();
        assert_eq!(back, tx);
        // A missing signer is an error, not a half-signed transaction.
        let err = b.sign(blockhash, &[&payer]).unwrap_err();
        assert!(matches!(err, SolanaError::Signing { .. }), "{err}");
        // A signer the message does not need is refused too.
        let stranger = Keypair::new_from_array([4; 32]);
        assert!(b.sign(blockhash, &[&payer, &other, &stranger]).is_err());
        assert_eq!(
            TransactionBuilder::new(payer.pubkey()).build(blockhash),
            Err(SolanaError::NoInstructions)
        );
        assert!(decode_base64("not base64!").is_err());
    }

    #[test]
    fn oversized_transactions_are_refused() {
        let payer = Keypair::new_from_array([1; 32]);
        let big = Instruction::new_with_bytes(SYSTEM_PROGRAM_ID, &[0; 1300], vec![]);
        let err = TransactionBuilder::new(payer.pubkey())
            .with_instruction(big)
            .sign(Hash::default(), &[&payer])
            .unwrap_err();
        assert!(matches!(err, SolanaError::TransactionTooLarge { .. }));
    }
}
