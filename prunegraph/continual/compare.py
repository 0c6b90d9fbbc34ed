"""Compare strategies over seeds on one stream and budget: mean, 95 % interval, paired differences.

Every strategy runs with every seed (same config otherwise, so the same stream, initialisation
and budgets per seed). Per quantity: mean, sample sd and the Student-t 95 % interval of the
mean over seeds; against a reference strategy, the per-seed (paired) differences with their
mean, 95 % interval and the number of seeds on which the strategy is ahead.

:func:`plot_comparison` draws with :func:`prunegraph.output.plot.plot_strategy_comparison` (saved with
:func:`prunegraph.output.plot.save_figure`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from .._progress import progress as _progress
from ..errors import UsageError
from .config import ALL_STRATEGIES, ContinualConfig
from .driver import pa_fallback_share, run_continual
from .metrics import mean_ci, paired_differences

__all__ = ["ComparisonResult", "run_comparison", "format_comparison", "plot_comparison",
           "SweepResult", "run_sweep", "format_sweep",
           "QUANTITIES", "UNITS", "HIGHER_IS_BETTER"]

#: per-run quantities summarised over seeds
QUANTITIES = ("ACC", "ACC_independent", "FWT_scratch", "BWT", "steps_to_target",
              "curve_area", "task0_steps_to_target", "weight_updates", "edges_total",
              "steps_to_95", "beta_in", "wall_time_s", "pa_fallback_share")
UNITS = {"steps_to_target": "steps", "task0_steps_to_target": "steps", "steps_to_95": "steps",
         "weight_updates": "weight-updates per task", "edges_total": "edges", "wall_time_s": "s"}
#: direction of "better" for the paired differences
HIGHER_IS_BETTER = {"ACC": True, "FWT_scratch": True, "curve_area": True, "steps_to_target": False,
                    "weight_updates": False, "edges_total": False}


def _mean(values) -> float | None:
    v = [float(x) for x in values if x is not None]
    return sum(v) / len(v) if v else None


def _summarise(d: dict) -> dict[str, float | None]:
    m = d["metrics"]
    fell, total = pa_fallback_share(d)
    return {"ACC": m.get("ACC"), "ACC_independent": m.get("ACC_independent"),
            "FWT_scratch": m.get("FWT_scratch"), "BWT": m.get("BWT"),
            "steps_to_target": m.get("steps_to_target_mean"),
            "curve_area": m.get("curve_area_mean"),
            "task0_steps_to_target": (m.get("task0") or {}).get("steps_to_target"),
            "weight_updates": m.get("weight_updates_mean"),
            "edges_total": float(d["edges_total"]),
            "steps_to_95": _mean(d["steps_to_95"][1:]),
            "beta_in": _mean(d["beta_per_task"]),
            "wall_time_s": float(d["wall_time_s"]),
            "pa_fallback_share": fell / total if total else None}


@dataclass(frozen=True)
class ComparisonResult:
    """Per strategy: the per-seed summaries, their mean/sd/95 % interval, paired differences."""

    config: ContinualConfig
    strategies: tuple
    seeds: tuple
    runs: dict            # strategy -> list of per-seed summary dicts
    summary: dict         # strategy -> {quantity: {"mean", "sd", "ci", "n"}}
    reference: str
    paired: dict          # strategy -> {quantity: paired difference vs reference}
    curves: dict | None = None   # strategy -> first seed's per-task learning curves (figures)
    baselines: tuple = ()  # finetune / joint rows in runs, summary and paired

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {"format": "prunegraph-continual-compare/2", "config": self.config.to_dict(),
                "strategies": list(self.strategies), "baselines": list(self.baselines),
                "seeds": list(self.seeds), "runs": self.runs, "summary": self.summary, "reference": self.reference,
                "paired": self.paired, "units": UNITS, "curves": self.curves,
                "note": ("mean, sample sd (ddof=1) and Student-t 95 % interval over seeds; "
                         "steps_to_target, curve_area and weight_updates are means over tasks "
                         "1..T-1 (task 0 apart); paired = per-seed strategy minus reference")}


def run_comparison(config: ContinualConfig, *, strategies: Sequence[str] = ALL_STRATEGIES,
                   seeds: Sequence[int] = (0, 1, 2, 3, 4), reference: str | None = None,
                   baselines: Sequence[str] = (), device: str | None = None,
                   progress: bool = False, scratch_cache=None) -> ComparisonResult:
    """Run every strategy with every seed (same config otherwise) and summarise.

    Parameters
    ----------
    reference : str, optional
        Strategy the paired differences are taken against (default ``uniform`` when compared,
        else the first strategy).
    baselines : sequence of {"finetune", "joint"}
        Bounds on the same stream and total edge budget
        (:func:`prunegraph.continual.baselines.run_baseline`), run per seed and summarised
        like the strategies (ACC, BWT, edges; paired ACC differences against ``reference``).
    scratch_cache : path, optional
        Folder shared between processes for the from-scratch references (see
        :func:`prunegraph.continual.run_continual`). Within this call every strategy of a seed
        reuses the references computed by the first one in any case (they do not depend on
        the strategy), so a comparison of S strategies trains them once, not S times.

    Examples
    --------
    >>> cfg = ContinualConfig(benchmark="split-digits", n_tasks=2, epochs=1, min_steps=20,
    ...                       retrain_min_steps=0, scratch_reference=False)
    >>> res = run_comparison(cfg, strategies=["uniform"], seeds=[0, 1], device="cpu")
    >>> res.summary["uniform"]["BWT"]["mean"]
    0.0
    """
    bad = [s for s in strategies if s not in ALL_STRATEGIES]
    if bad or not strategies:
        raise UsageError(f"strategies {bad or list(strategies)}: choose from {', '.join(ALL_STRATEGIES)}")
    if not seeds:
        raise UsageError("seeds: give at least one seed (five or more for an interval that means something)")
    if reference is None:
        reference = "uniform" if "uniform" in strategies else strategies[0]
    if reference not in strategies:
        raise UsageError(f"reference {reference!r} is not among the strategies {list(strategies)}")
    runs: dict[str, list] = {s: [] for s in strategies}
    curves: dict[str, dict] = {}
    jobs = [(s, int(seed)) for seed in seeds for s in strategies]
    for s, seed in _progress(jobs, desc="runs", total=len(jobs), enabled=progress):
        res = run_continual(replace(config, growth=s, seed=seed), device=device,
                            scratch_cache=scratch_cache)
        if s not in curves:
            curves[s] = {"seed": seed, "tasks": [
                {"curve_steps": r.curve_steps, "curve_accuracy": r.curve_accuracy, "train_steps": r.train_steps}
                for r in res.tasks]}
        row = _summarise(res.to_dict())
        row["seed"] = seed
        runs[s].append(row)
    from .baselines import BASELINES, run_baseline

    bad = [b for b in baselines if b not in BASELINES]
    if bad:
        raise UsageError(f"baselines {bad}: choose from {', '.join(BASELINES)}")
    for b in baselines:
        runs[b] = []
        for seed in seeds:
            r = run_baseline(replace(config, seed=int(seed)), b, device=device)
            row = {q: None for q in QUANTITIES}
            row.update(ACC=r["ACC"], BWT=r["BWT"], edges_total=float(r["edges_total"]), seed=int(seed))
            runs[b].append(row)
    names = list(strategies) + list(baselines)
    summary = {s: {q: mean_ci([r[q] for r in runs[s]]) for q in QUANTITIES} for s in names}
    paired = {s: {q: paired_differences([r[q] for r in runs[s]], [r[q] for r in runs[reference]])
                  for q in HIGHER_IS_BETTER}
              for s in names if s != reference}
    return ComparisonResult(config, tuple(strategies), tuple(int(s) for s in seeds), runs, summary,
                            reference, paired, curves, tuple(baselines))


def _cell(ms: dict, spec: str = ".4g") -> str:
    if ms["mean"] is None:
        return "n/a"
    if ms["ci"] is None:
        return format(ms["mean"], spec)
    return f"{ms['mean']:{spec}} [{ms['ci'][0]:{spec}}, {ms['ci'][1]:{spec}}]"


def format_comparison(result: ComparisonResult) -> str:
    """Plain-text tables: mean [95 % interval] per strategy, then paired differences.

    Examples
    --------
    >>> cfg = ContinualConfig(benchmark="split-digits", n_tasks=2, epochs=1, min_steps=20,
    ...                       retrain_min_steps=0, scratch_reference=False)
    >>> print(format_comparison(  # doctest: +ELLIPSIS
    ...     run_comparison(cfg, strategies=["packnet"], seeds=[0], device="cpu")))
    1 seeds; mean [95 % interval]; ...
    strategy ...
    """
    cols = ("ACC", "FWT_scratch", "steps_to_target", "curve_area", "weight_updates", "edges_total")
    head = [c + (f" [{UNITS[c]}]" if c in UNITS else "") for c in cols]
    width = 30
    lines = [f"{len(result.seeds)} seeds; mean [95 % interval]; learning speed over tasks 1..T-1 "
             f"(target accuracy {result.config.target_accuracy:g}); n/a: not defined or not reached",
             "strategy  " + "  ".join(f"{h:>{width}}" for h in head)]
    for s in result.strategies:
        lines.append(f"{s:<8}  " + "  ".join(f"{_cell(result.summary[s][c]):>{width}}" for c in cols))
    for b in result.baselines:
        sm = result.summary[b]
        what = "lower bound, nothing frozen" if b == "finetune" else "upper bound, all tasks at once"
        lines.append(f"{b} ({what}, same total edges {_cell(sm['edges_total'], '.0f')}): "
                     f"ACC {_cell(sm['ACC'])}, BWT {_cell(sm['BWT'], '+.4g')}")
    ind = result.summary[result.strategies[0]]["ACC_independent"]
    if ind["mean"] is not None:
        lines.append(f"independent sparse networks per task (same budgets, from scratch): ACC {_cell(ind)}")
    t0 = result.summary[result.strategies[0]]["task0_steps_to_target"]
    lines.append(f"task 0 (dense start, the same for every strategy): steps to target {_cell(t0)} steps")
    if result.paired:
        lines.append(f"paired differences vs {result.reference} (strategy - reference; "
                     "wins = seeds where the strategy is better):")
        for s, per in result.paired.items():
            cells = []
            for q, d in per.items():
                if d["mean"] is None:
                    continue
                better = d["wins"] if HIGHER_IS_BETTER[q] else d["n"] - d["wins"] - d["ties"]
                cells.append(f"{q} {_cell(d, '+.4g')} ({better}/{d['n']})")
            lines.append(f"  {s}: " + "; ".join(cells))
    return "\n".join(lines)


def plot_comparison(result: ComparisonResult, *, quantities: Sequence[str] = (
        "ACC", "FWT_scratch", "steps_to_target", "curve_area")):
    """Bar chart (mean ± sd, seeds as dots) per quantity; returns a matplotlib Figure.

    Examples
    --------
    >>> cfg = ContinualConfig(benchmark="split-digits", n_tasks=2, epochs=1, min_steps=20,
    ...                       retrain_min_steps=0, scratch_reference=False)
    >>> fig = plot_comparison(run_comparison(cfg, strategies=["packnet"], seeds=[0], device="cpu"))
    >>> len(fig.axes)
    4
    """
    from ..output.plot import plot_strategy_comparison

    return plot_strategy_comparison(
        result.strategies, result.summary, result.runs, quantities=quantities,
        title=(f"{result.config.benchmark}, {result.config.model}, {result.config.n_tasks} tasks, "
               f"seeds {list(result.seeds)} (mean ± sd)"))


@dataclass(frozen=True)
class SweepResult:
    """Accuracy against edges: every strategy at every density (edge budget) and seed."""

    config: ContinualConfig
    strategies: tuple
    densities: tuple
    seeds: tuple
    target: float
    points: dict          # strategy -> [{"density", "edges": mean_ci, "ACC": mean_ci, "runs": [...]}]
    smallest: dict        # strategy -> {"density", "edges"} or None: smallest budget reaching target

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {"format": "prunegraph-continual-sweep/1", "config": self.config.to_dict(),
                "strategies": list(self.strategies), "densities": list(self.densities),
                "seeds": list(self.seeds), "target_ACC": self.target, "points": self.points,
                "smallest_budget_reaching_target": self.smallest,
                "note": "edges = total edges of the final network (all tasks); ACC mean and "
                        "Student-t 95 % interval over seeds; smallest = lowest density whose "
                        "mean ACC reaches the target"}


def run_sweep(config: ContinualConfig, *, densities: Sequence[float],
              strategies: Sequence[str] = ("pa", "uniform", "gradient", "packnet"),
              seeds: Sequence[int] = (0, 1, 2), target: float = 0.9, device: str | None = None,
              progress: bool = False, scratch_cache=None) -> SweepResult:
    """Run every strategy over a grid of per-task edge densities (``budget="fixed"``).

    The from-scratch references (when ``config.scratch_reference``) are trained once per
    (density, seed, task) and reused by every strategy; ``scratch_cache`` as in
    :func:`run_comparison`.

    Examples
    --------
    >>> cfg = ContinualConfig(benchmark="split-digits", n_tasks=2, epochs=1, min_steps=20,
    ...                       retrain_min_steps=0, scratch_reference=False, attachment_bootstrap=0)
    >>> sw = run_sweep(cfg, densities=[0.02, 0.1], strategies=["uniform"], seeds=[0], target=0.5,
    ...                device="cpu")
    >>> [p["density"] for p in sw.points["uniform"]]
    [0.02, 0.1]
    """
    bad = [s for s in strategies if s not in ALL_STRATEGIES]
    if bad or not strategies:
        raise UsageError(f"strategies {bad or list(strategies)}: choose from {', '.join(ALL_STRATEGIES)}")
    if not densities or any(not 0 < d <= 1 for d in densities):
        raise UsageError(f"--densities {list(densities)}: give one or more values in (0, 1]")
    if config.budget != "fixed":
        raise UsageError(f"sweep varies the fixed per-task density; --budget {config.budget} "
                         "would ignore it (use --budget fixed)")
    densities = tuple(sorted(float(d) for d in densities))
    jobs = [(d, s, int(seed)) for d in densities for seed in seeds for s in strategies]
    raw: dict = {(s, d): [] for s in strategies for d in densities}
    for d, s, seed in _progress(jobs, desc="runs", total=len(jobs), enabled=progress):
        res = run_continual(replace(config, density=d, growth=s, seed=seed), device=device,
                            scratch_cache=scratch_cache).to_dict()
        raw[(s, d)].append({"seed": seed, "ACC": res["metrics"]["ACC"],
                            "edges": int(res["edges_total"])})
    points, smallest = {}, {}
    for s in strategies:
        points[s] = [{"density": d, "edges": mean_ci([r["edges"] for r in raw[(s, d)]]),
                      "ACC": mean_ci([r["ACC"] for r in raw[(s, d)]]), "runs": raw[(s, d)]}
                     for d in densities]
        ok = [p for p in points[s] if p["ACC"]["mean"] is not None and p["ACC"]["mean"] >= target]
        smallest[s] = ({"density": ok[0]["density"], "edges": ok[0]["edges"]["mean"]} if ok else None)
    return SweepResult(config, tuple(strategies), densities, tuple(int(s) for s in seeds),
                       float(target), points, smallest)


def format_sweep(result: SweepResult) -> str:
    """Plain-text accuracy-vs-edges table and the smallest budget reaching the target.

    Examples
    --------
    >>> cfg = ContinualConfig(benchmark="split-digits", n_tasks=2, epochs=1, min_steps=20,
    ...                       retrain_min_steps=0, scratch_reference=False, attachment_bootstrap=0)
    >>> print(format_sweep(run_sweep(cfg, densities=[0.05], strategies=["uniform"], seeds=[0],
    ...                              device="cpu")))  # doctest: +ELLIPSIS
    density ...
    """
    lines = ["density  " + "  ".join(f"{s + ' ACC [95 %] (edges)':>38}" for s in result.strategies)]
    for i, d in enumerate(result.densities):
        cells = []
        for s in result.strategies:
            p = result.points[s][i]
            cells.append(f"{_cell(p['ACC'])} ({p['edges']['mean']:.0f})".rjust(38))
        lines.append(f"{d:<7g}  " + "  ".join(cells))
    lines.append(f"smallest budget reaching mean ACC {result.target:g} "
                 f"({len(result.seeds)} seeds):")
    for s in result.strategies:
        sm = result.smallest[s]
        lines.append(f"  {s}: " + ("not reached at any density" if sm is None else
                                   f"density {sm['density']:g}, {sm['edges']:.0f} edges"))
    return "\n".join(lines)
