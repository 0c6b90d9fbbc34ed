"""The growth-kernel ablation (issue 15): variants, one run, per-budget summaries, smallest budget.

Every variant is one :class:`~prunegraph.continual.config.ContinualConfig` on the same stream,
budget and seed (no patching):

* ``pa own``      ``growth="pa", pa_target="own"``: the rule, each layer's own MLE degree law;
* ``(k+1)^g``     ``growth="pa", pa_target="fixed", pa_gamma=g`` for g in 0, 0.5, 1, 1.5
  (g = 0 is uniform attachment over the free positions; g = 1 linear preference);
* ``(k+1)^beta``  as above with g = the likelihood attachment exponent β measured on the
  ``packnet`` run of the same seed and budget (free training: every free weight trained, then
  cut) — :func:`packnet_beta`;
* ``uniform``, ``gradient``, ``set``, ``rigl``, ``pa-dst``, ``packnet``.

Quantities per run (:func:`run_variant`): ACC (Lopez-Paz & Ranzato 2017), the mean learning-curve
area and the mean steps to an absolute accuracy over tasks 1..T-1, the total edges. Over seeds
(:func:`summarise_ablation`): mean with its Student-t 95 % interval, and paired (same seed)
differences against ``uniform``. Over budgets (:func:`budget_to_target`): the smallest budget
that reaches a target ACC ("smaller networks"), per seed by log-linear interpolation of ACC
between the two grid budgets that bracket the target,

.. math:: \\ln E^* = \\ln E_{i-1} + \\frac{a^* - A_{i-1}}{A_i - A_{i-1}}(\\ln E_i - \\ln E_{i-1}),

censored at the grid's ends (``"below"``: reached at the smallest budget; ``"above"``: never).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ..errors import UsageError
from .compare import _summarise
from .config import ContinualConfig
from .metrics import mean_ci, paired_differences

__all__ = ["FIXED_GAMMAS", "VARIANTS", "QUANTITIES", "variant_config", "packnet_beta", "run_variant",
           "run_ablation", "summarise_ablation", "budget_to_target", "ablation_rows", "paired_between"]

#: the fixed-exponent kernels (k + 1)^g of the family
FIXED_GAMMAS = {"(k+1)^0": 0.0, "(k+1)^0.5": 0.5, "(k+1)^1": 1.0, "(k+1)^1.5": 1.5}
#: every variant, in table order
VARIANTS = ("uniform", "pa own", "(k+1)^0", "(k+1)^0.5", "(k+1)^1", "(k+1)^1.5", "(k+1)^beta",
            "gradient", "set", "rigl", "pa-dst", "packnet")
_STRATEGIES = ("uniform", "gradient", "set", "rigl", "pa-dst", "packnet")
#: per-run quantities summarised over seeds, and whether higher is better
QUANTITIES = {"ACC": True, "curve_area": True, "steps_to_target": False}


def variant_config(base: ContinualConfig, name: str, gamma: float | None = None) -> ContinualConfig:
    """The configuration of one ablation variant (``gamma``: β for ``(k+1)^beta``).

    Examples
    --------
    >>> cfg = variant_config(ContinualConfig(), "(k+1)^1.5")
    >>> cfg.growth, cfg.pa_target, cfg.pa_gamma
    ('pa', 'fixed', 1.5)
    """
    if name == "pa own":
        return replace(base, growth="pa", pa_target="own")
    if name in FIXED_GAMMAS:
        return replace(base, growth="pa", pa_target="fixed", pa_gamma=FIXED_GAMMAS[name])
    if name == "(k+1)^beta":
        if gamma is None or not math.isfinite(gamma):
            raise UsageError("(k+1)^beta needs γ: the β measured on the packnet run of the same "
                             "seed and budget (run packnet first)")
        return replace(base, growth="pa", pa_target="fixed", pa_gamma=float(gamma))
    if name in _STRATEGIES:
        return replace(base, growth=name)
    raise UsageError(f"variant {name!r}: choose from {', '.join(VARIANTS)}")


def packnet_beta(result: dict, task: int = 1) -> float:
    """Mean likelihood β (hidden layers, both sides) of the edges ``task`` kept.

    ``result`` is ``ContinualResult.to_dict()`` of a run; task 1 is the first task grown onto
    an existing network.
    """
    per = result["tasks"][task]["attachment"]["kept_per_layer"]
    vals = [side["mle"]["beta"] for lay in per.values() for side in lay.values()
            if side.get("mle") and side["mle"].get("beta") is not None]
    if not vals:
        raise UsageError(f"task {task} of this run holds no likelihood β (attachment not measured)")
    return float(np.mean(vals))


def run_variant(config: ContinualConfig, name: str, *, device: str | None = "cpu") -> dict[str, Any]:
    """Run one variant (``config`` already made by :func:`variant_config`); a summary row.

    The row holds the :mod:`~prunegraph.continual.compare` summary plus ``seed``, ``variant``,
    ``density``, ``pa_gamma`` (fixed kernels), per-task steps to the target, and for
    ``packnet`` the β of task 1 (``beta_task1``).
    """
    from .driver import run_continual

    t0 = time.perf_counter()
    d = run_continual(config, device=device).to_dict()
    row = _summarise(d)
    row.update(seed=config.seed, variant=name, density=config.density,
               pa_gamma=config.pa_gamma if config.growth == "pa" and config.pa_target == "fixed" else None,
               seconds=time.perf_counter() - t0)
    later = d["tasks"][1:]
    row["steps_to_target_per_task"] = [r["steps_to_target"] for r in later]
    row["target_reached"] = int(sum(r["steps_to_target"] is not None for r in later))
    if name == "packnet":
        row["beta_task1"] = packnet_beta(d)
    return row


def run_ablation(base: ContinualConfig, *, variants: Sequence[str], seeds: Sequence[int],
                 densities: Sequence[float] | None = None, device: str | None = "cpu") -> list[dict]:
    """Every variant at every seed and density, serially (``packnet`` first: its β sets γ).

    Examples
    --------
    >>> base = ContinualConfig(benchmark="split-digits", n_tasks=2, epochs=1, min_steps=20,
    ...                        retrain_min_steps=0, scratch_reference=False, attachment_bootstrap=0)
    >>> rows = run_ablation(base, variants=["uniform", "(k+1)^1"], seeds=[0])
    >>> [r["variant"] for r in rows]
    ['uniform', '(k+1)^1']
    """
    bad = [v for v in variants if v not in VARIANTS]
    if bad or not variants or not seeds:
        raise UsageError(f"variants {bad or list(variants)} / seeds {list(seeds)}: give seeds and "
                         f"variants from {', '.join(VARIANTS)}")
    densities = list(densities) if densities else [base.density]
    order = sorted(variants, key=lambda v: v != "packnet")
    rows: list[dict] = []
    for v in order:
        for dens in densities:
            for s in seeds:
                gamma = None
                if v == "(k+1)^beta":
                    ref = [r for r in rows if r["variant"] == "packnet" and r["seed"] == s
                           and r["density"] == dens]
                    gamma = ref[0]["beta_task1"] if ref else None
                cfg = replace(variant_config(base, v, gamma), seed=int(s), density=float(dens))
                rows.append(run_variant(cfg, v, device=device))
    return rows


def _by(rows: Iterable[dict], variant: str, density: float | None = None) -> list[dict]:
    return sorted((r for r in rows if r["variant"] == variant
                   and (density is None or math.isclose(r["density"], density))),
                  key=lambda r: r["seed"])


def summarise_ablation(rows: Sequence[dict], *, reference: str = "uniform") -> dict[str, Any]:
    """Per density and variant: mean and 95 % interval; paired differences against ``reference``.

    Only variants with runs at every seed the density holds are summarised (a run stopped early
    leaves the others out, listed under ``"incomplete"``).

    Returns
    -------
    dict
        ``{density: {"variants", "seeds", "summary": {variant: {q: mean_ci}},
        "paired": {variant: {q: paired_differences}}, "incomplete": {variant: n}}}``

    Examples
    --------
    >>> rows = [{"variant": v, "seed": s, "density": 0.01, "ACC": a + 0.01 * s,
    ...          "curve_area": a, "steps_to_target": None}
    ...         for v, a in (("uniform", 0.8), ("(k+1)^1", 0.9)) for s in range(3)]
    >>> out = summarise_ablation(rows)[0.01]
    >>> round(out["paired"]["(k+1)^1"]["ACC"]["mean"], 3), out["paired"]["(k+1)^1"]["ACC"]["wins"]
    (0.1, 3)
    """
    out: dict[float, Any] = {}
    for dens in sorted({float(r["density"]) for r in rows}):
        here = [r for r in rows if math.isclose(r["density"], dens)]
        seeds = sorted({r["seed"] for r in here})
        count = {v: len(_by(here, v)) for v in VARIANTS}
        names = [v for v in VARIANTS if count[v] == len(seeds) and count[v]]
        summary = {v: {q: mean_ci([r[q] for r in _by(here, v)]) for q in QUANTITIES} for v in names}
        ref = {r["seed"]: r for r in _by(here, reference)}
        paired = {}
        for v in names:
            if v == reference or not ref:
                continue
            common = [r for r in _by(here, v) if r["seed"] in ref]
            paired[v] = {q: paired_differences([r[q] for r in common],
                                               [ref[r["seed"]][q] for r in common])
                         for q in QUANTITIES}
        out[dens] = {"variants": names, "seeds": seeds, "summary": summary, "paired": paired,
                     "incomplete": {v: n for v, n in count.items() if 0 < n < len(seeds)}}
    return out


def _crossing(edges: Sequence[float], acc: Sequence[float], target: float) -> tuple[float | None, str]:
    """Edges at which ``acc`` first reaches ``target`` (log-linear interpolation) and how."""
    for i, (e, a) in enumerate(zip(edges, acc)):
        if a >= target:
            if i == 0:
                return float(e), "below"
            e0, a0 = edges[i - 1], acc[i - 1]
            frac = (target - a0) / (a - a0)
            return float(math.exp(math.log(e0) + frac * (math.log(e) - math.log(e0)))), "interpolated"
    return None, "above"


def budget_to_target(rows: Sequence[dict], *, target: float, reference: str = "uniform") -> dict[str, Any]:
    """Smallest budget (total edges) reaching ACC ``target``, per variant, from a budget sweep.

    Per variant: the mean ACC and edges at each density of the grid; ``smallest_grid``, the
    smallest grid budget whose mean ACC reaches the target (None: none does); ``edges_mean_curve``,
    the interpolated crossing of the mean curve; per seed the interpolated crossing with its
    censoring (``"below"``: already at the smallest budget, ``"above"``: never); and against
    ``reference``, on how many seeds the variant needs fewer edges (decided also when one side
    is censored, when the order is certain) and the ratio of the mean-curve crossings.

    Examples
    --------
    >>> rows = [{"variant": v, "seed": 0, "density": d, "edges_total": 1000.0 * d, "ACC": a}
    ...         for v, accs in (("uniform", (0.8, 0.9)), ("(k+1)^1", (0.85, 0.95)))
    ...         for d, a in zip((1, 4), accs)]
    >>> out = budget_to_target(rows, target=0.875)
    >>> round(out["uniform"]["edges_mean_curve"]), round(out["(k+1)^1"]["edges_mean_curve"])
    (2828, 1414)
    >>> out["(k+1)^1"]["fewer_than_reference"], round(out["(k+1)^1"]["ratio_to_reference"], 3)
    (1, 0.5)
    >>> budget_to_target(rows, target=0.85)["(k+1)^1"]["per_seed"][0]["how"]   # at the lowest budget
    'below'
    """
    variants = [v for v in VARIANTS                 # a sweep: two budgets or more
                if len({float(r["density"]) for r in rows if r["variant"] == v}) >= 2]
    dens_all = sorted({float(r["density"]) for r in rows})
    out: dict[str, Any] = {}
    for v in variants:
        grid = [d for d in dens_all if _by(rows, v, d)]
        seeds = sorted(set.intersection(*({r["seed"] for r in _by(rows, v, d)} for d in grid)))
        points = []
        for d in grid:
            rs = [r for r in _by(rows, v, d) if r["seed"] in seeds]
            points.append({"density": d, "edges": float(np.mean([r["edges_total"] for r in rs])),
                           "ACC": mean_ci([r["ACC"] for r in rs])})
        e_curve = [p["edges"] for p in points]
        reach = [p for p in points if p["ACC"]["mean"] >= target]
        per_seed = {}
        for s in seeds:
            e = [next(r["edges_total"] for r in _by(rows, v, d) if r["seed"] == s) for d in grid]
            a = [next(r["ACC"] for r in _by(rows, v, d) if r["seed"] == s) for d in grid]
            x, how = _crossing(e, a, target)
            per_seed[s] = {"edges": x, "how": how, "lowest": e[0], "highest": e[-1]}
        mc, mhow = _crossing(e_curve, [p["ACC"]["mean"] for p in points], target)
        out[v] = {"grid": grid, "seeds": seeds, "points": points,
                  "smallest_grid": ({"density": reach[0]["density"], "edges": reach[0]["edges"]}
                                    if reach else None),
                  "edges_mean_curve": mc, "how_mean_curve": mhow, "per_seed": per_seed,
                  "seeds_reaching": int(sum(p["how"] != "above" for p in per_seed.values()))}
    if reference in out:
        ref = out[reference]
        for v in variants:
            if v == reference:
                continue
            fewer = 0
            for s, p in out[v]["per_seed"].items():
                q = ref["per_seed"].get(s)
                if q is not None and _fewer(p, q):
                    fewer += 1
            a, b = out[v]["edges_mean_curve"], ref["edges_mean_curve"]
            out[v]["fewer_than_reference"] = fewer
            out[v]["ratio_to_reference"] = (a / b if a is not None and b is not None
                                            and out[v]["how_mean_curve"] == ref["how_mean_curve"]
                                            == "interpolated" else None)
    return out


def _fewer(p: dict, q: dict) -> bool:
    """Is crossing p certainly smaller than crossing q (both possibly censored)?"""
    if p["how"] == "above":
        return False
    if q["how"] == "above":
        return True
    if p["how"] == "below":
        return q["how"] != "below"
    if q["how"] == "below":
        return False
    return p["edges"] < q["edges"]


def ablation_rows(summary: dict, *, budget: dict | None = None, reference: str = "uniform") -> list[dict]:
    """Flat rows (one per variant) of one density's :func:`summarise_ablation` entry, plus the
    smallest-budget columns of :func:`budget_to_target` when given: ready for a table."""
    rows = []
    for v in summary["variants"]:
        s, p = summary["summary"][v], summary["paired"].get(v)
        row = {"variant": v}
        for q in QUANTITIES:
            row[q] = s[q]["mean"]
            row[f"{q} ci"] = s[q]["ci"]
            row[f"Δ{q}"] = None if p is None else p[q]["mean"]
            row[f"Δ{q} ci"] = None if p is None else p[q]["ci"]
            better = None
            if p is not None and p[q]["n"]:
                better = p[q]["wins"] if QUANTITIES[q] else p[q]["n"] - p[q]["wins"] - p[q]["ties"]
            row[f"Δ{q} better"] = better
            row[f"Δ{q} n"] = None if p is None else p[q]["n"]
        if budget is not None and v in budget:
            b = budget[v]
            row["smallest grid edges"] = b["smallest_grid"]["edges"] if b["smallest_grid"] else None
            row["edges at target"] = b["edges_mean_curve"]
            row["edges at target how"] = b["how_mean_curve"]
            row["seeds reaching"] = b["seeds_reaching"]
            row["fewer edges than ref"] = b.get("fewer_than_reference")
            row["edge ratio to ref"] = b.get("ratio_to_reference")
        rows.append(row)
    return rows


def paired_between(rows: Sequence[dict], a: str, b: str, *, quantity: str = "ACC") -> dict[float, dict]:
    """Per density: paired (same seed) differences ``a − b`` of ``quantity`` with their 95 %
    interval (:func:`~prunegraph.continual.metrics.paired_differences`), where both ran.

    Examples
    --------
    >>> rows = [{"variant": v, "seed": s, "density": 0.01, "ACC": a + 0.01 * s}
    ...         for v, a in (("(k+1)^1", 0.91), ("(k+1)^beta", 0.90)) for s in range(3)]
    >>> d = paired_between(rows, "(k+1)^beta", "(k+1)^1")[0.01]
    >>> round(d["mean"], 3), d["wins"], d["n"]
    (-0.01, 0, 3)
    """
    out = {}
    for dens in sorted({float(r["density"]) for r in rows}):
        ra = {r["seed"]: r[quantity] for r in _by(rows, a, dens)}
        rb = {r["seed"]: r[quantity] for r in _by(rows, b, dens)}
        common = sorted(set(ra) & set(rb))
        if common:
            out[dens] = paired_differences([ra[s] for s in common], [rb[s] for s in common])
    return out
