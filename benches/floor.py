#!/usr/bin/env python3
"""Durability floor for issue 7: how long does the disk alone need to make the benchmark site's
bodies durable on this machine, done the cheapest ways possible, independent of linkward?

linkward, per body, writes a temp file under tmp/, fsyncs it, creates blobs/sha256/aa/bb/ as
needed (each new folder fsynced into its parent), renames the file to blobs/sha256/aa/bb/<hex>,
fsyncs that folder, and also appends the body to one per-run WARC file fsynced at the end. This
script replays exactly those file-system operations, and cheaper alternatives, with no network,
no parsing and no hashing inside the timed region:

  1      page cache only: every body to blobs/sha256/aa/bb/<hex>, no fsync at all
  2      per-file durable like linkward, sequential (temp, write, fsync, rename, fsync folder;
         every new folder fsynced into its parent)
  3x8    the same as 2 from a pool of 8 threads (fsync releases the GIL)
  3x32   the same from 32 threads (linkward's blocking pool size)
  4      group commit: all files written (temp + rename, no fsync), then one syncfs(2) of the
         scratch filesystem (flushes *everything* dirty on that filesystem, other processes' too)
  4b     batched fsync: all files written as in 4, then every blob and every folder fsynced once,
         from 8 threads (portable, per-file scoped alternative to 4)
  5      one big file: all bodies appended to one file, one fsync (sequential throughput floor)
  5x2    the same with twice the bytes (blobs + WARC)
  6      2 plus every body appended to one "warc" file, fsynced, renamed and its folder fsynced
         once at the end (linkward's writes, without its CPU work), sequential
  6x32   6 from 32 threads (WARC appends serialised by a lock, like linkward's one writer)

Every body file of the site is read into memory and hashed before anything is timed. Each
strategy runs REPEAT times, each run in a fresh scratch subdirectory; before each run the system
is synced (os.sync, untimed) so earlier runs' dirty pages are not charged to it, and after each
run the subdirectory is kept until the end (ext4 without a journal makes files created within
30 s of a mass deletion scan past the freed inodes, which would charge one run's cleanup to the
next). It needs free space for REPEAT x 15 copies of the site. Load averages are read before and after each strategy:
another process on the machine (a build, another benchmark) shows up there.

Run (the site comes from `benches/site.py gen`; the scratch directory must be on the filesystem
the archive would live on):

    python3 benches/floor.py /tmp/lw7/site-2000 --scratch /tmp/lw7/floor
    python3 benches/floor.py /tmp/lw7/site-2000 --scratch /dev/shm/floor --tsv floor-shm.tsv
    python3 benches/floor.py SITE --repeat 5 --only 2,3x32,4,5,6x32

A --scratch directory that does not exist is created and removed at the end; one that exists is
kept, and only the subdirectories this script made in it are removed.
"""

import argparse
import concurrent.futures
import ctypes
import ctypes.util
import glob
import hashlib
import itertools
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time

MB = 1_000_000


# ---------------------------------------------------------------------------------------------
# Machine facts


def unescape_mount(s):
    """/proc/mounts escapes space, tab, newline and backslash as \\ooo."""
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 4 <= len(s) and s[i + 1:i + 4].isdigit():
            out.append(chr(int(s[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def mount_of(path):
    """(device, mountpoint, fstype, options) of the mount holding path; the last, longest match
    wins, as the kernel's later mounts hide earlier ones."""
    path = os.path.realpath(path)
    best = None
    with open("/proc/mounts") as f:
        for line in f:
            fields = line.split()
            if len(fields) < 4:
                continue
            dev, mp, fstype, opts = (unescape_mount(x) for x in fields[:4])
            if path == mp or mp == "/" or path.startswith(mp.rstrip("/") + "/"):
                if best is None or len(mp) >= len(best[1]):
                    best = (dev, mp, fstype, opts)
    return best or ("?", "?", "?", "?")


def read_first(path, default="?"):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def block_facts(dev):
    """rotational / write_cache of the block device behind dev, when there is one."""
    if not dev.startswith("/dev/"):
        return ""
    sys_dev = os.path.realpath(os.path.join("/sys/class/block", os.path.basename(os.path.realpath(dev))))
    if not os.path.isdir(sys_dev):
        return ""
    if os.path.exists(os.path.join(sys_dev, "partition")):
        sys_dev = os.path.dirname(sys_dev)
    q = os.path.join(sys_dev, "queue")
    return (f"rotational={read_first(os.path.join(q, 'rotational'))} "
            f"write_cache={read_first(os.path.join(q, 'write_cache'))!r} "
            f"scheduler={read_first(os.path.join(q, 'scheduler'))}")


def loadavg():
    """'1m 5m 15m running/total' from /proc/loadavg."""
    return " ".join(read_first("/proc/loadavg").split()[:4])


def io_pressure():
    """'some' avg10 of /proc/pressure/io (% of time some task waited on I/O), or '-'."""
    for line in read_first("/proc/pressure/io", "").splitlines():
        if line.startswith("some "):
            return line.split()[1].split("=")[1]
    return "-"


def mem_total():
    for line in read_first("/proc/meminfo", "").splitlines():
        if line.startswith("MemTotal:"):
            return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "?"


# ---------------------------------------------------------------------------------------------
# The bodies


def load_bodies(site):
    """[(hex sha256, bytes)] of every body under SITE/hosts/*/doc/, distinct by hash (the archive
    stores each distinct body once), in a fixed order."""
    paths = sorted(glob.glob(os.path.join(site, "hosts", "*", "doc", "*")))
    paths = [p for p in paths if os.path.isfile(p)]
    if not paths:
        sys.exit(f"floor.py: no bodies under {site}/hosts/*/doc/ (generate one with benches/site.py gen)")
    seen, bodies = set(), []
    for p in paths:
        with open(p, "rb") as f:
            data = f.read()
        hexd = hashlib.sha256(data).hexdigest()
        if hexd not in seen:
            seen.add(hexd)
            bodies.append((hexd, data))
    return bodies, len(paths)


# ---------------------------------------------------------------------------------------------
# File-system primitives (counting fsyncs so the table can show them)


class Counter:
    """fsync calls made, from any thread."""

    def __init__(self):
        self._n = 0
        self._lock = threading.Lock()

    def tick(self):
        with self._lock:
            self._n += 1

    def value(self):
        return self._n


def fsync_path(path, counter, flags=os.O_RDONLY):
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
        counter.tick()
    finally:
        os.close(fd)


def write_file(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class Archive:
    """A scratch archive with linkward's layout: ROOT/blobs/sha256/aa/bb/<hex>, temp files in
    ROOT/tmp/. Both top folders exist before timing starts (linkward makes them at open)."""

    def __init__(self, root):
        self.root = root
        self.blobs = os.path.join(root, "blobs", "sha256")
        self.tmp = os.path.join(root, "tmp")
        os.makedirs(self.blobs)
        os.makedirs(self.tmp)
        self.fsyncs = Counter()
        self.dir_lock = threading.Lock()
        self.temp_ids = itertools.count()

    def folder(self, hexd):
        return os.path.join(self.blobs, hexd[:2], hexd[2:4])

    def temp_path(self):
        return os.path.join(self.tmp, f"part-{next(self.temp_ids)}")

    def make_dirs(self, folder, durable):
        """Creates folder and its missing parents; with durable, each new one is fsynced into its
        parent, under one lock (as linkward does, so no writer renames into a folder whose own
        entry is not yet durable)."""
        if os.path.isdir(folder):
            return
        with self.dir_lock:
            self._make_dirs_locked(folder, durable)

    def _make_dirs_locked(self, folder, durable):
        if os.path.isdir(folder):
            return
        parent = os.path.dirname(folder)
        self._make_dirs_locked(parent, durable)
        os.mkdir(folder)
        if durable:
            fsync_path(parent, self.fsyncs)

    def put_plain(self, hexd, data):
        """Strategy 1: straight to the final name, nothing durable."""
        folder = self.folder(hexd)
        self.make_dirs(folder, durable=False)
        write_file(os.path.join(folder, hexd), data)

    def put_durable(self, hexd, data):
        """linkward's BlobWriter::finish: temp, write, fsync, close, durable folders, read-only,
        rename, fsync the blob's folder."""
        tmp = self.temp_path()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            write_all(fd, data)
            os.fsync(fd)
            self.fsyncs.tick()
        finally:
            os.close(fd)
        folder = self.folder(hexd)
        self.make_dirs(folder, durable=True)
        os.chmod(tmp, 0o444)
        os.rename(tmp, os.path.join(folder, hexd))
        fsync_path(folder, self.fsyncs)

    def put_deferred(self, hexd, data):
        """Strategies 4/4b: temp, write, rename, nothing fsynced yet."""
        tmp = self.temp_path()
        write_file(tmp, data)
        folder = self.folder(hexd)
        self.make_dirs(folder, durable=False)
        os.rename(tmp, os.path.join(folder, hexd))


class Warc:
    """One append-only file, like linkward's <name>.warc.gz.open, finished by fsync, rename and a
    folder fsync."""

    def __init__(self, archive):
        self.archive = archive
        self.dir = os.path.join(archive.root, "warc")
        os.makedirs(self.dir)
        self.open_path = os.path.join(self.dir, "run.warc.gz.open")
        self.fd = os.open(self.open_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        self.lock = threading.Lock()

    def append(self, data):
        with self.lock:
            write_all(self.fd, data)

    def finish(self):
        os.fsync(self.fd)
        self.archive.fsyncs.tick()
        os.close(self.fd)
        os.rename(self.open_path, self.open_path[: -len(".open")])
        fsync_path(self.dir, self.archive.fsyncs)


_libc = None


def syncfs(path, counter):
    """syncfs(2) on path's filesystem through libc; os.sync() when that is unavailable. Returns
    the call's name for the table."""
    global _libc
    if _libc is None:
        name = ctypes.util.find_library("c")
        _libc = ctypes.CDLL(name, use_errno=True) if name else False
    fd = os.open(path, os.O_RDONLY)
    try:
        if _libc and hasattr(_libc, "syncfs"):
            if _libc.syncfs(fd) != 0:
                err = ctypes.get_errno()
                raise OSError(err, os.strerror(err))
            counter.tick()
            return "syncfs"
        os.sync()
        counter.tick()
        return "sync"
    finally:
        os.close(fd)


def run_pool(threads, fn, items):
    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
        for _ in pool.map(lambda item: fn(*item), items):
            pass


# ---------------------------------------------------------------------------------------------
# Strategies: each takes (scratch root, bodies) and returns the archive (whose counter holds the
# fsyncs made) and the timed closure, which may return the seconds of its final sync phase. Set-up that is not
# part of the work (the archive's two top folders) happens in Archive() before the clock starts,
# so each strategy is split into prepare() (untimed) and a run closure (timed).


def s1_page_cache(root, bodies):
    a = Archive(root)

    def run():
        for hexd, data in bodies:
            a.put_plain(hexd, data)
    return a, run


def s2_durable_seq(root, bodies):
    a = Archive(root)

    def run():
        for hexd, data in bodies:
            a.put_durable(hexd, data)
    return a, run


def s3_durable_pool(threads):
    def strategy(root, bodies):
        a = Archive(root)

        def run():
            run_pool(threads, a.put_durable, bodies)
        return a, run
    return strategy


def s4_group_syncfs(root, bodies):
    a = Archive(root)

    def run():
        for hexd, data in bodies:
            a.put_deferred(hexd, data)
        t0 = time.perf_counter()
        syncfs(root, a.fsyncs)
        return time.perf_counter() - t0
    return a, run


def s4b_batched_fsync(root, bodies):
    a = Archive(root)

    def run():
        for hexd, data in bodies:
            a.put_deferred(hexd, data)
        blobs = [os.path.join(a.folder(h), h) for h, _ in bodies]
        folders = sorted({os.path.dirname(p) for p in blobs})
        parents = sorted({os.path.dirname(f) for f in folders}) + [a.blobs]
        t0 = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda p: fsync_path(p, a.fsyncs), blobs))
            list(pool.map(lambda p: fsync_path(p, a.fsyncs), folders + parents))
        return time.perf_counter() - t0
    return a, run


def s5_one_file(copies):
    def strategy(root, bodies):
        a = Archive(root)
        path = os.path.join(root, "one-file")

        def run():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                for _ in range(copies):
                    for _, data in bodies:
                        write_all(fd, data)
                os.fsync(fd)
                a.fsyncs.tick()
            finally:
                os.close(fd)
        return a, run
    return strategy


def s6_durable_warc(threads):
    def strategy(root, bodies):
        a = Archive(root)
        w = Warc(a)

        def put(hexd, data):
            a.put_durable(hexd, data)
            w.append(data)

        def run():
            if threads == 1:
                for hexd, data in bodies:
                    put(hexd, data)
            else:
                run_pool(threads, put, bodies)
            w.finish()
        return a, run
    return strategy


STRATEGIES = [
    ("1", "page cache only, no fsync", 1, s1_page_cache),
    ("2", "per-file durable (linkward), sequential", 1, s2_durable_seq),
    ("3x8", "per-file durable, 8 threads", 1, s3_durable_pool(8)),
    ("3x32", "per-file durable, 32 threads", 1, s3_durable_pool(32)),
    ("4", "group commit: write all, one syncfs (whole fs!)", 1, s4_group_syncfs),
    ("4b", "write all, then fsync each file+folder, 8 thr", 1, s4b_batched_fsync),
    ("5", "one big file, one fsync", 1, s5_one_file(1)),
    ("5x2", "one big file x2 bytes (blobs+WARC), one fsync", 2, s5_one_file(2)),
    ("6", "2 + WARC append, fsync at end, sequential", 2, s6_durable_warc(1)),
    ("6x32", "2 + WARC append, fsync at end, 32 threads", 2, s6_durable_warc(32)),
]


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("site", help="site directory from benches/site.py gen (has hosts/*/doc/)")
    ap.add_argument("--scratch", help="scratch directory on the archive's filesystem "
                    "(default: a new directory under /tmp)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per strategy (default 3)")
    ap.add_argument("--only", help="comma-separated strategy ids to run (default: all): "
                    + ",".join(s[0] for s in STRATEGIES))
    ap.add_argument("--tsv", help="also write the rows as TSV to this file")
    ap.add_argument("--lychee", type=float, default=0.38,
                    help="lychee's check-only wall time in seconds, for the ratio column (default 0.38)")
    args = ap.parse_args()

    chosen = STRATEGIES
    if args.only:
        want = [x.strip() for x in args.only.split(",") if x.strip()]
        unknown = set(want) - {s[0] for s in STRATEGIES}
        if unknown:
            sys.exit(f"floor.py: unknown strategy id(s): {', '.join(sorted(unknown))}")
        chosen = [s for s in STRATEGIES if s[0] in want]

    bodies, files = load_bodies(args.site)
    total = sum(len(d) for _, d in bodies)
    big = sum(1 for _, d in bodies if len(d) >= 1 << 20)
    folders = len({h[:4] for h, _ in bodies})
    tops = len({h[:2] for h, _ in bodies})

    created_scratch = False
    if args.scratch:
        scratch = os.path.abspath(args.scratch)
        if not os.path.isdir(scratch):
            os.makedirs(scratch)
            created_scratch = True
    else:
        scratch = tempfile.mkdtemp(prefix="lw-floor-", dir="/tmp")
        created_scratch = True

    dev, mp, fstype, opts = mount_of(scratch)
    print("linkward durability floor (benches/floor.py)")
    print(f"  site        {os.path.abspath(args.site)}: {files} body files, {len(bodies)} distinct, "
          f"{total / MB:.1f} MB ({big} of >= 1 MiB), {tops} aa/ + {folders} aa/bb/ folders")
    print(f"  scratch     {scratch}")
    print(f"  filesystem  {fstype} on {dev} at {mp} ({opts})")
    bf = block_facts(dev)
    if bf:
        print(f"  device      {bf}")
    print(f"  machine     nproc={os.cpu_count()} mem={mem_total()} kernel={platform.release()} "
          f"python={platform.python_version()}")
    print(f"  vm          dirty_ratio={read_first('/proc/sys/vm/dirty_ratio')} "
          f"dirty_background_ratio={read_first('/proc/sys/vm/dirty_background_ratio')} "
          f"dirty_expire_centisecs={read_first('/proc/sys/vm/dirty_expire_centisecs')}")
    print(f"  load now    {loadavg()}   (1m 5m 15m running/total), io psi some avg10 {io_pressure()}")
    print(f"  runs        {args.repeat} per strategy; os.sync() before each run and cleanup after, untimed")
    print(f"  reference   lychee check-only {args.lychee:.2f} s")
    print()

    rows = []
    header = ["id", "strategy", "MB", "fsyncs", "min_s", "median_s", "max_s", "MB_per_s",
              "x_lychee", "sync_phase_med_s", "load_before", "load_after", "io_psi_before",
              "io_psi_after", "runs_s"]
    print(f"{'id':<5} {'strategy':<48} {'MB':>6} {'fsyncs':>6} {'min s':>7} {'med s':>7} "
          f"{'max s':>7} {'MB/s':>7} {'xlychee':>7} {'sync s':>6}  load 1m/5m, io psi: before -> after")
    note_syncfs = None
    made = []
    try:
        for sid, name, copies, strategy in chosen:
            before, psi_before = loadavg(), io_pressure()
            times, syncs, fsyncs = [], [], 0
            for _ in range(args.repeat):
                root = tempfile.mkdtemp(prefix=f"s{sid}-", dir=scratch)
                try:
                    archive, run = strategy(root, bodies)
                    os.sync()
                    t0 = time.perf_counter()
                    sync_phase = run()
                    times.append(time.perf_counter() - t0)
                    fsyncs = archive.fsyncs.value()
                    if sync_phase is not None:
                        syncs.append(sync_phase)
                finally:
                    # Not removed until the end: ext4 without a journal will not reuse an inode
                    # freed less than vm.dirty_expire_centisecs (30 s) ago, and the next run's
                    # every new file and folder would pay a scan past thousands of them.
                    made.append(root)
            after, psi_after = loadavg(), io_pressure()
            if sid == "4":
                note_syncfs = ("syncfs(2)" if _libc and hasattr(_libc, "syncfs") else "sync(2)")
            mb = total * copies / MB
            lo, med, hi = min(times), statistics.median(times), max(times)
            sync_med = f"{statistics.median(syncs):.3f}" if syncs else "-"
            row = [sid, name, f"{mb:.1f}", str(fsyncs), f"{lo:.3f}", f"{med:.3f}", f"{hi:.3f}",
                   f"{mb / lo:.0f}", f"{lo / args.lychee:.1f}", sync_med, before, after,
                   psi_before, psi_after,
                   ",".join(f"{t:.3f}" for t in times)]
            rows.append(row)
            lb = " ".join(before.split()[:2])
            la = " ".join(after.split()[:2])
            print(f"{sid:<5} {name:<48} {mb:>6.1f} {fsyncs:>6} {lo:>7.3f} {med:>7.3f} {hi:>7.3f} "
                  f"{mb / lo:>7.0f} {lo / args.lychee:>7.1f} {sync_med:>6}  "
                  f"{lb}, {psi_before} -> {la}, {psi_after}", flush=True)
    finally:
        for root in made:
            shutil.rmtree(root, ignore_errors=True)
        if created_scratch:
            shutil.rmtree(scratch, ignore_errors=True)

    print()
    print("notes: x_lychee = min / lychee's time. fsyncs counts fsync/syncfs calls per run.")
    print("       sync s = median seconds of 4/4b's final sync phase (the rest is writing the files).")
    print("       io psi = /proc/pressure/io 'some avg10' (% of the last 10 s some task waited on I/O).")
    if note_syncfs:
        scope = "the whole scratch filesystem" if note_syncfs == "syncfs(2)" else "every filesystem"
        print(f"       4 used {note_syncfs}: it flushes every dirty page of {scope}, other processes'")
        print("       writes included, so it is a floor, not something linkward could ship as is.")
    print("       5/5x2 are the device's sequential-write floor for these bytes (no metadata at all).")
    print(f"       load after the last strategy: {loadavg()}")

    if args.tsv:
        with open(args.tsv, "w") as f:
            f.write("\t".join(header) + "\n")
            for row in rows:
                f.write("\t".join(row) + "\n")
        print(f"       rows written to {args.tsv}")


if __name__ == "__main__":
    main()
