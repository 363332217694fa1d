"""Throughput (cells per second) of the three kinds of scoring the GPU path parallelizes, per device and worker count,
measured side by side in one run, plus a clearly labelled projection for a GPU from counted torch ops.

    TRANSNAS_REPRO_DATA=../shared/data .venv/bin/python benchmarks/device_throughput.py [--device cpu] [--workers 1 2]
        [--parts gennas gennas-tnb proxies cg-build cg-embed] [--cells 8] [--tnb-cells 4] [--steps 10] [--out benchmarks/device_throughput.csv]

* gennas: `gennas.score_many` of the same NB201 cells (batch 16 at 32 px, `--steps` SGD steps, no cache) with 1, 2, ...
  worker processes; on cuda the workers share the GPU, one small network each. gennas-tnb: the same on TNB micro and
  macro networks (64 px), `--tnb-cells` cells each.
* proxies: `proxies.score_many` with all twelve proxies (batch 32 at 32 px) on the same cells, same worker counts.
* cg-build: `encoders.cg_dataset` (torch.fx on the meta device: CPU work on every machine) of 2048 NB201 cells, no cache.
* cg-embed: `contrastive.embed` of those graphs with an untrained encoder, at the device's default batch (EMBED_BATCH).
Rows of other devices already in the CSV are kept; this device's rows of the parts measured are replaced.

The `projected` rows are NOT measurements: for a GPU they divide by the torch ops one cell dispatches (counted here,
on the CPU, with a TorchDispatchMode) times US_PER_OP microseconds of eager dispatch + launch per op, assuming the
kernels of these tiny networks finish faster than they are launched; worker processes add up to the host's cores.
They are there to size a GPU run and are replaced by the measured cuda rows once `tools/gpu_reproduce.sh --bench` ran.
"""
import argparse, os, platform, time
from pathlib import Path
import numpy as np
import pandas as pd
import torch

OUT = Path(__file__).with_suffix(".csv")
US_PER_OP = 20.0          # assumed eager-mode cost per dispatched op on a GPU host (dispatch + kernel launch), microseconds
GPU_HOST_CORES = 16       # the GPU machine planned for (one H200, 16 cores): CPU work (CG building) spreads over them


def count_ops(fn) -> int:
    "Torch ops `fn()` dispatches (each one kernel launch or less on a GPU; views are counted too, so this errs high)."
    from torch.utils._python_dispatch import TorchDispatchMode
    class Count(TorchDispatchMode):
        n = 0
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            Count.n += 1
            return func(*args, **(kwargs or {}))
    with Count(): fn()
    return Count.n


def _host() -> dict:
    return dict(torch=torch.__version__, cpu=platform.processor() or platform.machine(), n_cores=os.cpu_count(),
                load_avg_1min=round(os.getloadavg()[0], 2))


def _row(part, device, workers, cells, seconds, **kw) -> dict:
    return dict(part=part, device=device, workers=workers, cells=cells, seconds=round(seconds, 3), cells_per_s=round(cells/seconds, 4),
                measured=True, **kw, **_host())


def gennas_part(device, workers, cells, steps, bench="nb201") -> list[dict]:
    from transnas_repro import gennas as G
    k = max(workers); archs = G.sample_archs(bench, cells + k, seed=11)
    size = G.INPUT_SIZES.get(bench, 32); setting = f"{bench}, {steps} steps, batch 16 @ {size} px"
    rows = []
    for w in workers:
        G.score_many(bench, archs[:w], iterations=1, cache=False, jobs=w, device=device)      # warm-up: imports, worker start
        t0 = time.perf_counter(); G.score_many(bench, archs[k:], iterations=steps, cache=False, jobs=w, device=device)
        rows.append(_row(f"gennas:{bench}", device, w, cells, time.perf_counter() - t0, setting=setting, steps=steps))
        print(rows[-1], flush=True)
    ops = count_ops(lambda: G.score_details(bench, archs[k], iterations=steps, batch_size=16, device="cpu"))
    return rows, {f"gennas:{bench}": (ops, setting, steps)}


def proxies_part(device, workers, cells) -> list[dict]:
    from transnas_repro import gennas as G, proxies as P
    k = max(workers); archs = G.sample_archs("nb201", cells + k, seed=12)
    batch = P.make_batch(32, seed=0)
    rows = []
    for w in workers:
        P.score_many("nb201", archs[:w], n_jobs=w, batch=batch, device=device, progress=False)   # warm-up
        t0 = time.perf_counter(); P.score_many("nb201", archs[k:], n_jobs=w, batch=batch, device=device, progress=False)
        rows.append(_row("proxies:nb201", device, w, cells, time.perf_counter() - t0, setting="nb201, 12 proxies, batch 32 @ 32 px"))
        print(rows[-1], flush=True)
    ops = count_ops(lambda: P.score_arch("nb201", archs[k], batch=batch, device="cpu"))
    return rows, {"proxies:nb201": (ops, "nb201, 12 proxies, batch 32 @ 32 px", np.nan)}


def cg_parts(device, workers, parts, n=2048) -> list[dict]:
    from transnas_repro import encoders, contrastive as C
    from transnas_repro.benchmarks import load_benchmark
    archs = load_benchmark("nb201").sample(n, seed=3)
    rows, graphs = [], None
    for w in workers:
        encoders.cg_dataset("nb201", archs[:8], n_jobs=w, cache=False)                              # warm-up (piece tracing)
        t0 = time.perf_counter(); graphs = [C.slim(g) for g in encoders.cg_dataset("nb201", archs, n_jobs=w, cache=False)]
        if "cg-build" in parts:
            rows.append(_row("cg-build:nb201", "cpu", w, n, time.perf_counter() - t0, setting="nb201 computation graphs, torch.fx (CPU work)"))
            print(rows[-1], flush=True)
        if "cg-build" not in parts: break
    if "cg-embed" in parts:
        torch.manual_seed(0); enc = C.CGEncoder()
        C.embed(enc, graphs[:16], device=device)
        t0 = time.perf_counter(); C.embed(enc, graphs, device=device)
        bs = C.EMBED_BATCH[torch.device(device).type]
        rows.append(_row("cg-embed:nb201", device, 1, n, time.perf_counter() - t0, setting=f"untrained CGEncoder, batch {bs}"))
        print(rows[-1], flush=True)
    return rows


def projections(measured: pd.DataFrame, ops: dict) -> list[dict]:
    "cuda rows derived from counted ops (NOT measured); cg-build: the CPU's per-worker rate on GPU_HOST_CORES workers."
    out = []
    for part, (n_ops, setting, steps) in ops.items():
        per_cell = n_ops*US_PER_OP*1e-6
        for w in (1, 8):
            out.append(dict(part=part, device="cuda (projected)", workers=w, cells=np.nan, seconds=np.nan,
                            cells_per_s=round(w/per_cell, 4), measured=False, setting=setting, ops_per_cell=n_ops, steps=steps,
                            note=f"PROJECTED, not measured: {n_ops} torch ops per cell x {US_PER_OP:.0f} us per op, {w} worker processes"))
    b = measured[(measured.part == "cg-build:nb201") & (measured.workers == 1)]
    if len(b):
        rate = float(b.cells_per_s.iloc[0])
        out.append(dict(part="cg-build:nb201", device="cuda (projected)", workers=GPU_HOST_CORES, cells=np.nan, seconds=np.nan,
                        cells_per_s=round(rate*GPU_HOST_CORES, 4), measured=False, setting=b.setting.iloc[0],
                        note=f"PROJECTED, not measured: CPU work; this host's 1-worker rate x {GPU_HOST_CORES} cores"))
    return out


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cpu"); p.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    p.add_argument("--parts", nargs="*", default=["gennas", "gennas-tnb", "proxies", "cg-build", "cg-embed"])
    p.add_argument("--cells", type=int, default=8); p.add_argument("--tnb-cells", type=int, default=4); p.add_argument("--steps", type=int, default=10)
    p.add_argument("--out", default=str(OUT))
    a = p.parse_args()
    torch.set_num_threads(1)
    from transnas_repro.core import get_device
    device = get_device(a.device)
    rows, ops = [], {}
    if "gennas" in a.parts: r, o = gennas_part(device, a.workers, a.cells, a.steps); rows += r; ops.update(o)
    for b in (["tnb101_micro", "tnb101_macro"] if "gennas-tnb" in a.parts else []):
        r, o = gennas_part(device, a.workers, a.tnb_cells, a.steps, b); rows += r; ops.update(o)
    if "proxies" in a.parts: r, o = proxies_part(device, a.workers, a.cells); rows += r; ops.update(o)
    if {"cg-build", "cg-embed"} & set(a.parts): rows += cg_parts(device, a.workers, a.parts)
    new = pd.DataFrame(rows)
    for part in new.part.unique():                 # same-run ratio: speed-up over the fewest workers of this device
        m = new.part == part
        new.loc[m, "ratio_vs_fewest_workers"] = (new.loc[m, "cells_per_s"]/new.loc[m].sort_values("workers").cells_per_s.iloc[0]).round(3)
    if device == "cpu": new = pd.concat([new, pd.DataFrame(projections(new, ops))], ignore_index=True)
    out = Path(a.out)
    old = pd.read_csv(out) if out.exists() else pd.DataFrame(columns=["part", "device"])
    replaced = old.part.isin(new.part.unique()) & (old.device.isin(new.device.unique()))
    df = pd.concat([old[~replaced], new], ignore_index=True)
    df.to_csv(out, index=False)
    print(df.drop(columns=[c for c in ("note",) if c in df]).to_string())
