//! What the CLI tests share: the built `stablerail` binary with no key or node
//! taken from the environment, its output read back, and scratch directories.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

/// The environment variables the binary reads keys and nodes from; removed so a
/// developer's shell cannot change what a test sees.
const ENV: [&str; 5] = [
    "STABLERAIL_TRON_KEY",
    "STABLERAIL_EVM_KEY",
    "STABLERAIL_SOLANA_KEY",
    "STABLERAIL_RPC_URL",
    "STABLERAIL_TRON_NODE",
];

/// The built `stablerail` binary, with none of its environment variables set.
pub(crate) fn stablerail() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_stablerail"));
    for name in ENV {
        c.env_remove(name);
    }
    c
}

/// Runs `stablerail <args>` and waits for it.
pub(crate) fn run(args: &[&str]) -> Output {
    stablerail().args(args).output().unwrap()
}

/// Checks the run succeeded and returns its stdout as JSON.
pub(crate) fn ok_json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout {}\nstderr {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Checks the run failed with nothing on stdout and returns its stderr.
pub(crate) fn failed(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "expected failure, got {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(out.stdout.is_empty(), "nothing on stdout on failure");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A directory under the system's temp dir for this test process, created.
pub(crate) fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stablerail-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
