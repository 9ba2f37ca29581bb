//! `make demo ARGS=--once` as a test, so the main job cannot rot: the binary runs the
//! whole demo (chain, gateway with its indexer, shop, platform day) and must exit 0
//! after printing every invoice's final state, both orders settled and a webhook log
//! in which every delivery was verified.

#![allow(clippy::expect_used)]

use std::process::Command;

#[test]
fn demo_once_runs_the_shop_and_exits() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let out = Command::new(env!("CARGO_BIN_EXE_stablerail-demo"))
        .arg("--once")
        .arg("--dir")
        .arg(dir.path())
        .output()
        .expect("the demo binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "demo failed: {}\n{stdout}\n{stderr}",
        out.status
    );
    for line in [
        "corner-shop  exact",
        "corner-shop  under",
        "corner-shop  over",
        "corner-shop  late",
        "corner-shop  never",
        "night-market exact",
    ] {
        assert!(stdout.contains(line), "no {line:?} in\n{stdout}");
    }
    let final_states = [
        ("corner-shop  exact", "settled    none"),
        ("corner-shop  under", "expired    paid_partial"),
        ("corner-shop  over", "settled    paid_over"),
        ("corner-shop  late", "expired    paid_late"),
        ("corner-shop  never", "expired    none"),
        ("night-market exact", "settled    none"),
    ];
    let report = stdout
        .split("[6/6]")
        .nth(1)
        .expect("the shop's report is printed");
    for (who, state) in final_states {
        assert!(
            report.lines().any(|l| l.contains(who) && l.contains(state)),
            "{who} is not {state} in\n{report}"
        );
    }
    for order in ["collection", "payout"] {
        assert!(
            report
                .lines()
                .any(|l| l.contains(order) && l.trim_end().ends_with("settled")),
            "no settled {order} in\n{report}"
        );
    }
    // Three acceptors share the collections by the volume_split strategy: the spread
    // follows their 50/30/20 % targets, and every decision replays from its log.
    assert!(
        report.contains(
            "6 collections spread: acceptor-1 3 (target 50 %), acceptor-2 2 (target 30 %), \
             acceptor-3 1 (target 20 %)"
        ),
        "{report}"
    );
    let decisions = report
        .lines()
        .filter(|l| l.contains("dec_") && l.contains(" -> acceptor-"))
        .count();
    assert_eq!(decisions, 7, "one decision per order in\n{report}");
    assert!(!report.contains("DOES NOT REPLAY"), "{report}");
    assert!(
        stdout.contains("conservation after the shop's orders: no mismatch"),
        "{stdout}"
    );
    assert!(report.contains("every signature verified"), "{report}");
    assert!(!report.contains("REJECTED"), "{report}");
    for kind in [
        "invoice.created",
        "invoice.processing",
        "invoice.settled",
        "invoice.underpaid",
        "invoice.overpaid",
        "invoice.expired",
        "invoice.payment_late",
        "collection.settled",
        "payout.settled",
    ] {
        assert!(report.contains(kind), "no {kind} webhook in\n{report}");
    }
    assert!(report.contains("/pay/inv_"), "no checkout URL in\n{report}");
    // The planted pass-through raised its alert, with the in and out transfers.
    assert!(
        report
            .lines()
            .any(|l| l.contains(" medium pass_through on 0x") && l.contains("sent 4900 USDT")),
        "no pass-through alert in\n{report}"
    );
    assert!(
        report.matches("        evidence: block").count() >= 2,
        "{report}"
    );
    assert!(stdout.contains("conservation: no mismatch"), "{stdout}");
    // The dashboards' URL and each demo wallet's sign-in path, walked by the demo as
    // printed (the wallet's message signed with its key file): each lands on its
    // role's page.
    assert!(
        report.contains("      dashboards http://127.0.0.1:")
            && report.contains("/dashboard/sign-in"),
        "{report}"
    );
    for (role, page) in [
        ("merchant", "Corner Shop"),
        ("agent", "Agent on anvil"),
        ("acceptor", "Acceptor on anvil"),
        ("operator", "Operator"),
    ] {
        let line = report
            .lines()
            .find(|l| {
                l.trim_start().starts_with(&format!("{role} ")) && l.contains("sign-in checked")
            })
            .unwrap_or_else(|| panic!("no {role} sign-in line in\n{report}"));
        assert!(line.ends_with(&format!("lands on \"{page}\")")), "{line}");
        let key_file = dir.path().join(format!("wallet-{role}.key"));
        assert!(
            report.contains(&format!(
                "SR_WALLET_KEY=$(cat {}) cargo run -q -p stablerail-gateway -- sign-message --kind evm --key-env SR_WALLET_KEY < message.txt",
                key_file.display()
            )),
            "{report}"
        );
        // The key is in its file, never on the screen.
        let key = std::fs::read_to_string(&key_file).expect("the wallet's key file");
        assert_eq!(key.len(), 64);
        assert!(
            !stdout.contains(&key),
            "the {role} wallet's key was printed"
        );
    }
    // No secret is printed: keys are only named by their files.
    assert!(!stdout.contains("sk_"), "an API key was printed");
    assert!(!stdout.contains("whsec_"), "a webhook secret was printed");
}
