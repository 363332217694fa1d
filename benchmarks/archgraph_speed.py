"""Speed of Arch-Graph on a CPU: one target-task search (budget 50) per TNB space, the full-space encoder
(dense batched PyG layers vs PyG's sparse GCNConv on a Batch), and the projected cost of the 7-task x 10-seed run.

Writes benchmarks/archgraph_speed.csv. Wall time depends on what else runs on the machine; the CPU time of the
(single-threaded) search does not, so both are recorded, with the load average. Baseline in the same run: REA.
"""
import os, time, platform
from pathlib import Path
import numpy as np
import pandas as pd
import torch

os.environ.setdefault("TRANSNAS_REPRO_DATA", str(Path(__file__).resolve().parents[2]/"shared"/"data"))
from transnas_repro import search, archgraph  # noqa: E402  (registers 'arch-graph')
from transnas_repro.predictors import ArchEncoder  # noqa: E402

OUT = Path(__file__).with_suffix(".csv")


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main(seeds=(0,), tasks=("class_object", "room_layout")):
    torch.set_num_threads(1)
    rows = []
    load = os.getloadavg()[0]
    for bench in ["tnb101_micro", "tnb101_macro"]:
        for task in tasks:
            for seed in seeds:
                r, wall, cpu = timed(lambda: search.run("arch-graph", bench, task, 50, seed))
                _, rea_wall, rea_cpu = timed(lambda: search.run("rea", bench, task, 50, seed))
                rows.append(dict(case="search budget 50", bench=bench, task=task, seed=seed, wall_s=wall, cpu_s=cpu,
                                 baseline="rea", baseline_cpu_s=rea_cpu, ratio_cpu=cpu/max(rea_cpu, 1e-9),
                                 rank_percentile=r.rank_percentile))
    # the encoder over the whole space: dense batched PyG layers vs sparse GCNConv on a PyG Batch
    from torch_geometric.data import Data, Batch
    from torch_geometric.nn import GCNConv
    enc = ArchEncoder("tnb101_micro")
    _, dense_wall, dense_cpu = timed(lambda: [enc() for _ in range(5)])
    graphs = [Data(x=enc.x[i], edge_index=enc.adj[i].nonzero().flip(1).T.contiguous()) for i in range(enc.n_archs)]
    batch = Batch.from_data_list(graphs)
    convs = [GCNConv(8 if l == 0 else 64, 64) for l in range(3)]
    def sparse():
        x = batch.x
        for c in convs: x = torch.relu(c(x, batch.edge_index))
        return x
    with torch.no_grad():
        _, sparse_wall, sparse_cpu = timed(lambda: [sparse() for _ in range(5)])
    rows.append(dict(case="encode 4096 cells x5 (dense PyG DenseGCNConv)", bench="tnb101_micro", wall_s=dense_wall, cpu_s=dense_cpu,
                     baseline="sparse PyG GCNConv on a Batch", baseline_cpu_s=sparse_cpu, ratio_cpu=dense_cpu/sparse_cpu))
    df = pd.DataFrame(rows)
    micro = df[(df.case == "search budget 50") & (df.bench == "tnb101_micro")]
    per = micro.cpu_s.mean()
    rows.append(dict(case="projected 7 tasks x 10 seeds (micro, 1 core, CPU time)", bench="tnb101_micro", cpu_s=70*per,
                     wall_s=70*per/2, baseline="2 parallel jobs", baseline_cpu_s=np.nan, ratio_cpu=np.nan))
    df = pd.DataFrame(rows).assign(load_average=load, threads=1, cpu=platform.processor() or platform.machine(),
                                   n_cores=os.cpu_count(), torch=torch.__version__)
    df.round(4).to_csv(OUT, index=False)
    print(df.round(3).to_string())


if __name__ == "__main__":
    main()
