//! The archive lock: one `check` at a time per archive. The lock is an OS file lock on
//! `<archive>/lock`, released by the OS even when the holder is killed; the file's text names
//! the holder so a second run can say who it is waiting for. A reader may wait for it
//! (`--wait DUR`): flock(2) has no timeout, so the wait polls `try_lock` until a deadline.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const LOCK_FILE: &str = "lock";

/// How often a waiting reader tries the lock again: short next to any run, long enough to cost
/// nothing.
const WAIT_POLL: Duration = Duration::from_millis(100);

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("the archive {} is in use by another linkward run ({holder}); wait for it to finish or use another --archive", archive.display())]
    Held { archive: PathBuf, holder: String },
    /// A reader that did not wait (`--wait` not given) is told how to.
    #[error("the archive {} is in use by another linkward run ({holder}); wait for it with --wait DUR (e.g. --wait 10m)", archive.display())]
    HeldNoWait { archive: PathBuf, holder: String },
    #[error("the archive {} is still in use by another linkward run ({holder}) after waiting {} (--wait)", archive.display(), humantime::format_duration(*waited))]
    HeldAfterWait {
        archive: PathBuf,
        holder: String,
        waited: Duration,
    },
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
    /// Takes the lock at once or says who holds it; never waits (a second `check`).
    pub fn acquire(archive: &Path) -> Result<ArchiveLock, LockError> {
        Self::take(archive, None)
    }

    /// Takes the lock for a reader, waiting up to `wait` for a running check to let it go; a
    /// zero `wait` fails at once with a message that names `--wait`.
    pub fn acquire_waiting(archive: &Path, wait: Duration) -> Result<ArchiveLock, LockError> {
        Self::take(archive, Some(wait))
    }

    /// `wait`: `None` for a writer (refused at once), `Some` for a reader.
    fn take(archive: &Path, wait: Option<Duration>) -> Result<ArchiveLock, LockError> {
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
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {
                    let waited = started.elapsed();
                    if let Some(wait) = wait.filter(|w| waited < *w) {
                        // A blocking sleep: the caller has nothing else to do until it holds the
                        // archive.
                        std::thread::sleep(WAIT_POLL.min(wait - waited));
                        continue;
                    }
                    let mut holder = String::new();
                    let _ = file.seek(SeekFrom::Start(0));
                    let _ = file.read_to_string(&mut holder);
                    let holder = match holder.trim() {
                        "" => "holder unknown".to_owned(),
                        h => h.to_owned(),
                    };
                    let archive = archive.to_path_buf();
                    return Err(match wait {
                        None => LockError::Held { archive, holder },
                        Some(w) if w.is_zero() => LockError::HeldNoWait { archive, holder },
                        Some(waited) => LockError::HeldAfterWait {
                            archive,
                            holder,
                            waited,
                        },
                    });
                }
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
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

    #[test]
    fn a_reader_waits_for_the_holder_or_names_wait() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let first = ArchiveLock::acquire(dir.path())?;
        let err = ArchiveLock::acquire_waiting(dir.path(), Duration::ZERO)
            .err()
            .ok_or("lock granted while held")?;
        assert!(err.to_string().contains("--wait DUR"), "{err}");
        let started = Instant::now();
        let err = ArchiveLock::acquire_waiting(dir.path(), Duration::from_millis(300))
            .err()
            .ok_or("lock granted while held")?;
        assert!(started.elapsed() >= Duration::from_millis(300), "{err}");
        assert!(err.to_string().contains("after waiting 300ms"), "{err}");
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            drop(first);
        });
        ArchiveLock::acquire_waiting(dir.path(), Duration::from_secs(10))?;
        release.join().map_err(|_| "release thread panicked")?;
        Ok(())
    }
}
