#!/usr/bin/env bash
# benches/run.sh — issue 7's end-to-end benchmark: linkward against a generated loopback site served
# by nginx, compared with lychee (when installed) and wget --warc-file. See BENCHMARKS.md.
#
# Needs: nginx, python3, /usr/bin/time (GNU), openssl, curl, wget; lychee optional.
#   apt-get install -y nginx-light wget time
#
# Environment (all optional):
#   LINKWARD=path        use this binary instead of running `cargo build --release` here
#   BENCH_DIR=dir        work dir, kept (default: a new /tmp/linkward-bench.XXXXXX, removed at the
#                        end unless BENCH_KEEP=1); results.tsv and every tool's output land there
#   BENCH_PORT=18480     the port every 127.0.0.x host listens on
#   BENCH_HOSTS=50       hosts 127.0.0.1 ... 127.0.0.H
#   BENCH_SIZES="2000 20000"   site sizes (documents) to run
#   BENCH_CONCURRENCY=128      --concurrency for linkward, --max-concurrency for lychee
#   BENCH_STAGES="sites big"   which parts to run: sites (first run, second run, lychee, wget per
#                        size), big (1 GiB document: peak RSS, hashing vs openssl), profile (perf
#                        record, then strace -c, of a first run of the smallest size; needs perf)
#   BENCH_BIG=1GiB       size of the single large document
#   LYCHEE=path          lychee binary (default: `command -v lychee`)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
PORT=${BENCH_PORT:-18480}
HOSTS=${BENCH_HOSTS:-50}
SIZES=${BENCH_SIZES:-"2000 20000"}
CONC=${BENCH_CONCURRENCY:-128}
STAGES=${BENCH_STAGES:-"sites big"}
BIG=${BENCH_BIG:-1GiB}
LYCHEE=${LYCHEE:-$(command -v lychee || true)}
WORK=${BENCH_DIR:-$(mktemp -d /tmp/linkward-bench.XXXXXX)}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
RESULTS=$WORK/results.tsv
SITES_STARTED=()

for tool in nginx python3 /usr/bin/time openssl curl wget; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing (apt-get install -y nginx-light wget time)" >&2; exit 2; }
done

cleanup() {
  local d
  for d in "${SITES_STARTED[@]}"; do python3 "$HERE/site.py" stop --dir "$d" || true; done
  if [[ ${BENCH_KEEP:-0} != 1 && -z ${BENCH_DIR:-} ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '== %s\n' "$*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

if [[ -z ${LINKWARD:-} ]]; then
  log "cargo build --release"
  (cd "$REPO" && cargo build --release --quiet)
  LINKWARD=$REPO/target/release/linkward
fi
log "linkward: $LINKWARD; work dir: $WORK; load average before: $(load)"

printf 'name\twall_s\tcpu_s\tmax_rss_kib\tbytes_written\tbytes_downloaded\tload_before\tload_after\tnote\n' >"$RESULTS"

# measure NAME CMD... — runs CMD under GNU time; stdout to $WORK/NAME.out, stderr to NAME.err.
# Sets WALL, CPU (user+sys) and RSS (KiB). Exit codes 0 and 1 (something broken) are both fine
# for linkward; wget's 8 (some server answered an error) too; OK_RC="..." overrides the list.
measure() {
  local name=$1; shift
  LOAD_BEFORE=$(load)
  local rc=0
  /usr/bin/time -v -o "$WORK/$name.time" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
  LOAD_AFTER=$(load)
  if [[ " ${OK_RC:-0 1 8} " != *" $rc "* ]]; then
    echo "run.sh: $name exited $rc; stderr:" >&2; tail -5 "$WORK/$name.err" >&2; return $rc
  fi
  read -r WALL CPU RSS < <(python3 - "$WORK/$name.time" <<'EOF'
import sys
t = {}
for line in open(sys.argv[1]):
    k, _, v = line.strip().rpartition(": ")
    t[k] = v
wall = 0.0
for part in t["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":"):
    wall = wall * 60 + float(part)
cpu = float(t["User time (seconds)"]) + float(t["System time (seconds)"])
print(f"{wall:.2f} {cpu:.2f} {t['Maximum resident set size (kbytes)']}")
EOF
)
}

record() { # record NAME BYTES_WRITTEN BYTES_DOWNLOADED NOTE
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$WALL" "$CPU" "$RSS" "$2" "$3" \
    "$LOAD_BEFORE" "$LOAD_AFTER" "$4" >>"$RESULTS"
  log "$(printf '%-22s wall %8ss  cpu %8ss  rss %8s KiB  written %12s  downloaded %12s  load %s -> %s  %s' \
    "$1" "$WALL" "$CPU" "$RSS" "$2" "$3" "$LOAD_BEFORE" "$LOAD_AFTER" "$4")"
}

# written_note DIR — what `du -sb DIR` adds up, split: file bytes under blobs/ and db/, other files,
# and the number of directories (each counts 4 KiB: blobs/sha256/xx/yy/ makes many of them).
written_note() {
  python3 - "$1" <<'PY'
import os, sys
root = sys.argv[1]
# Format 1 kept bodies under blobs/; format 2 keeps them in warc/ (the packs) with a files/ view
# of hard links (counted once by du, here by size).
sizes = {"blobs": 0, "warc": 0, "files": 0, "db": 0, "other": 0}
dirs = 0
for d, subdirs, names in os.walk(root):
    dirs += len(subdirs)
    top = os.path.relpath(d, root).split(os.sep)[0]
    for n in names:
        sizes[top if top in sizes else "other"] += os.lstat(os.path.join(d, n)).st_size
print(f"blob files {sizes['blobs']}, warc {sizes['warc']}, files/ view {sizes['files']}, db files {sizes['db']}, other files {sizes['other']}, {dirs} dirs")
PY
}

# nginx_cpu DIR — CPU seconds (user+sys) used so far by the workers of the nginx serving DIR.
nginx_cpu() {
  local master ticks=0 pid
  master=$(cat "$1/nginx.pid")
  for pid in $(pgrep -P "$master"); do
    ticks=$(( ticks + $(awk '{print $14 + $15}' "/proc/$pid/stat") ))
  done
  python3 -c "import os,sys; print(f'{int(sys.argv[1]) / os.sysconf(\"SC_CLK_TCK\"):.2f}')" "$ticks"
}

summary_field() { # summary_field FILE.json FIELD
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"][sys.argv[2]])' "$1" "$2"
}
summary_line() {
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print(" ".join(f"{k}={v}" for k,v in s.items()))' "$1"
}

# settle_after_deletions — wget --delete-after and the rm above free thousands of inodes. ext4
# without a journal (this machine's /) will not reuse an inode freed less than
# vm.dirty_expire_centisecs ago (30 s): until then every new file and folder costs a scan past
# them (`recently_deleted` in a kernel profile took 37% of a first run's CPU after an rm -rf). No
# real run starts seconds after deleting a few thousand files, so the next measured run waits.
settle_after_deletions() {
  local wait=$(( $(cat /proc/sys/vm/dirty_expire_centisecs 2>/dev/null || echo 3000) / 100 + 1 ))
  log "waiting ${wait} s for freed inodes to settle before the next measured run"
  sync; sleep "$wait"
}

start_site() { # start_site DIR HOSTS
  python3 "$HERE/site.py" start --dir "$1" --hosts "$2" --port "$PORT"
  SITES_STARTED+=("$1")
}
stop_site() {
  python3 "$HERE/site.py" stop --dir "$1"
  local keep=() d
  for d in "${SITES_STARTED[@]}"; do [[ $d == "$1" ]] || keep+=("$d"); done
  SITES_STARTED=("${keep[@]}")
}

# linkward's flags for every run: per-host limits lifted, no retries, JSON on stdout.
# --wayback off: the 2% broken links would otherwise be looked up in the public Wayback Machine
# (lychee and wget do no such thing, and a benchmark must not reach the internet).
LW_FLAGS=(--per-host-rate unlimited --per-host-concurrency "$CONC" --concurrency "$CONC"
          --ignore-robots --retries 0 --wayback off --format json)

if ss -ltn 2>/dev/null | grep -q ":$PORT "; then
  echo "run.sh: port $PORT is already in use on some address; set BENCH_PORT" >&2; exit 2
fi
# Whatever ran before (an rm -rf of an earlier work dir, a test suite) may have freed inodes.
settle_after_deletions

for stage in $STAGES; do case $stage in
sites)
  for n in $SIZES; do
    site=$WORK/site-$n
    log "site of $n documents over $HOSTS hosts"
    python3 "$HERE/site.py" gen --dir "$site" --docs "$n" --hosts "$HOSTS" --port "$PORT"
    start_site "$site" "$HOSTS"
    seed=http://127.0.0.1:$PORT/seed.html
    arch=$WORK/archive-$n
    if [[ -e $arch ]]; then rm -rf "$arch"; settle_after_deletions; fi

    ngx0=$(nginx_cpu "$site")
    measure "linkward-$n-first" "$LINKWARD" check "$seed" --archive "$arch" "${LW_FLAGS[@]}"
    ngx1=$(nginx_cpu "$site")
    first_dl=$(summary_field "$WORK/linkward-$n-first.out" bytes_downloaded)
    record "linkward-$n-first" "$(du -sb "$arch" | cut -f1)" "$first_dl" \
      "$(summary_line "$WORK/linkward-$n-first.out"); $(written_note "$arch"); nginx CPU $(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$ngx0" "$ngx1") s"
    declare "WALL_FIRST_$n=$WALL" "CPU_FIRST_$n=$CPU" "RSS_FIRST_$n=$RSS"

    before=$(du -sb "$arch" | cut -f1)
    measure "linkward-$n-second" "$LINKWARD" check "$seed" --archive "$arch" "${LW_FLAGS[@]}"
    second_dl=$(summary_field "$WORK/linkward-$n-second.out" bytes_downloaded)
    record "linkward-$n-second" "$(( $(du -sb "$arch" | cut -f1) - before ))" "$second_dl" \
      "$(summary_line "$WORK/linkward-$n-second.out"); archive now: $(written_note "$arch")"
    declare "DL_FIRST_$n=$first_dl" "DL_SECOND_$n=$second_dl"

    if [[ -n $LYCHEE ]]; then
      # Per-host limits lifted: no per-host concurrency cap beyond the global one, no interval.
      # Flags that only some lychee versions have are added when its --help lists them.
      lflags=(--no-progress --max-concurrency "$CONC" --max-retries 0 --format json)
      lhelp=$("$LYCHEE" --help)
      if [[ $lhelp == *--host-concurrency* ]]; then lflags+=(--host-concurrency "$CONC"); fi
      if [[ $lhelp == *--host-request-interval* ]]; then lflags+=(--host-request-interval 0s); fi
      # lychee exits 2 when it found broken links, as it will here (2% answer 404).
      OK_RC="0 2" measure "lychee-$n" "$LYCHEE" "${lflags[@]}" "$seed"
      record "lychee-$n" 0 "" "$("$LYCHEE" --version)"
      declare "WALL_LYCHEE_$n=$WALL"
    fi

    wdir=$WORK/wget-$n
    rm -rf "$wdir"; mkdir -p "$wdir/files"
    # Sequential, as wget is; one try like --retries 0; the WARC uncompressed like linkward's blobs;
    # the downloaded files themselves deleted so only the WARC is written.
    measure "wget-$n" wget -q --tries=1 -i "$site/urls.txt" --warc-file="$wdir/site" \
      --no-warc-compression --delete-after -P "$wdir/files"
    record "wget-$n" "$(du -sb "$wdir" | cut -f1)" "" "$(wget --version | head -1)"
    declare "WALL_WGET_$n=$WALL"
    rm -rf "$wdir"
    settle_after_deletions

    stop_site "$site"
  done
  ;;
big)
  site=$WORK/site-big
  log "one document of $BIG"
  file=$(python3 "$HERE/site.py" big --dir "$site" --port "$PORT" --size "$BIG")
  start_site "$site" 1
  seed=http://127.0.0.1:$PORT/seed.html
  arch=$WORK/archive-big
  if [[ -e $arch ]]; then rm -rf "$arch"; settle_after_deletions; fi
  measure linkward-big "$LINKWARD" check "$seed" --archive "$arch" "${LW_FLAGS[@]}" --max-size 2GiB --timeout 30m
  record linkward-big "$(du -sb "$arch" | cut -f1)" "$(summary_field "$WORK/linkward-big.out" bytes_downloaded)" \
    "$(summary_line "$WORK/linkward-big.out"); $(written_note "$arch")"
  WALL_BIG=$WALL RSS_BIG=$RSS

  # Hashing alone, like for like: `linkward verify --blobs-only` reads the stored body back from
  # its pack and rehashes it (the pack streamed from the page cache), `openssl dgst` the served
  # file (also in the page cache). Format 1 kept it as a blob file.
  cat "$arch"/warc/*.warc.gz "$arch"/blobs/sha256/*/*/* >/dev/null 2>&1 || true
  measure linkward-verify "$LINKWARD" verify --blobs-only --archive "$arch" --format json
  record linkward-verify 0 "" "rehash of the $BIG blob: $(tr -d '\n' <"$WORK/linkward-verify.out" | cut -c1-80)"
  WALL_VERIFY=$WALL
  rm -rf "$arch"
  cat "$file" >/dev/null
  measure openssl-sha256 openssl dgst -sha256 "$file"
  record openssl-sha256 0 "" "$(cut -d' ' -f2 "$WORK/openssl-sha256.out")"
  WALL_OPENSSL=$WALL
  measure sha256sum sha256sum "$file"
  record sha256sum 0 "" "coreutils, no SHA extensions"
  # What linkward does, done by tools: download, write to disk, fsync, hash.
  measure curl-tee-openssl bash -c "curl -s http://127.0.0.1:$PORT/big.bin | tee '$WORK/big.copy' | openssl dgst -sha256 && sync '$WORK/big.copy'"
  record curl-tee-openssl "$(du -sb "$WORK/big.copy" | cut -f1)" "" "download + write + fsync + hash"
  WALL_CURL=$WALL
  rm -f "$WORK/big.copy"
  # Issue 15's anchor, with coreutils' sha256sum.
  measure curl-tee-sha256sum bash -c "curl -s http://127.0.0.1:$PORT/big.bin | tee '$WORK/big.copy' | sha256sum && sync '$WORK/big.copy'"
  record curl-tee-sha256sum "$(du -sb "$WORK/big.copy" | cut -f1)" "" "download + write + hash + sync"
  rm -f "$WORK/big.copy"
  stop_site "$site"
  ;;
profile)
  n=${SIZES%% *}
  site=$WORK/site-$n
  python3 "$HERE/site.py" gen --dir "$site" --docs "$n" --hosts "$HOSTS" --port "$PORT"
  start_site "$site" "$HOSTS"
  arch=$WORK/archive-profile
  rm -rf "$arch"
  log "perf record of a first run over $n documents"
  perf record -e cpu-clock -F 2000 -g -o "$WORK/perf.data" -- \
    "$LINKWARD" check "http://127.0.0.1:$PORT/seed.html" --archive "$arch" "${LW_FLAGS[@]}" >/dev/null 2>"$WORK/perf.err" || true
  {
    echo "-- CPU samples by thread and object"
    perf report -i "$WORK/perf.data" --no-children --sort comm,dso --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -10
    echo "-- system calls, inclusive share of all samples"
    perf report -i "$WORK/perf.data" --children --sort sym --stdio -g none 2>/dev/null | grep -E '\] (__x64_sys_[a-z0-9_]+|do_fsync)$' | head -15
    echo "-- hottest symbols, self"
    perf report -i "$WORK/perf.data" --no-children --sort sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -30
  } | tee "$WORK/profile.txt" >&2
  if command -v strace >/dev/null; then
    rm -rf "$arch"
    settle_after_deletions
    log "strace -c -f of a first run over $n documents"
    strace -f -c -o "$WORK/strace.txt" "$LINKWARD" check "http://127.0.0.1:$PORT/seed.html" --archive "$arch" \
      "${LW_FLAGS[@]}" >/dev/null 2>>"$WORK/perf.err" || true
    head -25 "$WORK/strace.txt" >&2
  fi
  stop_site "$site"
  ;;
*) echo "run.sh: unknown stage $stage" >&2; exit 2 ;;
esac; done

echo
column -t -s $'\t' "$RESULTS"
echo
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.2f}' if b else 'n/a')" "$1" "$2"; }
verdict() { python3 -c "
import sys
try: print('met' if float(sys.argv[1]) <= float(sys.argv[2]) else 'MISSED')
except ValueError: print('n/a')" "$1" "$2"; }
small=${SIZES%% *}; large=${SIZES##* }
if [[ $STAGES == *sites* ]]; then
  for n in $SIZES; do
    w=WALL_FIRST_$n; wg=WALL_WGET_$n; d1=DL_FIRST_$n; d2=DL_SECOND_$n; ly=WALL_LYCHEE_$n
    echo "n=$n: linkward/wget wall ratio $(ratio "${!w}" "${!wg}")"
    if [[ -n ${!ly:-} ]]; then
      echo "n=$n: linkward/lychee wall ratio $(ratio "${!w}" "${!ly}") (target for 2000: <= 1.00, $(verdict "$(ratio "${!w}" "${!ly}")" 1.0))"
    else
      echo "n=$n: lychee not installed: no lychee ratio"
    fi
    r=$(ratio "${!d2}" "${!d1}")
    echo "n=$n: second run downloaded ${!d2} of ${!d1} bytes = $r (target <= 0.05: $(verdict "$r" 0.05))"
  done
  if [[ $small != "$large" ]]; then
    ws=WALL_FIRST_$small; wl=WALL_FIRST_$large; rl=RSS_FIRST_$large
    r=$(ratio "${!wl}" "${!ws}")
    echo "n=$large vs n=$small wall ratio $r (target <= 10.5: $(verdict "$r" 10.5))"
    cs=CPU_FIRST_$small; cl=CPU_FIRST_$large
    echo "n=$large vs n=$small CPU-time ratio $(ratio "${!cl}" "${!cs}") (less sensitive to other load)"
    echo "n=$large peak RSS ${!rl} KiB (target <= 131072: $(verdict "${!rl}" 131072))"
  fi
fi
if [[ $STAGES == *big* ]]; then
  echo "$BIG document: peak RSS $RSS_BIG KiB (target <= 65536: $(verdict "$RSS_BIG" 65536))"
  r=$(ratio "$WALL_VERIFY" "$WALL_OPENSSL")
  echo "$BIG: hashing, linkward verify / openssl dgst = $r (target <= 1.2: $(verdict "$r" 1.2))"
  echo "$BIG: linkward check (download + hash + write + fsync) / openssl dgst (hash only) = $(ratio "$WALL_BIG" "$WALL_OPENSSL")"
  echo "$BIG: linkward / (curl | tee file | openssl dgst; sync) = $(ratio "$WALL_BIG" "$WALL_CURL")"
fi
echo "results: $RESULTS"
