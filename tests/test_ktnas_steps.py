"KTNAS's generation steps one at a time: tournament, environmental selection over P u O u TP, n, r and the label rule."
import numpy as np
import pytest

from transnas_repro.ktnas import ktnas_init, ktnas_oracles, make_config, make_offspring, task_generation, transfer_step

pytestmark = pytest.mark.needs_data
T = ["room_layout", "class_object"]


def state(budget, **cfg):
    return ktnas_init(T, ktnas_oracles("tnb101_micro", T, budget)[1], make_config(**cfg), 0)


def parents(st): return {t: [a for a, _ in p] for t, p in st.pop.items()}


def test_a_tournament_of_the_whole_population_picks_the_best_on_a_lower_is_better_task():
    st = state(30, transfer="off", low_fidelity="none", tournament_size=10)
    _, parent_of = make_offspring(st, "room_layout", st.pop["room_layout"])
    assert parent_of and set(parent_of.values()) == {st.pop["room_layout"][0][0]}   # the minimum L2 loss


def test_selection_keeps_the_best_of_parents_offspring_and_transfers():
    s = state(40, transfer="random", embedding="none", low_fidelity="none")
    task_generation(s, "room_layout", 1, parents(s))
    o = s.oracles["room_layout"]
    assert len(o.history) == 24                                     # 10 + 4 transferred + 10 offspring
    assert [v for _, v in s.pop["room_layout"]] == sorted(v for _, v in o.history)[:10]


@pytest.mark.parametrize("n", [0, 2])
def test_transfer_count_follows_n(n):
    st = state(30, transfer="random", embedding="none", n_transfer=n)
    TP, _ = transfer_step(st, "room_layout", 1, parents(st))
    assert len(TP) == n and st.oracles["room_layout"].n_queries == 10 + n


def test_labels_follow_r_and_the_label_rule():
    "label_rule='self' with r = 1: a transfer is positive exactly when it survives into the population; r = 0.2 leaves none."
    s = state(40, transfer="random", embedding="none", low_fidelity="none", label_rule="self", r=1.0)
    task_generation(s, "room_layout", 1, parents(s))
    rec = [x for x in s.transfers if x["target"] == "room_layout"]
    kept = {a for a, _ in s.pop["room_layout"]}
    assert [x["label"] for x in rec] == [1 if x["arch"] in kept else -1 for x in rec] and {x["label"] for x in rec} == {1, -1}
    s = state(40, transfer="random", embedding="none", low_fidelity="none", label_rule="self", r=0.2)
    task_generation(s, "room_layout", 1, parents(s))
    assert {x["label"] for x in s.transfers if x["target"] == "room_layout"} == {-1}


def test_transfers_are_stamped_with_their_generation_and_expire_after_m():
    """A transfer made in generation 1 enters the target's historical set at generation 1; with m = 2 its negatives count for
    generations 2 and 3 and are gone at 4, its positives stay."""
    s = state(40, transfer="random", embedding="none", low_fidelity="none", m=2)
    task_generation(s, "room_layout", 1, parents(s))
    h = s.hts["room_layout"]
    assert h.m == 2 and len(h) > 0 and {r.generation for r in h.records} == {1} and any(r.label < 0 for r in h.records)
    assert h.active(1) == [] and len(h.active(2)) == len(h) == len(h.active(3))
    assert all(r.label > 0 for r in h.active(4)) and len(h.active(4)) == sum(r.label > 0 for r in h.records)


def test_transfer_labels_follow_the_targets_direction():
    "A review: labels with higher_is_better=True on room_layout (lower is better) passed; r = 0.5 separates the two."
    from transnas_repro.ktnas import ktnas_init, ktnas_oracles, make_config, task_generation
    from transnas_repro.transfer_rank import elite
    T = ["room_layout", "class_object"]
    s = ktnas_init(T, ktnas_oracles("tnb101_micro", T, 40)[1],
                   make_config(transfer="random", embedding="none", low_fidelity="none", label_rule="self", r=0.5), 0)
    task_generation(s, "room_layout", 1, {t: [a for a, _ in p] for t, p in s.pop.items()})
    top = elite(s.pop["room_layout"], 0.5, higher_is_better=False)
    rec = [x for x in s.transfers if x["target"] == "room_layout"]
    assert rec and [x["label"] for x in rec] == [1 if x["arch"] in top else -1 for x in rec]


def test_a_transfer_is_ranked_with_its_targets_history():
    from unittest import mock
    from transnas_repro import ktnas
    from transnas_repro.ktnas import ktnas_init, ktnas_oracles, make_config, task_generation
    got, real = [], ktnas.choose_transfer
    def spy(hts, *a, **k): got.append(hts); return real(hts, *a, **k)
    T = ["class_object", "class_scene"]
    with mock.patch.object(ktnas, "choose_transfer", spy):
        s = ktnas_init(T, ktnas_oracles("tnb101_micro", T, 40)[1], make_config(transfer="random", embedding="none", low_fidelity="none"), 0)
        for t in T: task_generation(s, t, 1, {u: [a for a, _ in p] for u, p in s.pop.items()})
    assert len(got) == 2 and got[0] is s.hts["class_object"] and got[1] is s.hts["class_scene"]


def test_bad_budgets_and_signal_outputs_are_refused():
    import pytest
    from transnas_repro.ktnas import ktnas_oracles
    from transnas_repro import search
    with pytest.raises(ValueError, match=r"no entry for task\(s\) \['class_scene'\]"):
        ktnas_oracles("tnb101_micro", ["class_object", "class_scene"], {"class_object": 10})
    with pytest.raises(ValueError, match="Budget 10.7 is invalid"): ktnas_oracles("tnb101_micro", ["class_object"], 10.7)
    with pytest.raises(ValueError, match="one finite score per architecture"):     # one score too many
        search.run("ktnas", "tnb101_micro", "class_object", 40, seed=0, low_fidelity=lambda a, t: [1.0]*(len(a) + 1))
    with pytest.raises(ValueError, match="with a NaN or inf"):
        search.run("ktnas", "tnb101_micro", "class_object", 40, seed=0, low_fidelity=lambda a, t: [float("nan")]*len(a))


def test_arch_graph_settings_out_of_range_are_refused():
    import pytest
    from transnas_repro.archgraph import make_config
    for k, v in (("batch", 0), ("hidden", 0), ("pretrain_steps", -5), ("n_anchors", 0), ("replay", -1), ("batch", 2.5),
                 ("pool", 20.5), ("threads", 0), ("n_ref", 0), ("lr", 0.0)):
        with pytest.raises(ValueError, match=f"{k}={v!r}"): make_config(**{k: v})
