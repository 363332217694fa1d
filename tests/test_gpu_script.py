"tools/gpu_reproduce.sh: the dry run (everything but the installs and the runs), argument errors, and the time limit."
import os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT/"tools"/"gpu_reproduce.sh"
pytestmark = pytest.mark.needs_data


def run(tmp_path, *args, timeout=300):
    env = dict(os.environ, TRANSNAS_REPRO_PROGRESS="0")
    (tmp_path/"no-wheels").mkdir(exist_ok=True)                      # an empty wheel folder: nothing to install
    return subprocess.run(["bash", str(SCRIPT), "--python", sys.executable, "--out", str(tmp_path/"out"),
                           "--wheels", str(tmp_path/"no-wheels"), *args], capture_output=True, text=True, timeout=timeout, env=env)


def test_dry_run(tmp_path):
    r = run(tmp_path, "--dry-run")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    out = r.stdout
    assert "DRY RUN" in out and "dry run: everything checked, nothing run" in out
    assert "would install the package: pip install --no-deps" in out
    assert "imports  ok" in out and "data files verified" in out and "FAIL" not in out + r.stderr
    for e in ["gennas-nb201-authors", "gennas-tnb", "cl-srcc"]:
        assert f"plan     {e} [paper]:" in out and f"reproduce {e} --profile paper --device cuda" in out
    assert not list((tmp_path/"out").glob("*/rows*")), "a dry run stores nothing"


def test_bad_option(tmp_path):
    r = run(tmp_path, "--frobnicate")
    assert r.returncode == 2 and "unknown option --frobnicate" in r.stderr


@pytest.mark.parametrize("args,msg", [(["--data", "/no/such/folder"], "--data /no/such/folder is not a folder"),
                                      (["--wheels", "/no/such/wheels"], "--wheels /no/such/wheels is not a folder"),
                                      (["--jobs", "x"], "--jobs x is not a positive integer"), (["--device", "gpu"], "--device gpu: valid choices")])
def test_explicit_values_are_used_or_refused(tmp_path, args, msg):
    r = run(tmp_path, *args, "--dry-run")
    assert r.returncode == 2 and msg in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_no_time_left_starts_nothing_and_says_so(tmp_path):
    # a real (not dry) run: --no-install, so the test never reinstalls the package into the environment running it
    r = run(tmp_path, "--device", "cpu", "--limit", "30", "--experiments", "gennas-tnb", "--no-install")
    assert "--no-install: no wheels or package installed" in r.stdout and not (tmp_path/"out"/"logs"/"pip-package.log").exists()
    assert r.returncode == 3, r.stdout[-3000:] + r.stderr[-3000:]
    assert "gennas-tnb: not started" in r.stdout
    assert (tmp_path/"out"/"status.tsv").read_text().strip() == "gennas-tnb\tnot started (time)"


READS = """
import json
from transnas_repro import gennas, contrastive as C, contrastive_experiments as CE, experiments as E
from transnas_repro.data import files_read
T = E.Trial
out = {}
def reads(eid, fn):
    fn(); out[eid] = files_read()
# tiny versions of each run's trial functions and summaries (the same readers as the paper profiles)
rows = []
def nb201():
    rows.extend(gennas.score_trial(T("gennas-nb201", "gennas", "nb201", "all", 0, 2, dict(n=2, chunk=0, chunks=1, iterations=1, batch_size=4))))
    rows.extend(gennas.proxy_trial(T("gennas-nb201", "zc-ours", "nb201", "all", 0, 2, dict(n=2, chunk=0, chunks=1))))
    import pandas as pd; gennas._nb201_summary(pd.DataFrame(rows).assign(profile="paper"), "paper")
reads("gennas-nb201", nb201)
from transnas_repro import data; data._READ.clear()
def authors():
    r = gennas.score_trial(T("gennas-nb201-authors", "gennas", "nb201", "all", 0, 2, dict(n=2, sample=1, chunk=0, chunks=1, iterations=1, batch_size=4)))
    import pandas as pd; gennas.authors_summary(pd.DataFrame(r).assign(profile="paper"), "paper")
reads("gennas-nb201-authors", authors)
data._READ.clear()
def tnb():
    for b in ("tnb101_micro", "tnb101_macro"):
        gennas.score_trial(T("gennas-tnb", "gennas", b, "all", 0, 1, dict(n=1, chunk=0, chunks=1, iterations=1, batch_size=2)))
reads("gennas-tnb", tnb)
data._READ.clear()
def cl():
    for f in C.PAPER_FAMILIES:
        CE.srcc_trial(T("cl-srcc", "zcp", CE.FAMILY_BENCH[f], "cifar10", 0, 0, dict(profile="paper", runs=1), "cl-srcc"))
        C.small_family(f, 2)
reads("cl-srcc", cl)
print(json.dumps(out))
"""

def test_declared_data_covers_what_the_runs_read():
    import json
    from transnas_repro.experiments import data_files
    r = subprocess.run([sys.executable, "-c", READS], capture_output=True, text=True, timeout=600, cwd=ROOT,
                       env=dict(os.environ, TRANSNAS_REPRO_PROGRESS="0"))
    assert r.returncode == 0, r.stderr[-3000:]
    for eid, read in json.loads(r.stdout.strip().splitlines()[-1]).items():
        assert read and set(read) <= set(data_files([eid])), (eid, sorted(set(read) - set(data_files([eid]))))
