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
