"""Whole-space params, flops and synflow of NB201 (CIFAR-10 network): score_arch per cell vs space_scores.

Old path: `score_arch(bench, arch, [proxy])` as a user calls it (default batch, fresh network), timed on a seeded
sample of cells and extrapolated to the 15,625 cells of the space (labelled `extrapolated`); for synflow also where
its time goes (making the default batch, building the network, synflow's deepcopy + double, forward + backward).
New path: `space_scores(bench, proxy)` computing the whole space (measured; includes writing the cache), in a
temporary cache, then copied into the user cache (cache_dir('proxies')) unless --no-install. The sample's scores
are compared between the two paths (`identical_on_sample`). One torch thread; wall and process-CPU seconds.

    TRANSNAS_REPRO_DATA=../shared/data .venv/bin/python benchmarks/space_proxy_speed.py [--sample 40] [--no-install]

Writes benchmarks/space_proxy_speed.csv.
"""
import argparse, copy, os, platform, shutil, statistics, tempfile, time
from pathlib import Path
import pandas as pd
import torch
os.environ.setdefault("TRANSNAS_REPRO_DATA", str(Path(__file__).resolve().parents[2]/"shared"/"data"))
from transnas_repro import proxies as P
from transnas_repro.benchmarks import load_benchmark
from transnas_repro.core import cache_dir, set_seed
from transnas_repro.networks import build_network

HERE = Path(__file__).resolve().parent
BENCH, TASK = "nb201", "cifar10"

def cpu_model() -> str:
    try: return next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration): return platform.processor() or platform.machine()

def clock(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c

def synflow_breakdown(archs) -> dict:
    "Seconds per cell of each step score_arch takes for synflow."
    t = dict(make_batch=[], build_network=[], deepcopy_double=[], forward_backward=[])
    for a in archs:
        _, s, _ = clock(lambda: P.make_batch(size=32, num_classes=10, seed=0)); t["make_batch"].append(s)
        set_seed(0); net, s, _ = clock(lambda: build_network(BENCH, a, TASK)); t["build_network"].append(s)
        model, s, _ = clock(lambda: copy.deepcopy(net).double().train()); t["deepcopy_double"].append(s)
        with torch.no_grad():
            for v in model.state_dict().values():
                if v.is_floating_point(): v.abs_()
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm): m.forward = lambda x: x
        _, s, _ = clock(lambda: model(torch.ones(1, 3, 32, 32, dtype=torch.float64)).sum().backward()); t["forward_backward"].append(s)
    return {k: statistics.mean(v) for k, v in t.items()}

def main(sample: int = 40, install: bool = True):
    torch.set_num_threads(1)
    space = load_benchmark(BENCH).archs
    archs = load_benchmark(BENCH).sample(sample, seed=0)
    P.score_arch(BENCH, archs[0], ["synflow"])                      # warm-up (imports, sklearn images)
    common = dict(bench=BENCH, task=TASK, space_size=len(space), threads=1, cpu=cpu_model(), cpu_count=os.cpu_count())
    rows, old = [], {}
    for proxy in P.SPACE_PROXIES:
        vals, wall, cpu = clock(lambda: [P.score_arch(BENCH, a, [proxy])[proxy] for a in archs])
        old[proxy] = vals
        rows.append(dict(proxy=proxy, path="old: score_arch per cell", archs_timed=len(archs), seconds_per_arch=wall/len(archs),
                         full_space_s=wall/len(archs)*len(space), full_space_cpu_s=cpu/len(archs)*len(space),
                         full_space_how="extrapolated", load_avg_1min=round(os.getloadavg()[0], 1)))
    for step, s in synflow_breakdown(archs[:20]).items():
        rows.append(dict(proxy="synflow", path=f"old, step: {step}", archs_timed=20, seconds_per_arch=s,
                         full_space_s=s*len(space), full_space_how="extrapolated", load_avg_1min=round(os.getloadavg()[0], 1)))
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TRANSNAS_REPRO_CACHE"], user = tmp, os.environ.get("TRANSNAS_REPRO_CACHE")
        for proxy in P.SPACE_PROXIES:
            s, wall, cpu = clock(lambda: P.space_scores(BENCH, proxy, progress=True))
            same = int(sum(x == y for x, y in zip(s.loc[archs].tolist(), old[proxy])))
            rows.append(dict(proxy=proxy, path="new: space_scores", archs_timed=len(space), seconds_per_arch=wall/len(space),
                             full_space_s=wall, full_space_cpu_s=cpu, full_space_how="measured",
                             identical_on_sample=f"{same}/{len(archs)}", load_avg_1min=round(os.getloadavg()[0], 1)))
            print(f"{proxy}: whole space in {wall:.1f} s wall, {cpu:.1f} s CPU; identical to score_arch on {same}/{len(archs)}")
        if user is None: del os.environ["TRANSNAS_REPRO_CACHE"]
        else: os.environ["TRANSNAS_REPRO_CACHE"] = user
        if install:
            dest = cache_dir("proxies")
            for f in Path(tmp, "proxies").glob("space-*"): shutil.copy2(f, dest/f.name)
            for proxy in P.SPACE_PROXIES: assert P.cached_space_scores(BENCH, proxy) is not None
            print(f"cache installed in {dest}")
    df = pd.DataFrame(rows).assign(**common)
    new = df[df.path.str.startswith("new")].set_index("proxy")
    df["ratio_old_over_new"] = [r.full_space_s/new.loc[r.proxy, "full_space_s"] if r.path.startswith("old:") else None
                                for r in df.itertuples()]
    total = new[["full_space_s", "full_space_cpu_s"]].sum()
    oldall = df[df.path.str.startswith("old:")][["full_space_s", "full_space_cpu_s"]].sum()
    df = pd.concat([df, pd.DataFrame([dict(proxy="params+flops+synflow", path="old: score_arch per cell", full_space_s=oldall.iloc[0],
                                           full_space_cpu_s=oldall.iloc[1], full_space_how="extrapolated",
                                           ratio_old_over_new=oldall.iloc[0]/total.iloc[0], **common),
                                      dict(proxy="params+flops+synflow", path="new: space_scores", full_space_s=total.iloc[0],
                                           full_space_cpu_s=total.iloc[1], full_space_how="measured", target_s=1200, **common)])],
                   ignore_index=True)
    df.round(4).to_csv(HERE/"space_proxy_speed.csv", index=False)
    print(df.round(3).to_string(index=False))

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=40, help="cells timed on the old path (extrapolated to the space)")
    ap.add_argument("--no-install", action="store_true", help="do not copy the computed cache into the user cache")
    a = ap.parse_args()
    main(a.sample, install=not a.no_install)
