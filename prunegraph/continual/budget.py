"""Edge budgets per task and layer: ``fixed``, ``share`` or ``fit``, with a per-layer floor.

The kept budget :math:`K_l` of task t in layer l is ``density·out·in`` (``fixed``),
``share·free`` (``share``) or the fixed budget scaled by :func:`fit_budget_scale` (``fit``);
every hidden layer keeps at least ``ceil(min_fanin·out)`` edges (capped at the free positions);
the head layer keeps ``head_density`` of the task's rows (task-incremental: rows of its own), or
in the domain-incremental scenario, where every task shares the same rows, ``head_density`` of
the head positions still free (so the shared head's capacity shrinks geometrically; the driver
refuses a task left with fewer head edges than output units).

**Budget floor.** Ownership is per *edge*, i.e. per unit pair; for a convolution that is an
input-output *channel pair*. Convolutions have few channel pairs (LeNet-5's conv1 has 1·6 = 6,
conv2 6·16 = 96), so ``density·out·in`` rounds to almost nothing and the layer would cut the
network off; the floor gives every output unit ``min_fanin`` incoming edges on average. For
LeNet-300-100's Linear layers it lies far below the density budget and changes nothing.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .config import ContinualConfig, stage_rng
from .records import LayerBudget

__all__ = ["fit_budget_scale", "budget_details", "pa_options"]


def pa_options(cfg: ContinualConfig) -> dict:
    """Keyword arguments of :func:`prunegraph.continual.growth.fit_kernel` from the config.

    ``pa_target``: ``"own"`` (the layer's own MLE law, γ fitted), ``"family"`` (γ from the
    preferred family) or ``"fixed"``: f(k) = (k + ``pa_offset``)^``pa_gamma`` on both sides.

    >>> from prunegraph.continual import ContinualConfig
    >>> o = pa_options(ContinualConfig(pa_target="fixed", pa_gamma=0.5))
    >>> o["target"]["in"].gamma, o["target"]["out"].offset
    (0.5, 1.0)
    """
    opts: dict[str, Any] = {"default_alpha": cfg.pa_default_alpha, "a_min": cfg.pa_a_min,
            "min_tail": cfg.pa_min_tail, "bootstrap": cfg.pa_bootstrap}
    if cfg.pa_target == "family":
        opts["gamma_from"] = "family"
    elif cfg.pa_target == "fixed":
        from .growth import DegreeLaw

        law = DegreeLaw(float(cfg.pa_gamma), float(cfg.pa_offset), 1.0, 0, 10**6, 0, 0.0, (),
                        "given")
        opts["target"] = {"in": law, "out": law}
    return opts


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
    tail, so :math:`s_l` is the layer's log-degree spread relative to the reference. When
    neither side is plausible (or the layer is still empty) :math:`s_l = 1` (the fixed budget)
    and the reason is recorded.

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


def budget_details(cfg: ContinualConfig, own, t: int) -> dict[str, LayerBudget]:
    """Per layer of ``own`` (an :class:`~prunegraph.continual.ownership.Ownership`) for task t:
    mode, free positions, base budget, fit scale (``fit``), floor and the budget used.

    Examples
    --------
    >>> from torch import nn
    >>> from prunegraph.continual.ownership import Ownership
    >>> own = Ownership(nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 4)), [[0, 1], [2, 3]])
    >>> d = budget_details(ContinualConfig(density=0.1), own, 0)
    >>> d["0.weight"].budget, d["2.weight"].budget
    (20, 20)
    """
    out: dict[str, LayerBudget] = {}
    opts = pa_options(cfg)
    for layer in own.layers:
        free = int(own.free_edges(layer, t).sum())
        scale: dict[str, Any] | None = None
        base: int | None = None
        if layer.is_head and cfg.scenario == "domain":
            k = round(cfg.head_density * free)   # one shared head: a share of what is left
        elif layer.is_head:
            k = round(cfg.head_density * int(own.region(layer, t).sum()))
        elif cfg.budget == "share":
            k = round(cfg.share * free)
        else:
            k = round(cfg.density * layer.shape[0] * layer.shape[1])
            if cfg.budget == "fit":
                current = own.edge_owner(layer.param)
                current = (current >= 0) & (current < t)
                scale = fit_budget_scale(
                    current.sum(1).cpu().numpy(), current.sum(0).cpu().numpy(),
                    target_alpha=cfg.fit_target_alpha, scale_min=cfg.fit_scale_min,
                    scale_max=cfg.fit_scale_max, pa_options=opts,
                    rng=stage_rng(cfg, t, 300 + len(out)))
                base = int(k)
                k = round(k * scale["scale"])
        floor = 0 if layer.is_head else math.ceil(cfg.min_fanin * layer.shape[0])
        out[layer.param] = LayerBudget(
            mode="head" if layer.is_head else cfg.budget, free=free, unfloored=int(k), floor=int(floor),
            budget=int(max(0, min(max(k, floor), free))),
            raw_weights_per_edge=int(math.prod(own.params[layer.param].shape[2:])), fit=scale, base=base)
    return out
