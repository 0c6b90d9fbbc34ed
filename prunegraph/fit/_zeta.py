"""Log Hurwitz zeta and its α-derivatives, vectorised, safe against underflow.

ζ(α, q) = Σ_{k≥0} (q + k)^−α  (the normaliser of the discrete power law, CSN eq. 2.4).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import special

_TINY = 1e-280
_EM_SHIFT = 16
#: the Hurwitz ζ ufunc itself (``special.zeta`` is a thin Python wrapper around it)
_hzeta = getattr(getattr(special, "_ufuncs", None), "_zeta", None) or special.zeta


def _log_hzeta_asymptotic(a: np.ndarray, q: np.ndarray) -> np.ndarray:
    """ln ζ(a, q) by an explicit head of ``_EM_SHIFT`` terms and Euler–Maclaurin beyond.

    Written with q^−a factored out so it never underflows; used only where scipy's
    ``zeta`` underflows (a·ln q ≳ 640), i.e. large q, where the expansion is very accurate.
    """
    k = np.arange(_EM_SHIFT, dtype=float)
    head = np.exp(-a[:, None] * np.log1p(k[None, :] / q[:, None])).sum(axis=1)
    qn = q + _EM_SHIFT
    tail_scale = np.exp(-a * np.log1p(_EM_SHIFT / q))  # (qn/q)^-a
    em = (qn / (a - 1.0) + 0.5 + a / (12.0 * qn)
          - a * (a + 1) * (a + 2) / (720.0 * qn ** 3)
          + a * (a + 1) * (a + 2) * (a + 3) * (a + 4) / (30240.0 * qn ** 5))
    return -a * np.log(q) + np.log(head + tail_scale * em)


def log_hzeta(a, q) -> np.ndarray:
    """ln ζ(a, q) for a > 1, q > 0 (broadcast), without underflow.

    Examples
    --------
    >>> round(float(np.exp(log_hzeta(2.0, 1.0))), 12)  # π²/6
    1.644934066848
    """
    a, q = np.asarray(a, dtype=float), np.asarray(q, dtype=float)
    if a.shape != q.shape:
        a, q = np.broadcast_arrays(a, q)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        z = _hzeta(a, q)
        out = np.log(z)
    bad = ~(z > _TINY) | ~np.isfinite(out)
    bad &= a > 1.0
    if np.any(bad):
        out = np.array(out, dtype=float, copy=True)
        out[bad] = _log_hzeta_asymptotic(a[bad], q[bad])
    return out


def dlog_hzeta(a, q, *, h: float = 1e-5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (ln ζ, ∂ ln ζ/∂a, ∂² ln ζ/∂a²) by central differences of ln ζ.

    ∂ ln ζ/∂a = −E[ln X] and ∂² ln ζ/∂a² = Var[ln X] under the discrete power law, so the
    MLE equation ζ'(α, xmin)/ζ(α, xmin) = −mean(ln x) (CSN eq. 3.5) reads d1 = −mean(ln x).
    """
    a = np.asarray(a, dtype=float)
    # the three abscissae in one vectorised call (the same values as three calls)
    g0, gp, gm = log_hzeta(np.stack([a, a + h, a - h]), np.broadcast_to(q, a.shape)[None])
    d1 = (gp - gm) / (2 * h)
    d2 = (gp - 2 * g0 + gm) / (h * h)
    return g0, d1, d2


#: explicit head terms of :func:`log_hzeta_derivs`
HEAD = 16
#: largest accepted estimate of the Euler–Maclaurin truncation error, relative to ζ
_EM_ERR = 1e-13
#: Euler–Maclaurin coefficients B_2j/(2j)! for j = 1..5, and the rising factorials
#: (a)_{2j−1} = a(a+1)…(a+2j−2) as rows of monomial coefficients (a^0 … a^9)
_EM_COEF = np.array([1 / 12, -1 / 720, 1 / 30240, -1 / 1209600, 1 / 47900160])
_EM_RISE = np.zeros((5, 10))
for _j in range(5):
    _c = np.polynomial.polynomial.polyfromroots(-np.arange(2.0 * _j + 1))
    _EM_RISE[_j, :_c.size] = _c
_POW10 = np.arange(10.0)


class ZetaPrep(NamedTuple):
    """The a-independent parts of :func:`log_hzeta_derivs` for a vector of q (row-indexable
    with :meth:`take`): head logs L = ln(1 + k/q), s = q + HEAD, ln(s/q), ln q, and the
    Euler–Maclaurin polynomial in a (and its first two a-derivatives) as monomial coefficients,
    plus the last series term's coefficients for the truncation check."""

    logs: np.ndarray
    s: np.ndarray
    lt: np.ndarray
    logq: np.ndarray
    d0: np.ndarray
    d1: np.ndarray
    d2: np.ndarray
    last: np.ndarray

    def take(self, idx) -> ZetaPrep:
        return ZetaPrep(*(v[idx] for v in self))


def zeta_prep(q) -> ZetaPrep:
    """Precompute what :func:`log_hzeta_derivs` needs of q alone (reused across Newton steps)."""
    q = np.asarray(q, dtype=float)
    s = q + HEAD
    c = _EM_COEF[None, :] * s[:, None] ** -(2.0 * np.arange(5) + 1)[None, :]   # c_j s^−(2j−1)
    d0 = c @ _EM_RISE                                                          # Σ_k d0_k a^k
    d1 = np.zeros_like(d0)
    d2 = np.zeros_like(d0)
    d1[:, :-1] = d0[:, 1:] * _POW10[1:]
    d2[:, :-2] = d0[:, 2:] * (_POW10[2:] * _POW10[1:-1])
    last = c[:, -1:] * _EM_RISE[-1][None, :]
    return ZetaPrep(np.log1p(np.arange(HEAD, dtype=float)[None, :] / q[:, None]), s,
                    np.log1p(HEAD / q), np.log(q), d0, d1, d2, last)


def log_hzeta_derivs(a, q, *, prep: ZetaPrep | None = None,
                     reduced: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""(ln ζ, ∂ ln ζ/∂a, ∂² ln ζ/∂a²) at (a, q) in one pass, analytically.

    With r(a) = ln(q^a ζ(a, q)) = ln Z, Z = Σ_k (1 + k/q)^−a, the first ``HEAD`` terms are
    summed explicitly (with their derivatives −L w and L² w, L = ln(1 + k/q)) and the rest
    by Euler–Maclaurin from s = q + HEAD,

    .. math:: \sum_{k \ge HEAD} (q+k)^{-a} = s^{1-a}/(a-1) + s^{-a}/2
              + \sum_{j=1}^{5} \frac{B_{2j}}{(2j)!} (a)_{2j-1} s^{-a-2j+1},

    differentiated term by term in a ((a)_n the rising factorial, a polynomial).  Then
    ln ζ = r − a ln q, ∂ ln ζ/∂a = Z'/Z − ln q = −E[ln X] and ∂² ln ζ/∂a² = Z''/Z − (Z'/Z)²
    = Var[ln X].  Unlike finite differences of ln ζ (whose rounding grows with
    |ln ζ| ≈ a ln q), the derivatives are exact to a few ulps of Z'/Z.  Where the last series
    term is not below 1e−13 of Z (a far above s), the finite-difference values of
    :func:`dlog_hzeta` are returned instead.  ``prep``: :func:`zeta_prep` of q, when the same
    q are evaluated at several a.  ``reduced``: return (ln Z, Z'/Z, Z''/Z − (Z'/Z)²) instead,
    i.e. the moments of ln(X/q), free of the cancellation against ln q.

    Examples
    --------
    >>> g, d1, d2 = log_hzeta_derivs(np.array([2.0]), np.array([1.0]))
    >>> round(float(np.exp(g[0])), 12), round(float(d1[0]), 10)   # π²/6, ζ'(2)/ζ(2)
    (1.644934066848, -0.5699609931)
    """
    a = np.asarray(a, dtype=float)
    p = zeta_prep(q) if prep is None else prep
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        w = np.exp(a[:, None] * -p.logs)
        wl = w * p.logs
        z0 = w.sum(axis=1)
        z1 = -wl.sum(axis=1)
        z2 = np.einsum("ij,ij->i", wl, p.logs)
        e = np.exp(-a * p.lt)  # (s/q)^−a
        am1 = a - 1.0
        ak = a[:, None] ** _POW10
        u = p.s / am1
        b0 = u + 0.5 + np.einsum("ij,ij->i", p.d0, ak)
        b1 = np.einsum("ij,ij->i", p.d1, ak) - u / am1
        b2 = np.einsum("ij,ij->i", p.d2, ak) + 2.0 * u / (am1 * am1)
        z0 = z0 + e * b0
        z1 = z1 + e * (b1 - p.lt * b0)
        z2 = z2 + e * (b2 - p.lt * (2.0 * b1 - p.lt * b0))
        d1 = z1 / z0
        d2 = z2 / z0 - d1 * d1
        g = np.log(z0)
        if not reduced:
            g = g - a * p.logq
            d1 = d1 - p.logq
        ok = (e * np.abs(np.einsum("ij,ij->i", p.last, ak)) <= _EM_ERR * z0) & np.isfinite(g + d1) & (a > 1.0)
    if not ok.all():
        bad = ~ok
        g, d1, d2 = g.copy(), d1.copy(), d2.copy()
        g[bad], d1[bad], d2[bad] = dlog_hzeta(a[bad], np.broadcast_to(np.asarray(q, dtype=float), a.shape)[bad])
        if reduced:
            g[bad] += a[bad] * p.logq[bad]
            d1[bad] += p.logq[bad]
    return g, d1, d2


_DIRECT_MAX = 200_000


def var_log(a: float, q: float) -> float:
    """Var[ln X] = ∂² ln ζ(a, q)/∂a² for the discrete power law X ≥ q, p(x) ∝ x^−a.

    Where the terms (1 + k/q)^−a fall below e^−50 of the first within ``_DIRECT_MAX`` terms
    (steep tails: a · ln(1 + K/q) ≥ 50), the variance of L = ln(1 + k/q) is summed directly
    in centred form, Σ w (L − L̄)², which loses no precision however small it is; otherwise
    (shallow tails, where it is not small) it is the analytic second derivative of
    :func:`log_hzeta_derivs`.

    Examples
    --------
    >>> round(var_log(50.0, 100.0) * 1e4, 4)  # mpmath: 4.0819e-4 (tests/test_fit.py)
    4.0819
    """
    a, q = float(a), float(q)
    k_needed = q * math.expm1(50.0 / a) if a > 0 else math.inf
    if k_needed <= _DIRECT_MAX:
        L = np.log1p(np.arange(int(k_needed) + 2, dtype=float) / q)
        w = np.exp(-a * L)
        w /= w.sum()
        m = float(w @ L)
        return float(w @ (L - m) ** 2)
    return float(log_hzeta_derivs(np.array([a]), np.array([q]))[2][0])
