"Architecture encodings and cell graphs: no two architectures of a space collide, op columns name the ops, path features keep op order."
import numpy as np
import pytest
import torch

from transnas_repro.predictors import CELL_BENCHES
from transnas_repro.encodings import encode, encode_all, encoding_names
from transnas_repro.predictors import cell_graph, space_tensors

pytestmark = pytest.mark.needs_data


def test_cell_graph_op_columns_name_each_edge_op():
    x, _ = cell_graph("tnb101_micro", "64-41414-3_10_203")      # edges: conv3x3, skip, none, conv1x1, none, conv3x3
    ops = CELL_BENCHES["tnb101_micro"]
    assert [ops[k] for k in x[4:, 4:].argmax(1)] == ["nor_conv_3x3", "skip_connect", "none", "nor_conv_1x1", "none", "nor_conv_3x3"]
    assert x[4:, 4:].sum(1).tolist() == [1.0]*6


def test_space_tensors_give_every_micro_cell_its_own_graph():
    T = space_tensors("tnb101_micro")
    Z = torch.cat([T["x"].flatten(1), T["adj"].flatten(1)], 1).numpy()
    assert len(np.unique(Z, axis=0)) == 4096


@pytest.mark.parametrize("bench,kind,n", [("tnb101_micro", "onehot", 4096), ("tnb101_micro", "adjacency", 4096),
                                          ("tnb101_macro", "onehot", 3256), ("tnb101_macro", "adjacency", 3256)])
def test_encodings_do_not_collide(bench, kind, n):
    assert len(np.unique(encode_all(bench, kind=kind), axis=0)) == n


def test_path_encoding_keeps_the_order_of_a_three_edge_path():
    "The only live input-to-output path is skip -> conv1x1 -> conv3x3; the reversed op order must not be set."
    a = "|skip_connect~0|+|none~0|nor_conv_1x1~1|+|none~0|none~1|nor_conv_3x3~2|"
    p = dict(zip(encoding_names("nb201", "path"), encode("nb201", a, "path")))
    assert {k for k, v in p.items() if v} == {"skip_connect>nor_conv_1x1>nor_conv_3x3"}


def test_macro_adjacency_is_the_module_chain():
    "A review found the adjacency block untested (the one-hot columns alone make rows unique): it must be input -> module 1"
    " -> ... -> module L -> output, nothing into or out of an empty slot, built here independently for every macro cell."
    from transnas_repro.benchmarks import load_benchmark, decode
    archs = load_benchmark("tnb101_macro").archs
    got = encode_all("tnb101_macro", archs, kind="adjacency")[:, :28]
    iu = np.triu_indices(8, 1)
    for a, row in zip(archs, got):
        L = len(decode("tnb101_macro", a))
        A = np.zeros((8, 8), np.float32)
        for i in range(L): A[i, i + 1] = 1          # input (0) -> module 1 -> ... -> module L
        A[L, 7] = 1                                  # the last module -> output (7)
        assert np.array_equal(row, A[iu]), a


def test_encoding_errors_name_the_space_kind():
    with pytest.raises(ValueError, match="Did you mean 'path'.*Fix: use onehot or adjacency or path"): encode_all("nb201", kind="pathh")
    with pytest.raises(ValueError, match="macro networks are chains"): encode_all("tnb101_macro", kind="path")
    with pytest.raises(ValueError, match="has nothing to encode"): encode_all("nb201", [], kind="adjacency")
