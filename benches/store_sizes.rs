//! What an archive's store holds against what its files take on disk (issue 15): per sled tree,
//! the keys and the bytes of their keys and values (the live data), then the size of `db/` on
//! disk. The difference is sled's: a log-structured store whose segments are reclaimed only once
//! at most half of them is live, so its files run to about twice the live data.
//!
//! Run: `cargo bench --bench store_sizes -- ARCHIVE` (the archive folder, not in use by a run);
//! `benches/history.sh` runs the built binary after each run when `STORE_SIZES` names it.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo bench` passes `--bench`; the archive is the one argument that is not a flag.
    let archive: PathBuf = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .ok_or("usage: store_sizes ARCHIVE")?
        .into();
    let db = sled::open(archive.join("db"))?;
    let mut live = 0usize;
    let mut names = db.tree_names();
    names.sort();
    for name in names {
        let tree = db.open_tree(&name)?;
        let (mut n, mut k, mut v) = (0usize, 0usize, 0usize);
        for kv in tree.iter() {
            let (key, value) = kv?;
            n += 1;
            k += key.len();
            v += value.len();
        }
        if n > 0 {
            println!(
                "{:<14} {n:>7} keys {k:>10} key bytes {v:>11} value bytes",
                String::from_utf8_lossy(&name)
            );
        }
        live += k + v;
    }
    println!("live {live} bytes; on disk {} bytes", db.size_on_disk()?);
    Ok(())
}
