//! linkward's integration tests: one binary; `common/` holds the harness (local test servers and
//! a runner for the built binary). Every server runs on 127.0.0.1 inside its test, except in
//! `address_policy` and `outage`, whose servers run inside a network namespace of the test's own.

mod address_policy;
mod archive_folders;
mod bagit;
mod changes;
mod check;
mod cli;
mod common;
mod completions;
mod crash;
mod credentials;
mod cron;
mod deploy;
mod history;
mod hostile;
mod index;
mod limits;
mod outage;
mod outcomes;
mod output_safety;
mod politeness;
mod properties;
mod pywb;
mod readers;
mod rescue;
mod safety;
mod seed_init;
mod seeds;
mod spans;
mod test_server;
mod tracked_seeds;
mod upgrade;
mod verify;
mod warc;
