//! The WARC writer's tests: packs, revisits, salvage of a file left open, records cut off.
use super::*;
use crate::fetch::capture::{CapturedRequest, CapturedResponse, KeptBody};
use std::io::{Read, Write};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The store's `bodies` tree, as a map.
#[derive(Default)]
struct Index(Mutex<HashMap<Sha256, StoredBody>>);

impl PayloadIndex for Index {
    fn stored(&self, sha: &Sha256) -> Result<Option<StoredBody>, StoreError> {
        Ok(self.0.lock().map_err(|_| poisoned())?.get(sha).cloned())
    }

    fn record(&self, bodies: &[(Sha256, StoredBody)]) -> Result<(), StoreError> {
        self.0
            .lock()
            .map_err(|_| poisoned())?
            .extend(bodies.iter().cloned());
        Ok(())
    }
}

fn poisoned() -> StoreError {
    StoreError::Corrupt(serde_json::Error::io(io::Error::other("poisoned")))
}

fn sha_of(body: &[u8]) -> Sha256 {
    Sha256(<sha2::Sha256 as sha2::Digest>::digest(body).into())
}

fn open_sink(dir: &Path, index: &Arc<Index>, revisits: bool) -> Result<WarcSink, WarcError> {
    WarcSink::open(
        dir,
        &run_info(),
        index.clone(),
        WarcOptions {
            not_modified_revisits: revisits,
        },
    )
}

fn capture(url: &str, status: u16, body: &[u8]) -> Result<Capture, url::ParseError> {
    Ok(Capture {
        target_uri: url::Url::parse(url)?,
        date: Utc::now(),
        remote_ip: Some([127, 0, 0, 1].into()),
        request: CapturedRequest {
            method: "GET".into(),
            target: "/".into(),
            headers: vec![("Host".into(), b"a".to_vec())],
        },
        response: CapturedResponse {
            version: "HTTP/1.1".into(),
            status,
            reason: "OK".into(),
            headers: vec![("Content-Type".into(), b"text/plain".to_vec())],
        },
        body: if body.is_empty() {
            CapturedBody::Empty
        } else {
            CapturedBody::Memory {
                bytes: body.to_vec(),
                truncated: false,
            }
        },
        kept: (200..300).contains(&status).then(|| KeptBody {
            sha256: sha_of(body),
            bytes: body.len() as u64,
            encoding: None,
            content_type: None,
        }),
        held: (status == 304).then(|| sha_of(b"same")),
        decoded: None,
    })
}

fn types(path: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let _ = read::read_records(path, |r| {
        out.push(r.header("WARC-Type").unwrap_or("?").to_owned());
    });
    out
}

fn run_info() -> RunInfo {
    RunInfo {
        started: Utc::now(),
        run_id: 1,
        seeds: vec!["http://a/".into()],
    }
}

#[test]
fn a_body_is_stored_once_and_304s_write_nothing_by_default() -> TestResult {
    let dir = tempfile::tempdir()?;
    let index = Arc::new(Index::default());
    let sink = open_sink(dir.path(), &index, false)?;
    sink.capture(capture("http://a/x", 200, b"same")?);
    sink.capture(capture("http://a/x", 200, b"same")?);
    // The same payload at another URI is not stored again either.
    sink.capture(capture("http://b/y", 200, b"same")?);
    assert_eq!(
        sink.pending(&sha_of(b"same")).map(|b| b.uri),
        Some("http://a/x".into())
    );
    assert!(
        index.stored(&sha_of(b"same"))?.is_none(),
        "indexed only by a commit"
    );
    assert_eq!(sink.commit()?, 1);
    let first = sink.finish()?.ok_or("no file")?;
    assert_eq!(
        types(&first),
        [
            "warcinfo", "response", "request", "revisit", "request", "revisit", "request"
        ]
    );
    let stored = index.stored(&sha_of(b"same"))?.ok_or("not indexed")?;
    let mut body = Vec::new();
    read::open_payload(&first, stored.offset, stored.length)?.read_to_end(&mut body)?;
    assert_eq!(body, b"same", "the stored copy reads back from the pack");

    let sink = open_sink(dir.path(), &index, false)?;
    sink.capture(capture("http://a/x", 200, b"same")?);
    sink.capture(capture("http://a/x", 304, b"")?);
    sink.capture(capture("http://a/x", 200, b"new")?);
    let second = sink.finish()?.ok_or("no file")?;
    assert_ne!(first, second, "one file per run");
    assert_eq!(
        types(&second),
        ["warcinfo", "revisit", "request", "response", "request"]
    );

    let sink = open_sink(dir.path(), &index, true)?;
    sink.capture(capture("http://a/x", 304, b"")?);
    let third = sink.finish()?.ok_or("no file")?;
    assert_eq!(types(&third), ["warcinfo", "revisit", "request"]);
    Ok(())
}

#[test]
fn a_file_left_open_keeps_its_complete_records() -> TestResult {
    let dir = tempfile::tempdir()?;
    let sink = open_sink(dir.path(), &Arc::new(Index::default()), false)?;
    sink.capture(capture("http://a/x", 200, b"body")?);
    let open = {
        let guard = sink.writer.lock().map_err(|_| "poisoned")?;
        guard.as_ref().ok_or("closed")?.open_path.clone()
    };
    drop(sink);
    // A record the kill cut short.
    let mut f = OpenOptions::new().append(true).open(&open)?;
    f.write_all(&[0x1f, 0x8b, 8, 0, 0, 0])?;
    drop(f);

    let sink = open_sink(dir.path(), &Arc::new(Index::default()), false)?;
    sink.finish()?;
    let finalized = PathBuf::from(open.to_string_lossy().trim_end_matches(OPEN_SUFFIX));
    assert_eq!(types(&finalized), ["warcinfo", "response", "request"]);
    assert!(read::read_records(&finalized, |_| {}).is_ok());
    assert!(!open.exists());
    Ok(())
}

#[test]
fn a_record_whose_payload_changes_while_it_is_written_is_cut_off_again() -> TestResult {
    let dir = tempfile::tempdir()?;
    let sink = open_sink(dir.path(), &Arc::new(Index::default()), false)?;
    let body = dir.path().join("body");
    let mut guard = sink.writer.lock().map_err(|_| "poisoned")?;
    let writer = guard.as_mut().ok_or("closed")?;
    let before = writer.file.metadata()?.len();
    // Stored and deflated records fail the same way.
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    let noise = (0..200_000).map(|_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x.to_le_bytes()[3]
    });
    for payload in [vec![7; 200_000], noise.collect()] {
        std::fs::write(&body, &payload)?;
        let head = b"HTTP/1.1 200 OK\r\n\r\n";
        let block = Block::of(head, &Payload::File(&body))?;
        OpenOptions::new()
            .append(true)
            .open(&body)?
            .write_all(b"more")?;
        let header = Header::new("response", &record::record_id(), Utc::now());
        let written = writer.append_of(&header, head, &Payload::File(&body), &block, None);
        assert!(written.is_err());
        assert_eq!(writer.file.metadata()?.len(), before);
    }
    let open = writer.open_path.clone();
    drop(guard);
    assert_eq!(read::read_records(&open, |_| {}).ok(), Some(before));
    Ok(())
}
