"The NAS-Bench-101 module hash, the enumerated space and its cache, the 30,001-cell join: properties and bad input."
import json
import numpy as np
import pytest
from hypothesis import given, strategies as st, settings
from transnas_repro import benchmarks as B, nb101 as NB   # NB: where the hash and the space live (benchmarks re-exports them)
from transnas_repro.data import CacheError, DataError, meta_path, cache_problem

pytestmark = pytest.mark.needs_data
OPS = B.NB101_INTERIOR_OPS

@st.composite
def cells(draw, max_vertices=7):
    "A random cell with an input -> output path (not necessarily pruned, any number of edges)."
    n = draw(st.integers(2, max_vertices))
    a = np.triu(np.array(draw(st.lists(st.integers(0, 1), min_size=n*n, max_size=n*n))).reshape(n, n), 1)
    a[0, -1] = 1 if draw(st.booleans()) or n == 2 else a[0, -1]
    if len(NB._on_path(a)) == 0: a[0, -1] = 1
    return a, ["input", *draw(st.lists(st.sampled_from(OPS), min_size=n - 2, max_size=n - 2)), "output"]

@settings(max_examples=200)
@given(cells(), st.randoms())
def test_key_ignores_vertex_order(cell, rnd):
    a, ops = cell
    inner = list(range(1, len(a) - 1)); rnd.shuffle(inner); p = [0, *inner, len(a) - 1]
    assert B.nb101_key(a[np.ix_(p, p)], [ops[i] for i in p]) == B.nb101_key(a, ops)

@pytest.fixture(scope="module")
def space6():
    return B.enumerate_nb101(6)

@settings(max_examples=300)
@given(cells(max_vertices=6))
def test_every_valid_cell_is_in_the_space(space6, cell):
    "Completeness: the key of any cell of <= 6 vertices whose pruned form has <= 9 edges is enumerated, and its row is that cell."
    a, ops = cell
    keep = NB._on_path(a)
    if a[np.ix_(keep, keep)].sum() > 9: return
    key = B.nb101_key(a, ops)
    row = space6[space6.key == key]
    assert len(row) == 1
    assert B.nb101_key(*B.nb101_cell(*row.iloc[0, 1:])) == key

def test_enumerated_cells_decode_and_rehash(space6):
    for v, e, c, key in zip(space6.vertices, space6.edge_bits, space6.op_code, space6.key):
        if e % 97: continue                                                   # a deterministic sample of about 1 in 100
        arch = B.encode_nb101(*B.nb101_cell(v, e, c))
        adj, ops = B.decode("nb101", arch)
        assert B.nb101_key(adj, ops) == key and adj.sum() <= 9 and len(NB._on_path(adj)) == len(adj)

def test_counts_by_vertices(space6):
    assert space6.groupby("vertices").size().tolist() == [1, 6, 84, 2441, 62010]
    assert space6.key.is_unique
    # before de-duplication, too: each class is one cell (a broken automorphism rule would emit isomorphic twins the final drop hides)
    assert [sum(len(c) for _, c in NB._classes(n, 9)) for n in range(2, 7)] == [1, 6, 84, 2441, 62010]

def test_stale_or_partial_space_cache_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("TRANSNAS_REPRO_CACHE", str(tmp_path))
    first = B.nb101_space(4); p = B.nb101_space_path(4)
    assert len(first) == 91 and cache_problem(p, "nb101 space") is None
    rec = json.loads(meta_path(p).read_text())
    meta_path(p).write_text(json.dumps(dict(rec, params=dict(rec["params"], max_edges=8))))      # a record of other settings
    with pytest.raises(CacheError, match="other settings") as e: B.nb101_space(4)
    assert str(p) in str(e.value) and "transnas-repro data build nb101 --max-vertices 4 --force" in str(e.value)
    meta_path(p).unlink()                                                     # killed between the table and its record
    with pytest.raises(CacheError, match="no record"): B.nb101_space(4)
    p.write_bytes(b"PAR1")                                                     # a torn file, no record
    with pytest.raises(CacheError, match="--force"): B.nb101_space(4)
    assert B.nb101_space(4, force=True).values.tolist() == first.values.tolist()
    assert cache_problem(p, "nb101 space") is None and B.nb101_space(4).values.tolist() == first.values.tolist()

def test_join_missing_keys_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("TRANSNAS_REPRO_CACHE", str(tmp_path))
    small = B.nb101_space(5)
    with pytest.raises(DataError, match="are not in the enumerated space") as e: B.nb101_join(small)
    msg = str(e.value)
    assert "nasbench_vis_data-10k.json" in msg and "nasbench_vis_data-20k.json" in msg and "transnas-repro data build nb101 --force" in msg
    monkeypatch.setattr(NB, "nb101_space", lambda *a, **k: small)             # a space cache that is sound but short (nb101_join looks it up in nb101)
    B.load_benchmark.cache_clear()
    with pytest.raises(DataError, match=r"29806 of 30001 NB101 keys"): B.load_benchmark("nb101")
    assert not B.benchmark_table_path("nb101").exists()                       # nothing half-joined is cached
    B.load_benchmark.cache_clear()

def test_nb101_rejects_malformed_arch():
    with pytest.raises(ValueError, match="Malformed nb101 architecture"): B.decode("nb101", "conv|input")

full_space = pytest.mark.skipif(cache_problem(B.nb101_space_path(), "nb101 space") is not None,
                                reason="no full NB101 space in the user cache (transnas-repro data build nb101)")

@full_space
def test_nb101_benchmark_from_cache():
    b = B.load_benchmark("nb101")
    assert len(b) == 30_001 and b.tasks == ["cifar10"] and b.splits == ["valid"]
    assert 94 < b.optimum("cifar10") < 96 and b.extras.key.is_unique
    v = json.loads(B.data_path("nb101/nasbench_vis_data-10k.json").read_text())
    i = b.index(b.archs[20_001 + 17])
    assert b.extras.key.iloc[i] == v["key"][17] and b.values("cifar10")[i] == pytest.approx(100*v["108_final_validation_accuracy"][17])

@full_space
def test_nb101_params_match_recorded():
    "The recovered cells of the 10k file (which carry no cell) build networks with the dataset's parameter counts."
    from transnas_repro.networks import build_network, count_params, bulk_build
    b = B.load_benchmark("nb101")
    rng = np.random.default_rng(0); rows = 20_001 + rng.choice(10_000, 60, replace=False)
    with bulk_build():
        ours = [count_params(build_network("nb101", b.archs[i])) for i in rows]
    assert ours == b.extras.params.iloc[rows].astype(int).tolist()

@pytest.mark.slow
def test_full_build_in_fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TRANSNAS_REPRO_CACHE", str(tmp_path))
    space = B.nb101_space()
    assert len(space) == B.NB101_SPACE_SIZE == 423_624 and space.key.is_unique
    assert space.groupby("vertices").size().tolist() == [1, 6, 84, 2441, 62010, 359082]
    B.load_benchmark.cache_clear()
    assert len(B.load_benchmark("nb101")) == 30_001
    B.load_benchmark.cache_clear()


@pytest.mark.needs_data
def test_every_key_of_the_1k_file_is_reproduced():
    "A hash capped at a few refinement rounds passed the counts and the join; the 1,000 recorded keys do not let it."
    from transnas_repro.data import data_path
    vis = json.loads(data_path("nb101/nasbench_vis_data-1k.json").read_text())
    ok = 0
    for adj, ops, key in zip(vis["adjacency"], vis["operations"], vis["key"]):
        keep = [j for j, o in enumerate(ops) if o != -3]
        ok += NB.nb101_key(np.array(adj, dtype=int)[np.ix_(keep, keep)], [B.VIS_NB101_OPS[ops[j]] for j in keep]) == key
    assert ok == len(vis["key"]) == 1000


def test_malformed_cells_get_one_line_errors():
    eye = np.triu(np.ones((3, 3), int), 1)
    for adj, ops, says in [(eye + eye.T, ["input", "conv3x3-bn-relu", "output"], "no cycle"),
                           (eye, ["conv3x3-bn-relu", "input", "output"], "first op must be 'input'"),
                           (eye, ["input", "conv5x5", "output"], "'conv5x5' is not an NB101 op"),
                           (eye, ["input", "output"], "do not describe one cell"),
                           (np.ones((3, 4), int), ["input", "conv3x3-bn-relu", "output"], "do not describe one cell")]:
        with pytest.raises(ValueError, match=says): NB.nb101_key(adj, ops)
