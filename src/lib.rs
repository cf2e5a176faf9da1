//! linkward keeps the documents and links listed on a web page alive, or at least preserved:
//! it checks every listed URL, archives every distinct version it sees, and reports what broke,
//! moved or changed. The binary (`main.rs`) owns flags and exit codes; this library owns the rest.

pub mod archive;
pub mod bodies;
pub mod check;
pub mod config;
pub mod error;
pub mod export;
pub mod extract;
pub mod fetch;
pub mod index;
pub mod judge;
pub mod lock;
pub mod model;
pub mod notify;
pub mod open;
pub mod report;
pub mod rescue;
pub mod review;
pub mod seed;
pub mod seeds;
pub mod slug;
pub mod store;
pub mod upgrade;
pub mod verify;
pub mod view;
pub mod warc;

pub use config::Config;
pub use error::Error;
pub use model::{Reason, Sha256, State};
