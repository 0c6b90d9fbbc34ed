"""Degrees and strengths: hand-checked cases and networkx on random masks."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch
from torch import nn

from prunegraph.degrees import DegreeSequence, count_in_out, network_sequence
from prunegraph.errors import UsageError
from prunegraph.graph import LayerGraph, NetworkGraph
from prunegraph.loading import load


# ----------------------------------------------------------------------------- DegreeSequence
def test_degree_sequence_dead_alive_and_dict():
    d = DegreeSequence(np.array([3, 0, 1, 0]), np.array(["a", "a", "b", "b"]),
                       np.array([0, 1, 0, 1]), "in")
    assert d.dead.tolist() == [False, True, False, True]
    assert d.n_dead == 2
    assert d.alive.tolist() == [3, 1]
    assert len(d) == 4
    assert d.select("b").values.tolist() == [1, 0]
    out = d.to_dict()
    assert out["n_dead"] == 2 and out["values"] == [3, 0, 1, 0] and out["layer"][2] == "b"
    with pytest.raises(UsageError, match="no unit labelled 'c'"):
        d.select("c")


def test_degree_sequence_length_mismatch():
    with pytest.raises(UsageError, match="same length"):
        DegreeSequence(np.array([1, 2]), np.array(["a"]), np.array([0, 1]), "in")


def test_count_in_out_matches_literal_loops():
    g = torch.Generator().manual_seed(3)
    m = torch.rand(7, 5, generator=g) < 0.4
    k_in, k_out = count_in_out(m)
    assert k_in.tolist() == [sum(bool(m[j, i]) for i in range(5)) for j in range(7)]
    assert k_out.tolist() == [sum(bool(m[j, i]) for j in range(7)) for i in range(5)]
    assert k_in.dtype == np.int64


# ----------------------------------------------------------------------------- hand-checked MLP
def test_mlp342_layer_degrees_by_hand(mlp342):
    net = load(mlp342)
    fc1, fc2 = net.layer("fc1"), net.layer("fc2")
    assert fc1.in_degree.tolist() == [3, 1, 1, 0]
    assert fc1.out_degree.tolist() == [2, 2, 1]
    assert fc1.in_strength.tolist() == [3.5, 3.0, 1.0, 0.0]
    assert fc1.out_strength.tolist() == [2.0, 5.0, 0.5]
    assert fc2.in_degree.tolist() == [2, 1]
    assert fc2.out_degree.tolist() == [1, 1, 1, 0]
    assert fc1.n_edges == 5 and fc2.n_edges == 3
    assert fc1.density == pytest.approx(5 / 12)
    d = fc1.degrees("in")
    assert d.layer.tolist() == ["fc1"] * 4 and d.index.tolist() == [0, 1, 2, 3] and d.n_dead == 1
    with pytest.raises(UsageError, match="layer degree kind"):
        fc1.degrees("total")


def test_mlp342_network_degrees_by_hand(mlp342):
    net = load(mlp342)
    assert net.spaces == {"input": 3, "fc1": 4, "fc2": 2}
    tot = net.degrees("total")
    assert tot.values.tolist() == [2, 2, 1, 4, 2, 2, 0, 2, 1]
    assert tot.layer.tolist() == ["input"] * 3 + ["fc1"] * 4 + ["fc2"] * 2
    assert tot.index.tolist() == [0, 1, 2, 0, 1, 2, 3, 0, 1]
    assert tot.n_dead == 1 and tot.dead[6]
    assert net.degrees("in").values.tolist() == [0, 0, 0, 3, 1, 1, 0, 2, 1]
    assert net.degrees("out").values.tolist() == [2, 2, 1, 1, 1, 1, 0, 0, 0]
    np.testing.assert_allclose(net.degrees("strength").values, [2, 5, 0.5, 5.5, 7, 2, 0, 3, 4])
    assert net.degrees("strength").values.dtype == np.float64
    with pytest.raises(UsageError, match="network degree kind"):
        net.degrees("bogus")


# ----------------------------------------------------------------------------- vs networkx
def _reference_nx(layers):
    """networkx DiGraph from raw [out, in] weights with literal loops: (W, in_space, out_space)."""
    g = nx.DiGraph()
    for w, src, dst in layers:
        for j in range(w.shape[0]):
            for i in range(w.shape[1]):
                g.add_node((src, i))
                g.add_node((dst, j))
                if w[j, i] != 0:
                    g.add_edge((src, i), (dst, j), weight=abs(float(w[j, i])))
    return g


def _assert_degrees_match(net: NetworkGraph, g: nx.DiGraph):
    for kind, ref in (("total", g.degree), ("in", g.in_degree), ("out", g.out_degree)):
        seq = net.degrees(kind)
        ours = {(s, int(i)): int(v) for s, i, v in zip(seq.layer, seq.index, seq.values)}
        assert ours == {n: int(d) for n, d in ref}, kind
    st = net.degrees("strength")
    ours = {(s, int(i)): float(v) for s, i, v in zip(st.layer, st.index, st.values)}
    for n, d in g.degree(weight="weight"):
        assert ours[n] == pytest.approx(d, rel=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("density", [0.05, 0.3, 0.9])
def test_mlp_degrees_match_networkx(seed, density, random_prune):
    torch.manual_seed(seed)
    m = nn.Sequential(nn.Linear(12, 9), nn.ReLU(), nn.Linear(9, 7), nn.ReLU(), nn.Linear(7, 3))
    random_prune(m, density, seed)
    net = load(m, input_shape=(12,))
    ref = _reference_nx([(m[0].weight.detach(), "input", "0"), (m[2].weight.detach(), "0", "2"),
                         (m[4].weight.detach(), "2", "4")])
    _assert_degrees_match(net, ref)
    # the exported graph is the same graph
    exp = net.to_networkx()
    assert set(exp.edges) == set(ref.edges)
    assert exp.number_of_nodes() == ref.number_of_nodes() == net.n_units


def test_network_sequence_offsets_and_sums():
    a = LayerGraph.from_matrix("a", torch.tensor([[1.0, 0.0], [0.0, 0.0]]), in_space="x", out_space="cat")
    b = LayerGraph.from_matrix("b", torch.tensor([[1.0, 1.0]]), in_space="x", out_space="cat", out_offset=2)
    seq = network_sequence([a, b], {"x": 2, "cat": 3}, "total")
    assert seq.values.tolist() == [2, 1, 1, 0, 2]
    assert seq.n_dead == 1


def test_benchmark_quick_runs(capsys):
    """The benchmark script runs end to end at its small size and agrees with networkx."""
    from _scripts import load_script

    mod = load_script("benchmarks/bench_degrees.py")
    assert mod.main(["--quick", "--repeat", "1", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "ratio degrees / count_nonzero" in out and "degrees identical: True" in out
