"""Time to enumerate the NAS-Bench-101 space, join the 30,001 labelled cells, and load both back.

usage: python benchmarks/nb101_build.py [--naive-full] [--repeats 3]
Writes benchmarks/nb101_build.csv (one row per measurement). Targets: the whole build (423,624 cells) in
under 30 CPU-minutes, a cached reload in under 5 s. Baseline, in the same run: nasbench's own algorithm
(`enumerate_nb101_naive`: hash every labelled cell, keep the first per key) against ours (`enumerate_nb101`:
one hash per isomorphism class) on the cells of at most 6 vertices, and on all 7 with `--naive-full`
(about 1.2 million hashes). Everything is built in a fresh cache folder, never the user's.
"""
from __future__ import annotations
import argparse, json, os, platform, statistics, subprocess, sys, tempfile, time
from pathlib import Path
import pandas as pd

BUILD_TARGET_CPU_S, RELOAD_TARGET_S = 1800.0, 5.0
RELOAD = ("import time, json; t = time.perf_counter(); from transnas_repro import benchmarks as B; {call}; "
          "print(json.dumps(dict(t=time.perf_counter() - t, n=len(x))))")

def timed(fn):
    "(result, wall seconds, CPU seconds of this process)."
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c

def reload(call: str, cache: str, repeats: int) -> tuple[float, int]:
    "Median wall time of `call` in a fresh interpreter (imports included), and the size it returned."
    runs = [json.loads(subprocess.run([sys.executable, "-c", RELOAD.format(call=call)], capture_output=True, text=True, check=True,
                                      env={**os.environ, "TRANSNAS_REPRO_CACHE": cache}).stdout.strip().splitlines()[-1])
            for _ in range(repeats)]
    return statistics.median(r["t"] for r in runs), runs[0]["n"]

def main(naive_full: bool = False, repeats: int = 3):
    rows = []
    def row(step, cells, wall, cpu=None, target=None, total_is="measured", note=""):
        rows.append(dict(step=step, cells=cells, seconds=round(wall, 2), cpu_seconds=None if cpu is None else round(cpu, 2),
                         target_s=target, meets_target=None if target is None else (cpu if cpu is not None else wall) < target,
                         total_is=total_is, cpus=os.cpu_count(), load_avg_1min=round(os.getloadavg()[0], 1), note=note))
        print(rows[-1], flush=True)
    with tempfile.TemporaryDirectory() as cache:
        os.environ["TRANSNAS_REPRO_CACHE"] = cache
        from transnas_repro import benchmarks as B
        # 1. baseline against ours on the same space, in this run
        for n in ([6, 7] if naive_full else [6]):
            naive, nw, nc = timed(lambda: B.enumerate_nb101_naive(n))
            fast, fw, fc = timed(lambda: B.enumerate_nb101(n))
            assert naive.values.tolist() == fast.values.tolist(), f"the two enumerations differ at {n} vertices"
            row(f"baseline: nasbench's algorithm, every labelled cell hashed (<= {n} vertices)", len(naive), nw, nc,
                note="speedup 1.0; the same rows as ours")
            row(f"ours: one hash per isomorphism class (<= {n} vertices)", len(fast), fw, fc, note=f"speedup {nc/fc:.1f}x (CPU)")
            rows[-2]["speedup_vs_baseline"], rows[-1]["speedup_vs_baseline"] = 1.0, round(nc/fc, 1)
        # 2. the whole space, built and cached as a user's first `transnas-repro data build nb101` would
        space, w, c = timed(lambda: B.nb101_space(force=True))
        size = B.nb101_space_path().stat().st_size
        row("full build: enumerate + hash + write the cache (<= 7 vertices, <= 9 edges)", len(space), w, c, BUILD_TARGET_CPU_S,
            note=f"{len(space)} unique cells (nasbench: {B.NB101_SPACE_SIZE}); parquet {size/2**20:.1f} MiB")
        # 3. the join of the two nasbench-vis files to the cached space (the nb101 table, built and cached)
        table, w, c = timed(lambda: B.benchmark_table("nb101"))
        row("join: 30,001 nasbench-vis keys -> cells, nb101 table written", len(table), w, c,
            note=f"{len(table)} of 30001 keys matched")
        # 4. cached reloads, each in a fresh interpreter
        t, n = reload("x = B.nb101_space()", cache, repeats)
        row("cached reload: nb101_space() (sidecar checked)", n, t, target=RELOAD_TARGET_S, note=f"fresh interpreter incl. imports, median of {repeats}")
        t, n = reload("x = B.load_benchmark('nb101')", cache, repeats)
        row("cached reload: load_benchmark('nb101')", n, t, target=RELOAD_TARGET_S, note=f"fresh interpreter incl. imports, median of {repeats}")
    out = Path(__file__).with_suffix(".csv")
    df = pd.DataFrame(rows); df["machine"] = platform.machine()
    df.to_csv(out, index=False)
    print(df.to_string()); print("wrote", out)
    return df

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--naive-full", action="store_true", help="also run the baseline on the whole space (minutes)")
    ap.add_argument("--repeats", type=int, default=3, help="fresh-interpreter reloads per measurement")
    a = ap.parse_args()
    main(a.naive_full, a.repeats)
