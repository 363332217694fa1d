"The DARTS space's variation operators, codec, readers and drop-path: assertions a plausible wrong implementation fails."
import numpy as np
import pytest
import torch
from torch import nn

from transnas_repro import darts_space as D, image_data as I
from transnas_repro.core import rng


def test_mutation_rate_is_per_gene_not_per_genotype():
    "p = 0.1 over 40 genes: nearly every genotype changes somewhere (1 - 0.9^40 = 0.985), and every gene position is hit."
    g = np.random.default_rng(0); base = [D.random_genotype(i) for i in range(500)]
    changed = np.array([D.mutate(v, g, 0.1) != v for v in base])
    assert changed.any(1).mean() > 0.95                      # per genotype it would be about 0.1
    assert changed.mean(0).min() > 0.04 and changed.mean(0).max() < 0.17
    assert (changed.sum(1) <= 15).all()                      # never the whole genotype at once


def test_node_crossover_is_uniform_over_nodes_and_complementary():
    "kind='node': each node comes from either parent independently (not a one-point cut); the children are complementary."
    g = np.random.default_rng(1); a0, bT = np.zeros(40, int), D.MAX_VALUES.copy()
    takes = []
    for _ in range(300):
        c1, c2 = D.crossover(a0, bT, g)
        take = (c1 == 0).reshape(10, 4)
        assert (take.all(1) | ~take.any(1)).all()            # whole nodes
        assert ((c1 == 0) != (c2 == 0)).all()                # what one child takes, the other gets
        takes.append(take[:, 0])
    t = np.array(takes)
    assert np.abs(t.mean(0) - 0.5).max() < 0.12              # every node position about half the time
    assert len({tuple(r) for r in t}) > 150                  # a one-point cut gives at most 11 patterns
    # an interleaved pattern (first node from a, second from b, third from a) appears, which no one-point cut can give
    assert any(r[0] and not r[1] and r[2] for r in t) and any(not r[0] and r[1] and not r[2] for r in t)


def test_codec_pairs_each_op_with_its_own_input():
    "Genes (in1, in2, op1, op2): op1 reads in1 and op2 reads in2, on nodes with two different inputs."
    g = np.zeros(40, int); g[:4] = [0, 1, 2, 6]
    d = D.to_darts(g)
    assert d.normal[:2] == ((D.EMT_OPS[2], 0), (D.EMT_OPS[6], 1))
    assert D.to_string(g).startswith(f"normal={D.EMT_OPS[2]}~0+{D.EMT_OPS[6]}~1|")
    assert np.array_equal(D.from_darts(d), g) and np.array_equal(D.from_string(D.to_string(g)), g)
    g2 = g.copy(); g2[8:12] = [3, 1, 4, 5]                     # node 2 of the normal cell: inputs 3 and 1
    assert D.to_darts(g2).normal[4:6] == ((D.EMT_OPS[4], 3), (D.EMT_OPS[5], 1))
    assert D.cell_nodes(g2, "normal")[2] == (3, 1, 4, 5)


def test_digits_tasks_keep_images_and_labels_together():
    "At 8 px nothing is resampled: each split's image i is the sklearn digit whose label is its label + offset."
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    lut = {}
    for x, lab in zip((X.reshape(-1, 8, 8)*255/16).astype(np.uint8), y): lut.setdefault(x.tobytes(), set()).add(int(lab))
    tasks = I.digits_tasks(size=8, seed=3, n_train=100, n_val=50)
    for name, lo in (("digits0-4", 0), ("digits5-9", 5)):
        for split in ("train", "val", "test"):
            x, lab = getattr(tasks[name], split)
            assert lab.dtype == torch.int64
            px = ((x[:, 0] + 1)*127.5).round().to(torch.uint8).numpy()
            assert all(lut[px[i].tobytes()] == {int(lab[i]) + lo} for i in range(len(lab))), (name, split)


def test_readers_give_int64_labels_and_keep_the_splits(tmp_path):
    "uint8 labels on disk (as MedMNIST ships them) come back int64; val and test are the files' val and test, not swapped."
    path = tmp_path/"m.npz"; g = rng(0)
    arrays = {f"{s}_images": np.full((4, 28, 28), k*50 + np.arange(4)[:, None, None], dtype=np.uint8) for k, s in enumerate(("train", "val", "test"))}
    arrays |= {f"{s}_labels": (np.arange(4).reshape(-1, 1) + k).astype(np.uint8) for k, s in enumerate(("train", "val", "test"))}
    np.savez(path, **arrays)
    sp = I.read_medmnist(path)
    for k, s in enumerate(("train", "val", "test")):
        x, lab = sp[s]
        assert lab.dtype == np.int64 and x.dtype == np.uint8 and x.shape == (4, 1, 28, 28)
        assert lab.tolist() == [k, k + 1, k + 2, k + 3] and (x[:, 0, 0, 0] == k*50 + np.arange(4)).all()
    td = I.task_data(sp)
    assert torch.equal(td.val[0], I.to_tensor(sp["val"][0])) and torch.equal(td.test[0], I.to_tensor(sp["test"][0]))
    # without a val split: the held-out images keep their own labels (image i is filled with 10 i, its label is i)
    x = np.stack([np.full((1, 28, 28), 10*i, np.uint8) for i in range(20)]); lab = np.arange(20, dtype=np.int64)
    td2 = I.task_data(I.ImageSplits({"train": (x, lab), "test": (x[:2], lab[:2])}, 20), val_fraction=0.25, seed=1)
    for xs, ys in (td2.train, td2.val):
        assert torch.equal(((xs[:, 0, 5, 5] + 1)*127.5).round().long(), 10*ys)
    assert sorted(td2.train[1].tolist() + td2.val[1].tolist()) == list(range(20)) and len(td2.val[1]) == 5


def _all(op):
    g = np.zeros(40, int); g[2::4] = g[3::4] = D.EMT_OPS.index(op); return g


@pytest.mark.parametrize("op,spared", [("skip_connect", True), ("sep_conv_3x3", False)])
def test_drop_path_spares_identities_only(op, spared):
    "In training, drop-path leaves a cell of identities (stride 1) as it is and changes a cell of convolutions; the supernet alike."
    from transnas_repro.ktnas_darts import SuperCell
    torch.manual_seed(0); s0, s1 = torch.randn(16, 4, 8, 8), torch.randn(16, 4, 8, 8)
    d = D.to_darts(_all(op))
    cell = D.EMTCell(d.normal, d.normal_concat, 4, 4, 4, False, False).train()
    sup = SuperCell(4, 4, 4, False, False).train(); nodes = D.cell_nodes(_all(op), "normal")
    def run(p, f):
        torch.manual_seed(1)
        return f(p)
    def emt(p): cell.drop_prob = p; return cell(s0, s1)
    outs = [(run(0.0, emt), run(0.9, emt)), (run(0.0, lambda p: sup(s0, s1, nodes, p)), run(0.9, lambda p: sup(s0, s1, nodes, p)))]
    for a, b in outs: assert torch.allclose(a, b) == spared
    # in a reduction cell a skip from the cell's inputs is strided, a FactorizedReduce: DARTS drops it, and so do both cells
    if op == "skip_connect":
        rd = D.to_darts(_all(op)); rnodes = D.cell_nodes(_all(op), "reduce")      # every node reads input 0: all strided
        rcell = D.EMTCell(rd.reduce, rd.reduce_concat, 4, 4, 4, True, False).train(); rsup = SuperCell(4, 4, 4, True, False).train()
        assert all(isinstance(m, D.FactorizedReduce) for m in rcell.ops)
        def remt(p): rcell.drop_prob = p; return rcell(s0, s1)
        assert not torch.allclose(run(0.0, remt), run(0.9, remt))
        assert not torch.allclose(run(0.0, lambda p: rsup(s0, s1, rnodes, p)), run(0.9, lambda p: rsup(s0, s1, rnodes, p)))


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step()`")   # the supernet's epoch is stubbed: no optimizer step
def test_search_keeps_the_fittest_and_trains_a_child_per_minibatch(monkeypatch):
    """With a known fitness (the sum of the genes), the population is the fittest survivors, elitist over generations; every
    minibatch of a supernet epoch sets a child drawn from the children."""
    from transnas_repro import ktnas_darts as K
    monkeypatch.setattr(K, "fitness", lambda net, a, data, batch_size=1000, recal=None: float(D.check_genotype(a).sum()))
    monkeypatch.setattr(K, "train_supernet_epoch", lambda *a, **k: 0.0)
    x = torch.zeros(8, 3, 8, 8); y = torch.zeros(8, dtype=torch.long)
    tasks = {"a": I.TaskData("a", (x, y), (x, y), (x, y), 2)}
    cfg = K.DartsSearchConfig(population=6, generations=6, channels=4, transfer="off", batch_size=4)
    res = K.ktnas_darts_search(tasks, cfg, seed=0, device="cpu")
    scores = [float(D.from_string(a).sum()) for a in res["population"]["a"]]
    h = res["history"]
    assert scores == sorted(scores, reverse=True) and res["best_fitness"]["a"] == max(scores) == h.best_fitness.iloc[-1]
    assert h.best_fitness.is_monotonic_increasing and h.mean_fitness.is_monotonic_increasing
    assert h.best_fitness.iloc[-1] > h.best_fitness.iloc[0]
    monkeypatch.undo()
    net = K.Supernet(2, 4, 1, 0.0); seen = []
    real = net.set_genotype
    net.set_genotype = lambda a: seen.append(a) or real(a)
    kids = [D.to_string(D.random_genotype(i)) for i in range(4)]
    opt = torch.optim.SGD(net.parameters(), 0.01)
    K.train_supernet_epoch(net, opt, (torch.randn(16, 3, 8, 8), torch.randint(0, 2, (16,))), kids, np.random.default_rng(0), 2)
    assert len(seen) == 8 and set(seen) <= set(kids) and len(set(seen)) > 1


def test_supernet_runs_each_cell_kind_with_its_own_genes():
    "Normal cells run the normal genes and reduction cells the reduce genes: only the chosen ops get gradients, per cell kind."
    from transnas_repro.ktnas_darts import Supernet
    torch.manual_seed(0)
    net = Supernet(2, 4, 1, 0.0); a = D.random_genotype(5)
    while D.cell_nodes(a, "normal") == D.cell_nodes(a, "reduce"): a = D.random_genotype(int(a.sum()))
    net.set_genotype(a); net.train()
    (net(torch.randn(2, 3, 8, 8))**2).sum().backward()   # not .sum(): after a train-mode BatchNorm that is constant in its input
    for kind, cell in zip(net.kinds, net.cells):
        chosen = {(k, i, o) for k, (i1, i2, o1, o2) in enumerate(D.cell_nodes(a, kind)) for i, o in ((i1, o1), (i2, o2))}
        for k, node in enumerate(cell.ops):
            for i, ins in enumerate(node):
                for o, op in enumerate(ins):
                    ps = list(op.parameters())
                    if not ps: continue
                    got = any(p.grad is not None and p.grad.abs().sum() > 1e-6 for p in ps)
                    assert got == ((k, i, o) in chosen), (kind, k, i, D.EMT_OPS[o])


def test_readers_refuse_shifted_foreign_or_corrupt_files(tmp_path):
    "A review: a CIFAR batch with one label short shifted every later label; labels past the classes, channels-first MedMNIST"
    " arrays and a corrupt .gz went through or failed with a bare error. Each is refused naming the file."
    import gzip, pickle, pytest
    folder = I.write_fake_cifar(tmp_path/"c", n=4)
    d = pickle.load(open(folder/"data_batch_2", "rb"), encoding="bytes"); d[b"labels"] = d[b"labels"][:3]
    pickle.dump(d, open(folder/"data_batch_2", "wb"))
    with pytest.raises(ValueError, match="4 images but 3 labels at .*data_batch_2"): I.read_cifar(folder)
    d[b"labels"] = [0, 1, 57, 2]; pickle.dump(d, open(folder/"data_batch_2", "wb"))
    with pytest.raises(ValueError, match="Label 57 outside 0..9 at .*data_batch_2"): I.read_cifar(folder)
    m = I.write_fake_medmnist(tmp_path/"m.npz", n=4)
    z = dict(np.load(m)); z["val_images"] = np.ascontiguousarray(z["val_images"].transpose(0, 3, 1, 2)); np.savez(m, **z)
    with pytest.raises(ValueError, match=r"val_images of shape \(4, 3, 28, 28\)"): I.read_medmnist(m)
    idx = I.write_fake_idx(tmp_path/"i", n=3, gz=True)
    (idx/"t10k-labels-idx1-ubyte.gz").write_bytes(b"junk")
    with pytest.raises(ValueError, match="Unreadable file .*t10k-labels-idx1-ubyte.gz"): I.read_idx_images(idx)
