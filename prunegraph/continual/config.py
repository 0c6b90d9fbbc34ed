"""Configuration of a continual run: benchmarks, every option, and the optimiser defaults.

One frozen :class:`ContinualConfig` determines a run (it is recorded in results and
checkpoints; a resumed run must match it).

**Defaults that learn.** A task gets ``max(epochs · batches_per_epoch, min_steps)`` optimiser
steps (a *step-based* floor: split-digits has 270 training images per task, i.e. 3 batches an
epoch, so an epoch-based schedule gave 9 steps per task and chance accuracy), and every
retraining phase after pruning ``max(retrain_epochs · batches, retrain_min_steps)``. Measured
with every other option at its default (LeNet-300-100, SGD-Nesterov lr 0.05, density 0.05,
``pa`` growth, seed 0): split-digits ACC 0.596 with no floor (tasks 1-4 at 0.49-0.50, chance)
and 0.993 with ``min_steps=300, retrain_min_steps=100``; split-FMNIST 0.991 (Adam 1e-3:
0.990); LeNet-5 on split-digits with Adam 0.01: 0.998 (Adam 1e-3: 0.980). See docs/continual.md
for the seeds.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from torch import nn

from ..errors import UsageError
from .dst import DST_STRATEGIES
from .growth import STRATEGIES

#: every strategy a run accepts: growth before the task, or dynamic sparse training in it
ALL_STRATEGIES = STRATEGIES + DST_STRATEGIES

__all__ = ["ALL_STRATEGIES", "BENCHMARKS", "BUDGET_MODES", "PA_TARGETS", "SCENARIOS", "N_CLASSES", "ContinualConfig",
           "resolve_optimizer", "stage_rng"]

#: benchmark name -> (data set, stream type)
BENCHMARKS = {
    "split-fmnist": ("fashion_mnist", "split"),
    "permuted-fmnist": ("fashion_mnist", "permuted"),
    "split-digits": ("digits", "split"),
    "permuted-digits": ("digits", "permuted"),
}
#: classes of each data set (both have 10)
N_CLASSES = {"fashion_mnist": 10, "digits": 10}
BUDGET_MODES = ("fixed", "share", "fit")
#: scenario -> what it tests (van de Ven & Tolias 2019, "Three scenarios for continual learning")
#: pa kernel targets (``--pa-target``)
PA_TARGETS = ("own", "family", "fixed")

SCENARIOS = {
    "task": "task-incremental: task id given at test time, one head (output rows) per task",
    "domain": "domain-incremental: one shared head, task id not given (permuted streams)",
    "class": "class-incremental: one growing head over all classes seen, task id not given; "
             "needs replay (replay_per_class > 0) or is refused",
}


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
    scenario: str = "task"          # "task" | "domain" | "class" (see SCENARIOS)
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
    min_steps: int = 300            # a task trains max(epochs * batches, min_steps) steps
    retrain_min_steps: int = 100    # each retraining phase: max(retrain_epochs * batches, this)
    prune_iterations: int = 1
    retrain_epochs: int = 1
    eval_every: int = 10            # steps between learning-curve points (after eval_dense)
    eval_dense: int = 20            # every step is a curve point up to this step of a phase
    eval_samples: int | None = None  # test images per curve point (None: the full test set)
    target_accuracy: float = 0.9    # absolute target of steps_to_target
    scratch_reference: bool = True  # train each task alone from scratch (FWT_scratch, "independent")
    n_train: int | None = None      # per-task training subsample
    n_test: int | None = None
    seed: int = 0
    pa_default_alpha: float | None = 3.0
    pa_min_tail: int = 10
    pa_a_min: float = 1.0
    pa_bootstrap: int = 0
    pa_target: str = "own"          # pa kernel: "own" law (MLE gamma) | "family" | "fixed" (k+A)^gamma
    pa_gamma: float = 1.0           # pa_target="fixed": gamma of f(k) = (k + pa_offset)^gamma
    pa_offset: float = 1.0          # pa_target="fixed": A
    gradient_batches: int = 4
    attachment_bootstrap: int = 100

    def __post_init__(self):
        def bad(msg):
            raise UsageError(msg)
        if self.benchmark not in BENCHMARKS:
            bad(f"benchmark {self.benchmark!r}: choose one of {', '.join(BENCHMARKS)}")
        if self.growth not in ALL_STRATEGIES:
            bad(f"growth {self.growth!r}: choose one of {', '.join(ALL_STRATEGIES)}")
        if self.scenario not in SCENARIOS:
            bad(f"scenario {self.scenario!r}: use one of {', '.join(SCENARIOS)}")
        stream_type = BENCHMARKS[self.benchmark][1]
        if self.scenario == "domain" and stream_type != "permuted":
            bad(f"--scenario domain needs a permuted benchmark (same classes in every task), not "
                f"{self.benchmark}; use --scenario task or class for split streams")
        if self.scenario == "class":
            if stream_type != "split":
                bad(f"--scenario class on {self.benchmark}: every permuted task has the same "
                    "classes, so it is domain-incremental; use --scenario domain")
            bad("--scenario class is refused: with frozen per-task weights and no task identity "
                "at test time the newest task's units win every argmax (measured: split-FMNIST "
                "ACC 0.17-0.20, final row [0, 0, 0, 0, 0.9]); this harness has no replay or "
                "task-inference mechanism yet. Use --scenario task (task id given) or a permuted "
                "benchmark with --scenario domain")
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
        if self.eval_samples is not None and self.eval_samples < 1:
            bad(f"eval_samples={self.eval_samples}: must be >= 1 (or None for the full test set)")
        if not 0 < self.target_accuracy <= 1:
            bad(f"target_accuracy={self.target_accuracy}: must lie in (0, 1]")
        for name in ("n_tasks", "batch_size", "prune_iterations", "eval_every", "gradient_batches"):
            if getattr(self, name) < 1:
                bad(f"{name}={getattr(self, name)}: must be >= 1")
        if self.pa_target not in PA_TARGETS:
            bad(f"pa_target {self.pa_target!r}: use one of {', '.join(PA_TARGETS)} (own: the layer's "
                "own MLE degree law; family: gamma from the preferred family; fixed: (k + pa_offset)"
                "^pa_gamma)")
        if not (math.isfinite(self.pa_gamma) and math.isfinite(self.pa_offset) and self.pa_offset > 0):
            bad(f"pa_gamma={self.pa_gamma}, pa_offset={self.pa_offset}: need finite values and "
                "pa_offset > 0 (f(k) = (k + A)^gamma must be positive at k = 0)")
        for name in ("epochs", "retrain_epochs", "attachment_bootstrap", "pa_bootstrap",
                     "min_steps", "retrain_min_steps", "eval_dense"):
            if getattr(self, name) < 0:
                bad(f"{name}={getattr(self, name)}: must be >= 0")
        if self.lr is not None and not self.lr > 0:
            bad(f"lr={self.lr}: must be > 0 (or None for the optimizer's default)")
        dataset, stream_type = BENCHMARKS[self.benchmark]
        if stream_type == "split":
            n = N_CLASSES[dataset]
            per, left = divmod(n, self.n_tasks)
            if per < 2 or left:
                ok = [k for k in range(1, n + 1) if n % k == 0 and n // k >= 2]
                bad(f"--tasks {self.n_tasks} (n_tasks): {self.benchmark} has {n} classes, so "
                    + (f"a task would get {per} class(es)" if per < 2 else
                       f"{left} class(es) would be dropped")
                    + f"; use --tasks in {ok} (every task needs >= 2 classes, none dropped)")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ContinualConfig:
        """Build from a dict (e.g. a JSON config file); unknown keys are a UsageError."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise UsageError(f"config: unknown keys {unknown}; known keys are {sorted(names)}")
        return cls(**d)


_DEFAULT_LR = {"sgd": 0.05, "adam": 0.01}


def resolve_optimizer(cfg: ContinualConfig, model: nn.Module) -> tuple[str, float]:
    """(optimizer, lr) actually used: ``auto`` is Adam for models with convolutions, else SGD.

    Measured (split-digits, LeNet-5, 300 steps per task): Adam at 0.01 reaches ACC 0.998, at
    1e-3 0.980; with only 9 steps per task SGD-Nesterov at 0.05 or 0.2 stayed on its initial
    plateau. LeNet-300-100 learns with SGD at 0.05 (split-digits 0.993, split-FMNIST 0.991),
    so fully-connected models keep it. ``lr=None`` takes 0.05 for SGD and 0.01 for Adam. Both
    values are recorded in the results.

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


def stage_rng(cfg: ContinualConfig, task: int, stage: int):
    """The Generator of one stage of one task: ``SeedSequence([seed, task, stage])``.

    Every stage draws from its own stream, so a run resumed after task t continues exactly as
    the uninterrupted run.

    Examples
    --------
    >>> int(stage_rng(ContinualConfig(), 1, 2).integers(10)) == int(stage_rng(ContinualConfig(), 1, 2).integers(10))
    True
    """
    import numpy as np

    return np.random.default_rng(np.random.SeedSequence([int(cfg.seed), int(task), int(stage)]))


def torch_seed(gen) -> int:
    """Deprecated: :func:`prunegraph._rng.seed_int` (the same numbers)."""
    from .._compat import warn_renamed
    from .._rng import seed_int

    warn_renamed("prunegraph.continual.config.torch_seed", "prunegraph._rng.seed_int")
    return seed_int(gen)
