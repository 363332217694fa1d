"""The GPU machine has no pooch, highspy, gensim, fastcore, nbdev or ray: the package, its CLI, GenNAS and proxy scoring,
the GPU script's checks and the three GPU runs' trial lists must work without them (imported only where needed)."""
import subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCKED = ("pooch", "highspy", "gensim", "fastcore", "nbdev", "ray")
CODE = f"""
import sys, runpy
BLOCKED = {BLOCKED!r}
class Absent:
    "A meta-path finder that makes the blocked packages look uninstalled."
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED: raise ModuleNotFoundError(f"No module named {{name!r}} (blocked by the test)", name=name)
        return None
sys.meta_path.insert(0, Absent())
try: import pooch
except ModuleNotFoundError: pass
else: raise AssertionError("the block does not work")
import transnas_repro, transnas_repro.cli
from transnas_repro.cli import main
for argv in (["--help"], ["reproduce", "--help"], ["reproduce", "--list"]):
    sys.argv = ["transnas-repro", *argv]
    try: main()
    except SystemExit as e: assert e.code in (0, None), (argv, e.code)
from transnas_repro import gennas, proxies, contrastive, experiments, mwas, archgraph, ktnas
arch = "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
d = gennas.score_details("nb201", arch, iterations=2, batch_size=4, device="cpu")
assert 0 < d["score"] < gennas.NAN_SCORE, d
s = proxies.score_arch("nb201", arch, ["params", "synflow", "snip"], batch=proxies.make_batch(n=8), device="cpu")
assert s["params"] > 0 and s["synflow"] == s["synflow"], s
ids = ["gennas-nb201", "gennas-tnb", "cl-srcc"]
assert all(len(experiments.EXPERIMENTS.get(e)("paper")) for e in ids)
assert len(experiments.data_files(ids)) > 10
check = runpy.run_path({str(ROOT/'tools'/'gpu_check.py')!r}, run_name="gpu_check")
assert check["env"]("cpu") == 0
leaked = [m for m in sys.modules if m.split(".")[0] in BLOCKED]
assert not leaked, leaked
print("ok")
"""

@pytest.mark.needs_data
def test_runs_without_the_optional_packages():
    r = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stdout[-3000:] + r.stderr[-3000:]
    assert "optional pooch, highspy, gensim, fastcore, nbdev, ray absent" in r.stdout
