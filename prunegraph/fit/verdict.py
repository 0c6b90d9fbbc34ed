"""The one verdict classifier: fit + likelihood-ratio tests + unit-level tests → :class:`Verdict`.

Every consumer (analysis, CLI tables, report, plots, notebooks, the growth scheduler) reads the
:class:`Verdict` enum; English appears only at the output edges, from the one table
:data:`VERDICT_TEXT` through :func:`verdict_text`.

Rules (checked in this order; ``rules`` is a frozen :class:`VerdictRules`)
---------------------------------------------------------------------------
1. fewer than ``min_units`` alive units → ``TOO_FEW_UNITS``; a layer regular by construction
   (dense, near-dense, N:M sparsity; ``regular`` gives why, e.g. "dense layer (no weight
   pruned)") → ``REGULAR``; otherwise all degrees equal → ``DEGENERATE``; the fit failed →
   ``NOT_FITTED``.
2. **Consistent with random pruning** (``RANDOM_LIKE``) needs the random-pruning law
   (Binomial(fan-in, density) per unit, a sum of them per unit at network scope) tested on the
   whole sequence *and its hubs*: a χ² goodness of fit (bins pooled) and an upper-tail test of
   the largest degree of each group (so hubs are tested, not pooled into the top bin), the two
   Bonferroni-combined, p > ``level``; at least one of them must be computable (enough units
   for χ² bins); and the fitted power law must not be significantly better than the law on its
   tail (Vuong, R > 0 and p < ``level``).
3. the random-pruning law exists and is not rejected at ``random_level`` (0.01 by default: a
   random layer reaches the power-law verdicts below only by a 1 % chance rejection), but
   rule 2 does not hold → ``NOT_DISTINGUISHED`` ("not distinguishable from random pruning").
4. on a tail of at least ``min_tail`` units, an alternative significantly better than the power
   law (R < 0, p < level / m with ``correction="bonferroni"`` over the m alternatives tested)
   → ``ALTERNATIVE``.
5. α hit the fit's search bound (``PowerLawFit.hit_bound``: the likelihood still rises at
   ``alpha_max``, 100, so no power law in range fits the tail; the value shown is the bound,
   not an exponent) → ``REJECTED``, worded as such; or bootstrap GoF p ≤ ``level`` →
   ``REJECTED``. A rejection stands however short the tail.
6. fewer than ``min_tail`` units above xmin → ``INCONCLUSIVE`` (CSN 2009 §4.2: a short tail
   cannot reject a steep power law, which is no evidence for one).
7. no goodness-of-fit test was run → ``UNTESTED`` (never "plausible" without one).
8. otherwise ``PLAUSIBLE``, or ``PLAUSIBLE_NARROW`` when the tail spans less than ``min_span``
   (largest value / xmin; Stumpf & Porter, Science 335, 2012).

Examples
--------
>>> import numpy as np
>>> from prunegraph.fit import fit_power_law
>>> f = fit_power_law(np.random.default_rng(1).zipf(2.5, 3000), bootstrap=50, rng=0)
>>> d = classify(f)
>>> d.verdict is Verdict.PLAUSIBLE, verdict_text(d)
(True, 'power law plausible')

(At the 0.1 level the bootstrap rejects about one true power-law sample in ten by
construction: ``default_rng(0)`` draws one of them, GoF p = 0.1.)
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._alternatives import LikelihoodRatio
    from ._powerlaw import PowerLawFit

__all__ = ["Verdict", "VerdictRules", "VerdictDetail", "RandomPruningTest", "VerdictText",
           "VERDICT_TEXT", "DEFAULT_RULES", "classify", "verdict_text", "POWER_LAW_VERDICTS",
           "NULL_LIKE"]

#: alternatives that are random-pruning-like counting laws
NULL_LIKE = frozenset({"binomial", "poisson"})


class Verdict(str, enum.Enum):
    """What the tests say about one degree sequence (the value is the machine field in JSON)."""

    TOO_FEW_UNITS = "too_few_units"
    DEGENERATE = "degenerate"
    REGULAR = "regular"
    NOT_FITTED = "not_fitted"
    RANDOM_LIKE = "random_like"
    INCONCLUSIVE = "inconclusive"
    NOT_DISTINGUISHED = "not_distinguished"
    ALTERNATIVE = "alternative_preferred"
    UNTESTED = "untested"
    REJECTED = "rejected"
    PLAUSIBLE_NARROW = "plausible_narrow"
    PLAUSIBLE = "plausible"

    def __str__(self) -> str:  # the machine value, never prose
        return self.value


#: verdicts that call the sequence a power law
POWER_LAW_VERDICTS = frozenset({Verdict.PLAUSIBLE, Verdict.PLAUSIBLE_NARROW})


@dataclass(frozen=True)
class VerdictRules:
    """The classifier's rules as data.

    Attributes
    ----------
    level : float
        Significance level of every test (GoF, LR, random-pruning), CSN's 0.1.
    min_tail : int
        Fewest units above xmin for anything but ``INCONCLUSIVE`` (CSN §4.2: ~50).
    min_span : float
        Tail span (largest value / xmin) below which a plausible law is ``PLAUSIBLE_NARROW``.
    correction : {"bonferroni", "none"}
        Multiple-testing correction across the alternatives of one sequence.
    min_units : int
        Fewest alive units before a sequence is fitted.
    random_level : float
        Level at which the random-pruning law must be rejected before any power-law verdict.
    """

    level: float = 0.1
    min_tail: int = 50
    min_span: float = 10.0
    correction: str = "bonferroni"
    min_units: int = 20
    random_level: float = 0.01

    def __post_init__(self) -> None:
        if self.correction not in ("bonferroni", "none"):
            raise ValueError(f"correction={self.correction!r}: choose 'bonferroni' or 'none'")
        if not 0 < self.level < 1:
            raise ValueError(f"level={self.level!r}: must lie in (0, 1)")

    def lr_level(self, m: int) -> float:
        """Level of one likelihood-ratio test among ``m``."""
        return self.level / max(1, m) if self.correction == "bonferroni" else self.level


DEFAULT_RULES = VerdictRules()


@dataclass(frozen=True)
class RandomPruningTest:
    """Unit-level test of the random-pruning law (see :func:`prunegraph.analysis.random_pruning_test`).

    Attributes
    ----------
    gof_p : float
        χ² goodness of fit of the whole sequence (dead units included); NaN if too few bins.
    max_p : float
        Upper-tail test of the largest degree of each group, Šidák-combined over groups.
    p_value : float
        Bonferroni combination min(1, 2 min(gof_p, max_p)) (NaN-aware).
    tail_R, tail_p : float
        Vuong LR of the fitted power law against the random-pruning law on the fitted tail
        (R > 0 favours the power law); NaN when no tail was fitted.
    n_groups : int
        Number of distinct random-pruning laws (1 per layer; several at network scope).
    """

    gof_p: float
    max_p: float
    p_value: float
    tail_R: float = float("nan")
    tail_p: float = float("nan")
    n_groups: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class VerdictDetail:
    """The verdict and the numbers behind it."""

    verdict: Verdict
    n_alive: int = 0
    n_tail: int | None = None
    span: float | None = None
    gof_p: float | None = None
    alternative: str | None = None       # the significantly preferred (or closest) alternative
    alternative_p: float | None = None
    random_p: float | None = None
    random_tail_p: float | None = None
    value: float | None = None           # the common degree of a degenerate sequence
    error: str | None = None
    reason: str | None = None            # why a layer is regular by construction
    alpha_bound: float | None = None     # REJECTED because α stopped at this search bound
    rules: VerdictRules = DEFAULT_RULES

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["verdict"] = self.verdict.value
        return d


@dataclass(frozen=True)
class VerdictText:
    """Output-edge wording of one verdict: full label template, short label, CSS class."""

    label: str
    short: str
    css: str


#: The one table of verdict wording (templates are formatted with :class:`VerdictDetail` fields).
VERDICT_TEXT: dict[Verdict, VerdictText] = {
    Verdict.TOO_FEW_UNITS: VerdictText("too few units: {n_alive} alive (need {min_units})", "too few units", ""),
    Verdict.DEGENERATE: VerdictText("degenerate: all degrees equal ({value}); no distribution to fit",
                                    "degenerate", ""),
    Verdict.REGULAR: VerdictText("regular by construction: {reason}; no distribution to fit",
                                 "regular by construction", ""),
    Verdict.NOT_FITTED: VerdictText("not fitted: {error}", "not fitted", ""),
    Verdict.RANDOM_LIKE: VerdictText("consistent with random pruning (p={random_p})",
                                     "consistent with random pruning", "v-no"),
    Verdict.INCONCLUSIVE: VerdictText("inconclusive: tail of only {n_tail} units", "inconclusive", ""),
    Verdict.NOT_DISTINGUISHED: VerdictText("inconclusive: not distinguishable from random pruning "
                                           "(p={random_p}, tail LR p={random_tail_p})",
                                           "not distinguishable from random", ""),
    Verdict.ALTERNATIVE: VerdictText("{alternative} preferred", "alternative preferred", "v-alt"),
    Verdict.UNTESTED: VerdictText("power law not rejected, untested (no GoF test)", "power law untested", ""),
    Verdict.REJECTED: VerdictText("power law rejected ({why})", "power law rejected", "v-no"),
    Verdict.PLAUSIBLE_NARROW: VerdictText("power law plausible over ×{span} only", "power law plausible (narrow)",
                                          "v-yes"),
    Verdict.PLAUSIBLE: VerdictText("power law plausible", "power law plausible", "v-yes"),
}

#: why a ``REJECTED`` verdict rejects when α stopped at the fit's search bound (rule 5)
REJECTED_AT_BOUND = "α at the fit's bound {bound}: the likelihood still rises there, no power law in range"


def _g(v: object) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:.2g}"
    return str(v)


def verdict_text(detail: VerdictDetail | Verdict, *, short: bool = False) -> str:
    """The wording of a verdict (full label from its detail, or the short label)."""
    v = detail if isinstance(detail, Verdict) else detail.verdict
    entry = VERDICT_TEXT[Verdict(v)]
    if short or isinstance(detail, Verdict):
        return entry.short
    fields: dict[str, Any] = {k: _g(getattr(detail, k)) for k in ("n_alive", "n_tail", "span", "gof_p", "random_p",
                                                   "random_tail_p", "value", "error", "reason")}
    from ..output.tables import alternative_label  # the one display name (truncated_power_law: its cut-off)

    fields["alternative"] = alternative_label(detail.alternative) if detail.alternative else ""
    fields["why"] = (REJECTED_AT_BOUND.format(bound=_g(detail.alpha_bound)) if detail.alpha_bound is not None
                     else f"GoF p={fields['gof_p']}")
    fields["min_units"] = detail.rules.min_units
    return entry.label.format(**fields)


def classify(fit: PowerLawFit | None = None, comparisons: Sequence[LikelihoodRatio] = (), *, n_alive: int | None = None,
             all_equal: float | None = None, error: str | None = None, regular: str | None = None,
             random_test: RandomPruningTest | None = None, span: float | None = None,
             rules: VerdictRules = DEFAULT_RULES) -> VerdictDetail:
    """Make the verdict of one degree sequence (rules in the module docstring).

    Parameters
    ----------
    fit : PowerLawFit or None
        The CSN fit (None when the sequence was not fitted).
    comparisons : sequence of LikelihoodRatio
        Likelihood-ratio tests of the power law against alternatives on the same tail.
    n_alive : int, optional
        Alive (nonzero) units; default ``fit.n``.
    all_equal : float, optional
        The common value when every alive degree is equal (→ ``DEGENERATE``).
    regular : str, optional
        Why the layer is regular by construction (→ ``REGULAR``).
    error : str, optional
        Why the fit failed (→ ``NOT_FITTED``).
    random_test : RandomPruningTest, optional
        The unit-level random-pruning test; without it no ``RANDOM_LIKE`` verdict is possible.
    span : float, optional
        Largest value / xmin; default from the fit's data.
    rules : VerdictRules

    Returns
    -------
    VerdictDetail
    """
    if n_alive is None:
        n_alive = int(fit.n) if fit is not None else 0
    base: dict[str, Any] = dict(n_alive=int(n_alive), rules=rules)
    if n_alive < rules.min_units:
        return VerdictDetail(Verdict.TOO_FEW_UNITS, **base)
    if regular is not None:
        return VerdictDetail(Verdict.REGULAR, reason=regular, **base)
    if all_equal is not None:
        return VerdictDetail(Verdict.DEGENERATE, value=float(all_equal), **base)
    if fit is None:
        return VerdictDetail(Verdict.NOT_FITTED, error=error or "no fit", **base)
    values = getattr(fit, "values", None)
    if span is None and values is not None:
        top = float(values[-1]) if fit.xmax is None else float(fit.xmax)
        span = top / float(fit.xmin)
    comps = list(comparisons)
    best = min(comps, key=lambda c: c.R) if comps else None
    lr_level = rules.lr_level(len(comps))
    preferred = [c for c in comps if c.R < 0 and c.p_value < lr_level]
    if preferred:  # the nested alternative has no normalised R: it ranks first
        best = min(preferred, key=lambda c: -math.inf if c.nested else c.normalized_R)
    rp = random_test
    base.update(n_tail=int(fit.n_tail), span=None if span is None else float(span), gof_p=fit.p_value,
                alternative=None if best is None else best.alternative,
                alternative_p=None if best is None else float(best.p_value),
                random_p=None if rp is None else float(rp.p_value),
                random_tail_p=None if rp is None else float(rp.tail_p))

    def d(v: Verdict) -> VerdictDetail:
        return VerdictDetail(v, **base)

    if rp is not None and not math.isnan(rp.p_value):
        pl_better = rp.tail_R > 0 and rp.tail_p < rules.level
        if rp.p_value > rules.level and not pl_better:
            return d(Verdict.RANDOM_LIKE)
        if rp.p_value > rules.random_level:
            return d(Verdict.NOT_DISTINGUISHED)
    if preferred and fit.n_tail >= rules.min_tail:
        return d(Verdict.ALTERNATIVE)
    if bool(getattr(fit, "hit_bound", False)):
        return VerdictDetail(Verdict.REJECTED, alpha_bound=float(fit.alpha), **base)
    if fit.p_value is not None and fit.p_value <= rules.level:
        return d(Verdict.REJECTED)
    if fit.n_tail < rules.min_tail:
        return d(Verdict.INCONCLUSIVE)
    if fit.p_value is None:
        return d(Verdict.UNTESTED)
    if span is not None and span < rules.min_span:
        return d(Verdict.PLAUSIBLE_NARROW)
    return d(Verdict.PLAUSIBLE)
