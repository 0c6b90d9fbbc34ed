"""Pruning methods that produce the networks prunegraph analyses (files: :mod:`prunegraph.checkpoint`).

Every method writes the :mod:`torch.nn.utils.prune` format — the parameter ``<p>`` becomes
``<p>_orig`` (a parameter) times ``<p>_mask`` (a buffer) — so any reader of that format, and
:func:`prunegraph.load`, sees the pruned connectivity. Densities are hit *exactly*: a layer
asked for density ``d`` keeps ``round(d * numel)`` weights; ties in the score are broken
deterministically by flat index (the earlier weight is kept).

Methods
-------
* :func:`magnitude_prune` — keep the largest ``|w|`` per layer (``scope="layer"``) or over all
  layers together (``scope="global"``).
* :func:`iterative_magnitude_prune` — Han, Pool, Tran & Dally (2015), "Learning both weights and
  connections for efficient neural networks": prune a fraction of the remaining weights by
  magnitude, retrain, repeat until the target density.
* :func:`structured_prune` — remove whole output units (rows / filters, ``dim=0``) or input
  units (columns / input channels, ``dim=1``) by their L_p norm (Li et al. 2017, "Pruning
  filters for efficient ConvNets"). The units stay in the tensor as all-zero slices, and their
  out-edges into the next layer are pruned too, so the graph shows them as dead units (total
  degree 0) instead of losing them.
* :func:`random_prune_like` — the null model: uniformly random masks with exactly the per-layer
  kept counts of a reference (pruned) model or density map.

Layers are named by parameter path, ``"<module>.<param>"`` (``"fc1.weight"``,
``"lstm.weight_hh_l0"``); where a density map is accepted, a module name (``"fc1"``) stands for
its ``weight``. Prunable: Linear, Conv/ConvTranspose (1-3d), RNN/LSTM/GRU input and hidden
weights. Biases and normalisation parameters are never pruned.

Examples
--------
>>> from prunegraph.models.zoo import get_model
>>> m = get_model("lenet300", input_shape=(1, 8, 8), rng=0)
>>> rep = magnitude_prune(m, density=0.1)
>>> rep.kept["fc1.weight"], m.fc1.weight_mask.shape
(1920, torch.Size([300, 64]))
>>> null = get_model("lenet300", input_shape=(1, 8, 8), rng=1)
>>> layer_densities(random_prune_like(null, m, rng=0).model) == layer_densities(m)
True
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.utils import prune as tprune

from .._rng import as_generator, as_seed
from ..errors import UsageError

__all__ = [
    "prunable_parameters", "top_k_mask", "layer_densities", "layer_counts", "get_masks", "apply_masks",
    "magnitude_prune", "iterative_magnitude_prune", "structured_prune", "random_prune_like",
    "PruneReport", "IMPResult",
]

log = logging.getLogger(__name__)

_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
_RNN = (nn.RNN, nn.LSTM, nn.GRU)
# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class PruneReport:
    """What a pruning call left: per layer kept weights, totals and densities.

    Attributes
    ----------
    method : str
    kept, total : dict of str to int
        Nonzero mask entries and sizes per layer (``"<module>.<param>"``).
    model : nn.Module
        The pruned model (the same object that was passed in); not in :meth:`to_dict`.
    """

    method: str
    kept: dict[str, int]
    total: dict[str, int]
    model: nn.Module = field(repr=False, compare=False)

    @property
    def densities(self) -> dict[str, float]:
        """kept / total per layer."""
        return {k: self.kept[k] / self.total[k] for k in self.kept}

    @property
    def overall_density(self) -> float:
        """Kept share of all prunable weights."""
        return sum(self.kept.values()) / max(1, sum(self.total.values()))

    def to_dict(self) -> dict:
        """JSON-ready dict (method, kept, total, densities, overall_density)."""
        return {"method": self.method, "kept": dict(self.kept), "total": dict(self.total),
                "densities": self.densities, "overall_density": self.overall_density}


@dataclass(frozen=True)
class IMPResult:
    """Rounds of :func:`iterative_magnitude_prune`.

    Attributes
    ----------
    rounds : tuple of dict
        Per round: ``round``, ``overall_density``, ``densities`` (per layer), ``train_loss``
        (last epoch), ``accuracy`` (on ``eval_data`` after retraining, or None).
    report : PruneReport
        The final state.
    seconds : float
    """

    rounds: tuple[dict, ...]
    report: PruneReport
    seconds: float

    @property
    def model(self) -> nn.Module:
        return self.report.model

    def to_dict(self) -> dict:
        return {"rounds": [dict(r) for r in self.rounds], "report": self.report.to_dict(),
                "seconds": float(self.seconds)}


# ----------------------------------------------------------------------------- layer plumbing
def prunable_parameters(model: nn.Module) -> list[tuple[str, nn.Module, str]]:
    """``(module_name, module, param_name)`` of every prunable weight, in module order.

    Linear / Conv / ConvTranspose contribute ``weight``; RNN/LSTM/GRU contribute each
    ``weight_ih_l*`` and ``weight_hh_l*``. Pruned parameters (``weight_orig``) are included.

    Examples
    --------
    >>> from prunegraph.models.zoo import get_model
    >>> [(n, p) for n, _, p in prunable_parameters(get_model("lstm", input_shape=(1, 8, 8)))]
    [('lstm', 'weight_ih_l0'), ('lstm', 'weight_hh_l0'), ('fc', 'weight')]
    """
    out: list[tuple[str, nn.Module, str]] = []
    for name, mod in model.named_modules():
        if isinstance(mod, (nn.Linear,) + _CONV):
            out.append((name, mod, "weight"))
        elif isinstance(mod, _RNN):
            for pname in mod._flat_weights_names:
                if pname.startswith(("weight_ih", "weight_hh")):
                    out.append((name, mod, pname))
    return out


def _key(mname: str, pname: str) -> str:
    return f"{mname}.{pname}" if mname else pname


def _layers(model: nn.Module) -> dict[str, tuple[nn.Module, str]]:
    return {_key(m, p): (mod, p) for m, mod, p in prunable_parameters(model)}


def _resolve(model: nn.Module, names: Iterable[str], what: str) -> list[str]:
    layers = _layers(model)
    out = []
    for n in names:
        if n in layers:
            out.append(n)
        elif f"{n}.weight" in layers:
            out.append(f"{n}.weight")
        else:
            raise UsageError(f"{what}: no prunable layer {n!r}; layers are {', '.join(layers)}")
    return out


def _raw(mod: nn.Module, p: str) -> torch.Tensor:
    return getattr(mod, p + "_orig") if hasattr(mod, p + "_orig") else getattr(mod, p)


def _mask(mod: nn.Module, p: str) -> torch.Tensor:
    """Current 0/1 mask (bool): the prune buffer, or all ones for an unpruned layer."""
    if hasattr(mod, p + "_mask"):
        return getattr(mod, p + "_mask").detach() != 0
    return torch.ones_like(getattr(mod, p), dtype=torch.bool)


def _effective(mod: nn.Module, p: str) -> torch.Tensor:
    return (_raw(mod, p) * _mask(mod, p)).detach()


def _set_mask(mod: nn.Module, p: str, mask: torch.Tensor) -> None:
    raw = _raw(mod, p)
    m = mask.to(device=raw.device, dtype=raw.dtype)
    if hasattr(mod, p + "_mask"):
        with torch.no_grad():
            getattr(mod, p + "_mask").copy_(m)
        setattr(mod, p, getattr(mod, p + "_orig") * getattr(mod, p + "_mask"))
    else:
        tprune.custom_from_mask(mod, p, m)


def get_masks(model: nn.Module) -> dict[str, torch.Tensor]:
    """Bool mask of every prunable layer (all True where not pruned), keyed ``"<module>.<param>"``.

    Examples
    --------
    >>> m = torch.nn.Sequential(torch.nn.Linear(3, 2))
    >>> get_masks(m)["0.weight"].all().item()
    True
    """
    return {k: _mask(mod, p).clone() for k, (mod, p) in _layers(model).items()}


def apply_masks(model: nn.Module, masks: Mapping[str, torch.Tensor]) -> nn.Module:
    """Set the prune masks of the named layers (replacing any existing mask); returns ``model``.

    Examples
    --------
    >>> m = torch.nn.Sequential(torch.nn.Linear(3, 2))
    >>> _ = apply_masks(m, {"0": torch.tensor([[1, 0, 0], [0, 1, 1]])})
    >>> layer_counts(m)["0.weight"]
    (3, 6)
    """
    layers = _layers(model)
    for name, mask in masks.items():
        (key,) = _resolve(model, [name], "apply_masks")
        mod, p = layers[key]
        mask = torch.as_tensor(mask)
        if tuple(mask.shape) != tuple(_raw(mod, p).shape):
            raise UsageError(f"apply_masks: mask for {key} has shape {tuple(mask.shape)}, "
                             f"the weight has {tuple(_raw(mod, p).shape)}")
        _set_mask(mod, p, mask != 0)
    return model


def layer_counts(model: nn.Module) -> dict[str, tuple[int, int]]:
    """``(kept, total)`` per prunable layer: the mask's ones, or nonzero weights if unpruned."""
    out = {}
    for k, (mod, p) in _layers(model).items():
        if hasattr(mod, p + "_mask"):
            kept = int((getattr(mod, p + "_mask") != 0).sum())
        else:
            kept = int((getattr(mod, p) != 0).sum())
        out[k] = (kept, _raw(mod, p).numel())
    return out


def layer_densities(model: nn.Module) -> dict[str, float]:
    """Density (kept / total) of every prunable layer, keyed ``"<module>.<param>"``.

    A pruned layer counts its mask; an unpruned layer counts its nonzero weights.

    Examples
    --------
    >>> m = torch.nn.Sequential(torch.nn.Linear(4, 5))
    >>> layer_densities(magnitude_prune(m, density=0.25).model)
    {'0.weight': 0.25}
    """
    return {k: kept / total for k, (kept, total) in layer_counts(model).items()}


def _report(model: nn.Module, method: str) -> PruneReport:
    counts = layer_counts(model)
    return PruneReport(method, {k: c[0] for k, c in counts.items()},
                       {k: c[1] for k, c in counts.items()}, model)


def top_k_mask(scores: torch.Tensor, k: int) -> torch.Tensor:
    """Bool mask of the ``k`` largest scores; ties go to the lower flat index.

    The one tie-breaking rule of every magnitude cut in prunegraph (pruning here and the
    continual driver's per-task pruning).

    Examples
    --------
    >>> top_k_mask(torch.tensor([[1.0, 3.0], [3.0, 2.0]]), 2).tolist()
    [[False, True], [True, False]]
    """
    flat = scores.flatten()
    order = torch.sort(-flat, stable=True).indices
    keep = torch.zeros(flat.numel(), dtype=torch.bool, device=flat.device)
    keep[order[:k]] = True
    return keep.view_as(scores)


_top_k = top_k_mask


def _check_density(d: Any, what: str) -> float:
    try:
        d = float(d)
    except (TypeError, ValueError):
        raise UsageError(f"{what}: density must be a number in [0, 1], got {d!r}") from None
    if not 0.0 <= d <= 1.0 or math.isnan(d):
        raise UsageError(f"{what}: density must lie in [0, 1] (density = 1 - sparsity), got {d}")
    return d


def _density_map(model: nn.Module, density, layers, what: str) -> dict[str, float]:
    if isinstance(density, Mapping):
        if layers is not None:
            raise UsageError(f"{what}: give layers either as the keys of a density map or as layers=, not both")
        keys = _resolve(model, density.keys(), what)
        return {k: _check_density(d, f"{what} {k}") for k, d in zip(keys, density.values())}
    d = _check_density(density, what)
    keys = _resolve(model, layers, what) if layers is not None else list(_layers(model))
    return {k: d for k in keys}


# ----------------------------------------------------------------------------- magnitude
def magnitude_prune(model: nn.Module, *, density: float | Mapping[str, float], scope: str = "layer",
                    layers: Iterable[str] | None = None) -> PruneReport:
    """Keep the weights of largest magnitude ``|w|``; mask the rest (in place).

    ``scope="layer"`` keeps ``round(d_l * numel_l)`` weights in each layer ``l``;
    ``scope="global"`` ranks all selected layers together and keeps ``round(d * N)`` in total
    (per-layer densities then follow the magnitudes). Already-pruned weights score below every
    surviving one and are never revived: asking a layer for more weights than it has left is
    an error.

    Parameters
    ----------
    model : nn.Module
    density : float or mapping of str to float
        Share of weights kept (``1 - sparsity``); a map names layers and their densities.
    scope : {"layer", "global"}
    layers : iterable of str, optional
        Layers to prune (default all prunable); others are left as they are.

    Returns
    -------
    PruneReport

    Examples
    --------
    >>> m = torch.nn.Sequential(torch.nn.Linear(2, 2))
    >>> with torch.no_grad():
    ...     _ = m[0].weight.copy_(torch.tensor([[0.1, -3.0], [2.0, 0.5]]))
    >>> _ = magnitude_prune(m, density=0.5)
    >>> m[0].weight_mask.tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    if scope not in ("layer", "global"):
        raise UsageError(f"scope must be 'layer' or 'global', got {scope!r}")
    dmap = _density_map(model, density, layers, "magnitude_prune")
    all_layers = _layers(model)
    if scope == "global":
        if isinstance(density, Mapping):
            raise UsageError("magnitude_prune: scope='global' takes one density, not a per-layer map")
        keys = list(dmap)
        scores, sizes, alive = [], [], 0
        for k in keys:
            mod, p = all_layers[k]
            m = _mask(mod, p)
            s = _effective(mod, p).abs().float().flatten()
            s[~m.flatten()] = -1.0
            scores.append(s.cpu())
            sizes.append(s.numel())
            alive += int(m.sum())
        total = sum(sizes)
        k_keep = int(round(next(iter(dmap.values())) * total)) if keys else 0
        if k_keep > alive:
            raise UsageError(f"magnitude_prune: global density {k_keep / total:.4f} needs {k_keep} weights but "
                             f"only {alive} are left; weights already pruned are not revived")
        keep = _top_k(torch.cat(scores), k_keep) if keys else torch.zeros(0, dtype=torch.bool)
        for k, part in zip(keys, torch.split(keep, sizes)):
            mod, p = all_layers[k]
            _set_mask(mod, p, part.view_as(_raw(mod, p)))
    else:
        for k, d in dmap.items():
            mod, p = all_layers[k]
            m = _mask(mod, p)
            n_keep = int(round(d * m.numel()))
            if n_keep > int(m.sum()):
                raise UsageError(f"magnitude_prune: layer {k} has {int(m.sum())} weights left, cannot keep "
                                 f"{n_keep} (density {d}); weights already pruned are not revived")
            s = _effective(mod, p).abs().float()
            s[~m] = -1.0
            _set_mask(mod, p, _top_k(s, n_keep))
    return _report(model, f"magnitude_{scope}")


def iterative_magnitude_prune(model: nn.Module, X: torch.Tensor, y: torch.Tensor, *,
                              density: float | Mapping[str, float], prune_fraction: float = 0.2,
                              epochs_per_round: int = 1, final_epochs: int = 0, scope: str = "layer",
                              layers: Iterable[str] | None = None, eval_data=None,
                              rng: np.random.Generator | int | None = 0, progress: bool = False,
                              **train_kwargs) -> IMPResult:
    """Iterative magnitude pruning with retraining (Han et al. 2015).

    Starting from a *trained* model, round ``r = 1, 2, ...`` sets each layer's density to
    ``max(target_l, (1 - prune_fraction)^r)`` (global scope: the overall density), prunes by
    magnitude (:func:`magnitude_prune`) and retrains the survivors for ``epochs_per_round``
    epochs with :func:`prunegraph.training.train.train`; the last round reaches the target exactly and is
    followed by ``final_epochs`` more epochs of retraining.

    Parameters
    ----------
    model : nn.Module
        Trained dense (or partly pruned) model, pruned in place.
    X, y : Tensor
        Training data for the retraining.
    density : float or mapping
        Target density (``1 - sparsity``), one for all layers or per layer.
    prune_fraction : float
        Share of the remaining weights removed per round (0 < f < 1).
    epochs_per_round, final_epochs : int
    scope : {"layer", "global"}
    layers : iterable of str, optional
    eval_data : (X, y), optional
        Evaluated after every round.
    rng : Generator, int or None
        Seeds the retraining batch order (round ``r`` uses a seed derived from it).
    progress : bool
    **train_kwargs
        Passed to :func:`prunegraph.training.train.train` (``lr``, ``batch_size``, ``device``,
        ``optimizer``, ``schedule``, ``weight_decay``, ``grad_mask``, ``head``...).

    Returns
    -------
    IMPResult

    Examples
    --------
    >>> from prunegraph.models.zoo import get_model
    >>> from prunegraph.models.data import load_digits
    >>> X, y = load_digits()
    >>> m = get_model("lenet300", input_shape=(1, 8, 8), rng=0)
    >>> res = iterative_magnitude_prune(m, X, y, density=0.5, prune_fraction=0.3, lr=0.05, device="cpu")
    >>> len(res.rounds), res.report.overall_density == 0.5
    (2, True)
    """
    import time

    from .._progress import progress as _progress
    from .train import evaluate, train

    if not 0.0 < float(prune_fraction) < 1.0:
        raise UsageError(f"prune_fraction must lie strictly between 0 and 1, got {prune_fraction}")
    if scope == "global" and isinstance(density, Mapping):
        raise UsageError("iterative_magnitude_prune: scope='global' takes one density, not a per-layer map")
    targets = _density_map(model, density, layers, "iterative_magnitude_prune")
    if not targets:
        raise UsageError("iterative_magnitude_prune: no layers to prune")
    start = {k: d for k, d in layer_densities(model).items() if k in targets}
    keep = 1.0 - float(prune_fraction)
    if scope == "global":
        t = next(iter(targets.values()))
        counts = layer_counts(model)
        cur = sum(counts[k][0] for k in targets) / sum(counts[k][1] for k in targets)
        n_rounds = max(1, math.ceil(math.log(t / cur) / math.log(keep) - 1e-9)) if t > 0 else 1
    else:
        n_rounds = max(max(1, math.ceil(math.log(targets[k] / start[k]) / math.log(keep) - 1e-9))
                       if targets[k] > 0 else 1 for k in targets)
    base_seed = as_seed(rng)  # an int stays itself (as training.train.seed_from)
    rounds = []
    t0 = time.perf_counter()
    for r in _progress(range(1, n_rounds + 1), desc="IMP rounds", total=n_rounds, enabled=progress):
        last = r == n_rounds
        if scope == "global":
            d_r = t if last else max(t, cur * keep ** r)
            magnitude_prune(model, density=d_r, scope="global", layers=list(targets))
        else:
            d_map = {k: (targets[k] if last else max(targets[k], start[k] * keep ** r)) for k in targets}
            magnitude_prune(model, density=d_map)
        epochs = epochs_per_round + (final_epochs if last else 0)
        res = train(model, X, y, epochs=epochs, rng=base_seed + r, progress=False, **train_kwargs) \
            if epochs > 0 else None
        acc = evaluate(model, *eval_data, device=train_kwargs.get("device"),
                       head=train_kwargs.get("head")) if eval_data is not None else None
        rep = _report(model, "iterative_magnitude")
        rounds.append({"round": r, "overall_density": rep.overall_density, "densities": rep.densities,
                       "train_loss": res.losses[-1] if res is not None else None, "accuracy": acc})
        log.info("IMP round %d/%d: density %.4f, accuracy %s", r, n_rounds, rep.overall_density, acc)
    return IMPResult(tuple(rounds), _report(model, "iterative_magnitude"), time.perf_counter() - t0)


# ----------------------------------------------------------------------------- structured
def structured_prune(model: nn.Module, *, density: float | Mapping[str, float], norm: float = 2,
                     dim: int = 0, layers: Iterable[str] | None = None,
                     propagate: bool = True) -> PruneReport:
    """Remove whole units by the L_p norm of their weight slice (in place).

    ``dim=0`` scores output units (rows of a Linear weight, filters of a convolution) and keeps
    ``round(d * n_units)`` of them; ``dim=1`` does the same for input units (columns / input
    channels). Removed units keep their place as all-zero slices, so in the graph they are
    dead units, not missing ones. Ties go to the lower unit index.

    With ``propagate`` (``dim=0`` only) the out-edges of a removed unit are pruned too, as if
    the unit were physically removed, so it ends with total degree 0: the columns (input
    channels; for a convolution flattened into a Linear layer, the block of columns of that
    channel) of the layers that read it. The consumers are found with :mod:`torch.fx` through
    unit-preserving operations only (activations, pooling, batch norm, dropout, flatten);
    where a unit also reaches an addition or concatenation (residual connections) its
    out-edges are left alone, with a warning naming the layers.

    Parameters
    ----------
    model : nn.Module
    density : float or mapping
        Share of *units* kept; the layer's weight density is then exactly kept/n_units.
    norm : float
        ``p`` of the L_p norm (``2`` or ``1``; ``float('inf')`` allowed).
    dim : {0, 1}
    layers : iterable of str, optional
        Default: every Linear/Conv layer except the last (its outputs are the classes) for
        ``dim=0``, and except the first (its inputs are pixels) for ``dim=1``. Recurrent layers
        are not supported.
    propagate : bool
        Also prune the out-edges of removed output units (see above).

    Returns
    -------
    PruneReport

    Examples
    --------
    >>> m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    >>> with torch.no_grad():
    ...     _ = m[0].weight.copy_(torch.tensor([[1., 1, 1], [0, 0, 1], [3, 0, 0], [0, 0, 0.5]]))
    >>> _ = structured_prune(m, density=0.5)
    >>> (m[0].weight_mask.sum(1) > 0).tolist()
    [True, False, True, False]
    >>> (m[2].weight_mask.sum(0) > 0).tolist()   # their out-edges went with them
    [True, False, True, False]
    """
    if dim not in (0, 1):
        raise UsageError(f"structured_prune: dim must be 0 (output units) or 1 (input units), got {dim}")
    all_layers = _layers(model)
    if layers is None and not isinstance(density, Mapping):
        dense_like = [k for k, (mod, p) in all_layers.items() if not isinstance(mod, _RNN)]
        layers = dense_like[:-1] if dim == 0 else dense_like[1:]
    dmap = _density_map(model, density, layers, "structured_prune")
    removed: dict[str, torch.Tensor] = {}
    for k, d in dmap.items():
        mod, p = all_layers[k]
        if isinstance(mod, _RNN):
            raise UsageError(f"structured_prune: layer {k} is recurrent; structured pruning supports "
                             "Linear and Conv layers only")
        w = _effective(mod, p)
        # ConvTranspose stores [in, out, ...]; swap so dim 0 always means output units
        transposed = isinstance(mod, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d))
        axis = (1 - dim) if transposed else dim
        other = tuple(i for i in range(w.dim()) if i != axis)
        scores = torch.linalg.vector_norm(w.float(), ord=norm, dim=other)
        alive = _mask(mod, p).flatten(1).any(1) if axis == 0 else _mask(mod, p).transpose(0, 1).flatten(1).any(1)
        scores[~alive] = -1.0
        n_units = w.shape[axis]
        n_keep = int(round(d * n_units))
        if n_keep > int(alive.sum()):
            raise UsageError(f"structured_prune: layer {k} has {int(alive.sum())} units left, cannot keep "
                             f"{n_keep}; pruned units are not revived")
        keep_units = _top_k(scores, n_keep)
        shape = [1] * w.dim()
        shape[axis] = n_units
        mask = keep_units.view(shape).expand_as(w) & _mask(mod, p)
        _set_mask(mod, p, mask)
        if propagate and dim == 0:
            removed[k] = ~keep_units.cpu()
    if removed:
        consumers = _consumers(model)
        unsafe = []
        for k, gone in removed.items():
            targets = consumers.get(k)
            if targets is None:
                unsafe.append(k)
                continue
            for ck, fold in targets:
                cmod, cp = all_layers[ck]
                cols = gone.repeat_interleave(fold)
                cmask = _mask(cmod, cp).clone()
                cmask[:, cols.to(cmask.device)] = False
                _set_mask(cmod, cp, cmask)
        if unsafe:
            warnings.warn(f"structured_prune: out-edges of removed units of {', '.join(unsafe)} were kept "
                          "(their outputs reach an addition/concatenation or the model is not fx-traceable)",
                          stacklevel=2)
    return _report(model, f"structured_l{norm:g}_dim{dim}")


def _consumers(model: nn.Module) -> dict[str, list[tuple[str, int]] | None]:
    """For each Linear/Conv weight: the layers reading its output units and the fold (columns
    per unit), following unit-preserving operations only; None where that is not safe
    (:func:`prunegraph.graph.trace.unit_consumers`)."""
    from ..graph.trace import unit_consumers

    layers = {m: mod for m, mod, p in prunable_parameters(model)
              if p == "weight" and isinstance(mod, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d))}
    return unit_consumers(model, layers)


# ----------------------------------------------------------------------------- random null
def random_prune_like(model: nn.Module, reference: nn.Module | PruneReport | Mapping[str, float], *,
                      rng: np.random.Generator | int | None = None,
                      layers: Iterable[str] | None = None) -> PruneReport:
    """Random pruning at exactly the per-layer densities of a reference (the null model).

    Each layer keeps exactly as many weights as the reference layer (a model or report: its
    kept count; a density map: ``round(d * numel)``), at positions drawn uniformly without
    replacement, independently per layer. Any existing mask of ``model`` is *replaced*. The
    in-degree of an output unit of a random-pruned Linear layer is then hypergeometric,
    ≈ Binomial(fan_in, density): the Erdős–Rényi-like baseline degree distributions are read
    against.

    Parameters
    ----------
    model : nn.Module
        Pruned in place (usually the dense trained model, or a copy of it).
    reference : nn.Module, PruneReport or mapping of str to float
    rng : Generator, int or None
    layers : iterable of str, optional
        Restrict to these layers (default: every layer the reference names).

    Returns
    -------
    PruneReport

    Examples
    --------
    >>> m = torch.nn.Sequential(torch.nn.Linear(10, 10))
    >>> random_prune_like(m, {"0": 0.3}, rng=0).kept
    {'0.weight': 30}
    """
    gen = as_generator(rng)
    all_layers = _layers(model)
    if isinstance(reference, PruneReport):
        counts = {k: reference.kept[k] for k in reference.kept}
    elif isinstance(reference, nn.Module):
        counts = {k: c[0] for k, c in layer_counts(reference).items()}
    elif isinstance(reference, Mapping):
        counts = {}
        for k, d in zip(_resolve(model, reference.keys(), "random_prune_like"), reference.values()):
            counts[k] = int(round(_check_density(d, f"random_prune_like {k}") * _raw(*all_layers[k]).numel()))
    else:
        raise UsageError("random_prune_like: reference must be a model, a PruneReport or a density map")
    if layers is not None:
        wanted = set(_resolve(model, layers, "random_prune_like"))
        counts = {k: v for k, v in counts.items() if k in wanted}
    for k, n_keep in counts.items():
        if k not in all_layers:
            raise UsageError(f"random_prune_like: reference layer {k!r} is not in the model; "
                             "use a reference of the same architecture")
        mod, p = all_layers[k]
        numel = _raw(mod, p).numel()
        if n_keep > numel:
            raise UsageError(f"random_prune_like: layer {k} has {numel} weights, reference keeps {n_keep}; "
                             "use a reference of the same architecture")
        keep = torch.zeros(numel, dtype=torch.bool)
        keep[torch.from_numpy(gen.permutation(numel)[:n_keep])] = True
        _set_mask(mod, p, keep.view(_raw(mod, p).shape))
    return _report(model, "random_like")
