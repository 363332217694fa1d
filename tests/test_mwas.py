"MWAS solvers: exact == DP == brute force, heuristics feasible and below the optimum, bounds valid, errors clear."
import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from transnas_repro import mwas
from transnas_repro.core import rng

HEURISTICS = ["greedy", "copeland", "eades", "local", "auto"]


def instance(kind, n, seed):
    "A probability matrix of the given kind, or raw weights with both directions present."
    if kind == "random": return mwas.random_instance(n, seed)
    if kind == "nas": return mwas.nas_instance(n, seed)[0]
    g = rng(seed, "raw")
    return g.random((n, n)) * (g.random((n, n)) < 0.6)


def weight_of(kind): return "raw" if kind == "raw" else "margin"


def check_result(r, W):
    "The result's edges are exactly the weighted forward edges of its order, acyclic, and sum to its objective."
    n = len(W)
    assert sorted(r.order.tolist()) == list(range(n))
    assert r.edges.shape[1] == 2 and r.edges.dtype.kind == "i"
    np.testing.assert_array_equal(r.edges, mwas.consistent_edges(W, r.order))
    assert mwas.is_acyclic(n, r.edges)
    pos = mwas.positions(r.order)
    assert np.all(pos[r.edges[:, 0]] < pos[r.edges[:, 1]])
    assert r.objective == pytest.approx(W[r.edges[:, 0], r.edges[:, 1]].sum(), abs=1e-9)
    assert r.upper_bound >= r.objective - 1e-12 and 0 <= r.gap <= 1


@settings(max_examples=40)
@given(n=st.integers(3, 8), seed=st.integers(0, 10_000), kind=st.sampled_from(["random", "nas", "raw"]),
       weight=st.sampled_from(["margin", "prob"]))
def test_exact_dp_and_brute_force_agree(n, seed, kind, weight):
    P = instance(kind, n, seed)
    weight = "raw" if kind == "raw" else weight
    W = mwas.edge_weights(P, weight)
    _, best = mwas.brute_force(W)
    for method in ["exact", "dp"]:
        r = mwas.solve(P, method, weight=weight)
        check_result(r, W)
        assert r.objective == pytest.approx(best, abs=1e-9)
        assert r.upper_bound == pytest.approx(best, abs=1e-9) and r.optimal


@settings(max_examples=25)
@given(n=st.integers(3, 8), seed=st.integers(0, 10_000), kind=st.sampled_from(["random", "nas", "raw"]),
       method=st.sampled_from(HEURISTICS), polish=st.booleans())
def test_heuristics_feasible_and_bounded_by_the_optimum(n, seed, kind, method, polish):
    P = instance(kind, n, seed)
    W = mwas.edge_weights(P, weight_of(kind))
    _, best = mwas.brute_force(W)
    r = mwas.solve(P, method, weight=weight_of(kind), polish=polish)
    check_result(r, W)
    assert r.objective <= best + 1e-9
    assert r.upper_bound >= best - 1e-9                    # the reported bound is a real bound


MEDIUM = {"random": 20, "nas": 40, "raw": 14}     # sizes exact solves in about a second


@pytest.fixture(scope="module")
def medium_optimum():
    "Optimal objective of each medium instance, from the exact solver (checked once against the DP)."
    out = {}
    for kind, n in MEDIUM.items():
        r = mwas.solve(instance(kind, n, 3), "exact", weight=weight_of(kind))
        assert r.optimal
        if n <= 16: assert r.objective == pytest.approx(mwas.solve(instance(kind, n, 3), "dp", weight=weight_of(kind)).objective)
        out[kind] = r.objective
    return out


@pytest.mark.parametrize("kind", list(MEDIUM))
@pytest.mark.parametrize("method", HEURISTICS + ["exact"])
def test_medium_instances_against_exact(kind, method, medium_optimum):
    P = instance(kind, MEDIUM[kind], 3)
    W = mwas.edge_weights(P, weight_of(kind))
    opt = type("Opt", (), dict(objective=medium_optimum[kind]))
    r = mwas.solve(P, method, weight=weight_of(kind))
    check_result(r, W)
    assert r.objective <= opt.objective + 1e-9 and r.upper_bound >= opt.objective - 1e-9
    if method in ("local", "auto", "exact"): assert r.objective >= 0.99 * opt.objective


def test_dp_matches_exact_at_n16():
    P = mwas.random_instance(16, 5)
    assert mwas.solve(P, "dp").objective == pytest.approx(mwas.solve(P, "exact").objective, abs=1e-9)


def test_polished_greedy_within_one_percent_of_exact():
    for kind in ["random", "nas"]:
        for seed in range(3):
            P = instance(kind, 16, seed)
            opt = mwas.solve(P, "dp").objective
            assert mwas.solve(P, "greedy", polish=True).objective >= 0.99 * opt


def reference_greedy(W, seed):
    "Arch-Graph's rule done naively: networkx reachability test for every edge, same edge order."
    src, dst = np.nonzero(W)
    shuffle = rng(seed, "greedy").permutation(src.size)
    src, dst = src[shuffle], dst[shuffle]
    by_weight = np.argsort(-W[src, dst], kind="stable")
    g = nx.DiGraph(); g.add_nodes_from(range(len(W)))
    for u, v in zip(src[by_weight].tolist(), dst[by_weight].tolist()):
        if not nx.has_path(g, v, u): g.add_edge(u, v)
    return g


@pytest.mark.parametrize("kind,n", [("random", 40), ("nas", 60), ("raw", 50), ("random", 130)])
def test_greedy_builds_the_same_dag_as_the_naive_rule(kind, n):
    P = instance(kind, n, 1)
    W, score, _ = mwas._prepare(P, weight_of(kind))
    reference = reference_greedy(W, seed=0)
    order, stats = mwas._greedy_order(W, score, seed=0, chunk=64)
    assert set(map(tuple, mwas.consistent_edges(W, order).tolist())) == set(reference.edges)
    assert stats["searched"] > 0                           # the incremental order was exercised
    r = mwas.solve(P, "greedy", weight=weight_of(kind))    # the default chunking gives the same DAG
    assert set(map(tuple, r.edges.tolist())) == set(reference.edges)


def test_greedy_ties_broken_by_win_rate():
    P = mwas.random_instance(12, 0)
    r = mwas.solve(P, "greedy", threshold=0.49999)          # no edge survives the gate: pure win-rate order
    assert len(r.edges) == 0
    win_rate = mwas.win_probability(P).sum(1)
    np.testing.assert_array_equal(r.order, np.argsort(-win_rate, kind="stable"))
    P, s = mwas.nas_instance(12, 0, noise=0.0)
    r = mwas.solve(P, "greedy", threshold=0.45)             # a few very confident edges, consistent with s
    assert 0 < len(r.edges) < 66
    np.testing.assert_array_equal(r.order, np.argsort(-s))


@settings(max_examples=20)
@given(scores=st.lists(st.floats(-3, 3), min_size=3, max_size=25, unique=True).filter(
    lambda v: np.min(np.diff(np.sort(v))) > 1e-3), method=st.sampled_from(mwas.METHODS),
    weight=st.sampled_from(["margin", "prob"]))
def test_consistent_tournament_recovered_exactly(scores, method, weight):
    s = np.array(scores)
    P = 1 / (1 + np.exp(-(s[:, None] - s[None, :]) / 0.5))
    if method == "dp" and len(s) > 16: method = "exact"
    r = mwas.solve(P, method, weight=weight)
    np.testing.assert_array_equal(r.order, np.argsort(-s))
    assert r.gap == pytest.approx(0, abs=1e-12)


@pytest.mark.parametrize("method", list(mwas.METHODS))
def test_deterministic_for_a_fixed_seed(method):
    P = mwas.random_instance(14, 2) if method in ("dp", "exact") else mwas.nas_instance(30, 2)[0]
    a, b = mwas.solve(P, method, seed=3), mwas.solve(P, method, seed=3)
    np.testing.assert_array_equal(a.order, b.order)
    assert a.objective == b.objective and a.upper_bound == b.upper_bound


def test_seed_changes_tie_breaks_only_within_ties():
    P = mwas.random_instance(30, 4)
    objs = {mwas.solve(P, "local", seed=s).objective for s in range(3)}
    assert max(objs) - min(objs) < 0.05 * max(objs)


def test_threshold_gates_edges():
    P = mwas.nas_instance(40, 2)[0]
    p = mwas.win_probability(P)
    for threshold in [0.05, 0.2]:
        r = mwas.solve(P, "greedy", threshold=threshold)
        assert np.all(np.abs(p[r.edges[:, 0], r.edges[:, 1]] - 0.5) >= threshold - 1e-12)
        same = mwas.solve(P, "greedy", threshold=0.5 + threshold)   # read as a probability of the likelier side
        np.testing.assert_array_equal(r.order, same.order)
    W = mwas.edge_weights(P, "raw", threshold=0.3)
    assert W[W > 0].min() >= 0.3


def test_weight_options():
    P = mwas.nas_instance(20, 1)[0]
    margin, prob = mwas.edge_weights(P, "margin"), mwas.edge_weights(P, "prob")
    np.testing.assert_allclose(prob[margin > 0], margin[margin > 0] + 0.5)
    assert ((margin > 0) == (prob > 0)).all()
    assert not ((margin > 0) & (margin.T > 0)).any()       # one direction per pair
    r = mwas.solve(P, "exact", weight="prob")
    assert r.objective == pytest.approx(mwas.order_objective(prob, r.order))


def test_errors_are_clear():
    P = mwas.random_instance(5, 0)
    bad = P.copy(); bad[2, 4] = np.nan
    with pytest.raises(ValueError, match=r"P\[2, 4\] = nan"): mwas.solve(bad)
    bad = P.copy(); bad[3, 1] = np.inf
    with pytest.raises(ValueError, match=r"P\[3, 1\] = inf"): mwas.solve(bad)
    with pytest.raises(ValueError, match="square"): mwas.solve(np.ones((3, 4)))
    with pytest.raises(ValueError, match="square"): mwas.solve(np.ones(4))
    bad = P.copy(); bad[0, 1] = -0.1
    with pytest.raises(ValueError, match=r"P\[0, 1\] = -0.1 is negative"): mwas.solve(bad)
    with pytest.raises(ValueError, match="weight='raw'"): mwas.solve(P * 2)
    with pytest.raises(ValueError, match="Valid choices: auto, exact, dp, greedy, copeland, eades, local"):
        mwas.solve(P, "kwiksortt")
    with pytest.raises(ValueError, match="Valid choices: margin, prob, raw"): mwas.solve(P, weight="logit")
    with pytest.raises(ValueError, match="Valid choices: auto, lp, packing, trivial"): mwas.solve(P, bound="best")
    with pytest.raises(ValueError, match="threshold=-0.1"): mwas.solve(P, threshold=-0.1)
    with pytest.raises(ValueError, match="threshold=1.5"): mwas.solve(P, threshold=1.5)
    with pytest.raises(ValueError, match="n <= 20"): mwas.solve(mwas.random_instance(21, 0), "dp")
    with pytest.raises(ValueError, match="too large"): mwas.solve(mwas.random_instance(600, 0), "exact")
    with pytest.raises(ValueError, match="permutation"): mwas.order_objective(np.zeros((3, 3)), [0, 0, 1])
    with pytest.raises(ValueError, match="threshold=True is not a number"): mwas.solve(P, threshold=True)
    with pytest.raises(ValueError, match="threshold='0.2' is not a number"): mwas.solve(P, threshold="0.2")
    with pytest.raises(ValueError, match="time_limit=-1 must be a positive number"): mwas.solve(P, time_limit=-1)
    with pytest.raises(ValueError, match="seed=-1 must be a non-negative integer"): mwas.solve(P, seed=-1)
    W = mwas.edge_weights(mwas.random_instance(4, 0))
    for fn in (mwas.local_search, mwas.window_search, mwas.polish_order, mwas.packing_bound):
        with pytest.raises(ValueError, match="permutation"): fn(W, [0, 0, 1, 2])
    with pytest.raises(ValueError, match="square"): mwas.brute_force(np.zeros((3, 4)))
    nan_diagonal = P.copy(); np.fill_diagonal(nan_diagonal, np.nan)
    assert mwas.solve(nan_diagonal, "copeland").order.size == 5     # the diagonal is ignored


@pytest.mark.parametrize("n", [0, 1, 2])
@pytest.mark.parametrize("method", list(mwas.METHODS))
def test_tiny_graphs(n, method):
    P = mwas.random_instance(n, 0) if n else np.zeros((0, 0))
    r = mwas.solve(P, method)
    assert sorted(r.order.tolist()) == list(range(n)) and r.optimal


@settings(max_examples=15)
@given(n=st.integers(4, 14), seed=st.integers(0, 1000), kind=st.sampled_from(["random", "nas"]))
def test_bounds_are_valid(n, seed, kind):
    P = instance(kind, n, seed)
    W = mwas.edge_weights(P)
    opt = mwas.solve(P, "dp")
    o = mwas.solve(P, "copeland").order
    for ub in [mwas.trivial_bound(W), mwas.packing_bound(W, o, seed)[0], mwas.lp_bound(W)[0]]:
        assert ub >= opt.objective - 1e-9


def test_exact_with_a_time_limit_reports_a_valid_gap():
    P = mwas.random_instance(40, 0)
    r = mwas.solve(P, "exact", time_limit=2)
    W = mwas.edge_weights(P)
    check_result(r, W)
    assert r.info["bound"] in ("mip", "optimal") and r.wall_time < 30
    assert mwas.solve(P, "local", bound="trivial").objective <= r.upper_bound + 1e-9


def test_auto_at_moderate_scale_reports_a_gap():
    P = mwas.nas_instance(400, 0)[0]
    r = mwas.solve(P, "auto", time_limit=2)
    check_result(r, mwas.edge_weights(P))
    assert r.method in ("auto:local", "auto:greedy+local") and 0 < r.gap < 0.02
    assert r.info["bound"] == "packing" and r.wall_time < 15


@pytest.mark.slow
def test_auto_handles_4096_in_ten_seconds():
    P = mwas.nas_instance(4096, 0)[0]
    r = mwas.solve(P, "auto")
    assert r.wall_time < 10 and r.gap < 0.02 and len(r.order) == 4096


# ---- Tests that reach the code paths the checks above never take (a review found each could pass a wrong implementation).

def _cycle():
    "A -> B -> C -> A at 0.8 each, everyone beats D: one broken arc is unavoidable."
    P = np.full((4, 4), 0.5)
    for i, j, p in [(0, 1, .8), (1, 2, .8), (2, 0, .8), (0, 3, .9), (1, 3, .7), (2, 3, .6)]: P[i, j], P[j, i] = p, 1 - p
    return P


def test_branch_and_bound_path_proves_the_optimum():
    "random n=12 seed 10 is not settled by the relaxation: the lazy-row MIP runs (2 rounds) and must prove the DP optimum."
    from transnas_repro.mwas_exact import _exact_order, _dp_order
    W = mwas.edge_weights(mwas.random_instance(12, 10))
    order, ub, proven, info = _exact_order(W)
    assert proven and info["mip_rounds"] == 2
    opt = mwas.order_objective(W, _dp_order(W))
    assert ub == pytest.approx(opt, abs=1e-6) and mwas.order_objective(W, order) == pytest.approx(opt, abs=1e-6)
    assert opt == pytest.approx(11.139253586623841, abs=1e-6)
    r = mwas.solve(mwas.random_instance(12, 10), "exact")
    assert r.optimal and r.info["mip_rounds"] == 2 and r.objective == pytest.approx(opt, abs=1e-6)


@pytest.mark.parametrize("seed", range(20))
def test_lp_bound_is_exact_up_to_five_vertices(seed):
    "With the triangle rows the relaxation is tight for n <= 5: an LP that drops them (or a cut loop that gives up) fails."
    W = mwas.edge_weights(mwas.random_instance(5, seed))
    assert mwas.lp_bound(W)[0] == pytest.approx(mwas.brute_force(W)[1], abs=1e-7)


@pytest.mark.parametrize("method", HEURISTICS)
def test_heuristics_prove_the_cycle_optimal_through_the_lp(method):
    assert mwas.solve(_cycle(), method).optimal


def test_packing_bound_packs_the_cycle():
    "The A-B-C cycle must lose at least 0.3 of the trivial 1.6: a packing that packs nothing would return 1.6."
    W = mwas.edge_weights(_cycle())
    assert mwas.trivial_bound(W) == pytest.approx(1.6) and mwas.packing_bound(W, [0, 1, 2, 3])[0] == pytest.approx(1.3, abs=1e-6)


def test_trivial_bound_takes_the_larger_direction_of_each_pair():
    "Raw weights with both directions present: sum of max(W_ij, W_ji) is 10, not W.sum() = 12 (the optimum is 9)."
    R = np.array([[0, 3, 0], [1, 0, 2], [5, 1, 0.]])
    assert mwas.trivial_bound(R) == pytest.approx(10.0) and mwas.brute_force(R)[1] == pytest.approx(9.0)


def test_gap_is_relative_to_the_bound_named():
    r = mwas.solve(_cycle(), "copeland", bound="trivial")
    assert r.info["bound"] == "trivial" and r.upper_bound == pytest.approx(1.6)
    assert r.gap == pytest.approx(0.3 / 1.6)          # (bound - objective) / bound; dividing by the objective gives 0.231


def reference_eades(W):
    "Eades-Lin-Smyth from its definition: sinks to the back, then sources to the front, else the alive node of largest"
    " net out-weight (out minus in, over alive nodes; first index on ties); recomputed from scratch every step."
    n, A = len(W), W > 0
    alive, front, back = list(range(n)), [], []
    while alive:
        sinks = [v for v in alive if not any(A[v, u] for u in alive if u != v)]
        if sinks:
            back = sinks + back; alive = [v for v in alive if v not in sinks]; continue
        sources = [v for v in alive if not any(A[u, v] for u in alive if u != v)]
        if sources:
            front += sources; alive = [v for v in alive if v not in sources]; continue
        delta = [sum(W[v, u] - W[u, v] for u in alive) for v in alive]
        v = alive[int(np.argmax(delta))]
        front.append(v); alive.remove(v)
    return np.array(front + back)


@pytest.mark.parametrize("kind,n,seed", [("nas", 30, 0), ("nas", 60, 1), ("random", 25, 2), ("raw", 40, 3)])
def test_eades_follows_its_definition(kind, n, seed):
    "A review found the incremental net out-weight updated with the wrong sign (a valid order, just a worse one)."
    W, _, _ = mwas._prepare(instance(kind, n, seed), weight_of(kind))
    ours, ref = mwas._eades_order(W), reference_eades(W)
    assert mwas.order_objective(W, ours) == pytest.approx(mwas.order_objective(W, ref), abs=1e-9)


def test_eades_beats_the_plain_win_rate_sort_on_nas_like_graphs():
    "On NAS-like relation graphs (near architectures in cycles) Eades' rule is better than sorting by wins; the sign bug was not."
    for seed in range(5):
        P = mwas.nas_instance(100, seed)[0]
        assert mwas.solve(P, "eades", bound="trivial").objective > mwas.solve(P, "copeland", bound="trivial").objective
