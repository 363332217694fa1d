"Property tests for transnas_repro.metrics against scipy and brute-force references."
import itertools, math, warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats

from transnas_repro.metrics import (best_so_far, kendall_tau, precision_at_k, queries_to_optimum, rank_percentile,
                                    regret, retrieval_rate, spearman_rho, _top_percent_count)

fuzz = settings(deadline=None, max_examples=150)

# Values drawn from a few levels (many ties) or from a wide float range (ties rare).
tied_values = st.integers(0, 4).map(float)
wide_values = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
values = st.one_of(tied_values, wide_values)


@st.composite
def paired(draw, min_size=2, max_size=25, elements=None):
    "Two equal-length float arrays drawn from the same element strategy."
    el = elements if elements is not None else draw(st.sampled_from([tied_values, wide_values]))
    n = draw(st.integers(min_size, max_size))
    x = np.array(draw(st.lists(el, min_size=n, max_size=n)))
    y = np.array(draw(st.lists(el, min_size=n, max_size=n)))
    return x, y


def same_or_both_nan(a, b, tol=1e-9):
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= tol


def brute_tau_b(x, y):
    "Kendall tau-b by counting pairs."
    concordant = discordant = tied_x_only = tied_y_only = 0
    for i, j in itertools.combinations(range(len(x)), 2):
        dx, dy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
        if dx == 0 and dy == 0: continue
        if dx == 0: tied_x_only += 1
        elif dy == 0: tied_y_only += 1
        elif dx == dy: concordant += 1
        else: discordant += 1
    denom = math.sqrt((concordant + discordant + tied_x_only) * (concordant + discordant + tied_y_only))
    return (concordant - discordant) / denom if denom else math.nan


def brute_precision(pred, true, k):
    "Precision@k averaged over every tie-breaking order (all permutations), true top-k tie-inclusive."
    n = len(true)
    kth_true = sorted(true, reverse=True)[k - 1]
    in_true_top = [t >= kth_true for t in true]
    scores = []
    for order in itertools.permutations(range(n)):
        picked = sorted(range(n), key=lambda i: (-pred[i], order[i]))[:k]
        scores.append(sum(in_true_top[i] for i in picked) / k)
    return float(np.mean(scores))


# ---------------------------------------------------------------- rank correlation

@fuzz
@given(paired())
def test_kendall_matches_scipy_and_pair_count(xy):
    x, y = xy
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, ref = kendall_tau(x, y), float(stats.kendalltau(x, y).statistic)
    assert same_or_both_nan(ours, ref)
    assert same_or_both_nan(ours, brute_tau_b(x, y))
    if not math.isnan(ours): assert -1 - 1e-12 <= ours <= 1 + 1e-12


@fuzz
@given(paired())
def test_spearman_matches_scipy_and_ranked_pearson(xy):
    x, y = xy
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, ref = spearman_rho(x, y), float(stats.spearmanr(x, y).statistic)
        ranked = np.corrcoef(stats.rankdata(x), stats.rankdata(y))[0, 1]
    assert same_or_both_nan(ours, ref)
    assert same_or_both_nan(ours, float(ranked))


@fuzz
@given(paired(elements=wide_values))
def test_correlations_symmetric_and_monotone_invariant(xy):
    x, y = xy
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for corr in (kendall_tau, spearman_rho):
            assert same_or_both_nan(corr(x, y), corr(y, x))
            assert same_or_both_nan(corr(x, y), corr(stats.rankdata(x), y))  # ranks: a strictly increasing map
            assert same_or_both_nan(corr(-x, y), -corr(x, y))


@fuzz
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=25, unique=True))
def test_correlation_of_a_ranking_with_itself_is_one(x):
    assert kendall_tau(x, x) == pytest.approx(1.0)
    assert spearman_rho(x, x) == pytest.approx(1.0)


# ---------------------------------------------------------------- top-k overlap

@fuzz
@given(paired(max_size=6), st.data())
def test_precision_is_the_expected_value_over_tie_breaking(xy, data):
    pred, true = xy
    k = data.draw(st.integers(1, len(true)))
    assert precision_at_k(pred, true, k) == pytest.approx(brute_precision(pred, true, k))


@fuzz
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=40, unique=True), st.data())
def test_precision_without_ties_is_set_overlap(pred, data):
    n = len(pred)
    true = data.draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=n, max_size=n, unique=True))
    k = data.draw(st.integers(1, n))
    overlap = set(np.argsort(pred)[-k:]) & set(np.argsort(true)[-k:])
    assert precision_at_k(pred, true, k) == pytest.approx(len(overlap) / k)


@fuzz
@given(paired(), st.data())
def test_precision_properties(xy, data):
    pred, true = xy
    k = data.draw(st.integers(1, len(true)))
    p = precision_at_k(pred, true, k)
    assert 0.0 <= p <= 1.0
    assert precision_at_k(true, true, k) == pytest.approx(1.0)
    assert precision_at_k(-pred, -true, k, higher_is_better=False) == pytest.approx(p)
    assert precision_at_k(pred, true, len(true)) == pytest.approx(1.0)


@fuzz
@given(paired(max_size=60), st.floats(0.5, 100))
def test_retrieval_rate_is_precision_at_the_percent_count(xy, top_percent):
    pred, true = xy
    k = _top_percent_count(len(true), top_percent)
    assert 1 <= k <= len(true) and k >= len(true) * top_percent / 100 - 1e-6
    assert retrieval_rate(pred, true, top_percent) == pytest.approx(precision_at_k(pred, true, k))


def test_retrieval_rate_nb201_size():
    n = 15625
    true = np.arange(n, dtype=float)
    pred = true.copy()
    pred[-1563:] = pred[-1563:][::-1]  # reorder inside the true top 1563: still a perfect retrieval
    assert retrieval_rate(pred, true, 10) == 1.0
    pred = true.copy(); pred[n - 1563] = -1.0  # push the 1563rd best out of the predicted top 10%
    assert retrieval_rate(pred, true, 10) == pytest.approx(1562 / 1563)


# ---------------------------------------------------------------- rank percentile and regret

@fuzz
@given(st.lists(values, min_size=1, max_size=40), st.lists(values, min_size=1, max_size=10), st.booleans())
def test_rank_percentile_counts_strictly_better(space, queries, higher_is_better):
    better = (lambda a, b: a > b) if higher_is_better else (lambda a, b: a < b)
    expected = [100.0 * sum(better(s, q) for s in space) / len(space) for q in queries]
    np.testing.assert_allclose(rank_percentile(np.array(queries), space, higher_is_better), expected)
    assert rank_percentile(queries[0], space, higher_is_better) == pytest.approx(expected[0])
    optimum = max(space) if higher_is_better else min(space)
    assert rank_percentile(optimum, space, higher_is_better) == 0.0


@fuzz
@given(st.lists(wide_values, min_size=1, max_size=30), st.booleans())
def test_regret_is_nonnegative_and_zero_at_optimum(found, higher_is_better):
    optimum = max(found) if higher_is_better else min(found)
    r = regret(np.array(found), optimum, higher_is_better)
    assert (r >= 0).all() and r.min() == 0.0
    np.testing.assert_allclose(r, np.abs(np.array(found) - optimum))


def test_regret_refuses_values_past_the_optimum():
    with pytest.raises(ValueError, match="better than optimum"):
        regret(50.0, 60.0, higher_is_better=False)


# ---------------------------------------------------------------- search efficiency

@fuzz
@given(st.lists(values, min_size=0, max_size=40), st.booleans())
def test_best_so_far_matches_a_loop(history, higher_is_better):
    pick = max if higher_is_better else min
    expected = [pick(history[: i + 1]) for i in range(len(history))]
    np.testing.assert_array_equal(best_so_far(history, higher_is_better), np.array(expected, dtype=float))


@fuzz
@given(st.lists(tied_values, min_size=0, max_size=40), tied_values, st.booleans())
def test_queries_to_optimum_matches_a_loop(history, optimum, higher_is_better):
    reached = (lambda v: v >= optimum) if higher_is_better else (lambda v: v <= optimum)
    expected = next((i + 1 for i, v in enumerate(history) if reached(v)), None)
    assert queries_to_optimum(history, optimum, higher_is_better) == expected


# ---------------------------------------------------------------- input errors

@pytest.mark.parametrize("fn", [kendall_tau, spearman_rho, lambda p, t: precision_at_k(p, t, 1), retrieval_rate])
def test_pair_errors_name_the_problem(fn):
    with pytest.raises(ValueError, match="differ in length"): fn([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="is empty"): fn([], [])
    with pytest.raises(ValueError, match="NaN"): fn([1.0, np.nan, 3.0], [1.0, 2.0, 3.0])


@pytest.mark.parametrize("call", [
    lambda: rank_percentile(1.0, [1.0, np.nan]),
    lambda: best_so_far([1.0, np.nan]),
    lambda: queries_to_optimum([1.0], np.nan),
    lambda: regret(np.nan, 1.0),
])
def test_nan_errors(call):
    with pytest.raises(ValueError, match="NaN"): call()


def test_direction_must_be_a_bool():
    with pytest.raises(ValueError, match="higher_is_better"):
        best_so_far([1.0], higher_is_better="max")


def test_retrieval_rate_honours_lower_is_better():
    "The best 25% of 4 is the smallest value when lower is better: found (1.0); the default direction misses it (0.0)."
    assert retrieval_rate([1, 2, 3, 4], [1, 2, 4, 3], 25, higher_is_better=False) == 1.0
    assert retrieval_rate([1, 2, 3, 4], [1, 2, 4, 3], 25) == 0.0


def test_reaching_the_optimum_allows_rounding_and_refuses_an_array_optimum():
    "A review: atol=0 passed the loop test (whole numbers); an array optimum was broadcast silently; 1.0 passed as a direction."
    import numpy as np, pytest
    from transnas_repro import metrics as M
    assert M.queries_to_optimum([90.0, 94 - 1e-12], 94) == 2           # within atol of the optimum: reached
    assert M.queries_to_optimum([90.0, 94 - 1e-6], 94) is None
    assert M.queries_to_optimum([3.0, 1 + 1e-12], 1.0, higher_is_better=False) == 2
    with pytest.raises(ValueError, match="optimum must be one number"): M.regret([1, 5], [5, 6])
    with pytest.raises(ValueError, match="optimum must be one number"): M.queries_to_optimum([1, 5], [5, 1])
    with pytest.raises(ValueError, match="Valid choices: True, False"): M.regret([1.0], 5.0, higher_is_better=1.0)
    assert M.regret([1.0], 5.0, higher_is_better=np.bool_(True))[0] == 4.0
