#!/usr/bin/env bash
# benches/history.sh — issue 15's history benchmark: how the store and peak RSS grow over daily runs.
# Twelve runs (BENCH_RUNS) of one archive over the generated loopback site of benches/site.py
# (BENCH_DOCS documents over BENCH_HOSTS hosts, nginx), 2% of the documents (BENCH_EDIT) rewritten
# before every run but the first. After each run: `du -sb archive/db`, peak RSS and wall time from
# GNU time, and how many checks were unchanged (change `unchanged` or `still-broken`).
#
# Usage: benches/history.sh LABEL=BINARY [LABEL=BINARY ...]
#   each binary gets its own fresh site (identical: generation is seeded) and archive, one after
#   the other; results land in $BENCH_DIR/history.tsv and a summary is printed at the end.
# Needs: nginx, python3, /usr/bin/time (GNU)   (apt-get install -y nginx-light time)
# Environment: BENCH_DIR (default a new /tmp/linkward-history.XXXXXX, kept), BENCH_PORT=18490,
#   BENCH_HOSTS=50, BENCH_DOCS=2000, BENCH_RUNS=12, BENCH_EDIT=0.02, BENCH_CONCURRENCY=128,
#   BENCH_EDIT_BYTES=0 (each edited document rewritten whole; N: N bytes of it rewritten);
#   STORE_SIZES=binary of benches/store_sizes.rs (`cargo bench --no-run --bench store_sizes`
#   prints it): the store's live bytes (keys and values) after each run, in the live_bytes column.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PORT=${BENCH_PORT:-18490}
HOSTS=${BENCH_HOSTS:-50}
DOCS=${BENCH_DOCS:-2000}
RUNS=${BENCH_RUNS:-12}
EDIT=${BENCH_EDIT:-0.02}
EDIT_BYTES=${BENCH_EDIT_BYTES:-0}
CONC=${BENCH_CONCURRENCY:-128}
WORK=${BENCH_DIR:-$(mktemp -d /tmp/linkward-history.XXXXXX)}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
OUT=$WORK/history.tsv

[[ $# -ge 1 ]] || { echo "usage: benches/history.sh LABEL=BINARY [LABEL=BINARY ...]" >&2; exit 2; }
for tool in nginx python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "history.sh: $tool is missing (apt-get install -y nginx-light time)" >&2; exit 2; }
done

SITE=
cleanup() { [[ -z $SITE ]] || python3 "$HERE/site.py" stop --dir "$SITE" || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# The same flags as benches/run.sh: per-host limits lifted, no retries, no web archives, JSON.
LW_FLAGS=(--per-host-rate unlimited --per-host-concurrency "$CONC" --concurrency "$CONC"
          --ignore-robots --retries 0 --wayback off --format json)

printf 'label\trun\tdb_bytes\tmax_rss_kib\twall_s\tchecked\tunchanged\tlive_bytes\n' >"$OUT"
for pair in "$@"; do
  label=${pair%%=*}
  bin=${pair#*=}
  SITE=$WORK/site-$label
  arch=$WORK/archive-$label
  rm -rf "$SITE" "$arch"
  python3 "$HERE/site.py" gen --dir "$SITE" --docs "$DOCS" --hosts "$HOSTS" --port "$PORT"
  python3 "$HERE/site.py" start --dir "$SITE" --hosts "$HOSTS" --port "$PORT" --no-file-cache
  for run in $(seq 1 "$RUNS"); do
    if (( run > 1 )); then
      python3 "$HERE/site.py" edit --dir "$SITE" --docs "$DOCS" --hosts "$HOSTS" --round "$run" --share "$EDIT" --bytes "$EDIT_BYTES"
    fi
    out=$WORK/$label-$run
    # Exit 1 (some links broken) is the expected outcome: 2% of the URLs answer 404.
    /usr/bin/time -v -o "$out.time" "$bin" check "http://127.0.0.1:$PORT/seed.html" \
      --archive "$arch" "${LW_FLAGS[@]}" >"$out.json" 2>"$out.err" || [[ $? == 1 ]]
    db=$(du -sb "$arch/db" | cut -f1)
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out.time")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out.time" \
      | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
    read -r checked unchanged < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
rs = [x for x in r["resources"] if x.get("change")]
print(len(rs), sum(1 for x in rs if x["change"] in ("unchanged", "still-broken")))' "$out.json")
    live=
    if [[ -n ${STORE_SIZES:-} ]]; then
      "$STORE_SIZES" "$arch" >"$out.sizes"
      live=$(awk '/^live / {print $2}' "$out.sizes")
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$run" "$db" "$rss" "$wall" "$checked" "$unchanged" "$live" | tee -a "$OUT"
  done
  python3 "$HERE/site.py" stop --dir "$SITE"
  SITE=
done

# Per label: bytes per unchanged check ((db at the last run - db at run 1) / unchanged checks in
# runs 2..N) and the peak RSS slope (least squares over runs 2..N, MiB per run).
python3 - "$OUT" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
for label in dict.fromkeys(r["label"] for r in rows):
    rs = [r for r in rows if r["label"] == label]
    db = [int(r["db_bytes"]) for r in rs]
    rss = [int(r["max_rss_kib"]) / 1024 for r in rs]
    unchanged = sum(int(r["unchanged"]) for r in rs[1:])
    xs = list(range(2, len(rs) + 1)); ys = rss[1:]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    print(f"{label}: db {db[0]} -> {db[-1]} bytes over {len(rs)} runs; "
          f"{(db[-1] - db[0]) / unchanged:.1f} bytes per unchanged check ({unchanged} unchanged checks in runs 2..{len(rs)}); "
          f"peak RSS {rss[0]:.1f} -> {rss[-1]:.1f} MiB, slope {slope:.2f} MiB/run (runs 2..{len(rs)})")
    if all(r["live_bytes"] for r in rs):
        live = [int(r["live_bytes"]) for r in rs]
        print(f"{label}: live data {live[0]} -> {live[-1]} bytes: "
              f"{(live[-1] - live[0]) / unchanged:.1f} bytes per unchanged check")
PY
