//! The archive lock: one `check` at a time per archive. The lock is an OS file lock on
//! `<archive>/lock`, released by the OS even when the holder is killed; the file's text names
//! the holder so a second run can say who it is waiting for.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const LOCK_FILE: &str = "lock";

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("the archive {} is in use by another linkward run ({holder}); wait for it to finish or use another --archive", archive.display())]
    Held { archive: PathBuf, holder: String },
    #[error("could not lock the archive {}: {source}", archive.display())]
    Io {
        archive: PathBuf,
        source: std::io::Error,
    },
}

/// Held for as long as a run uses the archive.
#[derive(Debug)]
pub struct ArchiveLock {
    _file: File,
}

impl ArchiveLock {
    /// Takes the lock at once or says who holds it; never waits.
    pub fn acquire(archive: &Path) -> Result<ArchiveLock, LockError> {
        let io = |source| LockError::Io {
            archive: archive.to_path_buf(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(archive.join(LOCK_FILE))
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(LockError::Held {
                    archive: archive.to_path_buf(),
                    holder: if holder.is_empty() {
                        "holder unknown".into()
                    } else {
                        holder.to_owned()
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let me = format!(
            "pid {}, started {}",
            std::process::id(),
            chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC")
        );
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(me.as_bytes()).map_err(io)?;
        Ok(ArchiveLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_told_who_holds_it() -> Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        let first = ArchiveLock::acquire(dir.path())?;
        let err = ArchiveLock::acquire(dir.path())
            .err()
            .ok_or("second lock was granted")?;
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        drop(first);
        ArchiveLock::acquire(dir.path())?;
        Ok(())
    }
}
