"""Read any checkpoint into a :class:`~prunegraph.graph.NetworkGraph`.

Files are read by :mod:`prunegraph.checkpoint` (the only reader); the sources understood:

* an ``nn.Module`` (pruned with ``torch.nn.utils.prune`` or not);
* a state_dict file ``.pt``/``.pth`` read with ``torch.load(weights_only=True)`` (never runs
  pickled code; a fully pickled model is refused with a message saying how to save a state_dict);
* a checkpoint dict holding ``state_dict`` / ``model_state_dict`` / ``model``;
* a ``.safetensors`` file (metadata ``prunegraph_model``, ``prunegraph_input_shape``,
  ``prunegraph_num_classes`` name a zoo model to trace);
* the ``torch.nn.utils.prune`` format (``<p>_orig`` and ``<p>_mask``) and weights already
  zeroed by ``prune.remove``;
* PackNet/Avalanche-style ownership buffers ``<p>_owner`` (int, -1 free, else the owner task):
  the weights visible to task ``t`` are those with ``0 <= owner <= t``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ._device import default_device
from .checkpoint import (
    META_HF_CONFIG,
    META_INPUT_SHAPE,
    META_MODEL,
    META_NUM_CLASSES,
    TensorSource,
    checkpoint_files,
    from_mapping,
    memory_source,
    read_checkpoint,
    safetensors_source,
)
from .errors import InputError, PruneGraphError, UsageError
from .graph import (
    LayerGraph,
    LazyWeight,
    NetworkGraph,
    StreamPlan,
    graph_from_module,
    graph_from_state_dict,
    stream_plan,
)

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- effective weights
def effective_weights(state_dict: Mapping[str, Any], *, task: int | None = None,
                      source: str = "state_dict") -> dict[str, torch.Tensor]:
    """Resolve pruning masks and ownership buffers into plain parameter tensors.

    ``<p>_orig`` and ``<p>_mask`` (``torch.nn.utils.prune``) become ``<p> = orig * [mask != 0]``;
    a bare ``<p>_mask`` beside ``<p>`` is applied to it; an ownership buffer ``<p>_owner``
    keeps the entries with ``0 <= owner <= task`` (``task=None``: every owned entry,
    ``owner >= 0``).  Other entries pass through unchanged; non-tensor entries are dropped.

    Parameters
    ----------
    state_dict : mapping of str to torch.Tensor
    task : int, optional
        Task whose visible weights to keep (ownership buffers only).
    source : str
        Named in error messages.

    Returns
    -------
    dict of str to torch.Tensor
        Zeros where pruned or not visible.

    Raises
    ------
    InputError
        A mask or owner buffer whose shape does not match its weight, or a ``_orig`` without ``_mask``.
    UsageError
        ``task`` given but there is no ownership buffer, or ``task < 0``.

    Examples
    --------
    >>> import torch
    >>> sd = {"fc.weight_orig": torch.tensor([[1., 2.]]), "fc.weight_mask": torch.tensor([[0., 1.]])}
    >>> effective_weights(sd)["fc.weight"].tolist()
    [[0.0, 2.0]]
    >>> sd = {"fc.weight": torch.tensor([[1., 2., 3.]]), "fc.weight_owner": torch.tensor([[0, 1, -1]])}
    >>> effective_weights(sd, task=0)["fc.weight"].tolist()
    [[1.0, 0.0, 0.0]]
    """
    if task is not None and (isinstance(task, bool) or int(task) != task or task < 0):
        raise UsageError(f"task={task!r}: must be an integer >= 0 (a task id of the ownership buffers)")
    sd = {k: v for k, v in state_dict.items() if isinstance(v, torch.Tensor)}
    sd = _resolve_parametrizations(sd, source)
    order = {k: i for i, k in enumerate(sd)}
    out: dict[str, torch.Tensor] = {}
    consumed: set[str] = set()
    for key, val in sd.items():
        if key.endswith("_orig"):
            base = key[: -len("_orig")]
            mask = sd.get(base + "_mask")
            if mask is None:
                raise InputError(f"{source}: {key} has no {base}_mask; save the pruned model's full "
                                 f"state_dict (or call torch.nn.utils.prune.remove before saving)")
            out[base] = _apply(val, mask, base, "mask", source)
            consumed.update({key, base + "_mask"})
    for key, val in sd.items():
        if key.endswith("_mask") and key not in consumed:
            base = key[: -len("_mask")]
            if base in sd:
                out[base] = _apply(sd[base], val, base, "mask", source)
                consumed.update({key, base})
    owners = [k for k in sd if k.endswith("_owner")]
    if task is not None and not owners:
        raise UsageError(f"task={task} given but {source} has no ownership buffers (<param>_owner); "
                         f"drop task= or save the owner buffers")
    for key, val in sd.items():
        if key not in consumed and key not in out and not key.endswith("_owner"):
            out[key] = val
    for key in owners:
        base = key[: -len("_owner")]
        if base not in out:
            raise InputError(f"{source}: ownership buffer {key} has no parameter {base}; "
                             f"save the parameter beside its owner buffer")
        own = sd[key]
        if own.shape != out[base].shape:
            raise InputError(f"{source}: layer {base}: owner buffer shape {tuple(own.shape)} does not match "
                             f"the weight {tuple(out[base].shape)}; save an owner buffer of the weight's shape")
        if own.is_floating_point() and not bool(torch.isfinite(own).all()):
            raise InputError(f"{source}: layer {base}: owner buffer has NaN/Inf; owners must be integers")
        visible = own >= 0 if task is None else (own >= 0) & (own <= task)
        out[base] = torch.where(visible.to(out[base].device), out[base], torch.zeros((), dtype=out[base].dtype,
                                                                                     device=out[base].device))
    # keep the input's order (a pruned layer's `_orig` must not move it to the front)
    def first(k):
        return min((order[c] for c in (k, k + "_orig", k + "_mask") if c in order), default=len(order))

    return dict(sorted(out.items(), key=lambda kv: first(kv[0])))


_PARAM = re.compile(r"^(.*?)(?:^|\.)parametrizations\.([^.]+)\.(original\d?|\d+\.[^.]+)$")


def _resolve_parametrizations(sd: dict[str, torch.Tensor], source: str) -> dict[str, torch.Tensor]:
    """Effective weights of ``torch.nn.utils.parametrize`` entries and of the old ``weight_norm``.

    * ``P.parametrizations.W.original0`` / ``original1`` (``parametrizations.weight_norm``) and
      ``P.W_g`` / ``P.W_v`` (``nn.utils.weight_norm``): ``W = g * v / ||v||`` (norm over every
      dim but the one ``g`` keeps; Salimans & Kingma 2016);
    * ``P.parametrizations.W.original`` with ``P.parametrizations.W.<i>.mask`` buffers
      (``torch.ao.pruning`` before ``squash_mask``, or any masking parametrization):
      ``W = original * [mask != 0]``;
    * another parametrization cannot be computed from a state_dict: its ``original`` is used
      and a warning names it (pass the module itself to have it applied).
    """
    groups: dict[tuple[str, str], dict[str, str]] = {}
    for k in sd:
        m = _PARAM.match(k)
        if m:
            groups.setdefault((m.group(1), m.group(2)), {})[m.group(3)] = k
    gv = {k[: -len("_g")] for k in sd if k.endswith("_g") and k[: -len("_g")] + "_v" in sd}
    if not groups and not gv:
        return sd
    out: dict[str, torch.Tensor] = {}
    done: set[str] = set()
    for k, v in sd.items():
        m = _PARAM.match(k)
        if m and (m.group(1), m.group(2)) in groups:
            key = (m.group(1), m.group(2))
            parts = groups.pop(key)
            done.update(parts.values())
            base = f"{key[0]}.{key[1]}" if key[0] else key[1]
            if "original0" in parts and "original1" in parts:
                out[base] = _weight_norm(sd[parts["original1"]], sd[parts["original0"]])
            elif "original" in parts:
                w = sd[parts["original"]]
                masks = [sd[n] for p, n in sorted(parts.items()) if p.endswith(".mask")]
                others = [p for p in parts if p != "original" and not p.endswith(".mask")]
                for mask in masks:
                    w = _apply(w, mask, base, "parametrization mask", source)
                if others:
                    warnings.warn(f"{source}: {base} has a parametrization ({', '.join(others)}) that a "
                                  f"state_dict cannot apply; its stored original is used (pass the module "
                                  f"itself to have the parametrization computed)", stacklevel=3)
                out[base] = w
            continue
        if k in done:
            continue
        if k.endswith("_g") and k[: -len("_g")] in gv:
            base = k[: -len("_g")]
            out[base] = _weight_norm(sd[base + "_v"], v)
            done.update({k, base + "_v"})
            continue
        if k.endswith("_v") and k[: -len("_v")] in gv:
            continue
        out[k] = v
    return out


def _weight_norm(v: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """``g * v / ||v||`` with the norm over every dim except the one ``g`` keeps (size > 1)."""
    keep = [i for i, n in enumerate(g.shape) if n != 1]
    dim = keep[0] if len(keep) == 1 and g.ndim == v.ndim else (0 if g.numel() == v.shape[0] else -1)
    return torch._weight_norm(v, g, dim)




def _apply(weight: torch.Tensor, mask: torch.Tensor, base: str, what: str, source: str) -> torch.Tensor:
    if mask.shape != weight.shape:
        raise InputError(f"{source}: layer {base}: {what} shape {tuple(mask.shape)} does not match the "
                         f"weight {tuple(weight.shape)}; save the {what} with the weight's shape")
    if mask.is_floating_point() and not bool(torch.isfinite(mask).all()):
        raise InputError(f"{source}: layer {base}: {what} has NaN/Inf entries; masks must be 0/1")
    if mask.dtype != torch.bool and bool(((mask != 0) & (mask != 1)).any()):
        raise InputError(f"{source}: layer {base}: {what} has values other than 0 and 1; "
                         f"save a binary mask (e.g. (mask != 0).float())")
    keep = (mask != 0).to(weight.device)
    return torch.where(keep, weight, torch.zeros((), dtype=weight.dtype, device=weight.device))


# --------------------------------------------------------------------------- entry point
def load(source: Any, *, task: int | None = None, input_shape: Sequence[int] | None = None,
         model: str | nn.Module | None = None, num_classes: int | None = None,
         device: str | torch.device | None = None, arch: str | Mapping | None = None) -> NetworkGraph:
    """Load a pruned network from any supported source into a :class:`NetworkGraph`.

    Parameters
    ----------
    source : nn.Module, path or mapping
        A module; a ``.pt``/``.pth`` state_dict or checkpoint dict (``state_dict`` /
        ``model_state_dict``); a ``.safetensors`` file; or an in-memory state_dict.
        A string ``connectome:NAME`` loads a connectome instead (:mod:`prunegraph.connectome`).
    task : int, optional
        With ownership buffers ``<p>_owner``: keep the weights visible to this task
        (``0 <= owner <= task``).
    input_shape : sequence of int, optional
        Per-sample input shape for tracing (default: the model's ``input_shape`` attribute or
        the file's ``prunegraph_input_shape`` metadata).
    model : str or nn.Module, optional
        A zoo name (:func:`prunegraph.models.zoo.get_model`), ``"pkg.module:factory"`` (a callable
        returning the module, imported and called with no arguments, :func:`model_from_factory`),
        or a module whose structure is traced while the weights come from ``source``.  Without
        it (and without metadata naming a zoo model) a bare state_dict is joined from its key
        names and shapes (see :attr:`NetworkGraph.notes` and each layer's ``wiring``).
    num_classes : int, optional
        For zoo models (default: metadata ``prunegraph_num_classes``, else the state_dict).
    device : str or torch.device, optional
        Where the unit-level matrices are built and degrees reduced.  Default: where the
        weights already are (CPU for files, the module's device for a module), so that
        downstream numpy code never meets a CUDA tensor by surprise; pass
        ``prunegraph._device.default_device()`` to use CUDA when present.
    arch : str or dict, optional
        The model family of a state_dict without a module: ``"bert"``, ``"gpt2"``, ``"llama"``,
        ``"mistral"``, or a Hugging Face config dict (default: the ``config.json`` beside the
        weights, if any).  Its block structure wires the layers (wiring ``"config"``).

    Returns
    -------
    NetworkGraph

    Raises
    ------
    InputError
        Unreadable/truncated/pickled file, no prunable layer, NaN/Inf weights, mask shape mismatch.

    Examples
    --------
    >>> import torch
    >>> m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    >>> net = load(m, input_shape=(3,))
    >>> [lg.name for lg in net.layers], net.spaces["input"]
    (['0', '2'], 3)
    """
    if isinstance(source, str) and source.startswith("connectome:"):  # prunegraph.connectome's scheme
        from .connectome import load_source

        return load_source(source)
    dev = default_device(device) if device is not None else None
    if isinstance(source, nn.Module):
        weights = _to(effective_weights(source.state_dict(), task=task, source=type(source).__name__), dev)
        if model is not None:
            raise UsageError("model= is for state_dict sources; an nn.Module source is traced itself")
        return graph_from_module(source, weights=weights, input_shape=input_shape,
                                 source=type(source).__name__)
    if isinstance(source, (str, os.PathLike)):
        name = str(source)
        ck = read_checkpoint(source)
    elif isinstance(source, Mapping):
        name = "state_dict"
        ck = from_mapping(source, name)
    else:
        raise UsageError(f"load: source must be an nn.Module, a checkpoint path or a state_dict, "
                         f"got {type(source).__name__}")
    sd, meta = ck.tensors, ck.metadata
    weights = _to(effective_weights(sd, task=task, source=name), dev)
    if arch is None and model is None:
        arch = meta.get(META_HF_CONFIG)
    if model is None and meta.get(META_MODEL):
        model = str(meta[META_MODEL])
    if input_shape is None and meta.get(META_INPUT_SHAPE):
        input_shape = _parse_shape(meta[META_INPUT_SHAPE], name)
    if num_classes is None and meta.get(META_NUM_CLASSES) not in (None, ""):
        num_classes = _parse_int(meta[META_NUM_CLASSES], META_NUM_CLASSES, name)
    if model is None:
        return _nonempty(graph_from_state_dict(weights, source=name, arch=arch))
    module = _build_model(model, weights, input_shape=input_shape, num_classes=num_classes, source=name)
    _check_fits(module, weights, name)
    return _nonempty(graph_from_module(module, weights=weights, input_shape=input_shape, source=name))


def _nonempty(net: NetworkGraph) -> NetworkGraph:
    """A checkpoint with no surviving edge at all (every weight zero, or empty layers) is refused."""
    if net.n_edges == 0:
        raise InputError(f"{net.source}: empty model: no nonzero weight in any of its {len(net.layers)} "
                         f"layer(s); check that the checkpoint holds the trained, pruned weights")
    return net


def _parse_int(raw: Any, key: str, source: str) -> int:
    try:
        val = int(str(raw).strip())
    except (TypeError, ValueError):
        raise InputError(f"{source}: metadata {key}={raw!r} is not an integer; write e.g. 10") from None
    if val < 1:
        raise InputError(f"{source}: metadata {key}={raw!r} must be >= 1; write e.g. 10")
    return val


def _to(weights: dict[str, torch.Tensor], device: torch.device | None) -> dict[str, torch.Tensor]:
    if device is None:
        return weights
    return {k: v.to(device) for k, v in weights.items()}


def _parse_shape(raw: Any, source: str) -> tuple[int, ...]:
    try:
        val = json.loads(raw) if isinstance(raw, str) else raw
        return tuple(int(s) for s in val)
    except (TypeError, ValueError):
        raise InputError(f"{source}: metadata prunegraph_input_shape={raw!r} is not a JSON list of ints; "
                         f"write e.g. [1, 28, 28]") from None


def _build_model(model, weights, *, input_shape, num_classes, source) -> nn.Module:
    if isinstance(model, nn.Module):
        return model
    if ":" in str(model):
        return model_from_factory(str(model))
    from .models import zoo

    if str(model) not in zoo.list_models():
        head, dot, tail = str(model).rpartition(".")
        hint = f" (did you mean {head}:{tail}?)" if dot and head and tail else ""
        raise UsageError(f"model={str(model)!r}: not a zoo model ({', '.join(zoo.list_models())}); for your "
                         f"own model give package.module:factory, a callable returning the nn.Module, "
                         f"e.g. mypkg.models:build{hint}")
    if num_classes is None:  # the last 2-d weight's rows
        last = [w for k, w in weights.items() if k.endswith(".weight") and w.ndim == 2]
        num_classes = int(last[-1].shape[0]) if last else 10
    kw = {"num_classes": num_classes}
    if input_shape is not None:
        kw["input_shape"] = tuple(input_shape)
    return zoo.get_model(str(model), **kw)


def model_from_factory(spec: str) -> nn.Module:
    """Import ``"pkg.module:factory"`` and call ``factory()`` for the module to trace.

    This runs the user's own code (named on purpose, like any import); weights are never
    unpickled.  ``factory`` may be a dotted attribute path (``pkg.module:Outer.build``) or an
    ``nn.Module`` instance, which is used as it is.

    Raises
    ------
    UsageError
        Malformed spec, a module that cannot be imported or raises on import, a missing
        attribute, a factory that needs arguments or raises, or one that returns no module;
        one line each, naming the spec and the fix.

    Examples
    --------
    >>> type(model_from_factory("torch.nn:Identity")).__name__
    'Identity'
    >>> model_from_factory("torch.nn:Lineer")
    Traceback (most recent call last):
    ...
    prunegraph.errors.UsageError: model='torch.nn:Lineer': torch.nn has no Lineer (did you mean torch.nn:Linear?)
    """
    import difflib
    import importlib
    import inspect

    what = f"model={spec!r}"
    mod_name, _, attr = spec.partition(":")
    if not mod_name or not attr:
        raise UsageError(f"{what}: give package.module:factory (a callable returning the nn.Module), "
                         f"e.g. mypkg.models:build")
    try:
        mod = importlib.import_module(mod_name)
    except ImportError as exc:
        raise UsageError(f"{what}: cannot import {mod_name} ({exc}); put its folder on PYTHONPATH "
                         f"or install it") from None
    except Exception as exc:  # the user's module failed while importing: one line, not its traceback
        raise UsageError(f"{what}: importing {mod_name} raised {_one_line(exc)}; run "
                         f"python -c 'import {mod_name}' to see where") from None
    fn: Any = mod
    for i, part in enumerate(attr.split(".")):
        parent, fn = fn, getattr(fn, part, None)
        if fn is None:
            where = ".".join([mod_name, *attr.split(".")[:i]])
            close = difflib.get_close_matches(part, [n for n in dir(parent) if not n.startswith("_")], n=1)
            hint = f" (did you mean {mod_name}:{'.'.join([*attr.split('.')[:i], close[0]])}?)" if close else ""
            raise UsageError(f"{what}: {where} has no {part}{hint}")
    if isinstance(fn, nn.Module):
        return fn
    if not callable(fn):
        raise UsageError(f"{what}: {mod_name}.{attr} (type {type(fn).__name__}) is not a callable returning "
                         f"the nn.Module")
    try:
        inspect.signature(fn).bind()
    except TypeError as exc:
        raise UsageError(f"{what}: {attr}() needs arguments ({exc}); the factory is called with none: give one "
                         f"that needs none, e.g. def build(): return MyNet(10)") from None
    except ValueError:  # no signature to read (some builtins): just call it
        pass
    try:
        obj = fn()
    except PruneGraphError:
        raise
    except Exception as exc:  # the user's factory failed: one line, not its traceback
        raise UsageError(f"{what}: {attr}() raised {_one_line(exc)}; call it in Python to see where") from None
    if not isinstance(obj, nn.Module):
        raise UsageError(f"{what}: {attr}() returned {type(obj).__name__}, not an nn.Module")
    return obj


def _one_line(exc: BaseException) -> str:
    """``Type: first line of the message`` (at most 160 characters), for one-line errors."""
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return type(exc).__name__ + (f": {msg[:160]}" if msg else "")


def _check_fits(module: nn.Module, weights: Mapping[str, torch.Tensor], source: str) -> None:
    own = {k: v for k, v in module.state_dict().items() if k.endswith("weight") or "weight_" in k}
    own = {k: v for k, v in own.items() if v.ndim >= 2}
    if not own:
        raise UsageError(f"{source}: model {type(module).__name__} has no weight matrix (Linear, Conv, RNN, "
                         f"Embedding); pass the model= the checkpoint was saved from")
    missing = [k for k in own if k not in weights]
    bad = [f"{k} {tuple(weights[k].shape)} vs {tuple(v.shape)}" for k, v in own.items()
           if k in weights and weights[k].shape != v.shape]
    if missing or bad:
        what = (f"missing {', '.join(missing[:3])}" if missing else f"shape {'; '.join(bad[:2])}")
        raise InputError(f"{source}: weights do not fit model {type(module).__name__} ({what}); "
                         f"pass the model= (and input_shape=) the checkpoint was saved from")


# --------------------------------------------------------------------------- streaming
def _lazy_effective(src: TensorSource, *, task: int | None) -> dict[str, Any]:
    """:func:`effective_weights` with every value a :class:`LazyWeight` (checked from shapes)."""
    if task is not None and (isinstance(task, bool) or int(task) != task or task < 0):
        raise UsageError(f"task={task!r}: must be an integer >= 0 (a task id of the ownership buffers)")
    keys, name = list(src.shapes), src.name
    owners = [k for k in keys if k.endswith("_owner")]
    if task is not None and not owners:
        raise UsageError(f"task={task} given but {name} has no ownership buffers (<param>_owner); "
                         f"drop task= or save the owner buffers")
    params = _param_groups(src.shapes)  # parametrizations / weight_norm: effective weight -> its stored parts
    in_param = {k for g in params.values() for k in g.values()}
    keys = [k for k in keys if k not in in_param] + list(params)
    parts: dict[str, dict[str, Any]] = {base: {"w": _param_weight(g), "param": g} for base, g in params.items()}
    for k in keys:
        if k in params:
            continue
        if k.endswith("_orig"):
            base = k[: -len("_orig")]
            if base + "_mask" not in src.shapes:
                raise InputError(f"{name}: {k} has no {base}_mask; save the pruned model's full "
                                 f"state_dict (or call torch.nn.utils.prune.remove before saving)")
            parts[base] = {"w": k, "mask": base + "_mask"}
    for k in keys:
        if k.endswith("_mask") and k[: -len("_mask")] not in parts and k[: -len("_mask")] in src.shapes:
            parts[k[: -len("_mask")]] = {"w": k[: -len("_mask")], "mask": k}
    used = {v for d in parts.values() for v in d.values() if isinstance(v, str)} | in_param
    for k in keys:
        if k not in used and k not in parts and not k.endswith("_owner"):
            parts[k] = {"w": k}
    for k in owners:
        base = k[: -len("_owner")]
        if base not in parts:
            raise InputError(f"{name}: ownership buffer {k} has no parameter {base}; "
                             f"save the parameter beside its owner buffer")
        parts[base]["owner"] = k
    out: dict[str, Any] = {}
    for base, d in parts.items():
        shape = src.shapes[d["w"]]
        for what in ("mask", "owner"):
            if what in d and src.shapes[d[what]] != shape:
                label = "owner buffer" if what == "owner" else "mask"
                raise InputError(f"{name}: layer {base}: {label} shape {src.shapes[d[what]]} does not match "
                                 f"the weight {shape}; save the {label} with the weight's shape")

        if "param" in d:
            out[base] = LazyWeight(base, shape, src.dtypes[d["w"]],
                                   _param_reader(src, base, d["param"], d.get("owner"), task=task))
            continue

        def read(r0, r1, d=d, base=base):
            sd = {base + ("_orig" if "mask" in d and d["w"] != base else ""): src.rows(d["w"], r0, r1)}
            if "mask" in d:
                sd[base + "_mask"] = src.rows(d["mask"], r0, r1)
            if "owner" in d:
                sd[base + "_owner"] = src.rows(d["owner"], r0, r1)
            return effective_weights(sd, task=task, source=name)[base]

        out[base] = LazyWeight(base, shape, src.dtypes[d["w"]], read)
    return out


def _param_groups(shapes: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Effective weight name -> {part: stored key} for ``parametrizations.*`` entries and the old
    ``weight_norm`` (``W_g``/``W_v``): what :func:`_resolve_parametrizations` combines."""
    groups: dict[str, dict[str, str]] = {}
    for k in shapes:
        m = _PARAM.match(k)
        if m:
            base = f"{m.group(1)}.{m.group(2)}" if m.group(1) else m.group(2)
            groups.setdefault(base, {})[m.group(3)] = k
    for k in shapes:
        base = k[: -len("_g")]
        if k.endswith("_g") and base + "_v" in shapes and base not in groups:
            groups[base] = {"_g": k, "_v": base + "_v"}
    return groups


def _param_weight(group: Mapping[str, str]) -> str:
    """The stored key whose shape and dtype the effective weight has (``v`` of a weight norm)."""
    return group.get("original1") or group.get("_v") or group.get("original") or next(iter(group.values()))


def _param_reader(src, base: str, group: Mapping[str, str], owner: str | None, *, task):
    """``read(r0, r1)`` of a parametrized weight, by the code that resolves it when loaded whole
    (:func:`_resolve_parametrizations`): masks and row-wise weight norms (``g`` of shape
    ``[out, 1, ...]``, the default ``dim=0``) from the same rows of each part; a weight norm over
    another dim needs every row for its norms, so that one weight is read whole once, then sliced."""
    wkey = _param_weight(group)
    n0 = src.shapes[wkey][0]
    g = group.get("original0") or group.get("_g")
    row_wise = g is None or (tuple(src.shapes[g])[:1] == (n0,) and all(n == 1 for n in tuple(src.shapes[g])[1:]))
    # parts the whole-load path reads: an unknown parametrization's own tensors are not used
    needed = [k for p, k in group.items() if p in ("original", "original0", "original1", "_g", "_v")
              or p.endswith(".mask")]
    whole: list = []

    def resolve(sd):
        with warnings.catch_warnings():  # an unknown parametrization was named once, when planned
            warnings.simplefilter("ignore")
            return _resolve_parametrizations(sd, src.name)[base]

    def read(r0, r1):
        if row_wise:
            w = resolve({k: src.rows(k, r0, r1) for k in needed})
        else:
            if not whole:
                whole.append(resolve({k: src.rows(k, 0, src.shapes[k][0]) for k in needed}))
            w = whole[0][r0:r1]
            if r1 >= n0:  # the last block: the plan must not keep the whole weight alive
                whole.clear()
        if owner is None:
            return w
        return effective_weights({base: w, base + "_owner": src.rows(owner, r0, r1)}, task=task,
                                 source=src.name)[base]

    others = [p for p in group if p not in ("original", "original0", "original1", "_g", "_v")
              and not p.endswith(".mask")]
    if others:
        warnings.warn(f"{src.name}: {base} has a parametrization ({', '.join(others)}) that a state_dict "
                      f"cannot apply; its stored original is used (pass the module itself to have the "
                      f"parametrization computed)", stacklevel=4)
    return read


def stream_layers(source: Any, *, task: int | None = None, input_shape: Sequence[int] | None = None,
                  model: str | nn.Module | None = None, num_classes: int | None = None,
                  arch: str | Mapping | None = None) -> StreamPlan:
    """Plan a checkpoint's layers from its header, to build them one at a time.

    The layout (layers, activation spaces, joins, notes) is the one :func:`load` gives, but no
    layer is built until the returned :class:`~prunegraph.graph.StreamPlan` is iterated, and
    each layer is built from its weight a block of rows at a time: a ``.safetensors`` file is
    read with ``safetensors.safe_open`` slice by slice, so peak memory while building a layer
    is its two unit-level matrices (float32 weight + int32 multiplicity, i.e. 2x a float32
    tensor) plus one block (:data:`prunegraph.graph.CHUNK_BYTES`).  ``plan.iter_degrees()``
    (what :func:`prunegraph.analysis.analyze` uses) only counts nonzeros per row and column, a
    block of :data:`~prunegraph.graph.matrices.COUNT_BYTES` at a time, so its peak is one block
    plus the degree vectors; with strength kinds a second pass sums ``|w|`` per unit in float64
    (and keeps the edge weights, 8 bytes per edge, for the weighted null).  ``parametrizations.*``
    and ``weight_norm`` weights are computed block by block as :func:`load` computes them (a
    weight norm over a dim other than 0 reads that weight whole).  Recurrent weights are read
    whole.  A source that names a model to trace (``model=``, an ``nn.Module``, or
    prunegraph metadata) is loaded with :func:`load` and its layers handed out from memory.

    Parameters
    ----------
    source, task, input_shape, model, num_classes, arch
        As for :func:`load`.  A Hugging Face sharded checkpoint (index or folder) is streamed
        shard by shard.

    Returns
    -------
    StreamPlan
        Iterate it for the :class:`~prunegraph.graph.LayerGraph` s; ``.spaces``, ``.notes``,
        ``.source``, ``.layer_names`` describe the network without building it.

    Raises
    ------
    InputError, UsageError
        As :func:`load` (NaN/Inf weights are found when the layer is built).

    Examples
    --------
    >>> import torch
    >>> sd = {"fc1.weight": torch.tensor([[1., 0.], [2., 3.]]), "fc2.weight": torch.tensor([[0., 1.]])}
    >>> plan = stream_layers(sd)
    >>> plan.layer_names, [lg.n_edges for lg in plan]
    (['fc1', 'fc2'], [3, 1])
    """
    if isinstance(source, str) and source.startswith("connectome:"):
        raise UsageError(f"{source}: a connectome is not streamed layer by layer; load it whole "
                         "with prunegraph.load (analysis.analyze accepts the graph)")
    if isinstance(source, nn.Module) or model is not None:
        net = load(source, task=task, input_shape=input_shape, model=model, num_classes=num_classes)
        return StreamPlan.from_network(net)
    if isinstance(source, (str, os.PathLike)):
        p = Path(source)
        if not p.exists():
            read_checkpoint(p)  # raises the one "no such file" error
        files, fmeta = checkpoint_files(p)
        if all(f.suffix == ".safetensors" for f in files):
            src = safetensors_source(files, str(p), fmeta)
        else:
            src = memory_source(read_checkpoint(p))
    elif isinstance(source, Mapping):
        src = memory_source(from_mapping(source, "state_dict"))
    else:
        raise UsageError(f"stream_layers: source must be an nn.Module, a checkpoint path or a state_dict, "
                         f"got {type(source).__name__}")
    if src.meta.get(META_MODEL):
        net = load(source, task=task, input_shape=input_shape, num_classes=num_classes)
        return StreamPlan.from_network(net)
    if not src.shapes:
        raise InputError(f"{src.name}: no tensors found; save a state_dict with safetensors.torch.save_file")
    if arch is None:
        arch = src.meta.get(META_HF_CONFIG)
    return stream_plan(_lazy_effective(src, task=task), source=src.name, arch=arch)


def iter_layers(source: Any, **kwargs) -> Iterator[LayerGraph]:
    """Yield the :class:`~prunegraph.graph.LayerGraph` s of ``source`` one at a time
    (``iter(stream_layers(source, **kwargs))``; see :func:`stream_layers`).

    Examples
    --------
    >>> import torch
    >>> [lg.name for lg in iter_layers({"a.weight": torch.ones(2, 2), "b.weight": torch.ones(1, 2)})]
    ['a', 'b']
    """
    return iter(stream_layers(source, **kwargs))


__all__ = ["load", "effective_weights", "stream_layers", "iter_layers", "model_from_factory"]
