"Unit tests of the KTNAS transfer-rank rules on small hand-made populations."
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from transnas_repro.transfer_rank import (HistoricalTransferSet, TransferRecord, elite, transfer_labels, transfer_rank,
                                          select_transfer, choose_transfer)

def toy_similarity(a, b):
    "Architectures are numbers; closer numbers are more similar."
    return -np.abs(np.subtract.outer(np.array(a, dtype=float), np.array(b, dtype=float)))

# -- historical transfer set ---------------------------------------------------------------------
def test_positives_are_kept_forever():
    hts = HistoricalTransferSet(m=2); hts.add("a", 1, 0)
    assert [r.arch for r in hts.active(100)] == ["a"]
    hts.prune(100); assert len(hts) == 1

def test_negatives_only_from_last_m_generations():
    hts = HistoricalTransferSet(m=3)
    for gen in range(8): hts.add(f"n{gen}", -1, gen)
    assert [r.arch for r in hts.active(8)] == ["n5", "n6", "n7"]          # generations 5, 6, 7 = the last 3
    hts.prune(8); assert [r.arch for r in hts.records] == ["n5", "n6", "n7"]

def test_current_generation_is_not_yet_labelled():
    hts = HistoricalTransferSet(m=5); hts.add("a", 1, 4)
    assert hts.active(4) == [] and len(hts.active(5)) == 1

def test_label_must_be_plus_or_minus_one():
    with pytest.raises(ValueError, match=r"\+1 or -1"): HistoricalTransferSet().add("a", 0, 0)

# -- label rule ----------------------------------------------------------------------------------
POP = [("c1", 95.0), ("t2", 94.0), ("c2", 90.0), ("p1", 89.0), ("c3", 88.0), ("t1", 80.0)] + [(f"q{i}", 70.0 - i) for i in range(4)]

def test_offspring_in_top_r_makes_parent_positive():
    labels = transfer_labels(["t1", "t2", "t3"], {"c1": "t1", "c2": "t2", "c3": "p1"}, POP, r=0.2)
    assert labels == {"t1": 1, "t2": -1, "t3": -1}

def test_offspring_just_outside_elite_is_negative():
    assert transfer_labels(["t2"], {"c2": "t2"}, POP, r=0.2) == {"t2": -1}        # c2 is 3rd, elite is top 2
    assert transfer_labels(["t2"], {"c2": "t2"}, POP, r=0.3) == {"t2": 1}         # elite is top 3

def test_self_rule_of_the_official_code():
    assert transfer_labels(["t1", "t2"], {"c1": "t1"}, POP, rule="self") == {"t1": -1, "t2": 1}

def test_elite_size_floor_and_at_least_one():
    assert len(elite(POP, 0.2)) == 2 and len(elite(POP, 0.29)) == 2 and len(elite(POP[:3], 0.2)) == 1

def test_elite_lower_is_better():
    assert elite([("x", 60.0), ("y", 59.4), ("z", 61.0)], 0.34, higher_is_better=False) == {"y"}

def test_bad_rule_and_ratio():
    with pytest.raises(ValueError, match="offspring"): transfer_labels([], {}, POP, rule="kids")
    with pytest.raises(ValueError, match=r"\(0, 1\]"): elite(POP, 1.5)

# -- transfer rank -------------------------------------------------------------------------------
def test_each_member_votes_on_its_nearest_candidate():
    hist = [TransferRecord("10", 1, 0), TransferRecord("11", 1, 1), TransferRecord("31", -1, 1), TransferRecord("50", 1, 0)]
    assert transfer_rank(hist, ["12", "30", "49", "70"], toy_similarity).tolist() == [2, -1, 1, 0]

def test_unchosen_candidates_score_zero_and_ties_go_to_first():
    assert transfer_rank([TransferRecord("20", -1, 0)], ["10", "30", "99"], toy_similarity).tolist() == [-1, 0, 0]

def test_empty_history_scores_zero():
    assert transfer_rank([], ["1", "2"], toy_similarity).tolist() == [0, 0]

# -- selection -----------------------------------------------------------------------------------
C = ["p1", "p2", "p3", "p4", "p5", "p6"]

def test_descending_whole_tie_groups():
    assert select_transfer(C, [2, 1, 1, 0, 3, -1], 4, np.random.default_rng(0)) == ["p5", "p1", "p2", "p3"]

def test_partial_tie_group_is_random():
    g = np.random.default_rng(0)
    picks = [select_transfer(C, [2, 1, 1, 1, 3, -1], 3, g) for _ in range(60)]
    assert all(p[:2] == ["p5", "p1"] for p in picks)
    assert {p[2] for p in picks} == {"p2", "p3", "p4"}

def test_skip_when_every_phi_nonpositive():
    assert select_transfer(C, [0, -1, 0, 0, -2, 0], 4, np.random.default_rng(0)) == []

def test_fill_from_zero_group_and_negative_group():
    out = select_transfer(C[:3], [1, 0, -1], 3, np.random.default_rng(0))
    assert out == ["p1", "p2", "p3"]

@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=1, max_size=12), st.integers(1, 6), st.integers(0, 1000))
def test_selection_properties(phi, n, seed):
    cands = [f"a{i}" for i in range(len(phi))]
    out = select_transfer(cands, phi, n, np.random.default_rng(seed))
    if max(phi) <= 0: assert out == []; return
    assert len(out) == min(n, len(phi)) and len(set(out)) == len(out)
    chosen = [phi[cands.index(a)] for a in out]
    rest = [p for a, p in zip(cands, phi) if a not in out]
    assert not rest or min(chosen) >= max(rest)                 # nothing better was left out
    assert chosen == sorted(chosen, reverse=True)               # descending order

# -- one transfer step ---------------------------------------------------------------------------
def test_bootstrap_with_empty_history_then_rank():
    hts = HistoricalTransferSet(m=5)
    first = choose_transfer(hts, ["12", "30", "49", "70"], [], 0, n=2, similarity=toy_similarity, g=np.random.default_rng(1))
    assert first.reason == "bootstrap" and len(first.chosen) == 2
    hts.add(first.chosen[0], 1, 0); hts.add(first.chosen[1], -1, 0)
    later = choose_transfer(hts, ["12", "30", "49", "70"], [], 1, n=2, similarity=toy_similarity, g=np.random.default_rng(1))
    assert later.reason == "rank" and later.chosen[0] == first.chosen[0] and first.chosen[1] not in later.chosen

def test_skip_then_expiry_restarts_transfer():
    hts = HistoricalTransferSet(m=2); hts.add("30", -1, 0)
    assert choose_transfer(hts, ["12", "30"], [], 1, similarity=toy_similarity).reason == "skip"
    assert choose_transfer(hts, ["12", "30"], [], 3, similarity=toy_similarity).reason == "bootstrap"

def test_target_population_members_are_not_candidates():
    out = choose_transfer(HistoricalTransferSet(), ["1", "2", "3"], ["2"], 0, n=4, mode="random")
    assert sorted(out.chosen) == ["1", "3"] and out.reason == "random"

def test_modes():
    assert choose_transfer(HistoricalTransferSet(), ["1"], [], 0, mode="off").chosen == []
    with pytest.raises(ValueError, match="needs a similarity"):
        hts = HistoricalTransferSet(); hts.add("1", 1, 0); choose_transfer(hts, ["1"], [], 1, mode="rank")
    with pytest.raises(ValueError, match="Valid choices"): choose_transfer(HistoricalTransferSet(), ["1"], [], 0, mode="greedy")


def test_elite_size_is_floor_of_r_n_without_float_error():
    "r x n just below an integer in floating point (0.29 x 100 = 28.999...) still gives 29; the elite is the best by value."
    pop = [(f"a{i}", float(i)) for i in range(100)]
    assert len(elite(pop, 0.29)) == 29 and len(elite(pop, 0.57)) == 57
    assert set(elite(pop, 0.29)) == {f"a{i}" for i in range(71, 100)}
