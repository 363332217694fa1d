"`--data NAME=FOLDER` for the ktnas-darts experiments: parsing, the error paths, and trial ids that hash the data's content, not its path (no search runs)."
import json
import torch, os, shutil, subprocess, sys
import pandas as pd
from pathlib import Path
import pytest

EXE = [str(Path(sys.executable).parent / "transnas-repro")]

def cli(*args):
    return subprocess.run([*EXE, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TRANSNAS_REPRO_PROGRESS": "0"})

@pytest.fixture
def cifar(tmp_path):
    from transnas_repro.image_data import write_fake_cifar
    return write_fake_cifar(tmp_path/"cifar-10-batches-py", "cifar10"), write_fake_cifar(tmp_path/"cifar-100-python", "cifar100")

@pytest.mark.parametrize("entry", ["cifar10", "cifar10=", "=/data/c10"])
def test_malformed_entry(entry):
    r = cli("reproduce", "ktnas-darts-cifar", "--profile", "paper", "--device", "cpu", "--data", entry)
    assert r.returncode == 2, r.stderr
    assert f"--data entry {entry!r} is not NAME=FOLDER" in r.stderr and "Fix: e.g. --data cifar10=" in r.stderr
    assert r.stderr.count("\n") == 1, r.stderr          # one line

def test_unknown_dataset_name():
    r = cli("reproduce", "ktnas-darts-cifar", "--profile", "paper", "--device", "cpu", "--data", "cifar=/x")
    assert r.returncode == 2 and "'cifar'" in r.stderr and "Did you mean 'cifar10'" in r.stderr and "Fix:" in r.stderr

def test_experiment_without_data(cifar):
    r = cli("reproduce", "baselines-tnb", "--device", "cpu", "--data", f"cifar10={cifar[0]}")
    assert r.returncode == 2, r.stderr
    assert "takes no data folders" in r.stderr and "Fix: drop --data" in r.stderr and "ktnas-darts-cifar" in r.stderr
    r = cli("reproduce", "all", "--device", "cpu", "--data", f"cifar10={cifar[0]}")
    assert r.returncode == 2 and "not for 'all'" in r.stderr, r.stderr

def test_darts_data_errors(cifar, tmp_path):
    c10, c100 = cifar
    base = ["reproduce", "ktnas-darts-cifar", "--device", "cpu", "--out", str(tmp_path/"out")]
    for args, needle in [(["--profile", "paper", "--data", f"cifar10={c10}"], "no folder given for cifar100. Fix: --data cifar100="),
                         (["--profile", "paper", "--data", f"cifar10={c10}", "--data", f"cifar100={c100}", "--data", "mnist=/m"], "not mnist"),
                         (["--profile", "paper", "--data", f"cifar10={tmp_path/'nope'}", "--data", f"cifar100={c100}"], "no such folder or file"),
                         (["--data", f"cifar10={c10}"], "reads no folders. Fix: drop --data, or add --profile paper")]:
        r = cli(*base, *args)
        assert r.returncode == 2 and needle in r.stderr, (args, r.stderr)
    assert not (tmp_path/"out").exists()                # nothing ran

def test_reproduce_passes_data(cifar, tmp_path):
    from transnas_repro.experiments import reproduce
    c10, c100 = cifar
    with pytest.raises(ValueError, match=r"no trial of 'ktnas-darts-cifar' \[paper\] is stored"):   # the factory took the folders
        reproduce("ktnas-darts-cifar", "paper", out=tmp_path/"out", partial=True, device="cpu", data={"cifar10": str(c10), "cifar100": str(c100)})

def test_ids_hash_content_not_path(cifar, tmp_path):
    from transnas_repro.experiments import EXPERIMENTS, input_fingerprint
    from transnas_repro.image_data import write_fake_cifar
    c10, c100 = cifar
    exp = EXPERIMENTS.get("ktnas-darts-cifar")
    ids = [t.trial_id for t in exp("paper", data={"cifar10": str(c10), "cifar100": str(c100)})]
    moved = Path(shutil.copytree(c10, tmp_path/"elsewhere"/"c10"))
    assert input_fingerprint(moved) == input_fingerprint(c10)
    assert [t.trial_id for t in exp("paper", data={"cifar10": str(moved), "cifar100": str(c100)})] == ids
    other = write_fake_cifar(tmp_path/"other", "cifar10", n=7)
    assert input_fingerprint(other) != input_fingerprint(c10)
    assert not set(t.trial_id for t in exp("paper", data={"cifar10": str(other), "cifar100": str(c100)})) & set(ids)

def test_rows_record_folders_and_fingerprints(cifar, monkeypatch):
    from transnas_repro import ktnas_darts as K
    from transnas_repro.experiments import EXPERIMENTS
    c10, c100 = cifar
    trial = EXPERIMENTS.get("ktnas-darts-cifar")("paper", data={"cifar10": str(c10), "cifar100": str(c100)})[0]
    seen = {}
    from transnas_repro.image_data import TaskData
    split = lambda n: (torch.zeros(n, 3, 8, 8), torch.zeros(n, dtype=torch.long))
    def fake_tasks(profile, experiment, data, seed, quick=None):      # val carved from train, as task_data does for CIFAR
        seen.update(data); return {t: TaskData(t, split(90), split(10), split(20), 10, val_from_train=True) for t in ("cifar10", "cifar100")}
    geno = K.to_string(K.random_genotype(K.rng(0)))
    monkeypatch.setattr(K, "_load_tasks", fake_tasks)
    history = lambda tasks: pd.DataFrame(dict(task=list(tasks), transferred=2, positive=1, transferred_survived=0, reason="rank"))   # one generation
    monkeypatch.setattr(K, "ktnas_darts_search", lambda tasks, cfg, seed: dict(best={t: geno for t in tasks}, best_fitness={t: 50.0 for t in tasks},
                                                                             history=history(tasks)))
    trained = []
    def fake_train(geno, task, cfg, **k): trained.append((len(task.train[1]), k["checkpoint"])); return dict(test_accuracy=90.0, params_m=1.0)
    monkeypatch.setattr(K, "train_final", fake_train)
    rows = K.darts_trial(trial)
    assert [n for n, _ in trained] == [100, 100]          # the paper's final training takes the held-out 10 % back: the whole train split
    assert all(ck is not None and "darts-checkpoints" in str(ck) and trial.trial_id in str(ck) for _, ck in trained)   # resumable
    assert seen == {"cifar10": str(c10.resolve()), "cifar100": str(c100.resolve())}
    assert json.loads(rows[0]["data"]) == seen and json.loads(rows[0]["data_fingerprint"]) == trial.config["data"]
    assert (rows[0]["transferred"], rows[0]["transfers_positive"], rows[0]["transfer_rounds_skipped"]) == (2, 1, 0)   # the search's transfer counts
