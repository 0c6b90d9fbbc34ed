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

The result is plain data (:class:`ModelAnalysis`, :class:`KindAnalysis`); the CLI, the report
and the notebooks only format it.

Verdict rules (in words, in this order)
--------------------------------------
* fewer than :data:`MIN_UNITS` alive units → ``"too few units: ..."``; all degrees equal →
  ``"degenerate: ..."`` (a fully dense or regular layer has no distribution to fit; we say so
  rather than fit);
* the whole degree distribution (dead units included) passes a χ² goodness-of-fit test of
  ``Binomial(fan-in, mean/fan-in)`` at p > 0.1 → ``"no heavy tail: binomial like random
  pruning"``. Random pruning predicts the *entire* distribution, so this test uses all units,
  not just a tail (see :func:`binomial_gof`);
* fewer than :data:`MIN_TAIL` units above xmin → ``"inconclusive: tail of only N units"``: on light-tailed data the xmin search retreats into the last few points, where a
  steep power law (α ≈ 10) cannot be rejected; that is not evidence of a heavy tail;
* an alternative significantly better than the power law (R < 0 and LR p < 0.1/m, where m is
  the number of alternatives tested on that sequence: a Bonferroni correction, since six tests
  at 0.1 would otherwise declare a chance winner in about half of all true power laws) → its name
  ``"<alt> preferred"``, or ``"no heavy tail: binomial like random pruning"`` when it is the
  binomial or Poisson;
* GoF p ≤ 0.1 (bootstrap run) → ``"power law rejected (GoF p=…)"``;
* otherwise ``"power law plausible"`` (``"... (no GoF test)"`` when no bootstrap was run),
  qualified ``"... over ×S only"`` when the tail spans less than one decade (S = largest
  degree / xmin < :data:`MIN_SPAN`). Degrees are bounded by layer width, so a tail far above
  the mean rarely spans a decade; a power law over a factor of 2 is hard to tell from any
  steeply falling curve (Stumpf & Porter, Science 335, 2012, ask for two decades).

Heavier tail than the null
--------------------------
Both sequences have the same number of edges, hence the same mean degree; a heavier tail
puts more units far above it. Let q be the 95th percentile of the pooled sample (observed
and null together). The test counts units with degree > q in each sample and compares the
two shares by a one-sided Fisher exact test (observed share greater). Because q depends on
the pooled multiset only, this is an exact permutation test under "same distribution".
Reported with it: the share ratio, the variance ratio ``var(observed)/var(null)``, and the
two-sample Kolmogorov–Smirnov statistic and p-value (:func:`scipy.stats.ks_2samp`) for "the
distributions differ".
"""

from __future__ import annotations

import dataclasses
import fnmatch
import logging
import math
import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from .errors import InputError, UsageError
from .fit import ALTERNATIVES

log = logging.getLogger(__name__)

#: JSON schema version of :meth:`ModelAnalysis.to_dict` (bump on any breaking change)
SCHEMA_VERSION = "1.0"
#: fewest alive units a degree sequence needs before it is fitted
MIN_UNITS = 20
#: fewest units above xmin for a "power law plausible" verdict (Clauset et al. 2009, §4.2:
#: below ~50 tail points a power law cannot be told from its alternatives)
MIN_TAIL = 50
#: tail span (largest degree / xmin) below which a plausible power law is flagged as narrow
MIN_SPAN = 10.0
#: significance level of the LR tests and the GoF test (Clauset et al. 2009 use 0.1)
LEVEL = 0.1

LAYER_KINDS = ("in", "out", "in_strength", "out_strength")
NETWORK_KINDS = ("in", "out", "total", "strength")
#: user-facing kind names -> (layer kind, network kind)
KIND_MAP = {
    "in": ("in", "in"),
    "out": ("out", "out"),
    "total": (None, "total"),
    "strength": ("in_strength", "strength"),
}
NULL_LIKE = {"binomial", "poisson"}


@dataclass(frozen=True)
class TailComparison:
    """Observed vs null degree sequence: is the observed tail heavier?"""

    variance_ratio: float
    heavier_p: float          # one-sided Fisher exact p: more observed units above pooled q95
    tail_share_ratio: float   # share of observed units above q95 / share of null units above it
    ks_statistic: float
    ks_p: float
    max_ratio: float          # max observed degree / max null degree

    def to_dict(self) -> dict[str, Any]:
        return {k: _num(v) for k, v in dataclasses.asdict(self).items()}


@dataclass(frozen=True)
class SideAnalysis:
    """The fit of one degree sequence (observed or null)."""

    n_units: int
    n_dead: int
    fit: Any | None                   # PowerLawFit or None when degenerate
    comparisons: tuple = ()           # LikelihoodRatio, ...
    verdict: str = ""
    best_alternative: str | None = None
    best_alternative_p: float | None = None
    binomial_p: float | None = None   # χ² GoF of Binomial(fan-in, p̂) on all units
    tail_span: float | None = None    # largest degree / xmin
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_units": self.n_units,
            "n_dead": self.n_dead,
            "fit": None if self.fit is None else _clean(self.fit.to_dict()),
            "comparisons": [_clean(c.to_dict()) for c in self.comparisons],
            "verdict": self.verdict,
            "best_alternative": self.best_alternative,
            "best_alternative_p": _num(self.best_alternative_p),
            "binomial_p": _num(self.binomial_p),
            "tail_span": _num(self.tail_span),
            "error": self.error,
        }


@dataclass(frozen=True)
class KindAnalysis:
    """One layer (or the whole network) and one degree kind: observed, null, comparison."""

    layer: str                # layer name, or "network"
    layer_kind: str           # "linear", "conv", ..., or "network"
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

    @property
    def guessed(self) -> bool:
        return self.wiring in ("names", "shapes")

    def to_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "layer_kind": self.layer_kind,
            "wiring": self.wiring,
            "guessed": self.guessed,
            "degree_kind": self.degree_kind,
            "nodes": self.nodes,
            "edges": self.edges,
            "density": _num(self.density),
            "observed": self.observed.to_dict(),
            "null": None if self.null is None else self.null.to_dict(),
            "heavier_than_null": None if self.tail is None else self.tail.to_dict(),
        }

    def row(self) -> dict[str, Any]:
        """A flat row for tables and CSV (the README documents each column)."""
        f, nf = self.observed.fit, (self.null.fit if self.null else None)
        return {
            "layer": self.layer,
            "kind": self.degree_kind,
            "wiring": self.wiring + ("?" if self.guessed else ""),
            "nodes": self.nodes,
            "edges": self.edges,
            "density": self.density,
            "dead": self.observed.n_dead,
            "alpha": None if f is None else f.alpha,
            "sigma": None if f is None else f.sigma,
            "xmin": None if f is None else f.xmin,
            "xmax": None if f is None else f.xmax,
            "n_tail": None if f is None else f.n_tail,
            "ks_d": None if f is None else f.ks_distance,
            "gof_p": None if f is None else f.p_value,
            "best_alt": self.observed.best_alternative,
            "best_alt_p": self.observed.best_alternative_p,
            "binom_p": self.observed.binomial_p,
            "span": self.observed.tail_span,
            "verdict": self.observed.verdict,
            "null_alpha": None if nf is None else nf.alpha,
            "null_sigma": None if nf is None else nf.sigma,
            "null_verdict": None if self.null is None else self.null.verdict,
            "heavier_p": None if self.tail is None else self.tail.heavier_p,
            "var_ratio": None if self.tail is None else self.tail.variance_ratio,
        }


@dataclass(frozen=True)
class ModelAnalysis:
    """Every analysed layer and kind of one model."""

    source: str
    results: tuple[KindAnalysis, ...]
    settings: dict[str, Any]
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line: how many sequences were fitted and how their verdicts split."""
        counts: dict[str, int] = {}
        for r in self.results:
            key = verdict_class(r.observed.verdict)
            counts[key] = counts.get(key, 0) + 1
        heavier = sum(1 for r in self.results if r.tail and r.tail.heavier_p < LEVEL)
        parts = ", ".join(f"{n} {v}" for v, n in sorted(counts.items(), key=lambda kv: -kv[1]))
        return (f"{self.source}: {len(self.results)} degree sequences; {parts}; "
                f"{heavier} with a heavier tail than the random-pruning null (p < {LEVEL})")

    def rows(self) -> list[dict[str, Any]]:
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
        bootstrap), ``n_bootstrap, log_likelihood, tail_span, best_alternative,
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
        >>> df = analyze(prunegraph.load(m), kinds=["in"], alternatives=["exponential"]).to_frame()
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
                 "log_likelihood", "tail_span", "best_alternative", "best_alternative_p", "binomial_p",
                 "verdict", "verdict_code"]
        lr = sorted({k for row in rows for k in row if k[:2] in ("R_", "p_")},
                    key=lambda k: (k[2:], k[0]))
        df = pd.DataFrame(rows, columns=front + lr + ["heavier_p", "heavier_q", "variance_ratio", "error"])
        return df.astype({"n_tail": "Int64", "n_bootstrap": "Int64"})  # integers with missing values


def analyze(net, *, kinds: Sequence[str] = ("in", "out"), scope: str = "layer",
            layers: str | Sequence[str] = "*", bootstrap: int = 0,
            alternatives: Sequence[str] = ALTERNATIVES, truncated: bool = False,
            null: bool = True, rng: np.random.Generator | int | None = 0, n_jobs: int = 1,
            progress: bool = False) -> ModelAnalysis:
    """Fit every selected degree sequence of ``net`` and read it against its null.

    Parameters
    ----------
    net : NetworkGraph or StreamPlan
        From :func:`prunegraph.load`, or :func:`prunegraph.loading.stream_layers` to analyse a
        large checkpoint one layer at a time (only degree arrays are kept between layers, so
        peak memory stays near that of the largest layer).
    kinds : sequence of {"in", "out", "total", "strength"}
        Degree kinds. ``total`` exists only for the whole network; per layer ``strength``
        is the in-strength (sum of |w| into a unit).
    scope : {"layer", "network", "both"}
        Fit each layer's bipartite degrees, the whole network's unit degrees, or both.
    layers : str or sequence of str
        Glob pattern(s) on layer names (``"fc*"``); the whole network ignores it.
    bootstrap : int
        Semi-parametric bootstrap resamples for the GoF p-value (0 = none).
    alternatives : sequence of str
        Alternatives for the likelihood-ratio tests.
    truncated : bool
        Fit the doubly truncated power law (xmax = largest degree) instead of the plain one.
    null : bool
        Also analyse the random-pruning null of each layer at identical density: one random
        graph per layer (:func:`prunegraph.nulls.random_layer_degrees`), used for every degree
        kind and, joined, as the whole network's null.
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
    >>> res = analyze(net, kinds=["in"], alternatives=["exponential"])
    >>> [r.layer for r in res.results]
    ['0', '2']
    """
    from . import fit as fitmod
    from ._rng import as_seed

    rng = as_seed(rng)  # an int stays itself; a Generator or None draws one seed
    unknown = [k for k in kinds if k not in KIND_MAP]
    if unknown:
        raise UsageError(f"unknown degree kind {unknown[0]!r}; choose from {', '.join(KIND_MAP)}")
    if scope not in ("layer", "network", "both"):
        raise UsageError(f"unknown scope {scope!r}; choose layer, network or both")
    if bootstrap < 0:
        raise UsageError(f"bootstrap must be >= 0, got {bootstrap}")
    patterns = [layers] if isinstance(layers, str) else list(layers)
    builders = _layer_builders(net)
    selected = {name for name, _ in builders if any(fnmatch.fnmatchcase(name, p) for p in patterns)}
    per_layer = scope in ("layer", "both")
    whole = scope in ("network", "both")
    if per_layer and not selected:
        names = ", ".join(name for name, _ in builders)
        raise UsageError(f"no layer matches {patterns}; layers are: {names}")

    from ._progress import progress as _progress
    from .degrees import LayerDegrees, network_sequence
    from .nulls import edge_multiset, random_layer_degrees

    results: list[KindAnalysis] = []
    built = edges_seen = 0
    kept_obs: list[LayerDegrees] = []
    kept_null: list[LayerDegrees] = []
    for name, build in _progress(builders, desc=f"fit {net.source}", enabled=progress):
        fit_layer = per_layer and name in selected
        if not (fit_layer or whole):
            continue  # a streamed layer that nobody asked for is never built
        lg = build()
        obs = LayerDegrees.from_layer(lg)
        # connectome layers (SparseLayer) have neither: their wiring is the measured one
        wiring = getattr(lg, "wiring", "traced")
        regular = lg.regular_structure() if hasattr(lg, "regular_structure") else None
        built += 1
        edges_seen += obs.n_edges
        edges_only = edge_multiset(lg) if null else None
        del lg  # from here on only degree arrays and edge weights: memory stays near one layer
        # one null graph per layer (seeded by its name), shared by every kind and the network
        null_d = (random_layer_degrees(edges_only, rng=_stream_seed(rng, name, "null"))
                  if null else None)
        del edges_only
        if fit_layer:
            for k in kinds:
                internal = KIND_MAP[k][0]
                if internal is None:
                    continue
                binom_n = obs.in_units if internal == "in" else obs.out_units if internal == "out" else None
                results.append(_analyze_sequence(
                    fitmod, name=name, layer_kind=obs.kind, kind=k, internal=internal,
                    deg=obs.degrees(internal), null_deg=None if null_d is None else null_d.degrees(internal),
                    nodes=_layer_nodes(obs), edges=obs.n_edges, density=obs.density,
                    binom_n=binom_n, bootstrap=bootstrap, alternatives=alternatives, truncated=truncated,
                    rng=rng, n_jobs=n_jobs, regular=regular, wiring=wiring))
        if whole:
            kept_obs.append(obs)
            if null_d is not None:
                kept_null.append(null_d)
    if built == len(builders) and edges_seen == 0:  # what load() refuses too, found here when streaming
        raise InputError(f"{net.source}: empty model: no nonzero weight in any of its {built} "
                         "layer(s); check that the checkpoint holds the trained, pruned weights")
    if whole:  # every layer was built, so edges_seen counts the whole network
        possible = sum(d.in_units * d.out_units for d in kept_obs)
        for k in kinds:
            internal = KIND_MAP[k][1]
            deg = network_sequence(kept_obs, net.spaces, internal)
            null_deg = network_sequence(kept_null, net.spaces, internal) if null else None
            results.append(_analyze_sequence(
                fitmod, name="network", layer_kind="network", kind=k, internal=internal, deg=deg,
                null_deg=null_deg, nodes=int(len(deg.values)), edges=int(edges_seen),
                density=edges_seen / possible if possible else float("nan"), binom_n=None,
                bootstrap=bootstrap, alternatives=alternatives, truncated=truncated, rng=rng,
                n_jobs=n_jobs))
    settings = {"kinds": list(kinds), "scope": scope, "layers": patterns, "bootstrap": bootstrap,
                "alternatives": list(alternatives), "truncated": truncated, "null": null,
                "seed": rng, "level": LEVEL, "min_units": MIN_UNITS, "schema_version": SCHEMA_VERSION}
    return ModelAnalysis(source=str(net.source), results=tuple(results), settings=settings,
                         notes=tuple(net.notes))


def _layer_nodes(d) -> int:
    """Units a layer touches: in + out, or one node set for a layer from a space onto itself."""
    same = d.in_space == d.out_space and d.in_offset == d.out_offset and d.in_units == d.out_units
    return int(d.in_units if same else d.in_units + d.out_units)


def _layer_builders(net) -> list[tuple[str, Any]]:
    """(name, build) per layer of a NetworkGraph (built already) or a StreamPlan (built lazily)."""
    if hasattr(net, "layers"):
        return [(lg.name, (lambda lg=lg: lg)) for lg in net.layers]
    return [(spec.name, spec.build) for spec in net.specs]


def _analyze_sequence(fitmod, *, name, layer_kind, kind, internal, deg, null_deg, nodes, edges,
                      density, binom_n, bootstrap, alternatives, truncated, rng, n_jobs,
                      regular=None, wiring="traced") -> KindAnalysis:
    """Fit one observed degree sequence and its null, and compare their tails.

    ``regular``: why the layer is regular by construction (:meth:`LayerGraph.regular_structure`);
    then nothing is fitted (a near-dense layer's null is near-dense too; an N:M layer's null is not).
    """
    seed = _stream_seed(rng, name, kind)
    discrete = "strength" not in internal
    alts = _alts(alternatives, discrete, binom_n)
    observed = _side(fitmod, deg, discrete=discrete, bootstrap=bootstrap, alternatives=alts,
                     binom_n=binom_n, truncated=truncated, seed=seed, n_jobs=n_jobs, regular=regular)
    null_side = tail = None
    if null_deg is not None:
        null_regular = regular if (regular or "").startswith("near-dense") else None
        null_side = _side(fitmod, null_deg, discrete=discrete, bootstrap=bootstrap, alternatives=alts,
                          binom_n=binom_n, truncated=truncated, seed=seed + 2, n_jobs=n_jobs,
                          regular=null_regular)
        tail = compare_tails(deg.alive, null_deg.alive)
    return KindAnalysis(
        layer=name, layer_kind=layer_kind, degree_kind=kind, nodes=int(nodes), edges=int(edges),
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
          binom_n: int | None, truncated: bool, seed: int, n_jobs: int, regular: str | None = None
          ) -> SideAnalysis:
    values = np.asarray(deg.values)
    alive = values[values > 0]
    n_units, n_dead = int(values.size), int(values.size - alive.size)
    if alive.size < MIN_UNITS:
        return SideAnalysis(n_units, n_dead, None, verdict=(
            f"too few units: {alive.size} alive (need {MIN_UNITS})"))
    # N:M patterns fix the degrees (even all-equal ones); a fully dense layer stays "degenerate"
    if regular and not (regular.startswith("near-dense") and np.all(alive == alive[0])):
        return SideAnalysis(n_units, n_dead, None, verdict=(
            f"regular by construction: {regular}; no distribution to fit"))
    if np.all(alive == alive[0]):
        return SideAnalysis(n_units, n_dead, None, verdict=(
            f"degenerate: all degrees equal ({_fmt(alive[0])}), e.g. a dense or regular layer; "
            "no distribution to fit"))
    try:
        fit = fitmod.fit_power_law(alive, discrete=discrete, bootstrap=bootstrap,
                                   xmax=float(alive.max()) if truncated else None,
                                   rng=seed, n_jobs=n_jobs)
    except InputError as exc:
        return SideAnalysis(n_units, n_dead, None, verdict=f"not fitted: {exc}", error=str(exc))
    comps: tuple = ()
    if alternatives:
        try:
            comps = tuple(fitmod.compare_distributions(fit, alternatives=alternatives,
                                                       binomial_n=binom_n))
        except InputError as exc:
            log.warning("likelihood-ratio tests skipped: %s", exc)
    binom_p = binomial_gof(values, binom_n) if (binom_n and discrete) else None
    span = float(alive.max()) / float(fit.xmin)
    verdict, best, best_p = verdict_of(fit, comps, binomial_p=binom_p, span=span)
    return SideAnalysis(n_units, n_dead, fit, comps, verdict, best, best_p, binomial_p=binom_p,
                        tail_span=span)


@dataclass(frozen=True)
class BlockSummary:
    """One transformer block's projections of one group and degree kind (:func:`block_summary`)."""

    block: str               # "encoder.layer.3"
    depth: int               # 0-based position among the model's blocks
    group: str               # "attention" (q, k, v, o) or "mlp" (gate, up, down)
    degree_kind: str
    layers: tuple[str, ...]
    alpha_median: float | None   # median fitted alpha over the group's fitted sequences
    verdicts: dict           # verdict class -> count

    def to_dict(self) -> dict[str, Any]:
        return {"block": self.block, "depth": self.depth, "group": self.group, "degree_kind": self.degree_kind,
                "layers": list(self.layers), "alpha_median": _num(self.alpha_median), "verdicts": dict(self.verdicts)}


def block_summary(res: "ModelAnalysis") -> list[BlockSummary]:
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

    groups: dict[tuple[str, str, str], list[KindAnalysis]] = {}
    order: list[str] = []
    for r in res.results:
        blk, role = block_of(r.layer), role_of(r.layer)
        if blk is None or role is None:
            continue
        group = "attention" if role in ("q", "k", "v", "qkv", "o") else "mlp" if role in ("gate", "up", "down") else None
        if group is None:
            continue
        if blk not in order:
            order.append(blk)
        groups.setdefault((blk, group, r.degree_kind), []).append(r)
    out = []
    for (blk, group, kind), rows in groups.items():
        alphas = [r.observed.fit.alpha for r in rows if r.observed.fit is not None]
        counts: dict[str, int] = {}
        for r in rows:
            key = verdict_class(r.observed.verdict)
            counts[key] = counts.get(key, 0) + 1
        out.append(BlockSummary(blk, order.index(blk), group, kind, tuple(r.layer for r in rows),
                                float(np.median(alphas)) if alphas else None, counts))
    return sorted(out, key=lambda b: (b.depth, b.group, b.degree_kind))


def verdict_class(verdict: str) -> str:
    """The verdict without its numbers, for counting: ``"power law plausible (narrow)"`` etc."""
    import re

    key = re.sub(r" over ×\S+ only", " (narrow)", verdict)
    key = key.replace(" (no GoF test)", "")
    key = re.sub(r" \(GoF p=.*\)$", "", key)
    for prefix in ("inconclusive", "degenerate", "too few units", "not fitted", "regular by construction"):
        if key.startswith(prefix):
            return prefix
    return key


def verdict_of(fit, comparisons, *, binomial_p: float | None = None, span: float | None = None
               ) -> tuple[str, str | None, float | None]:
    """The verdict in words, and the best alternative with its LR p-value.

    The best alternative is the one with the most negative normalised R among those
    significantly preferred over the power law (R < 0 and p < :data:`LEVEL` / m for m
    alternatives, Bonferroni); if none is significantly preferred, the one with the smallest
    R is reported with its p-value for information.
    """
    if binomial_p is not None and binomial_p > LEVEL:
        binom = next((c for c in comparisons if c.alternative == "binomial"), None)
        return ("no heavy tail: binomial like random pruning", "binomial",
                None if binom is None else binom.p_value)
    if fit.n_tail < MIN_TAIL:
        best = min(comparisons, key=lambda c: c.R) if comparisons else None
        return (f"inconclusive: tail of only {fit.n_tail} units",
                None if best is None else best.alternative, None if best is None else best.p_value)
    level = LEVEL / max(1, len(comparisons))
    preferred = [c for c in comparisons if c.R < 0 and c.p_value < level]
    best = None
    if preferred:
        best = min(preferred, key=lambda c: c.normalized_R if not c.nested else -math.inf)
        name = best.alternative.replace("_", " ")
        if best.alternative in NULL_LIKE:
            return (f"no heavy tail: {name} like random pruning", best.alternative, best.p_value)
        return f"{name} preferred", best.alternative, best.p_value
    if comparisons:
        best = min(comparisons, key=lambda c: c.R)
    bname = None if best is None else best.alternative
    bp = None if best is None else best.p_value
    if fit.p_value is not None and fit.p_value <= LEVEL:
        return f"power law rejected (GoF p={fit.p_value:.2g})", bname, bp
    verdict = "power law plausible"
    if span is not None and span < MIN_SPAN:
        verdict += f" over ×{span:.2g} only"
    if fit.p_value is None:
        verdict += " (no GoF test)"
    return verdict, bname, bp


def binomial_gof(values: np.ndarray, n: int) -> float:
    """χ² goodness of fit of ``Binomial(n, p̂)`` to a whole degree sequence (zeros included).

    p̂ = mean / n (the MLE). Bins are pooled left to right until each expects ≥ 5 units; the
    test has ``bins − 2`` degrees of freedom (one parameter estimated). Returns the p-value,
    or NaN when fewer than 3 pooled bins remain (too few units to test).

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
    if len(obs_b) < 3:
        return float("nan")
    stat = float(np.sum((np.asarray(obs_b) - np.asarray(exp_b)) ** 2 / np.asarray(exp_b)))
    return float(stats.chi2.sf(stat, len(obs_b) - 2))


def compare_tails(observed: np.ndarray, null: np.ndarray) -> TailComparison | None:
    """Test whether ``observed`` has a heavier tail (larger spread) than ``null``.

    Returns None when either sample has fewer than 3 values. See the module docstring.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> heavy = rng.zipf(2.2, 2000).clip(max=500)
    >>> binom = rng.binomial(500, heavy.mean() / 500, 2000)
    >>> compare_tails(heavy, binom).heavier_p < 0.01
    True
    """
    from scipy import stats

    observed = np.asarray(observed, dtype=float)
    null = np.asarray(null, dtype=float)
    if observed.size < 3 or null.size < 3:
        return None
    v_obs, v_null = observed.var(ddof=1), null.var(ddof=1)
    ratio = v_obs / v_null if v_null > 0 else (math.inf if v_obs > 0 else 1.0)
    q = np.quantile(np.concatenate([observed, null]), 0.95)
    a_hi, b_hi = int((observed > q).sum()), int((null > q).sum())
    table = [[a_hi, observed.size - a_hi], [b_hi, null.size - b_hi]]
    p = float(stats.fisher_exact(table, alternative="greater").pvalue)
    share_o, share_n = a_hi / observed.size, b_hi / null.size
    share_ratio = share_o / share_n if share_n > 0 else (math.inf if share_o > 0 else 1.0)
    ks = stats.ks_2samp(observed, null)
    max_ratio = observed.max() / null.max() if null.max() > 0 else math.inf
    return TailComparison(float(ratio), p, float(share_ratio), float(ks.statistic),
                          float(ks.pvalue), float(max_ratio))


def _stream_seed(seed: int, name: str, kind: str) -> int:
    """A seed for one (layer, kind): stable across runs, platforms and selections."""
    return int(np.random.SeedSequence([int(seed), zlib.crc32(f"{name}\0{kind}".encode())])
               .generate_state(1, dtype=np.uint32)[0])


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
    >>> res, t = analyze_many([str(p)], {"kinds": ["in"], "bootstrap": 0, "null": False})
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
