"Arch-Graph's pairwise loss against a reference written out by hand: ties dropped, directions, one mean per task, several tasks."
import numpy as np
import pytest
import torch

from transnas_repro.predictors import ArchEncoder, RelationPredictor, TaskEmbedding, TaskSamples, fit_pairs, pair_loss

pytestmark = pytest.mark.needs_data


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return RelationPredictor(ArchEncoder("tnb101_macro", hidden=16), TaskEmbedding("onehot", ["a", "b", "c"], 4), hidden=16).eval()


def reference(model, data, seed, k=48):
    "Per task: the same draw, every unordered pair with different values, BCE of P(i beats j) from prob_matrix; the mean of the task means."
    g, picks, means = np.random.default_rng(seed), {}, []
    for d in data:
        if id(d.idx) not in picks: picks[id(d.idx)] = g.choice(len(d), min(k, len(d)), replace=False)
        p = picks[id(d.idx)]; v = d.values.numpy()[p]
        P = model.prob_matrix(d.idx[torch.from_numpy(p)], d.task).double().numpy()
        terms = [-np.log(P[a, b]) if v[a] > v[b] else -np.log(1 - P[a, b])
                 for a in range(len(p)) for b in range(a + 1, len(p)) if v[a] != v[b]]
        if terms: means.append(np.mean(terms))
    return float(np.mean(means))


def test_pair_loss_matches_the_reference(model):
    d1 = TaskSamples(0, np.arange(10), [1, 1, 1, 2, 3, 4, 5, 6, 7, 8.])
    d2 = TaskSamples(1, np.arange(20, 26), [3, 3, 3, 3, 1, 2.], higher_is_better=False)   # lower is better: 1 beats 2 beats 3
    d3 = TaskSamples(2, np.arange(40, 45), [0.5, 0.1, 0.9, 0.3, 0.7])
    for data in ([d1], [d1, d2], [d2, d3, d1]):
        with torch.no_grad(): got = pair_loss(model, data, np.random.default_rng(0)).item()
        assert got == pytest.approx(reference(model, data, 0), abs=1e-5)
    with torch.no_grad():   # only ties: nothing to learn, zero loss (not NaN), and a task of ties does not dilute the mean
        assert pair_loss(model, [TaskSamples(0, [0, 1, 2], [5., 5., 5.])], np.random.default_rng(0)).item() == 0
        both = pair_loss(model, [d3, TaskSamples(0, [0, 1, 2], [5., 5., 5.])], np.random.default_rng(0)).item()
    assert both == pytest.approx(reference(model, [d3], 0), abs=1e-5)


def test_fit_pairs_follows_its_seed(model):
    import copy
    data = [TaskSamples(0, np.arange(200), np.random.default_rng(3).normal(size=200))]
    h = lambda s: fit_pairs(copy.deepcopy(model), data, steps=3, seed=s, archs_per_task=16)
    assert h(0) == h(0) and h(0) != h(1)
