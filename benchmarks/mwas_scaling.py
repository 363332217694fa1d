"""MWAS solvers on random and NAS-like relation graphs, n = 8 ... 4096: wall time, objective, quality.

Instances: `random` (P[i, j] ~ U(0, 1), a hard linear-ordering problem) and `nas` (p = sigmoid((s_i - s_j)/0.3 + e_ij)
with antisymmetric N(0, 1) logit noise e, so near architectures form cycles), seed 0, weight='margin'.
Every method runs through `mwas.solve`. Heuristics use bound='trivial', so their own `gap` is against the trivial
bound. `auto` and `exact` report their own bound. The quality columns compare with the instance's best known value:
the optimum where `exact` (or `dp`) proves it, else the tightest upper bound found (exact/auto bounds, the LP
relaxation up to n = 128, a triangle packing above). There `ratio_to_best_known` is a lower bound on the true ratio.

Targets (issue 4): exact proves optimality at n = 40 in < 60 s; greedy + local within 1 % of exact wherever exact
finishes; auto handles n = 4096 in < 10 s with a reported gap.

    python benchmarks/mwas_scaling.py            # n up to 4096, a few minutes
    python benchmarks/mwas_scaling.py --quick    # n up to 512, one or two minutes
    python benchmarks/mwas_scaling.py --all      # also the plain greedy on random n = 4096 (about a minute alone)
Time limits: exact 10 s (quick 5 s), `local` 10 s from n = 1024 (below: to convergence), auto its default budget
min(7, 1 + n/512) s; the LP bound behind `best_known` 10 s.
Writes benchmarks/mwas_scaling.csv and figures/mwas/mwas_scaling.png (+ .svg). Timings are wall-clock on a shared
machine; cpu_time_s (process CPU time) and load_avg_1m are recorded beside them.
"""
import argparse, os, time
from pathlib import Path
import numpy as np
import pandas as pd
from transnas_repro import mwas

ROOT = Path(__file__).resolve().parents[1]
SIZES = [8, 16, 32, 40, 64, 128, 512, 1024, 4096]
QUICK_SIZES = [8, 16, 32, 40, 64, 128, 512]
EXACT_MAX_N = dict(nas=128, random=64)   # exact is attempted up to here (random n = 128: the LP alone runs past the limit)


def make_instance(kind, n, seed=0):
    return mwas.random_instance(n, seed) if kind == "random" else mwas.nas_instance(n, seed)[0]


def methods_for(kind, n, quick, everything=False):
    "(label, solve kwargs) pairs run at this size."
    out = []
    if n <= 16: out.append(("dp", dict(method="dp")))
    if n <= EXACT_MAX_N[kind]: out.append(("exact", dict(method="exact", time_limit=5 if quick else 10)))
    out += [("copeland", dict(method="copeland", bound="trivial")), ("eades", dict(method="eades", bound="trivial"))]
    if n < 4096 or kind == "nas" or everything: out.append(("greedy", dict(method="greedy", bound="trivial")))
    if n <= 1024: out.append(("greedy+local", dict(method="greedy", polish=True, bound="trivial")))
    out += [("local", dict(method="local", bound="trivial", time_limit=None if n < 1024 else 10.0)),
            ("auto", dict(method="auto"))]
    return out


def run_instance(kind, n, quick, everything=False):
    P = make_instance(kind, n)
    rows, orders = [], {}
    for label, kw in methods_for(kind, n, quick, everything):
        cpu = time.process_time()
        r = mwas.solve(P, seed=0, **kw)
        orders[label] = r.order
        rows.append(dict(instance=kind, n=n, method=label, solver=r.method, wall_time_s=r.wall_time,
                         cpu_time_s=time.process_time() - cpu, objective=r.objective, upper_bound=r.upper_bound,
                         gap=r.gap, bound=r.info["bound"], optimal=r.optimal, time_limit_s=kw.get("time_limit"),
                         load_avg_1m=os.getloadavg()[0]))
        print(f"{kind:6s} n={n:5d} {label:13s} {r.wall_time:8.2f}s  objective {r.objective:.6g}  gap {r.gap:.3%} ({r.info['bound']})",
              flush=True)
    df = pd.DataFrame(rows)
    W = mwas.edge_weights(P)
    found = df.objective.max()
    bounds = [df.upper_bound.min()]
    if n <= 128: bounds.append(mwas.lp_bound(W, time_limit=5 if quick else 10)[0])
    else: bounds.append(mwas.packing_bound(W, orders[df.loc[df.objective.idxmax(), "method"]], time_limit=3.0)[0])
    proven = bool(df.optimal.any())
    best_known = df.loc[df.optimal, "objective"].max() if proven else min(bounds)
    df["best_found"], df["best_bound"], df["best_known"] = found, max(min(bounds), found), best_known
    df["best_known_is_optimum"] = proven
    df["ratio_to_best_known"] = df.objective / best_known
    df["ratio_to_best_found"] = df.objective / found
    return df


def plot(df, path):
    import matplotlib; matplotlib.use("Agg")
    import matplotlib.pyplot as plt, seaborn as sns
    order = ["exact", "dp", "auto", "local", "greedy+local", "greedy", "eades", "copeland"]
    palette = dict(zip(order, sns.color_palette("tab10", len(order))))
    fig, axes = plt.subplots(2, 3, figsize=(15, 7.5), sharex=True)
    for row, kind in enumerate(["random", "nas"]):
        d = df[df.instance == kind]
        for m in order:
            dm = d[d.method == m].sort_values("n")
            if dm.empty: continue
            style = dict(color=palette[m], label=m, ms=4, lw=1.3)
            axes[row, 0].plot(dm.n, dm.wall_time_s, "o-", **style)
            axes[row, 1].plot(dm.n, dm.ratio_to_best_known, "o-", **style)
            axes[row, 2].plot(dm.n, dm.ratio_to_best_found, "o-", **style)
        for n, is_opt in d.groupby("n").best_known_is_optimum.first().items():
            if not is_opt: axes[row, 1].axvspan(n / 1.12, n * 1.12, color="0.9", zorder=0)
        for y in (10, 60): axes[row, 0].axhline(y, color="0.5", ls=":", lw=1)
        axes[row, 0].set(xscale="log", yscale="log", ylabel="wall time (s)", title=f"{kind}: wall time")
        axes[row, 1].axhline(0.99, color="0.5", ls=":", lw=1)
        axes[row, 1].set(xscale="log", ylabel="objective / best known", title=f"{kind}: vs optimum (grey: vs upper bound)",
                         ylim=(max(0.5, d.ratio_to_best_known.min() - 0.02), 1.005))
        axes[row, 2].axhline(0.99, color="0.5", ls=":", lw=1)
        axes[row, 2].set(xscale="log", ylabel="objective / best found", title=f"{kind}: vs best order found",
                         ylim=(max(0.5, d.ratio_to_best_found.min() - 0.02), 1.005))
    for ax in axes[1]: ax.set_xlabel("n (architectures)")
    axes[0, 0].legend(fontsize=8, ncol=2)
    fig.suptitle("MWAS solvers on random and NAS-like relation graphs (dotted: 10 s and 60 s targets; 99 %)", fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path.with_suffix(".png"), dpi=110); fig.savefig(path.with_suffix(".svg"), metadata={"Date": None})
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="n up to 512 and shorter exact time limits")
    ap.add_argument("--all", action="store_true", help="also the plain greedy on random n = 4096 (over a minute)")
    ap.add_argument("--csv", default=str(ROOT / "benchmarks" / "mwas_scaling.csv"))
    ap.add_argument("--figure", default=str(ROOT / "figures" / "mwas" / "mwas_scaling.png"))
    args = ap.parse_args()
    t0 = time.perf_counter()
    df = pd.concat([run_instance(kind, n, args.quick, args.all) for n in (QUICK_SIZES if args.quick else SIZES)
                    for kind in ["random", "nas"]], ignore_index=True)
    df["profile"] = "quick" if args.quick else "full"
    df.round(6).to_csv(args.csv, index=False)
    plot(df, Path(args.figure))
    pd.set_option("display.width", 200)
    print("\nobjective / best known (* = best known is the proven optimum)")
    table = df.pivot_table(index=["instance", "n"], columns="method", values="ratio_to_best_known").round(4)
    table["optimum known"] = df.groupby(["instance", "n"]).best_known_is_optimum.first()
    print(table.to_string())
    print("\nwall time (s)")
    print(df.pivot_table(index=["instance", "n"], columns="method", values="wall_time_s").round(3).to_string())
    print(f"\ntotal {time.perf_counter() - t0:.0f} s; wrote {args.csv} and {args.figure}")


if __name__ == "__main__":
    main()
