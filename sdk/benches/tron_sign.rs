//! TRC20 transfer build + sign throughput on one thread, with each secp256k1
//! implementation the SDK has (libsecp256k1 through the `secp256k1` crate, and
//! `k256`), so the default (`SigningBackend::DEFAULT`) is the faster by measurement.
//!
//! Run: `cargo bench -p stablerail-sdk --bench tron_sign`. Prints figures and a final
//! `tx_per_sec=<n>` line (the default implementation) that `benches/compare.sh` reads.

use std::hint::black_box;
use std::time::{Duration, Instant};

use stablerail_sdk::Amount;
use stablerail_sdk::tron::{
    Address, PrivateKey, RefBlock, SigningBackend, Transaction, TransactionBuilder,
    TriggerSmartContract, USDT_MAINNET,
};

/// The same key, recipient and settings as `tronpy_sign.py`.
const KEY: &str = "279ff36d9bf9f305af3280034bb4187c6dd299bac6b26a3c20b999c7c0d50e6e";
const TO: &str = "TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC";

fn build_and_sign(
    key: &PrivateKey,
    backend: SigningBackend,
    token: Address,
    to: Address,
    i: u64,
) -> Transaction {
    let call = TriggerSmartContract::trc20_transfer(
        key.address(),
        token,
        to,
        Amount::from_units(1_000_000 + i),
    )
    .unwrap_or_else(|e| panic!("build: {e}"));
    let mut tx = TransactionBuilder::new(
        RefBlock::from_block(70_000_000, &[0x5a; 32]),
        1_750_000_000_000,
    )
    .with_fee_limit(30_000_000)
    .build(call.into())
    .unwrap_or_else(|e| panic!("build: {e}"));
    let signature = key
        .sign_digest_with(backend, &tx.txid())
        .unwrap_or_else(|e| panic!("sign: {e}"));
    tx.add_signature(signature);
    tx
}

fn measure(label: &str, budget: Duration, mut f: impl FnMut(u64)) -> f64 {
    // Warm up.
    for i in 0..200 {
        f(i);
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..100 {
            f(n);
            n += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let rate = n as f64 / secs;
    println!(
        "{label:<28} {rate:>10.0} /s  {:>8.2} µs each  ({n} in {secs:.2} s)",
        1e6 / rate
    );
    rate
}

fn main() {
    let key = PrivateKey::from_hex(KEY).unwrap_or_else(|e| panic!("key: {e}"));
    let token: Address = USDT_MAINNET
        .parse()
        .unwrap_or_else(|e| panic!("token: {e}"));
    let to: Address = TO.parse().unwrap_or_else(|e| panic!("to: {e}"));
    let budget = Duration::from_secs(3);

    measure("build only (unsigned)", budget, |i| {
        let call = TriggerSmartContract::trc20_transfer(
            key.address(),
            token,
            to,
            Amount::from_units(1_000_000 + i),
        )
        .unwrap_or_else(|e| panic!("build: {e}"));
        black_box(
            TransactionBuilder::new(
                RefBlock::from_block(70_000_000, &[0x5a; 32]),
                1_750_000_000_000,
            )
            .with_fee_limit(30_000_000)
            .build(call.into())
            .unwrap_or_else(|e| panic!("build: {e}")),
        );
    });
    let backends = [SigningBackend::Libsecp256k1, SigningBackend::K256];
    let mut signs = Vec::new();
    for backend in backends {
        signs.push(measure(&format!("sign only ({backend:?})"), budget, |i| {
            let mut digest = [0u8; 32];
            digest[..8].copy_from_slice(&i.to_be_bytes());
            black_box(
                key.sign_digest_with(backend, &digest)
                    .unwrap_or_else(|e| panic!("sign: {e}")),
            );
        }));
    }
    let mut rate = 0.0;
    for backend in backends {
        let r = measure(&format!("build + sign ({backend:?})"), budget, |i| {
            black_box(build_and_sign(&key, backend, token, to, i));
        });
        if backend == SigningBackend::DEFAULT {
            rate = r;
        }
    }
    measure("build + sign + hex (default)", budget, |i| {
        black_box(build_and_sign(&key, SigningBackend::DEFAULT, token, to, i).to_hex());
    });
    println!(
        "signing: libsecp256k1 is {:.2}x k256 (signatures per second); default {:?}",
        signs[0] / signs[1],
        SigningBackend::DEFAULT
    );
    println!("tx_per_sec={rate:.0}");
}
