"""Dynamic sparse training inside a task: drop the weakest edges, regrow as many, repeat.

During task t's main training phase, every ``ΔT`` steps (until ``end`` = 75 % of the phase),
each layer drops the ``ζ_s · n`` smallest-magnitude edges among the ``n`` edges task t owns
(|w|, kernels by L1 norm, ties to the lower flat index: :func:`prunegraph.training.prune.top_k_mask`)
and regrows the same number among the free positions of the task's region (just-dropped ones
excluded), so the task's edge count stays at its budget; no magnitude cut follows the phase.

* ``set`` — SET (Mocanu et al., Nature Communications 9, 2383, 2018): constant ζ = 0.3,
  regrowth uniformly at random; regrown weights start from the model's initial (seeded) values.
* ``rigl`` — RigL (Evci et al., ICML 2020): ζ_s = (α/2)(1 + cos(π s / end)) with α = 0.3,
  ΔT = 100, end = 75 % of the steps; regrowth at the largest |gradient| of the dense loss
  gradient at that step; regrown weights start at zero.
* ``pa-dst`` — RigL's schedule, regrowth sampled by the preferential-attachment kernel of
  :func:`prunegraph.continual.growth.grow_layer` (``"pa"``) on the degrees of the network the
  task sees (edges of tasks ≤ t); regrown weights start at zero.

The task's edges before training are ``budget`` edges drawn uniformly (SET's and RigL's random
sparse start); task 0 with ``first="dense"`` starts dense and is cut by magnitude as for every
strategy. The optimiser state of a regrown position is not reset (RigL resets nothing either for
SGD with momentum; a position's moment is zero unless it was trained earlier in the phase).
"""

from __future__ import annotations

import math

import torch

from .growth import grow_layer

__all__ = ["DST_STRATEGIES", "DST_DEFAULTS", "drop_fraction", "DynamicSparse"]

DST_STRATEGIES = ("set", "rigl", "pa-dst")
#: published defaults: SET ζ = 0.3 (constant); RigL α = 0.3, ΔT = 100, end at 75 % of training
DST_DEFAULTS = {"zeta": 0.3, "alpha": 0.3, "delta_t": 100, "end_fraction": 0.75}


def drop_fraction(strategy: str, step: int, end: int, *, zeta: float = 0.3,
                  alpha: float = 0.3) -> float:
    """Share of a layer's edges dropped at ``step``: SET constant ζ, RigL/PA cosine decay.

    Examples
    --------
    >>> drop_fraction("set", 100, 300), drop_fraction("rigl", 0, 300), drop_fraction("rigl", 300, 300)
    (0.3, 0.3, 0.0)
    >>> round(drop_fraction("rigl", 150, 300), 3)
    0.15
    """
    if step >= end:
        return 0.0
    if strategy == "set":
        return float(zeta)
    return float(alpha / 2 * (1 + math.cos(math.pi * step / end)))


class DynamicSparse:
    """Drop-and-regrow state of one task's main training phase (hooks of the driver).

    Parameters
    ----------
    strategy : {"set", "rigl", "pa-dst"}
    own : Ownership
    task : int
    total_steps : int
        Steps of the phase (``end`` = ``end_fraction`` of them).
    trainable, frozen : dict of Tensor
        The driver's trainable masks and frozen copies, updated in place.
    grad_masks : dict of Tensor
        The gradient masks handed to :func:`prunegraph.training.train.train`, updated in place.
    init : dict of Tensor
        Initial weights (SET's regrowth values).
    cfg : ContinualConfig
    rng : numpy Generator
    """

    def __init__(self, strategy, own, task, total_steps, *, trainable, frozen, grad_masks, init,
                 cfg, rng, delta_t=DST_DEFAULTS["delta_t"], zeta=DST_DEFAULTS["zeta"],
                 alpha=DST_DEFAULTS["alpha"], end_fraction=DST_DEFAULTS["end_fraction"]):
        self.strategy, self.own, self.task = strategy, own, task
        self.tr, self.frozen, self.masks, self.init = trainable, frozen, grad_masks, init
        self.cfg, self.rng = cfg, rng
        self.delta_t, self.zeta, self.alpha = int(delta_t), float(zeta), float(alpha)
        self.end = int(end_fraction * total_steps)
        self.grads: dict[str, torch.Tensor] = {}
        self.updates: list[dict] = []

    def due(self, step: int) -> bool:
        """Whether an update follows optimiser step ``step`` (1-based)."""
        return step % self.delta_t == 0 and step < self.end

    def on_gradients(self, step_next: int) -> None:
        """Keep |dense gradient| of the prunable weights when the coming step is an update."""
        if self.strategy == "rigl" and self.due(step_next):
            for layer in self.own.layers:
                g = self.own.params[layer.param].grad
                if g is not None:
                    g = g.detach().abs()
                    self.grads[layer.param] = g if g.dim() == 2 else g.flatten(2).sum(2)

    @torch.no_grad()
    def update(self, step: int) -> dict:
        """Drop and regrow in every layer after ``step``; returns what moved per layer."""
        from ..training.prune import top_k_mask
        from .budget import pa_options
        from .scheduler import expand_edges

        t = self.task
        frac = drop_fraction(self.strategy, step, self.end, zeta=self.zeta, alpha=self.alpha)
        rec: dict = {"step": int(step), "drop_fraction": frac, "layers": {}}
        opts = pa_options(self.cfg)
        for layer in self.own.layers:
            p = self.own.params[layer.param]
            owned = self.own.edge_owner(layer.param) == t
            n = int(owned.sum())
            k = int(round(frac * n))
            if k == 0:
                continue
            w = p.detach()
            score = (w.abs() if w.dim() == 2 else w.abs().flatten(2).sum(2)).to(torch.float64)
            keep = top_k_mask(score.masked_fill(~owned, -math.inf), n - k)
            dropped = owned & ~keep
            candidates = self.own.free_edges(layer, t)   # dropped ones are still owned here
            self.own.release_edges(layer, dropped)
            current = self.own.edge_owner(layer.param)
            current = (current >= 0) & (current <= t)
            if self.strategy == "set":
                picked, _ = grow_layer("uniform", candidates, k, layer=layer.name, rng=self.rng)
            elif self.strategy == "rigl":
                grad = self.grads.get(layer.param, torch.zeros_like(score))
                picked, _ = grow_layer("gradient", candidates, k, grad=grad, layer=layer.name,
                                       rng=self.rng)
            else:
                picked, _ = grow_layer("pa", candidates, k, in_degree=current.sum(1).cpu().numpy(),
                                       out_degree=current.sum(0).cpu().numpy(), layer=layer.name,
                                       pa_options=opts, rng=self.rng)
            self.own.assign_edges(layer, picked, t)
            full_new, full_drop = expand_edges(picked, p), expand_edges(dropped, p)
            p[full_new] = self.init[layer.param][full_new] if self.strategy == "set" else 0.0
            for m in (self.tr[layer.param], self.masks[layer.param]):
                m[full_drop] = False if m.dtype == torch.bool else 0
                m[full_new] = True if m.dtype == torch.bool else 1
            self.frozen[layer.param][full_drop] = 0.0
            rec["layers"][layer.param] = {"dropped": int(dropped.sum()), "grown": int(picked.sum())}
        self.grads.clear()
        self.updates.append(rec)
        return rec
