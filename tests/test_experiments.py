"Runner, store and registry tests for transnas_repro.experiments: parallel, resume after a real kill, failures, Ray."
import json, os, signal, subprocess, sys, textwrap, time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
from transnas_repro import experiments as ex, search
from transnas_repro.results import summary_row, summary_frame
from transnas_repro.experiments import (EXPERIMENTS, SUMMARY_COLUMNS, RowStore, Trial, TrialsFailed, register_experiment,
                                        reproduce, run_trials)

pytestmark = pytest.mark.needs_data
CALLS = []   # trials run by counting_trial in this process


def counting_trial(trial):
    "search_trial that records its call and fails for seed 1 while FLAKY_FAIL=1."
    CALLS.append(trial.trial_id)
    if os.environ.get("FLAKY_FAIL") == "1" and trial.seed == 1: raise RuntimeError("flaky failure on purpose")
    return ex.search_trial(trial)


def tiny_trials(experiment="t-tiny", seeds=(0, 1), methods=("random", "rea"), budget=12, fn=None):
    kw = {} if fn is None else dict(fn=fn)
    return [Trial(experiment, m, "tnb101_micro", "class_object", s, budget, **kw) for m in methods for s in seeds]


@pytest.fixture
def registry():
    "Register experiments for one test only."
    before = dict(EXPERIMENTS)
    yield EXPERIMENTS
    EXPERIMENTS.clear(); EXPERIMENTS.update(before)


def stable(rows):
    "Rows without the columns that legitimately differ between runs (timings)."
    return rows.drop(columns=["wall_time"]).sort_values(["trial_id", "query"]).reset_index(drop=True)


# ------------------------------------------------------------------ trials and registry
def test_trial_id_stable_and_distinct():
    a = Trial("e", "rea", "tnb101_micro", "class_object", 0, 50)
    assert a.trial_id == Trial("e", "rea", "tnb101_micro", "class_object", 0, 50).trial_id
    others = [Trial("e", "rea", "tnb101_micro", "class_object", 1, 50), Trial("e", "rea", "tnb101_micro", "class_scene", 0, 50),
              Trial("e", "rea", "tnb101_micro", "class_object", 0, 51), Trial("e", "rea", "tnb101_micro", "class_object", 0, 50, {"x": 1}),
              Trial("f", "rea", "tnb101_micro", "class_object", 0, 50)]
    assert len({a.trial_id, *[o.trial_id for o in others]}) == 6
    assert "/" not in Trial("e", "m/x", "nb201", "ImageNet16-120", 0, 5).trial_id


def test_search_trial_rows_match_search_run():
    t = Trial("e", "local", "tnb101_macro", "room_layout", 3, 30, {"first_improvement": True})
    rows = pd.DataFrame(ex.search_trial(t))
    r = search.run("local", "tnb101_macro", "room_layout", 30, 3, first_improvement=True)
    assert list(rows["query"]) == list(range(1, 31))
    assert list(rows.arch) == [a for a, _ in r.history]
    assert rows.best_so_far.iloc[-1] == pytest.approx(r.best_value)
    assert rows.rank_percentile.iloc[-1] == pytest.approx(r.rank_percentile)
    assert (np.diff(rows.best_so_far) <= 0).all()   # room layout: a loss
    assert {"experiment", "method", "benchmark", "task", "seed", "value", "wall_time", "package_version", "device", "config"} <= set(rows)
    assert json.loads(rows.config[0]) == {"first_improvement": True}


def test_bad_choices_list_the_valid_ones(tmp_path):
    with pytest.raises(ValueError, match="baselines-tnb"): reproduce("baselines-tbn", out=tmp_path)
    with pytest.raises(ValueError, match="Valid choices: quick, paper"): reproduce("baselines-tnb", profile="full", out=tmp_path)
    with pytest.raises(ValueError, match="Valid choices: local, ray"): reproduce("baselines-tnb", backend="spark", out=tmp_path)
    with pytest.raises(ValueError, match="jobs=0"): run_trials(tiny_trials(), tmp_path, jobs=0)
    with pytest.raises(ValueError, match="module:function"): ex.resolve_fn("nope")
    assert not any(tmp_path.iterdir())


def test_experiments_table_and_baselines_registration():
    table = ex.experiments_table()
    assert list(table.columns) == ["id", "paper", "table_or_figure", "cost_quick", "cost_paper", "description"]
    row = table.set_index("id").loc["baselines-tnb"]
    assert row.paper == "KTNAS"
    exp = EXPERIMENTS.get("baselines-tnb")
    quick, paper = exp("quick"), exp("paper")
    assert len(quick) == 3 * 2 * 7 * 3 and len(paper) == 3 * 2 * 7 * 10
    assert {t.budget for t in paper} == {50} and {t.seed for t in paper} == set(range(10))
    reported = {(r["method"], r["task"]): r["value"] for r in exp.reported}
    assert reported[("random", "class_object")] == 45.16 and reported[("rea", "room_layout")] == 61.75


def test_register_rejects_bad_ids_and_duplicate_trials(registry):
    with pytest.raises(ValueError, match="folder-safe"): register_experiment("a b", "-", "-", "-", "-", "-")
    @register_experiment("t-dup", "-", "-", "-", "-", "-")
    def dup(profile): return tiny_trials("t-dup") * 2
    with pytest.raises(ValueError, match="more than once"): dup("quick")


def test_repo_root_holds_pyproject():
    assert (ex.repo_root() / "pyproject.toml").exists()
    assert ex.default_out("x") == ex.repo_root() / "figures" / "x"


# ------------------------------------------------------------------ outputs
def test_reproduce_writes_summary_table_and_figures(registry, tmp_path):
    @register_experiment("t-out", "KTNAS", "Table III", "1 s", "1 s", "tiny",
                         reported=[dict(method="random", benchmark="tnb101_micro", task="class_object", metric="best_value", value=45.16),
                                   dict(method="random", benchmark="tnb101_micro", task="jigsaw", metric="best_value", value=94.0)])
    def t_out(profile): return tiny_trials("t-out", seeds=(0, 1, 2))
    summary = reproduce("t-out", out=tmp_path, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != ".run.lock") == ["comparisons.csv", "curves.png", "curves.svg", "rows.parquet", "summary.csv", "summary.md"]
    csv = pd.read_csv(tmp_path / "summary.csv")
    assert list(csv.columns) == SUMMARY_COLUMNS
    assert {m for m in csv.metric if not m.startswith("ledger_")} == {"best_value", "test_value", "rank_percentile",
                                                                       "rank_percentile_median", "rank_percentile_of_mean"}
    rs = csv[(csv.method == "random") & (csv.task == "class_object") & (csv.metric == "best_value")].iloc[0]
    assert rs.paper_value == 45.16 and rs.n == 3 and rs.profile == "quick"
    assert csv[(csv.task == "jigsaw")].iloc[0][["n", "paper_value"]].tolist() == [0, 94.0]   # reported only
    assert (csv[(csv.method == "optimum") & (csv.metric == "rank_percentile")]["mean"] == 0).all()
    md = (tmp_path / "summary.md").read_text()
    assert "Profile `quick`" in md and "3 seeds" in md and "budget 12" in md and "TRANSNAS_REPRO_DATA" in md
    assert "| RS (KTNAS, reported) | 45.16 | 94.00 |" in md and "optimum in space" in md
    rows = pd.read_parquet(tmp_path / "rows.parquet")
    assert len(rows) == 6 * 12 and set(rows.profile) == {"quick"}
    final = rows.sort_values("query").groupby("trial_id").tail(1)
    assert rs["mean"] == pytest.approx(final[final.method == "random"].best_so_far.mean())


def test_custom_hooks(registry, tmp_path):
    seen = {}
    @register_experiment("t-hooks", "-", "-", "-", "-", "-")
    def t_hooks(profile): return tiny_trials("t-hooks")
    @t_hooks.summarizer
    def summarize(rows, profile):
        return summary_frame([summary_row("random", "tnb101_micro", "class_object", "n_rows", mean=float(len(rows)), std=0.0, n=1)], profile)
    @t_hooks.plotter
    def plot(rows, summary, out_dir): seen["plot"] = (len(rows), list(summary.metric), Path(out_dir))
    summary = reproduce("t-hooks", out=tmp_path, progress=False)
    assert summary["mean"].tolist() == [48.0] and seen["plot"] == (48, ["n_rows"], tmp_path)
    assert not (tmp_path / "curves.png").exists()
    t_hooks.summarize = lambda rows, profile: pd.DataFrame(dict(method=["x"], mean=[1.0]))
    with pytest.raises(ValueError, match="missing"): reproduce("t-hooks", out=tmp_path, progress=False)


# ------------------------------------------------------------------ runner
def test_parallel_matches_serial(tmp_path):
    trials = tiny_trials(seeds=(0, 1, 2), methods=("random", "rea", "local"))
    serial = run_trials(trials, tmp_path / "serial", progress=False)
    parallel = run_trials(trials, tmp_path / "parallel", jobs=2, progress=False)
    pd.testing.assert_frame_equal(stable(serial), stable(parallel))
    assert list(serial.trial_id.drop_duplicates()) == [t.trial_id for t in trials]   # rows come back in trial order
    assert list(parallel.trial_id.drop_duplicates()) == [t.trial_id for t in trials]


def test_failed_trial_recorded_then_retried_alone(tmp_path, monkeypatch):
    trials = tiny_trials(seeds=(0, 1, 2), fn="test_experiments:counting_trial")
    CALLS.clear(); monkeypatch.setenv("FLAKY_FAIL", "1")
    with pytest.raises(TrialsFailed) as info: run_trials(trials, tmp_path, progress=False)
    failed = [t.trial_id for t in trials if t.seed == 1]
    assert sorted(f["trial_id"] for f in info.value.failed) == sorted(failed)
    assert all(tid in str(info.value) for tid in failed) and "flaky failure on purpose" in str(info.value)
    store = RowStore(tmp_path)
    assert store.done("quick") == {t.trial_id for t in trials if t.seed != 1}
    errors = store.errors()
    assert len(errors) == 2 and "RuntimeError" in errors[0]["error"] and "Traceback" in errors[0]["traceback"]
    assert len(CALLS) == 6
    CALLS.clear(); monkeypatch.setenv("FLAKY_FAIL", "0")
    rows = run_trials(trials, tmp_path, progress=False)
    assert sorted(CALLS) == sorted(failed)            # only the failed trials ran again
    assert rows.trial_id.nunique() == 6 and len(rows) == 6 * 12
    assert not (tmp_path / "errors").exists() and not (tmp_path / "rows").exists()


def test_all_runs_every_experiment_and_reports_failures_at_the_end(registry, tmp_path, monkeypatch):
    monkeypatch.setattr(ex, "load_experiment_modules", lambda: [])   # only the experiments registered here
    EXPERIMENTS.clear()
    @register_experiment("t-a", "-", "-", "-", "-", "-")
    def t_a(profile): return tiny_trials("t-a", seeds=(0,))
    @register_experiment("t-b", "-", "-", "-", "-", "-")
    def t_b(profile): return tiny_trials("t-b", seeds=(0,)) + [Trial("t-b", "bayes", "tnb101_micro", "class_object", 0, 5)]
    @register_experiment("t-c", "-", "-", "-", "-", "-")
    def t_c(profile): return tiny_trials("t-c", seeds=(1,))
    with pytest.raises(TrialsFailed, match=r"(?s)\[t-b\].*bayes-tnb101_micro"): reproduce("all", out=tmp_path, progress=False)
    assert (tmp_path / "t-a" / "summary.csv").exists() and (tmp_path / "t-c" / "summary.csv").exists()
    assert not (tmp_path / "t-b" / "summary.csv").exists()
    EXPERIMENTS.pop("t-b")
    summary = reproduce("all", out=tmp_path, progress=False)
    assert list(dict.fromkeys(summary.experiment)) == ["t-a", "t-c"]


def test_stray_temporaries_and_torn_parts_are_recovered(tmp_path):
    trials = tiny_trials()
    store = RowStore(tmp_path)
    store.write_rows("quick", trials[0], ex.search_trial(trials[0]))
    store.rows_dir.joinpath(f"quick--{trials[1].trial_id}.parquet.tmp").write_bytes(b"PAR1 half a file")
    store.rows_dir.joinpath(f"quick--{trials[2].trial_id}.parquet").write_bytes(b"PAR1 truncated")
    with pytest.warns(UserWarning, match="Unreadable part"):
        assert store.done("quick") == {trials[0].trial_id}
    assert not list(store.rows_dir.glob("*.tmp"))
    rows = run_trials(trials, tmp_path, progress=False)
    assert rows.trial_id.nunique() == 4 and len(rows) == 48


def test_profiles_are_stored_apart(tmp_path):
    trials = tiny_trials(seeds=(0,))
    quick = run_trials(trials, tmp_path, profile="quick", progress=False)
    paper = run_trials(trials, tmp_path, profile="paper", progress=False)
    assert set(quick.profile) == {"quick"} and set(paper.profile) == {"paper"}
    assert len(RowStore(tmp_path).load()) == 2 * len(quick)
    pd.testing.assert_frame_equal(stable(quick).drop(columns="profile"), stable(paper).drop(columns="profile"))


KILL_SCRIPT = textwrap.dedent('''
    import sys, time
    from pathlib import Path
    from transnas_repro import experiments as ex
    LOG = Path(sys.argv[2])

    def slow_trial(trial):
        with open(LOG, "a") as f: f.write(f"{trial.seed}\\n")
        time.sleep(0.15)
        return ex.search_trial(trial)

    @ex.register_experiment("t-kill", "-", "-", "-", "-", "slow trials, to be killed")
    def t_kill(profile):
        return [ex.Trial("t-kill", "rea", "tnb101_micro", "class_scene", s, 20, fn="__main__:slow_trial") for s in range(30)]

    ex.reproduce("t-kill", out=sys.argv[1], progress=False)
    print("DONE")
''')


def test_killed_run_resumes_and_loses_nothing(tmp_path):
    script, out, log = tmp_path / "run.py", tmp_path / "out", tmp_path / "calls.log"
    script.write_text(KILL_SCRIPT)
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.Popen([sys.executable, str(script), str(out), str(log)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and len(list((out / "rows").glob("*.parquet"))) < 8:
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL); proc.wait()
    assert proc.returncode == -signal.SIGKILL
    before = {p.name: p.stat().st_mtime_ns for p in (out / "rows").glob("*.parquet")}
    assert 8 <= len(before) < 30, len(before)
    assert not (out / "summary.csv").exists()
    started_before_kill = log.read_text().split()

    done = subprocess.run([sys.executable, str(script), str(out), str(log)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "DONE" in done.stdout
    rows = pd.read_parquet(out / "rows.parquet")
    assert rows.trial_id.nunique() == 30 and len(rows) == 30 * 20
    assert sorted(rows.seed.unique()) == list(range(30)) and not rows.duplicated(["trial_id", "query"]).any()
    # the resumed run skipped every stored trial: only the one in flight at the kill (if any) ran twice
    calls = pd.Series(log.read_text().split()).value_counts()
    assert calls.max() <= 2 and (calls == 2).sum() <= 1
    stored_seeds = {int(rows[rows.trial_id == n.split("--", 1)[1].removesuffix(".parquet")].seed.iloc[0]) for n in before}
    assert all(calls[str(s)] == 1 for s in stored_seeds)
    assert len(started_before_kill) >= len(before)
    # and its numbers are those of an uninterrupted run
    for seed in (0, 29):
        r = search.run("rea", "tnb101_micro", "class_scene", 20, seed)
        got = rows[rows.seed == seed].sort_values("query")
        assert list(got.arch) == [a for a, _ in r.history]
    assert (out / "summary.csv").exists() and (out / "curves.png").exists()


# ------------------------------------------------------------------ Ray
def _ray_available():
    try:
        import ray  # noqa: F401
        return True
    except ImportError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not _ray_available(), reason="Ray is an optional extra (pip install 'transnas-repro[ray]'); not installed")
def test_ray_backend_matches_local(tmp_path):
    trials = tiny_trials(seeds=(0, 1, 2))
    local = run_trials(trials, tmp_path / "local", progress=False)
    ray_rows = run_trials(trials, tmp_path / "ray", jobs=2, backend="ray", progress=False)
    pd.testing.assert_frame_equal(stable(local), stable(ray_rows))


def test_ray_missing_gives_install_hint(tmp_path, monkeypatch):
    import builtins
    real_import = builtins.__import__
    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."): raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(ImportError, match=r"transnas-repro\[ray\]"):
        run_trials(tiny_trials(seeds=(0,)), tmp_path, backend="ray", progress=False)


# ------------------------------------------------------------------ committed outputs
def test_committed_baselines_outputs():
    out = ex.repo_root() / "figures" / "baselines-tnb"
    csv = pd.read_csv(out / "summary.csv")
    assert list(csv.columns) == SUMMARY_COLUMNS and set(csv.profile) == {"paper"}
    ours = csv[csv.metric == "best_value"].set_index(["method", "benchmark", "task"])
    assert (ours.loc[[m for m in ("random", "rea", "local")], "n"] == 10).all()
    assert ours.paper_value.notna().sum() == 9
    for f in ("summary.md", "curves.png", "curves.svg"): assert (out / f).exists()


def test_default_out_is_per_profile_and_partial_only_reads(tmp_path, monkeypatch, registry):
    """No --out: a quick run writes figures/<id>/quick/, never the paper folder figures/<id>/; partial=True runs nothing, writes no
    rows and takes no write lock (it reads beside a live run)."""
    from filelock import FileLock
    monkeypatch.setattr(ex, "repo_root", lambda: tmp_path)
    @register_experiment("t-def", "-", "-", "-", "-", "-")
    def t_def(profile): return [Trial("t-def", "random", "tnb101_micro", "class_object", s, 5, fn="test_experiments:counting_trial") for s in (0, 1)]
    n0 = len(CALLS); reproduce("t-def", progress=False, device="cpu"); assert len(CALLS) == n0 + 2
    assert (tmp_path/"figures/t-def/quick/summary.csv").exists() and not (tmp_path/"figures/t-def/summary.csv").exists()
    part = tmp_path/"part"; trials = t_def("quick")
    run_trials(trials[:1], part, "quick", progress=False); m = (part/"rows.parquet").stat().st_mtime_ns
    before = len(CALLS)
    lock = FileLock(str(part/".run.lock")); lock.acquire()
    try: s = reproduce("t-def", out=part, partial=True, progress=False, device="cpu")
    finally: lock.release()
    assert RowStore(part).done("quick") == {trials[0].trial_id} and (part/"rows.parquet").stat().st_mtime_ns == m
    assert set(s.profile) == {"quick (partial: 1 of 2 trials)"} and len(CALLS) == before


def test_an_experiment_can_state_its_own_protocol(tmp_path, registry):
    "A check that is not a search writes its own protocol paragraph and reading guide, not the search tables' ones."
    @register_experiment("t-proto", "-", "-", "-", "-", "-", protocol=lambda trials, rows, profile: (f"PROTO {len(trials)} {profile}", "GUIDE"))
    def t_proto(profile): return [Trial("t-proto", "random", "tnb101_micro", "class_object", s, 5) for s in (0, 1)]
    reproduce("t-proto", out=tmp_path, progress=False, device="cpu")
    md = (tmp_path/"summary.md").read_text()
    assert "PROTO 2 quick" in md and "\nGUIDE\n" in md and "Cells: mean ± std over seeds" not in md and "budget 5" not in md
    @register_experiment("t-plain", "-", "-", "-", "-", "-")
    def t_plain(profile): return [Trial("t-plain", "random", "tnb101_micro", "class_object", s, 5) for s in (0, 1)]
    reproduce("t-plain", out=tmp_path/"plain", progress=False, device="cpu")
    md = (tmp_path/"plain"/"summary.md").read_text()
    assert "Cells: mean ± std over seeds" in md and "budget 5 distinct architectures" in md
