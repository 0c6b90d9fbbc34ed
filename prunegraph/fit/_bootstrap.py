"""Semi-parametric bootstrap for the CSN goodness-of-fit p-value (CSN 2009, §4.1).

Each synthetic set has n values: with probability n_tail/n a value is drawn from the fitted
power law above xmin, otherwise from the empirical body (values below xmin).  Draws are made
as histograms (binomial split, multinomial counts over the body's unique values and over an
integer grid above xmin) so that a refit costs O(unique values), not O(n).  Each synthetic set
is refitted with its own xmin (or the fixed xmin when the user fixed it) and its KS distance
recorded.  Replicate i uses its own generator spawned from one SeedSequence, so the result is
the same for any n_jobs, and on a Dask cluster (:mod:`prunegraph.distributed`).
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from .._rng import spawn_seeds
from . import _core, _truncated
from ._zeta import log_hzeta

GRID_MAX = 4096


@dataclass
class BootSpec:
    discrete: bool
    n: int
    body_u: np.ndarray
    body_p: np.ndarray
    n_body: int
    alpha: float
    xmin: float
    xmax: float | None
    fixed_xmin: bool
    min_tail: int
    alpha_max: float
    data_max: float


def _tail_table(spec: BootSpec) -> tuple[np.ndarray, np.ndarray]:
    """Integer grid xmin..X_T and probabilities (last entry: mass above X_T)."""
    hi = max(spec.data_max, spec.xmin + 63.0)
    hi = min(hi, spec.xmin + GRID_MAX - 1)
    x = np.arange(spec.xmin, hi + 1.0)
    lz = log_hzeta(spec.alpha, spec.xmin)
    p = np.exp(-spec.alpha * np.log(x) - lz)
    over = max(0.0, float(np.exp(log_hzeta(spec.alpha, hi + 1.0) - lz)))
    p = np.append(p, over)
    return x, p / p.sum()


def _draw(spec: BootSpec, table, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One synthetic set as a histogram (sorted unique values, counts)."""
    n = spec.n
    n_tail = rng.binomial(n, 1.0 - spec.n_body / n) if spec.n_body else n
    nb = n - n_tail
    cb = rng.multinomial(nb, spec.body_p) if nb else None
    if spec.discrete:
        x, p = table
        ct = rng.multinomial(n_tail, p)
        m = int(ct[-1])
        parts_u, parts_c = [], []
        if nb:
            parts_u.append(spec.body_u)
            parts_c.append(cb)
        parts_u.append(x)
        parts_c.append(ct[:-1])
        if m:
            # mass beyond the grid: the continuous approximation with the ½ shift (CSN eq. D.6)
            # conditioned on exceeding the grid
            x0 = x[-1] + 0.5
            v = np.floor(x0 * (1.0 - rng.random(m)) ** (-1.0 / (spec.alpha - 1.0)) + 0.5)
            vu, vc = np.unique(v, return_counts=True)
            parts_u.append(vu)
            parts_c.append(vc)
        # body < xmin ≤ grid ≤ X_T < overflow: the concatenation is already sorted and unique
        u = np.concatenate(parts_u)
        c = np.concatenate(parts_c)
        keep = c > 0
        return u[keep], c[keep]
    tail = spec.xmin * (1.0 - rng.random(n_tail)) ** (-1.0 / (spec.alpha - 1.0))
    vals = np.concatenate([np.repeat(spec.body_u, cb), tail]) if nb else tail
    u, c = np.unique(vals, return_counts=True)
    return u, c.astype(np.int64)


def _fit_batch(spec: BootSpec, hists) -> np.ndarray:
    fits = _core.fit_many(hists, spec.discrete, xmin=spec.xmin if spec.fixed_xmin else None,
                          min_tail=spec.min_tail, alpha_max=spec.alpha_max, raise_empty=False)
    # a synthetic set that cannot be fitted counts as a worse fit than the data (D = inf)
    return np.array([np.inf if f is None else f.ks for f in fits])


def _truncated_searched(spec: BootSpec, seeds) -> np.ndarray:
    """Truncated bootstrap when xmin was searched: n values, the body below xmin resampled from
    the data with probability n_body/n, the rest from the fitted truncated law; xmin searched
    again on every set (the same candidate rule and KS criterion as the fit)."""
    from ._powerlaw import truncated_candidates, truncated_search

    out = np.empty(len(seeds))
    if spec.discrete:
        g = _truncated.grid(spec.xmin, spec.xmax)
        p = _truncated.discrete_pmf(np.array([spec.alpha]), np.log(g))[0]
    for i, s in enumerate(seeds):
        rng = np.random.default_rng(s)
        n_tail = rng.binomial(spec.n, 1.0 - spec.n_body / spec.n) if spec.n_body else spec.n
        nb = spec.n - n_tail
        parts_u, parts_c = [], []
        if nb:
            parts_u.append(spec.body_u)
            parts_c.append(rng.multinomial(nb, spec.body_p))
        if spec.discrete:
            parts_u.append(g)
            parts_c.append(rng.multinomial(n_tail, p))
        else:
            v, cv = np.unique(_truncated.continuous_sample(rng, n_tail, spec.alpha, spec.xmin, spec.xmax),
                              return_counts=True)
            parts_u.append(v)
            parts_c.append(cv)
        u = np.concatenate(parts_u)
        c = np.concatenate(parts_c).astype(np.int64)
        keep = c > 0
        u, c = u[keep], c[keep]
        if not spec.discrete:
            order = np.argsort(u, kind="stable")
            u, c = u[order], c[order]
        cands = truncated_candidates(u, c, spec.xmax, spec.min_tail)
        if not cands:
            out[i] = np.inf
            continue
        best, _ = truncated_search(u, c, spec.discrete, cands, spec.xmax, spec.alpha_max)
        out[i] = best.ks
    return out


def _truncated_batch(spec: BootSpec, seeds, n_tail: int) -> np.ndarray:
    """DC bootstrap with the range fixed: n_tail draws from the truncated law, refit α."""
    if not spec.fixed_xmin:
        return _truncated_searched(spec, seeds)
    out = np.empty(len(seeds))
    if spec.discrete:
        g = _truncated.grid(spec.xmin, spec.xmax)
        lt = np.log(g)
        p = _truncated.discrete_pmf(np.array([spec.alpha]), lt)[0]
        h = np.stack([np.random.default_rng(s).multinomial(n_tail, p) for s in seeds])
        mean_log = (h @ lt) / n_tail
        a, _ = _truncated.discrete_mle_grid(lt, mean_log, alpha_max=spec.alpha_max)
        return _truncated.discrete_ks_grid(h, a, lt)
    for i, s in enumerate(seeds):
        rng = np.random.default_rng(s)
        v = _truncated.continuous_sample(rng, n_tail, spec.alpha, spec.xmin, spec.xmax)
        u, c = np.unique(v, return_counts=True)
        a, _ = _truncated.continuous_mle(float(np.log(v).mean()), spec.xmin, spec.xmax, alpha_max=spec.alpha_max)
        out[i] = _truncated.continuous_ks(u, c, a, spec.xmin, spec.xmax)
    return out


def _chunk(args) -> np.ndarray:
    spec, seeds, n_tail = args
    if spec.xmax is not None:
        return _truncated_batch(spec, seeds, n_tail)
    table = _tail_table(spec) if spec.discrete else None
    hists = [_draw(spec, table, np.random.default_rng(s)) for s in seeds]
    if not spec.discrete:
        return np.concatenate([_fit_batch(spec, [h]) for h in hists])
    return _fit_batch(spec, hists)


def synthetic_ks(spec: BootSpec, n_reps: int, rng: np.random.Generator, *, n_jobs: int = 1,
                 n_tail: int | None = None, progress: bool = False) -> np.ndarray:
    """KS distances of ``n_reps`` synthetic refits (same values for every n_jobs)."""
    from .._progress import progress as _prog
    from ..distributed import active_client, map_ordered, n_threads

    client = active_client()  # inside prunegraph.distributed.scheduler: the cluster's workers
    if client is not None:
        n_jobs = n_threads(client)
    seeds = spawn_seeds(rng, n_reps)  # one integers(2**63) draw of rng: SeedSequence(it).spawn(n_reps)
    n_chunks = max(1, min(n_reps, max(n_jobs, 1) * 4, -(-n_reps // 100)))
    bounds = np.linspace(0, n_reps, n_chunks + 1).astype(int)
    jobs = [(spec, seeds[a:b], n_tail) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
    if client is not None:
        res = map_ordered(_chunk, jobs, client)
    elif n_jobs == 1:
        res = [_chunk(j) for j in _prog(jobs, desc="bootstrap", enabled=progress)]
    else:
        workers = n_jobs if n_jobs > 0 else None
        with ProcessPoolExecutor(max_workers=workers) as ex:
            res = list(_prog(ex.map(_chunk, jobs), desc="bootstrap", total=len(jobs), enabled=progress))
    return np.concatenate(res)
