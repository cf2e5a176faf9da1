//! Rescue from web archives: the snapshot of a lost resource closest to a date (Wayback
//! availability API, Memento TimeGates), answers cached in the store, snapshots recovered in
//! their original form into the user's own archive, and a lost seed page's links recovered.

pub mod layout;
pub mod lookup;
pub mod memento;
pub mod seedpage;
pub mod wayback;

pub use lookup::Archives;

/// The name lookups through the Wayback availability API are reported under.
pub const WAYBACK: &str = "wayback";
