"""Typed records of a continual run: one :class:`TaskRecord` per task, with its per-layer
:class:`LayerBudget` (how many edges the task may keep, :func:`prunegraph.continual.budget.budget_details`),
:class:`LayerGrowth` (what the growth rule used) and :class:`TaskCompute`.

Each record's ``to_dict()`` is its part of the results JSON (``prunegraph-continual-results/1``,
schema ``prunegraph/continual_schema.json``) and of the checkpoint manifest, written by the
package's one JSON encoder (:func:`prunegraph._io.dumps_json`); ``from_dict()`` reads it back.
Nested parts that are other modules' records already (growth decisions, attachment reports,
prune rounds) stay the plain dicts those modules' ``to_dict()`` give.

Examples
--------
>>> b = LayerBudget(mode="fixed", free=100, unfloored=12, floor=10, budget=12, raw_weights_per_edge=1)
>>> b.to_dict()
{'mode': 'fixed', 'free': 100, 'unfloored': 12, 'floor': 10, 'budget': 12, 'raw_weights_per_edge': 1}
>>> LayerBudget.from_dict(b.to_dict()) == b
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from ..errors import InputError

__all__ = ["LayerBudget", "LayerGrowth", "TaskCompute", "TaskRecord"]

R = TypeVar("R", bound="_Record")


class _Record:
    """``to_dict``/``from_dict`` for a flat frozen dataclass; fields in ``_omit_none`` are left
    out of the dict when None (keys that exist only in some modes)."""

    _omit_none: ClassVar[frozenset[str]] = frozenset()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            if v is None and f.name in self._omit_none:
                continue
            out[f.name] = _plain(v)
        return out

    @classmethod
    def from_dict(cls: type[R], d: Mapping[str, Any]) -> R:
        names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
        missing = [n for n in names if n not in d and n not in cls._omit_none]
        extra = [k for k in d if k not in names]
        if missing or extra:
            raise InputError(f"{cls.__name__}: a record of another format (missing {missing}, unknown "
                             f"{extra}); read it with the prunegraph version that wrote it")
        return cls(**{k: v for k, v in d.items()})


def _plain(v: Any) -> Any:
    if isinstance(v, _Record):
        return v.to_dict()
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


@dataclass(frozen=True)
class LayerBudget(_Record):
    """One layer's edge budget for one task (:func:`prunegraph.continual.budget.budget_details`).

    Attributes
    ----------
    mode : str
        ``"fixed"``, ``"share"``, ``"fit"`` or ``"head"`` (an output head).
    free : int
        Free edge positions before the task.
    unfloored : int
        The budget of the mode before the floor and the free positions bound it.
    floor : int
        ``ceil(min_fanin * out_units)`` (0 for a head).
    budget : int
        Edges the task keeps: ``max(0, min(max(unfloored, floor), free))``.
    raw_weights_per_edge : int
        Kernel entries per edge (1 for a Linear layer).
    fit, base : dict and int, optional
        ``budget="fit"`` only: the fitted scale (:func:`~prunegraph.continual.budget.fit_budget_scale`)
        and the budget before scaling.
    """

    mode: str
    free: int
    unfloored: int
    floor: int
    budget: int
    raw_weights_per_edge: int
    fit: dict[str, Any] | None = None
    base: int | None = None

    _omit_none: ClassVar[frozenset[str]] = frozenset({"fit", "base"})


@dataclass(frozen=True)
class LayerGrowth(_Record):
    """What one layer's growth used for one task: its budget and, for ``pa``, the kernel of each
    side (``alpha_*`` the CSN exponent when that power law is plausible, ``fitted_alpha_*`` the
    fitted one, ``A_*`` the kernel's shift).

    ``fallback_*`` (per side) and ``pa_fell_back`` (either side; None where ``pa`` did not grow
    the layer) are True when the side's degrees have **no plausible power law**
    (:func:`prunegraph.continual.growth.power_law_record`).  The names are historical: an early
    kernel fell back to a default there, but the kernel f(k) = (k + A)^γ now takes
    (A, γ) from the layer's own fitted degree law (:func:`~prunegraph.continual.fit_kernel`)
    whether or not a power law is plausible, so these flags record the degree law, not a change
    of kernel.  The names stay: they are keys of the results JSON (``continual_schema.json``).
    """

    budget_mode: str
    budget: int
    strategy: str
    grown: int | None
    alpha_in: float | None
    fitted_alpha_in: float | None
    fallback_in: bool | None
    A_in: float | None
    alpha_out: float | None
    fitted_alpha_out: float | None
    fallback_out: bool | None
    A_out: float | None
    pa_fell_back: bool | None


@dataclass(frozen=True)
class TaskCompute(_Record):
    """Training compute of one task: trainable weights, optimiser steps (training and
    retraining) and weight updates (trainable weights × steps, summed over phases)."""

    trainable_weights: int
    steps: int
    weight_updates: int


@dataclass(frozen=True)
class TaskRecord(_Record):
    """Everything one task of a continual run recorded (``ContinualResult.tasks``; the JSON's
    ``tasks[]``; :mod:`prunegraph.continual.driver` explains each stage).  Non-finite floats are
    None (the JSON has no NaN)."""

    task: int
    classes: list[int]
    head_units: list[int]
    optimizer: str
    lr: float
    budgets: dict[str, int]
    budget_mode: str
    budget_details: dict[str, LayerBudget]
    growth_strategy: str
    growth: list[dict[str, Any]]
    layers: dict[str, LayerGrowth]
    edges: dict[str, int]
    train_steps: int
    retrain_steps: int
    curve_steps: list[int]
    curve_accuracy: list[float]
    curve_eval_seconds: float
    steps_to_95: int | None
    steps_to_target: int | None
    curve_area: float | None
    compute: TaskCompute
    scratch_accuracy: float | None
    near_chance: bool
    chance: float
    exhausted_layers: list[str]
    capacity: dict[str, dict[str, Any]]
    dst_updates: list[Any]
    prune_rounds: list[dict[str, Any]]
    attachment: dict[str, Any]
    beta_in: float | None
    beta_in_per_layer: dict[str, float | None]
    seconds: float

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TaskRecord:
        """The record from its ``to_dict()`` (a results JSON's ``tasks[i]`` or a checkpoint's)."""
        rec = super().from_dict(d)
        return dataclasses.replace(
            rec,
            budget_details={k: v if isinstance(v, LayerBudget) else LayerBudget.from_dict(v)
                            for k, v in rec.budget_details.items()},
            layers={k: v if isinstance(v, LayerGrowth) else LayerGrowth.from_dict(v) for k, v in rec.layers.items()},
            compute=rec.compute if isinstance(rec.compute, TaskCompute) else TaskCompute.from_dict(rec.compute))
