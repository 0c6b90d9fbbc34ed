"""Growth of new free connections before a task: strategies on one edge budget per layer.

Strategies (all sample *absent, free* edge positions of a layer's [out, in] grid):

``pa``
    Preferential attachment with the kernel :math:`f(k) = (k + A)^{\\gamma}` per side: edge
    i→j is drawn with probability :math:`\\propto w_{out}(i)\\, w_{in}(j)` over the free
    positions, where :math:`w` is the node's mean-field increment under
    :math:`dk/dt \\propto f(k)` for this step (:func:`step_increments`) divided by its free
    positions. γ is a real parameter: γ < 1 sublinear, γ = 1 linear, γ > 1 superlinear
    (Krapivsky, Redner & Leyvraz, PRL 85, 4629, 2000: stretched-exponential, power-law and
    condensed degree laws in growing networks).

    **Rule (fixed node set).** Growth with :math:`dk/dt = c(t) f(k)` advances every unit's
    clock :math:`g(k) = \\int_{k_{lo}}^{k} dk'/(k' + A)^{\\gamma}` by the same amount. A law that
    is exponential in the clock, :math:`P(K \\ge k) \\propto e^{-\\lambda g(k)}`
    (:class:`DegreeLaw`; truncated at the layer width), is memoryless in g, so the step maps
    it onto itself with (γ, A, λ) kept and its lower end moved up. The kernel therefore takes
    (A, γ) from a *target* degree law in that family: by default the layer's own law, fitted by
    maximum likelihood over all its degrees (:func:`fit_degree_law`), so growth keeps what the
    earlier tasks' training and pruning produced; or a given law to steer the layer towards
    (``pa_options={"target": {"in": law, "out": law}}``). Special cases: γ = 1 keeps a power
    law's α whatever α is (α cannot select γ; the law's shape family does), γ = 0 keeps an
    exponential's rate, γ = 1 − β a stretched exponential :math:`e^{-\\lambda k^{\\beta}}`,
    γ > 1 has a bounded clock (condensation at the width). ``gamma_from="family"`` takes γ
    from the preferred family instead (:func:`preferred_family`, the hook for the verdict
    classifier; :func:`gamma_for_family`). No fallback exponent and no thresholds: an empty
    layer or one whose units all have the same degree grows uniformly because every kernel
    weighs its units alike. Measured in closed loop (tests/test_continual_growth.py): one step
    doubling the edges of a 600 × 600 layer gives top-decile in-edge shares ordered by the
    target's γ on every seed, the sampler tracks the mean-field increments (r > 0.9), and the
    own-law kernel keeps a power-law layer's CSN α where uniform growth raises it. On trained
    layers of the permuted-FMNIST driver the own-law fit is poorly determined (γ on a search
    bound in 38 of 120 side-fits, A on its lower bound in 99) and gives no accuracy gain over
    uniform growth, while fixed (k + 1)^γ kernels gain with γ up to 1.5–2
    (benchmarks/growth_kernel_ablation.py; docs/continual.md).

    **Kept edges follow the kernel** only when the driver grows exactly the kept budget
    (``grow_factor=1``): then magnitude pruning removes nothing and training sets weights only.
    With ``grow_factor=2`` the kept half is chosen by weight magnitude and follows the kernel
    only as far as magnitudes are independent of degree.

    Sampling without replacement uses the Gumbel-top-k trick (Kool, van Hoof & Welling, ICML
    2019): the k largest of :math:`\\log w_{ij} + G_{ij}`, G standard Gumbel, are a draw of k
    positions without replacement with successive probabilities ∝ w.
``uniform``
    Random growth: Gumbel-top-k with equal weights (a uniform k-subset of the free positions).
``gradient``
    The k free positions with the largest accumulated gradient magnitude (RigL, Evci et al.
    ICML 2020); the gradient is supplied by the driver.
``packnet``
    Every free position (PackNet, Mallya & Lazebnik 2018); the driver prunes afterwards.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from .._rng import torch_generator
from ..errors import UsageError

if TYPE_CHECKING:
    from ..fit import LikelihoodRatio

__all__ = ["STRATEGIES", "DegreeLaw", "PowerKernel", "ShiftedLinearKernel", "GrowthDecision",
           "fit_degree_law", "gamma_for_family", "preferred_family", "fit_kernel", "power_law_record",
           "step_increments", "sample_edges", "grow_layer"]

log = logging.getLogger(__name__)

STRATEGIES = ("pa", "uniform", "gradient", "packnet")


@dataclass(frozen=True)
class GrowthDecision:
    """What growth did to one layer."""

    layer: str
    strategy: str
    requested: int
    grown: int
    free_before: int
    kernels: tuple = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {"layer": self.layer, "strategy": self.strategy, "requested": int(self.requested),
                "grown": int(self.grown), "free_before": int(self.free_before),
                "kernels": [k.to_dict() for k in self.kernels]}


# --------------------------------------------------------------------------- degree laws
GAMMA_BOUNDS = (-1.0, 3.0)   # search range of γ; a fit on a bound is flagged (``at_bound``)
OFFSET_BOUNDS = (1e-2, 1e4)  # search range of A, flagged likewise


def _g(k: np.ndarray, offset: float, gamma: float, k0: float) -> np.ndarray:
    """Growth clock :math:`g(k) = \\int_{k_0}^{k} dk' / (k' + A)^{\\gamma}` (Box–Cox of k + A)."""
    s = 1.0 - gamma
    x = np.log(np.asarray(k, dtype=float) + offset) - math.log(k0 + offset)
    if abs(s) < 1e-9:
        return x
    with np.errstate(over="ignore"):
        return math.exp(s * math.log(k0 + offset)) * np.expm1(s * x) / s


def _g_inf(offset: float, gamma: float, k0: float) -> float:
    """g(∞): finite only for γ > 1 (the clock runs out: condensation)."""
    s = 1.0 - gamma
    return math.inf if s >= -1e-9 else -((k0 + offset) ** s) / s


@dataclass(frozen=True)
class DegreeLaw:
    """Invariant law of the kernel :math:`f(k) = (k + A)^{\\gamma}` on a fixed node set.

    .. math:: P(K \\ge k) \\propto e^{-\\lambda\\, g(k)} - e^{-\\lambda\\, g(W + 1)},\\qquad
              g(k) = \\int_{k_{lo}}^{k} \\frac{dk'}{(k' + A)^{\\gamma}},\\qquad k_{lo} \\le k \\le W,

    W the largest possible degree (the other side's width). γ = 1: a shifted power law,
    α = λ + 1; 0 < γ < 1: a stretched exponential with exponent 1 − γ; γ = 0: a geometric
    (exponential) law; γ > 1: g is bounded, mass piles up at the top (condensation); γ < 0:
    lighter than exponential (a narrow, binomial-like body).

    Attributes
    ----------
    gamma, offset, rate : float
        γ, A, λ.
    k_lo, width : int
        Support ``k_lo..width``.
    n : int
        Nodes fitted.
    log_likelihood : float
    at_bound : tuple of str
        Parameters whose MLE lies on a search bound (``GAMMA_BOUNDS``, ``OFFSET_BOUNDS``).
    source : str
        ``"mle"`` (γ free), ``"family:<name>"`` (γ set by the preferred family) or
        ``"degenerate"`` (all degrees equal: every kernel weighs the nodes alike).
    """

    gamma: float
    offset: float
    rate: float
    k_lo: int
    width: int
    n: int
    log_likelihood: float
    at_bound: tuple = ()
    source: str = "mle"

    def _log_sf_unnorm(self, k: np.ndarray) -> np.ndarray:
        return -self.rate * _g(k, self.offset, self.gamma, self.k_lo)

    def pmf(self, k: np.ndarray) -> np.ndarray:
        """P(K = k) on ``k_lo..width`` (0 elsewhere)."""
        k = np.asarray(k, dtype=float)
        ks = np.arange(self.k_lo, self.width + 2, dtype=float)
        sf = np.exp(self._log_sf_unnorm(ks))
        p = (sf[:-1] - sf[1:]) / (1.0 - sf[-1])
        idx = (k - self.k_lo).astype(np.int64)
        ok = (k >= self.k_lo) & (k <= self.width)
        out = np.zeros(k.shape)
        out[ok] = p[idx[ok]]
        return out

    def sample(self, size: int, *, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """Draw ``size`` degrees from the law."""
        ks = np.arange(self.k_lo, self.width + 1)
        p = self.pmf(ks)
        return np.random.default_rng(rng).choice(ks, size=size, p=p / p.sum())

    def kernel(self, k: np.ndarray) -> np.ndarray:
        """f(k) = (k + A)^γ."""
        return (np.asarray(k, dtype=float) + self.offset) ** self.gamma

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {"gamma": float(self.gamma), "offset": float(self.offset),
                "rate": float(self.rate), "k_lo": int(self.k_lo), "width": int(self.width),
                "n": int(self.n), "log_likelihood": float(self.log_likelihood),
                "at_bound": list(self.at_bound), "source": self.source}


def _law_nll(u: np.ndarray, c: np.ndarray, gamma: float, offset: float, rate: float, k_lo: int,
             width: int) -> float:
    g = _g(np.append(u, u + 1.0), offset, gamma, k_lo)
    g0, g1 = g[:u.size], g[u.size:]
    g_top = min(float(_g(np.array([width + 1.0]), offset, gamma, k_lo)[0]),
                _g_inf(offset, gamma, k_lo))
    with np.errstate(all="ignore"):
        lp = -rate * g0 + np.log(-np.expm1(-rate * (g1 - g0)))
        lz = math.log(-math.expm1(-rate * g_top)) if g_top > 0 else -math.inf
    v = -float((c * lp).sum()) + float(c.sum()) * lz
    return v if np.isfinite(v) else 1e300


def fit_degree_law(degrees: np.ndarray, *, width: int | None = None,
                   gamma: float | None = None, source: str = "mle") -> DegreeLaw:
    """Maximum-likelihood fit of the invariant law :class:`DegreeLaw` to one side's degrees.

    Parameters
    ----------
    degrees : array of int
        Degrees of all units on that side, zeros included.
    width : int, optional
        Largest possible degree (the other side's number of units); default: the largest
        degree observed.
    gamma : float, optional
        Hold γ at this value (a family chosen by the verdict); None fits it.
    source : str
        Recorded in the result.

    Returns
    -------
    DegreeLaw

    Notes
    -----
    Log-likelihood :math:`\\sum_i \\ln[S(k_i) - S(k_i + 1)] - n \\ln[1 - S(W + 1)]`,
    :math:`S(k) = e^{-\\lambda g(k)}`, maximised over (γ, ln A, ln λ) by L-BFGS-B from
    several starts.

    Examples
    --------
    >>> import numpy as np
    >>> law = DegreeLaw(gamma=0.5, offset=2.0, rate=0.8, k_lo=1, width=400, n=0,
    ...                 log_likelihood=0.0)
    >>> fit = fit_degree_law(law.sample(20000, rng=0), width=400)
    >>> abs(fit.gamma - 0.5) < 0.3          # γ trades off against A: sd ≈ 0.1 at this n
    True
    """
    from scipy.optimize import minimize

    deg = np.asarray(degrees)
    if deg.size == 0 or not np.all(np.isfinite(deg)) or (deg < 0).any():
        raise UsageError("fit_degree_law needs a nonempty sequence of nonnegative degrees")
    deg = deg.astype(np.int64)
    k_lo = int(deg.min())
    width = int(deg.max()) if width is None else int(width)
    if width < deg.max():
        raise UsageError(f"width={width} is below the largest degree {int(deg.max())}")
    u, c = np.unique(deg, return_counts=True)
    u, c = u.astype(float), c.astype(float)
    if u.size == 1:
        return DegreeLaw(0.0, 1.0, math.inf, k_lo, width, int(deg.size), 0.0, (), "degenerate")
    lo_a, hi_a = math.log(OFFSET_BOUNDS[0]), math.log(OFFSET_BOUNDS[1])
    best = None
    gammas = (gamma,) if gamma is not None else (0.0, 1.0)
    offsets = (1.0, float(deg.mean()) + 1.0)
    for g0 in gammas:
        for a0 in offsets:
            gk = _g(deg, a0, g0, k_lo)
            r0 = 1.0 / max(float(gk.mean()), 1e-6)
            if gamma is None:
                def f(th):
                    return _law_nll(u, c, th[0], math.exp(th[1]), math.exp(th[2]), k_lo, width)
                x0, bounds = [g0, math.log(a0), math.log(r0)], [GAMMA_BOUNDS, (lo_a, hi_a), (-30, 30)]
            else:
                def f(th):
                    return _law_nll(u, c, gamma, math.exp(th[0]), math.exp(th[1]), k_lo, width)
                x0, bounds = [math.log(a0), math.log(r0)], [(lo_a, hi_a), (-30, 30)]
            res = minimize(f, x0, method="L-BFGS-B", bounds=bounds)
            if best is None or res.fun < best.fun:
                best = res
    assert best is not None  # gammas and offsets are nonempty
    th = list(best.x)
    if gamma is not None:
        th = [gamma] + th
    g_, a_, r_ = float(th[0]), math.exp(th[1]), math.exp(th[2])
    at = []
    if gamma is None and min(abs(g_ - b) for b in GAMMA_BOUNDS) < 1e-3:
        at.append("gamma")
    if min(abs(th[1] - b) for b in (lo_a, hi_a)) < 1e-3:
        at.append("offset")
    return DegreeLaw(g_, a_, r_, k_lo, width, int(deg.size), -float(best.fun), tuple(at), source)


#: γ of the kernel whose invariant law is each family (see the module notes).
FAMILY_GAMMA = {"power_law": 1.0, "lognormal": 1.0, "exponential": 0.0, "poisson": 0.0,
                "binomial": 0.0}


def gamma_for_family(family: str, parameters: dict | None = None) -> float | None:
    """γ implied by a preferred degree-law family, or None when the family does not fix it.

    power law / lognormal → 1 (growth ∝ k + A shifts ln k, keeping α resp. σ); exponential,
    Poisson, binomial → 0 (uniform growth shifts k, keeping the exponential rate; sums of
    binomial draws stay binomial); stretched exponential :math:`e^{-\\lambda k^{\\beta}}` →
    1 − β (Krapivsky, Redner & Leyvraz 2000); power law with exponential cut-off
    (``truncated_power_law``) → None (fit γ).

    Examples
    --------
    >>> gamma_for_family("stretched_exponential", {"beta": 0.3})
    0.7
    """
    if family == "stretched_exponential":
        return round(1.0 - float((parameters or {})["beta"]), 12)
    return FAMILY_GAMMA.get(family)


def preferred_family(degrees: np.ndarray, *, width: int | None = None) -> tuple[str | None, dict]:
    """The degree-law family preferred for one side, or (None, {}) when undecided.

    This is the one place to switch to the verdict classifier (``prunegraph.fit.verdict``) once
    it is on main; until then: the CSN power-law fit on the nonzero degrees and Vuong/χ² tests
    (:func:`prunegraph.fit.compare_distributions`, CSN's p < 0.1); the alternative preferred with
    the largest likelihood wins, the power law when none is preferred and its p ≥ 0.1 or
    unknown is kept.
    """
    from ..fit import compare_distributions, fit_power_law

    alive = np.asarray(degrees)[np.asarray(degrees) > 0]
    if np.unique(alive).size < 3:
        return None, {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = fit_power_law(alive, discrete=True)
            lrs = compare_distributions(fit, binomial_n=width)
    except ValueError as exc:  # too few points, degenerate tail
        log.debug("preferred_family: %s", exc)
        return None, {}
    won = [lr for lr in lrs if lr.preferred == lr.alternative]
    if won:
        lr = max(won, key=lambda r: r.log_likelihood)
        return lr.alternative, dict(lr.parameters)
    return "power_law", {"alpha": float(fit.alpha), "xmin": float(fit.xmin)}


# --------------------------------------------------------------------------- the kernel
@dataclass(frozen=True)
class PowerKernel:
    """f(k) = (k + A)^γ for one side of a layer, and the law it came from.

    Attributes
    ----------
    side : {"in", "out"}
    offset, gamma : float or None
        A and γ; ``offset=None`` means uniform (empty layer).
    law : DegreeLaw or None
        The law the kernel keeps (the target).
    target : {"own", "given"}
        Whether the law is the layer's own fitted law or a target passed in.
    family : str or None
        The preferred family when ``gamma_from="family"``.
    alpha, fitted_alpha : float or None
        CSN power-law exponent of the nonzero degrees (:func:`power_law_record`); ``alpha`` only
        when that power law is plausible. A record for budget rules: the kernel does not use it.
    mean_degree : float
    plausible : bool
        Whether the CSN power law is plausible (same record).
    reason : str
    power_law : dict or None
        The full :func:`power_law_record`.
    """

    side: str
    offset: float | None
    gamma: float | None
    law: DegreeLaw | None
    target: str
    family: str | None
    alpha: float | None
    fitted_alpha: float | None
    mean_degree: float
    plausible: bool
    reason: str
    power_law: dict | None = None

    def weights(self, k: torch.Tensor) -> torch.Tensor:
        """f(k) as float64."""
        k = k.to(torch.float64)
        # offset and gamma are None together (a uniform kernel)
        if self.offset is None or self.gamma is None:
            return torch.ones_like(k)
        return (k + self.offset) ** self.gamma

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        f = lambda v: None if v is None else float(v)  # noqa: E731
        return {"side": self.side, "offset": f(self.offset), "gamma": f(self.gamma),
                "law": None if self.law is None else self.law.to_dict(), "target": self.target,
                "family": self.family, "alpha": f(self.alpha), "fitted_alpha": f(self.fitted_alpha),
                "mean_degree": float(self.mean_degree), "plausible": bool(self.plausible),
                "reason": self.reason, "rule": KERNEL_RULE, "power_law": self.power_law}


#: One line stating the rule, recorded with every kernel.
KERNEL_RULE = ("f(k)=(k+A)^gamma with (A, gamma) of the target law P(K>=k)~exp(-lambda*"
               "int dk/(k+A)^gamma) (default target: the layer's own MLE law); a step adds to "
               "each node the mean-field increment of dk/dt ~ f(k), scaled to the budget")

ShiftedLinearKernel = PowerKernel  # old name, kept for callers


def fit_kernel(degrees: np.ndarray, *, side: str, width: int | None = None,
               target: DegreeLaw | None = None, gamma_from: str = "fit",
               rng: np.random.Generator | int | None = None, **retired: Any) -> PowerKernel:
    """Kernel f(k) = (k + A)^γ of one side: (A, γ) of the target degree law.

    Parameters
    ----------
    degrees : array of int
        Degrees of all units on that side, zeros included.
    side : {"in", "out"}
    width : int, optional
        Largest possible degree (the other side's number of units).
    target : DegreeLaw, optional
        Law to steer the layer towards; default: the layer's own law (growth keeps it).
    gamma_from : {"fit", "family"}
        ``"fit"``: γ by maximum likelihood (:func:`fit_degree_law`); ``"family"``: γ from the
        preferred family (:func:`preferred_family`, :func:`gamma_for_family`), A and λ by
        maximum likelihood at that γ (γ is fitted when the family does not fix it).
    rng : unused
        Accepted for a uniform signature (the fit is deterministic).
    **retired
        ``min_tail``, ``bootstrap``, ``rules`` (``VerdictRules``) go to the power-law record
        (:func:`power_law_record`); ``default_alpha``, ``a_min``: options of the retired
        shifted-linear rule, accepted and ignored.

    Returns
    -------
    PowerKernel

    Notes
    -----
    Under :math:`dk/dt = c(t) f(k)` every node's clock :math:`g(k) = \\int dk/f(k)` advances by
    the same amount; a law exponential in g (:class:`DegreeLaw`) is memoryless in g, so it keeps
    (γ, A, λ) while its lower end moves up. Hence the kernel that keeps a law is the one whose
    clock makes it exponential: γ = 1 keeps a power law's α (any α: α does not select γ), γ = 0
    an exponential's rate, γ = 1 − β a stretched exponential's (β, λ) (Krapivsky, Redner &
    Leyvraz 2000 find the same correspondence for growing networks).

    Examples
    --------
    >>> import numpy as np
    >>> k = fit_kernel(np.zeros(10, int), side="in")       # empty layer: uniform
    >>> k.offset is None, k.reason
    (True, 'no edges yet: uniform')
    """
    unknown = set(retired) - {"default_alpha", "a_min", "min_tail", "bootstrap", "rules"}
    if unknown:
        raise UsageError(f"fit_kernel: unknown options {sorted(unknown)}")
    if gamma_from not in ("fit", "family"):
        raise UsageError(f"gamma_from={gamma_from!r}: use 'fit' or 'family'")
    deg = np.asarray(degrees, dtype=np.int64)
    m = float(deg.sum()) / max(int(deg.size), 1)
    rec = power_law_record(deg, min_tail=retired.get("min_tail") or 10,
                           bootstrap=retired.get("bootstrap") or 0, rules=retired.get("rules"),
                           rng=rng)

    def make(law, tgt, family, reason):
        pl = (rec["alpha"] if rec["plausible"] else None, rec["alpha"], m, rec["plausible"])
        if law is None or law.source == "degenerate":
            return PowerKernel(side, None, None, law, tgt, family, *pl, reason, rec)
        return PowerKernel(side, law.offset, law.gamma, law, tgt, family, *pl, reason, rec)

    if target is not None:
        return make(target, "given", None, "target law given")
    if m == 0:
        return make(None, "own", None, "no edges yet: uniform")
    if np.unique(deg).size < 2:
        return make(None, "own", None, "all degrees equal: every kernel is uniform")
    family, gamma = None, None
    if gamma_from == "family":
        family, params = preferred_family(deg, width=width)
        gamma = None if family is None else gamma_for_family(family, params)
    src = "mle" if gamma is None else f"family:{family}"
    law = fit_degree_law(deg, width=width, gamma=gamma, source=src)
    return make(law, "own", family, f"own law ({src})")


def power_law_record(degrees: np.ndarray, *, min_tail: int = 10, bootstrap: int = 0,
                     alpha_max: float = 5.0, rules=None,
                     rng: np.random.Generator | int | None = None) -> dict[str, Any]:
    """CSN power-law fit of the nonzero degrees and whether it is plausible (a record).

    Kept for budget rules that read an exponent (the driver's ``budget="fit"``); the growth
    kernel does not use it. Not plausible when: fewer than ``min_tail`` points or two distinct
    degrees, α on a search bound, α ≤ 1 or above ``alpha_max`` (random-pruning layers fit
    α ≈ 15–20 on their binomial upper tail), or when the verdict classifier
    (:func:`prunegraph.fit.classify`, with ``rules``; default: level 0.1, tail ≥ ``min_tail``,
    no span requirement, no correction for its single LR test against the exponential) does not
    call the law plausible or untested.

    Examples
    --------
    >>> power_law_record(np.array([0, 1, 2, 1]))["plausible"]
    False
    """
    out: dict[str, Any] = {"alpha": None, "sigma": None, "xmin": None, "n_tail": None,
                           "plausible": False, "reason": ""}
    alive = np.asarray(degrees)[np.asarray(degrees) > 0]
    if alive.size < max(min_tail, 2) or np.unique(alive).size < 2:
        out["reason"] = "too few distinct nonzero degrees to fit"
        return out
    from ..fit import compare_distributions, fit_power_law

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = fit_power_law(alive, discrete=True, bootstrap=bootstrap, rng=rng)
    except ValueError as exc:  # InputError/UsageError on a degenerate sample
        out["reason"] = f"fit failed ({str(exc).splitlines()[0][:80]})"
        return out
    fa = float(fit.alpha)
    out.update(alpha=fa, sigma=None if fit.sigma is None or math.isnan(fit.sigma) else float(fit.sigma),
               xmin=float(fit.xmin), n_tail=int(fit.n_tail))
    checks = [(bool(fit.hit_bound), "alpha at a search bound"),
              (not np.isfinite(fa) or fa <= 1.0, "alpha <= 1"),
              (fa > alpha_max, f"alpha {fa:.2f} > alpha_max={alpha_max}: light tail")]
    for bad, why in checks:
        if bad:
            out["reason"] = why
            return out
    from ..fit import Verdict, VerdictRules, classify, verdict_text

    comps: tuple[LikelihoodRatio, ...] = ()
    if fit.n_tail >= min_tail:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                comps = tuple(compare_distributions(fit, alternatives=("exponential",)))
        except ValueError as exc:
            log.debug("likelihood-ratio test skipped: %s", exc)
    # the scheduler's own rules: any tail of min_tail points, no span requirement, one LR test
    if rules is None:
        rules = VerdictRules(level=0.1, min_tail=min_tail, min_span=0.0, correction="none",
                             min_units=2)
    detail = classify(fit, comps, n_alive=int(alive.size), rules=rules)
    if detail.verdict not in (Verdict.PLAUSIBLE, Verdict.PLAUSIBLE_NARROW, Verdict.UNTESTED):
        out["reason"] = verdict_text(detail)
        return out
    out.update(plausible=True, reason="plausible")
    return out


def step_increments(degrees: np.ndarray, capacity: np.ndarray, budget: int,
                    kernel: PowerKernel) -> np.ndarray:
    """Mean-field edges per node for one growth step of ``budget`` edges under ``kernel``.

    Each node moves from k to :math:`g^{-1}(g(k) + \\tau)` (the same clock advance τ for all,
    :math:`g(k) = \\int dk/(k + A)^{\\gamma}`), capped at its free positions; τ is set by
    bisection so that the increments sum to the budget. For γ = 1 the increment is
    :math:`(e^{\\tau} - 1)(k + A)`, exactly ∝ f(k); for γ ≠ 1 it is f integrated over the
    step, so a large step moves the layer as many small ones would.

    Examples
    --------
    >>> import numpy as np
    >>> kern = PowerKernel("in", 1.0, 1.0, None, "given", None, None, None, 1.0, True, "")
    >>> d = step_increments(np.array([0, 1, 3]), np.array([100, 100, 100]), 14, kern)
    >>> np.round(d / d.sum() * 7, 6).tolist()          # ∝ k + 1
    [1.0, 2.0, 4.0]
    """
    k = np.asarray(degrees, dtype=float)
    cap = np.asarray(capacity, dtype=float)
    if kernel.offset is None or kernel.gamma is None or budget >= cap.sum():  # None together: uniform
        return cap.copy() if budget >= cap.sum() else cap * (budget / max(cap.sum(), 1.0))
    a, s = float(kernel.offset), 1.0 - float(kernel.gamma)
    x = np.log(k + a)

    def incr(tau):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if abs(s) < 1e-9:
                new = np.exp(x + tau)
            else:
                base = np.exp(s * x) + s * tau
                new = np.where(base > 0, np.exp(np.log(np.where(base > 0, base, 1.0)) / s),
                               np.inf)
        return np.minimum(np.nan_to_num(new - a - k, nan=np.inf, posinf=np.inf), cap)

    lo, hi = 0.0, 1e-6
    while incr(hi).sum() < budget:
        lo, hi = hi, hi * 2
        if hi > 1e12:  # pragma: no cover - budget below capacity is always reached
            break
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if incr(mid).sum() < budget:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * hi:
            break
    return incr(hi)


def sample_edges(free: torch.Tensor, n: int, *, log_weight: torch.Tensor | None = None,
                 rng: np.random.Generator | int | None = None) -> torch.Tensor:
    """Draw ``n`` of the True positions of ``free`` without replacement, ∝ exp(log_weight).

    Gumbel-top-k: keys :math:`\\log w + G`, G ~ Gumbel(0, 1) i.i.d., positions outside
    ``free`` get key −∞; the ``n`` largest keys are returned as a bool mask.

    Examples
    --------
    >>> import torch
    >>> free = torch.tensor([[True, False, True], [True, True, False]])
    >>> picked = sample_edges(free, 3, rng=0)
    >>> int(picked.sum()), bool((picked & ~free).any())
    (3, False)
    """
    n_free = int(free.sum())
    if n < 0:
        raise UsageError(f"growth budget must be >= 0, got {n}")
    n = min(int(n), n_free)
    out = torch.zeros_like(free, dtype=torch.bool)
    if n == 0:
        return out
    if n == n_free:
        return free.clone().bool()
    gen = torch_generator(rng)
    u = torch.rand(free.shape, generator=gen, dtype=torch.float64).to(free.device)
    keys = -torch.log(-torch.log(u.clamp_min(1e-300)))
    if log_weight is not None:
        keys = keys + log_weight.to(keys.device, torch.float64)
    keys = keys.masked_fill(~free.bool(), -math.inf)
    idx = torch.topk(keys.flatten(), n).indices
    out.view(-1)[idx] = True
    return out


def grow_layer(strategy: str, free: torch.Tensor, n: int, *, in_degree: np.ndarray | None = None,
               out_degree: np.ndarray | None = None, grad: torch.Tensor | None = None,
               layer: str = "layer", pa_options: dict | None = None,
               rng: np.random.Generator | int | None = None) -> tuple[torch.Tensor, GrowthDecision]:
    """Choose new edges of one layer: returns (bool [out, in] mask, :class:`GrowthDecision`).

    Parameters
    ----------
    strategy : {"pa", "uniform", "gradient", "packnet"}
    free : bool Tensor [out, in]
        Positions that may be grown (free and inside the task's region).
    n : int
        Edge budget (capped at the number of free positions; ignored by ``packnet``).
    in_degree, out_degree : array of int
        Current in-degrees of the out units (len out) and out-degrees of the in units (len in);
        needed by ``pa``.
    grad : Tensor [out, in]
        Gradient magnitude per position; needed by ``gradient``.
    pa_options : dict
        Keyword arguments of :func:`fit_kernel` (``gamma_from``; ``min_tail``, ``bootstrap`` of
        the power-law record) and ``target``: {"in": DegreeLaw, "out": DegreeLaw} to steer the
        layer towards given laws instead of keeping its own.
    rng : Generator, int or None

    Examples
    --------
    >>> import numpy as np, torch
    >>> free = torch.ones(20, 30, dtype=torch.bool)
    >>> m, d = grow_layer("uniform", free, 50, rng=0)
    >>> int(m.sum()), d.grown
    (50, 50)
    """
    if strategy not in STRATEGIES:
        raise UsageError(f"growth strategy {strategy!r}: choose one of {', '.join(STRATEGIES)}")
    gen = np.random.default_rng(rng)
    free = free.bool()
    n_free = int(free.sum())
    kernels: tuple = ()
    if strategy == "packnet":
        picked = free.clone()
    elif strategy == "uniform":
        picked = sample_edges(free, n, rng=gen)
    elif strategy == "gradient":
        if grad is None:
            raise UsageError(f"layer {layer}: gradient growth needs the gradient magnitudes")
        scores = grad.abs().to(torch.float64).masked_fill(~free, -math.inf)
        k = min(int(n), n_free)
        picked = torch.zeros_like(free)
        if k:
            picked.view(-1)[torch.topk(scores.flatten(), k).indices] = True
    else:  # pa
        if in_degree is None or out_degree is None:
            raise UsageError(f"layer {layer}: pa growth needs the current in- and out-degrees")
        opts = dict(pa_options or {})
        targets = opts.pop("target", None) or {}
        k_in = fit_kernel(in_degree, side="in", width=free.shape[1], target=targets.get("in"),
                          **opts)
        k_out = fit_kernel(out_degree, side="out", width=free.shape[0], target=targets.get("out"),
                           **opts)
        kernels = (k_in, k_out)
        n_eff = min(int(n), n_free)
        cap_rows = free.sum(1).cpu().numpy().astype(float)
        cap_cols = free.sum(0).cpu().numpy().astype(float)
        d_in = step_increments(np.asarray(in_degree), cap_rows, n_eff, k_in)
        d_out = step_increments(np.asarray(out_degree), cap_cols, n_eff, k_out)
        # per free position: the node's increment shared among its free positions
        lw_in = np.log(np.maximum(d_in, 1e-300)) - np.log(np.maximum(cap_rows, 1.0))
        lw_out = np.log(np.maximum(d_out, 1e-300)) - np.log(np.maximum(cap_cols, 1.0))
        logw = torch.from_numpy(lw_in)[:, None] + torch.from_numpy(lw_out)[None, :]
        picked = sample_edges(free, n, log_weight=logw, rng=gen)
    dec = GrowthDecision(layer=layer, strategy=strategy,
                         requested=n_free if strategy == "packnet" else int(n),
                         grown=int(picked.sum()), free_before=n_free, kernels=kernels)
    return picked, dec
