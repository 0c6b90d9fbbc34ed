"""One plain training loop with evaluation: seeded, CPU by default, CUDA when present.

The loop is mini-batch cross-entropy training with SGD (Nesterov momentum 0.9) or Adam and an
optional cosine learning-rate decay; nothing else happens behind the caller's back. Two hooks
serve the continual-learning driver (:mod:`prunegraph.continual.driver`), which trains
through this loop:

* ``grad_mask`` — ``{parameter name: tensor}`` multiplied into the gradient before every step,
  so only weights where the mask is nonzero move (weight decay is added to the gradient
  *before* the mask, so frozen weights do not decay either; Adam/SGD moments of always-masked
  weights stay zero, so they never move).
* ``min_steps`` — a step-based floor: the loop runs ``max(epochs · batches, min_steps)``
  steps (fresh batch orders for every pass, the last pass cut short).
* ``shard=(rank, world)`` — each process computes the loss of its slice ``idx[rank::world]``
  of every mini-batch as a sum divided by the full batch size, so summed gradients are the
  full-batch gradient; ``on_gradients(params)`` runs after ``backward`` (e.g. an
  ``all_reduce``), ``after_step(step)`` after every optimiser step (e.g. restoring frozen
  weights bit for bit, recording a learning curve), ``set_mode(model)`` before every forward
  pass (e.g. normalisation layers kept in eval mode).
* ``head`` — a task-head selector: a sequence of class ids (logits restricted to those output
  units, labels mapped to their positions: the usual multi-head reading of a shared output
  layer) or a callable ``head(model, X) -> logits``.

Pruned models (``torch.nn.utils.prune`` reparametrisation ``weight = weight_orig * weight_mask``)
train as they are: the mask zeroes the gradient of pruned weights through the chain rule.

Examples
--------
>>> import torch
>>> from prunegraph.models.zoo import get_model
>>> from prunegraph.models.data import load_digits
>>> X, y = load_digits(split="train")
>>> model = get_model("lenet300", input_shape=(1, 8, 8), rng=0)
>>> res = train(model, X, y, epochs=2, lr=0.1, batch_size=64, rng=0)
>>> res.steps, res.train_accuracy[-1] > 0.8
(44, True)
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from .._compat import warn_renamed
from .._device import default_device
from .._progress import progress as _progress
from .._rng import as_seed
from ..errors import UsageError

__all__ = ["train", "evaluate", "TrainResult"]

log = logging.getLogger(__name__)

Head = Callable[[nn.Module, torch.Tensor], torch.Tensor] | Sequence[int] | None


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train` did.

    Attributes
    ----------
    losses : tuple of float
        Mean training loss of each epoch.
    train_accuracy : tuple of float
        Training accuracy of each epoch (on the batches as they were trained, a running value).
    eval_accuracy : tuple of float
        Accuracy on ``eval_data`` after each epoch (empty without ``eval_data``).
    steps : int
        Optimiser steps taken.
    seconds : float
        Wall-clock time of the loop.
    epochs : int
    device : str
    """

    losses: tuple[float, ...]
    train_accuracy: tuple[float, ...]
    eval_accuracy: tuple[float, ...]
    steps: int
    seconds: float
    epochs: int
    device: str

    @property
    def final_accuracy(self) -> float | None:
        """Last evaluation accuracy, or None without ``eval_data``."""
        return self.eval_accuracy[-1] if self.eval_accuracy else None

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        d = asdict(self)
        for k in ("losses", "train_accuracy", "eval_accuracy"):
            d[k] = [float(v) for v in d[k]]
        return d


def seed_from(rng: np.random.Generator | int | None) -> int:
    """Deprecated: :func:`prunegraph._rng.as_seed` (the same numbers)."""
    warn_renamed("prunegraph.training.train.seed_from", "prunegraph._rng.as_seed")
    return as_seed(rng)


def _logits(model: nn.Module, xb: torch.Tensor, head: Head) -> torch.Tensor:
    if head is None:
        return model(xb)
    if callable(head):
        return head(model, xb)
    return model(xb)[:, list(head)]


def _targets(yb: torch.Tensor, head: Head, lut: torch.Tensor | None) -> torch.Tensor:
    if lut is None or head is None or callable(head):
        return yb
    inside = (yb >= 0) & (yb < lut.numel())
    mapped = torch.where(inside, lut[yb.clamp(0, lut.numel() - 1)], torch.full_like(yb, -1))
    if bool((mapped < 0).any()):
        raise UsageError(f"labels {sorted(set(yb[mapped < 0].tolist()))} are not among head classes "
                         f"{list(head)}; pass the task's classes as head")
    return mapped


def _head_lut(head: Head, device) -> torch.Tensor | None:
    if head is None or callable(head):
        return None
    classes = [int(c) for c in head]
    if not classes or len(set(classes)) != len(classes) or min(classes) < 0:
        raise UsageError(f"head must be distinct non-negative class ids, got {list(head)}")
    lut = torch.full((max(classes) + 1,), -1, dtype=torch.int64)
    lut[classes] = torch.arange(len(classes))
    return lut.to(device)


def _check_xy(X: torch.Tensor, y: torch.Tensor, what: str) -> None:
    if not isinstance(X, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise UsageError(f"{what}: X and y must be torch tensors")
    if X.shape[0] != y.shape[0]:
        raise UsageError(f"{what}: X has {X.shape[0]} samples but y has {y.shape[0]}; pass matching tensors")
    if X.shape[0] == 0:
        raise UsageError(f"{what}: no samples")


@torch.no_grad()
def evaluate(model: nn.Module, X: torch.Tensor, y: torch.Tensor, *, batch_size: int = 1024,
             device: str | torch.device | None = None, head: Head = None) -> float:
    """Classification accuracy of ``model`` on ``(X, y)`` in eval mode.

    Parameters
    ----------
    model : nn.Module
    X, y : Tensor
        Inputs and int64 labels (global class ids; with a class-list ``head`` they are mapped).
    batch_size : int
    device : str or torch.device, optional
        Default :func:`prunegraph._device.default_device`; the model returns to its device.
    head : sequence of int or callable, optional
        Task-head selector (see module notes).

    Returns
    -------
    float
        Share of correct argmax predictions, in [0, 1].

    Examples
    --------
    >>> import torch
    >>> m = torch.nn.Linear(2, 2)
    >>> with torch.no_grad():
    ...     _ = m.weight.copy_(torch.eye(2)); _ = m.bias.zero_()
    >>> evaluate(m, torch.tensor([[1., 0.], [0., 1.], [1., 0.]]), torch.tensor([0, 1, 1]), device="cpu")
    0.6666666666666666
    """
    _check_xy(X, y, "evaluate")
    dev = default_device(device)
    home = _model_device(model)
    was_training = model.training
    model.to(dev).eval()
    lut = _head_lut(head, dev)
    correct = 0
    try:
        for i in range(0, X.shape[0], batch_size):
            xb = X[i:i + batch_size].to(dev, non_blocking=True)
            yb = _targets(y[i:i + batch_size].to(dev), head, lut)
            correct += int((_logits(model, xb, head).argmax(1) == yb).sum())
    finally:
        model.train(was_training)
        model.to(home)
    return correct / X.shape[0]


def _model_device(model: nn.Module) -> torch.device:
    for t in model.parameters():
        return t.device
    return torch.device("cpu")


def train(model: nn.Module, X: torch.Tensor, y: torch.Tensor, *, epochs: int = 1, lr: float = 0.05,
          batch_size: int = 128, rng: np.random.Generator | int | None = 0,
          device: str | torch.device | None = None, progress: bool = False,
          grad_mask: Mapping[str, torch.Tensor] | None = None, head: Head = None,
          optimizer: str = "sgd", momentum: float = 0.9, weight_decay: float = 0.0,
          schedule: str = "constant", eval_data: tuple[torch.Tensor, torch.Tensor] | None = None,
          eval_every: int = 1, min_steps: int = 0, shard: tuple[int, int] | None = None,
          on_gradients: Callable[[list], None] | None = None,
          after_step: Callable[[int], None] | None = None,
          set_mode: Callable[[nn.Module], None] | None = None) -> TrainResult:
    """Train ``model`` in place by mini-batch cross-entropy; return a :class:`TrainResult`.

    Each epoch visits the samples in a fresh order drawn from a ``torch.Generator`` seeded by
    ``rng``, so the same seed, data and initial weights give the same run on the CPU.

    Parameters
    ----------
    model : nn.Module
        Trained in place; it ends on the device it started on.
    X, y : Tensor
        Inputs ``[N, ...]`` and int64 labels ``[N]``.
    epochs, lr, batch_size : int, float, int
    rng : Generator, int or None
        Seed of the batch order.
    device : str or torch.device, optional
        Default CUDA when present, else CPU.
    progress : bool
        Show a progress bar over batches (stderr).
    grad_mask : mapping of str to Tensor, optional
        ``{name in model.named_parameters(): mask}``; the gradient is multiplied by the mask
        (broadcastable to the parameter) before each step. Parameters not named train freely;
        a mask of zeros freezes a parameter. A mask already on the device in the parameter's
        dtype is used as given (not copied), so a hook may change it in place.
    head : sequence of int or callable, optional
        Task-head selector (module notes).
    optimizer : {"sgd", "adam"}
        SGD with Nesterov momentum ``momentum``, or Adam.
    weight_decay : float
        L2 coefficient added to the gradient before ``grad_mask`` is applied.
    schedule : {"constant", "cosine"}
        Learning rate per step: constant, or ``lr * (1 + cos(pi * step / total)) / 2``.
    eval_data : (X, y), optional
        Evaluated with :func:`evaluate` every ``eval_every`` epochs and after the last one.
    min_steps : int
        Train at least this many steps (step-based floor; module notes).
    shard : (rank, world), optional
        This process's slice of every mini-batch (module notes).
    on_gradients, after_step, set_mode : callable, optional
        Hooks (module notes).

    Returns
    -------
    TrainResult

    Examples
    --------
    >>> import torch
    >>> X = torch.randn(64, 4); y = (X[:, 0] > 0).long()
    >>> m = torch.nn.Linear(4, 2)
    >>> frozen = m.bias.detach().clone()
    >>> r = train(m, X, y, epochs=3, lr=0.1, batch_size=16, rng=0, device="cpu",
    ...           grad_mask={"bias": torch.zeros(2)})
    >>> torch.equal(m.bias.detach(), frozen), r.steps
    (True, 12)
    """
    _check_xy(X, y, "train")
    if int(epochs) < 0 or int(batch_size) < 1 or not float(lr) > 0:
        raise UsageError(f"need epochs >= 0, batch_size >= 1, lr > 0; got {epochs}, {batch_size}, {lr}")
    if optimizer not in ("sgd", "adam"):
        raise UsageError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")
    if schedule not in ("constant", "cosine"):
        raise UsageError(f"schedule must be 'constant' or 'cosine', got {schedule!r}")
    dev = default_device(device)
    home = _model_device(model)
    model.to(dev).train()
    params = dict(model.named_parameters())
    masks: dict[str, torch.Tensor] = {}
    for name, m in (grad_mask or {}).items():
        if name not in params:
            raise UsageError(f"grad_mask names {name!r}, which is not a parameter of the model; "
                             f"parameters are {', '.join(params)}")
        masks[name] = torch.as_tensor(m).to(dev, dtype=params[name].dtype)
    trainable = [p for p in params.values() if p.requires_grad]
    opt: torch.optim.Optimizer
    if optimizer == "sgd":
        opt = torch.optim.SGD(trainable, lr=lr, momentum=momentum, nesterov=momentum > 0)
    else:
        opt = torch.optim.Adam(trainable, lr=lr)
    lut = _head_lut(head, dev)
    gen = torch.Generator().manual_seed(as_seed(rng))
    n = X.shape[0]
    n_batches = math.ceil(n / batch_size)
    total_steps = int(epochs) * n_batches
    if int(epochs) > 0:
        total_steps = max(total_steps, int(min_steps))
    passes = math.ceil(total_steps / n_batches)
    rank, world = shard if shard is not None else (0, 1)
    losses, accs, evals = [], [], []
    steps = 0
    t0 = time.perf_counter()
    try:
        for epoch in range(passes):
            order = torch.randperm(n, generator=gen)
            loss_sum, correct, seen = 0.0, 0, 0
            todo = min(n_batches, total_steps - steps)
            batches = _progress(range(todo), desc=f"epoch {epoch + 1}/{passes}",
                                total=todo, enabled=progress)
            for b in batches:
                idx = order[b * batch_size:(b + 1) * batch_size]
                mine = idx if shard is None else idx[rank::world]
                if schedule == "cosine":
                    for g in opt.param_groups:
                        g["lr"] = lr * 0.5 * (1.0 + math.cos(math.pi * steps / max(1, total_steps)))
                if set_mode is not None:
                    set_mode(model)
                opt.zero_grad(set_to_none=True)
                if mine.numel():
                    xb = X[mine].to(dev, non_blocking=True)
                    yb = _targets(y[mine].to(dev), head, lut)
                    logits = _logits(model, xb, head)
                    if shard is None:
                        loss = nn.functional.cross_entropy(logits, yb)
                    else:
                        loss = nn.functional.cross_entropy(logits, yb, reduction="sum") / idx.numel()
                    loss.backward()
                    loss_sum += float(loss.detach()) * idx.numel()
                    correct += int((logits.detach().argmax(1) == yb).sum())
                    seen += mine.numel()
                if on_gradients is not None:
                    on_gradients(trainable)
                with torch.no_grad():
                    if weight_decay:
                        for p in trainable:
                            if p.grad is not None:
                                p.grad.add_(p, alpha=weight_decay)
                    for name, m in masks.items():
                        grad = params[name].grad
                        if grad is not None:
                            grad.mul_(m)
                opt.step()
                steps += 1
                if after_step is not None:
                    after_step(steps)
            losses.append(loss_sum / max(1, seen))
            accs.append(correct / max(1, seen))
            if eval_data is not None and ((epoch + 1) % max(1, eval_every) == 0 or epoch + 1 == passes):
                evals.append(evaluate(model, *eval_data, device=dev, head=head))
                model.train()
            log.info("epoch %d/%d: loss %.4f, train acc %.4f%s", epoch + 1, passes, losses[-1], accs[-1],
                     f", eval acc {evals[-1]:.4f}" if evals else "")
            if not math.isfinite(losses[-1]):
                raise UsageError(f"training diverged (loss {losses[-1]}) in epoch {epoch + 1}; lower lr (now {lr})")
    finally:
        model.to(home)
    return TrainResult(tuple(losses), tuple(accs), tuple(evals), steps, time.perf_counter() - t0,
                       passes, str(dev))
