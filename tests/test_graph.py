"""Graph construction: hand-checked tiny networks, literal references, networkx, exports, CLI."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
import torch
from torch import nn

from prunegraph import cli
from prunegraph.graph import LayerGraph, conv_matrices, graph_from_module, graph_from_state_dict
from prunegraph.loading import load
from prunegraph.models import zoo


def _degree_map(seq):
    return {(s, int(i)): v.item() for s, i, v in zip(seq.layer, seq.index, seq.values)}


# ----------------------------------------------------------------------------- conv, hand-checked
def test_conv_two_channels_one_zero_kernel():
    conv = nn.Conv2d(2, 3, 3, bias=False)
    with torch.no_grad():
        conv.weight.fill_(1.0)
        conv.weight[1, 0] = 0.0             # kernel out 1 <- in 0 removed
        conv.weight[2, 1] = 0.0
        conv.weight[2, 1, 0, 0] = -2.0      # kernel out 2 <- in 1 keeps two entries
        conv.weight[2, 1, 2, 2] = 0.5
    net = load(nn.Sequential(conv), input_shape=(2, 5, 5))
    lg = net.layer("0")
    assert lg.layer_type == "conv"
    assert lg.multiplicity.tolist() == [[9, 9], [0, 9], [9, 2]]
    assert lg.weight.tolist() == [[9.0, 9.0], [0.0, 9.0], [9.0, 2.5]]
    assert lg.in_degree.tolist() == [2, 1, 2]
    assert lg.out_degree.tolist() == [2, 3]
    assert net.degrees("total").values.tolist() == [2, 3, 2, 1, 2]


# ----------------------------------------------------------------------------- residual block
class ResBlock(nn.Module):
    input_shape = (1, 4, 4)

    def __init__(self):
        super().__init__()
        self.conv0 = nn.Conv2d(1, 2, 1, bias=False)
        self.conv_a = nn.Conv2d(2, 2, 1, bias=False)
        self.conv_b = nn.Conv2d(2, 2, 1, bias=False)
        self.fc = nn.Linear(2, 3, bias=False)
        with torch.no_grad():
            self.conv0.weight.copy_(torch.tensor([[1.0], [2.0]]).view(2, 1, 1, 1))
            self.conv_a.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 0.0]]).view(2, 2, 1, 1))
            self.conv_b.weight.copy_(torch.tensor([[0.0, 3.0], [1.0, 0.0]]).view(2, 2, 1, 1))
            self.fc.weight.copy_(torch.tensor([[1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]))

    def forward(self, x):
        x = self.conv0(x)
        y = self.conv_b(torch.relu(self.conv_a(x)))
        z = torch.relu(x + y)
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(z, 1), 1))


def test_residual_block_versions_the_stream_by_hand():
    # z = x + conv_b(conv_a(x)): conv_b's output is the new stream version; x reaches it through
    # an identity (residuals), not by merging the two spaces (which made conv0 -> conv_a -> conv0 a cycle)
    net = load(ResBlock())
    assert net.spaces == {"input": 1, "conv0": 2, "conv_a": 2, "conv_b": 2, "fc": 3}
    assert net.layer("conv_b").out_space == "conv_b"
    assert net.layer("fc").in_space == "conv_b"
    assert net.residuals == (("conv0", "conv_b"),)
    # input 2 | conv0 1+1, 1+0 | conv_a 1+1, 0+1 | conv_b 1+1, 1+2 | fc 2, 1, 0
    assert net.degrees("total").values.tolist() == [2, 2, 1, 2, 1, 2, 3, 2, 1, 0]
    assert net.degrees("total").n_dead == 1
    assert net.notes == ()


# ----------------------------------------------------------------------------- grouped conv
def _literal_conv_matrix(w: torch.Tensor, groups: int):
    out_ch, ipg = w.shape[:2]
    in_ch = ipg * groups
    opg = out_ch // groups
    W = np.zeros((out_ch, in_ch))
    K = np.zeros((out_ch, in_ch), dtype=np.int64)
    for j in range(out_ch):
        g = j // opg
        for il in range(ipg):
            kern = w[j, il].flatten().tolist()
            W[j, g * ipg + il] = sum(abs(v) for v in kern)
            K[j, g * ipg + il] = sum(v != 0 for v in kern)
    return W, K


@pytest.mark.parametrize("in_ch,out_ch,groups", [(4, 6, 2), (4, 4, 4), (6, 6, 3), (3, 5, 1)])
def test_grouped_conv_matches_literal(in_ch, out_ch, groups, random_prune):
    torch.manual_seed(in_ch * 10 + groups)
    conv = random_prune(nn.Conv2d(in_ch, out_ch, 3, groups=groups), 0.4, groups)
    w, k = conv_matrices(conv.weight, groups=groups)
    W, K = _literal_conv_matrix(conv.weight.detach(), groups)
    np.testing.assert_allclose(w.numpy(), W, rtol=1e-6)
    np.testing.assert_array_equal(k.numpy(), K)


def test_grouped_conv_by_hand():
    conv = nn.Conv2d(4, 4, 1, groups=2, bias=False)
    with torch.no_grad():
        conv.weight.fill_(1.0)
    lg = load(nn.Sequential(conv), input_shape=(4, 2, 2)).layer("0")
    assert lg.multiplicity.tolist() == [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]]
    dw = nn.Conv1d(3, 3, 2, groups=3, bias=False)
    lg = load(nn.Sequential(dw), input_shape=(3, 5)).layer("0")
    assert lg.multiplicity.tolist() == [[2, 0, 0], [0, 2, 0], [0, 0, 2]]


def test_conv_transpose_and_embedding_match_literal(random_prune):
    torch.manual_seed(0)
    ct = random_prune(nn.ConvTranspose2d(4, 6, 2, groups=2), 0.5, 1)
    lg = load(nn.Sequential(ct), input_shape=(4, 3, 3)).layer("0")
    w = ct.weight.detach()  # [in, out/g, k, k]
    ref = np.zeros((6, 4))
    for i in range(4):
        g = i // 2
        for jl in range(3):
            ref[g * 3 + jl, i] = w[i, jl].abs().sum().item()
    assert lg.layer_type == "conv_transpose"
    np.testing.assert_allclose(lg.weight.numpy(), ref, rtol=1e-6)

    emb = random_prune(nn.Embedding(7, 3), 0.5, 2)
    net = load(nn.Sequential(emb, nn.Flatten(), nn.Linear(6, 2)), input_shape=(2,))
    lg = net.layer("0")
    assert lg.layer_type == "embedding" and lg.in_space == "input" and net.spaces["input"] == 7
    np.testing.assert_array_equal(lg.mask.numpy(), (emb.weight.detach() != 0).numpy().T)


# ----------------------------------------------------------------------------- LSTM
class TinyLSTM(nn.Module):
    input_shape = (5, 2)

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(2, 2, batch_first=True, bias=False)
        self.fc = nn.Linear(2, 1, bias=False)
        with torch.no_grad():
            ih = torch.zeros(8, 2)
            ih[0, 1], ih[2 + 0, 1] = 1.0, -2.0   # i and f gates of unit 0 read input 1
            ih[3 * 2 + 1, 0] = 0.5               # o gate of unit 1 reads input 0
            hh = torch.zeros(8, 2)
            hh[1, 1] = 1.0                       # i gate of unit 1 reads unit 1 (self-loop)
            self.lstm.weight_ih_l0.copy_(ih)
            self.lstm.weight_hh_l0.copy_(hh)
            self.fc.weight.copy_(torch.tensor([[1.0, 0.0]]))

    def forward(self, x):
        return self.fc(self.lstm(x)[0][:, -1])


def test_lstm_gate_folding_by_hand():
    net = load(TinyLSTM())
    ih, hh = net.layer("lstm.weight_ih_l0"), net.layer("lstm.weight_hh_l0")
    assert ih.layer_type == hh.layer_type == "lstm"
    assert ih.weight.tolist() == [[0.0, 3.0], [0.5, 0.0]]
    assert ih.multiplicity.tolist() == [[0, 2], [1, 0]]
    assert hh.in_space == hh.out_space == "lstm.l0"
    assert net.spaces == {"input": 2, "lstm.l0": 2, "fc": 1}
    assert net.degrees("total").values.tolist() == [1, 1, 2, 3, 1]
    # networkx counts the self-loop twice in the total degree, as we do
    g = net.to_networkx()
    assert dict(g.degree)[("lstm.l0", 1)] == 3


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
def test_recurrent_fold_matches_literal(mode, random_prune):
    torch.manual_seed(1)
    rnn = random_prune(getattr(nn, mode)(4, 3, num_layers=2), 0.3, 4)
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[mode]
    net = load(nn.Sequential(rnn), input_shape=(6, 4))
    assert [lg.name for lg in net.layers] == [f"0.weight_{m}_l{li}" for li in (0, 1) for m in ("ih", "hh")]
    assert net.layer("0.weight_ih_l1").in_space == "0.l0"
    for lg in net.layers:
        w = getattr(rnn, lg.name.split(".", 1)[1]).detach()
        ref = sum(w[g * 3:(g + 1) * 3].abs() for g in range(gates))
        np.testing.assert_allclose(lg.weight.numpy(), ref.numpy(), rtol=1e-6)


# ----------------------------------------------------------------------------- flatten fold
class ConvFlat(nn.Module):
    input_shape = (1, 3, 3)

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 1)
        self.fc = nn.Linear(18, 4)

    def forward(self, x):
        return self.fc(torch.flatten(torch.relu(self.conv(x)), 1))


@pytest.mark.parametrize("shape", [(1, 3, 3), None])
def test_flatten_into_linear_folds_onto_channels(shape, random_prune):
    torch.manual_seed(0)
    m = random_prune(ConvFlat(), 0.3, 5)
    if shape is None:
        m.input_shape = None
    net = graph_from_module(m, input_shape=shape)
    fc = net.layer("fc")
    assert fc.in_space == "conv" and fc.in_units == 2
    w = m.fc.weight.detach()
    for j in range(4):
        for c in range(2):
            block = w[j, c * 9:(c + 1) * 9]
            assert fc.weight[j, c].item() == pytest.approx(block.abs().sum().item(), rel=1e-6)
            assert fc.multiplicity[j, c].item() == int((block != 0).sum())
    assert ("no input_shape" in " ".join(net.notes)) == (shape is None)
    # the note names the layer whose fold was inferred, and only then
    assert any("flatten folds inferred from sizes" in n and "layer fc" in n for n in net.notes) == (shape is None)


@pytest.mark.parametrize("shape", [(6,), None])
def test_mlp_gets_no_flatten_note(shape, random_prune):
    # an MLP reading a flat input has no flatten to fold: no note about shapes, traced or not
    torch.manual_seed(0)
    m = random_prune(nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3)), 0.3, 5)
    net = graph_from_module(m, input_shape=shape)
    assert [lg.name for lg in net.layers] == ["0", "2"]
    assert not any("flatten" in n or "input_shape" in n for n in net.notes), net.notes


def test_failed_shape_propagation_is_noted_without_a_fold_claim():
    # a wrong input_shape: the failure is said; no flatten fold claimed in an MLP
    m = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))
    net = graph_from_module(m, input_shape=(7,))
    assert any("shape propagation with input_shape=(7,) failed" in n for n in net.notes), net.notes
    assert not any("flatten" in n for n in net.notes)


# ----------------------------------------------------------------------------- concatenation
class CatNet(nn.Module):
    input_shape = (3,)

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 2)
        self.b = nn.Linear(3, 4)
        self.head = nn.Linear(6, 2)

    def forward(self, x):
        return self.head(torch.cat([self.a(x), self.b(x)], dim=1))


def test_concat_space_is_made_of_its_inputs(random_prune):
    torch.manual_seed(2)
    m = random_prune(CatNet(), 0.5, 2)
    net = load(m)
    a, b, head = net.layer("a"), net.layer("b"), net.layer("head")
    assert a.out_space == b.out_space == head.in_space
    assert (a.out_offset, b.out_offset) == (0, 2)
    assert net.spaces[head.in_space] == 6 and len(net.spaces) == 3
    # literal reference: a's unit j is concat unit j, b's unit j is concat unit 2 + j
    cat = head.in_space
    g = nx.DiGraph()
    g.add_nodes_from([("input", i) for i in range(3)] + [(cat, i) for i in range(6)]
                     + [("head", i) for i in range(2)])
    for lin, off in ((m.a, 0), (m.b, 2)):
        for j in range(lin.out_features):
            for i in range(3):
                if lin.weight[j, i] != 0:
                    g.add_edge(("input", i), (cat, off + j))
    for j in range(2):
        for i in range(6):
            if m.head.weight[j, i] != 0:
                g.add_edge((cat, i), ("head", j))
    assert _degree_map(net.degrees("total")) == dict(g.degree)


# ----------------------------------------------------------------------------- zoo vs networkx
def _literal_lenet5_nx(m):
    """networkx graph of LeNet-5 from raw weights, loops over entries; fc1 folds 25 positions."""
    g = nx.DiGraph()
    spec = [("conv1", "input"), ("conv2", "conv1"), ("fc1", "conv2"), ("fc2", "fc1"), ("fc3", "fc2")]
    for name, src in spec:
        w = getattr(m, name).weight.detach()
        per = w.shape[1] // 16 if name == "fc1" else 1
        n_in = w.shape[1] // per
        g.add_nodes_from((src, i) for i in range(n_in))
        g.add_nodes_from((name, j) for j in range(w.shape[0]))
        nz = (w.reshape(w.shape[0], w.shape[1], -1) != 0).any(-1)
        for j, f in nz.nonzero().tolist():
            g.add_edge((src, f // per), (name, j))
    return g


def test_lenet5_degrees_match_networkx(random_prune):
    m = random_prune(zoo.get_model("lenet5", rng=0), 0.05, 7)
    net = load(m)
    ref = _literal_lenet5_nx(m)
    for kind, d in (("total", ref.degree), ("in", ref.in_degree), ("out", ref.out_degree)):
        assert _degree_map(net.degrees(kind)) == dict(d), kind
    assert set(net.to_networkx().edges) == set(ref.edges)


@pytest.mark.parametrize("name", ["lenet300", "lenet5", "vgg_small", "resnet_small", "lstm"])
def test_zoo_models_trace_without_notes(name, random_prune):
    m = random_prune(zoo.get_model(name, rng=0), 0.2, 0)
    net = load(m)
    assert net.notes == ()
    n_weights = sum(int((p != 0).sum()) for k, p in m.named_parameters() if p.ndim >= 2)
    assert sum(int(lg.multiplicity.sum()) for lg in net.layers) == n_weights
    exp = net.to_networkx()
    assert exp.number_of_edges() == net.n_edges
    assert _degree_map(net.degrees("total")) == dict(exp.degree)


def test_resnet_small_spaces():
    net = load(zoo.get_model("resnet_small", rng=0))
    # identity shortcut: the stem's units are added to layer1's output, a new stream version
    assert net.layer("layer1.conv2").out_space == "layer1.conv2"
    assert ("conv1", "layer1.conv2") in net.residuals
    assert net.layer("layer2.shortcut.0").in_space == "layer1.conv2"
    assert net.layer("layer2.shortcut.0").out_space == net.layer("layer2.conv2").out_space
    assert net.layer("fc").in_space == net.layer("layer2.conv2").out_space


# ----------------------------------------------------------------------------- bare state_dict
def test_state_dict_chain_equals_trace_for_lenet5(random_prune):
    m = random_prune(zoo.get_model("lenet5", rng=1), 0.2, 3)
    traced = load(m)
    chained = graph_from_state_dict(m.state_dict(), source="sd")
    assert "chaining shapes" in chained.notes[0]
    assert any("folded onto the 16 channels" in n for n in chained.notes)
    assert chained.spaces == traced.spaces
    for kind in ("total", "strength"):
        np.testing.assert_allclose(chained.degrees(kind).values, traced.degrees(kind).values)


def test_state_dict_chain_skip_and_groups_notes():
    # layer order comes from the names (numbered stages, then the shortcut), not the file order
    sd = {"shortcut.weight": torch.ones(8, 2, 1, 1), "features.2.weight": torch.ones(8, 4, 1, 1),
          "features.0.weight": torch.ones(4, 2, 3, 3), "features.1.weight": torch.ones(4, 1, 3, 3)}
    net = graph_from_state_dict(sd)
    notes = " ".join(net.notes)
    assert [lg.name for lg in net.layers] == ["features.0", "features.1", "features.2", "shortcut"]
    assert "groups=4 inferred" in notes
    assert "skip connection assumed" in notes
    assert net.layer("features.1").multiplicity.tolist() == (torch.eye(4, dtype=torch.int32) * 9).tolist()
    assert net.layer("shortcut").in_space == "input"


class Untraceable(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.fc2 = nn.Linear(4, 2)

    def forward(self, x):
        if x.sum() > 0:  # data-dependent control flow: torch.fx cannot trace it
            x = x * 2
        return self.fc2(self.fc1(x))


def test_untraceable_module_falls_back_to_registration_order():
    net = load(Untraceable())
    assert "not traceable by torch.fx" in net.notes[0]
    assert net.spaces == {"input": 3, "fc1": 4, "fc2": 2}
    assert net.degrees("total").values.sum() == 2 * (12 + 8)


# ----------------------------------------------------------------------------- exports
def test_exports_scipy_graphml_edgelist(tmp_path, mlp342):
    net = load(mlp342)
    g = net.to_networkx()
    labels = net.degrees("total")
    order = list(zip(labels.layer.tolist(), labels.index.tolist()))
    ref = nx.to_scipy_sparse_array(g, nodelist=order, weight="weight")
    a = net.to_scipy()
    np.testing.assert_allclose(a.toarray(), ref.toarray())
    assert a[0, 3] == 1.0 and a[1, 4] == 3.0  # input0 -> hidden0 (|1|), input1 -> hidden1 (|3|)
    assert g.edges[("fc1", 2), ("fc2", 0)] == {"weight": 1.0, "multiplicity": 1, "layer": "fc2"}

    gm = net.write_graphml(tmp_path / "g.graphml")
    back = nx.read_graphml(gm)
    assert back.number_of_nodes() == 9 and back.number_of_edges() == 8
    assert back.edges["input:1", "fc1:0"]["weight"] == 2.0
    assert back.nodes["fc1:3"]["space"] == "fc1"

    el = net.write_edgelist(tmp_path / "g.tsv")
    lines = el.read_text().splitlines()
    assert lines[0].startswith("# source_space") and len(lines) == 1 + 8
    assert "input\t1\tfc1\t1\t3.0\t1\tfc1" in lines
    assert not list(tmp_path.glob(".*tmp*"))  # atomic writes leave no temporary files


# ----------------------------------------------------------------------------- CLI
def test_cli_graph_builtin_example(tmp_path, capsys):
    rc = cli.main(["graph", "--json", str(tmp_path / "g.json"), "--graphml", str(tmp_path / "g.graphml"),
                   "--edgelist", str(tmp_path / "g.tsv")])
    out = capsys.readouterr().out
    assert rc == 0
    assert "built-in example" in out and "fc1" in out and "dead_in" in out
    data = json.loads((tmp_path / "g.json").read_text())
    assert [r["name"] for r in data["layers"]] == ["fc1", "fc2", "fc3"]
    total = sum(r["in_units"] * r["out_units"] for r in data["layers"])
    assert data["totals"]["edges"] == pytest.approx(0.10 * total, abs=1)   # pruned to 10 %
    assert len((tmp_path / "g.tsv").read_text().splitlines()) == data["totals"]["edges"] + 1


def test_cli_graph_file_and_errors(tmp_path, capsys, mlp342):
    path = tmp_path / "m.pt"
    torch.save(mlp342.state_dict(), path)
    assert cli.main(["graph", str(path)]) == 0
    out = capsys.readouterr().out
    assert "fc2" in out and "chaining shapes" in out
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint at all")
    assert cli.main(["graph", str(bad)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.pt" in err
    assert cli.main(["graph", str(path), "--input-shape", "a,b"]) == 2


# ----------------------------------------------------------------------------- text model, dense concat
class TextNet(nn.Module):
    input_shape = (7,)

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 5)
        self.rnn = nn.LSTM(5, 4, num_layers=2, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        out, _ = self.rnn(self.emb(x))
        return self.fc(out[:, -1])


def test_embedding_bidirectional_lstm_trace_equals_chain(random_prune, capsys):
    m = random_prune(TextNet(), 0.4, 9)
    net = load(m)
    assert capsys.readouterr().err == ""          # the float dummy input fails quietly, then long
    assert net.notes == ()
    assert net.spaces == {"input": 20, "emb": 5, "rnn.l0:cat": 8, "rnn.l1:cat": 8, "fc": 3}
    rev = net.layer("rnn.weight_ih_l1_reverse")
    assert (rev.in_space, rev.out_space, rev.out_offset) == ("rnn.l0:cat", "rnn.l1:cat", 4)
    chained = graph_from_state_dict(m.state_dict())
    assert chained.spaces == net.spaces
    np.testing.assert_array_equal(chained.degrees("total").values, net.degrees("total").values)


class DenseNet(nn.Module):
    input_shape = (2, 5, 5)

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(2, 3, 3, padding=1)
        self.c2 = nn.Conv2d(5, 3, 3, padding=1)
        self.c3 = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        x = torch.cat([x, self.c1(x)], 1)
        x = torch.cat([x, self.c2(x)], 1)
        return self.c3(x)


def test_dense_concatenation_units_are_their_inputs(random_prune):
    m = random_prune(DenseNet(), 0.3, 4)
    net = load(m)
    assert list(net.spaces.values()) == [8, 4]          # input(2) + c1(3) + c2(3), then c3
    cat = net.layer("c3").in_space
    offsets = {lg.name: (lg.in_offset, lg.out_offset) for lg in net.layers}
    assert offsets == {"c1": (0, 2), "c2": (0, 5), "c3": (0, 0)}
    g = nx.DiGraph()
    g.add_nodes_from([(cat, i) for i in range(8)] + [("c3", i) for i in range(4)])
    for conv, out_off, out_space in ((m.c1, 2, cat), (m.c2, 5, cat), (m.c3, 0, "c3")):
        nz = (conv.weight.detach().flatten(2) != 0).any(-1)
        for j, i in nz.nonzero().tolist():
            g.add_edge((cat, i), (out_space, out_off + j))
    assert _degree_map(net.degrees("total")) == dict(g.degree)


def test_binary_fast_path_equals_general_path(random_prune):
    from prunegraph.degrees import count_in_out

    w = random_prune(nn.Linear(40, 30), 0.2, 1).weight.detach()
    mult = (w != 0).to(torch.int32)
    fast, slow = count_in_out(mult, binary=True), count_in_out(mult * 3)
    for a, b in zip(fast, slow):
        np.testing.assert_array_equal(a, b)
    lg = LayerGraph.from_matrix("x", w)
    assert lg.binary and not LayerGraph.from_matrix("y", w, multiplicity=mult * 2).binary
