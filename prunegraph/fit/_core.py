"""Histogram-based Clauset–Shalizi–Newman engine shared by fit, bootstrap and tests.

Everything works on the histogram of unique values ``u`` (sorted, float64) with counts
``c`` (int64): for every candidate xmin = u[k] the tail count and Σ ln x are suffix sums,
the MLE is solved for all candidates at once and the KS distance of each candidate is a
max over unique values, pruned by an exact bound (see :func:`ks_search`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError, UsageError
from ._zeta import dlog_hzeta, log_hzeta

ALPHA_FLOOR = 1.0 + 1e-9


# --------------------------------------------------------------------------- input
def histogram(x, *, discrete: bool | None, name: str = "x") -> tuple[np.ndarray, np.ndarray, bool]:
    """Validate a sample and return (unique values, counts, discrete)."""
    try:
        arr = np.asarray(x, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InputError(f"{name}: cannot read the sample as numbers; pass a 1-D array of positive values") from None
    if arr.size == 0:
        raise InputError(f"{name}: the sample is empty; pass at least a few positive values")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name}: the sample holds {int((~np.isfinite(arr)).sum())} NaN/inf values; drop them before fitting")
    if np.any(arr <= 0):
        nz = int((arr == 0).sum())
        nneg = int((arr < 0).sum())
        raise InputError(f"{name}: a power law needs positive values but the sample has {nz} zeros and {nneg} negatives; "
                         "drop dead units (DegreeSequence.alive) first")
    is_int = bool(np.all(arr == np.round(arr)))
    if discrete is None:
        discrete = is_int
    elif discrete and not is_int:
        raise InputError(f"{name}: discrete=True but the sample has non-integer values; pass discrete=False or integer data")
    discrete = bool(discrete)
    if discrete and arr.max() <= 8 * arr.size + 1024 and arr.max() < 2**31:
        bc = np.bincount(arr.astype(np.int64))
        u = np.flatnonzero(bc)
        c = bc[u].astype(np.int64)
        u = u.astype(float)
    else:
        u, c = np.unique(arr, return_counts=True)
        c = c.astype(np.int64)
    return u, c, discrete


# --------------------------------------------------------------------------- MLE
def discrete_mle(q: np.ndarray, mean_log: np.ndarray, *, alpha_max: float,
                 tol: float = 1e-12, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Exact discrete MLE for every (xmin = q, mean ln x = mean_log) pair at once.

    Solves ∂/∂α ln ζ(α, q) = −mean_log (CSN eq. 3.5): the left side is increasing in α
    (its derivative is Var[ln X] > 0), so the root is unique; safeguarded Newton inside the
    bracket [1, alpha_max], started from the ½-shift approximation
    α ≈ 1 + [mean_log − ln(q − ½)]^−1 (CSN eq. 3.7).  Returns (alpha, hit_bound): where the
    root lies above ``alpha_max`` the estimate is alpha_max and hit_bound is True.
    """
    q = np.asarray(q, dtype=float)
    m = np.asarray(mean_log, dtype=float)
    lo = np.full(q.shape, ALPHA_FLOOR)
    hi = np.full(q.shape, float(alpha_max))
    _, d1_hi, _ = dlog_hzeta(hi, q)
    hit = d1_hi + m < 0  # root beyond alpha_max
    with np.errstate(divide="ignore", invalid="ignore"):
        a = 1.0 + 1.0 / (m - np.log(q - 0.5))
    a = np.where(np.isfinite(a), a, 2.0)
    a = np.clip(a, 1.0 + 1e-6, alpha_max)
    active = ~hit
    for _ in range(max_iter):
        if not active.any():
            break
        idx = np.flatnonzero(active)
        aa = a[idx]
        _, d1, d2 = dlog_hzeta(aa, q[idx])
        f = d1 + m[idx]
        # maintain bracket: f increasing in α
        pos = f > 0
        hi[idx[pos]] = np.minimum(hi[idx[pos]], aa[pos])
        lo[idx[~pos]] = np.maximum(lo[idx[~pos]], aa[~pos])
        with np.errstate(divide="ignore", invalid="ignore"):
            step = f / d2
        new = aa - step
        bad = ~np.isfinite(new) | (new <= lo[idx]) | (new >= hi[idx]) | (d2 <= 0)
        new = np.where(bad, 0.5 * (lo[idx] + hi[idx]), new)
        a[idx] = new
        conv = (np.abs(new - aa) <= tol * np.maximum(1.0, aa)) | (hi[idx] - lo[idx] <= tol * aa)
        active[idx[conv]] = False
    a[hit] = alpha_max
    return a, hit


def discrete_sigma(alpha: float, xmin: float, n_tail: int) -> float:
    """Standard error 1/√(n Var_α[ln X]) from the Fisher information of the discrete law."""
    _, _, d2 = dlog_hzeta(np.array([alpha]), np.array([xmin]))
    v = float(d2[0])
    return float(1.0 / np.sqrt(n_tail * v)) if v > 0 else float("inf")


# --------------------------------------------------------------------------- KS search
@dataclass
class Model:
    """Model CCDF P(X ≥ u_j | X ≥ u_k) for candidate arrays (k, alpha)."""

    u: np.ndarray
    discrete: bool
    logz: np.ndarray | None = None  # ln ζ(alpha_k, u_k), discrete only

    def ccdf(self, kk: np.ndarray, alpha: np.ndarray, logz: np.ndarray | None, jj: np.ndarray) -> np.ndarray:
        uj = self.u[jj]
        if self.discrete:
            return np.exp(log_hzeta(alpha, uj) - logz)
        return np.exp((1.0 - alpha) * np.log(uj / self.u[kk]))


def _ks_block(model: Model, ks: np.ndarray, alpha: np.ndarray, logz, nsuf: np.ndarray,
              offs: np.ndarray, last: int) -> tuple[np.ndarray, np.ndarray]:
    """KS over positions j = k + offs (clipped to ≤ last) for candidates ks; also returns
    max(emp, model) just past the block, the bound on every later term."""
    jj = np.minimum(ks[:, None] + offs[None, :], last)
    a2 = np.broadcast_to(alpha[:, None], jj.shape)
    lz = None if logz is None else np.broadcast_to(logz[:, None], jj.shape)
    mod = model.ccdf(np.broadcast_to(ks[:, None], jj.shape), a2, lz, jj)
    emp = nsuf[jj] / nsuf[ks][:, None]
    d = np.abs(emp - mod).max(axis=1)
    nxt = ks + offs[-1] + 1
    beyond = nxt <= last
    bound = np.zeros(ks.size)
    if beyond.any():
        b = np.flatnonzero(beyond)
        jn = nxt[b]
        mod_n = model.ccdf(ks[b], alpha[b], None if logz is None else logz[b], jn)
        bound[b] = np.maximum(nsuf[jn] / nsuf[ks[b]], mod_n)
    return d, bound


def ks_all(model: Model, ks: np.ndarray, alpha: np.ndarray, logz, nsuf: np.ndarray) -> np.ndarray:
    """Exact KS distance of each candidate (loop; used for a few candidates and in tests)."""
    last = model.u.size - 1
    out = np.empty(ks.size)
    for i, k in enumerate(ks):
        jj = np.arange(k, last + 1)
        lz = None if logz is None else np.full(jj.size, logz[i])
        mod = model.ccdf(np.full(jj.size, k), np.full(jj.size, alpha[i]), lz, jj)
        out[i] = np.abs(nsuf[jj] / nsuf[k] - mod).max()
    return out


def ks_search(model: Model, ks: np.ndarray, alpha: np.ndarray, logz, nsuf: np.ndarray,
              *, window: int = 24, samples: int = 48, chunk: int = 4096) -> tuple[int, float]:
    """Index (into ks) and KS distance of the candidate with the smallest KS distance.

    The KS distance of candidate k is D_k = max_{j≥k} |S_k(u_j) − P_k(u_j)| with S, P the
    empirical and model CCDF of the tail.  Exact, with pruning: D_k is first evaluated on the
    first ``window`` unique values of the tail plus ``samples`` spread over the rest, a lower
    bound; where max(S_k, P_k) just past the window is below it, no later value can exceed it
    (both CCDFs are non-increasing and non-negative), and the bound is exact.  Remaining
    candidates are evaluated in full in increasing order of their lower bound until the bound
    exceeds the best exact distance.  Ties go to the smallest xmin.
    """
    last = model.u.size - 1
    m = ks.size
    lb = np.empty(m)
    exact = np.zeros(m, dtype=bool)
    offs_w = np.arange(window)
    for s in range(0, m, chunk):
        sl = slice(s, s + chunk)
        kk = ks[sl]
        lz = None if logz is None else logz[sl]
        d, bound = _ks_block(model, kk, alpha[sl], lz, nsuf, offs_w, last)
        ex = bound <= d
        need = np.flatnonzero(~ex)
        if need.size and samples:
            kn = kk[need]
            span = (last - kn - window).clip(min=0)
            t = np.linspace(0.0, 1.0, samples)
            jj = kn[:, None] + window + np.round(t[None, :] * span[:, None]).astype(np.int64)
            jj = np.minimum(jj, last)
            an = alpha[sl][need]
            a2 = np.broadcast_to(an[:, None], jj.shape)
            lz2 = None if lz is None else np.broadcast_to(lz[need][:, None], jj.shape)
            mod = model.ccdf(np.broadcast_to(kn[:, None], jj.shape), a2, lz2, jj)
            emp = nsuf[jj] / nsuf[kn][:, None]
            d[need] = np.maximum(d[need], np.abs(emp - mod).max(axis=1))
        lb[sl] = d
        exact[sl] = ex
    best = np.inf
    best_i = -1
    if exact.any():
        ei = np.flatnonzero(exact)
        j = int(np.argmin(lb[ei]))
        best, best_i = float(lb[ei][j]), int(ei[j])
    todo = np.flatnonzero(~exact)
    todo = todo[np.lexsort((todo, lb[todo]))]
    for i in todo:
        if lb[i] > best or (lb[i] == best and i > best_i):
            break
        d = float(ks_all(model, ks[i:i + 1], alpha[i:i + 1],
                         None if logz is None else logz[i:i + 1], nsuf)[0])
        if d < best or (d == best and i < best_i):
            best, best_i = d, int(i)
    return best_i, best


# --------------------------------------------------------------------------- the fit
@dataclass
class HistFit:
    alpha: float
    xmin: float
    k: int
    n: int
    n_tail: int
    ks: float
    hit_bound: bool
    n_candidates: int
    log_likelihood: float


def fit_hist(u: np.ndarray, c: np.ndarray, discrete: bool, *, xmin: float | None = None,
             min_tail: int = 10, alpha_max: float = 100.0) -> HistFit:
    """CSN fit of a histogram; xmin searched over the unique values unless given."""
    nsuf = np.cumsum(c[::-1])[::-1]
    lu = np.log(u)
    ssuf = np.cumsum((c * lu)[::-1])[::-1]
    n = int(nsuf[0])
    U = u.size
    if xmin is not None:
        k0 = int(np.searchsorted(u, xmin, side="left"))
        if k0 >= U:
            raise InputError(f"xmin={xmin}: no value of the sample is ≥ xmin; lower xmin (the largest value is {u[-1]:g})")
        ks = np.array([k0])
        uq = u.copy()
        nsuf_use = nsuf
        qmin = float(xmin)
        if k0 >= U - 1 or u[k0] == u[-1]:
            raise InputError(f"xmin={xmin}: every tail value is equal, so α is unbounded; lower xmin")
    else:
        ks = np.flatnonzero((nsuf >= max(min_tail, 2)) & (np.arange(U) < U - 1))
        if ks.size == 0:
            raise InputError(
                f"x: too few points to fit: a tail needs ≥ {max(min_tail, 2)} values and ≥ 2 distinct values "
                f"(got n={n}, {U} distinct); pass more data or a smaller min_tail")
        uq = u
        nsuf_use = nsuf
        qmin = None
    ntail = nsuf_use[ks].astype(float)
    q = u[ks] if qmin is None else np.array([qmin])
    mean_log = ssuf[ks] / ntail
    if discrete:
        alpha, hit = discrete_mle(q, mean_log, alpha_max=alpha_max)
        logz = log_hzeta(alpha, q)
    else:
        with np.errstate(divide="ignore"):
            alpha = 1.0 + 1.0 / (mean_log - np.log(q))
        hit = ~np.isfinite(alpha) | (alpha > alpha_max)
        alpha = np.where(hit, alpha_max, alpha)
        logz = None
    if qmin is not None and qmin != u[ks[0]]:
        # fixed xmin below the first tail value: evaluate the model CCDF relative to xmin itself
        uq = np.concatenate([[qmin], u[ks[0]:]])
        nsuf_use = np.concatenate([[nsuf[ks[0]]], nsuf[ks[0]:]])
        ks_eval = np.array([0])
    else:
        ks_eval = ks
    model = Model(uq, discrete)
    if ks_eval.size == 1:
        best_i = 0
        best = float(ks_all(model, ks_eval, alpha, logz, nsuf_use)[0])
    else:
        best_i, best = ks_search(model, ks_eval, alpha, logz, nsuf_use)
    a = float(alpha[best_i])
    xm = float(q[best_i])
    nt = int(ntail[best_i])
    if discrete:
        ll = float(-a * ssuf[ks[best_i]] - nt * logz[best_i])
    else:
        ll = float(nt * np.log((a - 1) / xm) - a * (ssuf[ks[best_i]] - nt * np.log(xm)))
    return HistFit(alpha=a, xmin=xm, k=int(ks[best_i]), n=n, n_tail=nt, ks=best,
                   hit_bound=bool(hit[best_i]), n_candidates=int(ks.size), log_likelihood=ll)
