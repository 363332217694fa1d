"""Seconds per architecture for each zero-cost proxy on this CPU (NB201 CIFAR-10 and TNB-micro class_scene networks).

Each proxy runs alone on a freshly built network (no shared gradient pass), batch of 32 sklearn crops at 32 x 32,
one torch thread. Baseline in the same run: one forward+backward pass of the same network on the same batch
(`ratio_to_fwd_bwd`). Writes benchmarks/proxy_speed.csv. Usage: python benchmarks/proxy_speed.py [n_archs_per_space]
"""
import os, sys, time, statistics, platform
from pathlib import Path
import pandas as pd
import torch
os.environ.setdefault("TRANSNAS_REPRO_DATA", str(Path(__file__).resolve().parents[2]/"shared"/"data"))
from transnas_repro.proxies import DEFAULT_PROXIES, make_batch, score, task_loss, crosscheck_archs, input_size, _num_classes
from transnas_repro.networks import build_network

HERE = Path(__file__).resolve().parent
SPACES = [("nb201", "cifar10"), ("tnb101_micro", "class_scene")]

def fwd_bwd(net, batch):
    t = time.perf_counter(); net.train().zero_grad(); task_loss(net(batch.inputs), batch).backward()
    return time.perf_counter() - t

def main(n_archs: int = 2):
    torch.set_num_threads(1)
    rows = []
    for bench, task in SPACES:
        archs = crosscheck_archs(bench, task, n_archs, seed=1)
        times = {p: [] for p in ["fwd_bwd", *DEFAULT_PROXIES]}
        for arch in archs:
            torch.manual_seed(0)
            net = build_network(bench, arch, task)
            batch = make_batch(32, size=input_size(bench, task), num_classes=_num_classes(net))
            fwd_bwd(net, batch); times["fwd_bwd"].append(fwd_bwd(net, batch))   # warm-up, then timed
            for p in DEFAULT_PROXIES:
                t = time.perf_counter(); score(net, p, batch); times[p].append(time.perf_counter() - t)
        base = statistics.median(times["fwd_bwd"])
        for p, ts in times.items():
            rows.append(dict(bench=bench, task=task, proxy=p, archs=len(ts), median_s=round(statistics.median(ts), 4),
                             ratio_to_fwd_bwd=round(statistics.median(ts)/base, 2), batch=32, image_side=input_size(bench, task),
                             threads=1, cpu=platform.processor() or platform.machine(), load_avg_1min=round(os.getloadavg()[0], 1)))
    df = pd.DataFrame(rows)
    df.to_csv(HERE/"proxy_speed.csv", index=False)
    print(df.to_string(index=False))

if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
