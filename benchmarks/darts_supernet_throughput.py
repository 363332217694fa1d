"""Throughput (images per second) of the three computations of the KTNAS DARTS-space paper profile, on synthetic
CIFAR-shaped data (3 x 32 x 32, 10 classes), and the cost of `ktnas-darts-cifar --profile paper` projected from them.

    .venv/bin/python benchmarks/darts_supernet_throughput.py [--device cpu|cuda] [--steps 6] [--out benchmarks/darts_supernet_throughput.csv]

* supernet-train: `train_supernet_epoch` steps of one task's supernet (DartsSearchConfig defaults: 20 channels, 1 block,
  batch 128, SGD nesterov), a random child of a 20-genotype population per minibatch.
* supernet-fitness: `fitness` of those genotypes under the shared weights (eval mode, batches of 1000).
* final-train: training steps of the final network (FinalTrainConfig defaults: 48 channels, KTNAS_LAYERS cells, batch 64,
  auxiliary head 0.4, drop-path 0.3, grad clip 5; cutout and crops are left out: they cost little next to the network).

Each part runs a few warm-up steps first, then `--steps` timed ones. The `projected` rows are NOT measurements: they
multiply the images one paper-profile seed processes (counted from the config, below) by the measured seconds per
image of this run. Per task and generation the search trains one epoch of the 45,000 training images (the 10 %
validation hold-out of task_data) and scores every parent and child (at most population + children + transferred
= 44 genotypes, 48 evaluations with the transfers' own) on the 5,000 validation images; two tasks (CIFAR-10 and
CIFAR-100, both priced at 10 classes), DartsSearchConfig.generations generations. The final training is 600 epochs of
45,000 images for each task. Rows of other devices already in the CSV are kept; this device's rows are replaced.
"""
import argparse, os, platform, time
from pathlib import Path
import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from transnas_repro.darts_space import EMTNetwork, random_genotype, to_string
from transnas_repro.ktnas_darts import DartsSearchConfig, FinalTrainConfig, Supernet, fitness, train_supernet_epoch

OUT = Path(__file__).with_suffix(".csv")
TRAIN, VAL, CLASSES, TASKS = 45_000, 5_000, 10, 2


def _sync(device):
    if device.startswith("cuda"): torch.cuda.synchronize()


def _timed(fn, warm: int, steps: int, device: str) -> float:
    for _ in range(warm): fn()
    _sync(device); t0 = time.perf_counter()
    for _ in range(steps): fn()
    _sync(device); return time.perf_counter() - t0


def measure(device: str = "cpu", steps: int = 6, seed: int = 0) -> list[dict]:
    torch.manual_seed(seed); g = np.random.default_rng(seed)
    sc, fc = DartsSearchConfig(), FinalTrainConfig()
    pop = [to_string(random_genotype(g)) for _ in range(sc.population)]
    net = Supernet(CLASSES, sc.channels, sc.n_blocks, sc.dropout).to(device)
    opt = torch.optim.SGD(net.parameters(), sc.lr, momentum=sc.momentum, nesterov=True, weight_decay=sc.weight_decay)
    xb = torch.randn(sc.batch_size, 3, 32, 32, device=device); yb = torch.randint(0, CLASSES, (sc.batch_size,), device=device)
    step = lambda: train_supernet_epoch(net, opt, (xb, yb), pop, g, sc.batch_size)      # one epoch of one batch = one step
    rows = [dict(part="supernet-train", setting=f"{sc.channels} channels, {sc.n_blocks} block, batch {sc.batch_size} @ 32 px",
                 images=steps*sc.batch_size, seconds=_timed(step, 2, steps, device))]
    xv = torch.randn(sc.val_batch_size, 3, 32, 32, device=device); yv = torch.randint(0, CLASSES, (sc.val_batch_size,), device=device)
    it = iter(range(10**9))
    ev = lambda: fitness(net, pop[next(it) % len(pop)], (xv, yv), sc.val_batch_size)
    rows.append(dict(part="supernet-fitness", setting=f"eval mode, batch {sc.val_batch_size} @ 32 px", images=steps*sc.val_batch_size,
                     seconds=_timed(ev, 1, steps, device)))
    final = EMTNetwork(pop[0], fc.channels, fc.layers, CLASSES, auxiliary=fc.auxiliary_weight > 0).to(device)
    fopt = torch.optim.SGD(final.parameters(), fc.lr, momentum=fc.momentum, weight_decay=fc.weight_decay)
    xf = torch.randn(fc.batch_size, 3, 32, 32, device=device); yf = torch.randint(0, CLASSES, (fc.batch_size,), device=device)
    def fstep():
        final.train(); final.set_drop_prob(fc.drop_path/2)        # the schedule's mid-training value (0 -> drop_path)
        logits, aux = final.forward_with_aux(xf)
        loss = F.cross_entropy(logits, yf) + (fc.auxiliary_weight*F.cross_entropy(aux, yf) if aux is not None else 0)
        fopt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(final.parameters(), fc.grad_clip); fopt.step()
    rows.append(dict(part="final-train", setting=f"{fc.channels} channels, {fc.layers} cells, batch {fc.batch_size} @ 32 px, aux {fc.auxiliary_weight}",
                     images=steps*fc.batch_size, seconds=_timed(fstep, 1, max(2, steps//2), device)*steps/max(2, steps//2)))
    for r in rows: r.update(images_per_s=r["images"]/r["seconds"], measured=True)
    # the projection: images of one paper-profile seed, priced at this run's seconds per image
    per = {r["part"]: r["seconds"]/r["images"] for r in rows}
    evals = sc.population + sc.population + sc.n_transfer + sc.n_transfer        # parents + children + transfers, transfers scored twice
    search_s = TASKS*sc.generations*(TRAIN*per["supernet-train"] + evals*VAL*per["supernet-fitness"])
    final_s = TASKS*fc.epochs*TRAIN*per["final-train"]
    for part, s, how in (("projected: paper search, one seed", search_s,
                          f"{TASKS} tasks x {sc.generations} generations x (1 epoch of {TRAIN} images + {evals} x {VAL} validation images)"),
                         ("projected: paper final training, one seed", final_s, f"{TASKS} tasks x {fc.epochs} epochs x {TRAIN} images"),
                         ("projected: paper profile, 5 seeds (Table IV)", 5*(search_s + final_s), "5 x (search + final training)")):
        rows.append(dict(part=part, setting=how, seconds=s, days=s/86400, measured=False,
                         note=f"PROJECTED, not measured: images counted from the configs x seconds per image measured in this run on {device}"))
    info = dict(device=device, torch=torch.__version__, cpu=platform.machine(), n_cores=os.cpu_count(),
                threads=torch.get_num_threads(), load_avg_1min=round(os.getloadavg()[0], 2),
                gpu=torch.cuda.get_device_name(0) if device.startswith("cuda") else "")
    return [{**info, **r} for r in rows]


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cpu"); ap.add_argument("--steps", type=int, default=6); ap.add_argument("--out", default=str(OUT))
    a = ap.parse_args()
    if a.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit(f"--device {a.device}: no CUDA device is visible to torch {torch.__version__}. Fix: --device cpu, or run on a GPU machine.")
    new = pd.DataFrame(measure(a.device, a.steps))
    out = Path(a.out)
    old = pd.read_csv(out) if out.exists() else pd.DataFrame()
    if len(old): old = old[old.device != a.device]
    df = pd.concat([old, new], ignore_index=True)
    df.round(4).to_csv(out, index=False)
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        print(new[["part", "images_per_s", "seconds", "days"]].round(3).to_string(index=False))
    print(f"wrote {out}")
