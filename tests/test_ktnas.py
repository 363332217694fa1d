"KTNAS multi-task evolution: budgets, counting, transfer modes, determinism, the single-task searcher."
import numpy as np
import pytest
from transnas_repro.benchmarks import load_benchmark, decode
from transnas_repro import search
from transnas_repro.search import Oracle
from transnas_repro.ktnas import ktnas_evolve, reached_optimum, stop_at_optimum, default_partners, make_low_fidelity
from transnas_repro.ktnas_experiments import ktnas_trial, ktnas_budget_summary, ktnas_evals_summary
from transnas_repro.experiments import Trial

pytestmark = pytest.mark.needs_data
TASKS = ["class_object", "class_scene", "room_layout"]

class OpOverlap:
    "A cheap stand-in embedder: fraction of equal edge ops."
    def similarity(self, a, b):
        da = np.array([decode("tnb101_micro", x) for x in a]); db = np.array([decode("tnb101_micro", x) for x in b])
        return (da[:, None, :] == db[None, :, :]).mean(-1)

def cheap(archs, task):   # a free signal: the number of conv3x3 edges
    return [decode("tnb101_micro", a).count("nor_conv_3x3") for a in archs]

@pytest.fixture(scope="module")
def run():
    return ktnas_evolve("tnb101_micro", TASKS, budget=40, seed=3, embedder=OpOverlap(), low_fidelity=cheap)

def test_budgets_are_spent_and_counted(run):
    for t in TASKS:
        o = run.oracles[t]
        assert o.n_queries == 40 and len({a for a, _ in o.history}) == 40

def test_transfers_come_from_other_tasks_and_are_labelled(run):
    tr = run.transfers
    assert len(tr) > 0 and (tr.source != tr.target).all()
    assert set(tr.label.unique()) <= {1, -1}
    assert (tr.groupby(["generation", "target"]).size() <= 4).all()        # at most n = 4 per generation
    assert set(tr.reason) <= {"bootstrap", "rank"}
    # the rank branch runs, some transfers earn a positive label, and a round whose every phi <= 0 is skipped
    assert (tr.reason == "rank").any() and (tr.label == 1).any() and "skip" in set(run.generations.reason)

def test_transferred_archs_were_evaluated_on_target(run):
    for rec in run.transfers.itertuples():
        assert run.oracles[rec.target].seen(rec.arch)

def test_generation_log(run):
    g = run.generations
    assert set(g.task) == set(TASKS) and (g.groupby("task").queries.diff().dropna() >= 0).all()

def test_deterministic():
    a = ktnas_evolve("tnb101_micro", TASKS[:2], budget=25, seed=5, embedder=OpOverlap(), low_fidelity="none")
    b = ktnas_evolve("tnb101_micro", TASKS[:2], budget=25, seed=5, embedder=OpOverlap(), low_fidelity="none")
    assert all(a.oracles[t].history == b.oracles[t].history for t in TASKS[:2])

def test_transfer_off_and_random():
    off = ktnas_evolve("tnb101_micro", TASKS[:2], budget=25, seed=0, embedding="none", transfer="off", low_fidelity="none")
    assert len(off.transfers) == 0
    rnd = ktnas_evolve("tnb101_micro", TASKS[:2], budget=25, seed=0, embedding="none", transfer="random", low_fidelity="none")
    assert set(rnd.transfers.reason) == {"random"}

def test_per_task_budgets_and_stop_task():
    out = ktnas_evolve("tnb101_micro", TASKS[:2], budget={"class_object": 15, "class_scene": 30}, seed=0,
                       embedder=OpOverlap(), low_fidelity="none")
    assert out.oracles["class_object"].n_queries == 15 and out.oracles["class_scene"].n_queries == 30
    stopped = ktnas_evolve("tnb101_micro", TASKS[:2], budget=30, seed=0, embedder=OpOverlap(), low_fidelity="none",
                           stop_task=lambda o: o.n_queries >= 12)
    assert all(12 <= o.n_queries < 30 for o in stopped.oracles.values())

def test_nb201_test12_signal_reaches_optimum_of_cifar100_and_is_charged():
    b = load_benchmark("nb201")
    out = ktnas_evolve(b, ["cifar100"], budget=400, seed=0, embedding="none", transfer="off", low_fidelity="test12",
                       stop_task=stop_at_optimum(b))
    o = out.oracles["cifar100"]
    assert reached_optimum(o, b)
    led = o.ledger.as_dict(o)["low_fidelity"]["test12:cifar100"]
    assert led["archs"] > 0 and led["evaluation_equivalents"] == pytest.approx(led["archs"]*12/200)

def test_single_task_searcher_reports_partner_cost():
    report = {}
    r = search.run("ktnas", "tnb101_micro", "jigsaw", budget=20, seed=0, report=report, embedder=OpOverlap(), low_fidelity=cheap)
    assert len(r.history) == 20 and sorted(report["partner_queries"]) == ["autoencoder", "normal", "segmentsemantic"]
    assert r.config["report"] is report

def test_errors():
    with pytest.raises(ValueError, match="needs an embedding"): ktnas_evolve("tnb101_micro", TASKS, embedding="none")
    with pytest.raises(ValueError, match="Valid choices"): ktnas_evolve("tnb101_micro", TASKS, transfer="sometimes")
    with pytest.raises(ValueError, match="class_object"): ktnas_evolve("tnb101_micro", ["object"], embedder=OpOverlap())
    with pytest.raises(ValueError, match="offers"): make_low_fidelity("test12", Oracle("tnb101_micro", "class_object", 5))
    assert default_partners("nb201", "cifar10") == ["cifar100", "ImageNet16-120"]

def test_trial_rows_and_summaries():
    import pandas as pd
    b = load_benchmark("nb201")
    t = Trial("t", "rea", "nb201", "cifar100", 0, len(b), dict(tasks=["cifar100"], stop_at_optimum=True), "ktnas")
    rows = pd.DataFrame(ktnas_trial(t))
    assert rows.value.iloc[-1] == pytest.approx(b.optimum("cifar100"))          # the search ran to the optimum (no cap)
    assert (rows.value.iloc[:-1] < b.optimum("cifar100")).all()                 # and stopped there
    assert rows.target_evaluations.iloc[0] == len(rows)                         # the ledger counts exactly those evaluations
    s = ktnas_evals_summary(rows, "quick").set_index(["method", "task", "metric"])
    assert s.loc[("rea", "cifar100", "evals_to_optimum"), "mean"] == len(rows)
    assert s.loc[("rea", "cifar100", "censored"), "mean"] == 0
    t2 = Trial("t", "random", "tnb101_micro", "class_object", 0, 10, dict(tasks=["class_object"]), "ktnas")
    s2 = ktnas_budget_summary(pd.DataFrame(ktnas_trial(t2)), "quick")
    assert set(s2.method) == {"random", "optimum"}
