"""Printing a graph, a layer or a degree sequence gives a short summary a user can read in a
notebook (name, type, size, edges, density, degree ranges), never the arrays or tensors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import prunegraph
from prunegraph.degrees import CountedLayer, DegreeSequence, LayerDegrees
from prunegraph.graph import LayerGraph, NetworkGraph


def _fmt(v) -> str:
    v = float(v)
    return f"{int(v):,}" if v.is_integer() else f"{v:.4g}"


@pytest.fixture(scope="module")
def big():
    """A 2000 → 1500 → 1000 MLP pruned to ~10 % at random: 4.5 M weights."""
    g = torch.Generator().manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(2000, 1500), torch.nn.ReLU(), torch.nn.Linear(1500, 1000))
    with torch.no_grad():
        for lin in (m[0], m[2]):
            lin.weight.mul_(torch.rand(lin.weight.shape, generator=g) < 0.1)
    return m, prunegraph.load(m)


def test_network_repr_is_short_and_says_the_size(big):
    m, net = big
    text = repr(net)
    assert len(text) < 400 and str(net) == text
    edges = sum(int((lin.weight != 0).sum()) for lin in (m[0], m[2]))  # reference: the masks
    assert f"{edges:,} edges" in text
    assert f"{2000 + 1500 + 1000:,} units in 3 spaces" in text and "2 layers" in text
    assert f"density {100 * edges / (2000 * 1500 + 1500 * 1000):.3g}%" in text
    assert "2,000 → 1,500" in text and "1,500 → 1,000" in text
    assert "tensor" not in text and "array" not in text


def test_layer_repr_gives_degree_ranges(big):
    m, net = big
    lg = net.layer("0")
    text = repr(lg)
    assert len(text) < 300 and "tensor" not in text
    mask = (m[0].weight != 0).numpy()
    k_in, k_out = mask.sum(1), mask.sum(0)  # reference: row and column counts of the mask
    assert f"in-degree min {_fmt(k_in.min())}, median {_fmt(np.median(k_in))}, max {_fmt(k_in.max())}" in text
    assert f"out-degree min {_fmt(k_out.min())}, median {_fmt(np.median(k_out))}, max {_fmt(k_out.max())}" in text
    assert text.startswith("LayerGraph('0' linear, 2,000 → 1,500 units") and f"{int(mask.sum()):,} edges" in text
    # the matrix-free records of the same layer read the same
    body = text[len("LayerGraph("):-1].rsplit("; wiring", 1)[0]
    assert repr(LayerDegrees.from_layer(lg)) == f"LayerDegrees({body})"


@pytest.mark.parametrize("kind", ["in", "out", "total", "strength"])
def test_degree_sequence_repr(big, kind):
    _, net = big
    seq = net.degrees(kind) if kind in ("total", "strength") else net.layer("2").degrees(kind)
    text = repr(seq)
    assert len(text) < 200 and "array" not in text
    v = seq.values
    alive = v[v > 0]
    assert f"{v.size:,} units" in text and f"{int((v == 0).sum()):,} dead" in text
    assert f"alive min {_fmt(alive.min())}, median {_fmt(np.median(alive))}, max {_fmt(alive.max())}" in text


def test_long_networks_list_their_first_layers_only():
    layers = tuple(LayerGraph.from_matrix(f"fc{i}", torch.eye(4), in_space="input" if i == 0 else f"fc{i - 1}")
                   for i in range(30))
    net = NetworkGraph(layers, {"input": 4, **{f"fc{i}": 4 for i in range(30)}}, source="deep")
    lines = repr(net).splitlines()
    assert len(lines) == 10 and lines[-1] == "  … 22 more layers)"
    assert "30 layers" in lines[0] and "fc7" in lines[8] and "fc8" not in repr(net)
    labels = [f"s{i}" for i in range(5) for _ in range(3)]
    seq = DegreeSequence(np.arange(15), np.array(labels), np.arange(15), "total")
    assert repr(seq) == ("DegreeSequence(total, 15 units labelled 's0', 's1', 's2' (+2 more), 1 dead; "
                         "alive min 1, median 7.5, max 14)")  # median of 1..14
    empty = DegreeSequence(np.array([], dtype=np.int64), np.array([], dtype=str), np.array([], dtype=np.int64), "in")
    assert repr(empty) == "DegreeSequence(in, 0 units, 0 dead; alive none)"


def test_counted_layer_repr_and_unchanged_equality(big):
    _, net = big
    lg = net.layer("2")
    c = CountedLayer(**{k: getattr(lg, k) for k in ("name", "layer_type", "in_space", "out_space",
                                                     "in_offset", "out_offset", "in_units", "out_units")},
                     n_edges=lg.n_edges, in_degree=lg.in_degree, out_degree=lg.out_degree,
                     edge_weights=np.ones(lg.n_edges))
    text = repr(c)
    assert text.startswith("CountedLayer('2' linear, 1,500 → 1,000 units") and len(text) < 300
    assert text.endswith("; wiring traced)")
    # equality and hashing as before: graphs by identity, records by value
    assert lg == lg and lg != LayerGraph(lg.name, lg.layer_type, lg.weight, lg.multiplicity)
    assert hash(lg) == object.__hash__(lg) and hash(net) == object.__hash__(net)
    seq = lg.degrees("in")
    assert seq == seq and {"x": 1} == {"x": 1}
    with pytest.raises(TypeError):  # a frozen record of arrays: unhashable, as before
        hash(seq)
