"""Checks behind tools/gpu_reproduce.sh: the environment, the data files the runs read, and what each run has stored.

    python tools/gpu_check.py env  [--device cuda]                      # python, torch, CUDA, GPU; the package's imports
    python tools/gpu_check.py data --data DIR EXPERIMENT...             # sha256 of the files these experiments read, in DIR only
    python tools/gpu_check.py plan --out DIR [--profile paper] EXPERIMENT...   # trials per experiment and how many are stored

Exit status: 0 fine; 1 a check failed (named on stderr); 3 (env only) the device asked for is not usable here.
Nothing is downloaded or installed; it runs where pooch, highspy, gensim, fastcore, nbdev and ray are absent.
"""
import argparse, importlib, importlib.util, os, platform, sys
from pathlib import Path

OPTIONAL = ["pooch", "highspy", "gensim", "fastcore", "nbdev", "ray"]     # not needed by the GPU runs
NEEDED = ["transnas_repro.cli", "transnas_repro.experiments", "transnas_repro.gennas", "transnas_repro.proxies",
          "transnas_repro.contrastive", "transnas_repro.contrastive_experiments"]


def _absent(module: str) -> bool:
    try: return importlib.util.find_spec(module) is None
    except (ImportError, ValueError): return True


def env(device: str) -> int:
    print(f"python   {platform.python_version()} ({sys.executable})")
    try: import torch
    except ImportError as e:
        print(f"FAIL torch is not importable: {e}", file=sys.stderr); return 1
    cuda = torch.cuda.is_available()
    print(f"torch    {torch.__version__}, CUDA build {torch.version.cuda or 'none'}, GPU visible: {cuda}")
    if cuda:
        p = torch.cuda.get_device_properties(0)
        print(f"gpu      {torch.cuda.device_count()} x {p.name}, {p.total_memory/2**30:.0f} GiB; CPU cores {os.cpu_count()}")
    absent = [m for m in OPTIONAL if _absent(m)]
    print(f"optional {', '.join(absent) or 'none'} absent (not needed by these runs); present: {', '.join(m for m in OPTIONAL if m not in absent) or 'none'}")
    bad = []
    for m in NEEDED:
        try: importlib.import_module(m)
        except Exception as e: bad.append(f"{m}: {type(e).__name__}: {e}")
    for b in bad: print(f"FAIL import {b}", file=sys.stderr)
    if bad: return 1
    print(f"imports  ok ({', '.join(m.split('.')[-1] for m in NEEDED)})")
    from transnas_repro.core import get_device
    try: print(f"device   {device} -> {get_device(device)}")
    except ValueError as e:
        print(f"device   {device}: {e}", file=sys.stderr); return 3
    return 0


def data(folder: str, experiments: list[str]) -> int:
    from transnas_repro.data import data_path, FILES
    from transnas_repro.experiments import data_files
    names, bad = data_files(experiments), 0
    for n in names:
        try: p = data_path(n, data_dir=folder, download=False); print(f"ok   {n} ({p.stat().st_size/2**20:.1f} MiB)")
        except Exception as e: bad += 1; print(f"FAIL {n}: {e}", file=sys.stderr)
    print(f"{len(names) - bad}/{len(names)} data files verified in {folder} (sha256; {len(FILES) - len(names)} registered files not read by these runs)")
    return 1 if bad else 0


def plan(out: str, profile: str, experiments: list[str]) -> int:
    from transnas_repro.experiments import EXPERIMENTS, RowStore
    for eid in experiments:
        exp = EXPERIMENTS.get(eid)
        trials = exp(profile)
        stored = RowStore(Path(out)/eid).done(profile) & {t.trial_id for t in trials}
        state = "complete" if len(stored) == len(trials) else f"resumes at {len(stored)}" if stored else "not started"
        print(f"plan     {eid} [{profile}]: {len(trials)} trials, {len(stored)} stored ({state}); CPU cost: {exp.cost_paper}")
    return 0


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("env"); e.add_argument("--device", default="cuda")
    d = sub.add_parser("data"); d.add_argument("--data", required=True); d.add_argument("experiments", nargs="+")
    q = sub.add_parser("plan"); q.add_argument("--out", required=True); q.add_argument("--profile", default="paper")
    q.add_argument("experiments", nargs="+")
    a = p.parse_args()
    sys.exit(env(a.device) if a.cmd == "env" else data(a.data, a.experiments) if a.cmd == "data" else plan(a.out, a.profile, a.experiments))
