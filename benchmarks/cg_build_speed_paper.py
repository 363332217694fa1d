"""Time to build the paper-scale CG families (30,001 NB101 cells, 11,221 unlabelled NB301 genotypes), and the training steps that follow.

usage: nice -n 15 python benchmarks/cg_build_speed_paper.py [--sample 200] [--chunked 100]
Writes benchmarks/cg_build_speed_paper.csv (one row per measurement). NB101 and NB301 CGs are traced network by network
(no cached-piece assembly as for NB201), in one process with one torch thread, so a per-graph time times the family size
is the single-core build time of the family. Each family is also built through `chunked_cgs` into a fresh cache
folder (the cached, resumable path: tracing + saving each chunk's torch file + its sidecar), then reloaded.
Last, the costs of the paper profile's training on these graphs are measured on the built graphs and extrapolated:
one encoder step (64 anchors + partners for each of 3 families), one GNN-baseline epoch over the labelled sources,
the source MLP's epochs on 30,726 embedding rows, and encoding a family.
"""
from __future__ import annotations
import argparse, os, platform, tempfile, time
from pathlib import Path
import numpy as np
import pandas as pd
import torch


def main(sample: int = 200, chunked: int = 100):
    torch.set_num_threads(1)
    from transnas_repro import encoders, contrastive as C
    rows, built = [], {}
    def row(family, method, n, seconds, family_size=None, total_is="extrapolated", note="", **extra):
        per = seconds/n
        rows.append(dict(family=family, bench=C.FAMILIES[family][0] if family in C.FAMILIES else "", method=method, graphs=n,
                         seconds=round(seconds, 2), ms_per_graph=round(1000*per, 2), family_size=family_size,
                         family_total_s=round(per*family_size, 1) if family_size else None,
                         family_total_h=round(per*family_size/3600, 2) if family_size else None, total_is=total_is,
                         cpus=os.cpu_count(), load_avg_1min=round(os.getloadavg()[0], 1), torch=torch.__version__, note=note, **extra))
        print(rows[-1], flush=True)

    for family in ["nb101_full", "nb301_unlabelled"]:
        bench, archs = C.FAMILIES[family][0], C.family_archs(family)
        probe = [archs[i] for i in np.sort(np.random.default_rng(0).choice(len(archs), sample + 1, replace=False))]
        t0 = time.perf_counter(); encoders.arch_cg(bench, probe[0]); first = time.perf_counter() - t0
        t0 = time.perf_counter(); cgs = [encoders.arch_cg(bench, a) for a in probe[1:]]
        row(family, "arch_cg, traced network by network (1 process, 1 thread)", sample, time.perf_counter() - t0, len(archs),
            note=f"first graph (one-time set-up) {first:.2f} s excluded; mean {np.mean([len(g) for g in cgs]):.0f} nodes, "
                 f"{np.mean([g.num_edges for g in cgs]):.0f} edges", mean_nodes=round(float(np.mean([len(g) for g in cgs])), 1))
        with tempfile.TemporaryDirectory() as tmp:
            old = os.environ.get("TRANSNAS_REPRO_CACHE"); os.environ["TRANSNAS_REPRO_CACHE"] = tmp
            try:
                sub = probe[1:chunked + 1]
                t0 = time.perf_counter(); graphs = C.chunked_cgs(bench, sub, chunk=max(1, chunked//2), n_jobs=1)
                row(family, f"chunked_cgs into a fresh cache, 2 chunks of {chunked//2} (trace + save + sidecar)", len(sub),
                    time.perf_counter() - t0, len(archs), note="n_jobs=1")
                size = sum(f.stat().st_size for f in Path(tmp).rglob("*.pt"))
                rows[-1]["MiB_per_1000_graphs"] = round(size/2**20*1000/len(sub), 2)
                t0 = time.perf_counter(); back = C.chunked_cgs(bench, sub, chunk=max(1, chunked//2))
                row(family, "chunked_cgs, reload of the cached chunks (sha256 checked)", len(sub), time.perf_counter() - t0, len(archs))
                assert [g.arch for g in back] == sub and torch.equal(back[-1].x, graphs[-1].x)
            finally:
                if old is None: os.environ.pop("TRANSNAS_REPRO_CACHE", None)
                else: os.environ["TRANSNAS_REPRO_CACHE"] = old
        slim = [C.slim(g) for g in graphs]
        t0 = time.perf_counter(); C.graph_spectra(slim)
        row(family, "Laplacian spectra (11 eigenvalues)", len(slim), time.perf_counter() - t0, len(archs))
        built[family] = slim

    # the paper profile's training, on these graphs (projections; the encoder cost does not grow with the family sizes)
    cfg = C.check_profile("paper")
    fams = [C.FamilyData(f, [""]*len(g), g, C.graph_spectra(g), np.zeros(len(g)), False) for f, g in built.items()]
    fams.append(fams[0])                     # a third family (stands in for NB201's 4,096 cells, smaller graphs than NB301's)
    steps = 3
    t0 = time.perf_counter(); C.train_encoder(fams, C.ContrastiveConfig(**{**cfg.__dict__, "steps": steps}), device="cpu")
    per_step = (time.perf_counter() - t0)/steps
    rows.append(dict(family="all three", method=f"encoder step, paper profile ({cfg.anchors} anchors + partners x 3 families)",
                     graphs=steps, seconds=round(per_step*steps, 2), family_size=cfg.steps, family_total_s=round(per_step*cfg.steps, 1),
                     family_total_h=round(per_step*cfg.steps/3600, 2), total_is="extrapolated to the profile's steps", cpus=os.cpu_count(),
                     load_avg_1min=round(os.getloadavg()[0], 1), torch=torch.__version__, note="family_size column: encoder steps"))
    print(rows[-1], flush=True)
    g101 = built["nb101_full"]
    model = C.CGRegressor(hidden=cfg.hidden, layers=cfg.layers)
    t0 = time.perf_counter(); C.fit_regressor(model, g101, np.linspace(0, 1, len(g101)), 1, cfg.gnn_lr, cfg.gnn_batch, device="cpu")
    per = (time.perf_counter() - t0)/len(g101)
    n_src = 30001 + 725                      # NB201 target: NB101 + NB301 labelled sources, every epoch
    rows.append(dict(family="nb101_full", method=f"GNN baseline, one epoch (batch {cfg.gnn_batch}), NB101 graphs", graphs=len(g101),
                     seconds=round(per*len(g101), 2), ms_per_graph=round(1000*per, 2), family_size=n_src,
                     family_total_s=round(per*n_src*cfg.gnn_epochs, 1), family_total_h=round(per*n_src*cfg.gnn_epochs/3600, 2),
                     total_is=f"extrapolated: {cfg.gnn_epochs} epochs over {n_src} source graphs (one target)", cpus=os.cpu_count(),
                     load_avg_1min=round(os.getloadavg()[0], 1), torch=torch.__version__, note="per target; 3 targets in cl-srcc"))
    print(rows[-1], flush=True)
    X = np.random.default_rng(0).normal(size=(n_src, cfg.hidden)).astype(np.float32)
    t0 = time.perf_counter(); C.fit_mlp(C.mlp(cfg.hidden), X, np.linspace(0, 1, n_src), 2, device="cpu"); per_epoch = (time.perf_counter() - t0)/2
    rows.append(dict(family="sources", method=f"source MLP, 2 epochs on {n_src} embedding rows (batch 256)", graphs=n_src, seconds=round(2*per_epoch, 2),
                     family_size=cfg.mlp_epochs, family_total_s=round(per_epoch*cfg.mlp_epochs, 1), family_total_h=round(per_epoch*cfg.mlp_epochs/3600, 2),
                     total_is=f"extrapolated to {cfg.mlp_epochs} epochs (one target)", cpus=os.cpu_count(), load_avg_1min=round(os.getloadavg()[0], 1),
                     torch=torch.__version__, note="family_size column: MLP epochs"))
    print(rows[-1], flush=True)
    enc = C.CGEncoder(hidden=cfg.hidden, layers=cfg.layers, proj_dim=cfg.proj_dim)
    for f, g in built.items():
        t0 = time.perf_counter(); C.embed(enc, g, device="cpu")
        row(f, "embed (encoder forward, CPU)", len(g), time.perf_counter() - t0, len(C.family_archs(f)))
    out = Path(__file__).with_suffix(".csv")
    df = pd.DataFrame(rows); df["machine"] = platform.machine()
    df.to_csv(out, index=False)
    print(df.to_string()); print("wrote", out)
    return df

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=200, help="architectures per family for the per-graph trace timing")
    ap.add_argument("--chunked", type=int, default=100, help="architectures per family built through chunked_cgs (2 chunks)")
    a = ap.parse_args()
    main(a.sample, a.chunked)
