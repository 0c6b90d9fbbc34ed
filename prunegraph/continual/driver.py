"""Continual-learning driver: grow → train → prune → freeze, task after task.

Per task t (see ``DESIGN.md``, "Continual learning"):

1. **Grow** (:mod:`prunegraph.continual.scheduler`, budgets from
   :mod:`prunegraph.continual.budget`). ``pa``/``uniform``/``gradient`` grow
   :math:`\\lceil` ``grow_factor`` :math:`\\cdot K_l \\rceil` edges, ``packnet`` all free ones,
   and so does task 0 when ``first="dense"``. Grown edges start from the model's initial
   (seeded) weights.
2. **Train** only the task's own weights through :func:`prunegraph.training.train.train` with its hooks:
   a gradient mask, frozen entries restored after every step (so they stay bit-identical), the
   all-reduce of gradients under ``torchrun`` (:mod:`prunegraph.continual.distributed`), and
   normalisation layers in eval mode after task 0. The optimiser is rebuilt for every phase.
   A task trains ``max(epochs · batches, min_steps)`` steps (:mod:`prunegraph.continual.config`).
   Biases/normalisation: see :mod:`prunegraph.continual.ownership`.
3. **Prune** the task's edges to :math:`K_l` by magnitude (:func:`prunegraph.training.prune.top_k_mask`),
   in ``prune_iterations`` rounds, each followed by retraining.
4. **Freeze** (ownership is final) and evaluate every task as it sees the network
   (task-incremental: weights with ``0 <= owner <= j``, logits of task j's units;
   domain-incremental: the current network and the shared head).

Randomness: every stage draws from ``numpy.random.SeedSequence([seed, task, stage])``, so a
run resumed from the checkpoint (:mod:`prunegraph.continual.checkpoint`) after task t
continues exactly as the uninterrupted run.
"""

from __future__ import annotations

import logging
import math
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .._progress import progress as _progress
from .._rng import seed_int
from ..errors import InputError, UsageError
from .budget import budget_details, fit_budget_scale
from .checkpoint import CHECKPOINT_FORMAT, load_checkpoint_manifest, save_run
from .config import (
    BENCHMARKS,
    BUDGET_MODES,
    ContinualConfig,
    resolve_optimizer,
    stage_rng,
)
from .distributed import Dist, select_device, set_deterministic
from .dst import DST_STRATEGIES, DynamicSparse
from .metrics import (
    DEFINITIONS,
    accuracy_metrics,
    curve_area,
    steps_to_fraction,
    steps_to_target,
    transfer_vs_scratch,
)
from .ownership import Ownership
from .records import LayerBudget, LayerGrowth, TaskRecord
from .scheduler import gradient_scores, grow_task, growth_strategy, prune_task

__all__ = ["BENCHMARKS", "BUDGET_MODES", "resolve_optimizer", "fit_budget_scale", "pa_fallback_share",
           "ContinualConfig", "ContinualResult", "run_continual", "load_checkpoint_manifest",
           "CHECKPOINT_FORMAT", "NearChanceWarning", "CapacityWarning"]

log = logging.getLogger(__name__)

_NORM = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.LayerNorm, nn.GroupNorm)
#: a task "ends near chance" when its accuracy right after training is below chance + this
NEAR_CHANCE_MARGIN = 0.1


class NearChanceWarning(UserWarning):
    """A task ended with accuracy near chance (it did not learn)."""


class CapacityWarning(UserWarning):
    """A task found a hidden layer with no free edge positions left."""


@dataclass(frozen=True)
class ContinualResult:
    """Outcome of a continual run (``to_dict`` is the results JSON)."""

    config: ContinualConfig
    R: tuple
    metrics: dict
    edges_per_task: dict
    edges_total: int
    steps_to_95: tuple
    beta_per_task: tuple
    tasks: tuple[TaskRecord, ...]
    wall_time_s: float
    world_size: int
    device: str
    completed_tasks: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (the results file)."""
        return {
            "format": "prunegraph-continual-results/1",
            "config": self.config.to_dict(),
            "R": [list(map(float, r)) for r in self.R],
            "metrics": dict(self.metrics),
            "definitions": dict(DEFINITIONS),
            "edges_per_task": {k: list(v) for k, v in self.edges_per_task.items()},
            "edges_per_task_total": [int(sum(v[t] for v in self.edges_per_task.values()))
                                     for t in range(self.completed_tasks)],
            "edges_total": int(self.edges_total),
            "steps_to_95": list(self.steps_to_95),
            "beta_per_task": list(self.beta_per_task),
            "tasks": [t.to_dict() for t in self.tasks],
            "wall_time_s": float(self.wall_time_s),
            "world_size": int(self.world_size),
            "device": self.device,
            "completed_tasks": int(self.completed_tasks),
        }


# ============================================================================ helpers
@dataclass
class _Stream:
    tasks: list
    input_shape: tuple
    num_classes: int
    head_units: list           # per task: output units of the task's head
    n_labels: int
    offsets: list              # per task: added to its labels to give its head units


def _build_stream(cfg: ContinualConfig) -> _Stream:
    from ..models.data import task_stream

    dataset, stream_type = BENCHMARKS[cfg.benchmark]
    tasks = task_stream(dataset, stream_type=stream_type, n_tasks=cfg.n_tasks, rng=cfg.seed,
                        n_train=cfg.n_train, n_test=cfg.n_test)
    input_shape = tuple(int(s) for s in tasks[0].train[0].shape[1:])
    n_labels = int(max(max(t.classes) for t in tasks)) + 1
    if stream_type == "permuted" and cfg.scenario == "task":
        heads = [[t * n_labels + c for c in range(n_labels)] for t in range(cfg.n_tasks)]
        num_classes = n_labels * cfg.n_tasks
        offsets = [t * n_labels for t in range(cfg.n_tasks)]
    else:
        heads = [list(t.classes) for t in tasks]
        num_classes = n_labels
        offsets = [0] * cfg.n_tasks
    return _Stream(tasks, input_shape, num_classes, heads, n_labels, offsets)


def _unit_labels(stream: _Stream, task: int, y: torch.Tensor, cfg: ContinualConfig) -> torch.Tensor:
    return y + stream.offsets[task] if stream.offsets[task] else y


def _logit_units(stream: _Stream, cfg: ContinualConfig, task: int, upto: int) -> list[int]:
    """Output units read for ``task`` when the network has been trained through ``upto``."""
    if cfg.scenario == "task":
        return list(stream.head_units[task])
    units = sorted({u for t in range(max(task, upto) + 1) for u in stream.head_units[t]})
    return units


def _set_modes(model: nn.Module, task: int) -> None:
    model.train()
    if task > 0:
        for m in model.modules():
            if isinstance(m, _NORM):
                m.eval()


def _accuracy(model, X, y_units, units, device) -> float:
    from ..training.train import evaluate

    return float(evaluate(model, X, y_units, device=device, head=units))


# ============================================================================ the runner
class _Runner:
    def __init__(self, cfg: ContinualConfig, *, device=None, progress: bool = False,
                 stream: _Stream | None = None, scratch_cache: str | os.PathLike | None = None):
        from ..models.zoo import get_model

        self.cfg = cfg
        self.device = select_device(device)
        self.deterministic = set_deterministic(self.device)
        self.dist = Dist(self.device)
        self.progress = progress
        self.scratch_cache = scratch_cache
        self.stream = _build_stream(cfg) if stream is None else stream
        self.model = get_model(cfg.model, num_classes=self.stream.num_classes,
                               input_shape=self.stream.input_shape, rng=cfg.seed).to(self.device)
        self.init = {n: p.detach().clone() for n, p in self.model.named_parameters()}
        self.optimizer, self.lr = resolve_optimizer(cfg, self.model)
        self.own = Ownership(self.model, self.stream.head_units)
        self.own.apply_visibility(0)
        self.layers = self.own.layers
        T = len(self.stream.tasks)
        self.R = [[float("nan")] * T for _ in range(T + 1)]
        self.records: list[TaskRecord] = []
        self.completed = 0
        self.elapsed = 0.0
        self._data: dict[int, tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]] = {}

    # ---------------------------------------------------------------- data
    def data(self, t: int):
        if t not in self._data:
            task = self.stream.tasks[t]
            Xtr, ytr = task.train
            Xte, yte = task.test
            ytr = _unit_labels(self.stream, t, ytr, self.cfg)
            yte = _unit_labels(self.stream, t, yte, self.cfg)
            dev = self.device
            self._data[t] = (Xtr.to(dev), ytr.to(dev), Xte.to(dev), yte.to(dev))
        return self._data[t]

    # ---------------------------------------------------------------- growth
    def grow(self, t: int, budgets: dict[str, int]):
        decisions = []
        if self.dist.rank == 0:
            grads = None
            if growth_strategy(self.cfg, t) == "gradient":
                Xtr, ytr, _, _ = self.data(t)
                grads = gradient_scores(self.model, self.own, self.init, Xtr, ytr,
                                        _logit_units(self.stream, self.cfg, t, t), self.cfg, t,
                                        lambda m: _set_modes(m, t))
            decisions = grow_task(self.cfg, self.own, self.init, t, budgets, grads=grads)
        self.dist.broadcast(list(self.own.owner.values())
                            + [p.data for p in self.own.params.values()])
        return decisions

    # ---------------------------------------------------------------- training
    def train_phase(self, t: int, epochs: int, stage: int, *, curve: dict | None,
                    min_steps: int = 0) -> dict:
        """Train task t's own entries; the global torch RNG (dropout) is seeded per phase and restored."""
        devices = [self.device.index or 0] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed_int(stage_rng(self.cfg, t, 100 + stage)))
            return self._train_phase(t, epochs, stage, curve=curve, min_steps=min_steps)

    def curve_point(self, t: int, curve: dict, step: int) -> None:
        """Append (step, accuracy on task t's test set) to ``curve``; time it."""
        t0 = time.perf_counter()
        _, _, Xte, yte = self.data(t)
        ne = yte.shape[0] if self.cfg.eval_samples is None else min(self.cfg.eval_samples, yte.shape[0])
        units = _logit_units(self.stream, self.cfg, t, t)
        curve["steps"].append(int(step))
        curve["accuracy"].append(_accuracy(self.model, Xte[:ne], yte[:ne], units, self.device))
        curve["eval_seconds"] += time.perf_counter() - t0

    def _train_phase(self, t: int, epochs: int, stage: int, *, curve: dict | None,
                     min_steps: int = 0) -> dict:
        from ..training.train import train

        cfg, model = self.cfg, self.model
        Xtr, ytr, _, _ = self.data(t)
        units = _logit_units(self.stream, cfg, t, t)
        self.own.apply_visibility(t)
        tr = self.own.trainable(t)
        params = self.own.params
        frozen = {n: p.detach().clone() for n, p in params.items()}
        masks = {n: m.to(params[n].dtype) for n, m in tr.items()}
        named = dict(model.named_parameters())
        offset = curve["offset"] if curve is not None else 0
        dst = None
        if stage == 2 and growth_strategy(cfg, t) in DST_STRATEGIES:
            n_batches = math.ceil(ytr.shape[0] / cfg.batch_size)
            total = max(epochs * n_batches, min_steps) if epochs else 0
            dst = DynamicSparse(growth_strategy(cfg, t), self.own, t, total, trainable=tr,
                                frozen=frozen, grad_masks=masks, init=self.init, cfg=cfg,
                                rng=stage_rng(cfg, t, 4))
        done = [0]

        def on_gradients(plist):
            self.dist.all_reduce_grads(plist)
            if dst is not None:
                dst.on_gradients(done[0] + 1)

        def after_step(step):
            done[0] = step
            with torch.no_grad():
                for name, p in params.items():
                    p.copy_(torch.where(tr[name], p, frozen[name]))
            if dst is not None and dst.due(step):
                dst.update(step)
            if curve is not None and (step <= cfg.eval_dense or step % cfg.eval_every == 0):
                self.curve_point(t, curve, offset + step)

        if curve is not None:  # phase start (after pruning: the pruned network, same step)
            self.curve_point(t, curve, offset)
        # the model's parameters not owned edge by edge (none in the zoo's models) stay frozen
        grad_mask = {n: masks.get(n, torch.zeros((), dtype=p.dtype)) for n, p in named.items()}
        res = train(model, Xtr, ytr, epochs=epochs, min_steps=min_steps, lr=self.lr,
                    batch_size=cfg.batch_size, rng=seed_int(stage_rng(cfg, t, stage)),
                    device=self.device, grad_mask=grad_mask, head=units, optimizer=self.optimizer,
                    shard=(self.dist.rank, self.dist.world), on_gradients=on_gradients,
                    after_step=after_step, set_mode=lambda m: _set_modes(m, t))
        step = res.steps
        if curve is not None:
            if curve["steps"][-1] != offset + step:
                self.curve_point(t, curve, offset + step)
            curve["offset"] = offset + step
        if not all(math.isfinite(float(p.detach().abs().sum())) for p in params.values()):
            raise UsageError(f"training diverged on task {t}; lower lr (now {self.lr})")
        trainable = int(sum(int(m.sum()) for m in tr.values()))
        return {"steps": step, "trainable_weights": trainable, "weight_updates": trainable * step,
                "dst_updates": [] if dst is None else dst.updates}

    # ---------------------------------------------------------------- one task's grow/train/prune
    def fit_task(self, t: int, budgets: dict[str, int]) -> dict:
        """Grow, train (learning curve), prune with retraining (curve continued): task t."""
        cfg = self.cfg
        decisions = self.grow(t, budgets)
        grown = {lay.param: (self.own.edge_owner(lay.param) == t).cpu().numpy() for lay in self.layers}
        curve: dict[str, Any] = {"steps": [], "accuracy": [], "offset": 0, "eval_seconds": 0.0}
        main = self.train_phase(t, cfg.epochs, stage=2, curve=curve, min_steps=cfg.min_steps)
        phases = [main]
        main_curve = (list(curve["steps"]), list(curve["accuracy"]))

        def retrain(it):
            ph = self.train_phase(t, cfg.retrain_epochs, stage=10 + it, curve=curve,
                                  min_steps=cfg.retrain_min_steps)
            phases.append(ph)
            return ph

        rounds = prune_task(cfg, self.own, t, budgets, retrain=retrain if cfg.retrain_epochs else None)
        if not cfg.retrain_epochs:  # the pruned network's accuracy closes the curve
            self.curve_point(t, curve, curve["offset"])
        return {"decisions": decisions, "grown": grown, "main": main, "main_curve": main_curve,
                "curve": curve, "phases": phases, "rounds": rounds}

    # ---------------------------------------------------------------- evaluation
    def eval_row(self, upto: int | None) -> list[float]:
        """Accuracy on every task: after training through ``upto`` (None: at initialisation)."""
        cfg, row = self.cfg, []
        for j in range(cfg.n_tasks):
            _, _, Xte, yte = self.data(j)
            if upto is None:
                saved = {n: p.detach().clone() for n, p in self.own.params.items()}
                with torch.no_grad():
                    for n, p in self.own.params.items():
                        p.copy_(self.init[n])
                units = _logit_units(self.stream, cfg, j, j)
                row.append(_accuracy(self.model, Xte, yte, units, self.device))
                with torch.no_grad():
                    for n, p in self.own.params.items():
                        p.copy_(saved[n])
                continue
            view = j if cfg.scenario == "task" else upto
            units = _logit_units(self.stream, cfg, j, upto)
            with self.own.view(view):
                row.append(_accuracy(self.model, Xte, yte, units, self.device))
        return row

    def attachment(self, t: int, grown: dict[str, np.ndarray]) -> dict:
        from ..attachment import attachment_kernel, measure_attachment

        hidden = [lay.param for lay in self.layers if not lay.is_head]
        if t == 0 or not hidden:
            return {"kept": None, "grown": None, "layers": hidden}
        before = self.own.edge_masks(upto=t - 1)
        after = self.own.edge_masks(upto=t)
        b = {k: before[k] for k in hidden}
        out: dict[str, Any] = {"layers": hidden}
        out["kept"] = measure_attachment(b, {k: after[k] for k in hidden},
                                         bootstrap=int(self.cfg.attachment_bootstrap),
                                         rng=stage_rng(self.cfg, t, 20)).to_dict()
        out["grown"] = measure_attachment(b, {k: b[k] | grown[k] for k in hidden},
                                          bootstrap=int(self.cfg.attachment_bootstrap),
                                          rng=stage_rng(self.cfg, t, 21)).to_dict()
        # Pooling layers of different widths biases β (uniformly random edges come out near
        # 0.35-0.55): the kept edges are also measured layer by layer, where β = 0 means none.
        out["kept_per_layer"] = {}
        for i, k in enumerate(hidden):
            gen = np.random.default_rng(stage_rng(self.cfg, t, 30 + i))
            out["kept_per_layer"][k] = {
                side: attachment_kernel(b[k], after[k], side=side, bootstrap=int(self.cfg.attachment_bootstrap),
                                        rng=gen).to_dict()
                for side in ("in", "out")}
        return out

    # ---------------------------------------------------------------- one task
    def check_head_capacity(self, t: int, details: dict) -> None:
        """Domain-incremental: refuse a task whose shared head has too few free edges left."""
        if self.cfg.scenario != "domain":
            return
        head = self.own.head
        need = len(self.stream.head_units[t])
        got = details[head.param].budget
        if got < need:
            raise UsageError(
                f"task {t}: the shared head {head.name} has {details[head.param].free} free "
                f"edges and a budget of {got}, fewer than its {need} output units (capacity "
                f"exhausted after {t} tasks); use fewer --tasks or a lower --head-density "
                f"(now {self.cfg.head_density}, each task keeps that share of the free head edges)")

    def capacity(self, t: int) -> dict[str, dict]:
        """Free edge positions per layer after task t (head: over all its rows)."""
        out = {}
        for layer in self.layers:
            eo = self.own.edge_owner(layer.param)
            total = int(eo.numel())
            free = int((eo == -1).sum())
            out[layer.param] = {"free": free, "total": total, "free_share": free / total}
        return out

    def run_task(self, t: int) -> None:
        cfg = self.cfg
        t0 = time.perf_counter()
        if t == 0:
            self.R[0] = self.eval_row(None)
        details = budget_details(cfg, self.own, t)
        self.check_head_capacity(t, details)
        budgets = {k: v.budget for k, v in details.items()}
        full = [lay.param for lay in self.layers if not lay.is_head and details[lay.param].free == 0]
        if full:
            warnings.warn(f"task {t}: capacity exhausted in {', '.join(full)} (no free edge "
                          "positions); the task grows no edges there and trains on the frozen "
                          "features of earlier tasks", CapacityWarning, stacklevel=2)
        fit = self.fit_task(t, budgets)
        strategy = growth_strategy(cfg, t)
        self.own.claim_trained(t)
        self.own.apply_visibility(t)
        self.R[t + 1] = self.eval_row(t)
        att = self.attachment(t, fit["grown"])
        scratch = _scratch_accuracy(cfg, self.stream, t, budgets, self.device,
                                    cache_dir=self.scratch_cache) if cfg.scratch_reference else None
        seconds = time.perf_counter() - t0
        beta = None
        beta_layers = {}
        if att.get("kept"):
            beta = att["kept"]["in"]["beta"]  # pooled over hidden layers: biased when widths differ
            beta_layers = {k: v["in"]["beta"] for k, v in att["kept_per_layer"].items()}
        units = self.stream.head_units[t]
        chance = 1.0 / len(units)
        final = self.R[t + 1][t]
        near = bool(final < chance + NEAR_CHANCE_MARGIN)
        if near:
            msg = (f"task {t} ended near chance: accuracy {final:.3f} with {len(units)} classes "
                   f"(chance {chance:.3f}); it did not learn. Give it more updates (--min-steps, "
                   f"now {cfg.min_steps}) or another --lr / --optimizer")
            warnings.warn(msg, NearChanceWarning, stacklevel=2)
        curve = fit["curve"]
        self.records.append(TaskRecord.from_dict(_finite_or_none({
            "task": t, "classes": list(self.stream.tasks[t].classes),
            "head_units": list(units),
            "optimizer": self.optimizer, "lr": self.lr,
            "budgets": budgets, "budget_mode": cfg.budget,
            "budget_details": {k: v.to_dict() for k, v in details.items()},
            "growth_strategy": strategy,
            "growth": [d.to_dict() for d in fit["decisions"]],
            "layers": {k: v.to_dict() for k, v in
                       _layer_summary(self.layers, details, fit["decisions"], strategy).items()},
            "edges": {lay.param: int((self.own.edge_owner(lay.param) == t).sum()) for lay in self.layers},
            "train_steps": fit["main"]["steps"],
            "retrain_steps": int(sum(p["steps"] for p in fit["phases"][1:])),
            "curve_steps": curve["steps"], "curve_accuracy": _compact(curve["accuracy"]),
            "curve_eval_seconds": curve["eval_seconds"],
            "steps_to_95": steps_to_fraction(*fit["main_curve"]),
            "steps_to_target": steps_to_target(curve["steps"], curve["accuracy"], cfg.target_accuracy),
            "curve_area": curve_area(curve["steps"], curve["accuracy"]),
            "compute": {"trainable_weights": fit["main"]["trainable_weights"],
                        "steps": int(sum(p["steps"] for p in fit["phases"])),
                        "weight_updates": int(sum(p["weight_updates"] for p in fit["phases"]))},
            "scratch_accuracy": scratch,
            "near_chance": near, "chance": chance, "exhausted_layers": full,
            "capacity": self.capacity(t),
            "dst_updates": fit["main"]["dst_updates"],
            "prune_rounds": fit["rounds"], "attachment": _compact(att), "beta_in": beta,
            "beta_in_per_layer": beta_layers,
            "seconds": seconds,
        })))
        self.completed = t + 1
        self.elapsed += seconds

    # ---------------------------------------------------------------- results / checkpoint
    def result(self) -> ContinualResult:
        done = self.completed
        T = self.cfg.n_tasks
        metrics = _run_metrics(self.cfg, self.R, self.records) if done == T else {}
        ept = self.own.edge_counts(done)
        return ContinualResult(
            config=self.cfg, R=tuple(tuple(r) for r in self.R[:done + 1]), metrics=metrics,
            edges_per_task=ept, edges_total=int(sum(sum(v) for v in ept.values())),
            steps_to_95=tuple(r.steps_to_95 for r in self.records),
            beta_per_task=tuple(r.beta_in for r in self.records), tasks=tuple(self.records),
            wall_time_s=self.elapsed, world_size=self.dist.world, device=str(self.device),
            completed_tasks=done)

    def manifest(self) -> dict:
        return {"format": CHECKPOINT_FORMAT, "config": self.cfg.to_dict(),
                "completed_tasks": self.completed, "R": [[None if math.isnan(v) else v for v in r]
                                                         for r in self.R],
                "records": [r.to_dict() for r in self.records], "elapsed_s": self.elapsed,
                "head_units": self.stream.head_units,
                "prunable": [lay.to_dict() for lay in self.layers],
                "rng": {"scheme": "numpy SeedSequence([seed, task, stage]) per stage",
                        "seed": self.cfg.seed}}

    def save(self, path: Path) -> None:
        if self.dist.rank != 0:
            return
        tensors = {n: p.detach() for n, p in self.model.state_dict().items()}
        tensors.update(self.own.state_entries())
        save_run(path, tensors, self.manifest(), model=self.cfg.model,
                 input_shape=self.stream.input_shape, num_classes=self.stream.num_classes)

    def restore(self, path: Path) -> None:
        man, tensors = load_checkpoint_manifest(path)
        if man["config"] != self.cfg.to_dict():
            diff = sorted(k for k in man["config"] if man["config"].get(k) != self.cfg.to_dict().get(k))
            raise UsageError(f"{path}: checkpoint was written with a different configuration "
                             f"(differs in {diff}); resume with the same options or start anew")
        state = {k: v for k, v in tensors.items() if not k.endswith("_owner")}
        try:
            self.model.load_state_dict(state)
        except RuntimeError as exc:
            raise InputError(f"{path}: weights do not fit the model ({str(exc).splitlines()[0]})") from None
        self.own.load_entries(tensors)
        self.completed = int(man["completed_tasks"])
        self.R = [[float("nan") if v is None else float(v) for v in r] for r in man["R"]]
        self.records = [TaskRecord.from_dict(r) for r in man["records"]]
        self.elapsed = float(man.get("elapsed_s", 0.0))


def _finite_or_none(x):
    """Replace non-finite floats (e.g. a fit's infinite sigma) by None, so the JSON is valid."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _finite_or_none(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite_or_none(v) for v in x]
    return x


def _compact(x, digits: int = 6):
    """Round the floats of numeric lists to ``digits`` significant digits (integral ones to int).

    For the long arrays of a task record (learning curves, attachment kernels Π, κ and their
    classes): the results JSON keeps what figures and metrics read at a third of the size;
    metrics are computed from the unrounded values before. Scalars are left as they are.

    Examples
    --------
    >>> _compact({"pi": [0.123456789, 2.0, None], "beta": 0.123456789})
    {'pi': [0.123457, 2, None], 'beta': 0.123456789}
    """
    if isinstance(x, dict):
        return {k: _compact(v, digits) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        if x and all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in x):
            return [v if not isinstance(v, float) else
                    (int(v) if v.is_integer() else float(f"{v:.{digits}g}")) for v in x]
        return [_compact(v, digits) for v in x]
    return x


def _mean(values) -> float | None:
    v = [float(x) for x in values if x is not None]
    return float(np.mean(v)) if v else None


def _run_metrics(cfg: ContinualConfig, R, records: list[TaskRecord]) -> dict:
    """ACC, BWT, FWT, forgetting, FWT_scratch, learning speed (task 0 apart), compute."""
    m = accuracy_metrics(R).to_dict()
    notes = {}
    if cfg.scenario == "task":
        why = ("0 by construction in the task-incremental scenario: earlier tasks' weights are "
               "frozen and each task reads its own head rows")
        notes["BWT"] = notes["forgetting"] = why
        notes["FWT"] = ("zero-shot transfer: R[j,j] before training minus R[0,j]; the task's head "
                        "rows are still zero then, so it reads the share of one class (an "
                        "artefact); use FWT_scratch")
    scratch = [r.scratch_accuracy for r in records]
    m["FWT_scratch"] = transfer_vs_scratch(R, scratch) if cfg.scratch_reference else None
    m["ACC_independent"] = _mean(scratch) if cfg.scratch_reference else None
    later = records[1:]
    tgt = [r.steps_to_target for r in later]
    m["target_accuracy"] = cfg.target_accuracy
    m["steps_to_target_mean"] = _mean(tgt) if all(v is not None for v in tgt) else None
    m["steps_to_target_reached"] = int(sum(v is not None for v in tgt))
    m["curve_area_mean"] = _mean(r.curve_area for r in later)
    m["task0"] = {"steps_to_target": records[0].steps_to_target,
                  "curve_area": records[0].curve_area,
                  "weight_updates": records[0].compute.weight_updates}
    m["weight_updates_mean"] = _mean(r.compute.weight_updates for r in later)
    m["near_chance_tasks"] = [r.task for r in records if r.near_chance]
    m["notes"] = notes
    return m


def _layer_summary(layers, details: dict[str, LayerBudget], decisions, strategy: str) -> dict[str, LayerGrowth]:
    """Per layer: budget mode and used, and what pa used (alpha in/out, fallback, shift A)."""
    by_name = {d.layer: d for d in decisions}
    out = {}
    for layer in layers:
        det = details[layer.param]
        dec = by_name.get(layer.name)
        kern = {k.side: k for k in (dec.kernels if dec is not None else ())}
        side: dict[str, Any] = {}
        for s in ("in", "out"):
            k = kern.get(s)
            side[f"alpha_{s}"] = None if k is None else k.alpha
            side[f"fitted_alpha_{s}"] = None if k is None else k.fitted_alpha
            side[f"fallback_{s}"] = None if k is None else (not k.plausible)
            side[f"A_{s}"] = None if k is None else k.offset
        out[layer.param] = LayerGrowth(
            budget_mode=det.mode, budget=det.budget, strategy=strategy, grown=None if dec is None else dec.grown,
            pa_fell_back=None if not kern else any(not k.plausible for k in kern.values()), **side)
    return out


def pa_fallback_share(results: ContinualResult | dict) -> tuple[int, int]:
    """(layer-tasks with no plausible power law on a side, layer-tasks grown by pa) in a run's
    result (or its results JSON): the share of ``LayerGrowth.pa_fell_back``, a historical name
    (the kernel does not change when it is True; see :class:`~prunegraph.continual.records.LayerGrowth`)."""
    if isinstance(results, ContinualResult):
        flags = [lay.pa_fell_back for rec in results.tasks for lay in rec.layers.values()]
    else:  # a results JSON as read from a file
        flags = [lay.get("pa_fell_back") for rec in results.get("tasks", [])
                 for lay in (rec.get("layers") or {}).values()]
    flags = [f for f in flags if f is not None]
    return int(sum(map(bool, flags))), len(flags)


#: in-process cache of from-scratch reference accuracies: scratch_key -> accuracy
_SCRATCH_CACHE: dict[str, float] = {}


def _solo_config(cfg: ContinualConfig) -> ContinualConfig:
    """The config of the from-scratch reference: task t alone, grown uniformly, sparse start."""
    from dataclasses import replace

    return replace(cfg, growth="uniform", first="sparse", scratch_reference=False,
                   attachment_bootstrap=0)


def scratch_key(cfg: ContinualConfig, t: int, budgets: dict[str, int], device) -> str:
    """Hash of everything that determines the from-scratch reference of task ``t``.

    The reference's own config (:func:`_solo_config`: the strategy is replaced by ``uniform``,
    so every strategy of a comparison shares it), the task, its per-layer budgets, the device
    type and the torch version (other kernels may round differently).

    Examples
    --------
    >>> a = scratch_key(ContinualConfig(growth="pa"), 1, {"fc1.weight": 10}, "cpu")
    >>> a == scratch_key(ContinualConfig(growth="rigl"), 1, {"fc1.weight": 10}, "cpu")
    True
    >>> a == scratch_key(ContinualConfig(growth="pa", seed=1), 1, {"fc1.weight": 10}, "cpu")
    False
    """
    import hashlib
    import json

    what = {"config": _solo_config(cfg).to_dict(), "task": int(t),
            "budgets": {k: int(v) for k, v in budgets.items()},
            "device": torch.device(device).type, "torch": torch.__version__}
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:32]


def _train_scratch(cfg: ContinualConfig, stream: _Stream, t: int, budgets: dict[str, int],
                   device) -> float:
    """Train task t alone from scratch at ``budgets``; its test accuracy."""
    solo_cfg = _solo_config(cfg)
    solo = _Stream([stream.tasks[t]], stream.input_shape, stream.num_classes,
                   [stream.head_units[t]], stream.n_labels, [stream.offsets[t]])
    sub = _Runner(solo_cfg, device=device, stream=solo)
    sub.fit_task(0, budgets)
    sub.own.claim_trained(0)
    sub.own.apply_visibility(0)
    _, _, Xte, yte = sub.data(0)
    with sub.own.view(0):
        return _accuracy(sub.model, Xte, yte, list(solo.head_units[0]), sub.device)


def _scratch_accuracy(cfg: ContinualConfig, stream: _Stream, t: int, budgets: dict[str, int],
                      device, cache_dir: str | os.PathLike | None = None) -> float:
    """Accuracy of a fresh network trained on task t alone with the same edge budgets.

    Uniform growth of ``grow_factor`` × budget edges from the same seeded initialisation, the
    same optimiser, steps and pruning (task t is the only task, so it grows into an empty
    network and trains its own biases). It does not depend on the run's strategy, so it is
    computed once per :func:`scratch_key` (config without the strategy, task, budgets, device,
    torch version) and reused: in memory within one process (every strategy and seed of a
    ``compare`` or ``sweep``), and across processes when ``cache_dir`` is given (one small
    JSON file per key, written atomically by rank 0). Reused values are the computed ones
    bit for bit (``tests/test_continual_metrics.py``).
    """
    import json

    key = scratch_key(cfg, t, budgets, device)
    if key in _SCRATCH_CACHE:
        return _SCRATCH_CACHE[key]
    path = Path(cache_dir) / f"scratch-{key}.json" if cache_dir is not None else None
    if path is not None and path.exists():
        try:
            acc = float(json.loads(path.read_text(encoding="utf-8"))["accuracy"])
        except (ValueError, KeyError, TypeError):
            raise InputError(f"{path}: not a scratch-reference cache entry; delete it (the "
                             "reference is then trained again)") from None
        log.debug("scratch reference of task %d read from %s", t, path)
    else:
        acc = _train_scratch(cfg, stream, t, budgets, device)
        if path is not None and int(os.environ.get("RANK", "0")) == 0:
            from .._io import write_json

            path.parent.mkdir(parents=True, exist_ok=True)
            write_json(path, {"accuracy": acc, "task": int(t), "budgets": budgets,
                              "config": _solo_config(cfg).to_dict(),
                              "device": torch.device(device).type, "torch": torch.__version__})
    _SCRATCH_CACHE[key] = acc
    return acc


def run_continual(config: ContinualConfig, *, checkpoint: str | os.PathLike | None = None,
                  resume: bool = False, stop_after: int | None = None,
                  device: str | None = None, progress: bool = False,
                  on_task: Callable[[int], None] | None = None,
                  scratch_cache: str | os.PathLike | None = None) -> ContinualResult:
    """Run the grow → train → prune → freeze schedule over a task stream.

    Parameters
    ----------
    config : ContinualConfig
    checkpoint : path, optional
        safetensors file written (atomically) after every task: weights, ``<p>_owner``
        buffers, and a manifest (config, accuracy matrix, per-task records) in the metadata.
    resume : bool
        Continue from ``checkpoint`` if it exists (identical results to an uninterrupted run).
    stop_after : int, optional
        Stop after this many completed tasks (the result then holds a partial matrix).
    device : str, optional
        Default CUDA when present.
    progress : bool
        Progress bar over tasks.
    on_task : callable, optional
        Called with the task id after each completed task (and its checkpoint).
    scratch_cache : path, optional
        Folder of from-scratch reference accuracies shared between processes (one JSON file per
        :func:`scratch_key`); within a process they are always reused. Delete it after changing
        the training code.

    Returns
    -------
    ContinualResult

    Examples
    --------
    >>> cfg = ContinualConfig(benchmark="split-digits", n_tasks=2, epochs=1, growth="uniform")
    >>> res = run_continual(cfg, device="cpu")
    >>> len(res.R), res.metrics["BWT"]
    (3, 0.0)
    """
    runner = _Runner(config, device=device, progress=progress, scratch_cache=scratch_cache)
    ck = Path(checkpoint) if checkpoint is not None else None
    if resume:
        if ck is None:
            raise UsageError("--resume needs --checkpoint PATH (the file to continue from)")
        if ck.exists():
            runner.restore(ck)
            log.info("resumed from %s after %d tasks", ck, runner.completed)
    last = config.n_tasks if stop_after is None else min(config.n_tasks, int(stop_after))
    for t in _progress(range(runner.completed, last), desc="tasks", total=last - runner.completed,
                       enabled=progress):
        runner.run_task(t)
        if ck is not None:
            runner.save(ck)
        if runner.dist.active:  # single-process runs skip the CPU copy of every weight
            runner.dist.check_same(list(runner.own.owner.values())
                                   + [p.detach().cpu() for p in runner.own.params.values()],
                                   f"ownership and weights after task {t}")
        runner.dist.barrier()
        if on_task is not None:
            on_task(t)
    return runner.result()
