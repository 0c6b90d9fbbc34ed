"""Null models: random pruning at identical density, degree-preserving rewiring."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from prunegraph.graph import LayerGraph
from prunegraph.nulls import random_layer_like, random_network_like, rewire_layer


def make_layer(weight: torch.Tensor, name: str = "fc") -> LayerGraph:
    return LayerGraph(name=name, layer_type="linear", weight=weight.abs().float(),
                      multiplicity=(weight != 0).int(), in_space="in", out_space=name)


@pytest.fixture
def sparse_layer() -> LayerGraph:
    g = torch.Generator().manual_seed(1)
    w = torch.randn(200, 300, generator=g)
    w[torch.rand(200, 300, generator=g) > 0.1] = 0
    return make_layer(w)


@pytest.fixture
def block_layer() -> LayerGraph:
    """Two dense diagonal blocks, nothing across: wiring with strong structure."""
    w = torch.zeros(40, 40)
    w[:20, :20] = 1.0
    w[20:, 20:] = 2.0
    w[torch.rand(40, 40, generator=torch.Generator().manual_seed(0)) > 0.5] = 0
    return make_layer(w)


def test_random_layer_keeps_edges_and_weights(sparse_layer):
    null = random_layer_like(sparse_layer, rng=3)
    assert null.weight.shape == sparse_layer.weight.shape
    assert null.n_edges == sparse_layer.n_edges
    assert torch.equal(null.weight[null.weight != 0].sort().values,
                       sparse_layer.weight[sparse_layer.weight != 0].sort().values)
    assert int(null.multiplicity.sum()) == int(sparse_layer.multiplicity.sum())
    assert null.name == sparse_layer.name and null.in_space == sparse_layer.in_space
    # the mask is new, not the observed one
    assert not torch.equal(null.mask, sparse_layer.mask)


def test_random_layer_is_seeded(sparse_layer):
    a, b, c = (random_layer_like(sparse_layer, rng=s) for s in (7, 7, 8))
    assert torch.equal(a.weight, b.weight)
    assert not torch.equal(a.weight, c.weight)


def test_random_layer_in_degree_is_hypergeometric(sparse_layer):
    """G(n, m) in-degrees follow HG(N=in*out, K=m, n=in): chi-square on pooled bins."""
    null = random_layer_like(sparse_layer, rng=0)
    n_in, m = sparse_layer.in_units, int(sparse_layer.n_edges)
    deg = null.in_degree
    dist = stats.hypergeom(sparse_layer.in_units * sparse_layer.out_units, m, n_in)
    lo, hi = int(dist.ppf(0.02)), int(dist.ppf(0.98))
    edges = np.arange(lo, hi + 2)
    observed = np.array([(deg < lo).sum()] + [np.sum(deg == k) for k in range(lo, hi + 1)]
                        + [(deg > hi).sum()])
    probs = np.array([dist.cdf(lo - 1)] + [dist.pmf(k) for k in range(lo, hi + 1)]
                     + [dist.sf(hi)])
    expected = probs / probs.sum() * deg.size
    # pool bins with expected < 5
    obs_p, exp_p, acc_o, acc_e = [], [], 0, 0.0
    for o, e in zip(observed, expected):
        acc_o, acc_e = acc_o + o, acc_e + e
        if acc_e >= 5:
            obs_p.append(acc_o), exp_p.append(acc_e)
            acc_o, acc_e = 0, 0.0
    obs_p[-1] += acc_o
    exp_p[-1] += acc_e
    assert len(edges) > 3
    p = stats.chisquare(obs_p, exp_p).pvalue
    assert p > 1e-3, p


def test_random_layer_has_no_heavy_tail_when_observed_does():
    """A planted hub layer loses its hubs under the null."""
    w = torch.zeros(100, 400)
    w[0, :] = 1.0          # one hub output unit with in-degree 400
    w[1:, :2] = 1.0        # everyone else in-degree 2
    null = random_layer_like(make_layer(w), rng=0)
    assert null.in_degree.max() < 30


def test_rewire_preserves_degrees_and_scrambles(block_layer):
    r = rewire_layer(block_layer, rng=0)
    np.testing.assert_array_equal(r.in_degree, block_layer.in_degree)
    np.testing.assert_array_equal(r.out_degree, block_layer.out_degree)
    assert r.n_edges == block_layer.n_edges
    cross = int(r.mask[:20, 20:].sum() + r.mask[20:, :20].sum())
    assert cross > 0.25 * int(r.n_edges), cross  # edges now cross the blocks
    # strengths of output units are kept (weights travel with their output end)
    np.testing.assert_allclose(r.in_strength, block_layer.in_strength, rtol=1e-6)


def test_rewire_seeded_and_zero_swaps(block_layer):
    assert torch.equal(rewire_layer(block_layer, rng=4).weight, rewire_layer(block_layer, rng=4).weight)
    same = rewire_layer(block_layer, swaps_per_edge=0, rng=4)
    assert torch.equal(same.mask, block_layer.mask)
    with pytest.raises(ValueError, match="swaps_per_edge"):
        rewire_layer(block_layer, swaps_per_edge=-1)


def test_random_network_like_per_layer(sparse_layer):
    import prunegraph

    model = torch.nn.Sequential(torch.nn.Linear(30, 20), torch.nn.ReLU(), torch.nn.Linear(20, 10))
    with torch.no_grad():
        model[0].weight[torch.rand(20, 30, generator=torch.Generator().manual_seed(2)) > 0.3] = 0
    net = prunegraph.load(model)
    null = random_network_like(net, rng=0)
    assert [lay.n_edges for lay in null.layers] == [lay.n_edges for lay in net.layers]
    assert any("null" in n for n in null.notes)
    again = random_network_like(net, rng=0)
    assert all(torch.equal(a.weight, b.weight) for a, b in zip(null.layers, again.layers))


def test_degree_only_null_equals_full_null(sparse_layer):
    """Same seed: the O(edges) degree-only null is the full null's degrees, strengths included,
    whether given the layer or its edge multiset (so analysis can free the layer first)."""
    from prunegraph.degrees import LayerDegrees
    from prunegraph.nulls import edge_multiset, random_layer_degrees

    full = LayerDegrees.from_layer(random_layer_like(sparse_layer, rng=11))
    for src in (sparse_layer, edge_multiset(sparse_layer, block_bytes=4 * 300 * 7)):  # 7-row blocks
        d = random_layer_degrees(src, rng=11)
        np.testing.assert_array_equal(d.in_degree, full.in_degree)
        np.testing.assert_array_equal(d.out_degree, full.out_degree)
        np.testing.assert_allclose(d.in_strength, full.in_strength, rtol=1e-6)
        np.testing.assert_allclose(d.out_strength, full.out_strength, rtol=1e-6)
        assert d.n_edges == sparse_layer.n_edges
