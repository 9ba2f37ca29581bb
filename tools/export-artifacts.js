#!/usr/bin/env node
// Copies the ABI and bytecode of the deployable contracts from Foundry's output
// (contracts/out, not committed) into contracts/artifacts (committed), which the
// Rust crates load with alloy's `sol!`. Committing them keeps `cargo build` free
// of a Node/Foundry dependency; `--check` proves they match a fresh `forge build`
// of the sources with the pinned compiler, so they cannot drift.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const outDir = path.join(root, 'contracts', 'out');
const artifactsDir = path.join(root, 'contracts', 'artifacts');
// Source file -> contract names to export.
const CONTRACTS = {
  'Escrow.sol': ['Escrow'],
  'MultiSig.sol': ['MultiSig'],
  'MockUSDTEthereum.sol': ['MockUSDTEthereum'],
  'MockUSDTTron.sol': ['MockUSDTTron'],
  'MockERC20.sol': ['MockERC20'],
};

function exportOne(file, name) {
  const src = path.join(outDir, file, `${name}.json`);
  if (!fs.existsSync(src)) return null;
  const forge = JSON.parse(fs.readFileSync(src, 'utf8'));
  const trimmed = {
    contractName: name,
    abi: forge.abi,
    bytecode: { object: forge.bytecode.object },
    deployedBytecode: { object: forge.deployedBytecode.object },
  };
  return JSON.stringify(trimmed, null, 1) + '\n';
}

const check = process.argv.includes('--check');
let stale = 0;
let exported = 0;
fs.mkdirSync(artifactsDir, { recursive: true });
for (const [file, names] of Object.entries(CONTRACTS)) {
  for (const name of names) {
    const text = exportOne(file, name);
    if (text === null) continue; // contract not written yet
    exported++;
    const dest = path.join(artifactsDir, `${name}.json`);
    const current = fs.existsSync(dest) ? fs.readFileSync(dest, 'utf8') : null;
    if (check) {
      if (current !== text) {
        console.error(`artifacts: ${path.relative(root, dest)} differs from a fresh build; run 'make artifacts' and commit`);
        stale++;
      }
    } else if (current !== text) {
      fs.writeFileSync(dest, text);
      console.log(`artifacts: wrote ${path.relative(root, dest)}`);
    }
  }
}
if (check && stale > 0) process.exit(1);
console.log(`artifacts: ${exported} contract(s) ${check ? 'match the sources' : 'up to date'}`);
