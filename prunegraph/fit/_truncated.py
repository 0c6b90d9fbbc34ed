"""Doubly truncated power law  p(x) ∝ x^−α  on  xmin ≤ x ≤ xmax  (Deluca & Corral 2013).

Discrete: the normaliser is the finite sum Σ_{t=xmin}^{xmax} t^−α on the integer grid, so
every quantity is exact and vectorises over many samples at once (degrees are bounded by
layer width, so the grid is small).  Continuous: Z = ∫ x^−α dx in closed form, written as
xmin^{1−α} · ln r · expm1(τ)/τ with r = xmax/xmin, τ = (1 − α) ln r (stable at α = 1).
α may take any real value (a truncated law is normalisable for α ≤ 1 too); the search is
bounded to [−alpha_max, alpha_max] and reaching that bound is reported.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from ..errors import InputError, UsageError

MAX_GRID = 5_000_000


def grid(xmin: float, xmax: float) -> np.ndarray:
    size = int(xmax) - int(xmin) + 1
    if size > MAX_GRID:
        raise UsageError(f"xmax={xmax:g}: a discrete truncated fit needs xmax − xmin ≤ {MAX_GRID}; "
                         "pass discrete=False for this range")
    return np.arange(int(xmin), int(xmax) + 1, dtype=float)


def discrete_mle_grid(lt: np.ndarray, mean_log: np.ndarray, *, alpha_max: float,
                      tol: float = 1e-12, max_iter: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """α solving E_α[ln X] = mean_log on the grid with log-values ``lt`` (one per sample).

    E_α[ln X] is strictly decreasing in α (derivative −Var_α[ln X]); safeguarded Newton in
    the bracket [−alpha_max, alpha_max].  Returns (alpha, hit_bound).
    """
    m = np.atleast_1d(np.asarray(mean_log, dtype=float))
    lt0 = lt - lt[0]

    def moments(a):
        w = -a[:, None] * lt0[None, :]
        w -= w.max(axis=1, keepdims=True)
        p = np.exp(w)
        p /= p.sum(axis=1, keepdims=True)
        e = p @ lt
        v = p @ (lt * lt) - e * e
        return e, np.maximum(v, 0.0)

    lo = np.full(m.shape, -float(alpha_max))
    hi = np.full(m.shape, float(alpha_max))
    e_hi, _ = moments(hi)
    e_lo, _ = moments(lo)
    hit = (m < e_hi) | (m > e_lo)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = 1.0 + 1.0 / (m - lt[0] + 1e-300)
    a = np.clip(np.where(np.isfinite(a), a, 1.0), -alpha_max, alpha_max)
    a = _newton_rows(lambda aa, idx: moments(aa), m, a, lo, hi, ~hit, tol=tol, max_iter=max_iter)
    a = np.where(m < e_hi, alpha_max, np.where(m > e_lo, -alpha_max, a))
    return a, hit


def _newton_rows(moments, m, a, lo, hi, active, *, tol: float, max_iter: int) -> np.ndarray:
    """Safeguarded Newton, row-wise, on E_α[ln X] = m (E decreasing in α, derivative −Var):
    ``moments(alpha, rows)`` returns (E, Var) of the still-active rows; steps leaving the
    bracket [lo, hi] (narrowed as it goes, in place) are replaced by bisection."""
    for _ in range(max_iter):
        if not active.any():
            break
        idx = np.flatnonzero(active)
        aa = a[idx]
        e, v = moments(aa, idx)[:2]
        f = e - m[idx]  # decreasing in α
        pos = f > 0
        lo[idx[pos]] = np.maximum(lo[idx[pos]], aa[pos])
        hi[idx[~pos]] = np.minimum(hi[idx[~pos]], aa[~pos])
        with np.errstate(divide="ignore", invalid="ignore"):
            new = aa + f / v
        bad = ~np.isfinite(new) | (new <= lo[idx]) | (new >= hi[idx])
        new = np.where(bad, 0.5 * (lo[idx] + hi[idx]), new)
        a[idx] = new
        conv = (np.abs(new - aa) <= tol * np.maximum(1.0, np.abs(aa))) | (hi[idx] - lo[idx] <= tol)
        active[idx[conv]] = False
    return a


def discrete_pmf(alpha: np.ndarray, lt: np.ndarray) -> np.ndarray:
    w = -np.atleast_1d(alpha)[:, None] * (lt - lt[0])[None, :]
    w -= w.max(axis=1, keepdims=True)
    p = np.exp(w)
    return p / p.sum(axis=1, keepdims=True)


def discrete_ks_grid(h: np.ndarray, alpha: np.ndarray, lt: np.ndarray) -> np.ndarray:
    """KS distance max over observed values of |S(x) − P(x)| (CCDFs, P(X ≥ x)) per row of
    the count matrix ``h`` (samples × grid)."""
    p = discrete_pmf(alpha, lt)
    mod = np.cumsum(p[:, ::-1], axis=1)[:, ::-1]
    n = h.sum(axis=1, keepdims=True)
    emp = np.cumsum(h[:, ::-1], axis=1)[:, ::-1] / n
    d = np.where(h > 0, np.abs(emp - mod), 0.0)
    return d.max(axis=1)


def discrete_search(h: np.ndarray, lt: np.ndarray, starts: np.ndarray, *, alpha_max: float,
                    tol: float = 1e-12, max_iter: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """KS distance and α of the truncated discrete fit for every candidate xmin at once.

    ``h`` holds the counts on the integer grid with log-values ``lt`` (grid ends at xmax);
    candidate k fits the sub-grid ``starts[k]:``.  Same equations as :func:`discrete_mle_grid`
    and :func:`discrete_ks_grid` (safeguarded Newton on E_α[ln X] = mean ln x), vectorised
    over candidates with a mask.  Returns (ks, alpha).
    """
    G = lt.size
    starts = np.asarray(starts, dtype=np.int64)
    mask = np.arange(G)[None, :] >= starts[:, None]
    hm = np.where(mask, h[None, :], 0.0)
    n = hm.sum(axis=1)
    m = (hm @ lt) / n
    lt0 = lt - lt[0]

    def moments(a, rows):
        w = np.where(mask[rows], -a[:, None] * lt0[None, :], -np.inf)
        w -= w.max(axis=1, keepdims=True)
        p = np.exp(w)
        p /= p.sum(axis=1, keepdims=True)
        e = p @ lt
        return e, np.maximum(p @ (lt * lt) - e * e, 0.0), p

    allr = np.arange(starts.size)
    lo = np.full(starts.size, -float(alpha_max))
    hi = np.full(starts.size, float(alpha_max))
    e_hi, _, _ = moments(hi, allr)
    e_lo, _, _ = moments(lo, allr)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = 1.0 + 1.0 / (m - lt[starts] + 1e-300)
    a = np.clip(np.where(np.isfinite(a), a, 1.0), -alpha_max, alpha_max)
    a = _newton_rows(moments, m, a, lo, hi, ~((m < e_hi) | (m > e_lo)), tol=tol, max_iter=max_iter)
    a = np.where(m < e_hi, alpha_max, np.where(m > e_lo, -alpha_max, a))
    _, _, p = moments(a, allr)
    mod = np.cumsum(p[:, ::-1], axis=1)[:, ::-1]
    emp = np.cumsum(hm[:, ::-1], axis=1)[:, ::-1] / n[:, None]
    d = np.where(hm > 0, np.abs(emp - mod), 0.0)
    return d.max(axis=1), a


# ---------------------------------------------------------------- continuous
def _phi1(t: np.ndarray) -> np.ndarray:
    """d/dτ ln(expm1(τ)/τ) = 1/(1 − e^−τ) − 1/τ (→ ½ at τ = 0)."""
    t = np.asarray(t, dtype=float)
    small = np.abs(t) < 1e-4
    ts = np.where(small, 1.0, t)
    with np.errstate(over="ignore"):
        val = 1.0 / (-np.expm1(-ts)) - 1.0 / ts
    return np.where(small, 0.5 + t / 12.0, val)


def continuous_mle(mean_log: float, xmin: float, xmax: float, *, alpha_max: float) -> tuple[float, bool]:
    """α with E_α[ln X] = mean_log for the continuous law on [xmin, xmax].

    E_α[ln X] = ln xmin + ln r · φ'(τ), τ = (1 − α) ln r, φ'(τ) = 1/(1 − e^−τ) − 1/τ.
    """
    lr = np.log(xmax / xmin)
    y = (mean_log - np.log(xmin)) / lr
    tmax = (1.0 + alpha_max) * lr
    tmin = (1.0 - alpha_max) * lr
    f = lambda t: float(_phi1(np.array(t))) - y  # noqa: E731  increasing in τ
    if f(tmin) > 0:
        return float(alpha_max), True
    if f(tmax) < 0:
        return float(-alpha_max), True
    t = optimize.brentq(f, tmin, tmax, xtol=1e-14, rtol=1e-14)
    return float(1.0 - t / lr), False


def continuous_cdf(x: np.ndarray, alpha: float, xmin: float, xmax: float) -> np.ndarray:
    lr = np.log(xmax / xmin)
    t = (1.0 - alpha) * lr
    s = np.log(np.asarray(x) / xmin) / lr
    if abs(t) < 1e-10:
        return s
    return np.expm1(t * s) / np.expm1(t)


def continuous_loglik(x: np.ndarray, alpha: float, xmin: float, xmax: float) -> float:
    lr = np.log(xmax / xmin)
    t = (1.0 - alpha) * lr
    lphi = np.log(np.expm1(t) / t) if abs(t) > 1e-12 else 0.0
    logz = (1.0 - alpha) * np.log(xmin) + np.log(lr) + lphi
    return float(-alpha * np.log(x).sum() - x.size * logz)


def continuous_ks(u: np.ndarray, c: np.ndarray, alpha: float, xmin: float, xmax: float) -> float:
    """KS over unique values: |S(u_j) − P(u_j)| with CCDFs P(X ≥ u_j) (CSN convention)."""
    n = c.sum()
    emp = np.cumsum(c[::-1])[::-1] / n
    mod = 1.0 - continuous_cdf(u, alpha, xmin, xmax)
    return float(np.abs(emp - mod).max())


def continuous_sample(rng: np.random.Generator, size, alpha: float, xmin: float, xmax: float) -> np.ndarray:
    """Inverse-CDF draws from the continuous truncated law."""
    r = rng.random(size)
    lr = np.log(xmax / xmin)
    t = (1.0 - alpha) * lr
    if abs(t) < 1e-10:
        s = r
    else:
        s = np.log1p(r * np.expm1(t)) / t
    return xmin * np.exp(s * lr)


def check_range(xmin: float, xmax: float) -> None:
    if not (xmax > xmin):
        raise UsageError(f"xmax={xmax:g}: must be larger than xmin={xmin:g}")


def too_few(n_in: int, xmin: float, xmax: float, min_tail: int) -> InputError:
    return InputError(f"range [{xmin:g}, {xmax:g}] holds {n_in} values, fewer than min_tail={min_tail}; "
                      "widen the range or lower min_tail")
