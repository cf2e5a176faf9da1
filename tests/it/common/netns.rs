//! A network and mount namespace of a test's own, for what loopback alone cannot show: a page on a
//! public address. `unshare -n -m` (root only) starts a holder process in a fresh network
//! namespace, whose only interface is `lo`, and a private mount namespace; it brings `lo` up, adds
//! the test's addresses to it and bind-mounts the test's own /etc/hosts, then sleeps until the
//! namespace is dropped (it is killed then). Test servers listen inside it (bound by a short-lived
//! thread that joined it with setns(2)) and are served by the test's runtime as usual; linkward
//! runs inside it through `nsenter`.
//!
//! Invariant: no packet can leave. The namespace has no interface but `lo`, so every address in
//! it, public-looking or not, is either one of `lo`'s or unreachable.

use std::ffi::OsString;
use std::io::ErrorKind;
use std::net::{IpAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::process::Stdio;
use std::time::Duration;

use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::linkward::Run;
use super::scripted::{Received, Reply, ScriptedServer};
use super::{Behaviour, Linkward, TestServer};

/// Sets the namespace up, says so, and holds it until killed.
const HOLDER: &str = r#"
set -e
ip link set lo up
for address in "$@"; do ip addr add "$address" dev lo; done
mount --bind "$LINKWARD_TEST_HOSTS" /etc/hosts
echo ready
exec sleep 3600
"#;

/// A namespace held for one test; dropping it kills the holder.
pub struct Namespace {
    holder: Child,
    pid: u32,
    _dir: TempDir,
}

impl Namespace {
    /// A namespace with `addresses` (CIDR, e.g. `100.128.0.10/32`) on `lo` and /etc/hosts naming
    /// `hosts` (name, address). `None`, after a NOTICE on stderr, when the test cannot make one:
    /// not root, or unshare, nsenter or ip missing.
    pub async fn start(addresses: &[&str], hosts: &[(&str, &str)]) -> Option<Namespace> {
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("NOTICE: not root: skipping a test that needs its own network namespace");
            return None;
        }
        for tool in ["unshare", "nsenter", "ip"] {
            let found = std::process::Command::new(tool)
                .arg(if tool == "ip" { "-V" } else { "--version" })
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !found {
                eprintln!(
                    "NOTICE: {tool} is missing: skipping a test that needs its own network namespace"
                );
                return None;
            }
        }
        let dir = TempDir::new().expect("temp dir");
        let hosts_file = dir.path().join("hosts");
        let mut text = String::from("127.0.0.1 localhost\n::1 localhost\n");
        for (name, address) in hosts {
            text.push_str(&format!("{address} {name}\n"));
        }
        std::fs::write(&hosts_file, text).expect("write the namespace's hosts file");
        let mut holder = Command::new("unshare")
            .args(["-n", "-m", "sh", "-c", HOLDER, "sh"])
            .args(addresses)
            .env("LINKWARD_TEST_HOSTS", &hosts_file)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn unshare");
        let pid = holder.id().expect("the holder is running");
        let stdout = holder.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await;
        if !matches!(&ready, Ok(Ok(Some(line))) if line == "ready") {
            let _ = holder.start_kill();
            let output = holder.wait_with_output().await.expect("holder output");
            panic!(
                "the namespace could not be set up ({ready:?}): {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Some(Namespace {
            holder,
            pid,
            _dir: dir,
        })
    }

    /// A listener on `ip`, port chosen by the kernel, inside the namespace.
    pub fn listener(&self, ip: IpAddr) -> TcpListener {
        self.inside(move || TcpListener::bind((ip, 0)))
    }

    /// A test server on `ip` inside the namespace.
    pub fn serve<K: Into<String>>(
        &self,
        ip: IpAddr,
        routes: impl IntoIterator<Item = (K, Behaviour)>,
    ) -> TestServer {
        TestServer::serve_std(self.listener(ip), routes)
    }

    /// A scripted server (every answer computed by `handler`) on `ip` inside the namespace.
    pub fn scripted(
        &self,
        ip: IpAddr,
        handler: impl Fn(&Received) -> Reply + Send + Sync + 'static,
    ) -> ScriptedServer {
        ScriptedServer::serve_std(self.listener(ip), handler)
    }

    /// Runs `ip <args>` inside the namespace (`link set lo down`: the machine loses its
    /// network; servers keep their sockets and answer again once it is back up).
    pub fn ip(&self, args: &[&str]) {
        let status = std::process::Command::new("nsenter")
            .args(["--target", &self.pid.to_string(), "--net", "ip"])
            .args(args)
            .status()
            .expect("run ip in the namespace");
        assert!(
            status.success(),
            "ip {args:?} failed in the namespace: {status}"
        );
    }

    /// Runs `f` on a thread of its own that joined the namespace (setns affects only the calling
    /// thread; sockets it makes stay in the namespace after it ends).
    fn inside<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
    ) -> T {
        let path = format!("/proc/{}/ns/net", self.pid);
        std::thread::spawn(move || {
            let ns = std::fs::File::open(&path)?;
            // SAFETY: setns only moves this thread, which is ours and ends when `f` returns; the
            // file descriptor is valid for the call.
            if unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
            f()
        })
        .join()
        .expect("the namespace thread panicked")
        .unwrap_or_else(|e| panic!("inside the namespace: {e}"))
    }

    /// Connections that reached `listener` and were never accepted: the kernel completes every
    /// TCP handshake and queues it, so this counts every connection made to it. Each is accepted
    /// (and closed) by counting.
    pub fn connections_made(listener: &TcpListener) -> usize {
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let mut count = 0;
        loop {
            match listener.accept() {
                Ok(_) => count += 1,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return count,
                Err(e) => panic!("accept: {e}"),
            }
        }
    }

    /// Connects to `listener` from inside the namespace: a check that `connections_made` sees a
    /// connection when there is one.
    pub fn connect(&self, listener: &TcpListener) {
        let addr = listener.local_addr().expect("local addr");
        self.inside(move || TcpStream::connect(addr).map(drop));
    }

    /// `nsenter` into the namespace, in linkward's working directory.
    fn wrapper(&self, linkward: &Linkward) -> Vec<OsString> {
        vec![
            "nsenter".into(),
            "--target".into(),
            self.pid.to_string().into(),
            "--net".into(),
            "--mount".into(),
            format!("--wd={}", linkward.cwd().display()).into(),
            "--".into(),
        ]
    }

    /// Runs `linkward check <seeds> --archive ... <FAST_FLAGS> <extra>` inside the namespace.
    pub async fn check(&self, linkward: &Linkward, seeds: &[&str], extra: &[&str]) -> Run {
        linkward
            .run_via(&self.wrapper(linkward), linkward.check_args(seeds, extra))
            .await
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = self.holder.start_kill();
    }
}
