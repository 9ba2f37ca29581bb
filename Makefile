# stablerail — the commands a newcomer needs. `make help` lists them.
#
#   make demo    the main job on a local chain (anvil) and SQLite
#   make test    every test: Foundry, Rust (EVM on anvil, Solana native), artifacts check
#
# Everything EVM-side comes from ./node_modules, pinned by package-lock.json and
# installed by `make tools` (idempotent).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

FORGE := node_modules/@foundry-rs/forge-linux-amd64/bin/forge
ANVIL := node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil
CARGO ?= cargo
ARGS ?=
# Crate roots `make lint` checks for import circles between files (tools/import-cycles.py).
ACYCLIC_CRATES := sdk/src/lib.rs sdk/src/bin/stablerail/main.rs indexer/src/lib.rs \
	gateway/src/lib.rs demo/src/lib.rs programs/escrow/src/lib.rs programs/multisig/src/lib.rs

# Tests find the pinned anvil and schemathesis through these variables
# (see demo/src/devnet.rs and indexer/tests/it/fuzz.rs).
export STABLERAIL_ANVIL := $(CURDIR)/$(ANVIL)
export STABLERAIL_SCHEMATHESIS := $(CURDIR)/.tools-venv/bin/schemathesis

.PHONY: help tools contracts artifacts demo test test-contracts test-rust bench fuzz-gateway lint fmt clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 18

tools: ## Install the pinned toolchain: EVM tools (package-lock.json), Python test tools (tools/python/requirements.lock); idempotent
	@tools/install.sh

contracts: tools ## Compile the Solidity contracts with the pinned solc
	@$(FORGE) build --quiet

artifacts: contracts ## Refresh contracts/artifacts (ABI + bytecode the Rust crates load)
	@tools/export-artifacts.js

demo: tools ## Run the main job: a local chain with the contracts deployed (ARGS=--once to exit)
	@$(CARGO) run --quiet -p stablerail-demo -- $(ARGS)

test: tools test-contracts test-rust fuzz-gateway ## Run every test
	@echo "make test: all suites passed"

test-contracts: contracts
	@tools/export-artifacts.js --check
	$(FORGE) test
	@contracts/script/gas-table.sh --check docs/bench.md

# The Solana runtime logs every instruction at DEBUG to stderr, past libtest's capture,
# and its banks client warns on every call; this default keeps CI output readable.
# Set RUST_LOG to see more.
test-rust:
	RUST_LOG="$${RUST_LOG:-warn,tarpc=error}" $(CARGO) test --workspace --no-fail-fast

bench: tools contracts ## Run the benchmarks and print their figures (gas, Solana rent, TRON signing, indexer)
	@tools/bench.sh

fuzz-gateway: tools ## Fuzz every gateway route from its OpenAPI document (schemathesis in a venv): no 5xx, keys required
	@tools/fuzz-gateway.sh

lint: tools ## cargo fmt --check, clippy -D warnings, forge fmt --check, no import circles
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(FORGE) fmt --check
	@tools/import-cycles.py $(ACYCLIC_CRATES)

fmt: tools ## Format Rust and Solidity sources
	$(CARGO) fmt --all
	$(FORGE) fmt

clean: ## Remove build outputs (keeps node_modules)
	$(CARGO) clean
	rm -rf contracts/out contracts/cache
