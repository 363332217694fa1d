"Start-up cost: the CLI and `search.run` import a method's module only when it is used (torch is the real cost)."
import subprocess, sys
import pytest

pytestmark = pytest.mark.needs_data
HEAVY = ["torch", "torch_geometric", "scipy.stats", "matplotlib", "transnas_repro.archgraph", "transnas_repro.ktnas",
         "transnas_repro.ktnas_experiments", "transnas_repro.gennas", "transnas_repro.contrastive",
         "transnas_repro.contrastive_experiments", "transnas_repro.proxies", "transnas_repro.proxy_defs", "transnas_repro.layers"]
CODE = """
import sys
from typer.testing import CliRunner
from transnas_repro.cli import app
r = CliRunner().invoke(app, {args!r})
assert r.exit_code == 0, r.output
print(sorted(m for m in {heavy!r} if m in sys.modules))
"""

def imported_by(args):
    out = subprocess.run([sys.executable, "-c", CODE.format(args=args, heavy=HEAVY)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]

@pytest.mark.parametrize("args", [["search", "--method", "random", "--budget", "5"], ["search", "--method", "local", "--budget", "5"],
                                  ["bench", "info", "tnb101_micro"], ["search", "--help"], ["reproduce", "--list"],
                                  ["search", "--method", "arch-graph", "--help-config"]])
def test_cli_imports_no_heavy_module(args):
    assert imported_by(args) == "[]"

def test_a_method_is_imported_when_used():
    code = ("import sys\nfrom transnas_repro import search\nassert 'transnas_repro.archgraph' not in sys.modules\n"
            "fn = search.SEARCHERS.get('arch-graph')\nprint(fn.__module__, 'transnas_repro.archgraph' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True).stdout
    assert out.split() == ["transnas_repro.archgraph", "True"], out

def test_plots_does_not_import_experiments():
    "No import cycle: `plots` takes SUMMARY_COLUMNS from `results`, which imports neither `plots` nor `experiments`."
    code = ("import sys, transnas_repro.results\nprint('transnas_repro.plots' in sys.modules, 'transnas_repro.experiments' in sys.modules)\n"
            "import transnas_repro.plots\nprint('transnas_repro.experiments' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.split() == ["False", "False", "False"], out

def test_split_chapters_import_no_entry_point():
    "No import cycle: `nb101` (re-exported by `benchmarks`) and `layers` (re-exported by `networks`) import neither entry point."
    code = ("import sys, transnas_repro.nb101, transnas_repro.layers\n"
            "print('transnas_repro.benchmarks' in sys.modules, 'transnas_repro.networks' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.split() == ["False", "False"], out
