"The ktnas-darts quick design: chosen only on tuning seeds (>= 1000), by the rule stated in `ktnas_darts`, from the committed sweep outputs (no search runs)."
from pathlib import Path
import pandas as pd
import pytest
from transnas_repro import ktnas_darts as kd
from transnas_repro.experiments import EXPERIMENTS, default_out

SWEEPS = {"tuning-ktnas-darts-quick": kd.TUNING_DARTS_QUICK, "tuning-ktnas-darts-quick-v2": kd.TUNING_DARTS_QUICK_V2}


@pytest.mark.parametrize("eid", list(SWEEPS))
def test_sweeps_run_on_tuning_seeds_only(eid):
    trials = EXPERIMENTS.get(eid)("quick")
    assert {t.seed for t in trials} == {1000, 1001, 1002}
    assert {t.method for t in trials} == set(SWEEPS[eid])
    assert len(trials) == 3*len(SWEEPS[eid])
    for t in trials: assert t.config["quick"] == SWEEPS[eid][t.method]


def test_first_sweep_kept_and_sweeps_disjoint():
    assert list(kd.TUNING_DARTS_QUICK) == ["16px-n200-noise0.5", "8px-n200-noise0.5"]     # the first sweep's designs keep their names
    assert not set(kd.TUNING_DARTS_QUICK) & set(kd.TUNING_DARTS_QUICK_V2)
    ids = [{t.trial_id for t in EXPERIMENTS.get(e)("quick")} for e in SWEEPS]
    assert not ids[0] & ids[1]


def _outcome(eid):
    out = default_out(eid, "quick")
    comp, summ = pd.read_csv(out/"comparisons.csv"), pd.read_csv(out/"summary.csv")
    comp = comp.assign(design=comp.method.str.replace(" (found)", "", regex=False)).set_index("design")
    cpu = summ[summ.metric == "cpu_minutes"].set_index("method")["mean"]
    return comp.mean_diff, cpu


def test_quick_is_what_the_rule_picks_from_the_committed_sweeps():
    "Among the second sweep's designs at <= 5 CPU-minutes a seed, the largest mean found - random difference; it replaces the first choice only if larger."
    first_diff, _ = _outcome("tuning-ktnas-darts-quick")
    diff, cpu = _outcome("tuning-ktnas-darts-quick-v2")
    assert set(diff.index) == set(kd.TUNING_DARTS_QUICK_V2) and set(cpu.index) == set(kd.TUNING_DARTS_QUICK_V2)
    ok = diff[[d for d in diff.index if cpu[d] <= 5.0]]
    best = ok.idxmax()
    expected = kd.TUNING_DARTS_QUICK_V2[best] if ok[best] > first_diff["16px-n200-noise0.5"] else kd.TUNING_DARTS_QUICK["16px-n200-noise0.5"]
    assert kd.QUICK_V2 == expected


def test_quick_search_is_what_the_supernet_check_picks():
    "v3: the supernet reading with the best mean Spearman, if >= 0.3 and >= 0.1 above the search as it was, sets QUICK's search (else QUICK_V2 stays)."
    s = pd.read_csv(default_out("tuning-ktnas-darts-supernet", "quick")/"summary.csv")
    rho = s[(s.metric == "spearman") & s.method.str.startswith("supernet ")].set_index("method")["mean"]
    assert (s[s.metric == "spearman"].n == 4).all()                       # 2 tuning seeds x 2 tasks
    best = rho.idxmax()
    if rho[best] >= 0.3 and rho[best] >= rho["supernet warmup0 pool10 recal0"] + 0.1:
        w, p, r = (int(x.lstrip("warmuplorecal")) for x in best.split()[1:])
        search = dict(kd.QUICK_V2["search"], generations=p, **({"warmup_epochs": w} if w else {}), **({"bn_recal": r} if r else {}))
        assert kd.QUICK == dict(kd.QUICK_V2, search=search)
    else:
        assert kd.QUICK == kd.QUICK_V2
    assert EXPERIMENTS.get("ktnas-darts-cifar")("quick")[0].config["quick"] == kd.QUICK
    assert {t.seed for t in EXPERIMENTS.get("tuning-ktnas-darts-supernet")("quick")} == {1000, 1001}
