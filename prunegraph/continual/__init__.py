"""Continual learning on pruned networks: ownership, growth scheduler, driver, metrics.

See ``DESIGN.md`` ("Continual learning"). Modules, one job each: ``config`` (options,
benchmarks, optimiser defaults), ``budget`` (edges per task and layer), ``growth`` (growth
kernels), ``scheduler`` (grow before a task, prune after it), ``ownership`` (who owns which
weight), ``distributed`` (torchrun helpers, device choice), ``checkpoint`` (continual
checkpoints), ``metrics`` (accuracy-matrix metrics), ``driver`` (the task loop), ``compare``.

Examples
--------
>>> from prunegraph.continual import ContinualConfig, run_continual
>>> res = run_continual(ContinualConfig(benchmark="split-digits", n_tasks=2, epochs=1), device="cpu")
>>> res.completed_tasks
2
"""

from __future__ import annotations

from .budget import fit_budget_scale
from .checkpoint import load_checkpoint_manifest
from .config import BENCHMARKS, BUDGET_MODES, SCENARIOS, ContinualConfig
from .driver import ContinualResult, pa_fallback_share, run_continual
from .growth import (
           STRATEGIES,
           GrowthDecision,
           ShiftedLinearKernel,
           fit_kernel,
           grow_layer,
           sample_edges,
)
from .metrics import ContinualMetrics, accuracy_metrics, steps_to_fraction
from .ownership import FREE, OWNER_SUFFIX, Ownership, prunable_layers

__all__ = ["BENCHMARKS", "BUDGET_MODES", "SCENARIOS", "fit_budget_scale", "pa_fallback_share", "ContinualConfig",
           "ContinualResult", "run_continual",
           "load_checkpoint_manifest", "STRATEGIES", "GrowthDecision", "ShiftedLinearKernel",
           "fit_kernel", "grow_layer", "sample_edges", "ContinualMetrics", "accuracy_metrics",
           "steps_to_fraction", "FREE", "OWNER_SUFFIX", "Ownership", "prunable_layers"]
