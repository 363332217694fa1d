"A throwaway plug-in package (a searcher and a benchmark of its own), found through entry points or --plugin, run by the CLI with --jobs 2."
import json, os, subprocess, sys, textwrap
from pathlib import Path
import pandas as pd
import pytest

PLUGIN = '''
import itertools
import pandas as pd
from transnas_repro.search import register_searcher
from transnas_repro.benchmarks import register_benchmark

@register_searcher("toy-greedy", cost="milliseconds")
def toy_greedy(oracle, seed, start: int = 0):
    "Query architectures in the space's order from `start`."
    for a in oracle.space[start:start + oracle.budget]: oracle.query(a)

def make_benchmark():
    archs = ["".join(p) for p in itertools.product("abc", repeat=4)]
    return pd.DataFrame({"arch": archs, "valid/speed": [float(sum(map(ord, a)) % 11) for a in archs],
                         "valid/size": [float(a.count("a")) for a in archs]})

register_benchmark("toy-strings", make_benchmark, higher_is_better={"size": False})
'''
ENTRY_POINTS = '''
[transnas_repro.searchers]
toy-greedy = toy_nas_plugin

[transnas_repro.benchmarks]
toy-strings = toy_nas_plugin:make_benchmark
'''

def make_plugin(root: Path, module: str = "toy_nas_plugin", entry_points: bool = True) -> dict:
    "Write the plug-in module (and, with `entry_points`, a dist-info declaring it) under `root`; the env that finds it."
    root.mkdir(parents=True, exist_ok=True)
    (root/f"{module}.py").write_text(PLUGIN)
    if entry_points:
        info = root/"toy_nas_plugin-0.1.dist-info"; info.mkdir()
        (info/"METADATA").write_text("Metadata-Version: 2.1\nName: toy-nas-plugin\nVersion: 0.1\n")
        (info/"entry_points.txt").write_text(ENTRY_POINTS.replace("toy_nas_plugin", module))
    path = os.pathsep.join([str(root), *filter(None, [os.environ.get("PYTHONPATH")])])
    env = {k: v for k, v in os.environ.items() if k != "TRANSNAS_REPRO_PLUGINS"}
    return {**env, "PYTHONPATH": path, "COLUMNS": "100", "MPLBACKEND": "Agg"}

def cli(*args, env):
    return subprocess.run([sys.executable, "-c", "from transnas_repro.cli import main; main()", *args],
                          capture_output=True, text=True, env=env, timeout=300)

def test_entry_points_declare_a_searcher_and_a_benchmark(tmp_path):
    env = make_plugin(tmp_path/"site")
    r = cli("search", "--bench", "toy-strings", "--task", "size", "--method", "toy-greedy", "--budget", "5", env=env)
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert (s["method"], s["bench"], s["queries"], s["best_arch"]) == ("toy-greedy", "toy-strings", 5, "aabb"), s
    assert "toy-greedy" in cli("search", "--help", env=env).stdout                # listed with the built-ins
    r = cli("search", "--method", "toy-greedy", "--help-config", env=env)
    assert r.returncode == 0 and "start = 0" in r.stdout and "milliseconds" in r.stdout, r.stdout + r.stderr
    r = cli("bench", "info", "toy-strings", env=env)
    assert r.returncode == 0 and "81 architectures" in r.stdout and "lower" in r.stdout, r.stderr

@pytest.mark.needs_data
def test_plugin_option_runs_in_the_transfer_table_with_two_jobs(tmp_path):
    env = make_plugin(tmp_path/"site", module="my_toy_methods", entry_points=False)
    opts = dict(methods=["random", "rea", "local"], extra_methods=["toy-greedy"], spaces=["toy-strings"], seeds=1, budget=5)
    out = tmp_path/"out"
    r = cli("reproduce", "transfer-table", "--plugin", "my_toy_methods", "--options", json.dumps(opts), "--out", str(out), "--jobs", "2", env=env)
    assert r.returncode == 0, r.stderr
    s = pd.read_csv(out/"summary.csv")
    rp = s[(s.metric == "rank_percentile") & (s.task == "all")].set_index("method")["mean"]
    assert list(rp.index) == ["random", "rea", "local", "toy-greedy"], s
    assert r.stdout.strip().splitlines()[-1] == f"summary: {out/'summary.md'}", r.stdout[-300:]     # ends with where it wrote
    assert max(len(l) for l in r.stdout.splitlines() if str(out) not in l) <= 100                 # the table fits COLUMNS=100
    r = cli("search", "--method", "toy-greedy", env=env)                           # without the plug-in: one line naming it and the fix
    assert r.returncode == 2 and "toy-greedy" in r.stderr and "Valid choices" in r.stderr and "Fix:" in r.stderr

def test_workers_import_the_plugins_the_parent_loaded(tmp_path):
    env = make_plugin(tmp_path/"site", module="worker_toy_methods", entry_points=False)
    code = textwrap.dedent(f'''
        import os
        from transnas_repro.core import load_plugins
        from transnas_repro.experiments import Trial, run_trials
        load_plugins(["worker_toy_methods"])
        assert "TRANSNAS_REPRO_PLUGINS" not in os.environ          # the workers learn of it from run_trials only
        trials = [Trial("t", m, "toy-strings", "speed", s, 5) for m in ("toy-greedy", "rea") for s in (0, 1)]
        rows = run_trials(trials, {str(tmp_path/'out')!r}, jobs=2, progress=False)
        print(sorted(set(rows.method)), len(rows))''')
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[-2] == "['rea', 'toy-greedy'] 20", r.stdout

def test_registering_a_taken_name_is_an_error(tmp_path):
    env = make_plugin(tmp_path/"site", entry_points=False)
    code = ("from transnas_repro.search import register_searcher\n"
            "try:\n    register_searcher('rea')(lambda oracle, seed: None)\nexcept ValueError as e: print(e)\n"
            "register_searcher('rea', replace=True)(lambda oracle, seed: None); print('replaced')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, check=True).stdout
    assert "'rea' is already registered" in out and "replace=True" in out and out.strip().endswith("replaced"), out

@pytest.mark.slow
def test_ray_workers_import_the_plugins(tmp_path):
    pytest.importorskip("ray")
    env = make_plugin(tmp_path/"site", module="ray_toy_methods", entry_points=False)
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    code = textwrap.dedent(f'''
        from transnas_repro.core import load_plugins
        from transnas_repro.experiments import Trial, run_trials
        load_plugins(["ray_toy_methods"])
        trials = [Trial("t", m, "toy-strings", "speed", s, 5) for m in ("toy-greedy", "rea") for s in (0, 1)]
        rows = run_trials(trials, {str(tmp_path/'out')!r}, jobs=2, backend="ray", progress=False)
        print(sorted(set(rows.method)), len(rows))''')
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().split("\n")[-1] == "['rea', 'toy-greedy'] 20", r.stdout
