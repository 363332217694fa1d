"""Time to build NB201 computation graphs: whole-network fx tracing vs the cached-piece assembly, and the whole space.

usage: python benchmarks/cg_build_speed.py [--sample 200] [--full] [--jobs 2]
Writes benchmarks/cg_build_speed.csv (one row per measurement). Target: all 15,625 NB201 CGs in under 5 minutes
on a 2-core CPU. `--full` builds the whole space once with `cg_dataset` (joblib, `--jobs` workers) into a
fresh cache folder, then times loading it back from the torch file.
"""
from __future__ import annotations
import argparse, os, platform, tempfile, time
from pathlib import Path
import pandas as pd
import torch

TARGET_S = 300.0

def main(sample: int = 200, traced: int = 10, full: bool = False, jobs: int = 2):
    torch.set_num_threads(1)
    from transnas_repro.benchmarks import load_benchmark
    from transnas_repro import encoders
    archs = load_benchmark("nb201").archs
    n_space = len(archs)
    probe = load_benchmark("nb201").sample(sample, seed=0)
    rows = []
    def row(method, n, seconds, measured_total=None, note=""):
        per = 1000*seconds/n
        total = measured_total if measured_total is not None else per*n_space/1000
        rows.append(dict(method=method, graphs=n, seconds=round(seconds, 2), ms_per_graph=round(per, 2),
                         space_total_s=round(total, 1), total_is="measured" if measured_total is not None else "extrapolated",
                         target_s=TARGET_S, meets_target=total < TARGET_S, cpus=os.cpu_count(),
                         load_avg_1min=round(os.getloadavg()[0], 1), torch=torch.__version__, note=note))
        print(rows[-1])

    # 1. baseline: build the network (meta device) and trace it whole, per architecture
    t0 = time.perf_counter(); base = [encoders.arch_cg("nb201", a, fast=False) for a in probe[:traced]]
    row("trace whole network (fx + ShapeProp, meta device)", traced, time.perf_counter() - t0, note="baseline, 1 process")
    # 2. assembly from cached skeleton / cell template / edge graphs; first call includes the one-time tracing
    t0 = time.perf_counter(); encoders.arch_cg("nb201", probe[0]); first = time.perf_counter() - t0
    t0 = time.perf_counter(); fast = [encoders.arch_cg("nb201", a) for a in probe]
    row("assemble cached pieces", len(probe), time.perf_counter() - t0, note=f"1 process; one-time piece tracing {first:.2f} s")
    same = all(a == b for a, b in zip(base, fast[:traced]))
    rows[-1]["note"] += f"; equal to whole-network trace on {traced}/{traced}" if same else "; MISMATCH with whole-network trace"
    assert same, "assembled CGs differ from traced ones"
    rows[-2]["speedup_vs_baseline"] = 1.0
    rows[-1]["speedup_vs_baseline"] = round(rows[-2]["ms_per_graph"]/rows[-1]["ms_per_graph"], 1)

    if full:
        with tempfile.TemporaryDirectory() as tmp:
            old = os.environ.get("TRANSNAS_REPRO_CACHE"); os.environ["TRANSNAS_REPRO_CACHE"] = tmp
            try:
                t0 = time.perf_counter(); ds = encoders.cg_dataset("nb201", n_jobs=jobs, cache=True)
                build = time.perf_counter() - t0
                row(f"cg_dataset, whole space, joblib n_jobs={jobs}, saved to cache", len(ds), build, measured_total=build,
                    note="includes worker start-up and writing the torch file")
                t0 = time.perf_counter(); back = encoders.cg_dataset("nb201", n_jobs=jobs, cache=True)
                row("cg_dataset, whole space, load from cache", len(back), time.perf_counter() - t0,
                    measured_total=time.perf_counter() - t0, note="torch.load(weights_only=True) + Data objects")
                assert len(back) == n_space and torch.equal(back[123].x, ds[123].x)
                size = sum(f.stat().st_size for f in Path(tmp).rglob("*.pt"))
                rows[-1]["note"] += f"; file {size/2**20:.1f} MiB"
            finally:
                if old is None: os.environ.pop("TRANSNAS_REPRO_CACHE", None)
                else: os.environ["TRANSNAS_REPRO_CACHE"] = old
    out = Path(__file__).with_suffix(".csv")
    df = pd.DataFrame(rows); df["machine"] = platform.machine()
    df.to_csv(out, index=False)
    print(df.to_string()); print("wrote", out)
    return df

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=200, help="architectures for the assembly timing")
    ap.add_argument("--traced", type=int, default=10, help="architectures for the whole-network tracing baseline")
    ap.add_argument("--full", action="store_true", help="also build (and reload) all 15,625 CGs with cg_dataset")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    main(a.sample, a.traced, a.full, a.jobs)
