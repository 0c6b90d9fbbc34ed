"""Continual learning on pruned networks: ownership, growth scheduler, driver, metrics.

See ``DESIGN.md`` ("Continual learning") and :mod:`prunegraph.continual.driver`.

Examples
--------
>>> from prunegraph.continual import ContinualConfig, run_continual
>>> res = run_continual(ContinualConfig(benchmark="split-digits", n_tasks=2, epochs=1), device="cpu")
>>> res.completed_tasks
2
"""

from __future__ import annotations

from .driver import (BENCHMARKS, BUDGET_MODES, ContinualConfig, ContinualResult, fit_budget_scale,
                     load_checkpoint_manifest, pa_fallback_share, run_continual)
from .growth import STRATEGIES, GrowthDecision, ShiftedLinearKernel, fit_kernel, grow_layer, sample_edges
from .metrics import ContinualMetrics, accuracy_metrics, steps_to_fraction
from .ownership import FREE, OWNER_SUFFIX, Ownership, prunable_layers

__all__ = ["BENCHMARKS", "BUDGET_MODES", "fit_budget_scale", "pa_fallback_share", "ContinualConfig", "ContinualResult", "run_continual",
           "load_checkpoint_manifest", "STRATEGIES", "GrowthDecision", "ShiftedLinearKernel",
           "fit_kernel", "grow_layer", "sample_edges", "ContinualMetrics", "accuracy_metrics",
           "steps_to_fraction", "FREE", "OWNER_SUFFIX", "Ownership", "prunable_layers"]
