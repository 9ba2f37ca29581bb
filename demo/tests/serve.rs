//! `make demo` as a user runs it: the binary plays the whole demo, then serves the
//! chain and the gateway until Ctrl-C. The test waits for the "serving" line, checks
//! that the printed checkout page and chain answer, sends SIGINT as a terminal's
//! Ctrl-C does, and expects a clean exit with both servers gone.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::{
    io::{BufRead, BufReader},
    net::TcpStream,
    process::{Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

/// Generous for a loaded 2-core machine: the demo itself takes about 15 s idle.
const PATIENCE: Duration = Duration::from_secs(240);

fn host_port(url: &str) -> String {
    let rest = url.split("://").nth(1).expect("a URL with a scheme");
    rest.split('/').next().expect("a host").to_owned()
}

fn answers(url: &str) -> bool {
    TcpStream::connect(host_port(url)).is_ok()
}

/// The status line of a plain HTTP/1.1 GET of `url` (the gateway speaks HTTP on
/// loopback; no client library needed for one line).
fn http_get_status(url: &str) -> String {
    use std::io::{Read, Write};
    let authority = host_port(url);
    let path = &url[url.find(&authority).expect("host in URL") + authority.len()..];
    let mut stream = TcpStream::connect(&authority).expect("connect to the gateway");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("a read timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .expect("send the request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read the answer");
    answer.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn demo_serves_until_ctrl_c_then_stops_cleanly() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut child = Command::new(env!("CARGO_BIN_EXE_stablerail-demo"))
        .arg("--dir")
        .arg(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the demo binary starts");

    // Read its output on a thread so a silent demo cannot hang the test.
    let stdout = child.stdout.take().expect("piped stdout");
    let (lines_tx, lines) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });

    let start = Instant::now();
    let mut seen = Vec::new();
    let serving = loop {
        let left = PATIENCE.saturating_sub(start.elapsed());
        match lines.recv_timeout(left) {
            Ok(line) if line.starts_with("serving the chain at ") => break line,
            Ok(line) => seen.push(line),
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "no 'serving' line within {PATIENCE:?}:\n{}",
                    seen.join("\n")
                );
            }
        }
    };
    // "serving the chain at <rpc> and the gateway at <base> until Ctrl-C"
    let words: Vec<&str> = serving.split_whitespace().collect();
    let (rpc, gateway) = (words[4], words[9]);
    let checkout = seen
        .iter()
        .find_map(|l| l.split_whitespace().find(|w| w.contains("/pay/inv_")))
        .expect("a checkout URL is printed")
        .to_owned();
    assert!(checkout.starts_with(gateway), "{checkout} vs {gateway}");

    // While serving, the checkout page answers 200 and the chain accepts connections.
    let status_line = http_get_status(&checkout);
    assert!(
        status_line.starts_with("HTTP/1.1 200"),
        "{checkout}: {status_line}"
    );
    assert!(answers(rpc), "the chain at {rpc} does not answer");

    // Ctrl-C: SIGINT to the demo's process.
    let pid = child.id().to_string();
    let sent = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait on the demo") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the demo did not stop within 30 s of Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "the demo exited with {status}");
    let rest: Vec<String> = lines.iter().collect();
    reader.join().expect("the reader thread ends");
    assert!(rest.iter().any(|l| l == "stopping"), "{rest:?}");

    // Both servers are gone with it.
    assert!(!answers(gateway), "the gateway still answers after Ctrl-C");
    assert!(!answers(rpc), "the chain still answers after Ctrl-C");
}
