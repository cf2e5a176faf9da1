#!/usr/bin/env python3
"""Benchmark site for linkward (issue 7): generate N documents over H loopback hosts and serve
them with nginx, one server block per 127.0.0.x on the same port.

    site.py gen   --dir D --docs N --hosts H --port P   # D/hosts/127.0.0.x/..., D/seed.html, D/urls.txt
    site.py big   --dir D --port P [--size 1GiB]        # one document of SIZE, streamed to disk, and its seed
    site.py start --dir D --hosts H --port P [--no-file-cache]  # nginx in the background; waits until every host answers
    site.py stop  --dir D                               # stops that nginx and waits for it to be gone
    site.py edit  --dir D --docs N --hosts H --round R [--share 0.02] [--bytes B]  # edits that share of the documents

Generation is deterministic (seeded), so regenerating gives byte-identical files: a second run over
"the unchanged site" sees the same bodies. Document k lives on host 127.0.0.((k mod H) + 1); its
body is 2-20 KiB of incompressible bytes, except every 100th document (1%), which is 1 MiB. Every
50th listed URL (2%) has no file behind it and answers 404. The seed page lists every URL under
a "Related Documents" heading and is served by 127.0.0.1 at /seed.html.
"""

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import time

KIB = 1024
MIB = 1024 * KIB


def parse_size(s):
    units = {"": 1, "k": KIB, "kib": KIB, "m": MIB, "mib": MIB, "g": 1024 * MIB, "gib": 1024 * MIB}
    num = s.rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return int(num) * units[s[len(num):].lower()]


def host_ip(i):
    """The i-th host, 1-based: 127.0.0.1 ... 127.0.0.H (H <= 254)."""
    return f"127.0.0.{i}"


def gen(args):
    if not 1 <= args.hosts <= 254:
        sys.exit("site.py: --hosts must be 1..254")
    rng = random.Random(args.seed)
    root = os.path.join(args.dir, "hosts")
    for h in range(1, args.hosts + 1):
        os.makedirs(os.path.join(root, host_ip(h), "doc"), exist_ok=True)
    urls = []
    body_bytes = 0
    broken = 0
    big = 0
    for k in range(args.docs):
        ip = host_ip(k % args.hosts + 1)
        is_broken = k % 50 == 49  # 2%
        is_big = k % 100 == 0  # 1%
        ext = "bin" if is_big else "html"
        name = f"doc/{k:06d}.{ext}"
        urls.append(f"http://{ip}:{args.port}/{name}")
        size = MIB if is_big else rng.randint(2 * KIB, 20 * KIB)
        body = rng.randbytes(size)  # drawn even for broken links, so bodies don't depend on them
        path = os.path.join(root, ip, name)
        if is_broken:
            broken += 1
            if os.path.exists(path):
                os.remove(path)
            continue
        big += is_big
        body_bytes += size
        write_if_changed(path, body)
    write_seed(args.dir, urls, f"Benchmark site: {args.docs} documents over {args.hosts} hosts")
    with open(os.path.join(args.dir, "urls.txt"), "w") as f:
        f.write("\n".join(urls) + "\n")
    print(f"site: {len(urls)} urls over {args.hosts} hosts, {broken} broken, {big} of 1 MiB, "
          f"{body_bytes} body bytes; seed http://127.0.0.1:{args.port}/seed.html", file=sys.stderr)


def edit(args):
    """Edits `--share` of the documents `gen` made (never the missing ones), picked and drawn from
    `--round`, so each round of a history benchmark edits a different, reproducible set (as a site
    whose pages are edited between two daily runs): each is rewritten whole with new bytes of the
    same size, or with `--bytes B`, B bytes at a random place in it are (a small edit: the change
    report's diff excerpt stays short, where a whole new body gives the longest one)."""
    rng = random.Random(f"edit-{args.seed}-{args.round}")
    live = [k for k in range(args.docs) if k % 50 != 49]
    picked = sorted(rng.sample(live, max(1, round(len(live) * args.share))))
    root = os.path.join(args.dir, "hosts")
    for k in picked:
        ip = host_ip(k % args.hosts + 1)
        ext = "bin" if k % 100 == 0 else "html"
        path = os.path.join(root, ip, f"doc/{k:06d}.{ext}")
        size = os.path.getsize(path)
        if args.bytes and args.bytes < size:
            at = rng.randrange(size - args.bytes)
            with open(path, "r+b") as f:
                f.seek(at)
                f.write(rng.randbytes(args.bytes))
        else:
            with open(path, "wb") as f:
                f.write(rng.randbytes(size))
    print(f"site: round {args.round} edited {len(picked)} of {len(live)} documents", file=sys.stderr)


def write_if_changed(path, body):
    """Leave an identical file alone, so its mtime (Last-Modified) and ETag stay as they were."""
    try:
        if os.path.getsize(path) == len(body):
            with open(path, "rb") as f:
                if f.read() == body:
                    return
    except OSError:
        pass
    with open(path, "wb") as f:
        f.write(body)


def write_seed(d, urls, title):
    out = [
        "<!DOCTYPE html>",
        f"<html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>",
        f"<h1>{title}</h1>",
        "<h2>Related Documents</h2>",
        "<ul>",
    ]
    out += [f"<li><a href=\"{u}\">Document {i}</a></li>" for i, u in enumerate(urls)]
    out += ["</ul>", "</body></html>", ""]
    seed_dir = os.path.join(d, "hosts", host_ip(1))
    os.makedirs(seed_dir, exist_ok=True)
    data = "\n".join(out).encode()
    write_if_changed(os.path.join(seed_dir, "seed.html"), data)
    write_if_changed(os.path.join(d, "seed.html"), data)


def big_doc(args):
    """One document of --size bytes, written in 8 MiB chunks of random bytes (never whole in memory)."""
    size = parse_size(args.size)
    root = os.path.join(args.dir, "hosts", host_ip(1))
    os.makedirs(root, exist_ok=True)
    path = os.path.join(root, "big.bin")
    if not (os.path.exists(path) and os.path.getsize(path) == size):
        rng = random.Random(args.seed)
        chunk = 8 * MIB
        with open(path + ".part", "wb") as f:
            left = size
            while left:
                n = min(chunk, left)
                f.write(rng.randbytes(n))
                left -= n
        os.replace(path + ".part", path)
    url = f"http://127.0.0.1:{args.port}/big.bin"
    write_seed(args.dir, [url], "Benchmark site: one large document")
    with open(os.path.join(args.dir, "urls.txt"), "w") as f:
        f.write(url + "\n")
    print(path)


NGINX_CONF = """\
# generated by benches/site.py
user root;
worker_processes {workers};
daemon on;
pid {d}/nginx.pid;
error_log {d}/nginx-error.log warn;
worker_rlimit_nofile 65536;
events {{ worker_connections 8192; multi_accept on; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 100000;
    keepalive_timeout 120s;
    default_type application/octet-stream;
    types {{ text/html html; application/octet-stream bin; }}
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    {file_cache}
{servers}
}}
"""

SERVER = """\
    server {{ listen {ip}:{port}; server_name _; root {root}; }}
"""


def start(args):
    d = os.path.abspath(args.dir)
    os.makedirs(os.path.join(d, "tmp"), exist_ok=True)
    servers = "".join(
        SERVER.format(ip=host_ip(h), port=args.port, root=os.path.join(d, "hosts", host_ip(h)))
        for h in range(1, args.hosts + 1)
    )
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        # A site edited between runs (`edit`) must not be served from the cache of file metadata,
        # which would answer 304 with the old ETag for up to 60 s.
        file_cache = "open_file_cache off;" if args.no_file_cache else "open_file_cache max=50000 inactive=60s;"
        f.write(NGINX_CONF.format(d=d, servers=servers, workers=args.workers, file_cache=file_cache))
    if read_pid(d):
        stop(args)
    subprocess.run(["nginx", "-p", d, "-c", conf], check=True)
    deadline = time.monotonic() + 10
    for h in range(1, args.hosts + 1):
        while True:
            try:
                socket.create_connection((host_ip(h), args.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    stop(args)
                    sys.exit(f"site.py: nginx did not answer on {host_ip(h)}:{args.port}")
                time.sleep(0.05)
    print(f"nginx pid {read_pid(d)} serving {args.hosts} hosts on port {args.port}", file=sys.stderr)


def read_pid(d):
    try:
        with open(os.path.join(d, "nginx.pid")) as f:
            pid = int(f.read().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def stop(args):
    d = os.path.abspath(args.dir)
    pid = read_pid(d)
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)  # nginx master: fast shutdown, takes its workers with it
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            print(f"nginx pid {pid} stopped", file=sys.stderr)
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    sys.exit(f"site.py: nginx pid {pid} did not stop; killed")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--dir", required=True)
    g.add_argument("--docs", type=int, required=True)
    g.add_argument("--hosts", type=int, required=True)
    g.add_argument("--port", type=int, required=True)
    g.add_argument("--seed", type=int, default=7)
    b = sub.add_parser("big")
    b.add_argument("--dir", required=True)
    b.add_argument("--port", type=int, required=True)
    b.add_argument("--size", default="1GiB")
    b.add_argument("--seed", type=int, default=7)
    s = sub.add_parser("start")
    s.add_argument("--dir", required=True)
    s.add_argument("--hosts", type=int, required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--workers", type=int, default=2)
    s.add_argument("--no-file-cache", action="store_true")
    e = sub.add_parser("edit")
    e.add_argument("--dir", required=True)
    e.add_argument("--docs", type=int, required=True)
    e.add_argument("--hosts", type=int, required=True)
    e.add_argument("--round", type=int, required=True)
    e.add_argument("--share", type=float, default=0.02)
    e.add_argument("--bytes", type=int, default=0)
    e.add_argument("--seed", type=int, default=7)
    t = sub.add_parser("stop")
    t.add_argument("--dir", required=True)
    args = p.parse_args()
    {"gen": gen, "big": big_doc, "start": start, "stop": stop, "edit": edit}[args.cmd](args)


if __name__ == "__main__":
    main()
