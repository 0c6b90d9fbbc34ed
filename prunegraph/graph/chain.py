"""Bare state_dicts (and untraceable modules) as graphs: layer entries read from names and shapes,
joined by chaining shapes in order (:func:`graph_from_state_dict`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

import torch
from torch import nn

from ..errors import InputError
from .matrices import LazyWeight, _check_dtype, _finite, _mats
from .model import NetworkGraph
from .trace import _Builder


# =============================================================================== chaining
@dataclass
class _Entry:
    name: str
    kind: str            # linear | conv | conv_transpose | embedding | rnn
    n_in: int            # units read (linear: in_features)
    n_out: int
    weight: torch.Tensor | None = None
    groups: int | None = None  # None: infer from the chain
    rnn: dict | None = None    # mode, num_layers, bidirectional, hidden, get


def _module_entries(module: nn.Module, get) -> list[_Entry]:
    out = []
    for name, m in module.named_modules():
        if isinstance(m, nn.Linear):
            out.append(_Entry(name, "linear", m.in_features, m.out_features, get(f"{name}.weight")))
        elif isinstance(m, nn.modules.conv._ConvNd):
            tr = isinstance(m, nn.modules.conv._ConvTransposeNd)
            out.append(_Entry(name, "conv_transpose" if tr else "conv", m.in_channels, m.out_channels,
                              get(f"{name}.weight"), m.groups))
        elif isinstance(m, (nn.Embedding, nn.EmbeddingBag)):
            out.append(_Entry(name, "embedding", m.num_embeddings, m.embedding_dim, get(f"{name}.weight")))
        elif isinstance(m, nn.RNNBase):
            dirs = 2 if m.bidirectional else 1
            out.append(_Entry(name, "rnn", m.input_size, m.hidden_size * dirs,
                              rnn=dict(mode=m.mode, num_layers=m.num_layers, bidirectional=m.bidirectional,
                                       hidden=m.hidden_size, get=get)))
    return out


_RNN_KEY = re.compile(r"^(?:(.*)\.)?weight_ih_l(\d+)(_reverse)?$")


def _state_dict_entries(sd: Mapping[str, Any], source: str = "state_dict") -> list[_Entry]:
    out: list[_Entry] = []
    done_rnn: set[str] = set()
    for key, w in sd.items():
        if not isinstance(w, (torch.Tensor, LazyWeight)):
            continue
        if not w.is_floating_point():
            is_weight = (key.endswith(".weight") or key == "weight" or _RNN_KEY.match(key)) and w.ndim >= 2
            if is_weight:
                _check_dtype(w, key, source)
            continue
        m = _RNN_KEY.match(key)
        if m:
            prefix = m.group(1) or ""
            if prefix in done_rnn:
                continue
            done_rnn.add(prefix)
            pre = f"{prefix}." if prefix else ""
            hh = sd.get(f"{pre}weight_hh_l0")
            if hh is None:
                continue
            if (w.ndim != 2 or hh.ndim != 2 or 0 in tuple(w.shape) or 0 in tuple(hh.shape)
                    or w.shape[0] % hh.shape[1] or hh.shape[0] != w.shape[0]):
                raise InputError(f"{source}: recurrent layer {prefix or 'rnn'}: {key} {tuple(w.shape)} and "
                                 f"{pre}weight_hh_l0 {tuple(hh.shape)} are not [gates*hidden, in] and "
                                 f"[gates*hidden, hidden]; save the layer's complete, unmodified weights")
            hidden = int(hh.shape[1])
            gates = int(w.shape[0]) // hidden
            mode = {4: "LSTM", 3: "GRU", 1: "RNN_TANH"}.get(gates)
            if mode is None:
                continue
            n_layers = 1 + max(int(mm.group(2)) for k in sd if (mm := _RNN_KEY.match(k)) and (mm.group(1) or "") == prefix)
            bidir = f"{pre}weight_ih_l0_reverse" in sd

            def get(p, _sd=sd):
                return _sd.get(p)

            out.append(_Entry(prefix or "rnn", "rnn", int(w.shape[1]), hidden * (2 if bidir else 1),
                              rnn=dict(mode=mode, num_layers=n_layers, bidirectional=bidir,
                                       hidden=hidden, get=get)))
            continue
        if not (key.endswith(".weight") or key == "weight") or w.ndim < 2:
            continue
        if 0 in tuple(w.shape):
            raise InputError(f"{source}: layer {key} has an empty weight of shape {tuple(w.shape)}; "
                             f"remove it or save the trained weights")
        if "weight_hh_l" in key or "weight_ih_l" in key:
            continue
        name = key[: -len(".weight")] if key.endswith(".weight") else "weight"
        if w.ndim == 2 and "emb" in name.lower() and not out:
            out.append(_Entry(name, "embedding", int(w.shape[0]), int(w.shape[1]), w))
        elif w.ndim == 2:
            out.append(_Entry(name, "linear", int(w.shape[1]), int(w.shape[0]), w))
        else:
            out.append(_Entry(name, "conv", int(w.shape[1]), int(w.shape[0]), w, None))
    return out


def _chain(entries: list[_Entry], b: _Builder) -> NetworkGraph:
    cur: tuple[str, int, str] | None = None  # (space, units, layout)
    history: list[tuple[str, int, str]] = []
    for e in entries:
        fold, groups = 1, e.groups
        if isinstance(e.weight, torch.Tensor):
            _check_dtype(e.weight, e.name, b.source)
            _finite(e.weight, e.name, b.source)
        units = cur[1] if cur is not None else None
        if e.kind == "conv" and groups is None:  # bare state_dict: n_in is per group
            groups = 1
            # grouped when the widths say so, unless an earlier space has exactly the
            # per-group width (then a skip connection is likelier); depthwise always wins
            earlier = any(h[1] == e.n_in for h in history)
            depthwise = e.n_in == 1 and units is not None and e.n_out % units == 0
            if (units is not None and units % e.n_in == 0 and e.n_out % (units // e.n_in) == 0
                    and (depthwise or not earlier)):
                groups = units // e.n_in
                if groups > 1:
                    b.notes.append(f"layer {e.name}: groups={groups} inferred from the chain")
            width = e.n_in * groups
        else:
            width = e.n_in
        if cur is None:
            sid = b.sp.new("input", width)
        else:
            space, units, layout = cur
            if units == width:
                sid = space
            elif e.kind in ("linear", "rnn") and layout == "channel" and width % units == 0:
                sid, fold = space, width // units
                b.notes.append(f"layer {e.name}: {width} inputs folded onto the {units} channels of "
                               f"{space!r} ({fold} positions each; a flattened conv output assumed)")
            else:
                match = next((h for h in reversed(history) if h[1] == width), None)
                if match is not None:
                    sid = match[0]
                    b.notes.append(f"layer {e.name}: its {width} inputs do not chain with the previous "
                                   f"layer ({units} units); joined to the earlier space {match[0]!r} "
                                   f"(a skip connection assumed)")
                else:
                    sid = b.fresh_input(e.name, width, f"its {width} inputs match no earlier layer")
        if e.kind == "linear":
            out = b.sp.new(e.name, e.n_out)
            b.add(e.name, "linear", _mats(e.weight, "linear", fold=fold, source=b.source), sid, out,
                  f"{e.name}.weight", binary=fold == 1)
            layout = "feature"
        elif e.kind in ("conv", "conv_transpose"):
            g = groups or 1
            out = b.sp.new(e.name, e.n_out)
            b.add(e.name, e.kind, _mats(e.weight, e.kind, groups=g, source=b.source), sid, out,
                  f"{e.name}.weight")
            layout = "channel"
        elif e.kind == "embedding":
            out = b.sp.new(e.name, e.n_out)
            b.add(e.name, "embedding", _mats(e.weight, "embedding", source=b.source), sid, out,
                  f"{e.name}.weight", binary=True)
            layout = "feature"
        else:
            r = e.rnn
            if fold > 1:
                sid = b.fresh_input(e.name, e.n_in, "a recurrent layer cannot fold conv positions")
            out = b.add_rnn(e.name, r["mode"], r["get"], sid, num_layers=r["num_layers"],
                            bidirectional=r["bidirectional"], hidden=r["hidden"])
            layout = "feature"
        cur = (out, int(b.sp.size[out]), layout)
        history.append((sid, int(b.sp.size[sid]), "?"))
        history.append(cur)
    return b.finish()


def graph_from_state_dict(state_dict: Mapping[str, torch.Tensor], *, source: str = "state_dict"
                          ) -> NetworkGraph:
    """Build a :class:`NetworkGraph` from a bare state_dict by chaining layer shapes in order.

    Weights of two or more dimensions named ``*.weight`` become layers (2-d: Linear, or
    Embedding when the name says so and it comes first; 3-5-d: Conv, groups inferred from
    the chain); ``weight_ih_l*``/``weight_hh_l*`` pairs become recurrent layers.  A layer
    reads the previous layer's output when the widths match, folds a conv output into a
    Linear when ``in_features`` is a multiple of the channel count, and otherwise joins the
    most recent earlier space of its width.  :attr:`NetworkGraph.notes` records all of it.

    Examples
    --------
    >>> import torch
    >>> sd = {"a.weight": torch.ones(4, 3), "b.weight": torch.ones(2, 4)}
    >>> net = graph_from_state_dict(sd)
    >>> net.spaces, net.notes[0][:25]
    ({'input': 3, 'a': 4, 'b': 2}, 'joined layers by chaining')
    """
    b = _Builder(source)
    b.notes.append("joined layers by chaining shapes in state_dict order (no model to trace); "
                   "pass model= or save with prunegraph metadata for an exact graph")
    return _chain(_state_dict_entries(state_dict, b.source), b)
