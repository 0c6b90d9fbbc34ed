"""Continual-learning metrics from the accuracy matrix.

``R`` has ``T + 1`` rows and ``T`` columns: ``R[0, j]`` is the accuracy on task j before any
training (the network at initialisation, as task j sees it), ``R[i, j]`` (i ≥ 1) the accuracy on
task j after training tasks 0..i-1 (i.e. after the i-th task). With :math:`b_j = R_{0,j}`:

* ACC :math:`= \\frac1T \\sum_j R_{T,j}`
* BWT :math:`= \\frac1{T-1} \\sum_{j<T} (R_{T,j} - R_{j+1,j})`  (Lopez-Paz & Ranzato, NeurIPS 2017)
* FWT :math:`= \\frac1{T-1} \\sum_{j\\ge 1} (R_{j,j} - b_j)`  (accuracy on task j just before
  training it, minus its accuracy at initialisation; Lopez-Paz & Ranzato 2017)
* forgetting :math:`= \\frac1{T-1} \\sum_{j<T-1} \\max_{l \\in [j+1, T-1]} (R_{l,j} - R_{T,j})`
  (Chaudhry et al., ECCV 2018: best accuracy ever reached on j before the end minus final).

All indices here are 0-based tasks; the matrix rows are shifted by one for the "before" row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import UsageError

__all__ = ["ContinualMetrics", "accuracy_metrics", "steps_to_fraction", "steps_to_target",
           "curve_area", "mean_ci", "paired_differences", "transfer_vs_scratch", "DEFINITIONS"]

DEFINITIONS = {
    "R": "R[0,j]: accuracy on task j before training; R[i,j]: after training tasks 0..i-1",
    "ACC": "mean_j R[T,j]",
    "BWT": "mean_{j<T-1} (R[T,j] - R[j+1,j])  (Lopez-Paz & Ranzato 2017)",
    "FWT": "mean_{j>=1} (R[j,j] - R[0,j])  (Lopez-Paz & Ranzato 2017)",
    "forgetting": "mean_{j<T-1} max_{j+1<=l<=T-1} R[l,j] - R[T,j]  (Chaudhry et al. 2018)",
    "steps_to_95": "first optimiser step at which the task's test accuracy reached 95% of its "
                   "final value during its main training phase (relative to the run's own final "
                   "accuracy: not comparable across strategies; see steps_to_target)",
    "steps_to_target": "optimiser steps (training + retraining, counted in one sequence) until "
                       "the task's accuracy on its full test set first reached the absolute "
                       "target_accuracy; null (printed 'not reached') when it never did",
    "curve_area": "area under the task's learning curve (full test set, training + retraining) "
                  "divided by its steps: mean accuracy over the task's updates, in [0, 1]",
    "FWT_scratch": "mean_{j>=1} (R[j+1,j] - S_j), S_j the accuracy of a network trained from "
                   "scratch on task j alone with the same per-layer edge budget, steps and "
                   "optimiser (uniform growth); > 0: earlier tasks' frozen weights help",
    "compute": "per task: sum over its training phases of trainable weights x steps "
               "(weight-updates); kernels count every weight",
    "beta": "attachment exponent of the edges task t kept, from kappa(k) ~ k^(beta+1) over the "
            "degrees of task t-1's network (Jeong et al. 2003); beta_per_task pools the hidden "
            "layers, which biases it when their widths differ (random edges give beta > 0); "
            "tasks[].beta_in_per_layer measures each layer alone (beta = 0: no preference)",
}


@dataclass(frozen=True)
class ContinualMetrics:
    """ACC, BWT, FWT and forgetting of one accuracy matrix (None when undefined, T = 1)."""

    acc: float
    bwt: float | None
    fwt: float | None
    forgetting: float | None
    n_tasks: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        f = lambda v: None if v is None else float(v)  # noqa: E731
        return {"ACC": f(self.acc), "BWT": f(self.bwt), "FWT": f(self.fwt),
                "forgetting": f(self.forgetting), "n_tasks": int(self.n_tasks)}


def accuracy_metrics(R: Sequence[Sequence[float]] | np.ndarray) -> ContinualMetrics:
    """Compute ACC, BWT, FWT and forgetting from ``R`` (shape ``[T + 1, T]``).

    Examples
    --------
    >>> R = [[0.5, 0.5], [0.9, 0.6], [0.8, 0.95]]
    >>> m = accuracy_metrics(R)
    >>> round(m.acc, 3), round(m.bwt, 3), round(m.fwt, 3), round(m.forgetting, 3)
    (0.875, -0.1, 0.1, 0.1)
    """
    R = np.asarray(R, dtype=float)
    if R.ndim != 2 or R.shape[0] != R.shape[1] + 1 or R.shape[1] < 1:
        raise UsageError(f"accuracy matrix must have shape [T+1, T], got {R.shape}")
    if not np.all(np.isfinite(R)):
        raise UsageError("accuracy matrix holds NaN/inf; complete every row before computing metrics")
    T = R.shape[1]
    acc = float(R[T].mean())
    if T == 1:
        return ContinualMetrics(acc, None, None, None, 1)
    bwt = float(np.mean([R[T, j] - R[j + 1, j] for j in range(T - 1)]))
    fwt = float(np.mean([R[j, j] - R[0, j] for j in range(1, T)]))
    forg = float(np.mean([R[j + 1:T, j].max() - R[T, j] for j in range(T - 1)]))
    return ContinualMetrics(acc, bwt, fwt, forg, T)


def steps_to_fraction(steps: Sequence[int], accuracy: Sequence[float], *,
                      fraction: float = 0.95) -> int | None:
    """First step whose accuracy reaches ``fraction`` × the final accuracy of the curve.

    Examples
    --------
    >>> steps_to_fraction([0, 10, 20, 30], [0.5, 0.7, 0.96, 1.0])
    20
    """
    if len(steps) != len(accuracy):
        raise UsageError("steps and accuracy must have the same length")
    if not len(steps):
        return None
    target = fraction * float(accuracy[-1])
    for s, a in zip(steps, accuracy):
        if a >= target:
            return int(s)
    return int(steps[-1])  # pragma: no cover - the last point always qualifies


def steps_to_target(steps: Sequence[int], accuracy: Sequence[float], target: float) -> int | None:
    """First step whose accuracy reaches the absolute ``target``; None when never reached.

    Examples
    --------
    >>> steps_to_target([0, 1, 2, 5], [0.5, 0.8, 0.91, 0.95], 0.9)
    2
    >>> steps_to_target([0, 1], [0.5, 0.6], 0.9) is None
    True
    """
    if len(steps) != len(accuracy):
        raise UsageError("steps and accuracy must have the same length")
    for s, a in zip(steps, accuracy):
        if a >= target:
            return int(s)
    return None


def curve_area(steps: Sequence[int], accuracy: Sequence[float]) -> float | None:
    """Trapezoid area under the learning curve divided by its step span (mean accuracy).

    Examples
    --------
    >>> curve_area([0, 10], [0.5, 1.0])
    0.75
    """
    s = np.asarray(steps, float)
    a = np.asarray(accuracy, float)
    if s.size < 2 or s[-1] <= s[0]:
        return None
    return float(np.sum((a[1:] + a[:-1]) / 2 * np.diff(s)) / (s[-1] - s[0]))


def mean_ci(values: Sequence[float], *, level: float = 0.95) -> dict[str, Any]:
    """Mean, sample sd and the Student-t ``level`` interval of the mean.

    Examples
    --------
    >>> d = mean_ci([1.0, 2.0, 3.0])
    >>> d["mean"], round(d["ci"][0], 3), round(d["ci"][1], 3)
    (2.0, -0.484, 4.484)
    """
    from scipy import stats

    v = np.asarray([x for x in values if x is not None], dtype=float)
    if v.size == 0:
        return {"mean": None, "sd": None, "ci": None, "n": 0}
    if v.size == 1:
        return {"mean": float(v[0]), "sd": None, "ci": None, "n": 1}
    sd = float(v.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * sd / np.sqrt(v.size))
    m = float(v.mean())
    return {"mean": m, "sd": sd, "ci": [m - half, m + half], "n": int(v.size)}


def paired_differences(a: Sequence[float], b: Sequence[float], *, level: float = 0.95) -> dict[str, Any]:
    """Per-seed differences a − b: mean with its t interval, and how often a > b.

    Examples
    --------
    >>> d = paired_differences([0.9, 0.8, 0.85], [0.8, 0.8, 0.8])
    >>> round(d["mean"], 3), d["wins"], d["ties"], d["n"]
    (0.05, 2, 1, 3)
    """
    pairs = [(x, y) for x, y in zip(a, b) if x is not None and y is not None]
    diffs = [x - y for x, y in pairs]
    out = mean_ci(diffs, level=level)
    out["wins"] = int(sum(d > 0 for d in diffs))
    out["ties"] = int(sum(d == 0 for d in diffs))
    return out


def transfer_vs_scratch(R: Sequence[Sequence[float]], scratch: Sequence[float | None]) -> float | None:
    """FWT against from-scratch models: mean over j >= 1 of R[j+1, j] − S_j.

    Examples
    --------
    >>> transfer_vs_scratch([[0.5, 0.5], [0.9, 0.5], [0.9, 0.8]], [None, 0.7])
    0.10000000000000009
    """
    Ra = np.asarray(R, dtype=float)
    d = [Ra[j + 1, j] - s for j, s in enumerate(scratch) if j >= 1 and s is not None and j + 1 < len(Ra)]
    return float(np.mean(d)) if d else None
