//! The call a multisig proposal makes, from a function signature or name and its
//! arguments (`resolve(uint256,uint16) 7 5000`, or `resolve 7 5000` looked up in the
//! escrow's and multisig's ABIs), encoded with alloy's dynamic ABI.

use alloy::dyn_abi::{DynSolType, DynSolValue};
use alloy::primitives::{Bytes, keccak256};
use anyhow::{Context as _, bail};
use stablerail_sdk::evm::{Chain, Escrow, MultiSig};

/// The full signature for `call`: as given when it has parentheses, else the one
/// escrow or multisig function of that name.
fn signature(call: &str) -> anyhow::Result<String> {
    if call.contains('(') {
        return Ok(call.replace(' ', ""));
    }
    let prefix = format!("{call}(");
    let matches: Vec<&str> = Escrow::EscrowCalls::SIGNATURES
        .iter()
        .chain(MultiSig::MultiSigCalls::SIGNATURES)
        .copied()
        .filter(|s| s.starts_with(&prefix))
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).to_owned()),
        [] => bail!(
            "--call {call:?}: no escrow or multisig function of that name; give a full signature like resolve(uint256,uint16)"
        ),
        many => bail!("--call {call:?} is ambiguous: {}", many.join(", ")),
    }
}

/// Encodes `call` with `args` (addresses in `chain`'s form); returns the calldata
/// and a readable description such as `resolve(7, 5000)`.
pub(crate) fn encode(chain: Chain, call: &str, args: &[String]) -> anyhow::Result<(Bytes, String)> {
    let sig = signature(call)?;
    let open = sig.find('(').context("signature without parameters")?;
    let name = &sig[..open];
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        bail!("--call {sig:?}: {name:?} is not a function name");
    }
    let params = DynSolType::parse(&sig[open..])
        .with_context(|| format!("--call {sig:?}: parameter types"))?;
    let DynSolType::Tuple(types) = params else {
        bail!("--call {sig:?}: parameters must be a list");
    };
    if types.len() != args.len() {
        bail!(
            "--call {sig}: takes {} arguments, {} given",
            types.len(),
            args.len()
        );
    }
    let mut values = Vec::with_capacity(args.len());
    for (i, (ty, arg)) in types.iter().zip(args).enumerate() {
        let value = match ty {
            DynSolType::Address => {
                DynSolValue::Address(chain.parse_address(arg).with_context(|| {
                    format!("argument {} of {sig}: {arg:?} is not an address", i + 1)
                })?)
            }
            _ => ty
                .coerce_str(arg)
                .with_context(|| format!("argument {} of {sig}: {arg:?} is not a {ty}", i + 1))?,
        };
        values.push(value);
    }
    let canonical = format!(
        "{name}({})",
        types
            .iter()
            .map(|t| t.sol_type_name().into_owned())
            .collect::<Vec<_>>()
            .join(",")
    );
    let mut data = keccak256(canonical.as_bytes())[..4].to_vec();
    data.extend(DynSolValue::Tuple(values).abi_encode_params());
    Ok((data.into(), format!("{name}({})", args.join(", "))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::sol_types::SolCall;

    #[test]
    fn encodes_like_the_bindings() {
        let (data, desc) = encode(Chain::Evm, "resolve", &["7".into(), "5000".into()]).unwrap();
        let expected = Escrow::resolveCall {
            dealId: alloy::primitives::U256::from(7),
            buyerShareBps: 5000,
        }
        .abi_encode();
        assert_eq!(data.to_vec(), expected);
        assert_eq!(desc, "resolve(7, 5000)");
        let (full, _) = encode(
            Chain::Evm,
            "resolve(uint256, uint16)",
            &["7".into(), "5000".into()],
        )
        .unwrap();
        assert_eq!(full, data);
        // TRON addresses are taken in base58.
        let (tron, _) = encode(
            Chain::Tron,
            "setArbiter",
            &["TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC".into()],
        )
        .unwrap();
        let arbiter: alloy::primitives::Address = "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"
            .parse()
            .unwrap();
        assert_eq!(
            tron.to_vec(),
            Escrow::setArbiterCall { arbiter_: arbiter }.abi_encode()
        );
        assert!(encode(Chain::Evm, "resolve", &["7".into()]).is_err());
        assert!(encode(Chain::Evm, "resolve", &["7".into(), "70000".into()]).is_err());
        assert!(encode(Chain::Evm, "nosuch", &[]).is_err());
        assert!(encode(Chain::Evm, "setArbiter", &["0x12".into()]).is_err());
    }
}
