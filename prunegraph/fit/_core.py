"""Histogram-based Clauset–Shalizi–Newman engine shared by fit, bootstrap and tests.

Everything works on the histogram of unique values ``u`` (sorted, float64) with counts
``c`` (int64): for every candidate xmin = u[k] the tail count and Σ ln x are suffix sums,
the MLE is solved for all candidates at once and the KS distance of each candidate is a
max over unique values, pruned by an exact bound (see :func:`ks_search`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ._zeta import log_hzeta, log_hzeta_derivs, var_log, zeta_prep

ALPHA_FLOOR = 1.0 + 1e-9


# --------------------------------------------------------------------------- input
def histogram(x, *, discrete: bool | None, name: str = "x") -> tuple[np.ndarray, np.ndarray, bool]:
    """Validate a sample and return (unique values, counts, discrete)."""
    unreadable = f"{name}: cannot read the sample as numbers; pass a 1-D array of positive values"
    try:
        raw = np.asarray(x)  # converted once: shape, dtype and values are read from it
    except (TypeError, ValueError):
        raise InputError(unreadable) from None
    if sum(d > 1 for d in raw.shape) > 1:  # a matrix, not a sample: flattening it would fit its entries
        raise InputError(f"{name}: expected a 1-D sample, got an array of shape {raw.shape}; pass a degree "
                         "sequence (DegreeSequence.alive), or x.ravel() to fit every entry")
    if raw.dtype.kind in "US":
        raise InputError(f"{name}: the sample holds text, not numbers; pass a 1-D array of positive values "
                         "(convert parsed text with np.asarray(values, dtype=float) first)")
    raw = raw.ravel()
    if raw.dtype.kind in "iu" and raw.size and discrete is not False:
        # integer input (degree sequences): no float copy, no NaN or rounding test needed
        lo, hi = int(raw.min()), int(raw.max())
        if lo > 0 and hi <= 8 * raw.size + 1024 and hi < 2**31:
            bc = np.bincount(raw.astype(np.int64, copy=False))
            u = np.flatnonzero(bc)
            return u.astype(float), bc[u].astype(np.int64), True
    try:
        arr = raw.astype(float)
    except (TypeError, ValueError):
        raise InputError(unreadable) from None
    if arr.size == 0:
        raise InputError(f"{name}: the sample is empty; pass at least a few positive values")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name}: the sample holds {int((~np.isfinite(arr)).sum())} NaN/inf values; "
                         "drop them before fitting")
    if np.any(arr <= 0):
        nz = int((arr == 0).sum())
        nneg = int((arr < 0).sum())
        raise InputError(f"{name}: a power law needs positive values but the sample has {nz} zeros and "
                         f"{nneg} negatives; "
                         "drop dead units (DegreeSequence.alive) first")
    is_int = bool(np.all(arr == np.round(arr)))
    if discrete is None:
        discrete = is_int
    elif discrete and not is_int:
        raise InputError(f"{name}: discrete=True but the sample has non-integer values; "
                         "pass discrete=False or integer data")
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
#: the start table of :func:`mle_start` covers xmin = 1 … _START_Q on a log grid of t = 1/(α − 1)
_START_Q = 64
_START_LOGT = np.linspace(np.log(1e-2), np.log(1e3), 512)
_START_ROW = 1e3  # row offset of the flattened table (above the range of any row)
_start_cache: list = []


def _start_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(flattened keys row·_START_ROW + y, y, dx/dy) per row: y = ln E[ln(X/xmin)] of the
    discrete law for xmin = 1 … _START_Q at α = 1 + 1/t, x = ln t on the _START_LOGT grid (y
    increases with x), and the slope dx/dy = −t r'/r'' from the analytic moments; built once
    per process (~33k evaluations, ~20 ms)."""
    if not _start_cache:
        rows = np.repeat(np.arange(_START_Q), _START_LOGT.size)
        t = np.tile(np.exp(_START_LOGT), _START_Q)
        prep = zeta_prep(np.arange(1.0, _START_Q + 1)).take(rows)
        _, r1, r2 = log_hzeta_derivs(1.0 + 1.0 / t, rows + 1.0, prep=prep, reduced=True)
        y = np.log(-r1).reshape(_START_Q, _START_LOGT.size)
        slope = (-t * r1 / r2).reshape(y.shape)
        _start_cache.append(((np.arange(_START_Q)[:, None] * _START_ROW + y).ravel(), y, slope))
    return _start_cache[0]


def mle_start(q: np.ndarray, mean_log: np.ndarray) -> np.ndarray:
    """A start for the discrete MLE, typically within 1e−8 relative of the root.

    For xmin ≤ 64 (integer): x = ln t, t = 1/(α − 1), as a function of y = ln E[ln(X/xmin)]
    by cubic Hermite interpolation in a table of 512 values of x (y is smooth in x at both
    ends: ≈ x for heavy tails, ≈ −α ln(1 + 1/xmin) for steep ones).  Above: the midpoint
    Euler–Maclaurin expansion ζ(α, q) ≈ Q^{1−α}/(α − 1) · [1 − α(α − 1)/(24 Q²)], Q = q − ½
    (whose first term gives CSN's eq. 3.7), solved for t = mean_log − ln Q − (2α − 1)/(24 Q²)
    by three fixed-point steps; its error falls as (α/Q)⁴.
    """
    Q = q - 0.5
    with np.errstate(divide="ignore", invalid="ignore"):
        base = mean_log - np.log(Q)
        a = 1.0 + 1.0 / base
        for _ in range(3):
            a = 1.0 + 1.0 / (base - (2.0 * a - 1.0) / (24.0 * Q * Q))
        small = (q <= _START_Q) & (q == np.round(q))
        if small.any():
            keys, y, slope = _start_table()
            n = y.shape[1]
            r = q[small].astype(np.int64) - 1
            yq = np.clip(np.log(mean_log[small] - np.log(q[small])), y[r, 0], y[r, -1])
            j = np.clip(np.searchsorted(keys, r * _START_ROW + yq) - r * n, 1, n - 1)
            y0, y1 = y[r, j - 1], y[r, j]
            h = y1 - y0
            u = np.where(h > 0, (yq - y0) / h, 0.0)
            u2, u3 = u * u, u * u * u
            x = ((2 * u3 - 3 * u2 + 1) * _START_LOGT[j - 1] + (u3 - 2 * u2 + u) * h * slope[r, j - 1]
                 + (3 * u2 - 2 * u3) * _START_LOGT[j] + (u3 - u2) * h * slope[r, j])
            a[small] = 1.0 + np.exp(-x)
    return np.where(np.isfinite(a) & (a > 1.0), a, 2.0)


def discrete_mle(q: np.ndarray, mean_log: np.ndarray, *, alpha_max: float,
                 tol: float = 1e-5, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Exact discrete MLE for every (xmin = q, mean ln x = mean_log) pair at once.

    Solves f(α) = ∂/∂α ln ζ(α, q) + mean_log = 0 (CSN eq. 3.5).  f is increasing in α (its
    derivative is Var[ln X] > 0), so the root is unique.  Newton steps are taken in
    t = 1/(α − 1), where f is nearly linear (exactly so for the continuous law, whose
    ∂ ln Z/∂α is −ln q − t), from :func:`mle_start` (a tabulated inverse for xmin ≤ 64, a
    corrected CSN eq. 3.7 above): up to four plain steps for every candidate (one settles
    nearly all of them), then, for the few not settled, steps safeguarded by bisection inside
    the bracket (1, alpha_max].  ln ζ and its
    two α-derivatives come from :func:`prunegraph.fit._zeta.log_hzeta_derivs` in one analytic
    pass (no finite differences), so the root is exact to rounding; iteration stops once a
    step moves α by ≤ ``tol`` relative (quadratic convergence: the last step's error is far
    below that).  Returns (alpha, hit_bound): where f(alpha_max) < 0 the root lies above
    alpha_max, the estimate is alpha_max and hit_bound is True.

    Examples
    --------
    >>> a, hit = discrete_mle(np.array([1.0]), np.array([0.5699609930945]), alpha_max=100.0)
    >>> round(float(a[0]), 9), bool(hit[0])  # −ζ'(2)/ζ(2) is the mean of ln x at α = 2
    (2.0, False)
    """
    q = np.asarray(q, dtype=float)
    m = np.asarray(mean_log, dtype=float)
    prep = zeta_prep(q)
    lo = np.full(q.shape, ALPHA_FLOOR)
    hi = np.full(q.shape, float(alpha_max))
    hi_known = np.zeros(q.shape, dtype=bool)  # f(alpha_max) not evaluated until a step needs it
    hit = np.zeros(q.shape, dtype=bool)
    a = np.clip(mle_start(q, m), 1.0 + 1e-6, alpha_max)
    # plain Newton steps on every candidate (from mle_start one settles nearly all of them); a
    # candidate whose step leaves (1, alpha_max] (or does not settle in four) goes on in the
    # safeguarded loop below
    done = np.zeros(q.shape, dtype=bool)
    wild = np.zeros(q.shape, dtype=bool)
    for _ in range(4):
        _, d1, d2 = log_hzeta_derivs(a, q, prep=prep)
        f = d1 + m
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            t_new = 1.0 / (a - 1.0) + f / (d2 * (a - 1.0) ** 2)
            new = 1.0 + 1.0 / t_new
        ok = (t_new > 0) & (new <= alpha_max) & (d2 > 0) & np.isfinite(new) & ~wild
        wild |= ~ok & ~done
        done |= (ok & (np.abs(new - a) <= tol * a)) | (f == 0)
        a = np.where(ok & (f != 0), new, a)
        if (done | wild).all():
            break
    active = ~done
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        aa = a[idx]
        _, d1, d2 = log_hzeta_derivs(aa, q[idx], prep=prep.take(idx))
        f = d1 + m[idx]
        at_max = aa >= alpha_max
        over = at_max & (f < 0)  # still rising at the bound: the root lies beyond it
        hit[idx[over]] = True
        hi_known[idx[at_max]] = True
        pos = f > 0
        hi[idx[pos]] = np.minimum(hi[idx[pos]], aa[pos])
        lo[idx[~pos]] = np.maximum(lo[idx[~pos]], aa[~pos])
        lo_i, hi_i = lo[idx], hi[idx]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            t = 1.0 / (aa - 1.0)
            t_new = t + f / (d2 * (aa - 1.0) ** 2)  # df/dt = −d2 (α − 1)²
            new = 1.0 + 1.0 / t_new
        bad = ~np.isfinite(new) | ~(t_new > 0) | (new < lo_i) | ~(d2 > 0)
        beyond = ~bad & (new > hi_i)
        # a step past an untested alpha_max goes to alpha_max (the bound is then tested)
        to_max = beyond & ~hi_known[idx] & (hi_i >= alpha_max)
        new = np.where(to_max, alpha_max, new)
        bad |= beyond & ~to_max
        new = np.where(bad, 0.5 * (lo_i + hi_i), new)
        conv = (np.abs(new - aa) <= tol * aa) | ((hi_i - lo_i) <= tol * aa) | over | (f == 0)
        a[idx] = np.where(over, alpha_max, new)
        active[idx[conv]] = False
    a[hit] = alpha_max
    return a, hit


def discrete_sigma(alpha: float, xmin: float, n_tail: int) -> float:
    """Standard error 1/√(n Var_α[ln X]) from the Fisher information of the discrete law.

    Var_α[ln X] = ∂² ln ζ(α, xmin)/∂α² is computed as the variance of ln(x/xmin) under the
    weights (x/xmin)^−α summed term by term (see :func:`prunegraph.fit._zeta.var_log`), which
    stays exact for steep tails where a finite difference of ln ζ cancels to nothing.
    """
    v = var_log(alpha, xmin)
    return float(1.0 / math.sqrt(n_tail * v)) if v > 0 else float("inf")


# --------------------------------------------------------------------------- KS search
_LOG_CACHE: dict = {}


def _model_ccdf(u, discrete, kk, alpha, logz, jj):
    """Model CCDF P(X ≥ u_j | X ≥ u_k): ζ(α, u_j)/ζ(α, u_k) or (u_j/u_k)^(1−α)."""
    if discrete:
        return np.exp(log_hzeta(alpha, u[jj]) - logz)
    lu = _log_of(u)
    return np.exp((1.0 - alpha) * (lu[jj] - lu[kk]))


def _log_of(u):
    """ln u, cached for the array being searched."""
    lu = _LOG_CACHE.get(id(u))
    if lu is None or lu[0] is not u:
        lu = (u, np.log(u))
        _LOG_CACHE.clear()
        _LOG_CACHE[id(u)] = lu
    return lu[1]


def _ks_bounds(u, discrete, nsuf, kk, ll, aa, lz, window, samples):
    """Lower bound, upper bound and exactness of D_k from a subset of tail positions.

    Positions: the first ``window`` unique values of the tail, then ``samples`` spread to the
    end.  Lower bound: max |S − P| over them.  Upper bound: between consecutive evaluated
    positions a < b, both CCDFs lie in [value at b, value at a], so |S − P| ≤
    max(S_a − P_b, P_a − S_b).  When the positions reach the end, the upper bound is valid;
    otherwise (window only) max(S, P) just past the window bounds every later term.
    """
    offs = np.arange(window)
    jj = kk[:, None] + offs[None, :]
    if samples:
        span = (ll - kk - window).clip(min=0)
        t = np.linspace(0.0, 1.0, samples)
        jj = np.concatenate([jj, kk[:, None] + window + np.round(t[None, :] * span[:, None]).astype(np.int64)],
                            axis=1)
    else:
        jj = np.concatenate([jj, (kk + window)[:, None]], axis=1)
    jj = np.minimum(jj, ll[:, None])
    mod = _model_ccdf(u, discrete, kk[:, None], aa[:, None], None if lz is None else lz[:, None], jj)
    emp = nsuf[jj] / nsuf[kk][:, None]
    diff = np.abs(emp - mod)
    if samples:
        lb = diff.max(axis=1)
        seg = np.maximum(emp[:, :-1] - mod[:, 1:], mod[:, :-1] - emp[:, 1:])
        seg = np.where(jj[:, 1:] - jj[:, :-1] > 1, seg, -np.inf)  # no unseen value in between
        ub = np.maximum(lb, seg.max(axis=1))
        return lb, ub, ub <= lb
    lb = diff[:, :-1].max(axis=1)
    past = kk + window <= ll
    bound = np.where(past, np.maximum(emp[:, -1], mod[:, -1]), 0.0)
    ub = np.where(past, np.maximum(lb, bound), lb)
    return lb, ub, ub <= lb


def _ks_exact_batch(u, discrete, nsuf, kk, ll, aa, lz) -> np.ndarray:
    """Exact D_k for several candidates at once (flattened over all their tail positions).

    Long tails (≥ 4,096 positions on average) go candidate by candidate on contiguous slices
    instead: the same arithmetic without the gathers, several times faster per position."""
    lengths = ll - kk + 1
    if lengths.sum() >= 4096 * kk.size:
        out = np.empty(kk.size)
        lu = None if discrete else _log_of(u)
        for i in range(kk.size):
            k, last = int(kk[i]), int(ll[i]) + 1
            if discrete:
                mod = np.exp(log_hzeta(aa[i], u[k:last]) - lz[i])
            else:
                assert lu is not None  # set whenever not discrete
                mod = np.exp((1.0 - aa[i]) * (lu[k:last] - lu[k]))
            out[i] = np.abs(nsuf[k:last] / nsuf[k] - mod).max()
        return out
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    rep = np.repeat(np.arange(kk.size), lengths)
    jj = kk[rep] + (np.arange(int(lengths.sum())) - starts[rep])
    mod = _model_ccdf(u, discrete, kk[rep], aa[rep], None if lz is None else lz[rep], jj)
    diff = np.abs(nsuf[jj] / nsuf[kk[rep]] - mod)
    return np.maximum.reduceat(diff, starts)


#: discrete KS search: evaluate every candidate in full below this many tail positions in all,
#: and survivors of the bounds in batches of this many positions
_DISCRETE_EXACT_ALL, _DISCRETE_BATCH = 1000, 2048


def ks_min_many(u, discrete, nsuf, ks, last, alpha, logz, group, n_groups, *,
                window: int | None = None, samples: int | None = None,
                budget: int = 4_000_000, exact_all: int | None = None,
                batch: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per group (one histogram each), the candidate with the smallest KS distance.

    The KS distance of candidate k is D_k = max_{j≥k} |S_k(u_j) − P_k(u_j)|, S and P the
    empirical and model CCDF of the tail.  The search is exact, with pruning (see
    :func:`_ks_bounds`): every candidate gets a lower and an upper bound from a few tail
    positions (the first ``window``; for discrete data first the window alone, then, while
    many candidates remain, 16, 128, … positions spread to the end); candidates whose lower
    bound exceeds their group's smallest upper bound cannot win and are dropped.  Survivors
    are then evaluated in full, in batches (``batch`` positions) of increasing lower bound,
    until every remaining bound exceeds its group's best exact distance.  When all tails
    together are short (≤ ``exact_all`` positions) every candidate is evaluated in full at
    once.  ``budget`` caps the positions held at once.  Ties go to the smallest xmin.
    Returns (index into ks of the winner, its distance) per group.
    """
    m = ks.size
    lengths = last - ks + 1
    lb = np.empty(m)
    exact = np.zeros(m, dtype=bool)
    alive = np.ones(m, dtype=bool)
    get = lambda ii: None if logz is None else logz[ii]  # noqa: E731
    # discrete: a Hurwitz ζ per position costs ~30 powers, so bounds pay off from ~1,000
    # positions on (tuned on zipf, geometric, binomial and lognormal tails, single fits and
    # 100-set bootstrap batches: benchmarks/bench_fit.py)
    if exact_all is None:
        exact_all = _DISCRETE_EXACT_ALL if discrete else budget
    if batch is None:
        batch = _DISCRETE_BATCH if discrete else budget // 64
    if lengths.sum() <= exact_all:
        lb[:] = _ks_exact_batch(u, discrete, nsuf, ks, last, alpha, logz)
        exact[:] = True
    else:
        if window is None:
            window = 4 if discrete else 24
        if samples is None:
            samples = 0 if discrete else 48
        ub = np.empty(m)
        sel = np.arange(m)
        while True:
            step = max(1, budget // (window + samples + 1))
            for s in range(0, sel.size, step):
                ii = sel[s:s + step]
                lb[ii], ub[ii], exact[ii] = _ks_bounds(u, discrete, nsuf, ks[ii], last[ii], alpha[ii],
                                                       get(ii), window, samples)
            best_ub = np.full(n_groups, np.inf)
            np.minimum.at(best_ub, group[alive], ub[alive])
            # an exact distance early gives a far tighter threshold than the best upper bound:
            # per group, evaluate the open candidates with the smallest lower and upper bound
            op = np.flatnonzero(alive & ~exact)
            if op.size:
                picks = []
                for key in (lb, ub):
                    o = op[np.lexsort((key[op], group[op]))]
                    first = np.ones(o.size, dtype=bool)
                    first[1:] = group[o][1:] != group[o][:-1]
                    picks.append(o[first])
                probe = np.unique(np.concatenate(picks))
                lb[probe] = _ks_exact_batch(u, discrete, nsuf, ks[probe], last[probe], alpha[probe], get(probe))
                ub[probe] = lb[probe]
                exact[probe] = True
                np.minimum.at(best_ub, group[probe], lb[probe])
            alive &= lb <= best_ub[group]
            sel = np.flatnonzero(alive & ~exact)
            nxt = 16 if samples == 0 else samples * 8  # window only, then positions to the end
            if (sel.size <= 64 * n_groups or sel.size * nxt > 10 * budget
                    or nxt >= np.median(lengths[sel])):
                break
            samples = nxt
    best = np.full(n_groups, np.inf)
    np.minimum.at(best, group[exact & alive], lb[exact & alive])
    while True:
        open_ = np.flatnonzero(alive & ~exact)
        keep = lb[open_] <= best[group[open_]]
        alive[open_[~keep]] = False
        open_ = open_[keep]
        if open_.size == 0:
            break
        o = open_[np.argsort(lb[open_], kind="stable")]
        take = max(1, int(np.searchsorted(np.cumsum(lengths[o]), batch)))
        ii = o[:take]
        lb[ii] = _ks_exact_batch(u, discrete, nsuf, ks[ii], last[ii], alpha[ii], get(ii))
        exact[ii] = True
        np.minimum.at(best, group[ii], lb[ii])
    cand = np.flatnonzero(alive & exact)
    order = cand[np.lexsort((cand, lb[cand], group[cand]))]
    first = np.ones(order.size, dtype=bool)
    first[1:] = group[order][1:] != group[order][:-1]
    win = order[first]
    out_idx = np.full(n_groups, -1)
    out_d = np.full(n_groups, np.inf)
    out_idx[group[win]] = win
    out_d[group[win]] = lb[win]
    return out_idx, out_d


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
    at_edge: bool


def _prepare(u, c, discrete, xmin, min_tail):
    """Suffix sums and candidate indices for one histogram (xmin inserted when fixed)."""
    if xmin is not None:
        k0 = int(np.searchsorted(u, xmin, side="left"))
        if k0 >= u.size:
            raise InputError(f"xmin={xmin:g}: no value of the sample is ≥ xmin; lower xmin "
                             f"(the largest value is {u[-1]:g})")
        if u[k0] != xmin:
            u = np.insert(u, k0, xmin)
            c = np.insert(c, k0, 0)
        tail_u = u[k0:][c[k0:] > 0]
        if tail_u.size < 2:
            raise InputError(f"xmin={xmin:g}: every value ≥ xmin is equal, so α is unbounded; lower xmin")
    nsuf = np.cumsum(c[::-1])[::-1]
    ssuf = np.cumsum((c * np.log(u))[::-1])[::-1]
    if xmin is not None:
        ks = np.array([k0])
    else:
        ks = np.flatnonzero((nsuf >= max(min_tail, 2)) & (np.arange(u.size) < u.size - 1))
    return u, c, nsuf, ssuf, ks


def fit_many(hists, discrete: bool, *, xmin: float | None = None, min_tail: int = 10,
             alpha_max: float = 100.0, raise_empty: bool = True) -> list[HistFit | None]:
    """CSN fits of several histograms at once (vectorised across all their candidates)."""
    us, nss, ss, kss, lasts, groups, offs = [], [], [], [], [], [], 0
    prepared = []
    for g, (u, c) in enumerate(hists):
        try:
            u2, c2, nsuf, ssuf, ks = _prepare(u, c, discrete, xmin, min_tail)
        except InputError:
            if raise_empty:
                raise
            ks = np.empty(0, dtype=np.int64)
            u2, nsuf, ssuf = u, np.cumsum(c[::-1])[::-1], np.zeros(u.size)
        if ks.size == 0 and raise_empty:
            raise InputError(
                f"x: too few points to fit: a tail needs ≥ {max(min_tail, 2)} values and ≥ 2 distinct values "
                f"(got n={int(c.sum())}, {u.size} distinct); pass more data or a smaller min_tail")
        prepared.append((offs, u2, ks, nsuf, ssuf))
        us.append(u2)
        nss.append(nsuf)
        ss.append(ssuf)
        kss.append(ks + offs)
        lasts.append(np.full(ks.size, offs + u2.size - 1))
        groups.append(np.full(ks.size, g))
        offs += u2.size
    U = np.concatenate(us)
    nsuf = np.concatenate(nss).astype(float)
    ssuf = np.concatenate(ss)
    ks = np.concatenate(kss).astype(np.int64)
    last = np.concatenate(lasts).astype(np.int64)
    group = np.concatenate(groups).astype(np.int64)
    q = U[ks]
    ntail = nsuf[ks]
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
    idx, dmin = ks_min_many(U, discrete, nsuf, ks, last, alpha, logz, group, len(prepared))
    out: list[HistFit | None] = []
    for g, (off, _u2, kloc, ns, _sl) in enumerate(prepared):
        i = idx[g]
        if i < 0:
            out.append(None)
            continue
        a = float(alpha[i])
        xm = float(q[i])
        nt = int(ntail[i])
        if discrete:
            assert logz is not None  # set whenever discrete
            ll = float(-a * ssuf[ks[i]] - nt * logz[i])
        else:
            ll = float(nt * np.log((a - 1) / xm) - a * (ssuf[ks[i]] - nt * np.log(xm)))
        out.append(HistFit(alpha=a, xmin=xm, k=int(ks[i] - off), n=int(ns[0]), n_tail=nt, ks=float(dmin[g]),
                           hit_bound=bool(hit[i]), n_candidates=int(kloc.size), log_likelihood=ll,
                           at_edge=bool(kloc.size > 1 and ks[i] - off == kloc[-1])))
    return out


def fit_hist(u: np.ndarray, c: np.ndarray, discrete: bool, *, xmin: float | None = None,
             min_tail: int = 10, alpha_max: float = 100.0) -> HistFit | None:
    """CSN fit of one histogram; xmin searched over the unique values unless given."""
    return fit_many([(u, c)], discrete, xmin=xmin, min_tail=min_tail, alpha_max=alpha_max)[0]
