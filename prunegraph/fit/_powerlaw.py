"""Public power-law fitting: :func:`fit_power_law`, :func:`fit_truncated_power_law`,
:func:`find_truncated_range` and the :class:`PowerLawFit` result."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import numpy as np

from ..errors import InputError, UsageError
from . import _bootstrap, _core, _truncated

DEFAULT_MIN_TAIL = 10
DEFAULT_ALPHA_MAX = 100.0


@dataclass(frozen=True)
class PowerLawFit:
    """Result of a power-law fit (CSN 2009; doubly truncated: Deluca & Corral 2013).

    Attributes
    ----------
    alpha, sigma : float
        Exponent and its standard error (continuous: (α − 1)/√n_tail, CSN eq. 3.2; discrete
        and truncated: 1/√(n_tail · Var_α[ln X]), the inverse Fisher information).  ``sigma``
        is NaN when ``hit_bound``: α is then the search bound, not a maximum of the
        likelihood, and the Fisher information evaluated there is no standard error (set in
        ``__post_init__``, so every constructor and ``dataclasses.replace`` keep it; JSON
        writes null, tables a dash).  ``sigma`` is left out of ``==`` and ``hash``: it is a
        function of the compared α, xmin, xmax and n_tail, and a NaN would make a fit
        unequal to its own copy.
    xmin, xmax : float, float | None
        The fitted range; xmax is None for the ordinary (untruncated) law.
    n, n_tail : int
        Sample size and number of values in the fitted range.
    ks_distance : float
        KS distance max |S(x) − P(x)| over the unique values in range (CCDFs P(X ≥ x)).
    p_value : float | None
        Bootstrap goodness-of-fit p-value; None unless ``bootstrap > 0``.
    n_bootstrap : int
        Number of synthetic sets behind ``p_value``.
    discrete : bool
    hit_bound : bool
        True when the MLE reached the α search bound (the estimate is the bound, not a root).
    bound_note : str
        Human-readable explanation when ``hit_bound`` (empty otherwise).
    log_likelihood : float
        Log-likelihood of the tail under the fitted law.
    min_tail, alpha_max, xmin_fixed, n_candidates, notes
        Search settings: minimum tail size, α bound, whether xmin was given, number of xmin
        candidates examined, and free-text notes.
    """

    alpha: float
    sigma: float = field(compare=False)
    xmin: float
    xmax: float | None
    n: int
    n_tail: int
    ks_distance: float
    p_value: float | None
    n_bootstrap: int
    discrete: bool
    hit_bound: bool
    bound_note: str
    log_likelihood: float
    min_tail: int
    alpha_max: float
    xmin_fixed: bool
    n_candidates: int
    notes: tuple[str, ...] = ()
    values: np.ndarray | None = field(default=None, repr=False, compare=False)
    counts: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        if self.hit_bound and not math.isnan(self.sigma):  # no standard error at the bound
            object.__setattr__(self, "sigma", math.nan)

    @property
    def plausible(self) -> bool | None:
        """p_value > 0.1 (CSN's rule); None when not bootstrapped."""
        return None if self.p_value is None else bool(self.p_value > 0.1)

    def tail(self) -> np.ndarray:
        """The fitted values (xmin ≤ x ≤ xmax), sorted, expanded from the stored histogram."""
        if self.values is None or self.counts is None:
            raise UsageError("this PowerLawFit holds no data (built by hand); pass the sample instead")
        m = self.values >= self.xmin
        if self.xmax is not None:
            m &= self.values <= self.xmax
        return np.repeat(self.values[m], self.counts[m])

    def to_dict(self) -> dict:
        out = {}
        for f in fields(self):
            if f.name in ("values", "counts"):
                continue
            v = getattr(self, f.name)
            if isinstance(v, tuple):
                v = list(v)
            elif isinstance(v, (np.floating, np.integer, np.bool_)):
                v = v.item()
            out[f.name] = v
        return out


def _check_opts(min_tail, alpha_max, bootstrap, n_jobs):
    if not isinstance(min_tail, (int, np.integer)) or min_tail < 1:
        raise UsageError(f"min_tail={min_tail!r}: must be an integer ≥ 1")
    if not (np.isfinite(alpha_max) and alpha_max > 1.0):
        raise UsageError(f"alpha_max={alpha_max!r}: must be a finite number > 1")
    if not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
        raise UsageError(f"bootstrap={bootstrap!r}: must be an integer ≥ 0 (number of synthetic sets)")
    if not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0 or n_jobs < -1:
        raise UsageError(f"n_jobs={n_jobs!r}: must be ≥ 1, or -1 for all cores")


def _bound_note(hit: bool, alpha_max: float, truncated: bool = False) -> str:
    if not hit:
        return ""
    rng = f"[-{alpha_max:g}, {alpha_max:g}]" if truncated else f"(1, {alpha_max:g}]"
    return (f"alpha reached the search bound {rng}: the likelihood still increases beyond it, so the "
            "tail is not a power law in range (raise alpha_max to look further)")


def fit_power_law(x, *, discrete: bool | None = None, xmin: float | None = None,
                  xmax: float | None = None, bootstrap: int = 0, rng=None,
                  min_tail: int = DEFAULT_MIN_TAIL, alpha_max: float = DEFAULT_ALPHA_MAX,
                  n_jobs: int = 1, progress: bool = False) -> PowerLawFit:
    r"""Fit a power law to the tail of a positive sample (Clauset, Shalizi & Newman 2009).

    Discrete (integer data, auto-detected unless ``discrete`` is given):
    :math:`p(x) = x^{-\alpha}/\zeta(\alpha, x_{min})`, α by the exact MLE
    :math:`\zeta'(\alpha, x_{min})/\zeta(\alpha, x_{min}) = -\overline{\ln x}` (CSN eq. 3.5),
    solved by safeguarded Newton from the ½-shift approximation
    :math:`1 + n[\sum \ln(x_i/(x_{min}-\tfrac12))]^{-1}`.  Continuous:
    :math:`\hat\alpha = 1 + n[\sum \ln(x_i/x_{min})]^{-1}`, σ = (α − 1)/√n.

    xmin minimises the KS distance :math:`D = \max_{x \ge x_{min}} |S(x) - P(x)|`, S and P the
    empirical and fitted CCDF P(X ≥ x) evaluated at the unique data values in the tail (the
    convention of CSN's reference code, the ``powerlaw`` package and igraph's plfit).
    **Candidates** are all unique values u whose tail {x ≥ u} holds at least ``min_tail``
    values and at least two distinct values.  **Search bound on α**: discrete α is searched in
    (1, ``alpha_max``]; when the likelihood still rises at alpha_max, α = alpha_max and
    ``hit_bound`` is set with ``bound_note`` explaining it (nothing is bounded silently; the
    ``powerlaw`` package's default α ≤ 3 is *not* used).  The continuous MLE is closed-form
    and bounded the same way only to report absurd values.

    Goodness of fit (``bootstrap > 0``): the semi-parametric bootstrap of CSN §4.1 — each
    synthetic set takes a value from the fitted law above xmin with probability n_tail/n and
    from the empirical body otherwise, and is refitted with its own xmin (the fixed xmin when
    ``xmin`` was given); p = share of synthetic KS distances ≥ the observed one.  Synthetic
    sets are drawn as histograms; replicate i has its own seed spawned from ``rng``, so the
    result is identical for any ``n_jobs``.

    With ``xmax`` the doubly truncated law p(x) ∝ x^−α on [xmin, xmax] is fitted instead (see
    :func:`fit_truncated_power_law`).

    Parameters
    ----------
    x : array_like
        Positive values (degrees: use ``DegreeSequence.alive``).
    discrete : bool, optional
        Default: True when every value is an integer.
    xmin : float, optional
        Fix xmin instead of searching it.
    xmax : float, optional
        Fit the doubly truncated law on [xmin, xmax].
    bootstrap : int
        Number of synthetic sets for the p-value (CSN suggest 2,500 for ±0.01).
    rng : numpy.random.Generator | int | None
        Seed of the bootstrap.
    min_tail : int
        Minimum number of values in a candidate tail (default 10).
    alpha_max : float
        Upper bound of the α search (default 100).
    n_jobs : int
        Processes for the bootstrap (-1: all cores).
    progress : bool
        Show a progress bar for the bootstrap.

    Returns
    -------
    PowerLawFit

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).zipf(2.5, 5000)
    >>> f = fit_power_law(x)
    >>> round(f.alpha, 1), f.discrete
    (2.5, True)
    """
    _check_opts(min_tail, alpha_max, bootstrap, n_jobs)
    u, c, discrete = _core.histogram(x, discrete=discrete)
    if xmax is not None:
        return fit_truncated_power_law(x, discrete=discrete, xmin=xmin, xmax=xmax, bootstrap=bootstrap,
                                       rng=rng, min_tail=min_tail, alpha_max=alpha_max, n_jobs=n_jobs,
                                       progress=progress)
    if xmin is not None and not (np.isfinite(xmin) and xmin > 0):
        raise UsageError(f"xmin={xmin!r}: must be a positive number")
    if discrete and xmin is not None and xmin != round(xmin):
        raise UsageError(f"xmin={xmin!r}: discrete data need an integer xmin")
    if u.size < 2:
        raise InputError(f"x: all {int(c.sum())} values equal {u[0]:g}; a power law needs at least two distinct values")
    hf = _core.fit_hist(u, c, discrete, xmin=xmin, min_tail=min_tail, alpha_max=alpha_max)
    if hf is None:  # fit_hist raises on a sample without candidates; None would mean no KS minimum
        raise InputError(f"x: no xmin candidate could be fitted (n={int(c.sum())}, {u.size} distinct values)")
    if xmin is not None and hf.n_tail < min_tail:
        raise InputError(f"xmin={xmin:g}: only {hf.n_tail} values ≥ xmin, fewer than min_tail={min_tail}; lower xmin")
    if discrete:
        sigma = _core.discrete_sigma(hf.alpha, hf.xmin, hf.n_tail)
    else:
        sigma = (hf.alpha - 1.0) / math.sqrt(hf.n_tail)
    notes = []
    if xmin is None and hf.at_edge:
        notes.append("xmin is the largest candidate allowed by min_tail: the KS minimum sits on the search edge")
    p_value = None
    if bootstrap:
        body = u < hf.xmin
        spec = _bootstrap.BootSpec(
            discrete=discrete, n=hf.n, body_u=u[body], body_p=c[body] / max(c[body].sum(), 1),
            n_body=int(c[body].sum()), alpha=hf.alpha, xmin=hf.xmin, xmax=None,
            fixed_xmin=xmin is not None, min_tail=min_tail, alpha_max=alpha_max, data_max=float(u[-1]))
        d = _bootstrap.synthetic_ks(spec, bootstrap, np.random.default_rng(rng), n_jobs=n_jobs,
                                    progress=progress)
        p_value = float(np.mean(d >= hf.ks))
    return PowerLawFit(
        alpha=hf.alpha, sigma=float(sigma), xmin=hf.xmin, xmax=None, n=hf.n, n_tail=hf.n_tail,
        ks_distance=hf.ks, p_value=p_value, n_bootstrap=int(bootstrap), discrete=discrete,
        hit_bound=hf.hit_bound, bound_note=_bound_note(hf.hit_bound, alpha_max),
        log_likelihood=hf.log_likelihood, min_tail=int(min_tail), alpha_max=float(alpha_max),
        xmin_fixed=xmin is not None, n_candidates=hf.n_candidates, notes=tuple(notes),
        values=u, counts=c)


# ---------------------------------------------------------------- truncated
@dataclass
class _TFit:
    alpha: float
    hit: bool
    ks: float
    n_in: int
    ll: float
    sigma: float


def _truncated_fixed(u, c, discrete, xmin, xmax, alpha_max) -> _TFit:
    m = (u >= xmin) & (u <= xmax)
    uu, cc = u[m], c[m]
    n_in = int(cc.sum())
    if discrete:
        g = _truncated.grid(xmin, xmax)
        lt = np.log(g)
        h = np.zeros((1, g.size))
        h[0, (uu - g[0]).astype(np.int64)] = cc
        mean_log = float((cc * np.log(uu)).sum() / n_in)
        a_row, hit_row = _truncated.discrete_mle_grid(lt, np.array([mean_log]), alpha_max=alpha_max)
        ks = float(_truncated.discrete_ks_grid(h, a_row, lt)[0])
        p = _truncated.discrete_pmf(a_row, lt)[0]
        ll = float((cc * np.log(p[(uu - g[0]).astype(np.int64)])).sum())
        e = p @ lt
        v = p @ (lt * lt) - e * e
        return _TFit(float(a_row[0]), bool(hit_row[0]), ks, n_in, ll,
                     float(1 / math.sqrt(n_in * v)) if v > 0 else math.inf)
    lx = np.log(uu)
    mean_log = float((cc * lx).sum() / n_in)
    a, hit = _truncated.continuous_mle(mean_log, xmin, xmax, alpha_max=alpha_max)
    ks = _truncated.continuous_ks(uu, cc, a, xmin, xmax)
    ll = _truncated.continuous_loglik(np.repeat(uu, cc), a, xmin, xmax)
    lr = math.log(xmax / xmin)
    t = (1 - a) * lr
    hstep = 1e-4
    phi2 = float((_truncated._phi1(np.array(t + hstep)) - _truncated._phi1(np.array(t - hstep))) / (2 * hstep))
    v = lr * lr * phi2
    return _TFit(a, hit, ks, n_in, ll, float(1 / math.sqrt(n_in * v)) if v > 0 else math.inf)


def truncated_candidates(u, c, xmax: float, min_tail: int) -> list[float]:
    """xmin candidates ≤ xmax: unique values leaving ≥ max(min_tail, 2) values and two
    distinct values in [xmin, xmax]."""
    inr = u <= xmax
    uu, cc = u[inr], c[inr]
    nsuf = np.cumsum(cc[::-1])[::-1]
    ok = (nsuf >= max(min_tail, 2)) & (np.arange(uu.size) < uu.size - 1)
    return [float(v) for v in uu[ok]]


def truncated_search(u, c, discrete, cands, xmax, alpha_max) -> tuple[_TFit, float]:
    """The candidate xmin with the smallest KS distance of the truncated fit (ties: smallest)."""
    if discrete and len(cands) > 1:  # every candidate at once on the integer grid
        g = _truncated.grid(cands[0], xmax)
        h = np.zeros(g.size)
        m = (u >= cands[0]) & (u <= xmax)
        h[(u[m] - g[0]).astype(np.int64)] = c[m]
        ks, _ = _truncated.discrete_search(h, np.log(g), np.asarray(cands) - g[0], alpha_max=alpha_max)
        xm = cands[int(np.argmin(ks))]
        return _truncated_fixed(u, c, discrete, xm, xmax, alpha_max), xm
    best: _TFit | None = None
    best_xmin = math.nan
    for xm in cands:
        tf = _truncated_fixed(u, c, discrete, xm, xmax, alpha_max)
        if best is None or tf.ks < best.ks:
            best, best_xmin = tf, xm
    if best is None:
        raise InputError("no xmin candidate ≤ xmax to fit")
    return best, best_xmin


def fit_truncated_power_law(x, *, xmax: float, discrete: bool | None = None, xmin: float | None = None,
                            bootstrap: int = 0, rng=None, min_tail: int = DEFAULT_MIN_TAIL,
                            alpha_max: float = DEFAULT_ALPHA_MAX, n_jobs: int = 1,
                            progress: bool = False) -> PowerLawFit:
    r"""Fit the doubly truncated power law p(x) ∝ x^−α on xmin ≤ x ≤ xmax (Deluca & Corral 2013).

    Discrete: :math:`p(x) = x^{-\alpha} / \sum_{t=x_{min}}^{x_{max}} t^{-\alpha}`; continuous:
    :math:`p(x) = (1-\alpha) x^{-\alpha} / (x_{max}^{1-\alpha} - x_{min}^{1-\alpha})`.  The MLE
    solves :math:`E_\alpha[\ln X] = \overline{\ln x}` (unique root, E decreasing in α), with
    α in [−alpha_max, alpha_max] (a truncated law is normalisable for any real α; hitting the
    bound sets ``hit_bound``).  Values above xmax are ignored; xmin is searched over the unique
    values ≤ xmax by minimum KS distance (same candidate rules as :func:`fit_power_law`) unless
    given.  ``bootstrap`` gives the goodness-of-fit p-value: with xmin given, the Deluca–Corral
    test (n_tail values drawn from the fitted truncated law, range held fixed, α refitted);
    with xmin searched, each synthetic set takes the body below xmin from the data and the
    rest from the fitted law (CSN §4.1) and xmin is searched again on it, as on the data (a
    range searched on the data but held fixed in the bootstrap inflates p).
    p = share of synthetic KS distances ≥ observed.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).zipf(2.0, 20000)
    >>> f = fit_truncated_power_law(x, xmin=1, xmax=100)
    >>> round(f.alpha, 1), f.xmax
    (2.0, 100.0)
    """
    _check_opts(min_tail, alpha_max, bootstrap, n_jobs)
    u, c, discrete = _core.histogram(x, discrete=discrete)
    if not (xmax is not None and np.isfinite(xmax) and xmax > 0):
        raise UsageError(f"xmax={xmax!r}: must be a positive number")
    xmax = float(xmax)
    if xmin is not None:
        if not (np.isfinite(xmin) and xmin > 0):
            raise UsageError(f"xmin={xmin!r}: must be a positive number")
        _truncated.check_range(xmin, xmax)
        if discrete and (xmin != round(xmin) or xmax != round(xmax)):
            raise UsageError(f"xmin={xmin!r}, xmax={xmax!r}: discrete data need integer bounds")
        m = (u >= xmin) & (u <= xmax)
        if int(c[m].sum()) < min_tail:
            raise _truncated.too_few(int(c[m].sum()), xmin, xmax, min_tail)
        if m.sum() < 2:
            raise InputError(f"range [{xmin:g}, {xmax:g}]: all values in range are equal; widen the range")
        cands = [float(xmin)]
    else:
        cands = truncated_candidates(u, c, xmax, min_tail)
        if not cands:
            raise InputError(f"x: no xmin ≤ xmax={xmax:g} leaves ≥ {max(min_tail, 2)} values and two distinct values; "
                             "pass more data, a larger xmax or a smaller min_tail")
    if discrete:
        xmax = float(math.floor(xmax))
    best, best_xmin = truncated_search(u, c, discrete, cands, xmax, alpha_max)
    p_value = None
    if bootstrap:
        if xmin is not None:
            spec = _bootstrap.BootSpec(
                discrete=discrete, n=best.n_in, body_u=np.empty(0), body_p=np.empty(0), n_body=0,
                alpha=best.alpha, xmin=best_xmin, xmax=xmax, fixed_xmin=True, min_tail=min_tail,
                alpha_max=alpha_max, data_max=xmax)
        else:  # xmin was searched: every synthetic set is searched again (CSN §4.1)
            inr = u <= xmax
            body = inr & (u < best_xmin)
            spec = _bootstrap.BootSpec(
                discrete=discrete, n=int(c[inr].sum()), body_u=u[body], body_p=c[body] / max(c[body].sum(), 1),
                n_body=int(c[body].sum()), alpha=best.alpha, xmin=best_xmin, xmax=xmax, fixed_xmin=False,
                min_tail=min_tail, alpha_max=alpha_max, data_max=xmax)
        d = _bootstrap.synthetic_ks(spec, bootstrap, np.random.default_rng(rng), n_jobs=n_jobs,
                                    n_tail=best.n_in, progress=progress)
        p_value = float(np.mean(d >= best.ks))
    notes = []
    if bootstrap:
        notes.append("bootstrap holds xmin and xmax fixed (Deluca & Corral 2013)" if xmin is not None else
                     "bootstrap re-searches xmin on every synthetic set, xmax fixed")
    return PowerLawFit(
        alpha=best.alpha, sigma=best.sigma, xmin=best_xmin, xmax=xmax, n=int(c.sum()), n_tail=best.n_in,
        ks_distance=best.ks, p_value=p_value, n_bootstrap=int(bootstrap), discrete=discrete,
        hit_bound=best.hit, bound_note=_bound_note(best.hit, alpha_max, truncated=True),
        log_likelihood=best.ll, min_tail=int(min_tail), alpha_max=float(alpha_max),
        xmin_fixed=xmin is not None, n_candidates=len(cands), notes=tuple(notes), values=u, counts=c)


def find_truncated_range(x, *, discrete: bool | None = None, n_grid: int = 20, p_min: float = 0.1,
                         bootstrap: int = 200, rng=None, min_tail: int = 50,
                         alpha_max: float = DEFAULT_ALPHA_MAX, n_jobs: int = 1,
                         progress: bool = False) -> PowerLawFit:
    r"""Widest range [xmin, xmax] where a doubly truncated power law is plausible (Deluca &
    Corral, Acta Geophysica 61, 2013).

    Candidate xmin and xmax are ``n_grid`` log-spaced quantiles of the unique values; pairs
    holding at least ``min_tail`` values are tried in decreasing order of ln(xmax/xmin) (ties:
    more data first).  Each is fitted by :func:`fit_truncated_power_law` with both bounds fixed
    and tested with ``bootstrap`` synthetic sets (range fixed); the first with p > ``p_min`` is
    returned — the widest plausible range.  Raises InputError when no range passes.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(1).zipf(2.2, 3000)
    >>> f = find_truncated_range(x, bootstrap=50, n_grid=8, rng=0)
    >>> f.p_value > 0.1
    True
    """
    _check_opts(min_tail, alpha_max, bootstrap, n_jobs)
    if bootstrap < 1:
        raise UsageError("bootstrap=0: find_truncated_range needs bootstrap ≥ 1 to test each range")
    u, c, discrete = _core.histogram(x, discrete=discrete)
    if u.size < 3:
        raise InputError(f"x: only {u.size} distinct values; a range search needs at least 3")
    idx = np.unique(np.round(np.geomspace(1, u.size, min(n_grid, u.size))).astype(int) - 1)
    grid_v = u[idx]
    csum = np.concatenate([[0], np.cumsum(c)])
    pos = {float(v): i for i, v in enumerate(u)}
    pairs = []
    for a in grid_v:
        for b in grid_v:
            if b <= a:
                continue
            n_in = int(csum[pos[float(b)] + 1] - csum[pos[float(a)]])
            if n_in >= min_tail and pos[float(b)] - pos[float(a)] >= 1:
                pairs.append((-math.log(b / a), -n_in, float(a), float(b)))
    if not pairs:
        raise InputError(f"x: no candidate range holds min_tail={min_tail} values; pass more data or lower min_tail")
    pairs.sort()
    gen = np.random.default_rng(rng)
    tested = 0
    for _, _, a, b in pairs:
        tested += 1
        f = _fit_counts(u, c, discrete, a, b, bootstrap, gen, min_tail, alpha_max, n_jobs)
        if f.p_value is not None and f.p_value > p_min:  # always set: _fit_counts bootstraps
            return PowerLawFit(**{**{k.name: getattr(f, k.name) for k in fields(f)},
                                  "notes": f.notes + (f"widest plausible range after testing {tested} of "
                                                      f"{len(pairs)} ranges (p > {p_min:g})",)})
    raise InputError(f"x: no range among {len(pairs)} candidates has p > {p_min:g}; "
                     "the data are not a truncated power law at this resolution")


def _fit_counts(u, c, discrete, a, b, bootstrap, gen, min_tail, alpha_max, n_jobs) -> PowerLawFit:
    tf = _truncated_fixed(u, c, discrete, a, b, alpha_max)
    spec = _bootstrap.BootSpec(
        discrete=discrete, n=tf.n_in, body_u=np.empty(0), body_p=np.empty(0), n_body=0,
        alpha=tf.alpha, xmin=a, xmax=b, fixed_xmin=True, min_tail=min_tail, alpha_max=alpha_max, data_max=b)
    d = _bootstrap.synthetic_ks(spec, bootstrap, gen, n_jobs=n_jobs, n_tail=tf.n_in)
    return PowerLawFit(
        alpha=tf.alpha, sigma=tf.sigma, xmin=a, xmax=b, n=int(c.sum()), n_tail=tf.n_in,
        ks_distance=tf.ks, p_value=float(np.mean(d >= tf.ks)), n_bootstrap=int(bootstrap),
        discrete=discrete, hit_bound=tf.hit, bound_note=_bound_note(tf.hit, alpha_max, truncated=True),
        log_likelihood=tf.ll, min_tail=int(min_tail), alpha_max=float(alpha_max), xmin_fixed=True,
        n_candidates=1, notes=("bootstrap holds xmin and xmax fixed (Deluca & Corral 2013)",),
        values=u, counts=c)
