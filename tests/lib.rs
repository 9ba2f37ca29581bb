//! Workspace integration tests for stablerail; see `tests/tests/it/` (one test binary, `cargo test -p stablerail-tests --test it`).
