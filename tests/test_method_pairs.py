"Every registered method runs with its default config on every benchmark it is registered for (budget 5; 20 for the methods with a warm-up)."
import pytest
from transnas_repro import search
from transnas_repro.benchmarks import load_benchmark

pytestmark = pytest.mark.needs_data
SPACES = ("tnb101_micro", "tnb101_macro", "nb201")          # the searchable spaces: a method's default
FAST = {"random", "rea", "local", "source-rank", "ktnas"}    # the rest train predictors or score proxies: minutes

def pairs():
    for name in search.SEARCHERS.names():
        for bench in search.SEARCHERS.info(name).get("benchmarks") or SPACES:
            marks = [] if name in FAST else [pytest.mark.slow]
            yield pytest.param(name, bench, 5 if name in FAST else 20, id=f"{name}-{bench}", marks=marks)

@pytest.mark.parametrize("method,bench,budget", list(pairs()))
def test_default_config_runs(method, bench, budget):
    b = load_benchmark(bench)
    r = search.run(method, b, b.tasks[0], budget=budget, seed=0)
    assert r.method == method and 1 <= len(r.history) <= budget and 0 <= r.rank_percentile <= 100, r.summary()

def test_ktnas_default_embedding_on_tnb_macro():
    "The bug of issue 20: 'Unknown benchmark with architecture embeddings' on tnb101_macro with the defaults."
    r = search.run("ktnas", "tnb101_macro", "class_object", budget=5, seed=0)
    assert len(r.history) == 5
