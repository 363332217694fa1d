#!/usr/bin/env bash
# The prepared GPU run: paper profiles on one CUDA device, stopped within a wall-clock limit, resumable.
#
#   tools/gpu_reproduce.sh [--out DIR] [--data DIR] [--wheels DIR] [--limit SECONDS] [--jobs N] [--device cuda]
#                          [--experiments "gennas-nb201-authors gennas-tnb cl-srcc"] [--bench] [--python PY] [--no-install] [--dry-run]
#
# Steps: install the wheels of a local folder (offline) and the package with --no-deps; check python, torch, the GPU
# and the package's imports; sha256-check only the data files the runs read (in the local data folder, nothing is
# downloaded); list what each run has stored; then run each experiment's paper profile with --device cuda into
# --out/<experiment>/, each under `timeout` so the whole script ends within --limit (default 540 s = 9 min).
# A run cut short keeps every finished trial (and the GenNAS and proxy caches every finished cell, under
# --out/cache); its stored trials are summarized with --partial, and the same command resumes it.
# --dry-run does everything but the installs and the runs; --no-install skips the installs only (the package then runs
# from the checkout, PYTHONPATH; use it where the environment is yours and already set up). --bench first measures cells/s on the device
# (benchmarks/device_throughput.py, about a minute) into --out/device_throughput.csv, then the KTNAS DARTS supernet's images/s
# and the paper profile's projected GPU-days (benchmarks/darts_supernet_throughput.py) into --out/darts_supernet_throughput.csv.
# Exit status: 0 every run complete; 3 time ran out (partial, resumable: run again); 1 a check or a run failed;
# 2 bad arguments or no usable device.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
START=$(date +%s)

OUT="gpu-results"; DATA=""; WHEELS=""; LIMIT=540; JOBS=""; DEVICE="cuda"; PY="${PYTHON:-python3}"
EXPERIMENTS="gennas-nb201-authors gennas-tnb cl-srcc"; DRY=0; NOINSTALL=0; BENCH=0; RESERVE=45; MIN_RUN=60
usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="$2"; shift 2;; --data) DATA="$2"; shift 2;; --wheels) WHEELS="$2"; shift 2;;
    --limit) LIMIT="$2"; shift 2;; --jobs) JOBS="$2"; shift 2;; --device) DEVICE="$2"; shift 2;;
    --experiments) EXPERIMENTS="$2"; shift 2;; --python) PY="$2"; shift 2;;
    --bench) BENCH=1; shift;; --dry-run) DRY=1; shift;; --no-install) NOINSTALL=1; shift;; -h|--help) usage; exit 0;;
    *) echo "Error: unknown option $1 (see --help)" >&2; exit 2;;
  esac
done
case "$LIMIT" in ''|*[!0-9]*) echo "Error: --limit $LIMIT is not a number of seconds" >&2; exit 2;; esac
DEADLINE=$((START + LIMIT))
# a path or value given explicitly is used or refused, never silently replaced by a default
[ -z "$DATA" ] || [ -d "$DATA" ] || { echo "Error: --data $DATA is not a folder. Fix: pass a folder laid out like shared/data" >&2; exit 2; }
[ -z "$WHEELS" ] || [ -d "$WHEELS" ] || { echo "Error: --wheels $WHEELS is not a folder. Fix: pass the folder of .whl files, or drop --wheels" >&2; exit 2; }
case "$JOBS" in ''|[1-9]|[1-9][0-9]|[1-9][0-9][0-9]) ;; *) echo "Error: --jobs $JOBS is not a positive integer. Fix: e.g. --jobs 8" >&2; exit 2;; esac
case "$DEVICE" in auto|cpu|cuda) ;; *) echo "Error: --device $DEVICE: valid choices auto, cpu, cuda. Fix: --device cuda" >&2; exit 2;; esac
first_dir() { for d in "$@"; do [ -n "$d" ] && [ -d "$d" ] && { (cd "$d" && pwd); return; }; done; }
DATA="$(first_dir "$DATA" "${TRANSNAS_REPRO_DATA:-}" "$ROOT/shared/data" "$ROOT/../data" "$ROOT/../shared/data")"
WHEELS="$(first_dir "$WHEELS" "$ROOT/shared/wheels" "$ROOT/../wheels" "$ROOT/../shared/wheels")"
[ -n "$DATA" ] || { echo "Error: no data folder: pass --data DIR (laid out like shared/data) or set TRANSNAS_REPRO_DATA" >&2; exit 2; }
mkdir -p "$OUT/logs" && OUT="$(cd "$OUT" && pwd)"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 4)}"
export TRANSNAS_REPRO_DATA="$DATA" TRANSNAS_REPRO_CACHE="${TRANSNAS_REPRO_CACHE:-$OUT/cache}" MPLBACKEND=Agg
export TRANSNAS_REPRO_PROGRESS="${TRANSNAS_REPRO_PROGRESS:-1}" PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
CLI='import sys; from transnas_repro.cli import main; sys.argv[0] = "transnas-repro"; main()'
trepro() { "$PY" -c "$CLI" "$@"; }
say() { echo "[gpu_reproduce $(( $(date +%s) - START ))s] $*"; }
STATUS="$OUT/status.tsv"; : > "$STATUS.new"

say "checkout $ROOT; out $OUT; data $DATA; cache $TRANSNAS_REPRO_CACHE; limit ${LIMIT}s; jobs $JOBS; device $DEVICE$([ $DRY = 1 ] && echo '; DRY RUN')"

# 1. wheels from a local folder (no index, no internet), then the package itself without its dependencies
if [ $NOINSTALL = 1 ]; then say "--no-install: no wheels or package installed; the package runs from the checkout"
elif [ -n "$WHEELS" ] && ls "$WHEELS"/*.whl >/dev/null 2>&1; then
  if [ $DRY = 1 ]; then say "would install $(ls "$WHEELS"/*.whl | wc -l) wheels from $WHEELS: pip install --no-index --find-links $WHEELS <wheels>"
  else say "installing the wheels of $WHEELS"; "$PY" -m pip install -q --no-index --find-links "$WHEELS" "$WHEELS"/*.whl || { echo "Error: installing the wheels of $WHEELS failed" >&2; exit 1; }; fi
else say "no local wheels (looked in ${WHEELS:-$ROOT/shared/wheels, $ROOT/../wheels}): nothing to install"; fi
if [ $NOINSTALL = 1 ]; then :
elif [ $DRY = 1 ]; then say "would install the package: pip install --no-deps --no-index --no-build-isolation -e $ROOT"
elif "$PY" -m pip install -q --no-deps --no-index --no-build-isolation -e "$ROOT" >"$OUT/logs/pip-package.log" 2>&1; then say "package installed (--no-deps)"
else say "pip could not install the package (see $OUT/logs/pip-package.log); running it from the checkout (PYTHONPATH)"; fi

# 2. environment: python, torch, the GPU, the package's imports (pooch, highspy, gensim, fastcore, nbdev, ray not needed)
"$PY" "$ROOT/tools/gpu_check.py" env --device "$DEVICE"; rc=$?
if [ $rc = 3 ]; then
  if [ $DRY = 1 ]; then say "no usable $DEVICE device here: a real run stops at this point (exit 2)"; else exit 2; fi
elif [ $rc != 0 ]; then exit 1; fi

# 3. the data files these runs read, sha256-checked in the data folder
"$PY" "$ROOT/tools/gpu_check.py" data --data "$DATA" $EXPERIMENTS || exit 1

# 4. what each run has stored so far (a rerun resumes from there)
"$PY" "$ROOT/tools/gpu_check.py" plan --out "$OUT" --profile paper $EXPERIMENTS || exit 1
for e in $EXPERIMENTS; do
  say "run: transnas-repro reproduce $e --profile paper --device $DEVICE --jobs $JOBS --out $OUT/$e"
done
if [ $DRY = 1 ]; then say "dry run: everything checked, nothing run"; rm -f "$STATUS.new"; exit 0; fi

left() { echo $(( DEADLINE - $(date +%s) )); }
# 5. optional: cells/s on this device (same run, 1 and more worker processes)
if [ $BENCH = 1 ] && [ "$(left)" -gt $((RESERVE + MIN_RUN)) ]; then
  say "benchmark: device throughput"
  timeout --kill-after=10 $(( $(left) - RESERVE )) "$PY" "$ROOT/benchmarks/device_throughput.py" --device "$DEVICE" \
    --workers 1 4 8 --out "$OUT/device_throughput.csv" 2>&1 | tee "$OUT/logs/device_throughput.log"
  printf 'device_throughput\t%s\n' "$([ "${PIPESTATUS[0]}" = 0 ] && echo complete || echo "stopped (rc ${PIPESTATUS[0]})")" >> "$STATUS.new"
  if [ "$(left)" -gt $((RESERVE + MIN_RUN)) ]; then   # KTNAS DARTS space: supernet and final-training images/s, the paper profile's projected GPU-days
    say "benchmark: DARTS supernet throughput"
    timeout --kill-after=10 $(( $(left) - RESERVE )) "$PY" "$ROOT/benchmarks/darts_supernet_throughput.py" --device "$DEVICE" \
      --steps 20 --out "$OUT/darts_supernet_throughput.csv" 2>&1 | tee "$OUT/logs/darts_supernet_throughput.log"
    printf 'darts_supernet_throughput\t%s\n' "$([ "${PIPESTATUS[0]}" = 0 ] && echo complete || echo "stopped (rc ${PIPESTATUS[0]})")" >> "$STATUS.new"
  fi
fi

# 6. the runs, each within what is left of the limit; a run cut short is summarized from its stored trials
final=0
for e in $EXPERIMENTS; do
  budget=$(( $(left) - RESERVE ))
  if [ "$budget" -lt "$MIN_RUN" ]; then
    say "$e: not started (${budget}s left before the reserve); run the script again to continue"
    printf '%s\tnot started (time)\n' "$e" >> "$STATUS.new"; final=3; continue
  fi
  say "$e: paper profile on $DEVICE, at most ${budget}s"
  timeout --kill-after=15 "$budget" "$PY" -c "$CLI" reproduce "$e" --profile paper --device "$DEVICE" --jobs "$JOBS" --out "$OUT/$e" \
    2>&1 | tee -a "$OUT/logs/$e.log"
  rc=${PIPESTATUS[0]}
  if [ "$rc" = 0 ]; then printf '%s\tcomplete\n' "$e" >> "$STATUS.new"; say "$e: complete"; continue; fi
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    say "$e: stopped at the time limit; summarizing its stored trials"; final=3
    if timeout --kill-after=5 $(( RESERVE - 10 )) "$PY" -c "$CLI" reproduce "$e" --profile paper --out "$OUT/$e" --partial \
         >> "$OUT/logs/$e.log" 2>&1; then printf '%s\tpartial (resumable)\n' "$e" >> "$STATUS.new"
    else printf '%s\tpartial, no summary (nothing stored yet, or no time left)\n' "$e" >> "$STATUS.new"; fi
  else
    say "$e: failed (exit $rc; see $OUT/logs/$e.log)"; printf '%s\tfailed (exit %s)\n' "$e" "$rc" >> "$STATUS.new"; [ $final = 0 ] && final=1
  fi
done
mv "$STATUS.new" "$STATUS"
say "done in $(( $(date +%s) - START ))s of ${LIMIT}s:"; sed 's/^/    /' "$STATUS"
"$PY" "$ROOT/tools/gpu_check.py" plan --out "$OUT" --profile paper $EXPERIMENTS
exit $final
