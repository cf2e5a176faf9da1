//! linkward's integration tests: one binary; `common/` holds the harness (local test servers and
//! a runner for the built binary). Every server runs on 127.0.0.1 inside its test.

mod check;
mod cli;
mod common;
mod history;
mod hostile;
mod outcomes;
mod seeds;
mod test_server;
