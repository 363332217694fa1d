"The CLI's options reach the library (in-process, typer's CliRunner): nothing parsed and then ignored, defaults stated, bad options refused."
import json, os
import pandas as pd
import pytest
from typer.testing import CliRunner

from transnas_repro import experiments as ex, search
from transnas_repro.cli import app
from transnas_repro.experiments import Trial

pytestmark = pytest.mark.needs_data
runner = CliRunner()


@pytest.fixture
def seen(monkeypatch):
    got = {}
    def fake(experiment, **kw): got.clear(); got.update(kw, experiment=experiment); return pd.DataFrame({"x": [1]})
    monkeypatch.setattr(ex, "reproduce", fake)
    return got


def test_reproduce_passes_every_option_through(seen, tmp_path):
    r = runner.invoke(app, ["reproduce", "baselines-tnb", "--profile", "paper", "--jobs", "3", "--out", str(tmp_path), "--partial", "--wait",
                            "--force", "--options", '{"seeds": 1}', "--device", "cpu", "--gpus-per-trial", "0.5"])
    assert r.exit_code == 0, r.output
    assert seen == dict(experiment="baselines-tnb", profile="paper", jobs=3, backend="local", out=str(tmp_path), address=None, partial=True,
                        options={"seeds": 1}, wait=True, force=True, device="cpu", gpus_per_trial=0.5, data=None,
                        progress=os.environ.get("TRANSNAS_REPRO_PROGRESS", "1") == "1")
    r = runner.invoke(app, ["reproduce", "baselines-tnb", "--address", "h:1", "--device", "cuda"])
    assert r.exit_code == 0, r.output
    assert (seen["backend"], seen["address"], seen["profile"], seen["jobs"], seen["options"]) == ("ray", "h:1", "quick", 1, None)


@pytest.mark.parametrize("env,shown", [("0", False), ("1", True)])
def test_reproduce_progress_follows_the_env(seen, tmp_path, monkeypatch, env, shown):
    monkeypatch.setenv("TRANSNAS_REPRO_PROGRESS", env)          # README: =0 hides the bars and notes of `reproduce` too
    r = runner.invoke(app, ["reproduce", "baselines-tnb", "--out", str(tmp_path), "--device", "cpu"])
    assert r.exit_code == 0, r.output
    assert seen["progress"] is shown


@pytest.mark.parametrize("bad", ["[1]", '"seeds"', "3"])
def test_reproduce_options_must_be_a_json_object(seen, tmp_path, bad):
    r = runner.invoke(app, ["reproduce", "baselines-tnb", "--out", str(tmp_path), "--device", "cpu", "--options", bad])
    assert r.exit_code == 2 and "is not a JSON object" in r.output and bad in r.output and not seen


def test_options_need_an_out_folder_of_their_own():
    "Options change the trials, so they never write the committed figures: an explicit --out is required, and 'all' takes none."
    with pytest.raises(ValueError, match="--out DIR"): ex.reproduce("transfer-table", options={"seeds": 1}, device="cpu")
    with pytest.raises(ValueError, match="--out DIR"): ex.reproduce("all", options={"seeds": 1}, out="somewhere", device="cpu")


def test_list_shows_every_registered_experiment():
    r = runner.invoke(app, ["reproduce", "--list"], env={"COLUMNS": "120"})
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines(); sep = next(i for i, l in enumerate(lines) if l.startswith("---"))
    ex.load_experiment_modules()
    assert sorted(l.split()[0] for l in lines[sep + 1:] if l and not l.startswith(" ")) == sorted(ex.EXPERIMENTS.names())


def test_search_cli_uses_every_option():
    "Non-default bench, task, method, budget, seed and split: the JSON names them and holds the search they define."
    want = search.run("rea", "tnb101_macro", "room_layout", 20, 3, "test").summary()
    r = runner.invoke(app, ["search", "--bench", "tnb101_macro", "--task", "room_layout", "--method", "rea", "--budget", "20",
                            "--seed", "3", "--split", "test", "--device", "cpu"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    assert (s["bench"], s["task"], s["method"], s["seed"], s["split"], s["queries"]) == ("tnb101_macro", "room_layout", "rea", 3, "test", 20)
    assert s["best_arch"] == want["best_arch"]
    assert want["best_arch"] != search.run("rea", "tnb101_macro", "room_layout", 20, 3, "valid").summary()["best_arch"]   # the split mattered

def test_search_trial_honours_its_split():
    t = Trial("e", "rea", "tnb101_micro", "class_object", 3, 30, {"split": "test"})
    rows = pd.DataFrame(ex.search_trial(t))
    assert set(rows.split) == {"test"}
    assert list(rows.arch) == [a for a, _ in search.run("rea", "tnb101_micro", "class_object", 30, 3, "test").history]
    assert "search split `test`" in ex.describe_protocol([t], rows, "quick")


def test_bench_info_uses_its_split():
    from transnas_repro.benchmarks import load_benchmark
    r = runner.invoke(app, ["bench", "info", "tnb101_micro", "--split", "test"])
    assert r.exit_code == 0, r.output
    b = load_benchmark("tnb101_micro")
    assert all(f"{b.optimum(t, 'test'):.2f}" in r.output and b.best_arch(t, "test") in r.output for t in b.tasks)
    assert f"{b.optimum('class_object', 'valid'):.2f}" not in r.output      # the valid optimum (46.32) is not shown
