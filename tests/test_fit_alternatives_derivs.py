"""The closed-form gradients and Hessians behind the likelihood-ratio fits.

:func:`prunegraph.fit._alternatives._alt_logp` gives its Newton a function θ ↦ (nll, ∇nll,
∇²nll) for the lognormal (θ = (μ, ln σ)), the stretched exponential (θ = (ln γ, β)), the
cut-off power law (θ = (α, ln λ)) and the exponential with an upper bound (θ = ln λ).  Each
is checked here at several parameter points, for continuous and discrete tails, with and
without an upper bound, against

* a *literal* negative log-likelihood written out in this file — the normaliser summed term by
  term over the integers (out to where the terms are < 1e-26 of the largest) or integrated by
  mpmath at 20 digits — differentiated by finite differences (so the Euler–Maclaurin rest,
  the signed pieces and the algebra are all checked against code that shares none of them);
* five-point differences of the library's own likelihood (the value the fits are judged by);

and the special functions they rest on against mpmath.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
from scipy import special

from prunegraph.fit import _alternatives as A
from prunegraph.fit import compare_distributions, fit_power_law


def _objective(x, alt, *, discrete, xmax=None, xmin=None):
    """(nll, derivs, tail values, tail counts, xmin, xmax) of ``alt`` on the tail of sample x,
    taken from the first Newton that :func:`compare_distributions` starts."""
    seen = []
    real = A._newton

    def spy(nll, starts, *, derivs=None, **kw):
        if derivs is not None and not seen:
            seen.append((nll, derivs))
        return real(nll, starts, derivs=derivs, **kw)

    A._newton = spy
    try:
        fit = fit_power_law(x, discrete=discrete, xmin=xmin, xmax=xmax)
        compare_distributions(fit, [alt])
    finally:
        A._newton = real
    m = fit.values >= fit.xmin
    if fit.xmax is not None:
        m &= fit.values <= fit.xmax
    assert seen, "no closed-form derivatives were used"
    return seen[0] + (fit.values[m], fit.counts[m].astype(float), fit.xmin, fit.xmax)


def _logf(alt, th, x, xmin):
    """ln f(x) up to θ-free terms, written from each family's definition (not the library's)."""
    if alt == "lognormal":
        mu, s = th[0], math.exp(th[1])
        return -np.log(x) - (np.log(x) - mu) ** 2 / (2 * s * s)
    if alt == "stretched_exponential":  # γ = λβ: x^{β−1} exp(−λ(x^β − xmin^β))
        g, b = math.exp(th[0]), th[1]
        return (b - 1) * np.log(x) - (g / b) * (x ** b - xmin ** b)
    if alt == "exponential":
        return -math.exp(th[0]) * x
    a, lam = th[0], math.exp(th[1])
    return -a * np.log(x) - lam * x


def _literal_lnz(alt, th, xmin, xmax, discrete):
    if discrete:
        top = xmax
        if top is None:  # out to where the terms are < 1e-26 of the largest (and falling)
            head = _logf(alt, th, np.arange(xmin, xmin + 1000.0), xmin).max()
            top = 1000.0
            while _logf(alt, th, np.array([top, top + 1]), xmin)[0] > head - 60 or top < 1e4:
                top *= 2
            assert top < 1e8
        lf = _logf(alt, th, np.arange(xmin, top + 1.0), xmin)
        return float(special.logsumexp(lf))
    mp.mp.dps = 20
    if alt == "lognormal":
        mu, s = mp.mpf(th[0]), mp.exp(th[1])
        f = lambda v: mp.exp(-(mp.log(v) - mu) ** 2 / (2 * s * s)) / v  # noqa: E731
    elif alt == "stretched_exponential":
        g, b = mp.exp(th[0]), mp.mpf(th[1])
        f = lambda v: v ** (b - 1) * mp.exp(-(g / b) * (v ** b - mp.mpf(xmin) ** b))  # noqa: E731
    elif alt == "exponential":
        lam = mp.exp(th[0])
        f = lambda v: mp.exp(-lam * v)  # noqa: E731
    else:
        a, lam = mp.mpf(th[0]), mp.exp(th[1])
        f = lambda v: v ** (-a) * mp.exp(-lam * v)  # noqa: E731
    hi = mp.inf if xmax is None else mp.mpf(xmax)
    pts = [mp.mpf(xmin)] + [mp.mpf(xmin) * 10 ** k for k in range(1, 8) if xmax is None or xmin * 10 ** k < xmax] + [hi]
    return float(mp.log(mp.quad(f, pts)))


def _fd(f, th, h):
    th = np.asarray(th, float)
    k = th.size
    e = np.eye(k) * h
    g = np.array([(8 * (f(th + e[i]) - f(th - e[i])) - (f(th + 2 * e[i]) - f(th - 2 * e[i]))) / (12 * h)
                  for i in range(k)])
    H = np.array([[(f(th + e[i] + e[j]) - f(th + e[i] - e[j]) - f(th - e[i] + e[j]) + f(th - e[i] - e[j]))
                   / (4 * h * h) for j in range(k)] for i in range(k)])
    return g, H


def _rng_tail(kind, discrete, seed=0):
    r = np.random.default_rng(seed)
    x = {"lognormal": lambda: r.lognormal(2.0, 0.8, 2500),
         "weibull": lambda: 5.0 * r.weibull(0.5, 2500),
         "exponential": lambda: 1.0 + r.exponential(3.0, 2500),
         "cutoff": lambda: (1 - r.random(2500)) ** (-1 / 0.6) * 2.0}[kind]()
    if discrete:
        x = np.ceil(x)
    return x[x > 0]


#: (family, sample kind, discrete, truncated, xmin, parameter points θ)
CASES = [
    ("lognormal", "lognormal", False, False, 4.0, [(2.0, -0.2), (1.0, 0.3), (-3.0, 0.9)]),
    ("lognormal", "lognormal", True, False, 4, [(2.0, -0.2), (1.0, 0.3), (-1.0, 0.2)]),
    ("lognormal", "lognormal", False, True, 4.0, [(2.0, -0.2), (3.5, 0.1)]),
    ("lognormal", "lognormal", True, True, 4, [(2.0, -0.2), (3.5, 0.1)]),
    ("stretched_exponential", "weibull", False, False, 2.0, [(-0.5, 0.5), (0.3, 0.05), (-3.0, 1.4)]),
    ("stretched_exponential", "weibull", True, False, 2, [(-0.5, 0.5), (0.3, 0.15), (-3.0, 1.4)]),
    ("stretched_exponential", "weibull", True, True, 2, [(-0.5, 0.5), (-1.5, 0.9)]),
    ("truncated_power_law", "cutoff", False, False, 3.0, [(1.6, -4.0), (0.7, -2.0), (2.5, -7.0)]),
    ("truncated_power_law", "cutoff", True, False, 3, [(1.6, -4.0), (0.7, -2.0), (2.5, -7.0)]),
    ("truncated_power_law", "cutoff", True, True, 3, [(1.6, -4.0), (0.5, -6.0)]),
    # the exponential's MLE is closed-form without xmax; with it, a 1-D Newton on ln λ
    ("exponential", "exponential", False, True, 2.0, [(-2.0,), (0.5,), (-6.0,)]),
    ("exponential", "exponential", True, True, 2, [(-2.0,), (0.5,), (-6.0,)]),
]


@pytest.mark.parametrize("alt,kind,discrete,truncated,xmin,points", CASES,
                         ids=[f"{c[0]}-{'disc' if c[2] else 'cont'}{'-trunc' if c[3] else ''}" for c in CASES])
def test_derivatives_equal_the_literal_likelihood(alt, kind, discrete, truncated, xmin, points):
    x = _rng_tail(kind, discrete)
    xmax = float(np.ceil(np.quantile(x, 0.97))) if truncated else None
    nll, derivs, u, c, xmin, xmax = _objective(x, alt, discrete=discrete, xmax=xmax, xmin=xmin)
    n = c.sum()

    def literal(th):
        return -float(c @ _logf(alt, th, u, xmin)) + n * _literal_lnz(alt, th, xmin, xmax, discrete)

    for th in points:
        v, g, H = derivs(np.array(th, float))
        # the value itself is the library's likelihood to rounding
        assert v == pytest.approx(nll(np.array(th, float)), rel=1e-13, abs=1e-10)
        # against the literal normaliser: the same function up to θ-free terms, so gradients and
        # Hessians agree (to the literal's differencing error and the Euler–Maclaurin ~1e-8)
        gl, Hl = _fd(literal, th, 1e-3)
        scale = max(1.0, float(np.abs(gl).max()))
        assert np.abs(g - gl).max() <= 2e-6 * scale, (th, g, gl)
        assert np.abs(H - Hl).max() <= 1e-4 * max(1.0, float(np.abs(Hl).max())), (th, H, Hl)
        # against the library's own likelihood, more tightly
        gf, Hf = _fd(nll, th, 1e-4)
        assert np.abs(g - gf).max() <= 1e-7 * max(1.0, float(np.abs(gf).max())), (th, g, gf)
        assert np.abs(H - Hf).max() <= 1e-5 * max(1.0, float(np.abs(Hf).max())), (th, H, Hf)


def test_exact_blocks_are_differentiated():
    """Where f still falls fast on the unit scale at the head's end (a strong cut-off), the
    Euler–Maclaurin correction is not small and :func:`_log_rest` sums an exact 1,000-term block
    instead; the derivative pieces follow it (one more grid piece) and stay exact."""
    x = np.random.default_rng(4).zipf(3.5, 3000).astype(float)
    nll, derivs, u, c, xmin, xmax = _objective(x, "truncated_power_law", discrete=True, xmin=1)
    grids = []
    real = A._piece_grid

    def spy(*a):
        grids.append(a[0].size)
        return real(*a)

    A._piece_grid = spy
    try:
        for lam, blocks in ((5.0, 1), (1e-3, 0)):
            grids.clear()
            th = np.array([1.5, math.log(lam)])
            v, g, H = derivs(th)
            assert grids.count(1000) == blocks
            gf, Hf = _fd(nll, th, 1e-4)
            assert np.abs(g - gf).max() <= 1e-7 * max(1.0, float(np.abs(gf).max()))
            assert np.abs(H - Hf).max() <= 1e-5 * max(1.0, float(np.abs(Hf).max()))
    finally:
        A._piece_grid = real


@pytest.mark.parametrize("s,z", [(0.69, 2.26), (-1.5, 1e-3), (-2.2, 0.05), (0.3, 0.5), (-0.5, 30.0),
                                 (-3.0, 1e-6), (0.999, 1e-4), (-1.0, 0.7)])
def test_incomplete_gamma_derivatives_against_mpmath(s, z):
    mp.mp.dps = 40

    def G(a, b):
        return mp.log(mp.gammainc(a, b, mp.inf))
    got = A._dlog_uigamma(s, z)
    want = [G(s, z), mp.diff(lambda a: G(a, z), s), mp.diff(lambda b: G(s, b), z),
            mp.diff(lambda a: G(a, z), s, 2), mp.diff(lambda a, b: G(a, b), (s, z), (1, 1)),
            mp.diff(lambda b: G(s, b), z, 2)]
    tol = [1e-14, 1e-10, 1e-12, 1e-7, 1e-9, 1e-12]
    for name, a, b, t in zip(("G", "Gs", "Gz", "Gss", "Gsz", "Gzz"), got, want, tol):
        assert abs(a - float(b)) <= t * max(1.0, abs(float(b))), (name, a, float(b))


def test_expm1_integrals_against_mpmath():
    """E, E′, E″ of the stretched exponential (∫₀^L s^k e^{βs} ds) across the series/closed-form
    switch at βL = 1e-3 and at β = 0."""
    mp.mp.dps = 30
    for b in (0.0, 1e-9, 1e-5, 1e-3, 0.3, 2.0, 15.0):
        L = np.array([1e-6, 1e-3, 0.05, 0.5, 2.0, 5.0])
        got = A._E012(b, L)
        for k, tol in ((0, 1e-15), (1, 1e-13), (2, 1e-10)):
            want = np.array([float(mp.quad(lambda s: s ** k * mp.e ** (b * s), [0, v])) for v in L])
            assert np.all(np.abs(got[k] - want) <= tol * np.abs(want)), (b, k)


def test_natural_parameter_chain_rule():
    """The Newton in natural parameters gets ∇_φ = Jᵀ∇_θ and ∇²_φ = JᵀHJ + Σ ∂_k nll ∇²θ_k:
    equal to differences of φ ↦ nll(θ(φ)) for the lognormal and the cut-off power law."""
    seen = {}
    real = A._fit_minimize

    def spy(nll, starts, **kw):
        seen[len(seen)] = (nll, kw["derivs"], kw["natural"], kw["natural_jet"])
        return real(nll, starts, **kw)

    A._fit_minimize = spy
    try:
        x = np.ceil(np.random.default_rng(1).lognormal(2.0, 0.6, 1500))
        compare_distributions(fit_power_law(x, discrete=True, xmin=4), ["lognormal", "truncated_power_law"])
    finally:
        A._fit_minimize = real
    for nll, derivs, (fwd, back), jet in seen.values():
        nd = A._chain(derivs, jet)
        for th in ([2.0, -0.3], [1.5, -2.0]):
            ph = fwd(np.array(th))
            v, g, H = nd(ph)
            f = lambda p: nll(back(p))  # noqa: E731
            h = 1e-4 * max(1.0, float(np.abs(ph).min()))
            gf, Hf = _fd(f, ph, h)
            assert v == pytest.approx(nll(np.array(th)), rel=1e-12)
            assert np.allclose(g, gf, rtol=1e-6, atol=1e-6 * np.abs(gf).max())
            assert np.allclose(H, Hf, rtol=1e-4, atol=1e-4 * np.abs(Hf).max())
