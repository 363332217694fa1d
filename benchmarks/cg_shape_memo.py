"""Speed of `MemoShapeProp` (the default shape propagation of `arch_cg` on traced networks) against torch's ShapeProp.

usage: python benchmarks/cg_shape_memo.py [--sample 60]
Writes benchmarks/cg_shape_memo.csv. For NB101 and NB301 cells (the paper-scale CL families, traced network by
network), the same architectures are built alternately with memo=True and memo=False in one process with one torch
thread, so the ratio is measured under the same machine load; the graphs are checked equal.
"""
from __future__ import annotations
import argparse, os, time
from pathlib import Path
import numpy as np
import pandas as pd
import torch


def main(sample: int = 60):
    torch.set_num_threads(1)
    from transnas_repro import encoders, contrastive as C
    rows = []
    for family in ["nb101_full", "nb301_unlabelled"]:
        bench, archs = C.FAMILIES[family][0], C.family_archs(family)
        probe = [archs[i] for i in np.sort(np.random.default_rng(1).choice(len(archs), sample + 1, replace=False))]
        encoders.arch_cg(bench, probe[0]); encoders.arch_cg(bench, probe[0], memo=False)     # one-time set-up
        times = {True: 0.0, False: 0.0}
        for a in probe[1:]:
            got = {}
            for memo in (True, False):
                t0 = time.perf_counter(); got[memo] = encoders.arch_cg(bench, a, memo=memo); times[memo] += time.perf_counter() - t0
            assert got[True] == got[False], a
        for memo in (True, False):
            rows.append(dict(family=family, bench=bench, method="MemoShapeProp" if memo else "torch ShapeProp", graphs=sample,
                             seconds=round(times[memo], 2), ms_per_graph=round(1000*times[memo]/sample, 1),
                             family_size=len(archs), family_total_h=round(times[memo]/sample*len(archs)/3600, 2),
                             ratio_to_shapeprop=round(times[memo]/times[False], 3), cpus=os.cpu_count(),
                             load_avg_1min=round(os.getloadavg()[0], 1), torch=torch.__version__,
                             note="same architectures, alternated; graphs equal"))
            print(rows[-1], flush=True)
    out = Path(__file__).with_suffix(".csv")
    df = pd.DataFrame(rows); df.to_csv(out, index=False); print(df.to_string()); print("wrote", out)
    return df

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=60, help="architectures per family")
    main(ap.parse_args().sample)
