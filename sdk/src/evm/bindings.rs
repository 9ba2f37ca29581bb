//! Contract bindings generated from the committed Foundry artifacts.

// Generated code: the Solidity NatSpec documents it, and its constructors mirror
// the contracts argument for argument.
#![allow(missing_docs, clippy::too_many_arguments)]

use alloy::sol;

sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    Escrow,
    "../contracts/artifacts/Escrow.json"
);

sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    MultiSig,
    "../contracts/artifacts/MultiSig.json"
);

sol! {
    /// The part of ERC-20 the SDK uses. Ethereum USDT returns nothing from
    /// `approve`/`transfer`, so callers check receipts, never return values.
    #[sol(rpc)]
    #[derive(Debug)]
    interface IERC20 {
        function balanceOf(address owner) external view returns (uint256);
        function allowance(address owner, address spender) external view returns (uint256);
        function approve(address spender, uint256 amount) external;
        function transfer(address to, uint256 amount) external;
    }
}
