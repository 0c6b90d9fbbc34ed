"""The 0.1 names ("kind" in four meanings) still work in 0.2, each with a DeprecationWarning,
and give what the 0.2 names give."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import prunegraph.analysis as A
import prunegraph.degrees as D
import prunegraph.graph as G
from prunegraph.analysis import DEGREE_KINDS, SequenceAnalysis, analyze
from prunegraph.connectome import side_by_side
from prunegraph.degrees import DegreeSequence
from prunegraph.graph import LayerGraph, NetworkGraph
from prunegraph.graph.matrices import regular_from_counts
from prunegraph.models.data import Task, task_stream


@pytest.fixture
def net():
    g = torch.Generator().manual_seed(0)
    a = LayerGraph.from_matrix("fc1", (torch.rand(20, 30, generator=g) < 0.3).float(), in_space="input")
    b = LayerGraph.from_matrix("fc2", (torch.rand(5, 20, generator=g) < 0.5).float(), in_space="fc1")
    return NetworkGraph((a, b), {"input": 30, "fc1": 20, "fc2": 5}, source="t")


def _old(fn):
    """Call ``fn`` expecting exactly one DeprecationWarning that names prunegraph 0.3."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    dep = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert len(dep) == 1, [str(w.message) for w in caught]
    assert "deprecated" in str(dep[0].message) and "0.3" in str(dep[0].message)
    assert dep[0].filename == __file__  # points at the caller, not at the shim
    return out


def test_new_names_do_not_warn(net):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        lg = net.layer("fc1")
        assert lg.layer_type == "linear" and lg.degrees("in").degree_kind == "in"
        assert net.degrees(degree_kind="total").degree_kind == "total"
        analyze(net, degree_kinds=["in"], bootstrap=0, null=False, alternatives=[])


def test_layer_type_aliases(net):
    lg = net.layer("fc1")
    assert _old(lambda: lg.kind) == lg.layer_type == "linear"
    built = _old(lambda: LayerGraph(name="x", kind="conv", weight=lg.weight, multiplicity=lg.multiplicity))
    assert built.layer_type == "conv"
    m = _old(lambda: LayerGraph.from_matrix("y", torch.eye(3), kind="embedding"))
    assert m.layer_type == "embedding"
    assert _old(lambda: G.LAYER_KINDS) == G.LAYER_TYPES
    assert _old(lambda: D.LayerDegrees.from_layer(lg).kind) == "linear"
    nm = {4: np.array([0, 0, 4, 0, 0])}
    assert _old(lambda: regular_from_counts(8, 2, 8, binary=True, kind="linear", nm=nm)) == \
        regular_from_counts(8, 2, 8, binary=True, layer_type="linear", nm=nm) == "N:M semi-structured (2:4)"


def test_degree_kind_aliases(net):
    lg = net.layer("fc2")
    np.testing.assert_array_equal(_old(lambda: lg.degrees(kind="out")).values, lg.degrees("out").values)
    np.testing.assert_array_equal(_old(lambda: net.degrees(kind="in")).values, net.degrees("in").values)
    np.testing.assert_array_equal(_old(lambda: D.layer_sequence(lg, kind="in")).values, lg.in_degree)
    seq = _old(lambda: DegreeSequence(np.array([1, 0]), np.array(["a", "a"]), np.arange(2), kind="out"))
    assert seq.degree_kind == "out" and _old(lambda: seq.kind) == "out"
    assert _old(lambda: D.LAYER_KINDS) == D.LAYER_DEGREE_KINDS
    assert _old(lambda: D.NETWORK_KINDS) == D.NETWORK_DEGREE_KINDS
    assert _old(lambda: A.KIND_MAP) is DEGREE_KINDS
    assert _old(lambda: A.KindAnalysis) is SequenceAnalysis
    assert set(_old(lambda: A.NETWORK_KINDS)) == set(DEGREE_KINDS)


def test_analyze_kinds_alias_gives_the_same_result(net):
    kw = dict(bootstrap=0, alternatives=["exponential"], rng=2)
    new = analyze(net, degree_kinds=["in", "out"], **kw)
    old = _old(lambda: analyze(net, kinds=["in", "out"], **kw))
    assert old.to_dict() == new.to_dict()
    r = new.results[0]
    assert _old(lambda: r.layer_kind) == r.layer_type == "linear"
    assert _old(lambda: side_by_side([new], kinds=["in"], layers="layer")) == \
        side_by_side([new], degree_kinds=["in"], layers="layer")


def test_both_names_is_an_error(net):
    with pytest.raises(TypeError, match="both kinds="):
        analyze(net, kinds=["in"], degree_kinds=["in"])


def test_stream_type_aliases():
    new = task_stream("digits", stream_type="permuted", n_tasks=2, rng=1, n_train=20, n_test=10)
    old = _old(lambda: task_stream("digits", kind="permuted", n_tasks=2, rng=1, n_train=20, n_test=10))
    assert [t.stream_type for t in old] == ["permuted", "permuted"]
    assert all(torch.equal(a.train[0], b.train[0]) for a, b in zip(old, new))
    assert _old(lambda: new[0].kind) == "permuted"
    t = _old(lambda: Task(0, new[0].train, new[0].test, (0, 1), kind="split"))
    assert t.stream_type == "split" and t.to_dict()["kind"] == "split"  # the JSON key is unchanged
