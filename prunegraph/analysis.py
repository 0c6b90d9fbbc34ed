"""The analysis behind ``prunegraph fit``: every layer fitted and read against its null.

For each model, each selected layer (and/or the whole network) and each degree kind, this
module

1. takes the degree sequence (dead units counted apart, never fitted),
2. fits a power law by the Clauset–Shalizi–Newman method (:func:`prunegraph.fit.fit_power_law`,
   optional bootstrap goodness of fit) and compares it with the alternatives on the same tail
   (:func:`prunegraph.fit.compare_distributions`; the binomial uses n = the layer's fan-in for
   in-degrees and fan-out for out-degrees),
3. does the same on the layer's random-pruning null at identical density
   (:func:`prunegraph.nulls.random_layer_like`), and
4. tests whether the observed degrees have a heavier tail than the null's.

The result is plain data (:class:`ModelAnalysis`, :class:`SequenceAnalysis`); the CLI, the report
and the notebooks only format it.

Verdicts
--------
One classifier, :func:`prunegraph.fit.classify`, turns each sequence's fit, its
likelihood-ratio tests and its random-pruning test into a :class:`prunegraph.fit.Verdict`
(rules as data in :data:`RULES`, stated in :mod:`prunegraph.fit.verdict`); text is made only
by :func:`prunegraph.fit.verdict_text` at the output edges.

The random-pruning law and its unit-level test
---------------------------------------------
Random pruning of E edges in a block of n_out × n_in units gives every unit a degree ~
Binomial(n_in, p) (in-degree) or Binomial(n_out, p) (out-degree), p = E / (n_out n_in). The
block is the layer less its *structurally* dead units (those dead beyond the number random
pruning leaves dead by chance, :func:`effective_block`); the test is on the alive units, with
the law conditioned on ≥ 1. At network
scope a unit's degree is the sum of independent such binomials, one per layer touching it
(a mixture over units, one law per distinct set of layers). :func:`random_pruning_test`
tests that law on the alive units by (a) a χ² goodness of fit of the whole sequence, (b) an
upper-tail test of each group's largest degree, P(max ≥ observed) = 1 − F(M − 1)^n, Šidák-
combined over groups, so that hubs are tested rather than pooled into the top χ² bin, and (c)
Vuong's likelihood-ratio test of the fitted power law against it on the fitted tail. Dead units
are counted (``n_dead``) and conditioned on, not tested: which units survive is not a
degree-distribution question.

The null
--------
The side-by-side null of a layer is random pruning of its edges (weights shuffled with them)
in that block — drawn once per layer (seeded by its name) — so that a layer whose pruning
killed units is compared with random pruning of the units it kept.

Heavier tail than the null
--------------------------
On the units of the random-pruning block (alive units and the dead ones random pruning
leaves dead by chance; structurally dead units left out on both sides), the observed degrees x
and the null's degrees y have the same total, hence the same mean. "Heavier" means more
mass far in the upper tail: the tail is the pooled values strictly above u, the pooled
:data:`TAIL_QUANTILE` (0.9) quantile by the inverted empirical CDF (:func:`tail_threshold`; for
fewer than 100 pooled values the quantile is lowered so that 10 values can lie above it, never
below 0.75), so at most 10 % of the pooled values and never a point mass at u itself. The statistic is the
largest standardised excess of the observed tail over the null's,
T = max over thresholds t > u of (S_x(t) − S_y(t)) / √(S(t)(1 − S(t))),
S the survival functions P(· ≥ t) and S the pooled one (a one-sided, upper-tail-weighted
Kolmogorov–Smirnov / Anderson–Darling statistic restricted to the tail), and the p-value is
that of a permutation test (labels exchanged, :data:`N_PERMUTATIONS` permutations,
p = (1 + #{T* ≥ T})/(1 + N)), exact under "same distribution" (u depends on the pooled sample
only, so every permutation reads the same thresholds). Thresholds start above a high quantile,
not at the median: a near-regular layer, its degrees packed at or just above the median (same
mean, a fraction of the null's variance), would otherwise be "heavier" through the mass it
piles at the centre. Unlike a count above one percentile it keeps power when the extra mass
sits far out in the tail, and unlike a moment it is not ruled by one hub
(``benchmarks/calibrate_heavier.py``). Across the
tested sequences of one model the p-values are adjusted by Benjamini–Hochberg (``heavier_q``;
a sequence with no distribution — regular by construction, e.g. dense, degenerate, or whose fit
failed — or with no pooled value above u, where T is −inf and p = 1 by construction, gets
no q and is not in the family: :func:`tail_tested`; a sequence with too few units to fit a power
law keeps its exact permutation test); a
sequence counts as heavier when q < :data:`HEAVIER_LEVEL` (0.05). Reported with it: the variance ratio, the share
ratio above the pooled 95th percentile, the largest-degree ratio and the two-sided two-sample
Kolmogorov–Smirnov test.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import logging
import math
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ._compat import module_aliases, renamed_attribute, renamed_kwargs
from .errors import InputError, UsageError
from .fit import ALTERNATIVES
from .fit.verdict import NULL_LIKE, RandomPruningTest, Verdict, VerdictDetail, VerdictRules, classify, verdict_text

if TYPE_CHECKING:
    from .graph import NetworkGraph, StreamPlan

log = logging.getLogger(__name__)

#: JSON schema version of :meth:`ModelAnalysis.to_dict` (bump on any breaking change)
SCHEMA_VERSION = "2.0"
#: fewest alive units a degree sequence needs before it is fitted
MIN_UNITS = 20
#: fewest units above xmin for a "power law plausible" verdict (Clauset et al. 2009, §4.2:
#: below ~50 tail points a power law cannot be told from its alternatives)
MIN_TAIL = 50
#: tail span (largest degree / xmin) below which a plausible power law is flagged as narrow
MIN_SPAN = 10.0
#: significance level of the LR tests and the GoF test (Clauset et al. 2009 use 0.1)
LEVEL = 0.1
#: the verdict rules of ``prunegraph fit`` (Bonferroni over each sequence's alternatives)
RULES = VerdictRules(level=LEVEL, min_tail=MIN_TAIL, min_span=MIN_SPAN, correction="bonferroni",
                     min_units=MIN_UNITS)
#: level of the heavier-than-null decision (Benjamini–Hochberg q): 0.05, so that a random
#: layer is called heavier than its null in at most 5 % of cases (a 0.1 level would allow 10 %
#: per sequence by construction; the calibration measured 8 % on 60 random layers at 0.1)
HEAVIER_LEVEL = 0.05
#: the heavier-tail test reads the pooled values strictly above this pooled quantile (the top
#: 10 % at most; module docstring, :func:`tail_threshold`)
TAIL_QUANTILE = 0.9
#: in a small sample the quantile is lowered so that this many pooled values can lie above it
MIN_TAIL_VALUES = 10
#: and never below this one (a near-regular layer's mass at the centre stays out of the tail)
TAIL_QUANTILE_FLOOR = 0.75
#: permutations of the heavier-tail test (smallest attainable p = 1/1000)
N_PERMUTATIONS = 999
#: bootstrap resamples of the goodness-of-fit test by default (the CLI's default too)
DEFAULT_BOOTSTRAP = 100

#: user-facing degree kinds (``analyze(degree_kinds=...)``, ``--kinds``) -> (the per-layer
#: degree kind of :meth:`LayerGraph.degrees`, the whole-network one of :meth:`NetworkGraph.degrees`)
DEGREE_KINDS = {
    "in": ("in", "in"),
    "out": ("out", "out"),
    "total": (None, "total"),
    "strength": ("in_strength", "strength"),
}


@dataclass(frozen=True)
class TailComparison:
    """Observed vs null degree sequence: is the observed tail heavier?"""

    variance_ratio: float
    heavier_p: float          # one-sided permutation p of the upper-tail statistic
    tail_share_ratio: float   # share of observed units above q95 / share of null units above it
    ks_statistic: float
    ks_p: float
    max_ratio: float          # max observed degree / max null degree
    statistic: float = float("nan")    # T, the standardised upper-tail excess
    heavier_q: float = float("nan")    # Benjamini–Hochberg over the model's sequences

    def to_dict(self) -> dict[str, Any]:
        return {k: _num(v) for k, v in dataclasses.asdict(self).items()}


@dataclass(frozen=True)
class SideAnalysis:
    """The fit of one degree sequence (observed or null) and its verdict."""

    n_units: int
    n_dead: int
    fit: Any | None                   # PowerLawFit or None when degenerate
    comparisons: tuple = ()           # LikelihoodRatio, ...
    detail: VerdictDetail | None = None
    random_test: RandomPruningTest | None = None
    tail_span: float | None = None    # largest degree / xmin
    error: str | None = None
    lr_skipped: str | None = None     # why the likelihood-ratio tests were not run (verdict decided)

    @property
    def _detail(self) -> VerdictDetail:
        if self.detail is None:  # every SideAnalysis made by analyze carries its verdict detail
            raise AttributeError("this SideAnalysis holds no verdict detail")
        return self.detail

    @property
    def verdict(self) -> Verdict:
        return self._detail.verdict

    @property
    def verdict_text(self) -> str:
        return verdict_text(self._detail)

    @property
    def best_alternative(self) -> str | None:
        return self._detail.alternative

    @property
    def best_alternative_p(self) -> float | None:
        return self._detail.alternative_p

    @property
    def binomial_p(self) -> float | None:
        """p of the random-pruning law's unit-level test (χ² and largest degree combined)."""
        return None if self.random_test is None else self.random_test.p_value

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_units": self.n_units,
            "n_dead": self.n_dead,
            "fit": None if self.fit is None else _clean(self.fit.to_dict()),
            "comparisons": [_clean(c.to_dict()) for c in self.comparisons],
            "verdict": self.verdict_text,
            "verdict_code": self.verdict.value,
            "best_alternative": self.best_alternative,
            "best_alternative_p": _num(self.best_alternative_p),
            "binomial_p": _num(self.binomial_p),
            "random_pruning": None if self.random_test is None else _clean(self.random_test.to_dict()),
            "tail_span": _num(self.tail_span),
            "error": self.error,
            "alternatives_run": [c.alternative for c in self.comparisons],
            "alternatives_skipped": self.lr_skipped,
        }


@dataclass(frozen=True)
class SequenceAnalysis:
    """One layer (or the whole network) and one degree kind: observed, null, comparison."""

    layer: str                # layer name, or "network"
    layer_type: str           # "linear", "conv", ..., or "network"
    degree_kind: str
    nodes: int
    edges: int
    density: float
    observed: SideAnalysis
    null: SideAnalysis | None
    tail: TailComparison | None
    degrees: np.ndarray = field(repr=False, compare=False)
    null_degrees: np.ndarray | None = field(default=None, repr=False, compare=False)
    wiring: str = "traced"    # how the layer was placed (LayerGraph.wiring): "names"/"shapes" = guessed
    #: nonzero weights / all weights (convolutions fold a kernel into one edge; None if unknown)
    weight_density: float | None = None

    @property
    def guessed(self) -> bool:
        return self.wiring in ("names", "shapes")

    def to_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "layer_kind": self.layer_type,  # the 0.1 key, unchanged (docs/formats.md)
            "wiring": self.wiring,
            "guessed": self.guessed,
            "degree_kind": self.degree_kind,
            "nodes": self.nodes,
            "edges": self.edges,
            "density": _num(self.density),
            "weight_density": _num(self.weight_density),
            "observed": self.observed.to_dict(),
            "null": None if self.null is None else self.null.to_dict(),
            "heavier_than_null": None if self.tail is None else self.tail.to_dict(),
        }

    def fit_row(self) -> FitRow:
        """The flat row of the fit table (CLI, report, CSV)."""
        f, nf = self.observed.fit, (self.null.fit if self.null else None)
        return FitRow(
            layer=self.layer,
            degree_kind=self.degree_kind,
            wiring=self.wiring + ("?" if self.guessed else ""),
            nodes=self.nodes,
            edges=self.edges,
            density=self.density,
            weight_density=self.weight_density,
            dead=self.observed.n_dead,
            alpha=None if f is None else f.alpha,
            sigma=_sigma(f),
            xmin=None if f is None else f.xmin,
            xmax=None if f is None else f.xmax,
            n_tail=None if f is None else f.n_tail,
            ks_d=None if f is None else f.ks_distance,
            gof_p=None if f is None else f.p_value,
            best_alt=LR_NOT_NEEDED if self.observed.lr_skipped else self.observed.best_alternative,
            best_alt_p=self.observed.best_alternative_p,
            binom_p=self.observed.binomial_p,
            span=self.observed.tail_span,
            verdict=self.observed.verdict_text,
            verdict_code=self.observed.verdict.value,
            null_alpha=None if nf is None else nf.alpha,
            null_sigma=_sigma(nf),
            null_verdict=None if self.null is None else self.null.verdict_text,
            null_verdict_code=None if self.null is None else self.null.verdict.value,
            heavier_p=None if self.tail is None else self.tail.heavier_p,
            heavier_q=None if self.tail is None or math.isnan(self.tail.heavier_q) else self.tail.heavier_q,
            var_ratio=None if self.tail is None else self.tail.variance_ratio,
            hit_bound=None if f is None else bool(f.hit_bound),
            null_hit_bound=None if nf is None else bool(nf.hit_bound),
        )

    def row(self) -> dict[str, Any]:
        """:meth:`fit_row` as a dict (``FitRow.to_dict()``: the keys of the CSV and the table)."""
        return self.fit_row().to_dict()


@dataclass(frozen=True)
class FitRow:
    """One row of the fit table: a layer (or the network) and a degree kind, the fitted tail,
    the tests and the verdicts, flat.  ``output.tables.COLUMNS`` says what each column means;
    :meth:`to_dict` gives the row dict the table, the report and ``--csv`` read (there the
    degree kind is the column ``kind``).

    ``hit_bound`` (``null_hit_bound`` for the null) is True when the exponent's maximum-likelihood
    search ended on its upper bound (``PowerLawFit.alpha_max``, 100): ``alpha`` is then the bound,
    not a measured exponent (the likelihood still rose there: no power law in range), and every
    output shows it as "≥ 100 (bound)" and leaves it out of the figures; None where nothing was
    fitted.  ``sigma`` (``null_sigma``) is then None (empty in ``--csv``, null in JSON): there
    is no standard error at the bound.  These two flags are the last columns of ``--csv``
    (appended, so the earlier columns keep their places).

    Examples
    --------
    >>> import torch, prunegraph
    >>> from prunegraph.analysis import analyze
    >>> net = prunegraph.load(torch.nn.Sequential(torch.nn.Linear(20, 10)))
    >>> row = analyze(net, degree_kinds=["in"], bootstrap=0, null=False, alternatives=[]).fit_rows()[0]
    >>> row.layer, row.degree_kind, row.to_dict()["kind"], row.edges
    ('0', 'in', 'in', 200)
    """

    layer: str
    degree_kind: str
    wiring: str
    nodes: int
    edges: int
    density: float
    weight_density: float | None
    dead: int
    alpha: float | None
    sigma: float | None
    xmin: float | None
    xmax: float | None
    n_tail: int | None
    ks_d: float | None
    gof_p: float | None
    best_alt: str | None
    best_alt_p: float | None
    binom_p: float | None
    span: float | None
    verdict: str
    verdict_code: str
    null_alpha: float | None
    null_sigma: float | None
    null_verdict: str | None
    null_verdict_code: str | None
    heavier_p: float | None
    heavier_q: float | None
    var_ratio: float | None
    hit_bound: bool | None = None
    null_hit_bound: bool | None = None

    #: attribute -> row key where the two differ (the table's column is "kind")
    KEYS: ClassVar[dict[str, str]] = {"degree_kind": "kind"}

    def to_dict(self) -> dict[str, Any]:
        return {self.KEYS.get(f.name, f.name): getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclass(frozen=True)
class ModelAnalysis:
    """Every analysed layer and kind of one model."""

    source: str
    results: tuple[SequenceAnalysis, ...]
    settings: dict[str, Any]
    notes: tuple[str, ...] = ()

    def summary(self, *, name: str | None = None) -> str:
        """One line: how many sequences were fitted and how their verdicts split; ``name``
        replaces the source path at its start (the CLI shows a shorter path)."""
        counts: dict[Verdict, int] = {}
        for r in self.results:
            counts[r.observed.verdict] = counts.get(r.observed.verdict, 0) + 1
        heavier = sum(1 for r in self.results if r.tail and r.tail.heavier_q < HEAVIER_LEVEL)
        parts = ", ".join(f"{n} {verdict_text(v, short=True)}"
                          for v, n in sorted(counts.items(), key=lambda kv: -kv[1]))
        bound = [r.observed.fit for r in self.results if r.observed.fit is not None and r.observed.fit.hit_bound]
        if bound:  # never an ordinary exponent: the fit stopped at its bound
            parts += (f"; {len(bound)} with α at the fit's bound (≥{bound[0].alpha_max:g}, "
                      "not a measured exponent)")
        return (f"{self.source if name is None else name}: {len(self.results)} degree sequences; {parts}; "
                f"{heavier} with a heavier tail than the random-pruning null "
                f"(Benjamini–Hochberg q < {HEAVIER_LEVEL})")

    def fit_rows(self) -> list[FitRow]:
        """One :class:`FitRow` per result (the fit table)."""
        return [r.fit_row() for r in self.results]

    def rows(self) -> list[dict[str, Any]]:
        """:meth:`fit_rows` as dicts (what ``--csv`` writes)."""
        return [r.row() for r in self.results]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "settings": _clean(self.settings),
            "notes": list(self.notes),
            "summary": self.summary(),
            "results": [r.to_dict() for r in self.results],
        }

    def to_frame(self):
        """The results as a pandas DataFrame: one row per (layer, degree kind, side).

        ``side`` is ``"observed"`` or ``"null"`` (the random-pruning null of the same layer);
        the rows follow :attr:`results`, each observed row followed by its null row. Every
        value is read from :meth:`to_dict` (the ``fit --json`` schema), so the frame and the
        JSON cannot disagree; numbers missing in the JSON (``null``) are NaN here.

        Columns: ``source, layer, layer_type, degree_kind, side, nodes, edges, density,
        n_units, n_dead, alpha, sigma, xmin, xmax, n_tail, D`` (the KS distance of the tail
        fit, WeightWatcher's name), ``p`` (the bootstrap goodness-of-fit p; NaN without a
        bootstrap), ``n_bootstrap, log_likelihood``, ``hit_bound`` (alpha stopped at the fit's search
        bound: no measured exponent; missing where nothing was fitted), ``tail_span, best_alternative,
        best_alternative_p, binomial_p, verdict`` (the text), ``verdict_code`` (the stable
        code when the JSON carries one, else None), ``R_<alt>`` and ``p_<alt>`` for each
        likelihood-ratio comparison (R > 0 favours the power law), ``heavier_p``, ``heavier_q``
        (when the JSON has it) and ``variance_ratio`` (observed rows only: is the tail heavier
        than the null's) and ``error``.

        Needs pandas (``pip install prunegraph[notebooks]``).

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> import torch, prunegraph
        >>> from prunegraph.analysis import analyze
        >>> g = torch.Generator().manual_seed(0)
        >>> m = torch.nn.Sequential(torch.nn.Linear(60, 50))
        >>> _ = m[0].weight.data.mul_(torch.rand(50, 60, generator=g) < 0.2)
        >>> df = analyze(prunegraph.load(m), degree_kinds=["in"], alternatives=["exponential"]).to_frame()
        >>> df[["layer", "degree_kind", "side"]].values.tolist()
        [['0', 'in', 'observed'], ['0', 'in', 'null']]
        """
        try:
            import pandas as pd
        except ImportError:
            raise InputError("ModelAnalysis.to_frame needs pandas; install it with "
                             "pip install prunegraph[notebooks] (or pip install pandas)") from None
        nan = float("nan")

        def num(v):
            return nan if v is None else v

        d = self.to_dict()
        rows = []
        for r in d["results"]:
            for side in ("observed", "null"):
                sd = r[side]
                if sd is None:
                    continue
                f = sd["fit"] or {}
                row = {"source": d["source"], "layer": r["layer"], "layer_type": r["layer_kind"],
                       "degree_kind": r["degree_kind"], "side": side, "nodes": r["nodes"],
                       "edges": r["edges"], "density": num(r["density"]),
                       "n_units": sd["n_units"], "n_dead": sd["n_dead"]}
                for col, key in (("alpha", "alpha"), ("sigma", "sigma"), ("xmin", "xmin"), ("xmax", "xmax"),
                                 ("n_tail", "n_tail"), ("D", "ks_distance"), ("p", "p_value"),
                                 ("n_bootstrap", "n_bootstrap"), ("log_likelihood", "log_likelihood")):
                    row[col] = num(f.get(key))
                row["hit_bound"] = f.get("hit_bound")  # alpha is the search bound, not a measurement
                row.update(tail_span=num(sd["tail_span"]), best_alternative=sd["best_alternative"],
                           best_alternative_p=num(sd["best_alternative_p"]), binomial_p=num(sd["binomial_p"]),
                           verdict=sd["verdict"], verdict_code=sd.get("verdict_code"))
                for c in sd["comparisons"]:
                    row[f"R_{c['alternative']}"] = num(c.get("R"))
                    row[f"p_{c['alternative']}"] = num(c.get("p_value"))
                tail = r["heavier_than_null"] if side == "observed" else None
                row["heavier_p"] = nan if tail is None else num(tail.get("heavier_p"))
                row["variance_ratio"] = nan if tail is None else num(tail.get("variance_ratio"))
                row["heavier_q"] = nan if tail is None else num(tail.get("heavier_q"))
                row["error"] = sd["error"]
                rows.append(row)
        front = ["source", "layer", "layer_type", "degree_kind", "side", "nodes", "edges", "density",
                 "n_units", "n_dead", "alpha", "sigma", "xmin", "xmax", "n_tail", "D", "p", "n_bootstrap",
                 "log_likelihood", "hit_bound", "tail_span", "best_alternative", "best_alternative_p", "binomial_p",
                 "verdict", "verdict_code"]
        lr = sorted({k for row in rows for k in row if k[:2] in ("R_", "p_")},
                    key=lambda k: (k[2:], k[0]))
        df = pd.DataFrame(rows, columns=front + lr + ["heavier_p", "heavier_q", "variance_ratio", "error"])
        # integers and flags with missing values
        return df.astype({"n_tail": "Int64", "n_bootstrap": "Int64", "hit_bound": "boolean"})


@renamed_kwargs(kinds="degree_kinds")
def analyze(net, *, degree_kinds: Sequence[str] = ("in", "out"), scope: str = "layer",
            layers: str | Sequence[str] = "*", bootstrap: int = DEFAULT_BOOTSTRAP,
            alternatives: Sequence[str] = ALTERNATIVES, truncated: bool = False,
            null: bool = True, rng: np.random.Generator | int | None = 0, n_jobs: int = 1,
            progress: bool = False, lr_tests: str = "needed", on_result=None) -> ModelAnalysis:
    """Fit every selected degree sequence of ``net`` and read it against its null.

    Parameters
    ----------
    net : NetworkGraph or StreamPlan
        From :func:`prunegraph.load`, or :func:`prunegraph.loading.stream_layers` to analyse a
        large checkpoint one layer at a time (only degree arrays are kept between layers, so
        peak memory stays near that of the largest layer).
    degree_kinds : sequence of {"in", "out", "total", "strength"}
        Degree kinds (:data:`DEGREE_KINDS`; ``kinds=`` is the deprecated 0.1 name). ``total``
        exists only for the whole network; per layer ``strength`` is the in-strength (sum of |w|
        into a unit).
    scope : {"layer", "network", "both"}
        Fit each layer's bipartite degrees, the whole network's unit degrees, or both.
    layers : str or sequence of str
        Glob pattern(s) on layer names (``"fc*"``); the whole network ignores it.
    bootstrap : int
        Semi-parametric bootstrap resamples for the GoF p-value (default 100, as the CLI;
        0 = none, and then no sequence is called plausible: the verdict is ``UNTESTED``).
    alternatives : sequence of str
        Alternatives for the likelihood-ratio tests.
    lr_tests : {"needed", "all"}
        ``"needed"`` (default) runs the likelihood-ratio tests only on sequences whose verdict
        can depend on them: not when the random-pruning test already decides it
        (``RANDOM_LIKE``/``NOT_DISTINGUISHED``) nor on a tail shorter than ``min_tail`` (the
        classifier ignores an alternative there).  The verdict is the same either way; a skipped
        sequence reports ``alternatives_skipped`` (its reason) and no best alternative.
        ``"all"`` runs every test on every fitted sequence.
    on_result : callable, optional
        Called as ``on_result(source, sequence_analysis)`` as soon as each sequence is fitted
        (before the model-wide Benjamini–Hochberg adjustment of ``heavier_q``), e.g. to start
        its figure while the next sequences are fitted.
    truncated : bool
        Fit the doubly truncated power law (xmax = largest degree) instead of the plain one.
    null : bool
        Also analyse the random-pruning null of each layer: one random graph per layer, its
        edges placed uniformly among the layer's alive units
        (:func:`prunegraph.nulls.random_layer_degrees` on the alive block), used for every
        degree kind and, joined, as the whole network's null; and test whether each observed
        tail is heavier (module docstring).
    rng : Generator, int or None
        Seed (a Generator or None draws one int seed, recorded in ``settings["seed"]``). Each
        (layer, kind) gets its own stream derived from the seed and its name, so
        results do not depend on which other layers were selected or on ``n_jobs``.

    Returns
    -------
    ModelAnalysis

    Examples
    --------
    >>> import torch, prunegraph
    >>> from prunegraph.analysis import analyze
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> net = prunegraph.load(torch.nn.Sequential(torch.nn.Linear(50, 40), torch.nn.ReLU(),
    ...                                           torch.nn.Linear(40, 30)))
    >>> res = analyze(net, degree_kinds=["in"], alternatives=["exponential"], bootstrap=0)
    >>> [r.layer for r in res.results]
    ['0', '2']
    """
    from . import fit as fitmod
    from ._rng import as_seed

    rng = as_seed(rng)  # an int stays itself; a Generator or None draws one seed
    unknown = [k for k in degree_kinds if k not in DEGREE_KINDS]
    if unknown:
        raise UsageError(f"unknown degree kind {unknown[0]!r}; choose from {', '.join(DEGREE_KINDS)}")
    if scope not in ("layer", "network", "both"):
        raise UsageError(f"unknown scope {scope!r}; choose layer, network or both")
    if bootstrap < 0:
        raise UsageError(f"bootstrap must be >= 0, got {bootstrap}")
    if lr_tests not in ("needed", "all"):
        raise UsageError(f"lr_tests={lr_tests!r}: choose 'needed' or 'all'")
    patterns = [layers] if isinstance(layers, str) else list(layers)
    # a streamed layer is never built (issue 13): counted, and with a strength kind its strengths
    # summed block by block (its edge weights kept for the weighted null)
    strengths = any("strength" in (v or "") for k in degree_kinds for v in DEGREE_KINDS[k])
    builders = _layer_builders(net, strengths=strengths, edges=strengths and null)
    selected = {name for name, _ in builders if any(fnmatch.fnmatchcase(name, p) for p in patterns)}
    per_layer = scope in ("layer", "both")
    whole = scope in ("network", "both")
    if per_layer and not selected:
        names = ", ".join(name for name, _ in builders)
        raise UsageError(f"no layer matches {patterns}; layers are: {names}")

    from ._progress import progress as _progress
    from .degrees import LayerDegrees, network_sequence
    from .nulls import edge_multiset

    results: list[SequenceAnalysis] = []
    built = edges_seen = 0
    shapes = _param_shapes(net)
    w_nnz = w_all = 0  # weight-level counts over the layers (None-safe: w_all < 0 = unknown)
    kept_obs: list[LayerDegrees] = []
    kept_null: list[LayerDegrees] = []
    kept_law: list[dict[str, tuple[int, float]] | None] = []
    kept_block: list[tuple] = []
    short = str(net.source).replace("\\", "/").rsplit("/", 1)[-1]  # the file name, not its path
    for name, build in _progress(builders, desc=f"fit {short} (layers)", enabled=progress):
        fit_layer = per_layer and name in selected
        if not (fit_layer or whole):
            continue  # a streamed layer that nobody asked for is never built
        lg = build()
        obs = LayerDegrees.from_layer(lg)
        nnz, total = _weight_counts(lg, shapes)
        wdens = None if total is None else (nnz / total if total else 0.0)
        if total is None or w_all < 0:
            w_all = -1
        else:
            w_nnz, w_all = w_nnz + nnz, w_all + total
        # connectome layers (SparseLayer) have neither: their wiring is the measured one
        wiring = getattr(lg, "wiring", "traced")
        regular = lg.regular_structure() if hasattr(lg, "regular_structure") else None
        if regular is not None and obs.n_edges == obs.in_units * obs.out_units:
            regular = dense_reason(wdens)  # every unit pair connected: say so, not "degenerate"
        built += 1
        edges_seen += obs.n_edges
        edges_only = edge_multiset(lg) if null else None
        del lg  # from here on only degree arrays and edge weights: memory stays near one layer
        # one null graph per layer (seeded by its name), shared by every kind and the network
        null_d, block = (alive_null_degrees(obs, edges_only, rng=_stream_seed(rng, name, "null"))
                         if null else (None, None))
        del edges_only
        law = layer_law(obs)
        if fit_layer:
            for k in degree_kinds:
                internal = DEGREE_KINDS[k][0]
                if internal is None:
                    continue
                binom_n = obs.in_units if internal == "in" else obs.out_units if internal == "out" else None
                deg = obs.degrees(internal)
                groups = None
                if law is not None and internal in ("in", "out"):
                    groups = [(np.arange(len(deg.values)), (law[internal],))]
                in_block = None if block is None else block[0 if internal in ("in", "in_strength") else 1]
                results.append(dataclasses.replace(_analyze_sequence(
                    fitmod, name=name, layer_type=obs.layer_type, degree_kind=k, internal=internal, in_block=in_block,
                    deg=deg, null_deg=None if null_d is None else null_d.degrees(internal),
                    nodes=_layer_nodes(obs), edges=obs.n_edges, density=obs.density,
                    binom_n=binom_n, groups=groups, bootstrap=bootstrap, alternatives=alternatives,
                    truncated=truncated, rng=rng, n_jobs=n_jobs, regular=regular, wiring=wiring,
                    lr_tests=lr_tests), weight_density=wdens))
                if on_result is not None:
                    on_result(str(net.source), results[-1])
        if whole:
            kept_obs.append(obs)
            kept_law.append(law)
            if null_d is not None and block is not None:  # set together
                kept_null.append(null_d)
                kept_block.append(block)
    if built == len(builders) and edges_seen == 0:  # what load() refuses too, found here when streaming
        raise InputError(f"{net.source}: empty model: no nonzero weight in any of its {built} "
                         "layer(s); check that the checkpoint holds the trained, pruned weights")
    if whole:  # every layer was built, so edges_seen counts the whole network
        possible = sum(d.in_units * d.out_units for d in kept_obs)
        for k in degree_kinds:
            internal = DEGREE_KINDS[k][1]
            deg = network_sequence(kept_obs, net.spaces, internal)
            null_deg = network_sequence(kept_null, net.spaces, internal) if null else None
            results.append(dataclasses.replace(_analyze_sequence(
                fitmod, name="network", layer_type="network", degree_kind=k, internal=internal, deg=deg,
                in_block=network_block(kept_obs, kept_block, net.spaces, internal) if null else None,
                null_deg=null_deg, nodes=int(len(deg.values)), edges=int(edges_seen),
                density=edges_seen / possible if possible else float("nan"), binom_n=None,
                groups=network_laws(kept_obs, kept_law, net.spaces, internal),
                bootstrap=bootstrap, alternatives=alternatives, truncated=truncated, rng=rng,
                n_jobs=n_jobs, lr_tests=lr_tests), weight_density=w_nnz / w_all if w_all > 0 else None))
            if on_result is not None:
                on_result(str(net.source), results[-1])
    results = _adjust_heavier(results)
    # "kinds": the JSON key of 0.1, unchanged (docs/formats.md)
    settings = {"kinds": list(degree_kinds), "scope": scope, "layers": patterns, "bootstrap": bootstrap,
                "alternatives": list(alternatives), "lr_tests": lr_tests, "truncated": truncated, "null": null,
                "seed": rng, "level": LEVEL, "min_units": MIN_UNITS, "min_tail": MIN_TAIL,
                "min_span": MIN_SPAN, "correction": RULES.correction, "heavier_correction": "benjamini-hochberg",
                "n_permutations": N_PERMUTATIONS, "heavier_level": HEAVIER_LEVEL, "schema_version": SCHEMA_VERSION}
    return ModelAnalysis(source=str(net.source), results=tuple(results), settings=settings,
                         notes=tuple(net.notes))


def dense_reason(weight_density: float | None) -> str:
    """Why a layer whose every unit pair is connected (edge density 100 %) is regular by
    construction: no weight pruned, or (a convolution) kernels thinned but none removed.

    Examples
    --------
    >>> dense_reason(1.0), dense_reason(0.66)
    ('dense layer (no weight pruned)', 'every unit pair connected (edge density 100 %, weight density 66.0 %)')
    """
    if weight_density is None or weight_density >= 1.0:
        return "dense layer (no weight pruned)"
    return f"every unit pair connected (edge density 100 %, weight density {100 * weight_density:.1f} %)"


def verdict_class(verdict) -> str:
    """The short label of a verdict (a :class:`~prunegraph.fit.Verdict`, its code, or a
    :class:`~prunegraph.fit.VerdictDetail`), for counting; any other text is returned as is
    (verdict text is output, not parsed: use the ``verdict_code`` field).

    Examples
    --------
    >>> verdict_class("plausible_narrow")
    'power law plausible (narrow)'
    """
    if isinstance(verdict, VerdictDetail):
        verdict = verdict.verdict
    try:
        return verdict_text(Verdict(verdict), short=True)
    except ValueError:
        return str(verdict)


def _param_shapes(net) -> dict[str, tuple[int, ...]]:
    """Shapes of the raw weights of ``net``'s checkpoint (a file, or a Hugging Face folder or
    index of shards: safetensors headers only); empty when it has none."""
    from pathlib import Path

    from .checkpoint import checkpoint_files, safetensors_source, tensor_shapes
    from .errors import PruneGraphError

    src = getattr(net, "source", None)
    if not isinstance(src, str) or not Path(src).exists():
        return {}
    try:
        files, _ = checkpoint_files(src)
        if all(f.suffix == ".safetensors" for f in files):
            return dict(safetensors_source(files).shapes)
        return tensor_shapes(files[0]) if len(files) == 1 else {}
    except PruneGraphError:
        return {}


def _weight_counts(lg, shapes: Mapping[str, tuple[int, ...]]) -> tuple[int, int | None]:
    """(nonzero raw weights, all raw weights) of one layer; all is None when unknown.

    Every raw weight folds into exactly one unit-level edge, so the nonzero count is the sum of
    ``multiplicity``; the total is the raw weight's size (a Linear layer that folds nothing:
    ``in_units * out_units``)."""
    if not hasattr(lg, "binary") or not (hasattr(lg, "multiplicity") or hasattr(lg, "raw_nonzero")):
        return int(lg.n_edges), None  # e.g. a connectome layer
    nnz = (int(lg.n_edges) if lg.binary else int(lg.raw_nonzero) if hasattr(lg, "raw_nonzero")
           else int(lg.multiplicity.sum()))  # torch sums int32 into int64; a counted layer counted them
    for key in (lg.param, lg.param + "_orig", lg.param + "_mask", "module." + lg.param):
        if key in shapes:
            return nnz, int(np.prod(shapes[key], dtype=np.int64))
    if lg.layer_type in ("linear", "embedding") and lg.binary:  # one raw weight per unit pair
        return nnz, int(lg.in_units) * int(lg.out_units)
    return nnz, None


def _layer_nodes(d) -> int:
    """Units a layer touches: in + out, or one node set for a layer from a space onto itself."""
    same = d.in_space == d.out_space and d.in_offset == d.out_offset and d.in_units == d.out_units
    return int(d.in_units if same else d.in_units + d.out_units)


def _layer_builders(net, *, strengths: bool = False, edges: bool = False) -> list[tuple[str, Any]]:
    """(name, build) per layer of a NetworkGraph (built already) or a StreamPlan (read block by
    block, never built: see ``StreamPlan.iter_degrees``)."""
    if hasattr(net, "layers"):
        return [(lg.name, (lambda lg=lg: lg)) for lg in net.layers]
    return [(spec.name, functools.partial(spec.build_degrees, strengths=strengths, edges=edges))
            for spec in net.specs]


def _analyze_sequence(fitmod, *, name, layer_type, degree_kind, internal, deg, null_deg, nodes, edges,
                      density, binom_n, groups, bootstrap, alternatives, truncated, rng,
                      n_jobs, in_block=None, regular=None, wiring="traced", lr_tests="needed") -> SequenceAnalysis:
    """Fit one observed degree sequence and its null, and compare their tails.

    ``regular``: why the layer is regular by construction (:meth:`LayerGraph.regular_structure`);
    then nothing is fitted (a near-dense layer's null is near-dense too; an N:M layer's null is not).
    """
    seed = _stream_seed(rng, name, degree_kind)
    discrete = "strength" not in internal
    alts = _alts(alternatives, discrete, binom_n)
    observed = _side(fitmod, deg, discrete=discrete, bootstrap=bootstrap, alternatives=alts,
                     binom_n=binom_n, groups=groups, truncated=truncated, seed=seed, n_jobs=n_jobs,
                     regular=regular, lr_tests=lr_tests)
    null_side = tail = None
    if null_deg is not None:
        null_regular = regular if (regular or "").startswith(("near-dense", "dense")) else None
        null_side = _side(fitmod, null_deg, discrete=discrete, bootstrap=bootstrap, alternatives=alts,
                          binom_n=binom_n, groups=groups, truncated=truncated, seed=seed + 2, n_jobs=n_jobs,
                          regular=null_regular, lr_tests=lr_tests)
        values = np.asarray(deg.values)
        keep = np.ones(values.size, bool) if in_block is None else np.asarray(in_block, bool)
        tail = compare_tails(values[keep], np.asarray(null_deg.values)[keep], rng=seed + 3)
    return SequenceAnalysis(
        layer=name, layer_type=layer_type, degree_kind=degree_kind, nodes=int(nodes), edges=int(edges),
        density=float(density), observed=observed, null=null_side, tail=tail,
        degrees=np.asarray(deg.values),
        null_degrees=None if null_deg is None else np.asarray(null_deg.values), wiring=wiring)


def _alts(alternatives: Sequence[str], discrete: bool, binom_n: int | None) -> list[str]:
    out = []
    for a in alternatives:
        if a in NULL_LIKE and not discrete:
            continue  # counting laws do not apply to strengths
        if a == "binomial" and binom_n is None:
            continue  # no fan-in to bound a whole-network total degree
        out.append(a)
    return out


def _side(fitmod, deg, *, discrete: bool, bootstrap: int, alternatives: list[str],
          binom_n: int | None, truncated: bool, seed: int, n_jobs: int, groups=None,
          regular: str | None = None, lr_tests: str = "needed") -> SideAnalysis:
    values = np.asarray(deg.values)
    alive = values[values > 0]
    n_units, n_dead = int(values.size), int(values.size - alive.size)
    if alive.size < RULES.min_units:
        return SideAnalysis(n_units, n_dead, None, detail=classify(None, n_alive=alive.size, rules=RULES))
    # N:M patterns and (near-)dense layers fix the degrees, all-equal or not: regular by construction
    if regular:
        return SideAnalysis(n_units, n_dead, None, detail=classify(
            None, n_alive=alive.size, regular=regular, rules=RULES))
    if np.all(alive == alive[0]):
        return SideAnalysis(n_units, n_dead, None, detail=classify(
            None, n_alive=alive.size, all_equal=float(alive[0]), rules=RULES))
    try:
        fit = fitmod.fit_power_law(alive, discrete=discrete, bootstrap=bootstrap,
                                   xmax=float(alive.max()) if truncated else None,
                                   rng=seed, n_jobs=n_jobs)
    except InputError as exc:
        return SideAnalysis(n_units, n_dead, None, error=str(exc), detail=classify(
            None, n_alive=alive.size, error=str(exc), rules=RULES))
    rp = random_pruning_test(values, groups, fit=fit) if (groups and discrete) else None
    span = float(alive.max()) / float(fit.xmin)
    comps: tuple = ()
    skipped = lr_not_needed(fit, rp) if (alternatives and lr_tests != "all") else None
    if alternatives and skipped is None:
        try:
            comps = tuple(fitmod.compare_distributions(fit, alternatives=alternatives,
                                                       binomial_n=binom_n))
        except InputError as exc:
            log.warning("likelihood-ratio tests skipped: %s", exc)
    detail = classify(fit, comps, n_alive=alive.size, random_test=rp, span=span, rules=RULES)
    return SideAnalysis(n_units, n_dead, fit, comps, detail, random_test=rp, tail_span=span, lr_skipped=skipped)


#: the table's alternative cell of a sequence whose verdict did not need the likelihood-ratio tests
LR_NOT_NEEDED = "not needed"


def lr_not_needed(fit, random_test: RandomPruningTest | None, *, rules: VerdictRules | None = None) -> str | None:
    """Why the likelihood-ratio tests cannot change this sequence's verdict, or None if they can.

    :func:`prunegraph.fit.classify` reads the alternatives only in its rule 4 (ALTERNATIVE), which
    comes after the random-pruning rules and needs a tail of ``min_tail`` units; so the tests are
    not needed when the random-pruning test already decides the verdict (classified without
    comparisons: RANDOM_LIKE or NOT_DISTINGUISHED) or the tail is shorter than ``min_tail``.

    Examples
    --------
    >>> import numpy as np
    >>> from prunegraph.fit import fit_power_law
    >>> f = fit_power_law(np.random.default_rng(0).binomial(100, 0.1, 40) + 1)
    >>> lr_not_needed(f, None) if f.n_tail < 50 else "long tail"
    'tail shorter than 50 units'
    """
    rules = RULES if rules is None else rules
    pre = classify(fit, (), random_test=random_test, rules=rules).verdict
    if pre in (Verdict.RANDOM_LIKE, Verdict.NOT_DISTINGUISHED):
        return f"verdict decided by the random-pruning test ({pre.value})"
    if fit.n_tail < rules.min_tail:
        return f"tail shorter than {rules.min_tail} units"
    return None


@dataclass(frozen=True)
class BlockSummary:
    """One transformer block's projections of one group and degree kind (:func:`block_summary`)."""

    block: str               # "encoder.layer.3"
    depth: int               # 0-based position among the model's blocks
    group: str               # "attention" (q, k, v, o) or "mlp" (gate, up, down)
    degree_kind: str
    layers: tuple[str, ...]
    alpha_median: float | None   # median fitted alpha over the group's fits, those at the bound left out
    verdicts: dict           # short verdict label -> count
    alphas: tuple = ()       # per layer (in ``layers`` order) its fitted alpha, None where not fitted
    sigmas: tuple = ()       # per layer the alpha's standard error, None where not fitted or at the bound
    at_bound: tuple = ()     # per layer: its alpha is the fit's upper bound (hit_bound), not a measurement

    def to_dict(self) -> dict[str, Any]:
        return {"block": self.block, "depth": self.depth, "group": self.group, "degree_kind": self.degree_kind,
                "layers": list(self.layers), "alpha_median": _num(self.alpha_median), "verdicts": dict(self.verdicts),
                "alphas": [_num(a) for a in self.alphas], "sigmas": [_num(s) for s in self.sigmas],
                "at_bound": [bool(b) for b in self.at_bound]}


def block_summary(res: ModelAnalysis) -> list[BlockSummary]:
    """Per transformer block: attention vs MLP projections, median alpha and verdicts against depth.

    Blocks and roles come from the layer names (:func:`prunegraph.graph.roles.block_of`,
    :func:`~prunegraph.graph.roles.role_of`); layers outside a numbered block with a known role
    (embeddings, heads) are left out.  Empty for a model without transformer blocks.

    Examples
    --------
    >>> block_summary(ModelAnalysis("m", (), {}))
    []
    """
    from .graph.roles import block_of, role_of

    groups: dict[tuple[str, str, str], list[SequenceAnalysis]] = {}
    order: list[str] = []
    for r in res.results:
        blk, role = block_of(r.layer), role_of(r.layer)
        if blk is None or role is None:
            continue
        group = ("attention" if role in ("q", "k", "v", "qkv", "o")
                 else "mlp" if role in ("gate", "up", "down") else None)
        if group is None:
            continue
        if blk not in order:
            order.append(blk)
        groups.setdefault((blk, group, r.degree_kind), []).append(r)
    out = []
    for (blk, group, degree_kind), rows in groups.items():
        # an alpha at the search bound is no measured exponent: out of the median
        alphas = [r.observed.fit.alpha for r in rows if r.observed.fit is not None and not r.observed.fit.hit_bound]
        counts: dict[str, int] = {}
        for r in rows:
            key = verdict_text(r.observed.verdict, short=True)
            counts[key] = counts.get(key, 0) + 1
        fits = [r.observed.fit for r in rows]
        out.append(BlockSummary(blk, order.index(blk), group, degree_kind, tuple(r.layer for r in rows),
                                float(np.median(alphas)) if alphas else None, counts,
                                tuple(None if f is None else float(f.alpha) for f in fits),
                                tuple(_sigma(f) for f in fits),
                                tuple(f is not None and bool(f.hit_bound) for f in fits)))
    return sorted(out, key=lambda b: (b.depth, b.group, b.degree_kind))


# ----------------------------------------------------------------------------- random pruning
def effective_block(obs) -> tuple[int, int, int, float] | None:
    """(edges E, out units, in units, p) of the block random pruning acted on.

    A unit with no edge is dead either by chance (random pruning of a sparse layer leaves
    Binomial zeros) or by structure (an input that is always zero, a unit pruned whole). Units
    dead beyond the number expected by chance, n (1 − p)^{n_other}, are taken as structural and
    removed from the block; p = E / (out × in) over the remaining block (two fixed-point passes).
    None when the layer has no edges or counts several edges per unit pair (unit-level
    convolutions), where no binomial law holds.
    """
    ind, outd = np.asarray(obs.in_degree), np.asarray(obs.out_degree)
    e = int(ind.sum())
    n_out, n_in = int(ind.size), int(outd.size)
    dead_out, dead_in = int((ind == 0).sum()), int((outd == 0).sum())
    if e == 0 or int(outd.sum()) != e or e > (n_out - dead_out) * (n_in - dead_in):
        return None
    b_out, b_in = n_out, n_in
    for _ in range(3):
        p = min(e / (b_out * b_in), 1.0)
        b_out = n_out - max(0, int(round(dead_out - n_out * (1 - p) ** b_in)))
        b_in = n_in - max(0, int(round(dead_in - n_in * (1 - p) ** b_out)))
    if ind.max() > b_in or outd.max() > b_out:
        return None
    return e, b_out, b_in, e / (b_out * b_in)


def layer_law(obs) -> dict[str, tuple[int, float]] | None:
    """The random-pruning law of a layer's units: {"in": (N_in, p), "out": (N_out, p)} from
    :func:`effective_block` (module docstring); None where no binomial law holds."""
    blk = effective_block(obs)
    if blk is None:
        return None
    _, b_out, b_in, p = blk
    return {"in": (b_in, p), "out": (b_out, p)}


def network_laws(layers, laws, spaces, degree_kind: str):
    """Per group of network units, the layers' binomial components of their degree (module
    docstring): a unit's in-degree sums one Binomial per layer writing it, its out-degree one per
    layer reading it, total both. None when some layer has no binomial law or degree_kind is a strength."""
    if degree_kind not in ("in", "out", "total") or any(law is None for law in laws):
        return None
    base, n = {}, 0
    for name, size in spaces.items():
        base[name] = n
        n += int(size)
    comps: list[list] = [[] for _ in range(n)]
    for lg, law in zip(layers, laws):
        if degree_kind in ("in", "total"):
            start = base[lg.out_space] + lg.out_offset
            for i in range(start, start + lg.out_units):
                comps[i].append(law["in"])
        if degree_kind in ("out", "total"):
            start = base[lg.in_space] + lg.in_offset
            for i in range(start, start + lg.in_units):
                comps[i].append(law["out"])
    by_key: dict[tuple, list[int]] = {}
    for i, c in enumerate(comps):
        if c:
            by_key.setdefault(tuple(sorted(c)), []).append(i)
    return [(np.asarray(idx), key) for key, idx in by_key.items()]


def alive_null_degrees(obs, edges, *, rng):
    """Degrees of the null: the layer's edges (weights shuffled with them) placed uniformly in
    its :func:`effective_block` — its alive units plus as many of its dead units as random
    pruning would leave dead by chance — by :func:`prunegraph.nulls.random_layer_degrees` on
    that block, scattered back to the layer's units (structurally dead units stay 0).
    Returns (LayerDegrees, (out units in the block, in units in the block))."""
    from .degrees import LayerDegrees
    from .nulls import random_layer_degrees

    gen = np.random.default_rng(rng)
    blk = effective_block(obs)
    if blk is None:
        return random_layer_degrees(edges, rng=gen), (np.ones(obs.out_units, bool), np.ones(obs.in_units, bool))
    _, b_out, b_in, _ = blk

    def block(deg, size):
        alive = np.flatnonzero(deg > 0)
        dead = np.flatnonzero(deg == 0)
        extra = gen.choice(dead, size=size - alive.size, replace=False) if size > alive.size else dead[:0]
        return np.sort(np.concatenate([alive, extra]))

    rows = block(np.asarray(obs.in_degree), b_out)
    cols = block(np.asarray(obs.out_degree), b_in)
    sub = dataclasses.replace(edges, out_units=int(rows.size), in_units=int(cols.size))
    d = random_layer_degrees(sub, rng=gen)

    def scatter(idx, v, size, dtype):
        if v is None:  # a counted layer's null has degrees only
            return None
        out = np.zeros(size, dtype=dtype)
        out[idx] = v
        return out

    null = LayerDegrees(
        name=obs.name, layer_type=obs.layer_type, in_space=obs.in_space, out_space=obs.out_space,
        in_offset=obs.in_offset, out_offset=obs.out_offset, in_units=obs.in_units,
        out_units=obs.out_units, n_edges=d.n_edges,
        in_degree=scatter(rows, d.in_degree, obs.out_units, np.int64),
        out_degree=scatter(cols, d.out_degree, obs.in_units, np.int64),
        in_strength=scatter(rows, d.in_strength, obs.out_units, float),
        out_strength=scatter(cols, d.out_strength, obs.in_units, float))
    return null, (scatter(rows, True, obs.out_units, bool), scatter(cols, True, obs.in_units, bool))


def network_block(layers, blocks, spaces, degree_kind: str) -> np.ndarray:
    """Network units inside some layer's random-pruning block for this degree kind (in: the out units
    a layer writes, out: the in units it reads, total/strength: either)."""
    base, n = {}, 0
    for name, size in spaces.items():
        base[name] = n
        n += int(size)
    mask = np.zeros(n, dtype=bool)
    for lg, (rows, cols) in zip(layers, blocks):
        if degree_kind in ("in", "total", "strength", "in_strength"):
            start = base[lg.out_space] + lg.out_offset
            mask[start:start + lg.out_units] |= rows
        if degree_kind in ("out", "total", "strength", "out_strength"):
            start = base[lg.in_space] + lg.in_offset
            mask[start:start + lg.in_units] |= cols
    return mask


def _group_logpmf(comps) -> np.ndarray:
    """ln P(X = k | X ≥ 1), k = 0 … Σ N, for X a sum of independent Binomial(N, p) (k = 0: −inf)."""
    from scipy import stats

    if len(comps) == 1:
        (n, p), = comps
        lp = stats.binom.logpmf(np.arange(n + 1), n, p)
    else:
        pmf = np.ones(1)
        for n, p in comps:
            pmf = np.convolve(pmf, stats.binom.pmf(np.arange(n + 1), n, p))
        with np.errstate(divide="ignore"):
            lp = np.log(np.maximum(pmf, 0.0))
    l0 = lp[0]
    lp = lp - (np.log(-np.expm1(l0)) if l0 > -700 else 0.0)
    lp[0] = -np.inf
    return lp


def _chi2_pooled(counts: np.ndarray, expected: np.ndarray, n_params: int) -> float:
    """χ² p-value with bins pooled left to right until each expects ≥ 5 (remainder into the last
    bin), ``bins − 1 − n_params`` degrees of freedom; NaN when fewer than one remains."""
    from scipy import stats

    obs_b, exp_b, acc_o, acc_e = [], [], 0.0, 0.0
    for o, e in zip(counts, expected):
        acc_o += o
        acc_e += e
        if acc_e >= 5:
            obs_b.append(acc_o)
            exp_b.append(acc_e)
            acc_o = acc_e = 0.0
    if not obs_b:
        return float("nan")
    obs_b[-1] += acc_o
    exp_b[-1] += acc_e
    dof = len(obs_b) - 1 - n_params
    if dof < 1:
        return float("nan")
    o, e = np.asarray(obs_b), np.asarray(exp_b)
    return float(stats.chi2.sf(float(np.sum((o - e) ** 2 / e)), dof))


def random_pruning_test(values: np.ndarray, groups, *, fit=None) -> RandomPruningTest | None:
    """Test a degree sequence against the random-pruning law of its alive units.

    Parameters
    ----------
    values : array of int
        Degrees of all units (dead ones, 0, are left out: the law is conditioned on ≥ 1).
    groups : list of (unit indices, components)
        Units sharing one law; components are (N, p) pairs whose Binomials sum to a unit's
        degree (one pair per layer; :func:`layer_law`, :func:`network_laws`).
    fit : PowerLawFit, optional
        When given, Vuong's test of this power law against the law on its fitted tail.

    Returns
    -------
    RandomPruningTest, or None when a degree exceeds what the law allows.

    Notes
    -----
    χ²: expected counts Σ_g n_g P_g(k), bins pooled left to right to ≥ 5 expected, one degree
    of freedom less per distinct p (layer). Largest degree: per group P(max ≥ M) =
    1 − (1 − P_g(X ≥ M))^{n_g}, Šidák-combined over G groups, 1 − (1 − min)^G. Combined p:
    min(1, 2 min(χ² p, max p)) (Bonferroni). Tail LR: R = Σ_tail [ln p_pl(x) − ln P_g(x | tail)],
    p = erfc(|R| / (σ √(2n))) (Vuong 1989).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.binomial(300, 0.1, 2000)
    >>> random_pruning_test(x, [(np.arange(2000), ((300, x.mean() / 300),))]).p_value > 0.1
    True
    >>> x[0] = 120  # one hub
    >>> random_pruning_test(x, [(np.arange(2000), ((300, x.mean() / 300),))]).max_p < 1e-9
    True
    """
    from scipy import special

    values = np.asarray(values).astype(np.int64)
    laws = []
    for idx, comps in groups:
        v = values[np.asarray(idx)]
        v = v[v > 0]
        if v.size == 0:
            continue
        lp = _group_logpmf(comps)
        if v.max() >= lp.size:
            return None
        laws.append((v, lp))
    if not laws:
        return None
    top = max(lp.size for _, lp in laws)
    expected = np.zeros(top)
    counts = np.zeros(top)
    pmax = []
    for v, lp in laws:
        pmf = np.exp(lp)
        expected[:pmf.size] += v.size * pmf
        counts += np.bincount(v, minlength=top)[:top]
        sf = float(pmf[int(v.max()):].sum())
        pmax.append(1.0 if sf >= 1 else float(-np.expm1(v.size * np.log1p(-sf))))
    n_params = len({c[1] for _, comps in groups for c in comps})
    gof = _chi2_pooled(counts, expected, n_params)
    g = len(pmax)
    mp = min(pmax)
    max_p = float(-np.expm1(g * np.log1p(-mp))) if mp < 1 else 1.0
    ps = [p for p in (gof, max_p) if not math.isnan(p)]
    p_value = min(1.0, 2 * min(ps)) if ps else float("nan")
    tail_R = tail_p = float("nan")
    if fit is not None:
        from .fit import power_law_logp

        hi = math.inf if fit.xmax is None else fit.xmax
        lo = fit.xmin
        d_all = []
        for v, lp in laws:
            t = v[(v >= lo) & (v <= hi)]
            if t.size == 0:
                continue
            k = np.arange(lp.size)
            inr = (k >= lo) & (k <= hi)
            lz = float(special.logsumexp(lp[inr])) if inr.any() else -np.inf
            ln_null = np.maximum(lp[t] - lz, -1e4)  # a far hub: decisive, kept finite for Vuong
            d_all.append(power_law_logp(t.astype(float), fit) - ln_null)
        if d_all:
            d = np.concatenate(d_all)
            n = d.size
            tail_R = float(d.sum())
            sd = float(d.std())
            tail_p = (float(special.erfc(abs(tail_R) / (sd * math.sqrt(2 * n)))) if sd > 0
                      else (1.0 if tail_R == 0 else 0.0))
    return RandomPruningTest(gof_p=float(gof), max_p=max_p, p_value=float(p_value), tail_R=tail_R,
                             tail_p=tail_p, n_groups=g)


def binomial_gof(values: np.ndarray, n: int) -> float:
    """χ² goodness of fit of ``Binomial(n, p̂)`` to a whole degree sequence (zeros included).

    p̂ = mean / n (the MLE). Bins are pooled left to right until each expects ≥ 5 units; the
    test has ``bins − 2`` degrees of freedom (one parameter estimated). Returns the p-value,
    or NaN when fewer than 3 pooled bins remain. Pooling puts hubs into the top bin, so this
    test alone is no evidence of random pruning: :func:`random_pruning_test` adds the
    largest-degree test.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> binomial_gof(rng.binomial(300, 0.1, 2000), 300) > 0.01
    True
    >>> binomial_gof(np.minimum(rng.zipf(2.2, 2000), 300), 300) < 1e-6
    True
    """
    from scipy import stats

    values = np.asarray(values).astype(np.int64)
    p_hat = float(values.mean()) / n
    if not 0 < p_hat < 1:
        return float("nan")
    counts = np.bincount(values, minlength=n + 1)[: n + 1].astype(float)
    expected = stats.binom.pmf(np.arange(n + 1), n, p_hat) * values.size
    return _chi2_pooled(counts, expected, 1)


def _upper_excess(labels: np.ndarray, starts: np.ndarray, s_pool: np.ndarray, n_x: int, n_y: int) -> np.ndarray:
    """T for each row of ``labels`` (True = observed) over the pooled sample sorted descending:
    max over thresholds of (S_x − S_y)/√(S(1 − S)); ``starts`` index each threshold's block end.

    The observed counts per block (``np.add.reduceat`` over the blocks of tied values) are
    summed over blocks, not over every position: the same integers as a cumulative sum along
    the row read at the block ends, at O(row) additions into O(blocks) outputs."""
    blocks = np.r_[0, starts[:-1]]
    rows = labels[..., :starts[-1]].view(np.uint8)
    cx = np.cumsum(np.add.reduceat(rows, blocks, axis=-1, dtype=np.int64), axis=-1)
    cy = starts - cx
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (cx / n_x - cy / n_y) / np.sqrt(s_pool * (1 - s_pool))
    z = np.where(np.isfinite(z), z, -np.inf)
    return z.max(axis=-1)


def tail_threshold(values: np.ndarray, quantile: float = TAIL_QUANTILE) -> float:
    """The pooled tail threshold u of the heavier-tail test: the q-quantile of ``values`` by the
    inverted empirical CDF (the smallest value v with F(v) ≥ q), q = ``quantile`` lowered for
    small samples so that the tail can hold :data:`MIN_TAIL_VALUES` values, never below
    :data:`TAIL_QUANTILE_FLOOR`: q = min(quantile, max(floor, 1 − 10 / n)). The tail is the
    values strictly above u, at most a share 1 − q of them however many are tied at u.

    Examples
    --------
    >>> tail_threshold(np.arange(1, 101))   # 90 % of the values are ≤ 90
    90.0
    >>> tail_threshold(np.arange(1, 41))    # 40 values: q = 0.75, 10 values above u
    30.0
    >>> tail_threshold(np.r_[np.full(95, 4), 5, 6, 7, 8, 9])   # a point mass at u is not tail
    4.0
    """
    values = np.asarray(values, dtype=float)
    q = min(quantile, max(TAIL_QUANTILE_FLOOR, 1 - MIN_TAIL_VALUES / max(1, values.size)))
    return float(np.quantile(values, q, method="inverted_cdf"))


def compare_tails(observed: np.ndarray, null: np.ndarray, *, n_permutations: int = N_PERMUTATIONS,
                  rng: np.random.Generator | int | None = 0,
                  tail_quantile: float = TAIL_QUANTILE) -> TailComparison | None:
    """Test whether ``observed`` has a heavier upper tail than ``null`` (module docstring).

    Both are degree samples on the same units with the same total (the analysis passes the
    observed alive units and the null's degrees of those units, zeros included). The p-value
    is a one-sided permutation test of the standardised excess T of the observed tail (pooled
    values above the pooled ``tail_quantile``, :func:`tail_threshold`). Returns None when
    either sample has fewer than 3 values.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> heavy = rng.zipf(2.2, 2000).clip(max=500)
    >>> binom = rng.binomial(500, heavy.mean() / 500, 2000)
    >>> compare_tails(heavy, binom).heavier_p < 0.01
    True

    Mass packed at the centre is not a heavier tail (a near-regular layer, same mean):

    >>> flat = np.full(2000, int(binom.mean())) + (rng.random(2000) < binom.mean() % 1)
    >>> compare_tails(flat, binom).heavier_p > 0.5
    True
    """
    from scipy import stats

    if not 0 < tail_quantile < 1:
        raise UsageError(f"tail_quantile={tail_quantile!r}: must lie in (0, 1)")
    observed = np.asarray(observed, dtype=float)
    null = np.asarray(null, dtype=float)
    if observed.size < 3 or null.size < 3:
        return None
    v_obs, v_null = observed.var(ddof=1), null.var(ddof=1)
    ratio = v_obs / v_null if v_null > 0 else (math.inf if v_obs > 0 else 1.0)
    pooled = np.concatenate([observed, null])
    q = np.quantile(pooled, 0.95)
    share_o, share_n = float((observed > q).mean()), float((null > q).mean())
    share_ratio = share_o / share_n if share_n > 0 else (math.inf if share_o > 0 else 1.0)
    ks = stats.ks_2samp(observed, null)
    max_ratio = observed.max() / null.max() if null.max() > 0 else math.inf
    # the permutation test on the pooled sample sorted descending: thresholds are the distinct
    # values strictly above the pooled tail quantile u (so a point mass at u is not tail);
    # S(t) = share of values ≥ t, at most 1 − the quantile used
    n_x, n_y = observed.size, null.size
    order = np.argsort(-pooled, kind="stable")
    sv = pooled[order]
    labels = order < n_x
    ends = np.flatnonzero(np.r_[sv[1:] != sv[:-1], True]) + 1  # block ends, descending values
    ends = ends[sv[ends - 1] > tail_threshold(pooled, tail_quantile)]
    if ends.size == 0:
        stat, p = -math.inf, 1.0
    else:
        s_pool = ends / pooled.size
        stat = float(_upper_excess(labels, ends, s_pool, n_x, n_y))
        gen = np.random.default_rng(rng)
        hits, done = 0, 0
        top = int(ends[-1])
        chunk = max(1, min(n_permutations, 4_000_000 // pooled.size))
        while done < n_permutations:
            k = min(chunk, n_permutations - done)
            # row r is ``gen.permuted`` of the labels (the same Fisher–Yates draws, row after
            # row): shuffling the integer positions and reading the labels there is ~2× faster
            # than shuffling the booleans, and only the first ``top`` positions are read
            perm = np.empty((k, top), dtype=bool)
            for r in range(k):
                perm[r] = labels[gen.permutation(labels.size)[:top]]
            hits += int((_upper_excess(perm, ends, s_pool, n_x, n_y) >= stat - 1e-12).sum())
            done += k
        p = (1 + hits) / (1 + n_permutations)
    return TailComparison(float(ratio), float(p), float(share_ratio), float(ks.statistic),
                          float(ks.pvalue), float(max_ratio), statistic=float(stat))


def benjamini_hochberg(p: Sequence[float]) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values); NaN stays NaN.

    Examples
    --------
    >>> benjamini_hochberg([0.01, 0.04, 0.03, 0.5]).round(3).tolist()
    [0.04, 0.053, 0.053, 0.5]
    """
    pv = np.asarray(p, dtype=float)
    out = np.full(pv.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(pv))
    if ok.size == 0:
        return out
    o = ok[np.argsort(pv[ok], kind="stable")]
    m = o.size
    q = pv[o] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(q[::-1])[::-1]
    out[o] = np.minimum(q, 1.0)
    return out


#: verdicts of sequences with no distribution to compare: no heavier-than-null q (module docstring)
NO_TAIL_TEST = frozenset({Verdict.REGULAR, Verdict.DEGENERATE, Verdict.NOT_FITTED})


def tail_tested(r: SequenceAnalysis) -> bool:
    """Whether ``r``'s heavier-than-null test counts (gets a q, is in the Benjamini–Hochberg family):
    it ran, the observed sequence has a distribution (not regular by construction, degenerate or
    failed to fit) and some pooled degree lies above the tail threshold (a finite statistic; a
    dense layer's null equals the layer and its p is 1 by construction)."""
    return (r.tail is not None and r.observed.verdict not in NO_TAIL_TEST
            and math.isfinite(r.tail.statistic))


def _adjust_heavier(results: list[SequenceAnalysis]) -> list[SequenceAnalysis]:
    """Benjamini–Hochberg across the tested sequences of one model (layers, kinds, network;
    :func:`tail_tested`); the others keep ``heavier_q`` NaN."""
    tails = [(i, r.tail) for i, r in enumerate(results) if r.tail is not None and tail_tested(r)]
    if not tails:
        return results
    q = benjamini_hochberg([tail.heavier_p for _, tail in tails])
    out = list(results)
    for (i, tail), qi in zip(tails, q):
        out[i] = dataclasses.replace(out[i], tail=dataclasses.replace(tail, heavier_q=float(qi)))
    return out


def _stream_seed(seed: int, name: str, degree_kind: str) -> int:
    """A seed for one (layer, degree kind): stable across runs, platforms and selections."""
    return int(np.random.SeedSequence([int(seed), zlib.crc32(f"{name}\0{degree_kind}".encode())])
               .generate_state(1, dtype=np.uint32)[0])


def _sigma(fit) -> float | None:
    """A fit's standard error of α for a row: None where nothing was fitted or the fit has none
    (NaN: α stopped at the search bound, :class:`~prunegraph.fit.PowerLawFit`)."""
    if fit is None or math.isnan(fit.sigma):
        return None
    return float(fit.sigma)


def _num(v):
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    v = float(v)
    return v if math.isfinite(v) else None if math.isnan(v) else ("inf" if v > 0 else "-inf")


def _clean(obj):
    """Make a to_dict() result JSON-safe: numpy scalars to Python, NaN to None, inf to strings."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_clean(v) for v in obj.tolist()]
    if isinstance(obj, (float, int, np.floating, np.integer, np.bool_)) and not isinstance(obj, bool):
        return _num(obj)
    return obj


def _fmt(v) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() else f"{v:.4g}"


# --------------------------------------------------------------------------- many checkpoints
def analyze_checkpoint(path: str, options: dict[str, Any]):
    """Load one checkpoint and analyse it; returns (ModelAnalysis, seconds by stage)."""
    from .loading import stream_layers

    t0 = time.perf_counter()
    task = options.pop("task", None)
    how = {k: options.pop(k, None) for k in ("model", "arch", "input_shape")}
    net: NetworkGraph | StreamPlan
    if str(path).startswith("connectome:"):  # a nervous system (prunegraph.connectome): small, loaded whole
        from .connectome import load_source

        net = load_source(str(path))
    else:  # layers are built one at a time while analysing: memory near the largest layer
        net = stream_layers(path, task=task, **how)
    t1 = time.perf_counter()
    result = analyze(net, **options)
    t2 = time.perf_counter()
    return result, {"load": t1 - t0, "fit": t2 - t1}


def analyze_many(sources: Sequence[str], options: Mapping[str, Any], *, jobs: int = 1,
                 progress: bool = False) -> tuple[list[ModelAnalysis], list[dict[str, Any]]]:
    """:func:`analyze_checkpoint` for every source: in ``jobs`` processes when there are several
    sources, else in this process with ``n_jobs=jobs`` for the bootstrap (same result either way).

    Returns the analyses in the order of ``sources`` and per source the seconds by stage
    (``load``, ``fit``) with its ``source``.

    Examples
    --------
    >>> import tempfile, pathlib, torch
    >>> from safetensors.torch import save_file
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.safetensors"
    >>> g = torch.Generator().manual_seed(0)
    >>> save_file({"fc.weight": (torch.rand(30, 40, generator=g) < 0.3).float()}, str(p))
    >>> res, t = analyze_many([str(p)], {"degree_kinds": ["in"], "bootstrap": 0, "null": False})
    >>> res[0].source == str(p), sorted(t[0])
    (True, ['fit', 'load', 'source'])
    """
    if jobs == 1 or len(sources) == 1:
        # one checkpoint: the processes go to the bootstrap instead (same result for any n_jobs)
        out = []
        for s in sources:
            res, t = analyze_checkpoint(s, dict(options, progress=progress, n_jobs=jobs))
            out.append((res, t))
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        ctx = mp.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(jobs, len(sources)), mp_context=ctx) as pool:
            out = list(pool.map(analyze_checkpoint, sources, [dict(options) for _ in sources]))
    return [r for r, _ in out], [dict(t, source=s) for (_, t), s in zip(out, sources)]


# 0.1 names, kept for one release with a DeprecationWarning
SequenceAnalysis.layer_kind = renamed_attribute("layer_type", "layer_kind")  # type: ignore[attr-defined]
__getattr__ = module_aliases(__name__, {
    "KindAnalysis": ("SequenceAnalysis", SequenceAnalysis),
    "KIND_MAP": ("DEGREE_KINDS", DEGREE_KINDS),
    "LAYER_KINDS": ("DEGREE_KINDS", ("in", "out", "in_strength", "out_strength")),
    "NETWORK_KINDS": ("DEGREE_KINDS", tuple(DEGREE_KINDS)),
})
