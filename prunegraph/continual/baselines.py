"""Reference bounds on the same stream and edge budget: fine-tuning and joint training.

Both train one fixed sparse network whose per-layer edge count is what the continual run may
use over all tasks: hidden layers ``min(T · max(round(density · out · in), ceil(min_fanin · out)),
out · in)`` edges (the ``fixed`` budget of every task with its floor, together), the head layer
``head_density`` of every task's rows;
the positions are drawn uniformly with the run's seed, from the same initialisation.

* ``finetune`` (lower bound): tasks one after another, every edge trainable all the time, each
  task reading its own head rows; nothing is frozen, so earlier tasks are forgotten and BWT is
  real. R holds the accuracy on every task after each task.
* ``joint`` (upper bound): all tasks' training data at once for ``T`` times a task's steps, one
  softmax over all output units, evaluated through each task's head (task-incremental reading).

Training goes through :func:`prunegraph.training.train.train` with the same optimiser, learning
rate, batch size and step floor as the continual run.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from .._compat import renamed_kwargs
from .._rng import seed_int
from .config import ContinualConfig, resolve_optimizer, stage_rng
from .metrics import accuracy_metrics

__all__ = ["BASELINES", "run_baseline"]

BASELINES = ("finetune", "joint")


def _masks(cfg: ContinualConfig, model, stream) -> dict[str, torch.Tensor]:
    from .ownership import prunable_layers
    from .scheduler import expand_edges

    T = len(stream.tasks)
    out = {}
    for i, layer in enumerate(prunable_layers(model)):
        n_out, n_in = layer.shape
        gen = stage_rng(cfg, 0, 500 + i)
        edge = np.zeros((n_out, n_in), dtype=bool)
        if layer.is_head:
            for units in stream.head_units:
                rows = np.zeros((n_out, n_in), dtype=bool)
                rows[list(units)] = True
                free = np.flatnonzero(rows & ~edge)
                k = min(round(cfg.head_density * len(units) * n_in), free.size)
                edge.flat[gen.choice(free, size=k, replace=False)] = True
        else:  # every task's fixed budget with the driver's per-layer floor
            k = min(T * max(round(cfg.density * n_out * n_in), math.ceil(cfg.min_fanin * n_out)),
                    n_out * n_in)
            edge.flat[gen.choice(n_out * n_in, size=k, replace=False)] = True
        w = layer.module.weight
        out[layer.param] = expand_edges(torch.as_tensor(edge, device=w.device), w).to(w.dtype)
    return out


@renamed_kwargs(kind="baseline")
def run_baseline(config: ContinualConfig, baseline: str, *, device: str | None = None) -> dict[str, Any]:
    """Run ``finetune`` or ``joint`` on the run's stream; returns R (where defined), ACC, BWT, edges.

    Examples
    --------
    >>> cfg = ContinualConfig(benchmark="split-digits", n_tasks=2, epochs=1, min_steps=20,
    ...                       retrain_min_steps=0)
    >>> r = run_baseline(cfg, "finetune", device="cpu")
    >>> len(r["R"]), r["BWT"] <= 0.05
    (3, True)
    """
    from ..errors import UsageError
    from ..models.zoo import get_model
    from ..training.train import evaluate, train
    from .distributed import select_device
    from .driver import _build_stream, _unit_labels

    if baseline not in BASELINES:
        raise UsageError(f"baseline {baseline!r}: choose one of {', '.join(BASELINES)}")
    cfg = config
    dev = select_device(device)
    stream = _build_stream(cfg)
    model = get_model(cfg.model, num_classes=stream.num_classes, input_shape=stream.input_shape,
                      rng=cfg.seed).to(dev)
    masks = _masks(cfg, model, stream)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name in masks:
                p.mul_(masks[name])
    opt, lr = resolve_optimizer(cfg, model)
    T = len(stream.tasks)
    data = []
    for t, task in enumerate(stream.tasks):
        (Xtr, ytr), (Xte, yte) = task.train, task.test
        data.append((Xtr, _unit_labels(stream, t, ytr, cfg), Xte, _unit_labels(stream, t, yte, cfg)))

    def row():
        return [float(evaluate(model, Xte, yte, device=dev, head=list(stream.head_units[j])))
                for j, (_, _, Xte, yte) in enumerate(data)]

    kw = dict(lr=lr, batch_size=cfg.batch_size, device=dev, grad_mask=masks, optimizer=opt)
    R = [row()]
    steps = 0
    if baseline == "finetune":
        for t, (Xtr, ytr, _, _) in enumerate(data):
            res = train(model, Xtr, ytr, epochs=cfg.epochs, min_steps=cfg.min_steps,
                        rng=seed_int(stage_rng(cfg, t, 2)), head=list(stream.head_units[t]), **kw)
            steps += res.steps
            R.append(row())
        m = accuracy_metrics(R).to_dict()
        acc, bwt, forg = m["ACC"], m["BWT"], m["forgetting"]
    else:
        X = torch.cat([d[0] for d in data])
        y = torch.cat([d[1] for d in data])
        per_task = max(cfg.epochs * math.ceil(data[0][0].shape[0] / cfg.batch_size), cfg.min_steps)
        res = train(model, X, y, epochs=1, min_steps=T * per_task, rng=seed_int(stage_rng(cfg, 0, 2)),
                    **kw)
        steps = res.steps
        final = row()
        R = None
        acc, bwt, forg = float(np.mean(final)), None, None
        m = {"final_row": final}
    edges = int(sum(int(mk.flatten(2).amax(2).sum()) if mk.dim() > 2 else int(mk.sum())
                    for mk in masks.values()))
    return {"baseline": baseline, "R": R, "ACC": acc, "BWT": bwt, "forgetting": forg,
            "edges_total": edges, "steps": int(steps), "optimizer": opt, "lr": lr,
            "details": m if baseline == "joint" else None}
