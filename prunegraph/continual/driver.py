"""Continual-learning driver: grow → train → prune → freeze, task after task.

Per task t (see ``DESIGN.md``, "Continual learning"):

1. **Grow.** Per prunable layer l, choose new edges among the free positions the task may use
   (hidden layers: anywhere; head layer: the task's output rows) with the configured strategy
   (:mod:`prunegraph.continual.growth`). The kept budget :math:`K_l` is ``density·out·in``
   (``budget="fixed"``), ``share·free`` (``budget="share"``) or chosen from the degree fits
   (``budget="fit"``, :func:`fit_budget_scale`); every hidden layer keeps at least
   ``min_fanin·out`` edges (see *Budget floor*); the head layer keeps ``head_density`` of its
   task rows. The mode, base budget, floor and budget used are recorded per task and layer. ``pa``/``uniform``/``gradient`` grow
   :math:`\\lceil` ``grow_factor`` :math:`\\cdot K_l \\rceil` edges, ``packnet`` all free ones,
   and so does task 0 when ``first="dense"``. Grown edges start from the model's initial
   (seeded) weights.
2. **Train** only the task's own weights (gradient mask; the optimiser is rebuilt for every
   phase; frozen entries are additionally restored after each step, so they stay bit-identical).
   Biases/normalisation: see :mod:`prunegraph.continual.ownership`.
3. **Prune** the task's edges to :math:`K_l` by magnitude (|w|, kernels by L1 norm), in
   ``prune_iterations`` geometric rounds, each followed by ``retrain_epochs`` of retraining.
4. **Freeze** (ownership is final) and evaluate every task as it sees the network
   (task-incremental: weights with ``0 <= owner <= j``, logits of task j's units;
   class-incremental: the current network, logits of all units seen so far).

**Budget floor.** Ownership is per *edge*, i.e. per unit pair; for a convolution that is an
input-output *channel pair* (a whole kernel ``W[j, i, ...]``), so a budget counted in raw
kernel weights would give the same number of pairs. Convolutions have few channel pairs
(LeNet-5's conv1 has 1·6 = 6, conv2 6·16 = 96), so ``density·out·in`` rounds to almost nothing
(0 and 5 pairs at 0.05) and the layer cuts the network off. Hence every hidden layer keeps at
least :math:`\\lceil` ``min_fanin·out`` :math:`\rceil` edges per task (capped at the free
positions): on average ``min_fanin`` incoming edges per output unit, so every unit a task grows
can carry signal. For Linear layers of LeNet-300-100 the floor (300 and 100) lies far below the
density budget and changes nothing.

Randomness: every stage draws from ``numpy.random.SeedSequence([seed, task, stage])``, so a
run resumed from the checkpoint after task t continues exactly as the uninterrupted run.

Multi-process (``torchrun``, gloo): each rank trains on its slice of every mini-batch and the
gradients are summed with ``all_reduce`` (the full-batch gradient, as DDP computes it);
growth is decided on rank 0 and broadcast; rank 0 writes checkpoint and results.
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from .._device import default_device
from .._io import atomic_path, dumps_json
from .._progress import progress as _progress
from ..errors import InputError, UsageError
from .growth import STRATEGIES, GrowthDecision, grow_layer
from .metrics import DEFINITIONS, accuracy_metrics, steps_to_fraction
from .ownership import Ownership

__all__ = ["BENCHMARKS", "BUDGET_MODES", "resolve_optimizer", "fit_budget_scale", "pa_fallback_share", "ContinualConfig", "ContinualResult", "run_continual",
           "load_checkpoint_manifest", "CHECKPOINT_FORMAT"]

log = logging.getLogger(__name__)

#: benchmark name -> (data set, stream kind)
BENCHMARKS = {
    "split-fmnist": ("fashion_mnist", "split"),
    "permuted-fmnist": ("fashion_mnist", "permuted"),
    "split-digits": ("digits", "split"),
    "permuted-digits": ("digits", "permuted"),
}
CHECKPOINT_FORMAT = "prunegraph-continual/1"
BUDGET_MODES = ("fixed", "share", "fit")
_NORM = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.LayerNorm, nn.GroupNorm)


@dataclass(frozen=True)
class ContinualConfig:
    """Everything that determines a continual run (recorded in results and checkpoints).

    Examples
    --------
    >>> cfg = ContinualConfig(benchmark="split-digits", n_tasks=2, epochs=1)
    >>> ContinualConfig.from_dict(cfg.to_dict()) == cfg
    True
    """

    benchmark: str = "split-digits"
    model: str = "lenet300"
    n_tasks: int = 5
    epochs: int = 3
    growth: str = "pa"
    scenario: str = "task"          # "task" (per-task heads) | "class"
    first: str = "dense"            # task 0: "dense" (all free positions) | "sparse" (strategy)
    budget: str = "fixed"           # "fixed" | "share" | "fit"
    density: float = 0.05           # fixed: kept edges per task = density * out * in
    share: float = 0.1              # share: kept edges per task = share * free positions
    head_density: float = 0.5       # head layer: kept share of the task's rows
    min_fanin: float = 1.0          # hidden layers keep >= ceil(min_fanin * out) edges per task
    fit_target_alpha: float = 3.0   # fit: reference exponent alpha* of the budget scale
    fit_scale_min: float = 0.25     # fit: clip of the budget scale
    fit_scale_max: float = 4.0
    grow_factor: float = 2.0        # growth budget = grow_factor * kept budget
    lr: float | None = None         # None: 0.05 for sgd, 0.01 for adam
    optimizer: str = "auto"         # "sgd" (Nesterov 0.9) | "adam" | "auto" (see resolve_optimizer)
    batch_size: int = 128
    prune_iterations: int = 1
    retrain_epochs: int = 1
    eval_every: int = 10            # steps between learning-curve points
    eval_samples: int = 1000        # test images per learning-curve point
    n_train: int | None = None      # per-task training subsample
    n_test: int | None = None
    seed: int = 0
    pa_default_alpha: float | None = 3.0
    pa_min_tail: int = 10
    pa_a_min: float = 1.0
    pa_bootstrap: int = 0
    gradient_batches: int = 4
    attachment_bootstrap: int = 100

    def __post_init__(self):
        def bad(msg):
            raise UsageError(msg)
        if self.benchmark not in BENCHMARKS:
            bad(f"benchmark {self.benchmark!r}: choose one of {', '.join(BENCHMARKS)}")
        if self.growth not in STRATEGIES:
            bad(f"growth {self.growth!r}: choose one of {', '.join(STRATEGIES)}")
        if self.scenario not in ("task", "class"):
            bad(f"scenario {self.scenario!r}: use 'task' (per-task heads) or 'class'")
        if self.first not in ("dense", "sparse"):
            bad(f"first {self.first!r}: use 'dense' or 'sparse'")
        if self.budget not in BUDGET_MODES:
            bad(f"budget {self.budget!r}: use one of {', '.join(BUDGET_MODES)}")
        if self.min_fanin < 0:
            bad(f"min_fanin={self.min_fanin}: must be >= 0 (0 disables the per-layer floor)")
        if not self.fit_target_alpha > 1:
            bad(f"fit_target_alpha={self.fit_target_alpha}: must be > 1")
        if not 0 < self.fit_scale_min <= 1 <= self.fit_scale_max:
            bad(f"fit_scale_min={self.fit_scale_min}, fit_scale_max={self.fit_scale_max}: "
                "need 0 < min <= 1 <= max")
        if self.optimizer not in ("sgd", "adam", "auto"):
            bad(f"optimizer {self.optimizer!r}: use 'sgd', 'adam' or 'auto'")
        for name in ("density", "share", "head_density"):
            v = getattr(self, name)
            if not 0 < v <= 1:
                bad(f"{name}={v}: must lie in (0, 1]")
        if self.grow_factor < 1:
            bad(f"grow_factor={self.grow_factor}: must be >= 1 (grow at least the kept budget)")
        for name in ("n_tasks", "batch_size", "prune_iterations", "eval_every", "eval_samples",
                     "gradient_batches"):
            if getattr(self, name) < 1:
                bad(f"{name}={getattr(self, name)}: must be >= 1")
        for name in ("epochs", "retrain_epochs", "attachment_bootstrap", "pa_bootstrap"):
            if getattr(self, name) < 0:
                bad(f"{name}={getattr(self, name)}: must be >= 0")
        if self.lr is not None and not self.lr > 0:
            bad(f"lr={self.lr}: must be > 0 (or None for the optimizer's default)")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ContinualConfig":
        """Build from a dict (e.g. a JSON config file); unknown keys are a UsageError."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise UsageError(f"config: unknown keys {unknown}; known keys are {sorted(names)}")
        return cls(**d)


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
    tasks: tuple
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
            "tasks": list(self.tasks),
            "wall_time_s": float(self.wall_time_s),
            "world_size": int(self.world_size),
            "device": self.device,
            "completed_tasks": int(self.completed_tasks),
        }


# ============================================================================ helpers
def _seed(cfg: ContinualConfig, task: int, stage: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(cfg.seed), int(task), int(stage)]))


def _torch_seed(gen: np.random.Generator) -> int:
    return int(gen.integers(2**62))


class _Dist:
    """torch.distributed state (world size 1 when not launched by torchrun)."""

    def __init__(self):
        self.world, self.rank, self.active = 1, 0, False
        ws = int(os.environ.get("WORLD_SIZE", "1"))
        if ws > 1 and torch.distributed.is_available():
            import torch.distributed as dist

            if not dist.is_initialized():
                dist.init_process_group("gloo")
            self.world, self.rank, self.active = dist.get_world_size(), dist.get_rank(), True

    def broadcast(self, tensors) -> None:
        if self.active:
            import torch.distributed as dist

            for t in tensors:
                dist.broadcast(t, src=0)

    def all_reduce_grads(self, params) -> None:
        if self.active:
            import torch.distributed as dist

            for p in params:
                if p.grad is None:
                    p.grad = torch.zeros_like(p)
                dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)

    def check_same(self, tensors, what: str) -> None:
        """Raise if the ranks disagree on ``tensors`` (a checksum compared by all_reduce)."""
        if not self.active:
            return
        import torch.distributed as dist

        total = torch.zeros(1, dtype=torch.float64)
        for i, t in enumerate(tensors):
            total += (t.detach().cpu().double().flatten() * (1 + (torch.arange(t.numel()) % 97)
                                                      ).double()).sum() * (i + 1)
        lo, hi = total.clone(), total.clone()
        dist.all_reduce(lo, op=dist.ReduceOp.MIN)
        dist.all_reduce(hi, op=dist.ReduceOp.MAX)
        if float(lo) != float(hi):
            raise RuntimeError(f"ranks disagree on {what} (checksums {float(lo)} vs {float(hi)})")

    def barrier(self) -> None:
        if self.active:
            import torch.distributed as dist

            dist.barrier()


@dataclass
class _Stream:
    tasks: list
    input_shape: tuple
    num_classes: int
    head_units: list           # per task: output units of the task's head
    n_labels: int


def _build_stream(cfg: ContinualConfig) -> _Stream:
    from ..models.data import task_stream

    dataset, kind = BENCHMARKS[cfg.benchmark]
    tasks = task_stream(dataset, kind=kind, n_tasks=cfg.n_tasks, rng=cfg.seed,
                        n_train=cfg.n_train, n_test=cfg.n_test)
    input_shape = tuple(int(s) for s in tasks[0].train[0].shape[1:])
    n_labels = int(max(max(t.classes) for t in tasks)) + 1
    if kind == "permuted" and cfg.scenario == "task":
        heads = [[t * n_labels + c for c in range(n_labels)] for t in range(cfg.n_tasks)]
        num_classes = n_labels * cfg.n_tasks
    else:
        heads = [list(t.classes) for t in tasks]
        num_classes = n_labels
    return _Stream(tasks, input_shape, num_classes, heads, n_labels)


def _unit_labels(stream: _Stream, task: int, y: torch.Tensor, cfg: ContinualConfig) -> torch.Tensor:
    kind = BENCHMARKS[cfg.benchmark][1]
    if kind == "permuted" and cfg.scenario == "task":
        return y + task * stream.n_labels
    return y


def _logit_units(stream: _Stream, cfg: ContinualConfig, task: int, upto: int) -> list[int]:
    """Output units read for ``task`` when the network has been trained through ``upto``."""
    if cfg.scenario == "task":
        return list(stream.head_units[task])
    units = sorted({u for t in range(max(task, upto) + 1) for u in stream.head_units[t]})
    return units


_DEFAULT_LR = {"sgd": 0.05, "adam": 0.01}


def resolve_optimizer(cfg: ContinualConfig, model: nn.Module) -> tuple[str, float]:
    """(optimizer, lr) actually used: ``auto`` is Adam for models with convolutions, else SGD.

    Measured (split-digits, 3 epochs = 9 steps per task, LeNet-5): SGD-Nesterov at lr 0.05 or
    0.2 stays on its initial plateau (accuracy 0.5 on two-class tasks) for the whole task, and
    magnitude pruning then leaves nothing to recover; Adam at 0.01 reaches ≈ 0.98 on task 0.
    LeNet-300-100 learns with SGD at 0.05, so fully-connected models keep it. ``lr=None`` takes
    0.05 for SGD and 0.01 for Adam. Both values are recorded in the results.

    Examples
    --------
    >>> from torch import nn
    >>> resolve_optimizer(ContinualConfig(), nn.Sequential(nn.Linear(4, 2)))
    ('sgd', 0.05)
    """
    opt = cfg.optimizer
    if opt == "auto":
        has_conv = any(isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d)) for m in model.modules())
        opt = "adam" if has_conv else "sgd"
    return opt, float(_DEFAULT_LR[opt] if cfg.lr is None else cfg.lr)


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
    def __init__(self, cfg: ContinualConfig, *, device=None, progress: bool = False):
        from ..models.zoo import get_model

        self.cfg = cfg
        self.dist = _Dist()
        self.device = default_device(device)
        self.progress = progress
        self.stream = _build_stream(cfg)
        self.model = get_model(cfg.model, num_classes=self.stream.num_classes,
                               input_shape=self.stream.input_shape, rng=cfg.seed).to(self.device)
        self.init = {n: p.detach().clone() for n, p in self.model.named_parameters()}
        self.optimizer, self.lr = resolve_optimizer(cfg, self.model)
        self.own = Ownership(self.model, self.stream.head_units)
        self.own.apply_visibility(0)
        self.layers = self.own.layers
        T = cfg.n_tasks
        self.R = [[float("nan")] * T for _ in range(T + 1)]
        self.records: list[dict] = []
        self.completed = 0
        self.elapsed = 0.0
        self._data = {}

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

    # ---------------------------------------------------------------- budgets
    def budget_details(self, t: int) -> dict[str, dict]:
        """Per layer: mode, base budget, fit scale (``fit``), floor and the budget used."""
        cfg, out = self.cfg, {}
        pa_opts = self._pa_options()
        for layer in self.layers:
            free = int(self.own.free_edges(layer, t).sum())
            rec: dict[str, Any] = {"mode": "head" if layer.is_head else cfg.budget, "free": free}
            if layer.is_head:
                k = round(cfg.head_density * int(self.own.region(layer, t).sum()))
            elif cfg.budget == "share":
                k = round(cfg.share * free)
            else:
                k = round(cfg.density * layer.shape[0] * layer.shape[1])
                if cfg.budget == "fit":
                    current = self.own.edge_owner(layer.param)
                    current = (current >= 0) & (current < t)
                    scale = fit_budget_scale(
                        current.sum(1).cpu().numpy(), current.sum(0).cpu().numpy(),
                        target_alpha=cfg.fit_target_alpha, scale_min=cfg.fit_scale_min,
                        scale_max=cfg.fit_scale_max, pa_options=pa_opts,
                        rng=_seed(cfg, t, 300 + len(out)))
                    rec["fit"] = scale
                    rec["base"] = int(k)
                    k = round(k * scale["scale"])
            rec["unfloored"] = int(k)
            floor = 0 if layer.is_head else math.ceil(cfg.min_fanin * layer.shape[0])
            rec["floor"] = int(floor)
            rec["budget"] = int(max(0, min(max(k, floor), free)))
            rec["raw_weights_per_edge"] = int(math.prod(self.own.params[layer.param].shape[2:]))
            out[layer.param] = rec
        return out

    def _pa_options(self) -> dict:
        cfg = self.cfg
        return {"default_alpha": cfg.pa_default_alpha, "a_min": cfg.pa_a_min,
                "min_tail": cfg.pa_min_tail, "bootstrap": cfg.pa_bootstrap}

    # ---------------------------------------------------------------- growth
    def _gradient_scores(self, t: int) -> dict[str, torch.Tensor]:
        """|dL/dw| at free positions when all of them take their initial values."""
        cfg, model = self.cfg, self.model
        Xtr, ytr, _, _ = self.data(t)
        saved = {n: p.detach().clone() for n, p in self.own.params.items()}
        with torch.no_grad():
            for layer in self.layers:
                p = self.own.params[layer.param]
                free = self.own.free_edges(layer, t)
                full = free if p.dim() == 2 else free.reshape(free.shape + (1,) * (p.dim() - 2)).expand_as(p)
                p[full] = self.init[layer.param][full]
        units = _logit_units(self.stream, cfg, t, t)
        lut = torch.full((max(units) + 1,), -1, dtype=torch.int64, device=self.device)
        lut[units] = torch.arange(len(units), device=self.device)
        gen = torch.Generator().manual_seed(_torch_seed(_seed(cfg, t, 3)))
        order = torch.randperm(ytr.shape[0], generator=gen)
        _set_modes(model, t)
        model.zero_grad(set_to_none=True)
        for b in range(cfg.gradient_batches):
            idx = order[b * cfg.batch_size:(b + 1) * cfg.batch_size].to(self.device)
            if idx.numel() == 0:
                break
            loss = nn.functional.cross_entropy(model(Xtr[idx])[:, units], lut[ytr[idx]])
            loss.backward()
        scores = {}
        for layer in self.layers:
            g = self.own.params[layer.param].grad
            g = torch.zeros_like(saved[layer.param]) if g is None else g.detach().abs()
            scores[layer.param] = g if g.dim() == 2 else g.flatten(2).sum(2)
        model.zero_grad(set_to_none=True)
        with torch.no_grad():
            for n, p in self.own.params.items():
                p.copy_(saved[n])
        return scores

    def grow(self, t: int, budgets: dict[str, int]) -> list[GrowthDecision]:
        cfg = self.cfg
        strategy = cfg.growth
        if t == 0 and cfg.first == "dense":
            strategy = "packnet"
        decisions = []
        if self.dist.rank == 0:
            grads = self._gradient_scores(t) if strategy == "gradient" else {}
            gen = _seed(cfg, t, 1)
            pa_opts = self._pa_options()
            for layer in self.layers:
                current = self.own.edge_owner(layer.param)
                current = (current >= 0) & (current < t)
                n = math.ceil(cfg.grow_factor * budgets[layer.param])
                picked, dec = grow_layer(
                    strategy, self.own.free_edges(layer, t), n,
                    in_degree=current.sum(1).cpu().numpy(), out_degree=current.sum(0).cpu().numpy(),
                    grad=grads.get(layer.param), layer=layer.name, pa_options=pa_opts, rng=gen)
                self.own.assign_edges(layer, picked, t)
                p = self.own.params[layer.param]
                with torch.no_grad():
                    full = picked if p.dim() == 2 else picked.reshape(
                        picked.shape + (1,) * (p.dim() - 2)).expand_as(p)
                    p[full] = self.init[layer.param][full]
                decisions.append(dec)
        self.dist.broadcast(list(self.own.owner.values())
                            + [p.data for p in self.own.params.values()])
        return decisions

    # ---------------------------------------------------------------- training
    def train_phase(self, t: int, epochs: int, stage: int, *, curve: bool) -> dict:
        """Train task t's own entries; the global torch RNG (dropout) is seeded per phase and restored."""
        devices = [self.device.index or 0] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(_torch_seed(_seed(self.cfg, t, 100 + stage)))
            return self._train_phase(t, epochs, stage, curve=curve)

    def _train_phase(self, t: int, epochs: int, stage: int, *, curve: bool) -> dict:
        cfg, model = self.cfg, self.model
        Xtr, ytr, Xte, yte = self.data(t)
        units = _logit_units(self.stream, cfg, t, t)
        lut = torch.full((max(units) + 1,), -1, dtype=torch.int64, device=self.device)
        lut[units] = torch.arange(len(units), device=self.device)
        self.own.apply_visibility(t)
        tr = self.own.trainable(t)
        params = self.own.params
        masks = {n: m.to(p.dtype) for n, m in tr.items() for p in [params[n]]}
        frozen = {n: p.detach().clone() for n, p in params.items()}
        plist = list(params.values())
        if self.optimizer == "sgd":
            opt = torch.optim.SGD(plist, lr=self.lr, momentum=0.9, nesterov=True)
        else:
            opt = torch.optim.Adam(plist, lr=self.lr)
        gen = torch.Generator().manual_seed(_torch_seed(_seed(cfg, t, stage)))
        n = ytr.shape[0]
        n_batches = math.ceil(n / cfg.batch_size)
        ne = min(cfg.eval_samples, yte.shape[0])
        steps_log, acc_log = [], []

        def point(step):
            steps_log.append(step)
            acc_log.append(_accuracy(model, Xte[:ne], yte[:ne], units, self.device))

        if curve:
            point(0)
        step = 0
        world, rank = self.dist.world, self.dist.rank
        for _ in range(epochs):
            order = torch.randperm(n, generator=gen).to(self.device)
            for b in range(n_batches):
                idx = order[b * cfg.batch_size:(b + 1) * cfg.batch_size]
                mine = idx[rank::world]
                _set_modes(model, t)
                opt.zero_grad(set_to_none=True)
                if mine.numel():
                    logits = model(Xtr[mine])[:, units]
                    loss = nn.functional.cross_entropy(logits, lut[ytr[mine]], reduction="sum") / idx.numel()
                    loss.backward()
                self.dist.all_reduce_grads(plist)
                with torch.no_grad():
                    for name, p in params.items():
                        if p.grad is not None:
                            p.grad.mul_(masks[name])
                opt.step()
                with torch.no_grad():
                    for name, p in params.items():
                        p.copy_(torch.where(tr[name], p, frozen[name]))
                step += 1
                if curve and step % cfg.eval_every == 0:
                    point(step)
        if curve and (not steps_log or steps_log[-1] != step):
            point(step)
        if not all(math.isfinite(float(p.detach().abs().sum())) for p in plist):
            raise UsageError(f"training diverged on task {t}; lower lr (now {self.lr})")
        return {"steps": step, "curve_steps": steps_log, "curve_accuracy": acc_log}

    # ---------------------------------------------------------------- pruning
    def prune(self, t: int, budgets: dict[str, int]) -> list[dict]:
        cfg = self.cfg
        owned0 = {l.param: int((self.own.edge_owner(l.param) == t).sum()) for l in self.layers}
        rounds = []
        for it in range(1, cfg.prune_iterations + 1):
            for layer in self.layers:
                c0, k = owned0[layer.param], budgets[layer.param]
                if c0 <= k:
                    continue
                target = k if it == cfg.prune_iterations else int(round(c0 * (k / c0) ** (it / cfg.prune_iterations)))
                owned = self.own.edge_owner(layer.param) == t
                count = int(owned.sum())
                if count <= target:
                    continue
                w = self.own.params[layer.param].detach()
                score = w.abs() if w.dim() == 2 else w.abs().flatten(2).sum(2)
                score = score.to(torch.float64).masked_fill(~owned, -math.inf)
                keep = torch.zeros_like(owned)
                keep.view(-1)[torch.topk(score.flatten(), target).indices] = True
                self.own.release_edges(layer, owned & ~keep)
            rounds.append({"round": it, "edges": {l.param: int((self.own.edge_owner(l.param) == t).sum())
                                                  for l in self.layers}})
            if cfg.retrain_epochs:
                self.train_phase(t, cfg.retrain_epochs, stage=10 + it, curve=False)
        return rounds

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

        hidden = [l.param for l in self.layers if not l.is_head]
        if t == 0 or not hidden:
            return {"kept": None, "grown": None, "layers": hidden}
        before = self.own.edge_masks(upto=t - 1)
        after = self.own.edge_masks(upto=t)
        b = {k: before[k] for k in hidden}
        out = {"layers": hidden}
        out["kept"] = measure_attachment(b, {k: after[k] for k in hidden},
                                         bootstrap=_boot(self.cfg), rng=_seed(self.cfg, t, 20)).to_dict()
        out["grown"] = measure_attachment(b, {k: b[k] | grown[k] for k in hidden},
                                          bootstrap=_boot(self.cfg), rng=_seed(self.cfg, t, 21)).to_dict()
        # Pooling layers of different widths biases β (uniformly random edges come out near
        # 0.35-0.55): the kept edges are also measured layer by layer, where β = 0 means none.
        out["kept_per_layer"] = {}
        for i, k in enumerate(hidden):
            gen = np.random.default_rng(_seed(self.cfg, t, 30 + i))
            out["kept_per_layer"][k] = {
                side: attachment_kernel(b[k], after[k], side=side, bootstrap=_boot(self.cfg),
                                        rng=gen).to_dict()
                for side in ("in", "out")}
        return out

    # ---------------------------------------------------------------- one task
    def run_task(self, t: int) -> None:
        cfg = self.cfg
        t0 = time.perf_counter()
        if t == 0:
            self.R[0] = self.eval_row(None)
        details = self.budget_details(t)
        budgets = {k: v["budget"] for k, v in details.items()}
        decisions = self.grow(t, budgets)
        grown = {l.param: (self.own.edge_owner(l.param) == t).cpu().numpy() for l in self.layers}
        train = self.train_phase(t, cfg.epochs, stage=2, curve=True)
        rounds = self.prune(t, budgets)
        strategy = "packnet" if (t == 0 and cfg.first == "dense") else cfg.growth
        self.own.claim_trained(t)
        self.own.apply_visibility(t)
        self.R[t + 1] = self.eval_row(t)
        att = self.attachment(t, grown)
        seconds = time.perf_counter() - t0
        beta = None
        beta_layers = {}
        if att.get("kept"):
            beta = att["kept"]["in"]["beta"]  # pooled over hidden layers: biased when widths differ
            beta_layers = {k: v["in"]["beta"] for k, v in att["kept_per_layer"].items()}
        self.records.append({
            "task": t, "classes": list(self.stream.tasks[t].classes),
            "head_units": list(self.stream.head_units[t]),
            "optimizer": self.optimizer, "lr": self.lr,
            "budgets": budgets, "budget_mode": cfg.budget, "budget_details": details,
            "growth_strategy": strategy,
            "growth": [d.to_dict() for d in decisions],
            "layers": _layer_summary(self.layers, details, decisions, strategy),
            "edges": {l.param: int((self.own.edge_owner(l.param) == t).sum()) for l in self.layers},
            "train_steps": train["steps"], "curve_steps": train["curve_steps"],
            "curve_accuracy": train["curve_accuracy"],
            "steps_to_95": steps_to_fraction(train["curve_steps"], train["curve_accuracy"]),
            "prune_rounds": rounds, "attachment": att, "beta_in": beta,
            "beta_in_per_layer": beta_layers,
            "seconds": seconds,
        })
        self.completed = t + 1
        self.elapsed += seconds

    # ---------------------------------------------------------------- results / checkpoint
    def result(self) -> ContinualResult:
        done = self.completed
        T = self.cfg.n_tasks
        metrics = accuracy_metrics(self.R).to_dict() if done == T else {}
        ept = self.own.edge_counts(done)
        return ContinualResult(
            config=self.cfg, R=tuple(tuple(r) for r in self.R[:done + 1]), metrics=metrics,
            edges_per_task=ept, edges_total=int(sum(sum(v) for v in ept.values())),
            steps_to_95=tuple(r["steps_to_95"] for r in self.records),
            beta_per_task=tuple(r["beta_in"] for r in self.records), tasks=tuple(self.records),
            wall_time_s=self.elapsed, world_size=self.dist.world, device=str(self.device),
            completed_tasks=done)

    def manifest(self) -> dict:
        return {"format": CHECKPOINT_FORMAT, "config": self.cfg.to_dict(),
                "completed_tasks": self.completed, "R": [[None if math.isnan(v) else v for v in r]
                                                         for r in self.R],
                "records": self.records, "elapsed_s": self.elapsed,
                "head_units": self.stream.head_units,
                "prunable": [l.to_dict() for l in self.layers],
                "rng": {"scheme": "numpy SeedSequence([seed, task, stage]) per stage",
                        "seed": self.cfg.seed}}

    def save(self, path: Path) -> None:
        if self.dist.rank != 0:
            return
        from safetensors.torch import save_file  # TODO(continual): write via prunegraph.checkpoint

        tensors = {n: p.detach().cpu().contiguous() for n, p in self.model.state_dict().items()}
        tensors.update({k: v.cpu().contiguous() for k, v in self.own.state_entries().items()})
        meta = {"prunegraph_model": self.cfg.model,
                "prunegraph_input_shape": dumps_json(list(self.stream.input_shape)).strip(),
                "prunegraph_num_classes": str(self.stream.num_classes),
                "prunegraph_manifest": dumps_json(self.manifest())}
        with atomic_path(path) as tmp:
            save_file(tensors, str(tmp), metadata=meta)

    def restore(self, path: Path) -> None:
        man, tensors = _read_checkpoint(path)
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
        self.records = list(man["records"])
        self.elapsed = float(man.get("elapsed_s", 0.0))


def fit_budget_scale(in_degree: np.ndarray, out_degree: np.ndarray, *, target_alpha: float = 3.0,
                     scale_min: float = 0.25, scale_max: float = 4.0,
                     pa_options: dict | None = None,
                     rng: np.random.Generator | int | None = None) -> dict[str, Any]:
    """Budget scale of one layer from its fitted degree exponents (``budget="fit"``).

    Rule: :math:`B_l = B^{fixed}_l \\cdot s_l`,

    .. math:: s_l = \\operatorname{clip}\\left(\\frac{\\alpha^* - 1}{\\bar\\alpha_l - 1},
              s_{min}, s_{max}\\right),

    with :math:`\\bar\\alpha_l` the mean of the layer's in- and out-degree CSN exponents that
    pass the plausibility checks of :func:`prunegraph.continual.growth.fit_kernel` (the same
    fits ``pa`` uses) and :math:`\\alpha^*` the reference exponent (3, Barabási–Albert).
    Reading: for a power-law tail the MLE identity :math:`\\hat\\alpha = 1 + n/\\sum\\ln(k_i/x_{min})`
    makes :math:`1/(\\alpha - 1)` the mean log-degree spread :math:`E[\\ln(k/x_{min})]` of the
    tail, so :math:`s_l` is the layer's log-degree spread relative to the reference: a layer
    whose earlier tasks built a heavy hub tail (small α, the connectivity of trained networks
    concentrating on few units) receives proportionally more new edges, a light-tailed or
    near-random layer fewer. When neither side is plausible (or the layer is still empty)
    :math:`s_l = 1` (the fixed budget) and the reason is recorded.

    Returns
    -------
    dict
        ``scale``, ``alpha_in``, ``alpha_out`` (fitted, None when not plausible), ``alpha_used``,
        ``reason``.

    Examples
    --------
    >>> import numpy as np
    >>> fit_budget_scale(np.zeros(5, int), np.zeros(5, int))["scale"]
    1.0
    """
    from .growth import fit_kernel

    opts = dict(pa_options or {})
    gen = np.random.default_rng(rng)
    fits = {side: fit_kernel(deg, side=side, rng=gen, **opts)
            for side, deg in (("in", in_degree), ("out", out_degree))}
    alphas = {s: (k.fitted_alpha if k.plausible else None) for s, k in fits.items()}
    used = [a for a in alphas.values() if a is not None]
    if not used:
        reason = "; ".join(f"{s}: {k.reason}" for s, k in fits.items())
        return {"scale": 1.0, "alpha_in": None, "alpha_out": None, "alpha_used": None,
                "reason": f"no plausible power law ({reason}): fixed budget"}
    a = float(np.mean(used))
    raw = (target_alpha - 1.0) / (a - 1.0)
    scale = float(min(max(raw, scale_min), scale_max))
    return {"scale": scale, "alpha_in": alphas["in"], "alpha_out": alphas["out"],
            "alpha_used": a, "reason": f"(alpha*-1)/(alpha-1) = {raw:.3f}"
                                       + (" (clipped)" if scale != raw else "")}


def _layer_summary(layers, details: dict, decisions, strategy: str) -> dict[str, dict]:
    """Per layer: budget mode and used, and what pa used (alpha in/out, fallback, shift A)."""
    by_name = {d.layer: d for d in decisions}
    out = {}
    for layer in layers:
        det = details[layer.param]
        rec = {"budget_mode": det["mode"], "budget": det["budget"], "strategy": strategy}
        dec = by_name.get(layer.name)
        rec["grown"] = None if dec is None else dec.grown
        kern = {k.side: k for k in (dec.kernels if dec is not None else ())}
        for side in ("in", "out"):
            k = kern.get(side)
            rec[f"alpha_{side}"] = None if k is None else k.alpha
            rec[f"fitted_alpha_{side}"] = None if k is None else k.fitted_alpha
            rec[f"fallback_{side}"] = None if k is None else (not k.plausible)
            rec[f"A_{side}"] = None if k is None else k.offset
        rec["pa_fell_back"] = None if not kern else any(not k.plausible for k in kern.values())
        out[layer.param] = rec
    return out


def pa_fallback_share(results: dict) -> tuple[int, int]:
    """(layer-tasks where pa fell back on a side, layer-tasks grown by pa) in a results dict."""
    fell = total = 0
    for rec in results.get("tasks", []):
        for lay in (rec.get("layers") or {}).values():
            if lay.get("pa_fell_back") is not None:
                total += 1
                fell += bool(lay["pa_fell_back"])
    return fell, total


def _boot(cfg: ContinualConfig) -> int:
    return int(cfg.attachment_bootstrap)


def _read_checkpoint(path: Path) -> tuple[dict, dict]:
    import json

    from ..checkpoint import read_checkpoint  # TODO(continual): write through prunegraph.checkpoint too (one writer, one JSON encoder)

    path = Path(path)
    ck = read_checkpoint(path)  # the one reader: safetensors or weights_only, never pickle
    tensors, meta = ck.tensors, ck.metadata
    if "prunegraph_manifest" not in meta:
        raise InputError(f"{path}: no prunegraph manifest in the metadata; it was not written by "
                         "prunegraph continual")
    man = json.loads(meta["prunegraph_manifest"])
    if man.get("format") != CHECKPOINT_FORMAT:
        raise InputError(f"{path}: checkpoint format {man.get('format')!r}, expected {CHECKPOINT_FORMAT!r}")
    return man, tensors


def load_checkpoint_manifest(path: str | os.PathLike) -> tuple[dict, dict[str, torch.Tensor]]:
    """Read a continual checkpoint: (manifest dict, tensors incl. ``<p>_owner``).

    Examples
    --------
    >>> load_checkpoint_manifest("missing.safetensors")  # doctest: +SKIP
    """
    return _read_checkpoint(Path(path))


def run_continual(config: ContinualConfig, *, checkpoint: str | os.PathLike | None = None,
                  resume: bool = False, stop_after: int | None = None,
                  device: str | None = None, progress: bool = False,
                  on_task: Callable[[int], None] | None = None) -> ContinualResult:
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
    runner = _Runner(config, device=device, progress=progress)
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
