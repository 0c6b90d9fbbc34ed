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

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..errors import UsageError

__all__ = ["ContinualMetrics", "accuracy_metrics", "steps_to_fraction", "DEFINITIONS"]

DEFINITIONS = {
    "R": "R[0,j]: accuracy on task j before training; R[i,j]: after training tasks 0..i-1",
    "ACC": "mean_j R[T,j]",
    "BWT": "mean_{j<T-1} (R[T,j] - R[j+1,j])  (Lopez-Paz & Ranzato 2017)",
    "FWT": "mean_{j>=1} (R[j,j] - R[0,j])  (Lopez-Paz & Ranzato 2017)",
    "forgetting": "mean_{j<T-1} max_{j+1<=l<=T-1} R[l,j] - R[T,j]  (Chaudhry et al. 2018)",
    "steps_to_95": "first optimiser step at which the task's test accuracy reached 95% of its "
                   "final value during its main training phase",
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
