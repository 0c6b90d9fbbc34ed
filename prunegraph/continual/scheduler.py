"""Growth-step orchestration: which edges a task grows before training, and which it keeps.

* :func:`growth_strategy` — the strategy task t uses (task 0 with ``first="dense"`` grows all
  free positions, PackNet-style).
* :func:`gradient_scores` — |dL/dw| at every free position with all of them at their initial
  values (``gradient`` growth; a one-shot top-k before training, not RigL).
* :func:`grow_task` — per prunable layer, ``ceil(grow_factor · K_l)`` new edges chosen by
  :func:`prunegraph.continual.growth.grow_layer` (kernel code lives there), assigned to task t
  and reset to the model's initial (seeded) weights; dynamic sparse strategies
  (:mod:`prunegraph.continual.dst`) start from ``K_l`` uniformly drawn edges instead.
* :func:`prune_task` — task t's edges cut to their budget by magnitude (|w|, kernels by L1
  norm) with :func:`prunegraph.training.prune.top_k_mask` (ties to the lower flat index, the one rule of
  the project), in ``prune_iterations`` geometric rounds, each followed by retraining.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from .._rng import seed_int
from .budget import pa_options
from .config import ContinualConfig, stage_rng
from .dst import DST_STRATEGIES
from .growth import GrowthDecision, grow_layer

__all__ = ["growth_strategy", "gradient_scores", "grow_task", "prune_task", "expand_edges"]


def growth_strategy(cfg: ContinualConfig, t: int) -> str:
    """The strategy task ``t`` grows with.

    Examples
    --------
    >>> growth_strategy(ContinualConfig(growth="pa"), 0), growth_strategy(ContinualConfig(growth="pa"), 1)
    ('packnet', 'pa')
    """
    return "packnet" if (t == 0 and cfg.first == "dense") else cfg.growth


def expand_edges(edges: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """An [out, in] edge mask broadcast over a convolution's kernel dimensions."""
    if like.dim() == 2:
        return edges
    return edges.reshape(edges.shape + (1,) * (like.dim() - 2)).expand_as(like)


def gradient_scores(model: nn.Module, own, init: dict, X: torch.Tensor, y: torch.Tensor,
                    units: list[int], cfg: ContinualConfig, t: int,
                    set_mode: Callable[[nn.Module], None]) -> dict[str, torch.Tensor]:
    """|dL/dw| per edge (kernels summed) at free positions set to their initial values.

    The loss is summed over ``cfg.gradient_batches`` seeded mini-batches; the weights are
    restored afterwards.
    """
    saved = {n: p.detach().clone() for n, p in own.params.items()}
    with torch.no_grad():
        for layer in own.layers:
            p = own.params[layer.param]
            full = expand_edges(own.free_edges(layer, t), p)
            p[full] = init[layer.param][full]
    device = X.device
    lut = torch.full((max(units) + 1,), -1, dtype=torch.int64, device=device)
    lut[units] = torch.arange(len(units), device=device)
    gen = torch.Generator().manual_seed(seed_int(stage_rng(cfg, t, 3)))
    order = torch.randperm(y.shape[0], generator=gen)
    set_mode(model)
    model.zero_grad(set_to_none=True)
    for b in range(cfg.gradient_batches):
        idx = order[b * cfg.batch_size:(b + 1) * cfg.batch_size].to(device)
        if idx.numel() == 0:
            break
        loss = nn.functional.cross_entropy(model(X[idx])[:, units], lut[y[idx]])
        loss.backward()
    scores = {}
    for layer in own.layers:
        g = own.params[layer.param].grad
        g = torch.zeros_like(saved[layer.param]) if g is None else g.detach().abs()
        scores[layer.param] = g if g.dim() == 2 else g.flatten(2).sum(2)
    model.zero_grad(set_to_none=True)
    with torch.no_grad():
        for n, p in own.params.items():
            p.copy_(saved[n])
    return scores


def grow_task(cfg: ContinualConfig, own, init: dict, t: int, budgets: dict[str, int], *,
              grads: dict[str, torch.Tensor] | None = None) -> list[GrowthDecision]:
    """Grow task t's new edges in every layer of ``own``; returns the decisions.

    Edges are assigned to task t and their weights reset to ``init``.
    """
    strategy = growth_strategy(cfg, t)
    gen = stage_rng(cfg, t, 1)
    opts = pa_options(cfg)
    decisions = []
    for layer in own.layers:
        current = own.edge_owner(layer.param)
        current = (current >= 0) & (current < t)
        n = math.ceil(cfg.grow_factor * budgets[layer.param])
        rule = strategy
        if strategy in DST_STRATEGIES:   # SET/RigL start: the budget, drawn uniformly
            rule, n = "uniform", budgets[layer.param]
        picked, dec = grow_layer(
            rule, own.free_edges(layer, t), n,
            in_degree=current.sum(1).cpu().numpy(), out_degree=current.sum(0).cpu().numpy(),
            grad=(grads or {}).get(layer.param), layer=layer.name, pa_options=opts, rng=gen)
        own.assign_edges(layer, picked, t)
        p = own.params[layer.param]
        with torch.no_grad():
            full = expand_edges(picked, p)
            p[full] = init[layer.param][full]
        decisions.append(dec)
    return decisions


def prune_task(cfg: ContinualConfig, own, t: int, budgets: dict[str, int], *,
               retrain: Callable[[int], dict] | None = None) -> list[dict]:
    """Cut task t's edges to ``budgets`` by magnitude; ``retrain(round)`` after every round.

    Round r of R keeps :math:`c_0 (K/c_0)^{r/R}` edges (the last round exactly K).
    Returns per round the edges kept and the retraining steps.
    """
    from ..training.prune import top_k_mask

    owned0 = {lay.param: int((own.edge_owner(lay.param) == t).sum()) for lay in own.layers}
    rounds = []
    for it in range(1, cfg.prune_iterations + 1):
        for layer in own.layers:
            c0, k = owned0[layer.param], budgets[layer.param]
            if c0 <= k:
                continue
            target = k if it == cfg.prune_iterations else int(round(c0 * (k / c0) ** (it / cfg.prune_iterations)))
            owned = own.edge_owner(layer.param) == t
            if int(owned.sum()) <= target:
                continue
            w = own.params[layer.param].detach()
            score = w.abs() if w.dim() == 2 else w.abs().flatten(2).sum(2)
            score = score.to(torch.float64).masked_fill(~owned, -math.inf)
            own.release_edges(layer, owned & ~top_k_mask(score, target))
        rec = {"round": it, "edges": {lay.param: int((own.edge_owner(lay.param) == t).sum())
                                      for lay in own.layers}}
        if retrain is not None:
            rec["retrain_steps"] = int(retrain(it)["steps"])
        rounds.append(rec)
    return rounds
