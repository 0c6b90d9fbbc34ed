"""Activation spaces and the one :mod:`torch.fx` tracer.

:class:`_Spaces` is a union-find over activation spaces (residual additions unify, concatenations
offset); :class:`_Builder` collects layers over raw space ids and resolves them into a
:class:`~prunegraph.graph.NetworkGraph` or :class:`~prunegraph.graph.StreamPlan`.  The tracer
(:func:`graph_from_module`) walks an fx graph, joining spaces at additions, concatenations and
flattens and following the units through every other op by shape.  :func:`unit_consumers` walks
the same fx graph for :func:`prunegraph.training.prune.structured_prune`, following only the ops
known to keep units in place (:data:`UNIT_PRESERVING_MODULES`, :data:`UNIT_PRESERVING_FUNCS`)."""

from __future__ import annotations

import contextlib
import io
import logging
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..errors import InputError
from .matrices import (
    _check_dtype,
    _finite,
    _materialize,
    conv_matrices,
    embedding_matrices,
    linear_matrices,
    rnn_matrices,
)
from .model import LayerGraph, NetworkGraph
from .stream import StreamPlan, _LayerSpec

log = logging.getLogger(__name__)

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}
_RNN_TYPE = {"LSTM": "lstm", "GRU": "gru", "RNN_TANH": "rnn", "RNN_RELU": "rnn"}


# =============================================================================== space table
class _Spaces:
    """Activation spaces with union-find (residual add) and offsets (concatenation)."""

    def __init__(self):
        self.size: dict[str, int | None] = {}
        self.parent: dict[str, tuple[str, int]] = {}
        self.notes: list[str] = []

    def new(self, sid: str, size: int | None) -> str:
        base, k = sid, 1
        while sid in self.size:
            k += 1
            sid = f"{base}#{k}"
        self.size[sid] = None if size is None else int(size)
        return sid

    def find(self, sid: str) -> tuple[str, int]:
        off = 0
        while sid in self.parent:
            sid, o = self.parent[sid]
            off += o
        return sid, off

    def units(self, sid: str) -> int | None:
        return self.size[sid]

    def unify(self, a: str, b: str) -> bool:
        if self.size[a] != self.size[b] or self.size[a] is None:
            return False
        ra, oa = self.find(a)
        rb, ob = self.find(b)
        if ra == rb:
            return oa == ob
        sa, sb = self.size[ra], self.size[rb]
        if sa is None or sb is None:  # roots of sized spaces are sized (a space or a concatenation)
            return False
        order = list(self.size)
        if sa == sb and order.index(rb) < order.index(ra):  # keep the earlier space's name
            ra, oa, rb, ob, sa, sb = rb, ob, ra, oa, sb, sa
        if 0 <= oa - ob and oa - ob + sb <= sa:
            self.parent[rb] = (ra, oa - ob)
            return True
        if 0 <= ob - oa and ob - oa + sa <= sb:
            self.parent[ra] = (rb, ob - oa)
            return True
        return False

    def concat(self, parts: Sequence[str], sid: str) -> str:
        sizes = [self.size[p] for p in parts]
        total = sum(s for s in sizes if s is not None)
        new = self.new(sid, total)
        roots = [self.find(p) for p in parts]
        ok = (None not in sizes and len({r for r, _ in roots}) == len(roots)
              and all(o == 0 and self.size[r] == s for (r, o), s in zip(roots, sizes)))
        if not ok:
            self.notes.append(f"concatenation {sid}: an input is already part of another "
                              f"concatenation or repeated; its units are new nodes here")
            return new
        off = 0
        for (r, _), s in zip(roots, sizes):
            self.parent[r] = (new, off)
            off += s if s is not None else 0  # ok: no size is None here
        return new


def _known(size: int | None, sid: str) -> int:
    """The size of space ``sid``, known once a layer has read or written it."""
    if size is None:
        raise RuntimeError(f"internal: space {sid!r} has no known size")
    return int(size)


@dataclass
class _Act:
    """What the tracer knows about a tensor: its space and where the units are."""

    space: str
    layout: str  # "raw" (graph input), "channel" (dim `axis`), "feature" (last dim), "flat" (C*S last)
    spatial: int | None = None  # for "flat": positions per channel (None: unknown)
    axis: int = 1               # for "channel": the dim holding the units (moved by permute)
    inner: int | None = None    # for "flat": stride of the channel index (= spatial: channel-major)


@dataclass
class _Pending:
    name: str
    layer_type: str
    mats: Any            # (weight, mult), or a callable returning them (streaming)
    in_sid: str
    out_sid: str
    param: str
    binary: bool = False
    wiring: str = "traced"


class _Builder:
    """Collect layers over raw space ids; resolve unions/offsets at the end."""

    def __init__(self, source: str, *, lazy: bool = False):
        self.sp = _Spaces()
        self.pending: list[_Pending] = []
        self.source = source
        self.notes: list[str] = []
        self.lazy = lazy  # keep matrix builders as callables (stream_plan) instead of running them
        self.skips: list[tuple[str, str]] = []  # residual identity connections (from, to)

    def add(self, name, layer_type, mats, in_sid, out_sid, param, *, binary=False, wiring=None):
        if callable(mats) and not self.lazy:
            mats = mats()
        self.pending.append(_Pending(name, layer_type, mats, in_sid, out_sid, param, binary, wiring or "traced"))

    def skip(self, src: str, dst: str) -> None:
        """Record a residual identity connection from space ``src`` to space ``dst`` (same size)."""
        if self.sp.size.get(src) is not None and self.sp.size.get(src) == self.sp.size.get(dst):
            self.skips.append((src, dst))

    def ancestors(self, sid: str) -> set[str]:
        """Root spaces from which ``sid`` is reached through layers and residuals (``sid`` included)."""
        preds: dict[str, set[str]] = {}
        for p in self.pending:
            preds.setdefault(self.sp.find(p.out_sid)[0], set()).add(self.sp.find(p.in_sid)[0])
        for a, b in self.skips:
            preds.setdefault(self.sp.find(b)[0], set()).add(self.sp.find(a)[0])
        seen, todo = set(), [self.sp.find(sid)[0]]
        while todo:
            s = todo.pop()
            if s in seen:
                continue
            seen.add(s)
            todo.extend(preds.get(s, ()))
        return seen

    def _residuals(self) -> tuple[tuple[str, str], ...]:
        out = []
        for a, b in self.skips:
            (ra, oa), (rb, ob) = self.sp.find(a), self.sp.find(b)
            if ra != rb and oa == ob == 0 and self.sp.size[ra] == self.sp.size[rb]:
                out.append((ra, rb))
        return tuple(dict.fromkeys(out))

    def _resolved(self):
        if not self.pending:
            raise InputError(f"{self.source}: no prunable layer (Linear, Conv, RNN/LSTM/GRU, Embedding "
                             f"weight) found; pass the model's state_dict or the nn.Module itself")
        spaces: dict[str, int] = {}
        rows = []
        for p in self.pending:
            (ri, oi), (ro, oo) = self.sp.find(p.in_sid), self.sp.find(p.out_sid)
            for r in (ri, ro):
                spaces.setdefault(r, _known(self.sp.size[r], r))
            rows.append((p, ri, ro, oi, oo))
        return rows, spaces, tuple(dict.fromkeys(self.notes + self.sp.notes))

    def finish(self) -> NetworkGraph | None:
        if self.lazy:
            return None
        rows, spaces, notes = self._resolved()
        layers = []
        for p, ri, ro, oi, oo in rows:
            w, m = p.mats() if callable(p.mats) else p.mats
            layers.append(LayerGraph(p.name, p.layer_type, w, m, ri, ro, oi, oo, p.param, p.binary, p.wiring))
        return NetworkGraph(tuple(layers), spaces, self.source, notes, self._residuals_in(spaces))

    def network(self) -> NetworkGraph:
        """:meth:`finish` of a builder that is not lazy (a lazy one gives its :meth:`plan`)."""
        net = self.finish()
        if net is None:
            raise TypeError(f"{self.source}: a lazy builder holds a plan, not a network; call plan()")
        return net

    def _residuals_in(self, spaces) -> tuple[tuple[str, str], ...]:
        return tuple(r for r in self._residuals() if r[0] in spaces and r[1] in spaces)

    def plan(self) -> StreamPlan:
        rows, spaces, notes = self._resolved()
        specs = tuple(_LayerSpec(p.name, p.layer_type, p.mats, ri, ro, oi, oo, p.param, p.binary, p.wiring)
                      for p, ri, ro, oi, oo in rows)
        return StreamPlan(specs, spaces, self.source, notes, self._residuals_in(spaces))

    def fresh_input(self, name: str, n_in: int, why: str) -> str:
        self.notes.append(f"layer {name}: {why}; its {n_in} inputs are a separate space")
        return self.sp.new(f"{name}:in", n_in)

    def add_rnn(self, name: str, mode: str, get: Callable[[str], torch.Tensor | None],
                in_sid: str, *, num_layers: int, bidirectional: bool, hidden: int, cell: bool = False,
                wiring: str | None = None) -> str:
        """Add a recurrent layer (``cell=True``: an ``LSTMCell``/``GRUCell``/``RNNCell``, whose
        weights are ``weight_ih``/``weight_hh`` and whose hidden space is named ``name``)."""
        gates, layer_type = _GATES[mode], _RNN_TYPE[mode]
        prev = in_sid
        for layer in range(num_layers):
            outs = []
            for suffix in (("", "_reverse") if bidirectional else ("",)):
                out = self.sp.new(name if cell else f"{name}.l{layer}{suffix}", hidden)
                for mat, src in (("ih", prev), ("hh", out)):
                    pname = f"{name}.weight_{mat}" if cell else f"{name}.weight_{mat}_l{layer}{suffix}"
                    w = get(pname)
                    if w is None:
                        raise InputError(f"{self.source}: layer {name} has no {pname}; "
                                         f"save the complete state_dict of the recurrent layer")
                    _check_dtype(w, pname, self.source)
                    if w.ndim != 2 or (mat == "hh" and w.shape[1] != hidden) or 0 in tuple(w.shape):
                        raise InputError(f"{self.source}: layer {name}: {pname} has shape {tuple(w.shape)}, "
                                         f"expected [{gates}*{hidden}, {'hidden' if mat == 'hh' else 'inputs'}]; "
                                         f"save the layer's complete, unmodified weights")
                    if w.shape[0] != gates * hidden:
                        raise InputError(f"{self.source}: layer {name}: {pname} has {w.shape[0]} rows, "
                                         f"expected {gates}*{hidden}; projections (proj_size) are not supported")

                    def mats(w=w, pname=pname, gates=gates):
                        w = _materialize(w)
                        _finite(w, pname, self.source)
                        return rnn_matrices(w, gates=gates)

                    self.add(pname, layer_type, mats, src, out, pname, wiring=wiring)
                outs.append(out)
            prev = outs[0] if len(outs) == 1 else self.sp.concat(outs, f"{name}.l{layer}:cat")
        return prev


# =============================================================================== fx tracing
def _meta_shape(node) -> tuple[int, ...] | None:
    tm = getattr(node, "meta", {}).get("tensor_meta")
    if tm is None or not hasattr(tm, "shape"):
        return None
    return tuple(int(s) for s in tm.shape)


def _weights_getter(module: nn.Module, weights: Mapping[str, torch.Tensor] | None):
    params = dict(module.named_parameters())
    bufs = dict(module.named_buffers())

    def get(pname: str) -> torch.Tensor | None:
        if weights is not None and pname in weights:
            return weights[pname]
        if pname in params:
            return params[pname].detach()
        if pname in bufs:
            return bufs[pname]
        # a parametrized weight (weight_norm, torch.ao.pruning before squash_mask, ...): not a
        # parameter of its own, computed by the module from its parametrization
        owner, _, attr = pname.rpartition(".")
        try:
            val = getattr(module.get_submodule(owner) if owner else module, attr)
        except AttributeError:
            return None
        if isinstance(val, torch.Tensor):
            with torch.no_grad():
                return val.detach()
        return None

    return get


_ADD_OPS = {operator.add, operator.iadd, operator.sub, operator.isub, torch.add, torch.sub,
            "add", "add_", "sub", "sub_", "__add__", "__radd__", "__iadd__"}
_CAT_OPS = {torch.cat, torch.concat, "cat"}
_FLATTEN_OPS = {torch.flatten, "flatten", "view", "reshape", torch.reshape}
_PERMUTE_OPS = {"permute", torch.permute, "transpose", torch.transpose, "swapaxes", "swapdims"}


def _is_conv1d(mod: nn.Module) -> bool:
    """Hugging Face's GPT-2 ``Conv1D`` (a Linear stored ``[in, out]``), recognised without importing it."""
    w = mod._parameters.get("weight")  # not getattr: torch.fx turns parameters into proxies while tracing
    return (type(mod).__name__ == "Conv1D" and isinstance(w, torch.Tensor) and w.ndim == 2
            and int(getattr(mod, "nf", -1)) == int(w.shape[1]))


class _LeafTracer(torch.fx.Tracer):
    """torch.fx tracer that keeps GPT-2 ``Conv1D`` modules whole (a layer, not an ``addmm``)."""

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return _is_conv1d(m) or super().is_leaf_module(m, qualname)


def _symbolic_trace(module: nn.Module) -> torch.fx.GraphModule:
    tracer = _LeafTracer()
    graph = tracer.trace(module)
    return torch.fx.GraphModule(tracer.root, graph, type(module).__name__)


#: operations that keep units in place (a producer's unit j is still unit j after them)
UNIT_PRESERVING_MODULES = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Tanh, nn.Sigmoid, nn.Hardtanh,
                 nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d,
                 nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d, nn.AdaptiveMaxPool1d,
                 nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d, nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d,
                 nn.Dropout, nn.Dropout2d, nn.Identity, nn.Flatten)
UNIT_PRESERVING_FUNCS = {"relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "tanh", "sigmoid", "hardtanh",
               "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
               "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "dropout", "flatten",
               "batch_norm"}


class _Tracer:
    def __init__(self, module: nn.Module, get, builder: _Builder):
        self.module = module
        self.mods = dict(module.named_modules())
        self.get = get
        self.b = builder
        self.env: dict[Any, Any] = {}
        self.n_inputs = 0
        #: layers whose flatten fold (positions per channel) was inferred from sizes, not shapes
        self.inferred_folds: list[str] = []

    # -------------------------------------------------------------- helpers
    def units(self, a: _Act) -> int | None:
        n = self.b.sp.units(a.space)
        if a.layout == "flat" and n is not None and a.spatial is not None:
            return n * a.spatial
        return n

    def arg_act(self, x):
        return self.env.get(x) if isinstance(x, torch.fx.Node) else None

    def passthrough(self, a, node, in_node=None):
        if not isinstance(a, _Act) or a.layout == "raw":
            return a
        out = _meta_shape(node)
        if out is None:
            return a
        n = self.b.sp.units(a.space)
        if a.layout == "channel":
            ax = a.axis
            if len(out) > ax and out[ax] == n:
                return _Act(a.space, "feature") if ax == len(out) - 1 else a
            return None
        if a.layout == "feature":
            return a if out and out[-1] == n else None
        if a.layout == "flat":
            return a if n is not None and a.spatial is not None and out and out[-1] == n * a.spatial else None
        return None

    def consume(self, a, n_in: int, name: str, *, linear: bool) -> tuple[str, int | torch.Tensor]:
        """Space id read by layer ``name`` with ``n_in`` inputs, and the fold: positions per unit
        (an int, channel-major) or the unit of every input column (a tensor, any other layout)."""
        if not isinstance(a, _Act):
            return self.b.fresh_input(name, n_in, "its input could not be traced to a known activation"), 1
        n = self.b.sp.units(a.space)
        if a.layout == "raw":
            if n is None:
                self.b.sp.size[a.space] = n_in
                return a.space, 1
            if n == n_in:
                return a.space, 1
            return self.b.fresh_input(name, n_in, f"it reads the graph input as {n_in} units, "
                                                  f"an earlier layer as {n}"), 1
        if a.layout == "flat" and linear:
            s = a.spatial if a.spatial is not None else (n_in // n if n and n_in % n == 0 else None)
            if s is not None and n is not None and n * s == n_in:
                if a.spatial is None:
                    self.inferred_folds.append(name)
                if a.inner is not None and a.inner != s:  # permuted before flattening
                    return a.space, (torch.arange(n_in) // a.inner) % n
                return a.space, s
        elif n == n_in:
            return a.space, 1
        return self.b.fresh_input(name, n_in, f"it reads {n_in} units but the traced activation "
                                              f"{a.space!r} has {self.units(a)}"), 1

    # -------------------------------------------------------------- layers
    def layer_module(self, node, mod, a):
        name = node.target
        src = self.b.source
        if isinstance(mod, nn.Linear) or _is_conv1d(mod):
            w = self.weight(name)
            n_in, n_out = (int(w.shape[0]), int(w.shape[1])) if _is_conv1d(mod) else (mod.in_features,
                                                                                       mod.out_features)
            if _is_conv1d(mod):
                w = w.t()
            sid, fold = self.consume(a, n_in, name, linear=True)
            out = self.b.sp.new(name, n_out)
            cols = fold if isinstance(fold, torch.Tensor) else None
            per_unit = fold if isinstance(fold, int) else 1
            self.b.add(name, "linear", linear_matrices(w, fold=per_unit, columns=cols),
                       sid, out, f"{name}.weight", binary=cols is None and per_unit == 1)
            return _Act(out, "feature")
        if isinstance(mod, nn.MultiheadAttention):
            return (self.attention(node, mod, name, a), None)
        if isinstance(mod, nn.TransformerEncoderLayer):
            return self.encoder_layer(mod, name, a)
        if isinstance(mod, nn.TransformerEncoder):
            for i, layer in enumerate(mod.layers):
                a = self.encoder_layer(layer, f"{name}.layers.{i}", a)
            return a
        if isinstance(mod, nn.RNNCellBase):
            sid, _ = self.consume(a, mod.input_size, name, linear=False)
            mode = {nn.LSTMCell: "LSTM", nn.GRUCell: "GRU"}.get(type(mod), "RNN_TANH")
            last = self.b.add_rnn(name, mode, self.get, sid, num_layers=1, bidirectional=False,
                                  hidden=mod.hidden_size, cell=True)
            h = _Act(last, "feature")
            return (h, h) if mode == "LSTM" else h
        if isinstance(mod, (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d,
                            nn.ConvTranspose3d)):
            w = self.weight(name)
            tr = isinstance(mod, nn.modules.conv._ConvTransposeNd)
            sid, _ = self.consume(a, mod.in_channels, name, linear=False)
            out = self.b.sp.new(name, mod.out_channels)
            self.b.add(name, "conv_transpose" if tr else "conv",
                       conv_matrices(w, groups=mod.groups, transposed=tr), sid, out, f"{name}.weight")
            return _Act(out, "channel")
        if isinstance(mod, (nn.Embedding, nn.EmbeddingBag)):
            w = self.weight(name)
            if isinstance(a, _Act) and a.layout == "raw":
                sid, _ = self.consume(a, mod.num_embeddings, name, linear=False)
            else:
                sid = self.b.sp.new(f"{name}:tokens", mod.num_embeddings)
            out = self.b.sp.new(name, mod.embedding_dim)
            self.b.add(name, "embedding", embedding_matrices(w), sid, out, f"{name}.weight", binary=True)
            return _Act(out, "feature")
        if isinstance(mod, nn.RNNBase):
            if getattr(mod, "proj_size", 0):
                raise InputError(f"{src}: layer {name}: LSTM with proj_size is not supported; "
                                 f"use proj_size=0")
            sid, _ = self.consume(a, mod.input_size, name, linear=False)
            last = self.b.add_rnn(name, mod.mode, self.get, sid, num_layers=mod.num_layers,
                                  bidirectional=mod.bidirectional, hidden=mod.hidden_size)
            top = _Act(f"{name}.l{mod.num_layers - 1}", "feature") if not mod.bidirectional else None
            hidden = (top, top) if mod.mode == "LSTM" else top
            return (_Act(last, "feature"), hidden)
        return None

    def proj(self, name: str, w: torch.Tensor, a, *, reads: str | None = None) -> str:
        """One Linear projection ``w`` [out, in] of an attention layer; returns its output space."""
        _check_dtype(w, name, self.b.source)
        _finite(w, name, self.b.source)
        if reads is not None:
            sid = reads
        else:
            sid, _ = self.consume(a, int(w.shape[1]), name, linear=False)
        out = self.b.sp.new(name, int(w.shape[0]))
        self.b.add(name, "linear", linear_matrices(w), sid, out, name, binary=True)
        return out

    def attention(self, node, mod: nn.MultiheadAttention, name: str, a, acts=None) -> _Act:
        """q, k, v projections (packed ``in_proj_weight`` split, or separate), then ``out_proj``
        reading v's units (attention mixes positions, not units); returns out_proj's activation."""
        if acts is None:
            acts = [self.arg_act(x) for x in (list(node.args) + [None, None, None])[:3]]
            acts = [x if x is not None else a for x in acts]
        e = mod.embed_dim
        if mod.in_proj_weight is not None or self.get(f"{name}.in_proj_weight") is not None:
            w = self.get(f"{name}.in_proj_weight")
            ws = {r: w[i * e:(i + 1) * e] for i, r in enumerate("qkv")}
            names = {r: f"{name}.in_proj.{r}" for r in "qkv"}
        else:
            ws = {r: self.get(f"{name}.{r}_proj_weight") for r in "qkv"}
            names = {r: f"{name}.{r}_proj" for r in "qkv"}
        outs = {}
        for r, act in zip("qkv", acts):
            outs[r] = self.proj(names[r], ws[r], act)
        o = self.weight(f"{name}.out_proj")
        out = self.proj(f"{name}.out_proj", o, None, reads=outs["v"])
        return _Act(out, "feature")

    def encoder_layer(self, mod: nn.TransformerEncoderLayer, name: str, a) -> _Act:
        """``nn.TransformerEncoderLayer`` (a leaf to torch.fx): self-attention and the two
        Linear layers, each added back to the residual stream (pre- or post-norm alike)."""
        x = a
        if isinstance(x, _Act) and x.layout == "raw" and self.b.sp.size[x.space] is None:
            self.b.sp.size[x.space] = mod.self_attn.embed_dim
        attn = self.attention(None, mod.self_attn, f"{name}.self_attn", x, acts=[x, x, x])
        x = self.residual([x, attn]) or attn
        sid, _ = self.consume(x, mod.linear1.in_features, f"{name}.linear1", linear=False)
        h = self.b.sp.new(f"{name}.linear1", mod.linear1.out_features)
        self.b.add(f"{name}.linear1", "linear", linear_matrices(self.weight(f"{name}.linear1")), sid, h,
                   f"{name}.linear1.weight", binary=True)
        y = self.b.sp.new(f"{name}.linear2", mod.linear2.out_features)
        self.b.add(f"{name}.linear2", "linear", linear_matrices(self.weight(f"{name}.linear2")), h, y,
                   f"{name}.linear2.weight", binary=True)
        return self.residual([x, _Act(y, "feature")]) or _Act(y, "feature")

    def residual(self, acts: list) -> _Act | None:
        """A residual addition: an operand that is an ancestor of another is its skip (an identity
        into the other's space, :attr:`NetworkGraph.residuals`), so the stream gets a new version
        and no cycle appears; operands from parallel branches write one space (unified)."""
        acts = [x for x in acts if isinstance(x, _Act) and x.layout != "raw"]
        if not acts:
            return None
        roots: list[tuple[str, _Act]] = []
        for x in acts:
            r = self.b.sp.find(x.space)[0]
            if r not in [y[0] for y in roots]:
                roots.append((r, x))
        if len(roots) == 1:
            return roots[0][1]
        anc = {r: self.b.ancestors(r) for r, _ in roots}
        heads = [(r, x) for r, x in roots if not any(r != o and r in anc[o] for o, _ in roots)]
        res = heads[-1][1]
        for _r, x in heads[:-1]:
            if not self.b.sp.unify(res.space, x.space):
                self.b.notes.append(f"addition: spaces {res.space!r} and {x.space!r} could not be "
                                    f"unified (sizes differ)")
        for r, x in roots:
            if (r, x) not in heads:
                self.b.skip(r, res.space)
        return res

    def weight(self, name: str) -> torch.Tensor:
        w = self.get(f"{name}.weight")
        if w is None:
            raise InputError(f"{self.b.source}: layer {name} has no weight {name}.weight; "
                             f"save the complete state_dict of the model")
        _check_dtype(w, name, self.b.source)
        _finite(w, name, self.b.source)
        return w

    # -------------------------------------------------------------- walk
    def run(self, graph) -> None:
        unsupported: set[str] = set()
        for node in graph.nodes:
            if node.op == "placeholder":
                self.n_inputs += 1
                sid = self.b.sp.new("input" if self.n_inputs == 1 else f"input:{node.name}", None)
                self.env[node] = _Act(sid, "raw")
                continue
            if node.op in ("get_attr", "output"):
                continue
            args = list(node.args) + list(node.kwargs.values())
            first = next((self.env[x] for x in args if isinstance(x, torch.fx.Node) and x in self.env
                          and self.env[x] is not None), None)
            if node.op == "call_module":
                mod = self.mods[node.target]
                res = self.layer_module(node, mod, first)
                if res is not None:
                    self.env[node] = res
                    continue
                if any(p.ndim >= 2 for p in mod.parameters(recurse=False)):
                    unsupported.add(f"{node.target} ({type(mod).__name__})")
                if isinstance(mod, nn.Flatten):
                    self.env[node] = self.flatten(first, node)
                else:
                    self.env[node] = self.passthrough(first, node)
                continue
            target = node.target
            if target is operator.getitem:
                src = node.args[0]
                a = self.env.get(src)
                if isinstance(a, tuple) and isinstance(node.args[1], int):
                    self.env[node] = a[node.args[1]]
                else:
                    self.env[node] = self.passthrough(a, node)
                continue
            if target in _ADD_OPS:
                acts = [self.materialize(self.env[x], x) for x in node.args if isinstance(x, torch.fx.Node)
                        and isinstance(self.env.get(x), _Act)]
                res = self.residual(acts) if acts else None
                if res is None and acts:
                    res = acts[0]
                self.env[node] = self.passthrough(res, node)
                continue
            if target in _PERMUTE_OPS:
                self.env[node] = self.permute(first, node)
                continue
            if target in _CAT_OPS:
                self.env[node] = self.cat(node)
                continue
            if target in _FLATTEN_OPS:
                self.env[node] = self.flatten(first, node)
                continue
            if target in ("size", "dim") or target in (getattr, len):
                self.env[node] = None
                continue
            self.env[node] = self.passthrough(first, node)
        for u in sorted(unsupported):
            self.b.notes.append(f"module {u} has weights but is not a supported layer type; "
                                f"treated as pass-through")

    def materialize(self, a, node):
        """A graph-input activation that meets another one (add, cat): fix its units from its shape."""
        if not isinstance(a, _Act) or a.layout != "raw":
            return a
        shape = _meta_shape(node)
        if shape is None or len(shape) < 2:
            return a
        layout, n = ("channel", shape[1]) if len(shape) >= 3 else ("feature", shape[-1])
        if self.b.sp.size[a.space] is None:
            self.b.sp.size[a.space] = n
        return _Act(a.space, layout) if self.b.sp.size[a.space] == n else None

    def flatten(self, a, node):
        if not isinstance(a, _Act) or a.layout in ("raw", "flat"):
            return a
        src = node.args[0] if node.args else None
        ins = _meta_shape(src) if isinstance(src, torch.fx.Node) else None
        out = _meta_shape(node)
        n = self.b.sp.units(a.space)
        if (a.layout == "feature" and ins is not None and out is not None and len(ins) > 2 and len(out) == 2
                and ins[-1] == n and out[1] == math.prod(ins[1:])):  # units last, e.g. after a permute
            return _Act(a.space, "flat", math.prod(ins[1:]) // n, inner=1)
        if a.layout == "channel":
            ax = a.axis
            if ins is not None and out is not None:
                if len(out) == 2 and len(ins) > ax and ins[ax] == n and out[1] == math.prod(ins[1:]):
                    return _Act(a.space, "flat", math.prod(ins[1:]) // n, inner=math.prod(ins[ax + 1:]))
                return self.passthrough(a, node)
            if ax != 1:
                self.b.notes.append(f"{node.name}: a permuted conv output is flattened without known "
                                    f"shapes; pass input_shape for the exact fold")
                return None
            return _Act(a.space, "flat", None)
        return self.passthrough(a, node)

    def permute(self, a, node):
        """``permute`` / ``transpose`` move the unit axis of a channel (or feature) activation."""
        if not isinstance(a, _Act) or a.layout not in ("channel", "feature"):
            return self.passthrough(a, node)
        src = node.args[0] if node.args else None
        ins = _meta_shape(src) if isinstance(src, torch.fx.Node) else None
        if ins is None:
            return None
        nd = len(ins)
        ax = a.axis if a.layout == "channel" else nd - 1
        args = [x for x in node.args[1:]]
        if len(args) == 1 and isinstance(args[0], (tuple, list)):
            args = list(args[0])
        if not args and "dims" in node.kwargs:
            args = list(node.kwargs["dims"])
        if not all(isinstance(d, int) for d in args):
            return None
        args = [d % nd for d in args]
        if node.target in ("transpose", torch.transpose, "swapaxes", "swapdims"):
            if len(args) != 2:
                return None
            d0, d1 = args
            new = d1 if ax == d0 else d0 if ax == d1 else ax
        else:
            if sorted(args) != list(range(nd)):
                return None
            new = args.index(ax)
        if new == nd - 1:
            return _Act(a.space, "feature")
        return _Act(a.space, "channel", axis=new)

    def cat(self, node):
        tensors = node.args[0] if node.args else node.kwargs.get("tensors", ())
        dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)
        acts = [self.materialize(self.env.get(t), t) for t in tensors]
        if not acts or not all(isinstance(a, _Act) and a.layout in ("channel", "feature") for a in acts):
            self.b.notes.append(f"concatenation {node.name}: an input could not be traced; "
                                f"layers reading it get a separate input space")
            return None
        out = _meta_shape(node)
        nd = len(out) if out is not None else None
        layout = acts[0].layout
        unit_dim = (dim in (1, -nd if nd else 1)) if layout == "channel" else (
            dim == -1 or (nd is not None and dim == nd - 1))
        if all(a.layout == layout for a in acts) and unit_dim:
            return _Act(self.b.sp.concat([a.space for a in acts], f"{node.name}"), layout)
        # concatenation along another dim (batch, time): the same units
        res = acts[0]
        for other in acts[1:]:
            self.b.sp.unify(res.space, other.space)
        return res


def _dummy_input(module: nn.Module, shape: Sequence[int]):
    device = next((p.device for p in module.parameters()), torch.device("cpu"))
    return torch.zeros((2, *shape), device=device)


def graph_from_module(module: nn.Module, *, weights: Mapping[str, torch.Tensor] | None = None,
                      input_shape: Sequence[int] | None = None, source: str | None = None
                      ) -> NetworkGraph:
    """Trace ``module`` with :mod:`torch.fx` and build its :class:`NetworkGraph`.

    Parameters
    ----------
    module : torch.nn.Module
        The network (its own parameters are used unless ``weights`` names them).
    weights : mapping, optional
        Effective weights by state_dict name (pruned entries zero), e.g. from
        :func:`prunegraph.loading.effective_weights`.
    input_shape : sequence of int, optional
        Per-sample input shape for shape propagation (default ``module.input_shape``); needed
        to fold flatten-into-Linear exactly (without it the fold is inferred from sizes).
    source : str, optional
        Recorded as :attr:`NetworkGraph.source` (default: the class name).

    Examples
    --------
    >>> import torch
    >>> m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    >>> net = graph_from_module(m, input_shape=(3,))
    >>> net.spaces
    {'input': 3, '0': 4, '2': 2}
    """
    source = source or type(module).__name__
    b = _Builder(source)
    get = _weights_getter(module, weights)
    shape = input_shape if input_shape is not None else getattr(module, "input_shape", None)
    try:
        gm = _symbolic_trace(module)
    except Exception as exc:  # not fx-traceable: registration order
        log.info("%s: torch.fx could not trace (%s); using module registration order", source, exc)
        b.notes.append(f"not traceable by torch.fx ({type(exc).__name__}: {str(exc).splitlines()[0][:120]}); "
                       f"layers joined in module registration order by chaining shapes")
        from .chain import _chain, _module_entries  # chain builds on this module: import on call

        _chain(_module_entries(module, get), b)
        return b.network()
    why = None if shape is not None else "no input_shape"  # why shapes are unknown, if they are
    if shape is not None:
        from torch.fx.passes.shape_prop import ShapeProp

        was_training = module.training
        try:
            module.eval()
            gm.eval()
            # ShapeProp prints a traceback when a node fails; library code must not print
            with torch.no_grad(), contextlib.redirect_stderr(io.StringIO()):
                try:
                    ShapeProp(gm).propagate(_dummy_input(module, shape))
                except Exception:  # e.g. token inputs of an Embedding
                    ShapeProp(gm).propagate(_dummy_input(module, shape).long())
        except Exception as exc:
            why = f"shape propagation with input_shape={tuple(shape)} failed ({type(exc).__name__})"
            for n in gm.graph.nodes:
                n.meta.pop("tensor_meta", None)
        finally:
            module.train(was_training)
    at = len(b.notes)
    tracer = _Tracer(gm, get, b)
    tracer.run(gm.graph)
    # only a conv output flattened into a Linear layer needs the shapes: said where that happened
    if why is not None and tracer.inferred_folds:
        b.notes.insert(at, f"{why}: flatten folds inferred from sizes (positions per channel = inputs / "
                           f"channels) for layer{'s' * (len(tracer.inferred_folds) > 1)} "
                           f"{', '.join(tracer.inferred_folds)}; pass input_shape= to check them")
    elif why is not None and shape is not None:  # a failure is worth a note even when nothing needed it
        b.notes.insert(at, why)
    return b.network()


def unit_consumers(model: nn.Module, layers: Mapping[str, nn.Linear | nn.modules.conv._ConvNd]
                   ) -> dict[str, list[tuple[str, int]] | None]:
    """For each Linear/Conv module of ``layers`` (by module name): the layers of ``layers``
    reading its output units and the fold (columns per unit), following the unit-preserving
    operations (:data:`UNIT_PRESERVING_MODULES`, :data:`UNIT_PRESERVING_FUNCS`) only; None where
    that is not safe; ``{}`` when ``model`` is not fx-traceable.  Used by
    :func:`prunegraph.training.prune.structured_prune` to propagate unit removal."""
    try:
        gm = torch.fx.symbolic_trace(model)
    except Exception:  # noqa: BLE001 - any tracing failure means: do not propagate
        return {}
    modules = dict(model.named_modules())

    def passes(node) -> bool:
        if node.op == "call_module":
            return isinstance(modules.get(node.target), UNIT_PRESERVING_MODULES)
        if node.op in ("call_function", "call_method"):
            name = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", "")
            return name in UNIT_PRESERVING_FUNCS
        return False

    out: dict[str, list[tuple[str, int]] | None] = {}
    for node in gm.graph.nodes:
        if node.op != "call_module" or node.target not in layers:
            continue
        prod = layers[node.target]
        n_units = prod.out_features if isinstance(prod, nn.Linear) else prod.out_channels
        found: list[tuple[str, int]] | None = []
        frontier = [(u, node) for u in node.users]  # (user, the node whose output it reads)
        seen = set()
        while frontier and found is not None:
            u, pred = frontier.pop()
            if (u, pred) in seen:
                continue
            seen.add((u, pred))
            if u.op == "call_module" and u.target in layers:
                cons = layers[u.target]
                if isinstance(cons, nn.Linear) and cons.in_features % n_units == 0:
                    found.append((f"{u.target}.weight", cons.in_features // n_units))
                elif not isinstance(cons, nn.Linear) and cons.in_channels == n_units and cons.groups == 1:
                    found.append((f"{u.target}.weight", 1))
                else:
                    found = None
            elif passes(u) and u.args and u.args[0] is pred:
                frontier.extend((v, u) for v in u.users)
            else:
                found = None
        out[f"{node.target}.weight"] = found
    return out
