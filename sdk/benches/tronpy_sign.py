"""TRC20 transfer build + sign throughput of tronpy on one thread.

The same work as benches/tron_sign.rs: build a USDT `transfer(to, amount)` call with
a fee limit offline against a fixed reference block (tronpy computes the txID
locally with protobuf), then sign the txID. Prints figures and a final
`tx_per_sec=<n>` line. Run through benches/tronpy-bench.sh, which prepares the venv.
"""

import time

from tronpy import Tron
from tronpy.contract import Contract
from tronpy.keys import PrivateKey

KEY = "279ff36d9bf9f305af3280034bb4187c6dd299bac6b26a3c20b999c7c0d50e6e"
TO = "TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC"
USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
# Block 70,000,000's number in the first 8 bytes, then filler, as the Rust bench uses.
REF_BLOCK_ID = (70_000_000).to_bytes(8, "big").hex() + "5a" * 24
TRANSFER_ABI = [
    {
        "type": "function",
        "name": "transfer",
        "stateMutability": "nonpayable",
        "inputs": [{"name": "to", "type": "address"}, {"name": "value", "type": "uint256"}],
        "outputs": [{"name": "", "type": "bool"}],
    }
]


def main() -> None:
    client = Tron(network="mainnet")  # no request is made: everything below is offline
    token = Contract(addr=USDT, abi=TRANSFER_ABI, client=client)
    key = PrivateKey(bytes.fromhex(KEY))
    owner = key.public_key.to_base58check_address()

    def build(i: int):
        return (
            token.functions.transfer(TO, 1_000_000 + i)
            .with_owner(owner)
            .fee_limit(30_000_000)
            .build(offline=True, ref_block_id=REF_BLOCK_ID)
        )

    def build_and_sign(i: int):
        return build(i).sign(key)

    def measure(label, fn, budget=3.0):
        for i in range(50):
            fn(i)
        n = 0
        start = time.perf_counter()
        while time.perf_counter() - start < budget:
            for _ in range(20):
                fn(n)
                n += 1
        secs = time.perf_counter() - start
        rate = n / secs
        print(f"{label:<28} {rate:>10.0f} /s  {1e6 / rate:>8.2f} µs each  ({n} in {secs:.2f} s)")
        return rate

    tx = build_and_sign(0)
    sig = tx.to_json()["signature"][0]
    assert len(sig) == 130, sig
    measure("build only (unsigned)", build)
    measure("sign only (coincurve)", lambda i: key.sign_msg_hash(i.to_bytes(32, "big")))
    rate = measure("build + sign", build_and_sign)
    print(f"tx_per_sec={rate:.0f}")


if __name__ == "__main__":
    main()
