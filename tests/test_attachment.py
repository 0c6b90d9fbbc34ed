"""Attachment kernel estimator: hand-checked cases, a literal reference, recovery of known β."""

from __future__ import annotations

import numpy as np
import pytest

from prunegraph.attachment import (attachment_kernel, internal_attachment, measure_attachment,
                                   new_edges)
from prunegraph.errors import InputError, UsageError


# --------------------------------------------------------------------------- generators
def _broad_layer(rng, n_t=1500, n_s=400):
    """Targets with in-degrees spread over 0..~80 (sources with varied out-degrees)."""
    p = rng.uniform(0, 0.2, n_t)
    q = rng.uniform(0.2, 1.0, n_s)
    return rng.random((n_t, n_s)) < p[:, None] * q[None, :]


def grow_one_ended(beta, seed, m=6000):
    """New edges: target j drawn ∝ k_in(j)^β (with replacement), then a uniform absent source."""
    rng = np.random.default_rng(seed)
    before = _broad_layer(rng)
    k = before.sum(1).astype(float)
    w = np.where(k > 0, k, 0.0) ** beta if beta > 0 else np.ones_like(k)
    counts = np.bincount(rng.choice(k.size, size=m, p=w / w.sum()), minlength=k.size)
    after = before.copy()
    for j in np.flatnonzero(counts):
        absent = np.flatnonzero(~before[j])
        after[j, rng.choice(absent, size=min(counts[j], absent.size), replace=False)] = True
    return before, after


def grow_pairs(beta, seed, m=6000):
    """New edges among absent pairs drawn ∝ (k_out(i) k_in(j))^β without replacement (Gumbel-top-k)."""
    rng = np.random.default_rng(seed)
    before = _broad_layer(rng)
    kin, kout = before.sum(1).astype(float), before.sum(0).astype(float)
    with np.errstate(divide="ignore"):
        logw = beta * (np.log(kin)[:, None] + np.log(kout)[None, :]) if beta else np.zeros(before.shape)
    keys = logw + rng.gumbel(size=before.shape)
    keys[before] = -np.inf
    after = before.copy()
    after.ravel()[np.argpartition(-keys.ravel(), m)[:m]] = True
    return before, after


def literal_pi(before, after, side):
    """Slow literal Π(k): loop over nodes and new edges."""
    new = after & ~before
    n_nodes, n_new = {}, {}
    if side == "in":
        for j in range(before.shape[0]):
            k = int(before[j].sum())
            n_nodes[k] = n_nodes.get(k, 0) + 1
            n_new[k] = n_new.get(k, 0) + int(new[j].sum())
    else:
        for i in range(before.shape[1]):
            k = int(before[:, i].sum())
            n_nodes[k] = n_nodes.get(k, 0) + 1
            n_new[k] = n_new.get(k, 0) + int(new[:, i].sum())
    return {k: n_new[k] / n_nodes[k] for k in sorted(n_nodes)}


# --------------------------------------------------------------------------- hand-checked
def test_hand_checked_in_kernel():
    # targets (rows) with in-degrees 0, 1, 1, 2 before; new edges: row0 +1, row1 +1, row3 +2
    before = np.array([[0, 0, 0, 0],
                       [1, 0, 0, 0],
                       [0, 1, 0, 0],
                       [1, 1, 0, 0]], bool)
    after = before.copy()
    after[0, 0] = after[1, 1] = after[3, 2] = after[3, 3] = True
    res = attachment_kernel(before, after, side="in", bootstrap=0)
    assert res.k == (0.0, 1.0, 2.0)
    assert res.pi == pytest.approx((1.0, 0.5, 2.0))
    # trapezoid: κ(0)=0, κ(1)=(1+0.5)/2, κ(2)=0.75+(0.5+2)/2
    assert res.kappa == pytest.approx((0.0, 0.75, 2.0))
    assert res.n_new_edges == 4 and res.n_removed_edges == 0
    assert res.slope is None  # only two positive classes: no fit


def test_new_edges_counts_removed():
    b = np.array([[1, 1], [0, 1]], bool)
    a = np.array([[1, 0], [1, 1]], bool)
    m, removed = new_edges(b, a)
    assert m.tolist() == [[False, False], [True, False]]
    assert removed == 1


@pytest.mark.parametrize("side", ["in", "out"])
def test_matches_literal_reference(side):
    rng = np.random.default_rng(3)
    before = rng.random((60, 45)) < rng.uniform(0, 0.4, (60, 1))
    after = before | (rng.random((60, 45)) < 0.05)
    res = attachment_kernel(before, after, side=side, bootstrap=0)
    ref = literal_pi(before, after, side)
    assert res.k == tuple(float(k) for k in ref)
    assert res.pi == pytest.approx(tuple(ref.values()))
    # κ as a literal trapezoid integral over the observed classes, from 0
    ks, pis = list(ref), list(ref.values())
    if ks[0] > 0:
        ks, pis = [0] + ks, [pis[0]] + pis
    kappa = np.concatenate([[0.0], np.cumsum([(pis[i] + pis[i + 1]) / 2 * (ks[i + 1] - ks[i])
                                              for i in range(len(ks) - 1)])])
    if list(ref)[0] > 0:
        kappa = kappa[1:]
    assert res.kappa == pytest.approx(tuple(kappa))


def test_pooled_mapping_equals_concatenated_layers():
    rng = np.random.default_rng(5)
    b1, b2 = rng.random((30, 20)) < 0.2, rng.random((25, 20)) < 0.3
    a1, a2 = b1 | (rng.random((30, 20)) < 0.1), b2 | (rng.random((25, 20)) < 0.1)
    pooled = attachment_kernel({"x": b1, "y": b2}, {"x": a1, "y": a2}, side="in", bootstrap=0)
    stacked = attachment_kernel(np.vstack([b1, b2]), np.vstack([a1, a2]), side="in", bootstrap=0)
    assert pooled.pi == pytest.approx(stacked.pi)
    assert pooled.beta == pytest.approx(stacked.beta)


def test_internal_hand_checked():
    # sources (columns) out-degrees [1, 1, 0]; targets (rows) in-degrees [1, 1]
    before = np.array([[1, 0, 0], [0, 1, 0]], bool)
    after = before.copy()
    after[0, 1] = True   # pair (k1=1, k2=1): product 1
    after[1, 2] = True   # pair (k1=0, k2=1): product 0
    res = internal_attachment(before, after, bootstrap=0)
    # unconnected pairs: product 1 -> (0,1),(1,0) = 2 pairs; product 0 -> column 2 = 2 pairs
    assert res.k == (0.0, 1.0)
    assert res.pi == pytest.approx((0.5, 0.5))
    assert res.exposure_per_class == (2.0, 2.0)


# --------------------------------------------------------------------------- recovery of β
@pytest.mark.parametrize("beta", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_recovers_known_beta(beta, seed):
    before, after = grow_one_ended(beta, seed)
    res = attachment_kernel(before, after, side="in", bootstrap=200, rng=seed)
    assert abs(res.beta - beta) < 0.12
    lo, hi = res.ci
    assert lo < res.beta < hi
    assert lo - 0.05 <= beta <= hi + 0.05


def test_out_side_of_target_driven_growth_has_no_preference():
    before, after = grow_one_ended(1.0, 0)   # sources are uniform: β_out ≈ 0
    res = attachment_kernel(before, after, side="out", bootstrap=0)
    assert abs(res.beta) < 0.2


@pytest.mark.parametrize("beta,slope", [(0.0, 1.0), (1.0, 2.0)])
def test_internal_slope(beta, slope):
    before, after = grow_pairs(beta, 2)
    res = internal_attachment(before, after, bootstrap=30, rng=0)
    assert abs(res.slope - slope) < 0.2
    assert res.ci is not None and res.ci[0] < res.beta < res.ci[1]


def test_bootstrap_is_reproducible():
    before, after = grow_one_ended(0.5, 4, m=2000)
    a = attachment_kernel(before, after, bootstrap=50, rng=7)
    b = attachment_kernel(before, after, bootstrap=50, rng=7)
    assert a.ci == b.ci


def test_measure_attachment_to_dict():
    before, after = grow_one_ended(1.0, 0, m=2000)
    d = measure_attachment({"fc": before}, {"fc": after}, bootstrap=20, rng=0).to_dict()
    assert set(d) == {"in", "out", "internal", "layers"}
    assert d["in"]["beta"] == pytest.approx(attachment_kernel(before, after, bootstrap=0).beta)
    assert "kappa" in d["in"]["definition"]


# --------------------------------------------------------------------------- errors
def test_errors():
    with pytest.raises(InputError, match="shape"):
        attachment_kernel(np.zeros((3, 2), bool), np.zeros((2, 3), bool))
    with pytest.raises(UsageError, match="side"):
        attachment_kernel(np.zeros((3, 2), bool), np.zeros((3, 2), bool), side="total")
    with pytest.raises(InputError, match="2-D"):
        attachment_kernel(np.zeros(3), np.zeros(3))
    with pytest.raises(InputError, match="only one snapshot"):
        attachment_kernel({"a": np.zeros((2, 2))}, {"b": np.zeros((2, 2))})
    with pytest.raises(UsageError, match="mix"):
        attachment_kernel({"a": np.zeros((2, 2))}, np.zeros((2, 2)))
    with pytest.raises(InputError, match="NaN"):
        attachment_kernel(np.full((2, 2), np.nan), np.zeros((2, 2)))
