//! A fake web archive on 127.0.0.1, hand-written HTTP/1.1 like `server.rs`, for the rescue tests:
//!
//! - the Wayback availability API at `/wayback/available?url=<url>&timestamp=<14 digits>`,
//!   answering per URL (read from the decoded query string, whatever its encoding);
//! - mementos at `/web/<ts>/<url>` (the replay form: the capture behind a banner, as people see
//!   it) and `/web/<ts>id_/<url>` (the original form: the captured bytes exactly), both with a
//!   `Memento-Datetime` header;
//! - a Memento TimeGate at `/timegate/<url>` (302 to a memento, optionally with a `Link` header
//!   giving its datetime; 404 when it has none);
//! - an optional robots.txt (absent: 404).
//!
//! Faults and layouts on demand: mementos in any collection (`/<collection>/<ts>[id_]/<url>`, as
//! pywb lays them out), an availability answer naming any memento URL, a TimeGate redirecting
//! anywhere, answers that never come, a few answers of 429 with `Retry-After`, and answers
//! gzip-encoded whenever the request's `Accept-Encoding` allows gzip.
//!
//! Invariants, as for `TestServer`: every request is logged (method, raw request-target, headers)
//! before it is answered; every answer closes the connection; dropping the server stops it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDateTime;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use super::server::{Request, gzip, parse_head, read_head};

/// The path of the availability API.
pub const AVAILABLE: &str = "/wayback/available";
/// What the replay form of a memento puts before the captured bytes.
pub const BANNER: &[u8] = b"<!-- FAKE WAYBACK REPLAY BANNER -->\n";

/// How the availability API answers about one URL.
#[derive(Clone, Debug)]
pub enum Availability {
    /// A closest capture at `timestamp` (14 digits) whose recorded HTTP status is `status`; its
    /// URL is this archive's `/web/<timestamp>/<url>`.
    Closest { timestamp: String, status: String },
    /// `{"archived_snapshots": {}}`: no capture at all.
    Nothing,
    /// This status, content type and body, sent as given (malformed JSON, a 503, ...).
    Raw {
        status: u16,
        content_type: String,
        body: String,
    },
    /// Waits before sending anything, then answers as `then`.
    Slow(Duration, Box<Availability>),
    /// A closest capture at `timestamp` whose memento URL is `url`, given as is: another
    /// layout (pywb's `/<collection>/<ts>/<url>`), or no http(s) URL at all.
    ClosestAt {
        url: String,
        timestamp: String,
        status: String,
    },
    /// Reads the request and never answers: the connection stays open until the client gives up.
    Hang,
}

impl Availability {
    pub fn closest(timestamp: &str, status: &str) -> Self {
        Availability::Closest {
            timestamp: timestamp.into(),
            status: status.into(),
        }
    }

    pub fn closest_at(url: &str, timestamp: &str, status: &str) -> Self {
        Availability::ClosestAt {
            url: url.into(),
            timestamp: timestamp.into(),
            status: status.into(),
        }
    }

    pub fn raw(status: u16, content_type: &str, body: &str) -> Self {
        Availability::Raw {
            status,
            content_type: content_type.into(),
            body: body.into(),
        }
    }
}

/// A capture, served at `/web/<ts>id_/<url>` as is and at `/web/<ts>/<url>` behind [`BANNER`].
#[derive(Clone, Debug)]
pub struct Memento {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Memento {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self::status(200, content_type, body)
    }

    pub fn status(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Memento {
            status,
            content_type: content_type.into(),
            body: body.into(),
        }
    }
}

/// How the TimeGate answers about one URL (a URL it does not know: 404).
#[derive(Clone, Debug)]
pub struct Gate {
    /// The 14-digit timestamp of the memento it redirects to (`/web/<ts>/<url>` here).
    pub timestamp: String,
    /// Send `Link: <url>; rel="original", <memento>; rel="memento"; datetime="..."`.
    pub link: bool,
}

#[derive(Default)]
struct State {
    availability: HashMap<String, Availability>,
    /// Keyed `<collection>/<ts>/<url>` (the Wayback Machine's collection is `web`).
    mementos: HashMap<String, Memento>,
    gates: HashMap<String, Gate>,
    /// TimeGate answers that are a 302 to this `Location`, sent as given; win over `gates`.
    gate_locations: HashMap<String, String>,
    robots: Option<String>,
    /// The next this many availability requests answer 429 with this `Retry-After`.
    busy: Option<(usize, String)>,
    /// Gzip every answer whose request allows it (see [`accepts_gzip`]).
    gzip: bool,
    /// The request-targets answered gzip-encoded, in order.
    gzipped: Vec<String>,
}

type Shared = Arc<Mutex<State>>;
type Log = Arc<Mutex<Vec<Request>>>;

/// A running fake archive; stopped when dropped.
pub struct ArchiveServer {
    base: String,
    state: Shared,
    log: Log,
    accept: JoinHandle<()>,
}

impl ArchiveServer {
    /// Binds 127.0.0.1:0; knows no URL until told (availability: no snapshot; gate: 404).
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local addr").port();
        let base = format!("http://127.0.0.1:{port}");
        let state: Shared = Arc::default();
        let log: Log = Arc::default();
        let accept = tokio::spawn(accept_loop(
            listener,
            base.clone(),
            state.clone(),
            log.clone(),
        ));
        ArchiveServer {
            base,
            state,
            log,
            accept,
        }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The availability API's URL, as given to `--wayback`.
    pub fn endpoint(&self) -> String {
        format!("{}{AVAILABLE}", self.base)
    }

    /// The TimeGate's URL prefix, as given to `--timegate`.
    pub fn timegate(&self) -> String {
        format!("{}/timegate/", self.base)
    }

    /// The memento of `url` at `ts` as people see it: `/web/<ts>/<url>`.
    pub fn memento_url(&self, ts: &str, url: &str) -> String {
        format!("{}/web/{ts}/{url}", self.base)
    }

    /// The memento in its original form: `/web/<ts>id_/<url>`.
    pub fn original_url(&self, ts: &str, url: &str) -> String {
        format!("{}/web/{ts}id_/{url}", self.base)
    }

    /// The request-target of [`ArchiveServer::original_url`].
    pub fn original_path(ts: &str, url: &str) -> String {
        format!("/web/{ts}id_/{url}")
    }

    /// The request-target of [`ArchiveServer::memento_url`].
    pub fn replay_path(ts: &str, url: &str) -> String {
        format!("/web/{ts}/{url}")
    }

    /// The request-target the TimeGate is asked at about `url`.
    pub fn gate_path(url: &str) -> String {
        format!("/timegate/{url}")
    }

    pub fn set_availability(&self, url: &str, answer: Availability) {
        self.state
            .lock()
            .unwrap()
            .availability
            .insert(url.into(), answer);
    }

    /// An archive whose only capture is `url` as `body` (a PDF) at `ts`, and the check flags
    /// that ask it and rescue.
    pub async fn holding(url: &str, ts: &str, body: Vec<u8>) -> (ArchiveServer, Vec<String>) {
        let archive = ArchiveServer::start().await;
        archive.set_availability(url, Availability::closest(ts, "200"));
        archive.add_memento(ts, url, Memento::ok("application/pdf", body));
        let flags = vec!["--wayback".into(), archive.endpoint(), "--rescue".into()];
        (archive, flags)
    }

    pub fn add_memento(&self, ts: &str, url: &str, memento: Memento) {
        self.add_memento_in("web", ts, url, memento);
    }

    /// A capture served at `/<collection>/<ts>id_/<url>` as is and at `/<collection>/<ts>/<url>`
    /// behind [`BANNER`] (pywb's layout).
    pub fn add_memento_in(&self, collection: &str, ts: &str, url: &str, memento: Memento) {
        self.state
            .lock()
            .unwrap()
            .mementos
            .insert(format!("{collection}/{ts}/{url}"), memento);
    }

    pub fn set_gate(&self, url: &str, gate: Gate) {
        self.state.lock().unwrap().gates.insert(url.into(), gate);
    }

    /// The TimeGate answers about `url` with a 302 to `location`, sent exactly as given.
    pub fn set_gate_location(&self, url: &str, location: &str) {
        self.state
            .lock()
            .unwrap()
            .gate_locations
            .insert(url.into(), location.into());
    }

    /// The next `requests` availability requests (about any URL) answer `429 Too Many Requests`
    /// with `Retry-After: <retry_after>`; later ones answer as usual.
    pub fn set_busy(&self, requests: usize, retry_after: &str) {
        self.state.lock().unwrap().busy = Some((requests, retry_after.into()));
    }

    /// From now on every answer is gzip-encoded (`Content-Encoding: gzip`) when its request's
    /// `Accept-Encoding` allows gzip.
    pub fn set_gzip(&self, on: bool) {
        self.state.lock().unwrap().gzip = on;
    }

    /// The request-targets whose answers were sent gzip-encoded, in order.
    pub fn gzipped(&self) -> Vec<String> {
        self.state.lock().unwrap().gzipped.clone()
    }

    pub fn set_robots(&self, text: &str) {
        self.state.lock().unwrap().robots = Some(text.into());
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }

    /// How many requests were made for exactly `path` (request-target).
    pub fn count(&self, path: &str) -> usize {
        self.requests().iter().filter(|r| r.path == path).count()
    }

    /// Requests whose request-target is exactly `path`.
    pub fn requests_to(&self, path: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// The availability requests, in order, with every query parameter decoded.
    pub fn availability_requests(&self) -> Vec<Vec<(String, String)>> {
        self.requests()
            .iter()
            .filter_map(|r| {
                let (path, query) = r.path.split_once('?').unwrap_or((&r.path, ""));
                (path == AVAILABLE).then(|| decode_query(query))
            })
            .collect()
    }

    /// The availability requests about `url`: their `timestamp` parameters, in order.
    pub fn availability_asked(&self, url: &str) -> Vec<String> {
        self.availability_requests()
            .into_iter()
            .filter(|q| q.iter().any(|(k, v)| k == "url" && v == url))
            .map(|q| {
                q.into_iter()
                    .find(|(k, _)| k == "timestamp")
                    .map(|(_, v)| v)
                    .unwrap_or_default()
            })
            .collect()
    }
}

impl Drop for ArchiveServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// `a=b&c=d`, percent- and `+`-decoded.
pub fn decode_query(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Whether an `Accept-Encoding` field value (`None`: no such header) allows a gzip-encoded
/// answer (RFC 9110 section 12.5.3): no header allows any coding; otherwise `gzip` (or `x-gzip`),
/// else `*`, must be listed with a non-zero weight.
pub fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    let Some(value) = accept_encoding else {
        return true;
    };
    let mut star = None;
    for member in value.split(',') {
        let mut parts = member.split(';');
        let coding = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let weight = parts
            .find_map(|p| {
                let (k, v) = p.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("q")
                    .then(|| v.trim().parse::<f32>().unwrap_or(0.0))
            })
            .unwrap_or(1.0);
        match coding.as_str() {
            "gzip" | "x-gzip" => return weight > 0.0,
            "*" => star = Some(weight > 0.0),
            _ => {}
        }
    }
    star.unwrap_or(false)
}

/// A 14-digit timestamp as an HTTP date (`Memento-Datetime`, a Link's `datetime`).
pub fn http_date(ts: &str) -> String {
    NaiveDateTime::parse_from_str(ts, "%Y%m%d%H%M%S")
        .unwrap_or_else(|e| panic!("timestamp {ts:?} is not 14 digits: {e}"))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

async fn accept_loop(listener: TcpListener, base: String, state: Shared, log: Log) {
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let Ok((socket, _)) = listener.accept().await else {
            continue;
        };
        connections.spawn(serve(socket, base.clone(), state.clone(), log.clone()));
    }
}

/// One answer: status, headers (Content-Length and Connection are added), body, and how long
/// to wait before sending it.
struct Reply {
    wait: Duration,
    /// Never answer: hold the connection until the client closes it.
    hang: bool,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Reply {
            wait: Duration::ZERO,
            hang: false,
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }

    fn not_found() -> Self {
        Self::new(404, "text/plain", "not found")
    }
}

async fn serve(mut socket: TcpStream, base: String, state: Shared, log: Log) {
    let Some(request) = read_request(&mut socket).await else {
        return;
    };
    let mut reply = {
        let mut state = state.lock().unwrap();
        let mut reply = answer(&request, &base, &mut state);
        if state.gzip && !reply.hang && accepts_gzip(request.header("accept-encoding")) {
            reply.body = gzip(&reply.body);
            reply
                .headers
                .push(("Content-Encoding".into(), "gzip".into()));
            state.gzipped.push(request.path.clone());
        }
        reply
    };
    let head_only = request.method == "HEAD";
    log.lock().unwrap().push(request);
    if reply.hang {
        // Hold the socket, sending nothing, until the client hangs up (or the server is dropped).
        let mut buf = [0u8; 1024];
        while matches!(socket.read(&mut buf).await, Ok(n) if n > 0) {}
        return;
    }
    if !reply.wait.is_zero() {
        tokio::time::sleep(std::mem::take(&mut reply.wait)).await;
    }
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        reply.body.len()
    ));
    // Write errors mean the client went away (e.g. it gave up on a slow answer).
    if socket.write_all(head.as_bytes()).await.is_ok() && !head_only {
        let _ = socket.write_all(&reply.body).await;
    }
    let _ = socket.shutdown().await;
}

fn answer(request: &Request, base: &str, state: &mut State) -> Reply {
    let (path, query) = request
        .path
        .split_once('?')
        .unwrap_or((request.path.as_str(), ""));
    if path == AVAILABLE {
        if let Some((left, retry_after)) = state.busy.as_mut()
            && *left > 0
        {
            *left -= 1;
            let mut reply = Reply::new(429, "text/plain", "slow down");
            reply
                .headers
                .push(("Retry-After".into(), retry_after.clone()));
            return reply;
        }
        let url = decode_query(query)
            .into_iter()
            .find(|(k, _)| k == "url")
            .map(|(_, v)| v)
            .unwrap_or_default();
        let known = state
            .availability
            .get(&url)
            .cloned()
            .unwrap_or(Availability::Nothing);
        return availability(base, &url, known);
    }
    if path == "/robots.txt" {
        return match &state.robots {
            Some(text) => Reply::new(200, "text/plain", text.clone()),
            None => Reply::not_found(),
        };
    }
    if let Some(url) = request.path.strip_prefix("/timegate/") {
        if let Some(location) = state.gate_locations.get(url) {
            let mut reply = Reply::new(302, "text/plain", "");
            reply.headers.push(("Location".into(), location.clone()));
            return reply;
        }
        let Some(gate) = state.gates.get(url) else {
            return Reply::new(404, "text/plain", "no memento");
        };
        let memento = format!("{base}/web/{}/{url}", gate.timestamp);
        let mut reply = Reply::new(302, "text/plain", "");
        reply.headers.push(("Location".into(), memento.clone()));
        reply
            .headers
            .push(("Vary".into(), "accept-datetime".into()));
        if gate.link {
            reply.headers.push((
                "Link".into(),
                format!(
                    "<{url}>; rel=\"original\", <{memento}>; rel=\"memento\"; datetime=\"{}\"",
                    http_date(&gate.timestamp)
                ),
            ));
        }
        return reply;
    }
    // `/<collection>/<ts>[id_]/<url>`: `/web/...` here as at the Wayback Machine, any other
    // collection as in pywb.
    if let Some((collection, rest)) = request
        .path
        .strip_prefix('/')
        .and_then(|p| p.split_once('/'))
    {
        let Some((stamp, url)) = rest.split_once('/') else {
            return Reply::not_found();
        };
        let (ts, original) = match stamp.strip_suffix("id_") {
            Some(ts) => (ts, true),
            None => (stamp, false),
        };
        let Some(memento) = state.mementos.get(&format!("{collection}/{ts}/{url}")) else {
            return Reply::not_found();
        };
        let body = if original {
            memento.body.clone()
        } else {
            [BANNER, &memento.body].concat()
        };
        let mut reply = Reply::new(memento.status, &memento.content_type, body);
        reply
            .headers
            .push(("Memento-Datetime".into(), http_date(ts)));
        return reply;
    }
    Reply::not_found()
}

fn availability(base: &str, url: &str, known: Availability) -> Reply {
    match known {
        Availability::Closest { timestamp, status } => availability(
            base,
            url,
            Availability::ClosestAt {
                url: format!("{base}/web/{timestamp}/{url}"),
                timestamp,
                status,
            },
        ),
        Availability::Nothing => {
            let body = serde_json::json!({"url": url, "archived_snapshots": {}});
            Reply::new(200, "application/json", body.to_string())
        }
        Availability::Raw {
            status,
            content_type,
            body,
        } => Reply::new(status, &content_type, body),
        Availability::Slow(wait, then) => {
            let mut reply = availability(base, url, *then);
            reply.wait += wait;
            reply
        }
        Availability::ClosestAt {
            url: memento,
            timestamp,
            status,
        } => {
            let body = serde_json::json!({
                "url": url,
                "archived_snapshots": {
                    "closest": {
                        "status": status,
                        "available": true,
                        "url": memento,
                        "timestamp": timestamp,
                    }
                }
            });
            Reply::new(200, "application/json", body.to_string())
        }
        Availability::Hang => {
            let mut reply = Reply::new(200, "application/json", "");
            reply.hang = true;
            reply
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        404 => "Not Found",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

async fn read_request(socket: &mut TcpStream) -> Option<Request> {
    parse_head(&read_head(socket).await?)
}
