"Computation graphs and classic encodings: DAGs, determinism, hand counts, isomorphism, fast path == full trace."
import itertools
import networkx as nx
import numpy as np
import pytest
import torch
from torch import nn
from transnas_repro import encoders, encodings, networks
from transnas_repro.encoders import arch_cg, computation_graph, encode, encode_all, encoding_names, same_graph, CG

NB201 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|nor_conv_1x1~1|avg_pool_3x3~2|"

def nb201(ops): return "|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|".format(*ops)

class TwoBranch(nn.Module):
    "conv -> (relu, maxpool) -> concat -> flatten -> linear: hand count 8 nodes, 8 edges."
    def __init__(self):
        super().__init__(); self.conv = nn.Conv2d(3, 4, 3, padding=1); self.pool = nn.MaxPool2d(2); self.fc = nn.Linear(8*2*2, 5)
    def forward(self, x):
        y = self.conv(x)
        return self.fc(torch.cat([torch.relu(self.pool(y)), self.pool(y).mul(1.0)], 1).flatten(1))

def test_hand_counted_module():
    cg = computation_graph(TwoBranch(), (1, 3, 4, 4))
    # input, conv, pool, relu, pool (called twice: two nodes), concat, flatten, linear, output; mul by 1 is a pass-through
    assert cg.op_names == ["input", "conv", "maxpool", "relu", "maxpool", "concat", "flatten", "linear", "output"]
    assert cg.num_edges == 9
    g = cg.to_networkx()
    assert nx.is_directed_acyclic_graph(g)
    cat = cg.op_names.index("concat")
    assert cg.attrs[cat].tolist()[:6] == [8, 8, 2, 2, 2, 2]          # concat c_in = sum of its inputs
    assert cg.attrs[cg.op_names.index("conv")].tolist() == [3, 4, 4, 4, 4, 4, 3, 3, 1, 1, 1]
    assert cg.attrs[cg.op_names.index("linear")].tolist() == [32, 5, 1, 1, 1, 1, 0, 0, 0, 0, 1]     # bias flag last
    assert cg.attrs[cg.op_names.index("maxpool")].tolist() == [4, 4, 4, 4, 2, 2, 2, 2, 2, 0, 0]  # kernel 2, stride 2
    assert encoders.module_op(nn.AvgPool2d(3, 1, 1)) == ("avgpool", dict(kernel_h=3, kernel_w=3, stride=1))

def test_hand_counted_cell_and_none_pruning():
    ops = ["nor_conv_3x3", "skip_connect", "none", "avg_pool_3x3", "nor_conv_1x1", "skip_connect"]
    cg = computation_graph(networks.DenseCell(ops, 4, 4), (1, 4, 8, 8))
    assert (len(cg), cg.num_edges) == (10, 11)
    # all three edges into node 3 are none: the cell outputs zeros, the input is left alone
    zero = computation_graph(networks.DenseCell(["nor_conv_3x3"]*3 + ["none"]*3, 4, 4), (1, 4, 8, 8))
    assert zero.op_names == ["input", "zeros", "output"] and zero.edge_index.tolist() == [[1], [2]]

def test_untraceable():
    class Branchy(nn.Module):
        def forward(self, x): return x.relu() if x.sum() > 0 else x
    with pytest.raises(ValueError, match="Fix"): computation_graph(Branchy())
    cg = computation_graph(nn.Sequential(nn.Conv2d(3, 3, 1), Branchy()), (1, 3, 4, 4))
    assert cg.op_names == ["input", "conv", "branchy", "output"]        # kept whole, named after its class
    with pytest.raises(ValueError, match="with_task"):
        arch_cg("tnb101_micro", "64-41414-3_33_333", task="jigsaw", fast=False)

@pytest.mark.needs_data
def test_fast_path_equals_full_trace_nb201():
    from transnas_repro.benchmarks import load_benchmark
    archs = load_benchmark("nb201").sample(6, seed=3) + [
        nb201(["none"]*6), nb201(["skip_connect"] + ["none"]*5), nb201(["nor_conv_3x3"]*3 + ["none"]*3),
        nb201(["avg_pool_3x3", "none", "none", "none", "none", "nor_conv_1x1"])]
    for a in archs:
        fast, full = arch_cg("nb201", a), arch_cg("nb201", a, fast=False)
        assert fast == full, a
        assert nx.is_directed_acyclic_graph(fast.to_networkx())

@pytest.mark.needs_data
def test_fast_path_equals_full_trace_tnb_micro():
    for a in ["64-41414-3_13_213", "64-41414-1_00_010", "64-41414-0_00_000"]:
        for task in ["class_scene", "segmentsemantic"]:
            assert arch_cg("tnb101_micro", a, task, (1, 3, 64, 64)) == arch_cg("tnb101_micro", a, task, (1, 3, 64, 64), fast=False), (a, task)

def test_deterministic_and_identical():
    a, b = arch_cg("nb201", NB201), arch_cg("nb201", NB201)
    assert a == b and a is not b
    assert torch.equal(a.to_pyg().x, b.to_pyg().x)
    encoders._skeleton.cache_clear(); encoders._cell_template.cache_clear(); encoders._edge_graph.cache_clear()
    assert arch_cg("nb201", NB201) == a

def test_isomorphic_pairs():
    # nodes 1 and 2 both read node 0 only (edge 2<-1 is none): swapping their roles computes the same function
    for x, y, p, q in itertools.permutations(["nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3", "skip_connect"], 4):
        a, b = arch_cg("nb201", nb201([x, y, "none", "skip_connect", p, q])), arch_cg("nb201", nb201([y, x, "none", "skip_connect", q, p]))
        assert same_graph(a, b), (x, y, p, q)
    # node 1 feeds only none edges: its op is dead code, the graphs are equal
    for op in ["nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3", "skip_connect", "none"]:
        assert arch_cg("nb201", nb201([op, "nor_conv_1x1", "none", "skip_connect", "none", "avg_pool_3x3"])) == \
               arch_cg("nb201", nb201(["nor_conv_3x3", "nor_conv_1x1", "none", "skip_connect", "none", "avg_pool_3x3"]))
    # and different functions are told apart
    assert not same_graph(arch_cg("nb201", nb201(["nor_conv_3x3"]*6)), arch_cg("nb201", nb201(["nor_conv_3x3"]*5 + ["nor_conv_1x1"])))

def test_cg_features_and_views():
    cg = arch_cg("nb201", NB201)
    d = cg.to_pyg()
    assert d.x.shape == (len(cg), len(encoders.FEATURE_NAMES)) and d.edge_index.shape == (2, cg.num_edges)
    assert d.x.min() >= 0 and d.x.max() <= 1 and d.op_names == cg.op_names
    n = len(encoders.OP_TYPES)       # the values, not only their range: op one-hots and log-scaled attributes
    assert d.x[:, :n].argmax(1).tolist() == [encoders.OP_TYPES.index(o) for o in cg.op_names]
    np.testing.assert_allclose(d.x[:, n:].numpy(), np.log2(1 + cg.attrs)/np.log2(1 + encoders.FEATURE_SCALE), atol=1e-6)
    g = cg.to_networkx()
    assert g.number_of_nodes() == len(cg) and g.number_of_edges() == cg.num_edges
    assert [v for v in g if g.in_degree(v) == 0] == [0] and [v for v in g if g.out_degree(v) == 0] == [len(cg) - 1]

@pytest.mark.needs_data
@pytest.mark.parametrize("bench", ["tnb101_macro", "nb101_sample", "nb301_sample"])
def test_other_spaces_are_dags(bench):
    from transnas_repro.benchmarks import load_benchmark
    arch = load_benchmark(bench).archs[7]
    cg = arch_cg(bench, arch, input_shape=(1, 3, 64, 64) if bench.startswith("tnb") else None)
    assert nx.is_directed_acyclic_graph(cg.to_networkx()) and cg.op_names[0] == "input" and cg.op_names[-1] == "output"
    assert cg == arch_cg(bench, arch, input_shape=(1, 3, 64, 64) if bench.startswith("tnb") else None)

def test_cg_file_roundtrip(tmp_path, monkeypatch):
    monkeypatch.setenv("TRANSNAS_REPRO_CACHE", str(tmp_path))
    archs = [NB201, nb201(["none"]*6), nb201(["skip_connect"]*6)]
    ds = encoders.cg_dataset("nb201", archs, n_jobs=1)
    assert list(tmp_path.glob("cg/nb201-*.pt"))
    again = encoders.cg_dataset("nb201", archs, n_jobs=1)          # from the file
    for a, b, arch in zip(ds, again, archs):
        assert a.arch == b.arch == arch and torch.equal(a.x, b.x) and torch.equal(a.edge_index, b.edge_index)
        assert a.op_names == arch_cg("nb201", arch).op_names

@pytest.mark.slow
def test_cg_dataset_parallel_matches_serial(tmp_path, monkeypatch):
    monkeypatch.setenv("TRANSNAS_REPRO_CACHE", str(tmp_path))
    from transnas_repro.benchmarks import load_benchmark
    archs = load_benchmark("nb201").sample(300, seed=1)
    par = encoders.cg_dataset("nb201", archs, n_jobs=2, cache=False)
    assert [d.arch for d in par] == archs
    for d, a in zip(par[::37], archs[::37]): assert torch.equal(d.x, arch_cg("nb201", a).to_pyg().x)

# -- classic encodings --------------------------------------------------------------------------------

def _paths_by_networkx(bench, arch):
    "Path encoding from the op-on-node PyG graph with networkx (an independent implementation)."
    d = encode(bench, arch, "adjacency", as_="pyg")
    g = nx.DiGraph(); g.add_nodes_from(range(d.num_nodes)); g.add_edges_from(d.edge_index.T.tolist())
    found = {">".join(d.op_names[v] for v in p[1:-1]) for p in nx.all_simple_paths(g, 0, d.num_nodes - 1)}
    return np.array([n in found for n in encoding_names(bench, "path")], dtype=np.float32)

@pytest.mark.needs_data
@pytest.mark.parametrize("bench", ["nb201", "tnb101_micro"])
def test_path_encoding_matches_networkx(bench):
    from transnas_repro.benchmarks import load_benchmark
    archs = load_benchmark(bench).sample(200, seed=0)
    fast = encode_all(bench, archs, "path")
    for a, row in zip(archs, fast): np.testing.assert_array_equal(row, _paths_by_networkx(bench, a))

@pytest.mark.needs_data
@pytest.mark.parametrize("bench", ["nb201", "tnb101_micro", "tnb101_macro"])
def test_encodings_whole_space(bench):
    from transnas_repro.benchmarks import load_benchmark
    b = load_benchmark(bench)
    for kind in encodings._kinds(bench):
        m = encode_all(bench, kind=kind)
        assert m.shape == (len(b), len(encoding_names(bench, kind))) and m.dtype == np.float32
        np.testing.assert_array_equal(m[17], encode(bench, b.archs[17], kind))
        if kind != "path": assert len(np.unique(m, axis=0)) == len(b)      # injective
        # the pyg graph and the vector carry the same adjacency
    d = encode(bench, b.archs[5], "adjacency", as_="pyg")
    assert nx.is_directed_acyclic_graph(nx.DiGraph(d.edge_index.T.tolist()))

def test_bad_inputs():
    with pytest.raises(ValueError, match="nb201"): encode_all("nb101_sample", ["x"], "path")
    with pytest.raises(ValueError, match="onehot or adjacency"): encode("tnb101_macro", "64-4111-basic", "path")
    with pytest.raises(ValueError, match="adjacency"): encode("nb201", NB201, "pathh")
    with pytest.raises(ValueError, match="vector"): encode("nb201", NB201, as_="graph")
    with pytest.raises(ValueError, match="Expected format"): encode("nb201", NB201[:-3])


def _wiring_violations(c):
    "Edges whose shapes disagree: a concat's c_in is the sum of its inputs' c_out, an add's inputs share c_out, else c_in/h_in follow the input."
    preds = {v: [] for v in range(len(c))}
    for u, v in c.edge_index.T.tolist(): preds[v].append(u)
    bad = []
    for v, o in enumerate(c.op_names):
        P = preds[v]
        if not P or o == "output": continue
        cout = [int(c.attrs[u][1]) for u in P]; hout = [int(c.attrs[u][4]) for u in P]
        if o == "concat": ok = c.attrs[v][0] == sum(cout)
        elif o == "add": ok = len(set(cout)) == 1 and c.attrs[v][0] == cout[0] == c.attrs[v][1]
        else: ok = c.attrs[v][0] == cout[0] and c.attrs[v][2] == hout[0]
        if not ok: bad.append((v, o))
    return bad


@pytest.mark.needs_data
@pytest.mark.parametrize("bench,counts", [("nb201", {}), ("nb101_sample", {"concat": 9, "add": 9}), ("nb301_sample", {"dwconv": 60, "concat": 10}),
                                          ("tnb101_micro", {})])
def test_whole_network_graphs_are_wired_shape_consistently(bench, counts):
    from transnas_repro.benchmarks import load_benchmark
    c = arch_cg(bench, load_benchmark(bench).archs[7])
    assert _wiring_violations(c) == []
    oc = c.op_counts()
    assert all(oc.get(k) == v for k, v in counts.items()), oc
    if bench == "nb201":
        stride2 = {tuple(x) for o, x in zip(c.op_names, c.attrs.tolist()) if o == "conv" and x[8] == 2}
        assert stride2 == {(16, 32, 32, 32, 16, 16, 3, 3, 2, 1, 0), (32, 64, 16, 16, 8, 8, 3, 3, 2, 1, 0)}
        assert c.attrs[c.op_names.index("linear")].tolist() == [64, 10, 1, 1, 1, 1, 0, 0, 0, 0, 1]


def test_thread_count_is_restored():
    "torch_threads and a CG build in the calling process (n_jobs=1) give the caller's thread count back, on an exception too."
    from transnas_repro.embeddings import torch_threads
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        with torch_threads(1): assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
        with pytest.raises(KeyError):
            with torch_threads(1): raise KeyError("x")
        assert torch.get_num_threads() == 2
        encoders.cg_dataset("nb201", [NB201], n_jobs=1, cache=False)
        assert torch.get_num_threads() == 2                 # it was left at 1 before
    finally: torch.set_num_threads(before)


def test_cg_key_depends_on_every_input():
    k0 = encoders.cg_key("nb201", [NB201], "cifar10", (1, 3, 32, 32), True)
    assert k0 != encoders.cg_key("nb201", [NB201], "cifar100", (1, 3, 32, 32), True)
    assert k0 != encoders.cg_key("nb201", [NB201], "cifar10", (1, 3, 16, 16), True)
    assert k0 != encoders.cg_key("nb201", [NB201], "cifar10", (1, 3, 32, 32), False)
    assert k0 == encoders.cg_key("nb201", [NB201], "cifar10", [1, 3, 32, 32], True)


def test_random_walks_are_seeded_and_biased_by_q():
    from transnas_repro.embeddings import cell_digraph, random_walks
    g = cell_digraph("nb201", NB201)
    assert random_walks(g, 5, seed=1) == random_walks(g, 5, seed=1) != random_walks(g, 5, seed=2)
    # from node 2 (having come from 3), node 0 is also an input of 3 (weight w) while node 1 is not (weight w / q)
    h = cell_digraph("nb201", "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|none~1|nor_conv_3x3~2|")
    def share(q):
        w = [x for x in random_walks(h, walks_per_node=3000, q=q, seed=0) if x[:2] == ["3", "2"]]
        return sum(x[2] == "0" for x in w)/len(w)
    assert abs(share(4.0) - 0.8) < 0.04 and abs(share(1.0) - 0.5) < 0.05


@pytest.mark.needs_data
def test_arch2vec_sees_the_symmetrised_adjacency_and_embedders_keep_row_order():
    from transnas_repro.embeddings import Arch2Vec, EncodingEmbedder, Node2VecEmbedder, space_graphs
    torch.manual_seed(0)
    m = Arch2Vec(6, 16, 16).eval()
    L, A = space_graphs("tnb101_micro", ["64-41414-3_10_203", "64-41414-1_23_031"])
    assert torch.allclose(m.encode(L, A)[0], m.encode(L, A.transpose(1, 2))[0], atol=1e-6)
    e = EncodingEmbedder("nb201"); a = [e.archs[i] for i in (3000, 7, 11)]
    x = np.stack([encodings.encode("nb201", s, "onehot") for s in a]).astype(np.float32)
    np.testing.assert_allclose(e.embed(a), x/np.linalg.norm(x, axis=1, keepdims=True), atol=1e-6)
    far = nb201(["none"]*6)
    n1, n2 = Node2VecEmbedder("nb201", re_embeddings=2), Node2VecEmbedder("nb201", re_embeddings=2)
    np.testing.assert_array_equal(n1.embed([NB201, far]), n2.embed([far, NB201])[::-1])   # seeded, and rows follow the input
