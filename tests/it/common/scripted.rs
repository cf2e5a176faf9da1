//! A test server whose every answer is computed by a closure from the request, request body
//! included: for webhooks (what was POSTed), pages that differ on every request (a timestamp and
//! a random token), and hosts that answer any path (a soft-404 probe's random sibling).
//!
//! Invariants, as for `TestServer`: 127.0.0.1 only (or loopback inside a test's own network
//! namespace, `serve_std`); every request is logged (with its body)
//! before it is answered; every answer closes the connection; dropping the server stops it.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// One request as received, body included.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    /// The raw request-target (path and query).
    pub path: String,
    /// Header names lowercased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the closure answers.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn status(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Reply {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }

    /// A 200 HTML page (UTF-8).
    pub fn html(body: impl Into<String>) -> Self {
        Self::status(200, "text/html; charset=utf-8", body.into().into_bytes())
    }

    pub fn not_found() -> Self {
        Self::status(404, "text/plain", "not found")
    }
}

type Handler = Arc<dyn Fn(&Received) -> Reply + Send + Sync>;
type Log = Arc<Mutex<Vec<Received>>>;

/// A running scripted server; stopped when dropped.
pub struct ScriptedServer {
    base: String,
    log: Log,
    accept: JoinHandle<()>,
}

impl ScriptedServer {
    /// Binds 127.0.0.1:0 and answers every request with `handler`.
    pub async fn start(handler: impl Fn(&Received) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local addr").port();
        let log: Log = Arc::default();
        let accept = tokio::spawn(accept_loop(listener, Arc::new(handler), log.clone()));
        ScriptedServer {
            base: format!("http://127.0.0.1:{port}"),
            log,
            accept,
        }
    }

    /// Answers every request with `handler` on a listener bound elsewhere (e.g. inside a
    /// network namespace, see `netns`); its base URL is `http://<its address>`.
    pub fn serve_std(
        listener: std::net::TcpListener,
        handler: impl Fn(&Received) -> Reply + Send + Sync + 'static,
    ) -> Self {
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let listener = TcpListener::from_std(listener).expect("tokio listener");
        let addr = listener.local_addr().expect("local addr");
        let log: Log = Arc::default();
        let accept = tokio::spawn(accept_loop(listener, Arc::new(handler), log.clone()));
        ScriptedServer {
            base: format!("http://{addr}"),
            log,
            accept,
        }
    }

    /// The absolute URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }

    /// Requests whose request-target is exactly `path`.
    pub fn requests_to(&self, path: &str) -> Vec<Received> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn accept_loop(listener: TcpListener, handler: Handler, log: Log) {
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let Ok((socket, _)) = listener.accept().await else {
            continue;
        };
        connections.spawn(serve(socket, handler.clone(), log.clone()));
    }
}

/// Largest request (head and body) read; a bigger one is answered 413.
const MAX_REQUEST: usize = 8 * 1024 * 1024;

async fn serve(mut socket: TcpStream, handler: Handler, log: Log) {
    let reply = match read_request(&mut socket).await {
        Some(request) => {
            let reply = handler(&request);
            log.lock().unwrap().push(request);
            reply
        }
        None => Reply::status(413, "text/plain", "bad or oversized request"),
    };
    let mut head = format!("HTTP/1.1 {} Status\r\n", reply.status);
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        reply.body.len()
    ));
    // Write errors mean the client went away; there is no one left to tell.
    if socket.write_all(head.as_bytes()).await.is_ok() {
        let _ = socket.write_all(&reply.body).await;
    }
    let _ = socket.shutdown().await;
}

/// Reads a request head and a `Content-Length` body.
async fn read_request(socket: &mut TcpStream) -> Option<Received> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_REQUEST {
            return None;
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let path = request_line.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.trim().to_ascii_lowercase(), value.trim().to_string()))
        })
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    if length > MAX_REQUEST {
        return None;
    }
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Some(Received {
        method,
        path,
        headers,
        body,
    })
}
