//! TRC20 calldata (ABI-encoded with alloy's `sol!`) and contract-call builders.

use alloy::primitives::{Address as EvmAddress, U256};
use alloy::sol;
use alloy::sol_types::SolCall;

use super::error::TronBuildError;
use crate::amount::Amount;
use crate::tron::address::Address;
use crate::tron::transaction::{Contract, Transfer, TriggerSmartContract};

sol! {
    /// The TRC20 (ERC20) functions the SDK calls.
    interface ITrc20 {
        /// Moves `value` smallest units to `to`.
        function transfer(address to, uint256 value) external returns (bool);
        /// The balance of `owner`.
        function balanceOf(address owner) external view returns (uint256);
    }
}

/// The mainnet USDT contract on TRON.
pub const USDT_MAINNET: &str = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";

/// The ABI word form of a TRON address: its 20-byte account id.
pub fn evm_address(address: &Address) -> EvmAddress {
    EvmAddress::from(address.evm_bytes())
}

/// Calldata of `transfer(to, amount)`.
pub fn transfer_calldata(to: &Address, amount: Amount) -> Vec<u8> {
    ITrc20::transferCall {
        to: evm_address(to),
        value: U256::from(amount.units()),
    }
    .abi_encode()
}

/// Calldata of `balanceOf(owner)`.
pub fn balance_of_calldata(owner: &Address) -> Vec<u8> {
    ITrc20::balanceOfCall {
        owner: evm_address(owner),
    }
    .abi_encode()
}

/// Decodes `transfer(to, amount)` calldata; `None` if it is another call or the
/// amount does not fit u64.
pub fn decode_transfer(data: &[u8]) -> Option<(Address, Amount)> {
    let call = ITrc20::transferCall::abi_decode(data).ok()?;
    let units = u64::try_from(call.value).ok()?;
    Some((
        Address::from_evm_bytes(call.to.into_array()),
        Amount::from_units(units),
    ))
}

impl TriggerSmartContract {
    /// A call of `contract` by `owner` with raw calldata and no TRX attached.
    pub fn new(owner: Address, contract: Address, data: Vec<u8>) -> Self {
        Self {
            owner,
            contract,
            call_value: 0,
            data,
            call_token_value: 0,
            token_id: 0,
        }
    }

    /// A call of any `sol!`-declared function (escrow, multisig, token…).
    pub fn call<C: SolCall>(owner: Address, contract: Address, call: &C) -> Self {
        Self::new(owner, contract, call.abi_encode())
    }

    /// Attaches TRX (sun) to the call.
    pub fn with_call_value(mut self, sun: i64) -> Self {
        self.call_value = sun;
        self
    }

    /// A TRC20 `transfer(to, amount)` of `token` from `owner`. Rejects a zero amount
    /// and a transfer to oneself.
    pub fn trc20_transfer(
        owner: Address,
        token: Address,
        to: Address,
        amount: Amount,
    ) -> Result<Self, TronBuildError> {
        if amount.is_zero() {
            return Err(TronBuildError::ZeroAmount);
        }
        if owner == to {
            return Err(TronBuildError::SelfTransfer);
        }
        Ok(Self::new(owner, token, transfer_calldata(&to, amount)))
    }
}

impl Transfer {
    /// A TRX transfer of `amount` (6 decimals, so units are sun). Rejects zero, a
    /// transfer to oneself and amounts above i64.
    pub fn trx(owner: Address, to: Address, amount: Amount) -> Result<Self, TronBuildError> {
        if amount.is_zero() {
            return Err(TronBuildError::ZeroAmount);
        }
        if owner == to {
            return Err(TronBuildError::SelfTransfer);
        }
        let amount_sun =
            i64::try_from(amount.units()).map_err(|_| TronBuildError::AmountRange {
                units: amount.units(),
            })?;
        Ok(Self {
            owner,
            to,
            amount_sun,
        })
    }
}

impl From<Transfer> for Contract {
    fn from(t: Transfer) -> Self {
        Self::Transfer(t)
    }
}

impl From<TriggerSmartContract> for Contract {
    fn from(t: TriggerSmartContract) -> Self {
        Self::TriggerSmartContract(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tron::signer::PrivateKey;
    use crate::tron::transaction::{RefBlock, Transaction, TransactionBuilder};

    fn addr(s: &str) -> Address {
        s.parse().unwrap()
    }

    #[test]
    fn transfer_calldata_layout() {
        let to = addr("413c9b65b212316904572826240224750eccce29a2");
        let data = transfer_calldata(&to, Amount::from_units(1_000_000));
        assert_eq!(data.len(), 4 + 32 + 32);
        assert_eq!(hex::encode(&data[..4]), "a9059cbb");
        assert_eq!(
            hex::encode(&data[4..36]),
            "0000000000000000000000003c9b65b212316904572826240224750eccce29a2"
        );
        assert_eq!(data[36..60], [0u8; 24]);
        assert_eq!(
            u64::from_be_bytes(data[60..68].try_into().unwrap()),
            1_000_000
        );
        assert_eq!(
            decode_transfer(&data),
            Some((to, Amount::from_units(1_000_000)))
        );
        assert_eq!(hex::encode(&balance_of_calldata(&to)[..4]), "70a08231");
        assert_eq!(decode_transfer(&balance_of_calldata(&to)), None);
    }

    #[test]
    fn trigger_round_trips_through_decode() {
        let key = PrivateKey::from_hex(&format!("{:064x}", 1)).unwrap();
        let token = addr(USDT_MAINNET);
        let to = addr("TPX6HK2NRN4XKRX1JAhbC827bm7gMmy5w1");
        let call = TriggerSmartContract::trc20_transfer(
            key.address(),
            token,
            to,
            Amount::from_units(12_345_678),
        )
        .unwrap();
        let block_id = [7u8; 32];
        let mut tx = TransactionBuilder::new(
            RefBlock::from_block(70_000_001, &block_id),
            1_700_000_000_000,
        )
        .with_fee_limit(30_000_000)
        .with_memo("order 42")
        .build(call.clone().into())
        .unwrap();
        tx.sign(&key).unwrap();
        let back = Transaction::from_hex(&tx.to_hex()).unwrap();
        assert_eq!(back, tx);
        assert_eq!(back.txid(), tx.txid());
        assert_eq!(
            back.raw_data().contract,
            Contract::TriggerSmartContract(call)
        );
        assert_eq!(back.raw_data().fee_limit, 30_000_000);
        assert_eq!(back.raw_data().memo, b"order 42");
        assert_eq!(back.signers()[0].clone().unwrap(), key.address());
        let view = back.view();
        let t = view.trc20_transfer.unwrap();
        assert_eq!((t.token, t.to, t.amount.units()), (token, to, 12_345_678));
    }

    #[test]
    fn rejects_zero_and_self_transfers() {
        let a = addr("TPX6HK2NRN4XKRX1JAhbC827bm7gMmy5w1");
        let b = addr("TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC");
        let t = addr(USDT_MAINNET);
        assert_eq!(
            TriggerSmartContract::trc20_transfer(a, t, b, Amount::ZERO),
            Err(TronBuildError::ZeroAmount)
        );
        assert_eq!(
            TriggerSmartContract::trc20_transfer(a, t, a, Amount::from_units(1)),
            Err(TronBuildError::SelfTransfer)
        );
        assert_eq!(
            Transfer::trx(a, a, Amount::from_units(1)),
            Err(TronBuildError::SelfTransfer)
        );
        assert!(matches!(
            Transfer::trx(a, b, Amount::MAX),
            Err(TronBuildError::AmountRange { .. })
        ));
    }
}
