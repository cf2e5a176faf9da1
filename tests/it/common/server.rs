//! A real HTTP/1.1 test server on 127.0.0.1 (or on a listener a test bound elsewhere), built on a raw `TcpListener` so that tests control
//! every byte, including the faulty ones (short bodies, stalls, trickles, endless bodies, resets,
//! gzip and brotli bombs, raw header blocks).
//!
//! Invariants: every request is logged (method, raw request-target, headers) before it is
//! answered; every answer closes the connection; dropping the server aborts the accept task and,
//! with it, every connection still being served.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flate2::Compression;
use flate2::write::GzEncoder;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

pub use super::bombs::{BrotliBomb, GzipBomb, pdf_bomb};

/// What the server does when a route is requested.
#[derive(Clone, Debug)]
pub enum Behaviour {
    /// A complete response with `Content-Length` and `Connection: close`.
    Ok {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// A redirect with an empty body; `location` is sent as given (may be relative).
    Redirect { status: u16, location: String },
    /// Sleep before sending anything at all, then behave as `then`.
    Delay {
        before_headers: Duration,
        then: Box<Behaviour>,
    },
    /// Declare `declared_len` in `Content-Length`, send only `body`, then close.
    Truncated { declared_len: usize, body: Vec<u8> },
    /// Gzip-encode `body` and send it with `Content-Encoding: gzip`.
    Gzip { body: Vec<u8> },
    /// Stream a gzip member that decodes to `decoded_len` zero bytes.
    GzipBomb { decoded_len: u64 },
    /// A 200 declaring the whole `body` in `Content-Length`, then sending it `chunk` bytes at a
    /// time, sleeping `every` before each piece: never idle for long, yet slow to finish.
    Trickle {
        body: Vec<u8>,
        chunk: usize,
        every: Duration,
    },
    /// A 200 with no `Content-Length` whose body is zeros forever, close-delimited or chunked,
    /// until the client hangs up.
    Endless { chunked: bool },
    /// Read the request, send nothing, and hold the socket until the client closes it.
    HeadersNever,
    /// Send half a response head (`HTTP/1.1 200 OK\r\nContent-Ty`), then reset the connection
    /// (SO_LINGER 0, so the close is an RST, not a FIN).
    ResetMidHeaders,
    /// Stream a brotli body (`Content-Encoding: br`) that decodes to `decoded_len` zero bytes.
    BrotliBomb { decoded_len: u64 },
    /// Send these bytes exactly as given (status line, headers and body), then close.
    Raw(Vec<u8>),
    /// The n-th request to the route (counted over every request to its path, from the first)
    /// gets the n-th behaviour; every request after the last gets the last one.
    Sequence(Vec<Behaviour>),
}

impl Behaviour {
    /// 200 with the given content type and body.
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self::status(200, content_type, body)
    }

    /// Any status with the given content type and body.
    pub fn status(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Behaviour::Ok {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }

    /// An HTML page (UTF-8).
    pub fn html(body: impl Into<String>) -> Self {
        Self::ok("text/html; charset=utf-8", body.into().into_bytes())
    }

    pub fn redirect(status: u16, location: impl Into<String>) -> Self {
        Behaviour::Redirect {
            status,
            location: location.into(),
        }
    }

    /// A 200 `application/octet-stream` of `len` bytes sent one byte per `every`.
    pub fn trickle(len: usize, every: Duration) -> Self {
        Behaviour::Trickle {
            body: vec![b'.'; len],
            chunk: 1,
            every,
        }
    }

    pub fn delay(before_headers: Duration, then: Behaviour) -> Self {
        Behaviour::Delay {
            before_headers,
            then: Box::new(then),
        }
    }
}

/// One request as the server received it.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// The raw request-target, percent-encoding kept as sent (path and query).
    pub path: String,
    /// Header names lowercased, in the order received.
    pub headers: Vec<(String, String)>,
    /// When the server finished reading the request head.
    pub at: std::time::Instant,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Routes = Arc<Mutex<HashMap<String, Behaviour>>>;
type Log = Arc<Mutex<Vec<Request>>>;

/// A running test server; stopped when dropped.
pub struct TestServer {
    base: String,
    routes: Routes,
    log: Log,
    accept: JoinHandle<()>,
}

impl TestServer {
    /// Binds 127.0.0.1:0 and serves `routes` (keyed by request-target, e.g. `/a/b?c=d`).
    pub async fn start<K: Into<String>>(routes: impl IntoIterator<Item = (K, Behaviour)>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        Self::serve(listener, routes)
    }

    /// Serves `routes` on a listener bound elsewhere (e.g. inside a network namespace, see
    /// `netns`); its base URL is `http://<its address>`.
    pub fn serve_std<K: Into<String>>(
        listener: std::net::TcpListener,
        routes: impl IntoIterator<Item = (K, Behaviour)>,
    ) -> Self {
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        Self::serve(
            TcpListener::from_std(listener).expect("tokio listener"),
            routes,
        )
    }

    fn serve<K: Into<String>>(
        listener: TcpListener,
        routes: impl IntoIterator<Item = (K, Behaviour)>,
    ) -> Self {
        let addr = listener.local_addr().expect("local addr");
        let routes: Routes = Arc::new(Mutex::new(
            routes.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        ));
        let log: Log = Arc::default();
        let accept = tokio::spawn(accept_loop(listener, routes.clone(), log.clone()));
        TestServer {
            base: format!("http://{addr}"),
            routes,
            log,
            accept,
        }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The absolute URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Adds or replaces a route; takes effect for the next request.
    pub fn set_route(&self, path: impl Into<String>, behaviour: Behaviour) {
        self.routes.lock().unwrap().insert(path.into(), behaviour);
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }

    /// Requests whose request-target is exactly `path`.
    pub fn requests_to(&self, path: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// The distinct paths requested, leaving out linkward's own requests: robots.txt and the
    /// soft-404 probes (one per host and directory).
    pub fn document_paths(&self) -> std::collections::BTreeSet<String> {
        self.requests()
            .into_iter()
            .map(|r| r.path)
            .filter(|p| p != "/robots.txt" && !p.contains("/linkward-probe-"))
            .collect()
    }

    /// How many requests (any method) were made for exactly `path`.
    pub fn count(&self, path: &str) -> usize {
        self.requests_to(path).len()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn accept_loop(listener: TcpListener, routes: Routes, log: Log) {
    // Owning the connections here means aborting this task aborts them all.
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let Ok((socket, _)) = listener.accept().await else {
            continue;
        };
        connections.spawn(serve(socket, routes.clone(), log.clone()));
    }
}

/// Largest request head accepted; anything longer is answered 431.
const MAX_HEAD: usize = 64 * 1024;

async fn serve(mut socket: TcpStream, routes: Routes, log: Log) {
    let Some(head) = read_head(&mut socket).await else {
        let _ = write_simple(&mut socket, 431, b"").await;
        return;
    };
    let Some(request) = parse_head(&head) else {
        let _ = write_simple(&mut socket, 400, b"").await;
        return;
    };
    let behaviour = {
        let routes = routes.lock().unwrap();
        routes.get(&request.path).cloned()
    };
    let head_only = request.method == "HEAD";
    let behaviour = {
        let mut log = log.lock().unwrap();
        let earlier = log.iter().filter(|r| r.path == request.path).count();
        log.push(request);
        behaviour.map(|b| b.for_request(earlier))
    };
    let behaviour =
        behaviour.unwrap_or_else(|| Behaviour::status(404, "text/plain", b"not found".to_vec()));
    // Write errors mean the client went away (e.g. it stopped reading a too-large body).
    match respond(&mut socket, behaviour, head_only).await {
        Ok(Ending::Reset) => {
            // Zero linger turns the close into an RST; dropping the socket closes it.
            let _ = socket2::SockRef::from(&socket).set_linger(Some(Duration::ZERO));
            drop(socket);
        }
        Ok(Ending::Close) | Err(_) => {
            let _ = socket.shutdown().await;
        }
    }
}

/// Reads one request head (up to the blank line); `None` at EOF or past `MAX_HEAD`.
pub async fn read_head(socket: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 4096];
    loop {
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = find(&head, b"\r\n\r\n") {
            head.truncate(end);
            return Some(head);
        }
        if head.len() > MAX_HEAD {
            return None;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

pub fn parse_head(head: &[u8]) -> Option<Request> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let path = request_line.next()?.to_string();
    let headers = lines
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.trim().to_ascii_lowercase(), value.trim().to_string()))
        })
        .collect();
    Some(Request {
        method,
        path,
        headers,
        at: std::time::Instant::now(),
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn status_head(status: u16, content_length: u64, headers: &[(String, String)]) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {content_length}\r\nConnection: close\r\n\r\n"
    ));
    head.into_bytes()
}

async fn write_simple(socket: &mut TcpStream, status: u16, body: &[u8]) -> std::io::Result<()> {
    socket
        .write_all(&status_head(status, body.len() as u64, &[]))
        .await?;
    socket.write_all(body).await
}

async fn respond(
    socket: &mut TcpStream,
    mut behaviour: Behaviour,
    head_only: bool,
) -> std::io::Result<Ending> {
    // Delays nest; unwrap them iteratively so that `respond` need not be recursive.
    while let Behaviour::Delay {
        before_headers,
        then,
    } = behaviour
    {
        tokio::time::sleep(before_headers).await;
        behaviour = *then;
    }
    match behaviour {
        Behaviour::Delay { .. } => unreachable!("unwrapped above"),
        Behaviour::Sequence(_) => unreachable!("resolved by `for_request` in `serve`"),
        Behaviour::ResetMidHeaders => {
            socket.write_all(b"HTTP/1.1 200 OK\r\nContent-Ty").await?;
            socket.flush().await?;
            return Ok(Ending::Reset);
        }
        Behaviour::HeadersNever => {
            let mut buf = [0u8; 1024];
            while socket.read(&mut buf).await? > 0 {}
        }
        Behaviour::Endless { chunked } => {
            let framing = if chunked {
                "Transfer-Encoding: chunked"
            } else {
                "Connection: close"
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n{framing}\r\n\r\n"
            );
            socket.write_all(head.as_bytes()).await?;
            let zeros = vec![0u8; ENDLESS_PIECE];
            let chunk_head = format!("{ENDLESS_PIECE:x}\r\n");
            if head_only {
                return Ok(Ending::Close);
            }
            // Ends only when a write fails: the client hung up.
            loop {
                if chunked {
                    socket.write_all(chunk_head.as_bytes()).await?;
                }
                socket.write_all(&zeros).await?;
                if chunked {
                    socket.write_all(b"\r\n").await?;
                }
            }
        }
        Behaviour::BrotliBomb { decoded_len } => {
            // Building one compresses a few MiB: off the runtime's threads, and only once.
            let bomb = tokio::task::spawn_blocking(move || BrotliBomb::cached(decoded_len))
                .await
                .expect("build the brotli bomb");
            let headers = [
                ("Content-Type".to_string(), "application/pdf".to_string()),
                ("Content-Encoding".to_string(), "br".to_string()),
            ];
            socket
                .write_all(&status_head(200, bomb.encoded_len(), &headers))
                .await?;
            if !head_only {
                bomb.write_to(socket).await?;
            }
        }
        Behaviour::Raw(bytes) => {
            socket.write_all(&bytes).await?;
        }
        Behaviour::Ok {
            status,
            headers,
            body,
        } => {
            socket
                .write_all(&status_head(status, body.len() as u64, &headers))
                .await?;
            if !head_only {
                socket.write_all(&body).await?;
            }
        }
        Behaviour::Redirect { status, location } => {
            let headers = [("Location".to_string(), location)];
            socket.write_all(&status_head(status, 0, &headers)).await?;
        }
        Behaviour::Truncated { declared_len, body } => {
            let headers = [("Content-Type".to_string(), "application/pdf".to_string())];
            socket
                .write_all(&status_head(200, declared_len as u64, &headers))
                .await?;
            if !head_only {
                socket.write_all(&body).await?;
            }
            socket.flush().await?;
        }
        Behaviour::Gzip { body } => {
            let encoded = gzip(&body);
            let headers = [
                (
                    "Content-Type".to_string(),
                    "text/html; charset=utf-8".to_string(),
                ),
                ("Content-Encoding".to_string(), "gzip".to_string()),
            ];
            socket
                .write_all(&status_head(200, encoded.len() as u64, &headers))
                .await?;
            if !head_only {
                socket.write_all(&encoded).await?;
            }
        }
        Behaviour::GzipBomb { decoded_len } => {
            let bomb = GzipBomb::new(decoded_len);
            let headers = [
                ("Content-Type".to_string(), "application/pdf".to_string()),
                ("Content-Encoding".to_string(), "gzip".to_string()),
            ];
            socket
                .write_all(&status_head(200, bomb.encoded_len(), &headers))
                .await?;
            if !head_only {
                bomb.write_to(socket).await?;
            }
        }
        Behaviour::Trickle { body, chunk, every } => {
            let headers = [(
                "Content-Type".to_string(),
                "application/octet-stream".to_string(),
            )];
            socket
                .write_all(&status_head(200, body.len() as u64, &headers))
                .await?;
            socket.flush().await?;
            if !head_only {
                for piece in body.chunks(chunk.max(1)) {
                    tokio::time::sleep(every).await;
                    socket.write_all(piece).await?;
                    socket.flush().await?;
                }
            }
        }
    }
    Ok(Ending::Close)
}

/// How a connection ends once its answer is written.
enum Ending {
    /// Shut down the write side (FIN).
    Close,
    /// Drop with SO_LINGER 0, so the peer sees a connection reset (RST).
    Reset,
}

/// Bytes of zeros per write of an endless body.
const ENDLESS_PIECE: usize = 64 * 1024;

/// Gzip-encodes `body` (one member, default level).
pub fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(body).expect("gzip into memory");
    encoder.finish().expect("gzip into memory")
}

impl Behaviour {
    /// What the `earlier`-th (0-based) request to a route gets: a `Sequence` picks its step,
    /// also inside a `Delay`; any other behaviour is served as is.
    fn for_request(self, earlier: usize) -> Behaviour {
        match self {
            Behaviour::Sequence(steps) => {
                let last = steps.len().saturating_sub(1);
                steps
                    .into_iter()
                    .nth(earlier.min(last))
                    .unwrap_or_else(|| {
                        Behaviour::status(500, "text/plain", b"empty sequence".to_vec())
                    })
                    .for_request(earlier)
            }
            Behaviour::Delay {
                before_headers,
                then,
            } => Behaviour::Delay {
                before_headers,
                then: Box::new(then.for_request(earlier)),
            },
            other => other,
        }
    }

    /// A response with `status`, extra `headers` and a plain-text `body`.
    pub fn with_headers(status: u16, headers: &[(&str, &str)], body: impl Into<Vec<u8>>) -> Self {
        let mut all: Vec<(String, String)> = vec![("Content-Type".into(), "text/plain".into())];
        all.extend(headers.iter().map(|(n, v)| (n.to_string(), v.to_string())));
        Behaviour::Ok {
            status,
            headers: all,
            body: body.into(),
        }
    }
}
