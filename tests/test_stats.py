"Paired statistics: which side a significant difference favours, the bootstrap interval, per-task ledgers."
import numpy as np
import pandas as pd
import pytest

from transnas_repro.stats import paired_test, compare_methods, search_paper_tests, ledger_summary, LEDGER_METRICS


def units(n=8):
    "cl below rea on every seed (rank percentile: lower is better)."
    return pd.DataFrame([dict(benchmark="x", method=m, task="t", seed=s, rank_percentile=10.0 + s if m == "rea" else 10.0 - 0.5*s)
                         for m in ["rea", "cl"] for s in range(1, n + 1)])


def test_compare_methods_names_the_better_side():
    c = compare_methods(units())
    assert c[["method", "baseline", "better", "significant"]].values.tolist() == [["cl", "rea", "cl", True]]
    assert c.p_value[0] == pytest.approx(2/256)           # exact two-sided Wilcoxon, 8 pairs all one way
    assert compare_methods(units(), lower_is_better=False).better.tolist() == ["rea"]


def test_paper_tests_name_ours_or_paper_by_the_metric_direction():
    rows = pd.DataFrame([dict(trial_id=f"t{s}", query=1, value=45 + 0.1*s, best_so_far=45 + 0.1*s, arch="a", method="random",
                              benchmark="tnb101_micro", task="class_object", seed=s, rank_percentile=1.0 + s, kind="query")
                         for s in range(8)])
    reported = [dict(method="random", benchmark="tnb101_micro", task="class_object", metric="best_value", value=40.0),
                dict(method="random", benchmark="tnb101_micro", task="class_object", metric="rank_percentile", value=0.5)]
    t = search_paper_tests(rows, reported)
    assert t.set_index("metric").loc[["best_value", "rank_percentile"], "better"].tolist() == ["ours", "paper"]
    assert t.p_value.tolist() == pytest.approx([0.0078125]*2)


def test_paired_test_interval_is_a_95_percent_bootstrap_and_drops_missing_pairs():
    t = paired_test(np.arange(10.), np.zeros(10))
    assert t["mean_diff"] == pytest.approx(4.5)
    assert t["ci_low"] == pytest.approx(2.7, abs=0.1) and t["ci_high"] == pytest.approx(6.3, abs=0.1)   # a 90% one is about 3.0 / 6.0
    assert paired_test([1, 2, np.nan, 4, 5, 6, 7], [0]*7)["n_pairs"] == 6


def _ledger_rows(joint: bool):
    base = {c: 0 for c in LEDGER_METRICS}
    rows = []
    for t in ["t1", "t2"]:
        for s in [0, 1]:
            for q in [1, 2]:
                r = dict(base, method="m", benchmark="b", task=t, seed=s, kind="query", query=q)
                if joint: r.update(trial_id=f"j-{s}", joint_queries=40, target_evaluations=40, ledger=f"J{s}")
                else: r.update(trial_id=f"{t}-{s}", target_evaluations=20, ledger=f"L{t}{s}")
                rows.append(r)
    return pd.DataFrame(rows)


@pytest.mark.parametrize("joint", [False, True])
def test_ledger_is_per_task_for_separate_and_joint_runs(joint):
    "Two tasks x 2 seeds at 20 evaluations a task: 20 per task either way (40 if the division by tasks is dropped)."
    led = pd.DataFrame(ledger_summary(_ledger_rows(joint))).set_index("metric")
    assert led.loc["ledger_target_evaluations", ["mean", "n"]].tolist() == [20.0, 2]


def test_committed_comparisons_carry_current_holm_columns():
    "Every committed comparisons.csv has p_holm equal to Holm's adjustment of its own p-values within each family."
    import subprocess, sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    r = subprocess.run([sys.executable, str(root/"tools/holm_comparisons.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_add_holm_matches_the_step_down_definition():
    import numpy as np, pandas as pd
    from transnas_repro.stats import add_holm, holm_adjust
    g = np.random.default_rng(5)
    p = g.uniform(0, 0.2, 9)
    m, order = len(p), np.argsort(p)
    want = np.empty(m); running = 0.0
    for k, i in enumerate(order):                        # the textbook loop
        running = max(running, (m - k)*p[i]); want[i] = min(1.0, running)
    assert np.allclose(holm_adjust(p), want)
    comp = pd.DataFrame(dict(benchmark="b", metric="m", task="all", baseline="rea", p_value=p, ci_low=0.1, ci_high=1.0))
    assert np.allclose(add_holm(comp).p_holm, want)
    assert (add_holm(comp).significant_holm == (want < 0.05)).all()
