"Whole-space proxies (space_scores): equality with score_arch on other tasks and TNB-micro, and the cache's integrity checks."
import json, math, time
import numpy as np
import pytest
import torch
from transnas_repro import proxies as P
from transnas_repro.benchmarks import load_benchmark, encode

pytestmark = pytest.mark.needs_data

@pytest.fixture(autouse=True)
def one_thread():
    "space_scores runs synflow with one torch thread; score_arch matches it bit for bit at the same thread count."
    n = torch.get_num_threads(); torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)

@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TRANSNAS_REPRO_CACHE", str(tmp_path))
    return tmp_path

def _ref(bench, archs, proxy, task):
    from transnas_repro.networks import build_network
    classes = P._num_classes(build_network(bench, archs[0], task))
    batch = P.make_batch(size=P.input_size(bench, task), num_classes=classes, seed=0)   # score_arch's default batch
    return [P.score_arch(bench, a, [proxy], batch=batch, task=task)[proxy] for a in archs]

@pytest.mark.parametrize("bench,task", [("nb201", "cifar100"), ("nb201", "ImageNet16-120"), ("tnb101_micro", "class_object"),
                                        ("tnb101_micro", "class_scene")])
@pytest.mark.parametrize("proxy", ["params", "flops"])
def test_additive_equals_score_arch(bench, task, proxy):
    ops = P.SPACE_OPS[bench]
    archs = load_benchmark(bench).sample(8, seed=4) + [encode(bench, ["none"]*6), encode(bench, [ops[1]]*6),
                                                       encode(bench, [ops[-1]]*6)]
    assert P.additive_scores(bench, proxy, archs, task).tolist() == _ref(bench, archs, proxy, task)

@pytest.mark.parametrize("bench,task,n", [("nb201", "ImageNet16-120", 4), ("tnb101_micro", None, 3)])
def test_skeleton_synflow_equals_score_arch(bench, task, n):
    archs = load_benchmark(bench).sample(n, seed=7)
    sk = P.SynflowSkeleton(bench, task)
    fast = [sk(a) for a in archs]
    assert fast == _ref(bench, archs, "synflow", task)
    assert len(set(fast)) == n

def test_skeleton_refuses_networks_it_cannot_reinitialize(monkeypatch):
    "If construction drew random numbers the skeleton does not replay, it must refuse rather than score other weights."
    real = P._swappable
    def extra_draw(*a, **k):
        f32, f64, drawn = real(*a, **k)
        torch.manual_seed(0); torch.rand(3)
        return f32, f64, torch.get_rng_state()
    monkeypatch.setattr(P, "_swappable", extra_draw)
    with pytest.raises(RuntimeError, match="score_arch"): P.SynflowSkeleton("nb201")

def test_series_and_errors(cache):
    s = P.space_scores("nb201", "flops", progress=False)
    assert s.name == "flops" and list(s.index) == load_benchmark("nb201").archs and s.notna().all()
    assert s.nunique() == 84      # flops depends only on how many conv1x1, conv3x3 and avg-pool edges: C(6+3, 3) counts
    for call, text in [(lambda: P.space_scores("tnb101_macro", "params"), "Valid choices: nb201, tnb101_micro"),
                       (lambda: P.space_scores("nb201", "snip"), "Valid choices: params, flops, synflow"),
                       (lambda: P.space_scores("nb201", "params", task="cifar1O"), "cifar10")]:
        with pytest.raises(ValueError, match=text): call()

def _counting(monkeypatch):
    calls = []
    real = P._compute_space
    monkeypatch.setattr(P, "_compute_space", lambda *a, **k: calls.append(a[:2]) or real(*a, **k))
    return calls

def test_cache_hit_does_not_recompute(cache, monkeypatch):
    calls = _counting(monkeypatch)
    first = P.space_scores("nb201", "params", progress=False)
    second = P.space_scores("nb201", "params", progress=False)
    assert len(calls) == 1 and first.equals(second)
    side = json.loads(P.space_cache_path("nb201", "params").with_suffix(".json").read_text())
    assert side["n"] == 15625 and side["task"] == "cifar10" and side["seed"] == 0 and side["proxy"] == "params"
    assert side["sha256"] == P._sha256(first.to_numpy())

@pytest.mark.parametrize("damage", ["values", "truncated", "sidecar-version", "sidecar-missing", "wrong-length"])
def test_damaged_cache_is_rebuilt_never_read(cache, monkeypatch, damage):
    good = P.space_scores("nb201", "params", progress=False)
    path = P.space_cache_path("nb201", "params")
    side = path.with_suffix(".json")
    if damage == "values": np.save(path, good.to_numpy()*2)                     # loads fine, wrong numbers
    if damage == "truncated": path.write_bytes(path.read_bytes()[:100])
    if damage == "sidecar-version": side.write_text(json.dumps(dict(json.loads(side.read_text()), package_version="0.0.0")))
    if damage == "sidecar-missing": side.unlink()
    if damage == "wrong-length":                                                # array and sidecar agree, but not with the space
        np.save(path, good.to_numpy()[:-1])
        side.write_text(json.dumps(dict(json.loads(side.read_text()), sha256=P._sha256(good.to_numpy()[:-1]))))
    calls = _counting(monkeypatch)
    with pytest.warns(UserWarning, match="recomputing"):
        again = P.space_scores("nb201", "params", progress=False)
    assert len(calls) == 1 and again.tolist() == good.tolist()
    assert P.cached_space_scores("nb201", "params").tolist() == good.tolist()   # the rebuilt cache is valid again

def test_cached_only_reader_computes_nothing(cache, monkeypatch):
    monkeypatch.setattr(P, "_compute_space", lambda *a, **k: pytest.fail("computed"))
    assert P.cached_space_scores("nb201", "synflow") is None

class _FakeSkeleton:
    "Slow on its first ten cells (so the estimate is over a minute), instant after; one non-finite score."
    def __init__(self, bench, task=None): self.n = 0
    def __call__(self, arch, seed=0):
        self.n += 1
        if self.n <= 10: time.sleep(0.006)
        return math.inf if self.n == 3 else float(self.n)

def test_estimate_progress_and_nan(cache, monkeypatch, capsys):
    monkeypatch.setattr(P, "SynflowSkeleton", _FakeSkeleton)
    with pytest.warns(UserWarning, match="not finite for 1"):
        s = P.space_scores("nb201", "synflow", progress=True)
    out = capsys.readouterr()
    assert "take about" in out.out and "min" in out.out and "15625 nb201 cells" in out.out
    assert "nb201 synflow" in out.err                                           # the tqdm bar
    assert math.isnan(s.iloc[2]) and s.iloc[3] == 4.0 and s.notna().sum() == 15624
    capsys.readouterr()
    P.space_scores("nb201", "synflow", progress=True)                          # cached: NaN survives, no estimate
    assert "take about" not in capsys.readouterr().out
    with pytest.warns(UserWarning, match="not finite"): P.space_scores("nb201", "synflow", seed=1, progress=False)
    assert "take about" not in capsys.readouterr().out                         # progress=False: quiet
