"""Compare growth strategies over seeds: mean ± sd of ACC, BWT, total edges, steps to 95 %.

:func:`plot_comparison` draws with :func:`prunegraph.output.plot.plot_strategy_comparison` (saved with
:func:`prunegraph.output.plot.save_figure`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Sequence

import numpy as np

from .._progress import progress as _progress
from ..errors import UsageError
from .driver import ContinualConfig, pa_fallback_share, run_continual
from .growth import STRATEGIES

__all__ = ["ComparisonResult", "run_comparison", "format_comparison", "plot_comparison", "QUANTITIES"]

#: quantity -> how it is read from one run's results dict
QUANTITIES = ("ACC", "BWT", "edges_total", "steps_to_95", "wall_time_s")


def _summarise(d: dict) -> dict[str, float | None]:
    steps = [s for s in d["steps_to_95"] if s is not None]
    betas = [b for b in d["beta_per_task"] if b is not None]
    fell, total = pa_fallback_share(d)
    return {"ACC": d["metrics"].get("ACC"), "BWT": d["metrics"].get("BWT"),
            "FWT": d["metrics"].get("FWT"), "forgetting": d["metrics"].get("forgetting"),
            "edges_total": float(d["edges_total"]),
            "steps_to_95": float(np.mean(steps)) if steps else None,
            "beta_in": float(np.mean(betas)) if betas else None,
            "wall_time_s": float(d["wall_time_s"]),
            "pa_fallback_share": fell / total if total else None}


@dataclass(frozen=True)
class ComparisonResult:
    """Per strategy: the per-seed summaries and their mean and sample sd (ddof=1)."""

    config: ContinualConfig
    strategies: tuple
    seeds: tuple
    runs: dict            # strategy -> list of per-seed summary dicts
    summary: dict         # strategy -> {quantity: {"mean": m, "sd": s, "n": n}}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {"format": "prunegraph-continual-compare/1", "config": self.config.to_dict(),
                "strategies": list(self.strategies), "seeds": list(self.seeds),
                "runs": self.runs, "summary": self.summary,
                "note": "mean ± sample sd (ddof=1) over seeds; steps_to_95 averaged over tasks"}


def _mean_sd(values: list) -> dict:
    v = np.asarray([x for x in values if x is not None], dtype=float)
    if v.size == 0:
        return {"mean": None, "sd": None, "n": 0}
    return {"mean": float(v.mean()), "sd": float(v.std(ddof=1)) if v.size > 1 else None,
            "n": int(v.size)}


def run_comparison(config: ContinualConfig, *, strategies: Sequence[str] = STRATEGIES,
                   seeds: Sequence[int] = (0, 1, 2), device: str | None = None,
                   progress: bool = False) -> ComparisonResult:
    """Run every strategy with every seed (same config otherwise) and summarise.

    Examples
    --------
    >>> cfg = ContinualConfig(benchmark="split-digits", n_tasks=2, epochs=1)
    >>> res = run_comparison(cfg, strategies=["uniform"], seeds=[0, 1], device="cpu")
    >>> res.summary["uniform"]["BWT"]["mean"]
    0.0
    """
    bad = [s for s in strategies if s not in STRATEGIES]
    if bad or not strategies:
        raise UsageError(f"strategies {bad or list(strategies)}: choose from {', '.join(STRATEGIES)}")
    if not seeds:
        raise UsageError("seeds: give at least one seed (three or more for a spread)")
    runs: dict[str, list] = {s: [] for s in strategies}
    jobs = [(s, int(seed)) for s in strategies for seed in seeds]
    for s, seed in _progress(jobs, desc="runs", total=len(jobs), enabled=progress):
        res = run_continual(replace(config, growth=s, seed=seed), device=device)
        row = _summarise(res.to_dict())
        row["seed"] = seed
        runs[s].append(row)
    summary = {s: {q: _mean_sd([r[q] for r in runs[s]])
                   for q in ("ACC", "BWT", "FWT", "forgetting", "edges_total", "steps_to_95",
                             "beta_in", "wall_time_s", "pa_fallback_share")} for s in strategies}
    return ComparisonResult(config, tuple(strategies), tuple(int(s) for s in seeds), runs, summary)


def format_comparison(result: ComparisonResult) -> str:
    """A plain-text table of mean ± sd per strategy.

    Examples
    --------
    >>> cfg = ContinualConfig(benchmark="split-digits", n_tasks=2, epochs=1)
    >>> print(format_comparison(run_comparison(cfg, strategies=["packnet"], seeds=[0], device="cpu")))  # doctest: +ELLIPSIS
    strategy ...
    """
    cols = ("ACC", "BWT", "edges_total", "steps_to_95", "beta_in", "wall_time_s")
    lines = ["strategy  " + "  ".join(f"{c:>20}" for c in cols)]
    for s in result.strategies:
        cells = []
        for c in cols:
            ms = result.summary[s][c]
            if ms["mean"] is None:
                cells.append(f"{'-':>20}")
            else:
                sd = "" if ms["sd"] is None else f" ± {ms['sd']:.3g}"
                cells.append(f"{ms['mean']:.4g}{sd}".rjust(20))
        lines.append(f"{s:<8}  " + "  ".join(cells))
    return "\n".join(lines)


def plot_comparison(result: ComparisonResult, *, quantities: Sequence[str] = ("ACC", "BWT",
                    "edges_total", "steps_to_95")):
    """Bar chart (mean ± sd, seeds as dots) per quantity; returns a matplotlib Figure.

    Examples
    --------
    >>> cfg = ContinualConfig(benchmark="split-digits", n_tasks=2, epochs=1)
    >>> fig = plot_comparison(run_comparison(cfg, strategies=["packnet"], seeds=[0], device="cpu"))
    >>> len(fig.axes)
    4
    """
    from ..output.plot import plot_strategy_comparison

    return plot_strategy_comparison(
        result.strategies, result.summary, result.runs, quantities=quantities,
        title=(f"{result.config.benchmark}, {result.config.model}, {result.config.n_tasks} tasks, "
               f"seeds {list(result.seeds)} (mean ± sd)"))
