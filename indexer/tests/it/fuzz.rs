//! Schema-driven fuzzing of the query API: schemathesis (pinned in
//! `tools/python/requirements.lock`, installed by `make tools`) generates requests from
//! the served OpenAPI document and runs all of its checks: no 5xx, every response as
//! documented, no schema-valid request rejected, auth enforced on the data routes.

use std::path::PathBuf;

/// Where the pinned schemathesis lives: `$STABLERAIL_SCHEMATHESIS`, else the
/// workspace's `.tools-venv`.
fn schemathesis() -> PathBuf {
    std::env::var_os("STABLERAIL_SCHEMATHESIS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools-venv/bin/schemathesis"),
        PathBuf::from,
    )
}

/// Runs schemathesis with every check against the API at `base`, authenticated
/// with `key`, and fails the test with its report if it finds anything. The seed is
/// fixed so a failure reproduces; the examples per route are bounded for CI.
pub async fn fuzz_api(base: &str, key: &str) {
    let bin = schemathesis();
    assert!(
        bin.exists(),
        "schemathesis not found at {}: run `make tools` (or set STABLERAIL_SCHEMATHESIS)",
        bin.display()
    );
    let out = tokio::process::Command::new(&bin)
        .arg("run")
        .arg(format!("{base}/openapi.json"))
        .args(["--header", &format!("x-api-key: {key}")])
        .args([
            "--checks",
            "all",
            "--max-examples",
            "40",
            "--seed",
            "20261202",
        ])
        .args(["--no-color"])
        // Its case cache goes to a scratch folder, not the source tree.
        .current_dir(std::env::temp_dir())
        .output()
        .await
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found failures:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        report.contains("passed"),
        "schemathesis ran no test case:\n{report}"
    );
}
