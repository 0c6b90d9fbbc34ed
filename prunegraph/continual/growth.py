"""Growth of new free connections before a task: strategies on one edge budget per layer.

Strategies (all sample *absent, free* edge positions of a layer's [out, in] grid):

``pa``
    Preferential attachment from the fitted degree exponents. Edge i→j is drawn with
    probability :math:`\\propto f_{out}(k_{out}(i))\\, f_{in}(k_{in}(j))` with the shifted-linear
    kernel :math:`f(k) = k + A` per side.

    **Rule for A (derivation).** The units of a layer are a *fixed* node set: growth adds
    edges between existing units, it does not add nodes, so the Dorogovtsev–Mendes–Samukhin
    relation :math:`\\alpha = 2 + A/m` of networks that grow by new nodes (PRL 85, 4633, 2000)
    does not apply (applied here it drifts: A grows with m and the degrees flatten). For a fixed
    node set, let every unit gain edges at rate :math:`dk/dt = c(t)\\,(k + A)`. Then
    :math:`k + A` of every unit is multiplied by the same factor :math:`S(t)`, and the
    shifted power law :math:`p(k) \\propto (k + A)^{-\\alpha}` (Zipf–Mandelbrot) is mapped onto
    itself with the *same* exponent α: a change of scale leaves a power law's exponent
    unchanged. So the kernel that keeps the fitted exponent is :math:`f(k) = k + A` with A the
    shift of the layer's own degree law. We take :math:`\\hat\\alpha` and :math:`x_{min}` from
    the CSN fit (:func:`prunegraph.fit.fit_power_law`, discrete, nonzero degrees) and A by
    maximum likelihood of :math:`p(k) = (k + A)^{-\\hat\\alpha} / \\zeta(\\hat\\alpha, x_{min} + A)`
    on the tail :math:`k \\ge x_{min}` (Hurwitz ζ; :func:`shift_mle`), floored at ``a_min = 1``
    (Price's cumulative advantage k + 1, so that dead units stay reachable). For a clean
    power-law tail the MLE shift is ≈ 0 and the floor gives f(k) = k + 1; growth with it keeps
    the CSN exponent of a synthetic scale-free layer within its confidence interval, where
    uniform growth pushes it up (tests/test_continual_growth.py). Discrete Poisson noise at
    small degrees makes repeated large growth steps drift slowly upward even so.
    **Fallback.** When no power law is
    plausible (fewer than ``min_tail`` tail points, α at a search bound, bootstrap p ≤ 0.1 when
    bootstrapped, or the likelihood-ratio test on the tail preferring an exponential) A is
    fitted over all degrees at ``default_alpha`` (3, the Barabási–Albert value; a larger A for
    binomial-like degrees, i.e. a flatter kernel), and so it is when the fitted α exceeds
    ``alpha_max`` (5: a tail that steep is light in practice; random-pruning layers fit α ≈ 15-20
    on their binomial upper tail); ``default_alpha=None`` falls back to uniform growth; an empty layer always grows uniformly. Sampling without replacement
    uses the Gumbel-top-k trick (Kool, van Hoof & Welling, ICML 2019): the k largest of
    :math:`\\log w_{ij} + G_{ij}`, G standard Gumbel, are a draw of k positions without
    replacement with successive probabilities ∝ w.
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
from typing import Any

import numpy as np
import torch

from ..errors import UsageError

__all__ = ["STRATEGIES", "ShiftedLinearKernel", "GrowthDecision", "fit_kernel", "shift_mle",
           "sample_edges", "grow_layer"]

log = logging.getLogger(__name__)

STRATEGIES = ("pa", "uniform", "gradient", "packnet")


@dataclass(frozen=True)
class ShiftedLinearKernel:
    """f(k) = k + offset for one side of a layer, and how offset was derived.

    Attributes
    ----------
    side : {"in", "out"}
    offset : float or None
        A; None means a uniform kernel (f ≡ 1).
    alpha : float or None
        Exponent used (fitted or the default).
    fitted_alpha, sigma, xmin : float or None
        The CSN fit, when one was made.
    mean_degree : float
        m, edges per node on this side.
    plausible : bool
        Whether the fitted law was used (else the fallback).
    reason : str
    """

    side: str
    offset: float | None
    alpha: float | None
    fitted_alpha: float | None
    sigma: float | None
    xmin: float | None
    n_tail: int | None
    mean_degree: float
    plausible: bool
    reason: str

    def weights(self, k: torch.Tensor) -> torch.Tensor:
        """f(k) as float64."""
        k = k.to(torch.float64)
        return torch.ones_like(k) if self.offset is None else k + self.offset

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        f = lambda v: None if v is None else float(v)  # noqa: E731
        return {"side": self.side, "offset": f(self.offset), "alpha": f(self.alpha),
                "fitted_alpha": f(self.fitted_alpha), "sigma": f(self.sigma), "xmin": f(self.xmin),
                "n_tail": None if self.n_tail is None else int(self.n_tail),
                "mean_degree": float(self.mean_degree), "plausible": bool(self.plausible),
                "reason": self.reason,
                "rule": "f(k)=k+A; A = MLE shift of p(k) ~ (k+A)^-alpha at the CSN alpha"}


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


def shift_mle(degrees: np.ndarray, alpha: float, *, a_min: float = 0.01,
              a_max: float = 1e4) -> float:
    """MLE of the shift A of :math:`p(k) = (k + A)^{-\\alpha} / \\zeta(\\alpha, k_0 + A)`, k ≥ k0.

    ``alpha`` is held fixed; k0 is the smallest degree. Bounded scalar search over log A.

    Examples
    --------
    >>> import numpy as np
    >>> k = np.arange(2000); p = (k + 3.0) ** -2.5; p /= p.sum()
    >>> x = np.random.default_rng(0).choice(k, 20000, p=p)
    >>> round(shift_mle(x, 2.5), 1)
    3.0
    """
    from scipy.optimize import minimize_scalar
    from scipy.special import zeta

    k = np.asarray(degrees, dtype=float)
    if k.size == 0 or alpha <= 1:
        raise UsageError("shift_mle needs degrees and alpha > 1")
    k0, n = float(k.min()), k.size

    def nll(log_a):
        a = math.exp(log_a)
        return alpha * float(np.log(k + a).sum()) + n * math.log(float(zeta(alpha, k0 + a)))

    res = minimize_scalar(nll, bounds=(math.log(a_min), math.log(a_max)), method="bounded",
                          options={"xatol": 1e-4})
    if res.x - math.log(a_min) < 1e-3:  # optimum at the floor
        return float(a_min)
    return max(float(math.exp(res.x)), a_min)


def fit_kernel(degrees: np.ndarray, *, side: str, default_alpha: float | None = 3.0,
               a_min: float = 1.0, min_tail: int = 10, bootstrap: int = 0,
               compare_exponential: bool = True, alpha_max: float = 5.0,
               rules=None, rng: np.random.Generator | int | None = None) -> ShiftedLinearKernel:
    """Derive the shifted-linear kernel f(k) = k + A of one side from its degree sequence.

    Parameters
    ----------
    degrees : array of int
        Degrees of all units on that side (zeros included; only nonzero ones enter the CSN
        fit, all of them the shift fit).
    side : {"in", "out"}
    default_alpha : float or None
        Exponent used when no power law is plausible; None: uniform fallback.
    a_min : float
        Floor of A.
    min_tail : int
        Fewest tail points for a fit to count.
    bootstrap : int
        Goodness-of-fit replicates (0: skip the p-value test).
    compare_exponential : bool
        Also reject the power law when Vuong's likelihood-ratio test on the tail prefers an
        exponential (CSN 2009, §5; :func:`prunegraph.fit.compare_distributions`).
    alpha_max : float
        Fitted exponents above this count as light-tailed (fallback).
    rules : prunegraph.fit.VerdictRules, optional
        The scheduler's own verdict rules (default: level 0.1, tail ≥ ``min_tail``, no span
        requirement, no correction for its single LR test); the fitted law is used when
        :func:`prunegraph.fit.classify` calls it plausible or untested (no bootstrap).
    rng : Generator, int or None

    Returns
    -------
    ShiftedLinearKernel

    Notes
    -----
    Growth with :math:`dk/dt \\propto k + A` on a fixed node set rescales :math:`k + A`, so it
    keeps :math:`p(k) \\propto (k + A)^{-\\alpha}` with the same α (module notes); A is the
    shift that fits the layer's degrees at the CSN exponent.

    Examples
    --------
    >>> import numpy as np
    >>> k = fit_kernel(np.zeros(10, int), side="in")       # empty layer: fallback
    >>> k.offset is None, k.reason
    (True, 'no edges yet: uniform')
    """
    deg = np.asarray(degrees, dtype=np.int64)
    n_nodes = max(int(deg.size), 1)
    m = float(deg.sum()) / n_nodes
    alive = deg[deg > 0]

    def make(alpha, plausible, reason, fa=None, sigma=None, xmin=None, n_tail=None):
        if alpha is None:
            return ShiftedLinearKernel(side, None, None, fa, sigma, xmin, n_tail, m, False,
                                       reason + ": uniform")
        tail = deg[deg >= xmin] if (plausible and xmin is not None) else deg
        a = shift_mle(tail, float(alpha), a_min=a_min)  # fallback: all degrees
        return ShiftedLinearKernel(side, a, float(alpha), fa, sigma, xmin, n_tail, m, plausible,
                                   reason if plausible else reason + f": default alpha={alpha}")

    def fallback(reason, *fit):
        return make(default_alpha, False, reason, *fit)

    if m == 0:
        return ShiftedLinearKernel(side, None, None, None, None, None, None, 0.0, False,
                                   "no edges yet: uniform")
    if alive.size < max(min_tail, 2) or np.unique(alive).size < 2:
        return fallback("too few distinct nonzero degrees to fit")
    try:
        from ..fit import fit_power_law
    except ImportError:  # pragma: no cover - fit module missing in a partial install
        return fallback("prunegraph.fit unavailable")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = fit_power_law(alive, discrete=True, bootstrap=bootstrap, rng=rng)
    except ValueError as exc:  # InputError/UsageError on a degenerate sample
        return fallback(f"fit failed ({str(exc).splitlines()[0][:80]})")
    from ..fit import Verdict, VerdictRules, classify, verdict_text

    fa = float(fit.alpha)
    sigma = None if fit.sigma is None else float(fit.sigma)
    info = (fa, sigma, float(fit.xmin), int(fit.n_tail))
    if bool(getattr(fit, "hit_bound", False)):
        return fallback("alpha at a search bound", *info)
    if not np.isfinite(fa) or fa <= 1.0:
        return fallback("alpha <= 1", *info)
    if fa > alpha_max:
        return fallback(f"alpha {fa:.2f} > alpha_max={alpha_max}: light tail", *info)
    comps = ()
    if compare_exponential and fit.n_tail >= min_tail:
        try:
            from ..fit import compare_distributions

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                comps = tuple(compare_distributions(fit, alternatives=("exponential",)))
        except ValueError as exc:
            log.debug("likelihood-ratio test skipped: %s", exc)
    # the scheduler's own rules: any tail of min_tail points, no span requirement, one LR test
    if rules is None:
        rules = VerdictRules(level=0.1, min_tail=min_tail, min_span=0.0, correction="none", min_units=2)
    detail = classify(fit, comps, n_alive=int(alive.size), rules=rules)
    if detail.verdict not in (Verdict.PLAUSIBLE, Verdict.PLAUSIBLE_NARROW, Verdict.UNTESTED):
        return fallback(verdict_text(detail), *info)
    return make(fa, True, "fitted", *info)


def _torch_generator(rng: np.random.Generator | int | None) -> torch.Generator:
    seed = int(np.random.default_rng(rng).integers(2**62))
    return torch.Generator().manual_seed(seed)


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
    gen = _torch_generator(rng)
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
        Keyword arguments of :func:`fit_kernel` (``default_alpha``, ``a_min``, ``min_tail``,
        ``bootstrap``).
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
        k_in = fit_kernel(in_degree, side="in", rng=gen, **opts)
        k_out = fit_kernel(out_degree, side="out", rng=gen, **opts)
        kernels = (k_in, k_out)
        f_in = k_in.weights(torch.as_tensor(np.asarray(in_degree)))
        f_out = k_out.weights(torch.as_tensor(np.asarray(out_degree)))
        logw = torch.log(f_in)[:, None] + torch.log(f_out)[None, :]
        picked = sample_edges(free, n, log_weight=logw, rng=gen)
    dec = GrowthDecision(layer=layer, strategy=strategy,
                         requested=n_free if strategy == "packnet" else int(n),
                         grown=int(picked.sum()), free_before=n_free, kernels=kernels)
    return picked, dec
