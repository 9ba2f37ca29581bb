//! Solana blocks into rows: SPL Token / Token-2022 USDT transfers and the escrow's and
//! the multisig's events.
//!
//! The programs emit every event by self-CPI (docs/rules.md, "Events"): an inner
//! instruction to the program itself whose data is Anchor's event tag, the event's
//! discriminator and its borsh encoding, signed by the program's event-authority PDA.
//! Reading events from inner instructions rather than from `Program data:` log lines
//! keeps them whole (nodes cut logs past 10 KB) and lets nobody forge one: only the
//! program can sign for its event authority, and a failed transaction is skipped.
//!
//! Solana's events are translated here into the vocabulary of [`crate::events`], so the
//! derived tables are replayed by the same code on every chain; where the programs say
//! more in one event than the contracts do (the config's creation, all role holders at
//! once) the row keeps the program's own name.

pub mod block;
mod escrow;
mod multisig;

use std::collections::HashSet;

use anchor_lang::prelude::Pubkey;

use self::block::{CompiledInstruction, SolanaBlock, SolanaTransaction};
use super::{Rows, Transfer};
use crate::{
    config::ChainConfig,
    error::{Error, Result},
    events::EventRow,
};

/// SPL Token.
pub const TOKEN_PROGRAM: &str = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
/// SPL Token-2022.
pub const TOKEN_2022_PROGRAM: &str = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb";
/// SPL Token's `Transfer` instruction tag.
const TRANSFER: u8 = 3;
/// SPL Token's `TransferChecked` instruction tag.
const TRANSFER_CHECKED: u8 = 12;
/// Seed of a program's event-authority PDA (Anchor's `#[event_cpi]`).
const EVENT_AUTHORITY_SEED: &[u8] = b"__event_authority";

/// One program whose events are read: its id, event authority and the account (config
/// or multisig) of this deployment.
#[derive(Debug, Clone)]
struct Emitter {
    program: String,
    event_authority: String,
    deployment: String,
}

impl Emitter {
    fn new(program: Pubkey, deployment: String) -> Self {
        let (authority, _) = Pubkey::find_program_address(&[EVENT_AUTHORITY_SEED], &program);
        Self {
            program: program.to_string(),
            event_authority: authority.to_string(),
            deployment,
        }
    }

    /// The event payload (discriminator and borsh) if `ix` is this program's self-CPI.
    fn event_data(&self, keys: &[&str], ix: &CompiledInstruction) -> Option<Vec<u8>> {
        if keys.get(ix.program_id_index) != Some(&self.program.as_str()) {
            return None;
        }
        let signer = ix.accounts.first().and_then(|i| keys.get(*i))?;
        if *signer != self.event_authority {
            return None;
        }
        let data = bs58::decode(&ix.data).into_vec().ok()?;
        data.strip_prefix(anchor_lang::event::EVENT_IX_TAG_LE)
            .map(<[u8]>::to_vec)
    }
}

/// Decodes the blocks of one Solana chain section into [`Rows`].
#[derive(Debug, Clone)]
pub struct SolanaDecoder {
    mint: String,
    escrow: Option<Emitter>,
    multisig: Option<Emitter>,
    watched: HashSet<String>,
}

/// Where a decoded item sits: the block, its position among the block's items
/// (transfers and events, counted in execution order), and the transaction.
#[derive(Debug, Clone)]
pub(crate) struct Position<'a> {
    pub(crate) slot: u64,
    pub(crate) index: u64,
    pub(crate) block_hash: &'a str,
    pub(crate) block_time: i64,
    pub(crate) signature: &'a str,
}

impl Position<'_> {
    fn row<E>(&self, contract: &str, event: E) -> EventRow<E> {
        EventRow {
            block_number: self.slot,
            log_index: self.index,
            block_hash: self.block_hash.to_owned(),
            block_time: self.block_time,
            tx_hash: self.signature.to_owned(),
            contract: contract.to_owned(),
            event,
        }
    }

    pub(crate) fn error(&self, reason: String) -> Error {
        Error::Decode {
            block: self.slot,
            log_index: self.index,
            reason,
        }
    }
}

impl SolanaDecoder {
    /// The decoder a validated `kind = "solana"` chain section describes.
    pub fn new(cfg: &ChainConfig) -> Result<Self> {
        let n = cfg.normalized()?;
        Ok(Self {
            mint: n.usdt,
            escrow: n
                .escrow
                .map(|config| Emitter::new(stablerail_escrow::ID, config)),
            multisig: n.multisig.map(|m| Emitter::new(stablerail_multisig::ID, m)),
            watched: n.watched.into_iter().collect(),
        })
    }

    /// Decodes the block at `slot` into `rows`. Failed transactions are skipped (they
    /// changed nothing but a fee); an event of a known program that does not decode is an
    /// error, as on the other chains.
    pub fn decode_block(&self, slot: u64, block: &SolanaBlock, rows: &mut Rows) -> Result<()> {
        let block_time = block.block_time.ok_or_else(|| Error::Decode {
            block: slot,
            log_index: 0,
            reason: "the node returned no blockTime".into(),
        })?;
        let mut index = 0u64;
        for tx in block.transactions.iter().filter(|t| t.succeeded()) {
            let Some(signature) = tx.transaction.signatures.first() else {
                continue;
            };
            let keys = tx.keys();
            for ix in tx.instructions_in_order() {
                let at = Position {
                    slot,
                    index,
                    block_hash: &block.blockhash,
                    block_time,
                    signature,
                };
                if self.decode_instruction(tx, &keys, ix, &at, rows)? {
                    index += 1;
                }
            }
        }
        Ok(())
    }

    /// Decodes one instruction; true if it was a transfer or an event (it took an index).
    fn decode_instruction(
        &self,
        tx: &SolanaTransaction,
        keys: &[&str],
        ix: &CompiledInstruction,
        at: &Position<'_>,
        rows: &mut Rows,
    ) -> Result<bool> {
        let program = keys
            .get(ix.program_id_index)
            .ok_or_else(|| at.error("program index outside the account keys".into()))?;
        if *program == TOKEN_PROGRAM || *program == TOKEN_2022_PROGRAM {
            return self.decode_transfer(tx, keys, ix, at, rows);
        }
        if let Some(e) = &self.escrow
            && let Some(data) = e.event_data(keys, ix)
        {
            if let Some(event) = escrow::decode(&data, &e.deployment, at)? {
                rows.escrow_events.push(at.row(&e.deployment, event));
            }
            return Ok(true);
        }
        if let Some(m) = &self.multisig
            && let Some(data) = m.event_data(keys, ix)
        {
            if let Some(event) = multisig::decode(&data, &m.deployment, at)? {
                rows.multisig_events.push(at.row(&m.deployment, event));
            }
            return Ok(true);
        }
        Ok(false)
    }

    /// A `Transfer` or `TransferChecked` of the configured mint. The wallets (token
    /// account owners) are what the row records, as a merchant configures and pays them;
    /// a node that reports no owner leaves the token account itself.
    fn decode_transfer(
        &self,
        tx: &SolanaTransaction,
        keys: &[&str],
        ix: &CompiledInstruction,
        at: &Position<'_>,
        rows: &mut Rows,
    ) -> Result<bool> {
        let data = bs58::decode(&ix.data)
            .into_vec()
            .map_err(|_| at.error("token instruction data is not base58".into()))?;
        let (source, mint_at, destination) = match data.first() {
            Some(&TRANSFER) => (0, None, 1),
            Some(&TRANSFER_CHECKED) => (0, Some(1), 2),
            _ => return Ok(false),
        };
        let amount = data
            .get(1..9)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_le_bytes)
            .ok_or_else(|| at.error("token transfer without an 8-byte amount".into()))?;
        let account = |i: usize| -> Result<usize> {
            ix.accounts
                .get(i)
                .copied()
                .filter(|k| *k < keys.len())
                .ok_or_else(|| at.error("token transfer account outside the keys".into()))
        };
        let (source, destination) = (account(source)?, account(destination)?);
        let balances = tx.meta.as_ref().map(|m| {
            m.pre_token_balances
                .iter()
                .chain(m.post_token_balances.iter())
                .flatten()
                .collect::<Vec<_>>()
        });
        let balance_of = |i: usize| balances.iter().flatten().find(|b| b.account_index == i);
        let mint = match mint_at {
            Some(m) => keys[account(m)?].to_owned(),
            None => match balance_of(source).or_else(|| balance_of(destination)) {
                Some(b) => b.mint.clone(),
                None => return Ok(true),
            },
        };
        if mint != self.mint {
            return Ok(true);
        }
        let owner = |i: usize| {
            balance_of(i)
                .and_then(|b| b.owner.clone())
                .unwrap_or_else(|| keys[i].to_owned())
        };
        let (from, to) = (owner(source), owner(destination));
        if !self.watched.is_empty() && !self.watched.contains(&from) && !self.watched.contains(&to)
        {
            return Ok(true);
        }
        rows.transfers.push(Transfer {
            block_number: at.slot,
            log_index: at.index,
            block_hash: at.block_hash.to_owned(),
            block_time: at.block_time,
            tx_hash: at.signature.to_owned(),
            token: self.mint.clone(),
            from,
            to,
            amount: amount.to_string(),
        });
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use anchor_lang::Event;
    use stablerail_escrow::{events as ev, state::DealKind};

    use super::*;
    use crate::{config::Config, events::EscrowEvent};

    const MINT: &str = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB";

    fn key(n: u8) -> Pubkey {
        Pubkey::new_from_array([n; 32])
    }

    fn decoder(config: &Pubkey, watched: &[&Pubkey]) -> SolanaDecoder {
        let watched: Vec<String> = watched.iter().map(|k| format!("\"{k}\"")).collect();
        let cfg = Config::parse(&format!(
            r#"
            [chains.sol]
            kind = "solana"
            rpc_urls = ["http://127.0.0.1:8899"]
            usdt = "{MINT}"
            escrow = "{config}"
            watched = [{}]
            "#,
            watched.join(",")
        ))
        .unwrap();
        SolanaDecoder::new(cfg.chain("sol").unwrap()).unwrap()
    }

    /// A block of one transaction: a top-level escrow instruction whose CPIs are a
    /// `TransferChecked` of `amount` from `from_ata` (owner `from`) to `to_ata` (owner
    /// `to`) and the program's self-CPI carrying `event`.
    fn block(event: &[u8], amount: u64, err: bool) -> (SolanaBlock, [Pubkey; 4]) {
        let (from, to, from_ata, to_ata) = (key(1), key(2), key(3), key(4));
        let program = stablerail_escrow::ID;
        let (authority, _) = Pubkey::find_program_address(&[EVENT_AUTHORITY_SEED], &program);
        let keys = [
            from.to_string(),
            from_ata.to_string(),
            to_ata.to_string(),
            MINT.to_owned(),
            program.to_string(),
            authority.to_string(),
            TOKEN_PROGRAM.to_owned(),
        ];
        let mut transfer = vec![TRANSFER_CHECKED];
        transfer.extend(amount.to_le_bytes());
        transfer.push(6);
        let mut cpi = anchor_lang::event::EVENT_IX_TAG_LE.to_vec();
        cpi.extend(event);
        let json = serde_json::json!({
            "blockHeight": 9, "blockTime": 1_700_000_000, "blockhash": key(9).to_string(),
            "parentSlot": 10, "previousBlockhash": key(8).to_string(),
            "transactions": [{
                "transaction": {
                    "signatures": [bs58::encode([5u8; 64]).into_string()],
                    "message": {
                        "accountKeys": keys,
                        "instructions": [{"programIdIndex": 4, "accounts": [0], "data": "1"}]
                    }
                },
                "meta": {
                    "err": if err { serde_json::json!({"InstructionError": [0, "Custom"]}) } else { serde_json::Value::Null },
                    "innerInstructions": [{"index": 0, "instructions": [
                        {"programIdIndex": 6, "accounts": [1, 3, 2, 0], "data": bs58::encode(&transfer).into_string()},
                        {"programIdIndex": 4, "accounts": [5], "data": bs58::encode(&cpi).into_string()}
                    ]}],
                    "preTokenBalances": [
                        {"accountIndex": 1, "mint": MINT, "owner": from.to_string(),
                         "uiTokenAmount": {"amount": "900", "decimals": 6}},
                        {"accountIndex": 2, "mint": MINT, "owner": to.to_string(),
                         "uiTokenAmount": {"amount": "0", "decimals": 6}}
                    ],
                    "postTokenBalances": []
                }
            }]
        });
        (
            serde_json::from_value(json).unwrap(),
            [from, to, from_ata, to_ata],
        )
    }

    fn deposited(config: Pubkey, wallet: Pubkey) -> Vec<u8> {
        ev::Deposited {
            config,
            wallet,
            amount: 700,
            available: 700,
        }
        .data()
    }

    #[test]
    fn transfer_and_event_of_one_transaction() {
        let config = key(7);
        let (b, [from, to, ..]) = block(&deposited(config, key(1)), 700, false);
        let mut rows = Rows::default();
        decoder(&config, &[])
            .decode_block(11, &b, &mut rows)
            .unwrap();
        assert_eq!(rows.transfers.len(), 1);
        let t = &rows.transfers[0];
        assert_eq!(
            (t.from.as_str(), t.to.as_str()),
            (from.to_string().as_str(), to.to_string().as_str())
        );
        assert_eq!(
            (t.amount.as_str(), t.log_index, t.block_time),
            ("700", 0, 1_700_000_000)
        );
        assert_eq!(t.token, MINT);
        assert_eq!(rows.escrow_events.len(), 1);
        let e = &rows.escrow_events[0];
        assert_eq!(e.log_index, 1);
        assert_eq!(e.contract, config.to_string());
        assert_eq!(
            e.event,
            EscrowEvent::Deposited {
                account: key(1).to_string(),
                amount: crate::Amount::from(700u64)
            }
        );
    }

    #[test]
    fn failed_transactions_other_configs_and_unwatched_transfers_give_nothing() {
        let config = key(7);
        let (b, _) = block(&deposited(config, key(1)), 700, true);
        let mut rows = Rows::default();
        decoder(&config, &[])
            .decode_block(11, &b, &mut rows)
            .unwrap();
        assert!(rows.transfers.is_empty() && rows.escrow_events.is_empty());

        let (b, _) = block(&deposited(key(6), key(1)), 700, false);
        decoder(&config, &[&key(42)])
            .decode_block(11, &b, &mut rows)
            .unwrap();
        assert!(rows.transfers.is_empty() && rows.escrow_events.is_empty());
    }

    #[test]
    fn forged_and_malformed_events() {
        let config = key(7);
        // A payload with a known discriminator but a cut body is an error, not a skip.
        let mut cut = deposited(config, key(1));
        cut.truncate(20);
        let (b, _) = block(&cut, 1, false);
        let err = decoder(&config, &[]).decode_block(11, &b, &mut Rows::default());
        assert!(
            matches!(err, Err(Error::Decode { block: 11, .. })),
            "{err:?}"
        );
        // An unknown discriminator from the program is an error too.
        let (b, _) = block(&[0u8; 16], 1, false);
        assert!(
            decoder(&config, &[])
                .decode_block(11, &b, &mut Rows::default())
                .is_err()
        );
        // The same bytes signed by another account than the event authority are no event.
        let (mut b, _) = block(&deposited(config, key(1)), 700, false);
        b.transactions[0]
            .meta
            .as_mut()
            .unwrap()
            .inner_instructions
            .as_mut()
            .unwrap()[0]
            .instructions[1]
            .accounts = vec![0];
        let mut rows = Rows::default();
        decoder(&config, &[])
            .decode_block(11, &b, &mut rows)
            .unwrap();
        assert!(rows.escrow_events.is_empty());
    }

    #[test]
    fn settled_deal_maps_to_the_contract_vocabulary() {
        let config = key(7);
        let settled = ev::DealSettled {
            config,
            deal_id: 3,
            kind: DealKind::Trade,
            outcome: stablerail_escrow::state::DealState::Resolved,
            buyer_share_bps: 2_500,
            seller: key(1),
            buyer: key(2),
            merchant: key(2),
            agent: None,
            treasury: key(5),
            amount: 1_000,
            gross: 250,
            fee_bps: 100,
            fee: 2,
            agent_cut: 0,
            reward: 0,
            platform: 2,
            buyer_net: 248,
            refund: 750,
            reference: [0; 32],
        }
        .data();
        let (b, _) = block(&settled, 1, false);
        let mut rows = Rows::default();
        decoder(&config, &[])
            .decode_block(11, &b, &mut rows)
            .unwrap();
        let EscrowEvent::DealResolved {
            seller_refund,
            settlement,
            buyer_share_bps,
            ..
        } = &rows.escrow_events[0].event
        else {
            panic!("{:?}", rows.escrow_events);
        };
        assert_eq!((*seller_refund, *buyer_share_bps), (750u64.into(), 2_500));
        assert_eq!(
            (settlement.amount, settlement.buyer_net, settlement.platform),
            (250u64.into(), 248u64.into(), 2u64.into())
        );
    }
}
