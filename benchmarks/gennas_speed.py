"""GenNAS speed: (1) overhead of GenNAS scoring vs a bare training loop of the same number of steps on the
same network (side by side, same run); (2) efficiency: ranking quality vs steps and batch size, per CPU-second;
(3) the same curve from the paper-profile run (100 steps, up to 1000 cells, eval- and train-mode loss);
(4) throughput of batched scoring (`score_many`) with 1 and more worker processes, side by side.

    TRANSNAS_REPRO_DATA=../shared/data .venv/bin/python benchmarks/gennas_speed.py [--parts overhead efficiency paper-curve throughput]
        [--cells 4] [--steps 20] [--eff-cells 100] [--eff-steps 25] [--batch-cells 20] [--batch-sizes 8]
        [--tp-cells 16] [--tp-steps 20] [--tp-jobs 1 2] [--host-note "..."]

Writes benchmarks/gennas_speed.csv (and figures/gennas-speed/rho_vs_cpu_seconds.png from the paper-curve rows); parts not named in --parts keep their committed rows. One torch thread per
process everywhere (see the notebook: on a shared CPU more threads are slower). Efficiency reuses the GenNAS
score cache (cache_dir('gennas')), so it is resumable and shares work with `transnas-repro reproduce gennas-nb201`:
the quick profile's scores (25 steps, batch 16) give rho at 10, 20 and 25 steps from one run (the evaluation at
step k equals a k-step run); `paper-curve` reads the paper profile's 100-step scores the same way (no new training).
"""
import argparse, json, time
from pathlib import Path
import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from transnas_repro import gennas as G
from transnas_repro.core import cache_dir
from transnas_repro.benchmarks import load_benchmark
from transnas_repro.networks import build_network

OUT = Path(__file__).with_suffix(".csv")
FIG = Path(__file__).resolve().parents[1]/"figures"/"gennas-speed"/"rho_vs_cpu_seconds"


def bare_loop(arch: str, x: torch.Tensor, steps: int, seed: int = 0) -> float:
    "Seconds of `steps` plain forward/backward/SGD steps (classification loss on fixed random labels) on the NB201 network."
    torch.manual_seed(seed)
    net = build_network("nb201", arch)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=4e-5)
    labels = torch.randint(0, 10, (len(x),), generator=torch.Generator().manual_seed(seed))
    t0 = time.perf_counter()
    for _ in range(steps):
        loss = F.cross_entropy(net(x), labels)
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
    return time.perf_counter() - t0


def gennas_run(arch: str, images, steps: int, seed: int = 0) -> tuple[float, float]:
    "(seconds of the whole GenNAS scoring: wrapper, targets, training, evaluations; seconds of its training loop)."
    t0 = time.perf_counter()
    d = G.score_details("nb201", arch, None, seed, images, iterations=steps, batch_size=len(images[0]))
    return time.perf_counter() - t0, d["seconds"]


def overhead(cells: int, steps: int) -> list[dict]:
    archs = G.sample_archs("nb201", cells, seed=7)
    images = G.load_images(n=16, size=32)
    gennas_run(archs[0], images, 1); bare_loop(archs[0], images[0], 1)          # warm-up (lazy imports)
    rows = []
    for i, arch in enumerate(archs):
        if i % 2 == 0: bare = bare_loop(arch, images[0], steps); total, loop = gennas_run(arch, images, steps)
        else: total, loop = gennas_run(arch, images, steps); bare = bare_loop(arch, images[0], steps)
        rows.append(dict(part="overhead", setting=f"cell {i}", steps=steps, batch_size=16, n_cells=1, bare_seconds=bare,
                         gennas_seconds=total, gennas_loop_seconds=loop, ratio=total/bare, arch=arch))
        print(rows[-1], flush=True)
    df = pd.DataFrame(rows)
    rows.append(dict(part="overhead", setting="all cells (sum)", steps=steps, batch_size=16, n_cells=len(df),
                     bare_seconds=df.bare_seconds.sum(), gennas_seconds=df.gennas_seconds.sum(),
                     gennas_loop_seconds=df.gennas_loop_seconds.sum(), ratio=df.gennas_seconds.sum()/df.bare_seconds.sum(),
                     note="target <= 1.2"))
    return rows


def _quality(df: pd.DataFrame, scores) -> dict:
    b = load_benchmark("nb201")
    out = {}
    for task in b.tasks:
        q = G.rank_quality(scores, [b.query(a, task) for a in df.arch])
        out[f"spearman_{task}"], out[f"kendall_{task}"], out[f"retrieval_{task}"] = q["spearman"], q["kendall"], q["retrieval_top10"]
    return out


def efficiency(n_cells: int, steps: int, batch_cells: int, batch_sizes: list[int]) -> list[dict]:
    "Rho vs steps (from the evaluation curve of one run) and vs batch size, with CPU-seconds per architecture."
    archs = G.sample_archs("nb201", 100)
    path = G.cache_path("nb201", iterations=steps)
    cached = G._read_cache(path)
    have = [a for a in archs[:n_cells] if a in cached]
    rows = []
    if len(have) >= 5:
        df = pd.DataFrame([cached[a] for a in have])
        curves = [{int(k): v for k, v in c.items()} for c in df.curve]
        for k in sorted(curves[0]):
            sec = df.seconds.mean()*k/steps                       # training time scales with steps
            q = _quality(df, [c[k] for c in curves])
            rows.append(dict(part="efficiency", setting=f"steps={k}", steps=k, batch_size=16, n_cells=len(df), seconds_per_arch=sec,
                             rho_per_cpu_second=q["spearman_cifar10"]/sec, **q,
                             note=f"from one {steps}-step run per cell (evaluation at step {k}); seconds = run time x {k}/{steps}"))
    tpath = G.cache_path("nb201", iterations=steps, folder=cache_dir("gennas", "train-curve"))
    tc = G._read_cache(tpath)
    both = [a for a in archs if a in tc and a in cached]
    if len(both) >= 5:
        df = pd.DataFrame([tc[a] for a in both])
        same = np.allclose(df.score, [cached[a]["score"] for a in both], rtol=1e-5)
        for k in sorted(int(x) for x in df.train_curve.iloc[0]):
            for kind, col in [("eval-mode loss (paper)", "curve"), ("train-mode loss", "train_curve")]:
                q = _quality(df, [c[str(k)] for c in df[col]])
                sec = df.seconds.mean()*k/steps
                rows.append(dict(part="efficiency", setting=f"{kind}, steps={k}", steps=k, batch_size=16, n_cells=len(df), seconds_per_arch=sec,
                                 rho_per_cpu_second=q["spearman_cifar10"]/sec, **q,
                                 note=f"same cells re-run recording the training loss; eval scores identical to the first run: {same}"))
    sub = [a for a in archs[:batch_cells] if a in cached]
    for bs in batch_sizes:
        if len(sub) < 5: break
        df = G.score_many("nb201", sub, iterations=steps, batch_size=bs, progress=True)
        q = _quality(df, df.score)
        rows.append(dict(part="efficiency", setting=f"batch={bs}", steps=steps, batch_size=bs, n_cells=len(df), seconds_per_arch=df.seconds.mean(),
                         rho_per_cpu_second=q["spearman_cifar10"]/df.seconds.mean(), **q))
        ref = pd.DataFrame([cached[a] for a in sub]); qr = _quality(ref, ref.score)
        rows.append(dict(part="efficiency", setting="batch=16 (same cells)", steps=steps, batch_size=16, n_cells=len(ref),
                         seconds_per_arch=ref.seconds.mean(), rho_per_cpu_second=qr["spearman_cifar10"]/ref.seconds.mean(), **qr))
    return rows


def paper_curve(n_cells: int = 1000) -> list[dict]:
    "Rho vs steps (10..100) for the eval- and train-mode loss, read from the paper profile's cached 100-step runs."
    archs = G.sample_archs("nb201", n_cells)
    cached = G._read_cache(G.cache_path("nb201", iterations=100))
    df = pd.DataFrame([cached[a] for a in archs if a in cached and cached[a].get("train_curve")])
    if len(df) < 5: return []
    curves = {"eval-mode loss (paper)": G.curve_scores(df.curve, df.diverged, df.score),
              "train-mode loss": G.curve_scores(df.train_curve, df.diverged, df.score)}
    rows = []
    for k in curves["eval-mode loss (paper)"]:
        sec = df.seconds.mean()*k/100
        for kind, by_step in curves.items():
            q = _quality(df, by_step[k])
            rows.append(dict(part="paper-curve", setting=f"{kind}, steps={k}", steps=k, batch_size=16, n_cells=len(df), seconds_per_arch=sec,
                             rho_per_cpu_second=q["spearman_cifar10"]/sec, **q,
                             note=f"paper-profile run of gennas-nb201 (100 steps per cell, evaluation at step {k}); seconds = run time x {k}/100",
                             host_note="seconds from the gennas-nb201 paper run: 2 worker processes on the shared 2-core CPU"))
    return rows


def throughput(n_cells: int, steps: int, jobs: list[int]) -> list[dict]:
    "Cells per wall-second of score_many (no cache) with each number of worker processes, on the same cells, in one run."
    archs = G.sample_archs("nb201", n_cells, seed=11)
    G.score_many("nb201", archs[:1], iterations=1, cache=False)                       # warm-up (lazy imports)
    rows, base = [], None
    for j in jobs:
        t0 = time.perf_counter()
        df = G.score_many("nb201", archs, iterations=steps, jobs=j, cache=False, progress=True)
        wall = time.perf_counter() - t0
        base = base or wall
        rows.append(dict(part="throughput", setting=f"jobs={j}", steps=steps, batch_size=16, n_cells=len(df), gennas_seconds=wall,
                         seconds_per_arch=wall/len(df), ratio=base/wall,
                         note=f"score_many wall time; ratio = speed-up over jobs={jobs[0]}; cells/s = {len(df)/wall:.3f}"))
        print(rows[-1], flush=True)
    return rows


PARTS = ["overhead", "efficiency", "paper-curve", "throughput"]

if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--parts", nargs="*", default=PARTS, choices=PARTS, help="parts to (re)measure; the others keep their committed rows")
    p.add_argument("--cells", type=int, default=4); p.add_argument("--steps", type=int, default=20)
    p.add_argument("--eff-cells", type=int, default=100); p.add_argument("--eff-steps", type=int, default=25)
    p.add_argument("--batch-cells", type=int, default=20); p.add_argument("--batch-sizes", type=int, nargs="*", default=[8])
    p.add_argument("--tp-cells", type=int, default=16); p.add_argument("--tp-steps", type=int, default=20)
    p.add_argument("--tp-jobs", type=int, nargs="*", default=[1, 2])
    p.add_argument("--host-note", default="shared 2-core CPU; 1 torch thread per process")
    a = p.parse_args()
    torch.set_num_threads(1)
    old = pd.read_csv(OUT) if OUT.exists() else pd.DataFrame(columns=["part", "host_note"])
    run = {"overhead": lambda: overhead(a.cells, a.steps), "efficiency": lambda: efficiency(a.eff_cells, a.eff_steps, a.batch_cells, a.batch_sizes),
           "paper-curve": paper_curve, "throughput": lambda: throughput(a.tp_cells, a.tp_steps, a.tp_jobs)}
    frames = []
    for part in PARTS:
        if part in a.parts:
            d = pd.DataFrame(run[part]())
            frames.append(d.assign(host_note=d.host_note.fillna(a.host_note) if "host_note" in d else a.host_note))
        else: frames.append(old[old.part == part])
    df = pd.concat([f for f in frames if len(f)], ignore_index=True)
    df.round(4).to_csv(OUT, index=False)
    if (df.part == "paper-curve").any():                          # the figure README and nbs/repro/gennas.ipynb show
        import matplotlib; matplotlib.use("Agg")
        G.cost_curve_plot(df, FIG)
    print(df.drop(columns=[c for c in ["arch"] if c in df]).round(3).to_string())
