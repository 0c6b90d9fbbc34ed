"""Power-law fitting engine (Clauset, Shalizi & Newman 2009; Deluca & Corral 2013).

Public API:

- :func:`fit_power_law` → :class:`PowerLawFit` — exact discrete (Hurwitz ζ) / continuous MLE,
  xmin by KS minimisation, semi-parametric bootstrap p-value, optional xmax (truncated law).
- :func:`compare_distributions` → list of :class:`LikelihoodRatio` — Vuong / χ² LR tests
  against lognormal, exponential, stretched exponential, power law with cut-off, Poisson and
  binomial (random-pruning null).
- :func:`fit_truncated_power_law`, :func:`find_truncated_range` — doubly truncated law and the
  Deluca–Corral widest-plausible-range search.
- :func:`least_squares_alpha` — least squares on a log-log histogram, the biased estimator
  kept only for comparisons.
- :func:`powerlaw_crosscheck` — the same fit with the ``powerlaw`` package, α range opened.
- :func:`classify` → :class:`VerdictDetail` with a :class:`Verdict` — the one verdict
  classifier (rules as data in :class:`VerdictRules`; wording only in :data:`VERDICT_TEXT`).
"""

from __future__ import annotations

from ._alternatives import ALTERNATIVES, LikelihoodRatio, compare_distributions, power_law_logp
from ._crosscheck import powerlaw_crosscheck
from ._leastsquares import least_squares_alpha
from ._powerlaw import PowerLawFit, find_truncated_range, fit_power_law, fit_truncated_power_law
from .verdict import (
                      DEFAULT_RULES,
                      POWER_LAW_VERDICTS,
                      VERDICT_TEXT,
                      RandomPruningTest,
                      Verdict,
                      VerdictDetail,
                      VerdictRules,
                      classify,
                      verdict_text,
)

__all__ = ["ALTERNATIVES", "DEFAULT_RULES", "LikelihoodRatio", "POWER_LAW_VERDICTS", "PowerLawFit",
           "RandomPruningTest", "VERDICT_TEXT", "Verdict", "VerdictDetail", "VerdictRules", "classify",
           "compare_distributions", "find_truncated_range", "fit_power_law", "fit_truncated_power_law",
           "power_law_logp", "powerlaw_crosscheck", "verdict_text"]
__all__ += ["least_squares_alpha"]  # the counter-example estimator (notebook 02)
