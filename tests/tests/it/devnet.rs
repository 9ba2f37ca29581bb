//! The pinned local node works as the EVM tests and the demo expect.

use alloy::{
    network::TransactionBuilder,
    primitives::{U256, utils::parse_ether},
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
};
use stablerail_demo::Devnet;

/// A value transfer between two dev accounts conserves ether: what the sender
/// loses is exactly the value plus the gas it paid.
#[tokio::test]
async fn pinned_anvil_transfers_value_with_conservation() -> anyhow::Result<()> {
    let devnet = Devnet::start()?;
    let signer: alloy::signers::local::PrivateKeySigner = devnet.anvil().keys()[0].clone().into();
    let from = signer.address();
    let to = devnet.anvil().addresses()[1];
    let provider = ProviderBuilder::new()
        .wallet(signer)
        .connect_http(devnet.rpc_url().parse()?);

    assert_eq!(provider.get_chain_id().await?, 31337);
    let from_before = provider.get_balance(from).await?;
    let to_before = provider.get_balance(to).await?;

    let value = parse_ether("1.5")?;
    let tx = TransactionRequest::default().with_to(to).with_value(value);
    let receipt = provider.send_transaction(tx).await?.get_receipt().await?;
    assert!(receipt.status(), "transfer reverted");

    let gas_paid = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    let from_after = provider.get_balance(from).await?;
    let to_after = provider.get_balance(to).await?;
    assert_eq!(to_after - to_before, value);
    assert_eq!(from_before - from_after, value + gas_paid);
    Ok(())
}
