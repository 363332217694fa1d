"Wiring and tables a parameter count cannot check: which edge holds which op, which state a DARTS op reads, NB201 splits, stable hashes."
import itertools

import pytest
import torch
import torch.nn.functional as F

from transnas_repro.core import hash_key
from transnas_repro.networks import DenseCell, DartsCell


def test_dense_cell_applies_each_op_on_its_own_edge():
    "Every assignment of three parameter-free ops to the 6 edges equals the NB201 cell written out (node3 = e30(x) + e31(n1) + e32(n2))."
    P = {"none": lambda t: 0*t, "skip_connect": lambda t: t, "avg_pool_3x3": lambda t: F.avg_pool2d(t, 3, 1, 1, count_include_pad=False)}
    x = torch.randn(1, 2, 5, 5)
    for ops in itertools.product(P, repeat=6):
        o = [P[k] for k in ops]; n1 = o[0](x); n2 = o[1](x) + o[2](n1)
        torch.testing.assert_close(DenseCell(list(ops), 2, 2)(x), o[3](x) + o[4](n1) + o[5](n2))


def test_darts_cell_ops_read_the_states_their_genes_name():
    g = [("skip_connect", 0)]*2 + [("skip_connect", 1)]*2 + [("skip_connect", 2)]*2 + [("skip_connect", 3), ("skip_connect", 4)]
    c = DartsCell(g, 8, 8, 4, False, False).eval()
    s0, s1 = torch.randn(2, 8, 5, 5), torch.randn(2, 8, 5, 5)
    with torch.no_grad():
        p0, p1 = c.pre0(s0), c.pre1(s1)
        torch.testing.assert_close(c(s0, s1), torch.cat([2*p0, 2*p1, 4*p0, 2*p1 + 4*p0], 1))


def test_hash_key_is_stable_across_processes():
    assert hash_key("class_object") == 1743907156          # crc32, not Python's per-process hash()


@pytest.mark.needs_data
def test_nb201_splits_are_the_columns_they_name():
    from transnas_repro.benchmarks import load_benchmark, NB201_TASKS
    b = load_benchmark("nb201")
    for split, want in {"valid": [91.607, 73.493, 46.733], "test": [91.523, 73.513, 47.311], "test12": [89.16, 61.18, 38.267]}.items():
        assert [b.optimum(t, split) for t in NB201_TASKS] == pytest.approx(want, abs=2e-3), split
    assert [b.query(b.archs[1], t, "test12") for t in NB201_TASKS] == pytest.approx([88.22, 58.26, 33.80], abs=1e-2)
    assert b.query(b.archs[1], "cifar10", "test200") == pytest.approx(93.66, abs=1e-6)


@pytest.mark.needs_data
def test_rank_percentile_reads_the_split_it_is_given():
    from transnas_repro.benchmarks import load_benchmark
    b, a = load_benchmark("tnb101_micro"), "64-41414-3_21_013"
    assert b.rank_percentile(a, "room_layout", "test") == 36.328125
    assert b.rank_percentile(a, "room_layout") == 52.6611328125
    assert b.rank_percentile(a, "class_object", "test") == 44.8486328125     # 7 ties: strictly better only
