"""Growth strategies: exact budgets, free positions only, sampling law, pa keeps the exponent."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from prunegraph.continual.growth import (STRATEGIES, fit_kernel, grow_layer, sample_edges,
                                         shift_mle)
from prunegraph.errors import UsageError
from prunegraph.fit import fit_power_law


@pytest.fixture
def layer_state():
    rng = np.random.default_rng(0)
    owned = torch.from_numpy(rng.random((40, 60)) < rng.uniform(0, 0.5, (40, 1)))
    region = torch.ones(40, 60, dtype=torch.bool)
    region[:5] = False                      # rows another task's head would hold
    free = ~owned & region
    return owned, free


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_grows_exact_budget_into_free_positions(strategy, layer_state):
    owned, free = layer_state
    grad = torch.from_numpy(np.random.default_rng(1).random(free.shape))
    n = 150
    picked, dec = grow_layer(strategy, free, n, in_degree=owned.sum(1).numpy(),
                             out_degree=owned.sum(0).numpy(), grad=grad, rng=0)
    expected = int(free.sum()) if strategy == "packnet" else n
    assert int(picked.sum()) == expected == dec.grown
    assert not bool((picked & ~free).any())
    assert dec.free_before == int(free.sum())


@pytest.mark.parametrize("strategy", ["pa", "uniform", "gradient"])
def test_budget_capped_at_free(strategy, layer_state):
    owned, free = layer_state
    grad = torch.rand(free.shape, generator=torch.Generator().manual_seed(0))
    picked, _ = grow_layer(strategy, free, 10**6, in_degree=owned.sum(1).numpy(),
                           out_degree=owned.sum(0).numpy(), grad=grad, rng=0)
    assert torch.equal(picked, free)


def test_gradient_picks_largest_scores(layer_state):
    _, free = layer_state
    grad = torch.from_numpy(np.random.default_rng(2).standard_normal(free.shape))
    picked, _ = grow_layer("gradient", free, 30, grad=grad)
    chosen = grad.abs()[picked]
    rest = grad.abs()[free & ~picked]
    assert float(chosen.min()) >= float(rest.max())


def test_sample_edges_follows_weights():
    """Gumbel-top-1 frequencies match the normalised weights (χ² against the exact law)."""
    free = torch.tensor([[True, True, False, True, True]])
    w = torch.tensor([[1.0, 2.0, 50.0, 3.0, 4.0]])
    counts = np.zeros(5)
    gen = np.random.default_rng(0)
    draws = 4000
    for _ in range(draws):
        counts += sample_edges(free, 1, log_weight=torch.log(w), rng=gen).numpy()[0]
    assert counts[2] == 0
    p = np.array([1, 2, 0, 3, 4]) / 10.0
    keep = p > 0
    chi2 = float((((counts - draws * p) ** 2)[keep] / (draws * p[keep])).sum())
    assert chi2 < 16.3  # χ²(3) 99.9 % quantile


def test_sample_edges_reproducible_and_errors():
    free = torch.ones(10, 10, dtype=torch.bool)
    assert torch.equal(sample_edges(free, 7, rng=3), sample_edges(free, 7, rng=3))
    with pytest.raises(UsageError):
        sample_edges(free, -1)
    with pytest.raises(UsageError, match="strategy"):
        grow_layer("magic", free, 3)
    with pytest.raises(UsageError, match="degrees"):
        grow_layer("pa", free, 3)


def test_shift_mle_recovers_shift():
    k = np.arange(5000)
    for a in (0.5, 4.0):
        p = (k + a) ** -2.5
        x = np.random.default_rng(1).choice(k, 20000, p=p / p.sum())
        assert shift_mle(x, 2.5, a_min=1e-3) == pytest.approx(a, rel=0.1)


def test_fit_kernel_rule_and_fallbacks():
    rng = np.random.default_rng(0)
    deg = np.floor(10 * rng.random(3000) ** (-1 / 1.5)).astype(int)   # α = 2.5 tail, xmin 10
    kern = fit_kernel(deg, side="in")
    ref = fit_power_law(deg[deg > 0], discrete=True)
    assert kern.plausible and kern.fitted_alpha == pytest.approx(ref.alpha)
    assert kern.offset == pytest.approx(max(1.0, shift_mle(deg[deg >= ref.xmin], ref.alpha)))
    # empty layer: uniform; too few points: default alpha
    assert fit_kernel(np.zeros(5, int), side="in").offset is None
    small = fit_kernel(np.array([0, 1, 2, 1]), side="out")
    assert not small.plausible and small.alpha == 3.0
    assert fit_kernel(np.array([0, 1, 2, 1]), side="out", default_alpha=None).offset is None


def _scale_free_layer(seed, n_t=2000, n_s=3000, alpha=2.5, kmin=10):
    rng = np.random.default_rng(seed)
    d = np.minimum(np.floor(kmin * rng.random(n_t) ** (-1 / (alpha - 1))).astype(int), n_s // 5)
    keys = rng.random((n_t, n_s))
    thresh = np.sort(keys, axis=1)[np.arange(n_t), d - 1]
    return torch.from_numpy(keys <= thresh[:, None])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pa_keeps_exponent_uniform_drifts(seed):
    """One growth step adding 30 % edges: pa keeps the in-degree α, uniform pushes it up."""
    M0 = _scale_free_layer(seed)
    k0 = M0.sum(1).numpy()
    f0 = fit_power_law(k0[k0 > 0], discrete=True)
    fits = {}
    for strategy in ("pa", "uniform"):
        picked, _ = grow_layer(strategy, ~M0, int(0.3 * int(M0.sum())), in_degree=k0,
                               out_degree=M0.sum(0).numpy(), rng=seed)
        k = (M0 | picked).sum(1).numpy()
        fits[strategy] = fit_power_law(k[k > 0], discrete=True)
    pa, un = fits["pa"], fits["uniform"]
    half_width = 1.96 * math.hypot(f0.sigma, pa.sigma)   # 95 % CI of the difference
    assert abs(pa.alpha - f0.alpha) < half_width
    assert un.alpha - f0.alpha > 1.96 * math.hypot(f0.sigma, un.sigma)
    assert un.alpha - f0.alpha > 2 * abs(pa.alpha - f0.alpha)


@pytest.mark.parametrize("seed", [0, 1])
def test_fit_kernel_falls_back_on_binomial_degrees(seed):
    """Random-pruning (binomial) degrees are not scale-free: the default exponent is used."""
    deg = np.random.default_rng(seed).binomial(784, 0.05, 3000)
    kern = fit_kernel(deg, side="in")
    assert not kern.plausible and kern.alpha == 3.0
    assert kern.offset == pytest.approx(shift_mle(deg, 3.0, a_min=1.0))
    assert kern.offset > 5.0          # flatter than the f(k) = k + 1 of a clean power-law tail
