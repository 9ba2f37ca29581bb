//! Workspace integration tests for stablerail; see the files in `tests/tests/`.
