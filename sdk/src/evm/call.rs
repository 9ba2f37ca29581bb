//! Reading from and sending to a contract through alloy's call builders, with
//! errors that name the call: the helpers every EVM client here uses.

use std::time::Duration;

use alloy::{
    contract::{CallBuilder, CallDecoder},
    network::Ethereum,
    primitives::Address,
    providers::Provider,
    rpc::types::TransactionReceipt,
    sol_types::SolEvent,
};

use super::error::EvmError;
use super::fees::Eip1559Fees;

/// How long to wait for a sent transaction's receipt before giving up with an
/// error, so a dropped transaction never hangs the caller.
const RECEIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// Reads `call` from the contract (`eth_call`), naming it in the error.
pub(crate) async fn read<P, D>(
    name: &'static str,
    call: CallBuilder<P, D, Ethereum>,
) -> Result<D::CallOutput, EvmError>
where
    P: Provider,
    D: CallDecoder,
{
    call.call().await.map_err(|e| EvmError::call(name, e))
}

/// Simulates a contract call, then sends it and waits for its receipt.
///
/// The simulation (`eth_call`) comes first so a call the contract would reject
/// fails with its decoded custom error before anything is signed: nothing is
/// broadcast and no nonce is used up.
pub(crate) async fn send<P, D>(
    name: &'static str,
    call: CallBuilder<P, D, Ethereum>,
    fees: Option<Eip1559Fees>,
) -> Result<TransactionReceipt, EvmError>
where
    P: Provider,
    D: CallDecoder,
{
    let call = match fees {
        Some(f) => call
            .max_fee_per_gas(f.max_fee_per_gas)
            .max_priority_fee_per_gas(f.max_priority_fee_per_gas),
        None => call,
    };
    call.call_raw().await.map_err(|e| EvmError::call(name, e))?;
    let pending = call.send().await.map_err(|e| EvmError::call(name, e))?;
    let receipt = pending
        .with_timeout(Some(RECEIPT_TIMEOUT))
        .get_receipt()
        .await
        .map_err(|e| EvmError::Rpc {
            call: name,
            message: e.to_string(),
        })?;
    if !receipt.status() {
        return Err(EvmError::Reverted {
            call: name,
            tx_hash: receipt.transaction_hash,
        });
    }
    Ok(receipt)
}

/// The first log of event `E` emitted by `emitter` in `receipt`.
pub(crate) fn event<E: SolEvent>(
    receipt: &TransactionReceipt,
    emitter: Address,
) -> Result<E, EvmError> {
    receipt
        .inner
        .logs()
        .iter()
        .filter(|log| log.address() == emitter)
        .find_map(|log| E::decode_log(&log.inner).ok().map(|l| l.data))
        .ok_or(EvmError::MissingEvent {
            event: E::SIGNATURE,
        })
}
