# Pilot (tuning seed 1000, task digits0-4, exploratory; run by hand before tuning-ktnas-darts-final was designed):
# candidates C0 = the quick final training; C1 no drop-path, no cutout; C2 C1 at batch 16; C3 C1 without crop;
# C4 drop-path 0.15; C5 no drop-path (cutout 4). Usage: python pilot.py C0,C1 4 (candidates, genotypes); one JSON line a training.
# Columns of pilot.csv: cand, genotype index g, training seed s, test / train accuracy %, last-epoch loss, CPU-seconds.
import sys, time, json
from transnas_repro.ktnas_darts import QUICK, FinalTrainConfig, train_final, accuracy, _load_tasks
from transnas_repro.darts_space import random_genotype, to_string
from transnas_repro.core import rng
from transnas_repro.embeddings import torch_threads
F = QUICK["final"]
CANDS = {"C0": F, "C1": dict(F, drop_path=0.0, cutout=0), "C2": dict(F, drop_path=0.0, cutout=0, batch_size=16),
         "C3": dict(F, drop_path=0.0, cutout=0, augment="none"), "C4": dict(F, drop_path=0.15), "C5": dict(F, drop_path=0.0)}
names = sys.argv[1].split(",")
td = _load_tasks("quick", "ktnas-darts-cifar", None, 1000, QUICK)["digits0-4"]
genos = [to_string(random_genotype(rng(1000, "rank-check", "digits0-4", i))) for i in range(int(sys.argv[2]))]
with torch_threads(1):
    for n in names:
        cfg = FinalTrainConfig(**CANDS[n])
        for i, a in enumerate(genos):
            for s in (1000, 1001):
                t0 = time.process_time(); o = train_final(a, td, cfg, seed=s, device="cpu", verbose=False)
                print(json.dumps(dict(cand=n, g=i, s=s, test=round(o["test_accuracy"], 2), train=round(accuracy(o["model"], td.train), 2),
                      loss=round(o["log"][-1]["loss"], 3), cpu=round(time.process_time() - t0, 1))), flush=True)
