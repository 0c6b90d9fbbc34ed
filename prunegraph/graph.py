"""Pruned networks as graphs: :class:`LayerGraph` per layer, :class:`NetworkGraph` for the net.

A node is one unit of an activation space (a neuron, a channel, a hidden unit); edge
``i -> j`` of a layer exists iff its unit-level weight ``W[j, i]`` is nonzero (DESIGN.md):

* Linear ``y = W x``: ``W[j, i] = |w_ji|``, multiplicity 1.
* Conv (1/2/3-d), grouped and depthwise: ``W[j, i] = sum_k |w_j,i',k|`` (L1 norm of the kernel,
  ``i'`` the index of ``i`` within its group), multiplicity = nonzero kernel entries.
* ConvTranspose: the same with the weight's ``[in, out/groups, k...]`` layout.
* RNN / LSTM / GRU: the gate rows of ``W_ih`` and ``W_hh`` fold onto their hidden unit
  (``W[j, i] = sum_g |w_(g*H+j), i|``); ``W_hh`` is a layer from the hidden space to itself.
* Embedding: token ``i`` -> embedding unit ``j`` with ``|E[i, j]|``.
* Flatten into Linear: the Linear inputs of one channel fold onto that channel's node
  (weight = L1 sum over the channel's positions, multiplicity = their nonzero count).

Layers are joined through shared activation spaces.  From an ``nn.Module`` the dataflow is
traced with :mod:`torch.fx` (plus shape propagation when an input shape is known): residual
additions unify their two spaces, a concatenation's space is made of its inputs' units (a layer
reading it has ``in_offset`` into the joint space), flatten-into-Linear folds.  From a bare
state_dict, layers whose shapes chain in order are joined and :attr:`NetworkGraph.notes` says so.

Degrees are tensor reductions (:mod:`prunegraph.degrees`); networkx is imported only by the
export functions.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import operator
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from . import degrees as _deg
from ._io import atomic_path, write_text
from .errors import InputError, UsageError

log = logging.getLogger(__name__)

LAYER_KINDS = ("linear", "conv", "conv_transpose", "rnn", "lstm", "gru", "embedding")


# =============================================================================== LayerGraph
@dataclass(frozen=True, eq=False)
class LayerGraph:
    """One layer's bipartite unit-level connectivity.

    Attributes
    ----------
    name : str
        Module path (``"fc1"``, ``"features.0"``); recurrent layers add the matrix,
        ``"lstm.weight_ih_l0"`` / ``"lstm.weight_hh_l0"``.
    kind : str
        ``"linear"``, ``"conv"``, ``"conv_transpose"``, ``"rnn"``, ``"lstm"``, ``"gru"``, ``"embedding"``.
    weight : torch.Tensor
        float32 ``[out_units, in_units]``, edge weight ``|w|`` (kernels and folds: L1 norm); 0 = no edge.
    multiplicity : torch.Tensor
        int32 ``[out_units, in_units]``: nonzero raw entries folded into each edge.
    in_space, out_space : str
        Activation spaces read and written (keys of :attr:`NetworkGraph.spaces`).
    in_offset, out_offset : int
        Position of this layer's units inside their space (nonzero only where a space is a
        concatenation of several layers' outputs).
    param : str
        Name of the weight in the state_dict (``"fc1.weight"``).
    binary : bool
        ``multiplicity`` holds only 0/1 (nothing folded): degrees sum it directly (fast path).

    Examples
    --------
    >>> import torch
    >>> lg = LayerGraph.from_matrix("fc", torch.tensor([[0.5, 0.0], [-1.0, 2.0]]))
    >>> lg.in_degree.tolist(), lg.out_degree.tolist(), lg.n_edges
    ([1, 2], [2, 1], 3)
    """

    name: str
    kind: str
    weight: torch.Tensor
    multiplicity: torch.Tensor
    in_space: str = "input"
    out_space: str = "output"
    in_offset: int = 0
    out_offset: int = 0
    param: str = ""
    binary: bool = False
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.weight.ndim != 2 or self.weight.shape != self.multiplicity.shape:
            raise UsageError(f"LayerGraph {self.name}: weight {tuple(self.weight.shape)} and "
                             f"multiplicity {tuple(self.multiplicity.shape)} must be equal 2-d shapes")

    @classmethod
    def from_matrix(cls, name: str, weight: torch.Tensor, *, in_space: str = "input",
                    out_space: str | None = None, kind: str = "linear",
                    multiplicity: torch.Tensor | None = None, **kw) -> "LayerGraph":
        """A layer from a dense ``[out, in]`` matrix (edge weight ``|w|``, multiplicity 1).

        Examples
        --------
        >>> import torch
        >>> LayerGraph.from_matrix("a", torch.eye(3)).density
        0.3333333333333333
        """
        w = torch.as_tensor(weight).detach()
        if multiplicity is None:  # 0/1 by construction: no scan for the maximum needed
            multiplicity = (w != 0).to(torch.int32)
            kw.setdefault("binary", True)
        else:
            multiplicity = torch.as_tensor(multiplicity).to(torch.int32)
            kw.setdefault("binary", multiplicity.numel() == 0 or int(multiplicity.max()) <= 1)
        return cls(name, kind, w.abs().float(), multiplicity, in_space,
                   out_space if out_space is not None else name, **kw)

    # ---------------------------------------------------------------- sizes
    @property
    def in_units(self) -> int:
        return int(self.weight.shape[1])

    @property
    def out_units(self) -> int:
        return int(self.weight.shape[0])

    @property
    def mask(self) -> torch.Tensor:
        """bool ``[out_units, in_units]``: which edges exist."""
        return _deg.mask_of(self.multiplicity)

    @property
    def n_edges(self) -> int:
        return int(self.in_degree.sum())

    @property
    def density(self) -> float:
        n = self.in_units * self.out_units
        return self.n_edges / n if n else 0.0

    # ---------------------------------------------------------------- degrees (cached)
    def _counts(self) -> tuple[np.ndarray, np.ndarray]:
        if "counts" not in self._cache:
            self._cache["counts"] = _deg.count_in_out(self.multiplicity, binary=self.binary)
        return self._cache["counts"]

    def _sums(self) -> tuple[np.ndarray, np.ndarray]:
        if "sums" not in self._cache:
            self._cache["sums"] = _deg.sum_in_out(self.weight)
        return self._cache["sums"]

    @property
    def in_degree(self) -> np.ndarray:
        """int64 ``[out_units]``: inputs connected to each output unit (``sum_i [W[j,i] != 0]``)."""
        return self._counts()[0]

    @property
    def out_degree(self) -> np.ndarray:
        """int64 ``[in_units]``: outputs fed by each input unit (``sum_j [W[j,i] != 0]``)."""
        return self._counts()[1]

    @property
    def in_strength(self) -> np.ndarray:
        """float64 ``[out_units]``: ``sum_i W[j, i]``."""
        return self._sums()[0]

    @property
    def out_strength(self) -> np.ndarray:
        """float64 ``[in_units]``: ``sum_j W[j, i]``."""
        return self._sums()[1]

    def degrees(self, kind: str) -> _deg.DegreeSequence:
        """Degree sequence of ``kind`` in ``"in"``, ``"out"``, ``"in_strength"``, ``"out_strength"``.

        Labels: ``layer`` = this layer's name; ``index`` = the output unit (for ``in``/``in_strength``)
        or the input unit (for ``out``/``out_strength``).
        """
        return _deg.layer_sequence(self, kind)

    def to_dict(self) -> dict:
        """JSON-ready summary (no matrices)."""
        return {
            "name": self.name, "kind": self.kind, "param": self.param,
            "in_space": self.in_space, "out_space": self.out_space,
            "in_offset": self.in_offset, "out_offset": self.out_offset,
            "in_units": self.in_units, "out_units": self.out_units,
            "edges": self.n_edges, "density": self.density,
            "dead_in": int(np.count_nonzero(self.out_degree == 0)),
            "dead_out": int(np.count_nonzero(self.in_degree == 0)),
            "weight_entries": int(self.multiplicity.sum()),
        }


# =============================================================================== NetworkGraph
@dataclass(frozen=True, eq=False)
class NetworkGraph:
    """Layers joined through shared activation spaces.

    Attributes
    ----------
    layers : tuple of LayerGraph
        In dataflow order.
    spaces : dict
        Activation space id -> number of units, in global node order ("input" first).
    source : str
        Where the graph came from (a path or a class name).
    notes : tuple of str
        How layers were joined where it was not a plain trace.

    Examples
    --------
    >>> import torch
    >>> a = LayerGraph.from_matrix("fc1", torch.ones(2, 3), in_space="input")
    >>> b = LayerGraph.from_matrix("fc2", torch.tensor([[1., 0.]]), in_space="fc1")
    >>> net = NetworkGraph((a, b), {"input": 3, "fc1": 2, "fc2": 1}, source="example")
    >>> net.degrees("total").values.tolist()
    [2, 2, 2, 4, 3, 1]
    """

    layers: tuple[LayerGraph, ...]
    spaces: dict
    source: str = ""
    notes: tuple[str, ...] = ()
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        for lg in self.layers:
            for sp, off, n, side in ((lg.in_space, lg.in_offset, lg.in_units, "input"),
                                     (lg.out_space, lg.out_offset, lg.out_units, "output")):
                if sp not in self.spaces or off + n > self.spaces[sp]:
                    raise UsageError(f"layer {lg.name}: {side} space {sp!r} (offset {off}, {n} units) "
                                     f"does not fit NetworkGraph.spaces ({self.spaces.get(sp)})")

    def layer(self, name: str) -> LayerGraph:
        """The layer called ``name``."""
        for lg in self.layers:
            if lg.name == name:
                return lg
        raise UsageError(f"no layer {name!r}; layers: {', '.join(lg.name for lg in self.layers)}")

    @property
    def n_units(self) -> int:
        return int(sum(self.spaces.values()))

    @property
    def n_edges(self) -> int:
        return int(sum(lg.n_edges for lg in self.layers))

    def degrees(self, kind: str = "total") -> _deg.DegreeSequence:
        """Whole-network sequence over all units of all spaces (``"in"``, ``"out"``, ``"total"``,
        ``"strength"`` = in + out strength, ``"in_strength"``, ``"out_strength"``).

        A hidden unit's total = in-edges from the layers writing its space + out-edges to the
        layers reading it.  Input pixels and output logits are units too (they have only out-
        or in-edges).  Cached.
        """
        if kind not in self._cache:
            self._cache[kind] = _deg.network_sequence(self.layers, self.spaces, kind)
        return self._cache[kind]

    def _base(self) -> dict[str, int]:
        base, n = {}, 0
        for s, size in self.spaces.items():
            base[s] = n
            n += int(size)
        return base

    def _edges(self, lg: LayerGraph):
        m = lg.mask.cpu()
        j, i = torch.nonzero(m, as_tuple=True)
        w = lg.weight.cpu()[j, i].double().numpy()
        k = lg.multiplicity.cpu()[j, i].numpy()
        return (i.numpy() + lg.in_offset, j.numpy() + lg.out_offset, w, k)

    # ---------------------------------------------------------------- exports
    def to_networkx(self):
        """networkx ``DiGraph``: nodes ``(space, index)`` (attributes ``space``, ``index``),
        edges with ``weight``, ``multiplicity``, ``layer``.  Where two layers connect the same
        two units (rare: parallel branches between the same spaces) the edge holds the sum of
        weights and multiplicities and ``layer`` lists both, joined by ``+``.
        """
        import networkx as nx

        g = nx.DiGraph(source=self.source)
        for s, size in self.spaces.items():
            g.add_nodes_from(((s, i), {"space": s, "index": i}) for i in range(int(size)))
        for lg in self.layers:
            src, dst, w, k = self._edges(lg)
            for a, b, ww, kk in zip(src.tolist(), dst.tolist(), w.tolist(), k.tolist()):
                u, v = (lg.in_space, a), (lg.out_space, b)
                d = g.get_edge_data(u, v)
                if d is None:
                    g.add_edge(u, v, weight=ww, multiplicity=kk, layer=lg.name)
                else:
                    d["weight"] += ww
                    d["multiplicity"] += kk
                    d["layer"] += "+" + lg.name
        return g

    def to_scipy(self):
        """``scipy.sparse.csr_array`` ``A[u, v] = |w|`` of edge ``u -> v`` (row = source), in the
        global node order of ``degrees("total")`` labels.  Parallel layer edges are summed."""
        import scipy.sparse as sp

        base = self._base()
        rows, cols, data = [], [], []
        for lg in self.layers:
            src, dst, w, _ = self._edges(lg)
            rows.append(src + base[lg.in_space])
            cols.append(dst + base[lg.out_space])
            data.append(w)
        n = self.n_units
        if not rows:
            return sp.csr_array((n, n))
        return sp.csr_array((np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
                            shape=(n, n))

    def write_graphml(self, path) -> Path:
        """Write GraphML (node ids ``"space:index"``, attributes as in :meth:`to_networkx`), atomically."""
        import networkx as nx

        g = self.to_networkx()
        g = nx.relabel_nodes(g, {n: f"{n[0]}:{n[1]}" for n in g.nodes})
        with atomic_path(path) as tmp:
            nx.write_graphml(g, tmp)
        return Path(path)

    def write_edgelist(self, path) -> Path:
        """Write a tab-separated edge list with a header line, atomically:
        ``source_space source_index target_space target_index weight multiplicity layer``."""
        lines = ["# source_space\tsource_index\ttarget_space\ttarget_index\tweight\tmultiplicity\tlayer"]
        for lg in self.layers:
            src, dst, w, k = self._edges(lg)
            lines.extend(f"{lg.in_space}\t{a}\t{lg.out_space}\t{b}\t{ww!r}\t{kk}\t{lg.name}"
                         for a, b, ww, kk in zip(src.tolist(), dst.tolist(), w.tolist(), k.tolist()))
        return write_text(path, "\n".join(lines) + "\n")

    def to_dict(self) -> dict:
        """JSON-ready summary: source, notes, spaces, per-layer rows and whole-network totals."""
        tot = self.degrees("total")
        return {
            "source": self.source,
            "notes": list(self.notes),
            "spaces": {k: int(v) for k, v in self.spaces.items()},
            "layers": [lg.to_dict() for lg in self.layers],
            "totals": {"units": self.n_units, "edges": self.n_edges,
                       "dead_units": tot.n_dead, "layers": len(self.layers),
                       "weight_entries": int(sum(int(lg.multiplicity.sum()) for lg in self.layers))},
        }


# =============================================================================== matrices
def _finite(w: torch.Tensor, name: str, source: str) -> None:
    if not w.is_floating_point():
        return
    total = w.sum() if w.dtype == torch.float64 else w.sum(dtype=torch.float32)  # no fp16 copy
    if bool(torch.isfinite(total)):  # one fast reduction; NaN/Inf always propagate into the sum
        return
    if not bool(torch.isfinite(w).all()):  # the sum may also overflow: check entry by entry
        n_bad = int((~torch.isfinite(w)).sum())
        raise InputError(f"{source}: layer {name} has {n_bad} NaN/Inf weights; "
                         f"replace them (e.g. torch.nan_to_num) or use an earlier checkpoint")


def _group_scatter(r: torch.Tensor, groups: int, n_cols: int) -> torch.Tensor:
    """Place ``r`` [rows, cols_per_group] into [rows, n_cols], row block g -> column block g."""
    if groups == 1:
        return r
    rows, cpg = r.shape
    rpg = rows // groups
    idx = (torch.arange(rows, device=r.device) // rpg * cpg).unsqueeze(1) + torch.arange(cpg, device=r.device)
    return torch.zeros(rows, n_cols, dtype=r.dtype, device=r.device).scatter_(1, idx, r)


def linear_matrices(w: torch.Tensor, *, fold: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit-level ``(weight, multiplicity)`` of a Linear weight ``[out, in]``.

    With ``fold = S > 1`` the inputs are ``C`` channels of ``S`` positions each (a flattened
    conv output, ``in = C*S``) and fold onto ``C`` channel nodes: weight = L1 sum,
    multiplicity = nonzero count.
    """
    w = w.detach()
    if fold > 1:
        w3 = w.reshape(w.shape[0], w.shape[1] // fold, fold)
        return w3.abs().sum(-1, dtype=torch.float32), (w3 != 0).sum(-1, dtype=torch.int32)
    return w.abs().float(), (w != 0).to(torch.int32)


def conv_matrices(w: torch.Tensor, *, groups: int = 1, transposed: bool = False
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit-level ``(weight, multiplicity)`` ``[out_ch, in_ch]`` of a (grouped) convolution.

    ``w``: ``[out, in/groups, *k]`` (Conv) or ``[in, out/groups, *k]`` (ConvTranspose).
    """
    w = w.detach()
    flat = w.reshape(w.shape[0], w.shape[1], -1)
    r = flat.abs().sum(-1, dtype=torch.float32)
    m = (flat != 0).sum(-1, dtype=torch.int32)
    n_cols = w.shape[1] * groups
    r, m = _group_scatter(r, groups, n_cols), _group_scatter(m, groups, n_cols)
    if transposed:  # rows were input channels
        r, m = r.t().contiguous(), m.t().contiguous()
    return r, m


def rnn_matrices(w: torch.Tensor, *, gates: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Fold the ``gates`` row blocks of a recurrent ``W_ih``/``W_hh`` ``[G*H, in]`` onto ``H`` units."""
    w = w.detach()
    w3 = w.reshape(gates, w.shape[0] // gates, w.shape[1])
    return w3.abs().sum(0, dtype=torch.float32), (w3 != 0).sum(0, dtype=torch.int32)


def embedding_matrices(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Embedding ``[num_embeddings, dim]``: token ``i`` -> unit ``j`` with ``|E[i, j]|``."""
    w = w.detach()
    return w.abs().float().t().contiguous(), (w != 0).to(torch.int32).t().contiguous()


class LazyWeight:
    """A weight whose shape is known and whose values are read on demand, a block of rows at a time.

    Used by :func:`prunegraph.loading.stream_layers` so that a layer's unit-level matrices are
    built from one slice of the checkpoint at a time (peak memory: the two unit-level matrices
    plus one block, never the raw tensor as a whole).

    Parameters
    ----------
    name : str
        State_dict name (for messages).
    shape : tuple of int
    dtype : torch.dtype
    read_rows : callable ``(r0, r1) -> torch.Tensor``
        The (effective, masked) rows ``r0:r1`` along the first dimension.

    Examples
    --------
    >>> import torch
    >>> w = torch.arange(6.).reshape(3, 2)
    >>> lw = LazyWeight("fc.weight", tuple(w.shape), w.dtype, lambda a, b: w[a:b])
    >>> lw.rows(1, 3).tolist(), lw.ndim
    ([[2.0, 3.0], [4.0, 5.0]], 2)
    """

    def __init__(self, name: str, shape: Sequence[int], dtype: torch.dtype,
                 read_rows: Callable[[int, int], torch.Tensor]):
        self.name = name
        self.shape = torch.Size(int(s) for s in shape)
        self.dtype = dtype
        self._read = read_rows

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def rows(self, r0: int, r1: int) -> torch.Tensor:
        return self._read(int(r0), int(r1))

    def load(self) -> torch.Tensor:
        return self.rows(0, self.shape[0])

    def __repr__(self) -> str:
        return f"LazyWeight({self.name!r}, shape={tuple(self.shape)}, dtype={self.dtype})"


#: bytes of raw weight read per block when building a layer from a LazyWeight
CHUNK_BYTES = 32 << 20


def _materialize(w):
    return w.load() if isinstance(w, LazyWeight) else w


def _check_dtype(w, name: str, source: str) -> None:
    if w.dtype.is_floating_point:
        return
    raise InputError(f"{source}: layer {name} has weights of dtype {str(w.dtype).replace('torch.', '')}, "
                     f"not floating point; dequantize/convert them (e.g. w.float()) and re-save")


def _place(dst: torch.Tensor, src: torch.Tensor, r0: int, groups: int, rows_total: int) -> None:
    """Write block ``src`` [rows, cols_per_group] of rows ``r0:`` into ``dst`` [rows_total, n_cols],
    row ``r`` landing in column block ``r // (rows_total / groups)`` (see :func:`_group_scatter`)."""
    rows, cpg = src.shape
    if groups == 1:
        dst[r0:r0 + rows] = src
        return
    rpg = rows_total // groups
    g_rows = torch.arange(r0, r0 + rows, device=src.device)
    idx = (g_rows // rpg * cpg).unsqueeze(1) + torch.arange(cpg, device=src.device)
    block = dst[r0:r0 + rows]
    block.zero_()
    block.scatter_(1, idx, src)


def _lazy_matrices(w: LazyWeight, kind: str, *, fold: int = 1, groups: int = 1, source: str = ""
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit-level ``(weight, multiplicity)`` of a layer built block by block from ``w``.

    The same matrices as :func:`linear_matrices` / :func:`conv_matrices` /
    :func:`embedding_matrices`; only :data:`CHUNK_BYTES` of raw weight are held at a time.
    """
    _check_dtype(w, w.name, source)
    n0 = int(w.shape[0])
    per_row = max(1, math.prod(w.shape[1:])) * max(1, w.dtype.itemsize)
    step = max(1, CHUNK_BYTES // per_row)
    if kind == "linear":
        shape = (n0, int(w.shape[1]) // fold)
    elif kind == "conv":
        shape = (n0, int(w.shape[1]) * groups)
    elif kind == "conv_transpose":
        shape = (int(w.shape[1]) * groups, n0)
    elif kind == "embedding":
        shape = (int(w.shape[1]), n0)
    else:  # pragma: no cover - guarded by the callers
        raise UsageError(f"_lazy_matrices: unsupported kind {kind!r}")
    weight = torch.empty(shape, dtype=torch.float32)
    mult = torch.empty(shape, dtype=torch.int32)
    # transposed layouts: the raw rows are the unit matrix's columns
    tw, tm = (weight.t(), mult.t()) if kind in ("conv_transpose", "embedding") else (weight, mult)
    for r0 in range(0, n0, step):
        r1 = min(n0, r0 + step)
        block = w.rows(r0, r1)
        _finite(block, w.name.removesuffix(".weight"), source)
        if kind == "linear" and fold == 1:  # fast path: write straight into the destination rows
            block = block.detach()
            if block.dtype == torch.float32:
                torch.abs(block, out=weight[r0:r1])
            else:
                weight[r0:r1].copy_(block.abs())
            mult[r0:r1].copy_(block != 0)
            del block
            continue
        if kind == "linear":
            a, m = linear_matrices(block, fold=fold)
        elif kind == "embedding":
            a, m = block.detach().abs().float(), (block != 0).to(torch.int32)
        else:
            flat = block.detach().reshape(block.shape[0], block.shape[1], -1)
            a = flat.abs().sum(-1, dtype=torch.float32)
            m = (flat != 0).sum(-1, dtype=torch.int32)
        g = groups if kind in ("conv", "conv_transpose") else 1
        _place(tw, a, r0, g, n0)
        _place(tm, m, r0, g, n0)
        del block, a, m
    return weight, mult


_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}
_RNN_KIND = {"LSTM": "lstm", "GRU": "gru", "RNN_TANH": "rnn", "RNN_RELU": "rnn"}


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
            off += s
        return new


@dataclass
class _Act:
    """What the tracer knows about a tensor: its space and where the units are."""

    space: str
    layout: str  # "raw" (graph input), "channel" (dim 1), "feature" (last dim), "flat" (C*S last)
    spatial: int | None = None  # for "flat": positions per channel (None: unknown)


@dataclass
class _Pending:
    name: str
    kind: str
    mats: Any            # (weight, mult), or a callable returning them (streaming)
    in_sid: str
    out_sid: str
    param: str
    binary: bool = False


class _Builder:
    """Collect layers over raw space ids; resolve unions/offsets at the end."""

    def __init__(self, source: str, *, lazy: bool = False):
        self.sp = _Spaces()
        self.pending: list[_Pending] = []
        self.source = source
        self.notes: list[str] = []
        self.lazy = lazy  # keep matrix builders as callables (stream_plan) instead of running them

    def add(self, name, kind, mats, in_sid, out_sid, param, *, binary=False):
        if callable(mats) and not self.lazy:
            mats = mats()
        self.pending.append(_Pending(name, kind, mats, in_sid, out_sid, param, binary))

    def _resolved(self):
        if not self.pending:
            raise InputError(f"{self.source}: no prunable layer (Linear, Conv, RNN/LSTM/GRU, Embedding "
                             f"weight) found; pass the model's state_dict or the nn.Module itself")
        spaces: dict[str, int] = {}
        rows = []
        for p in self.pending:
            (ri, oi), (ro, oo) = self.sp.find(p.in_sid), self.sp.find(p.out_sid)
            for r in (ri, ro):
                spaces.setdefault(r, int(self.sp.size[r]))
            rows.append((p, ri, ro, oi, oo))
        return rows, spaces, tuple(dict.fromkeys(self.notes + self.sp.notes))

    def finish(self) -> NetworkGraph | None:
        if self.lazy:
            return None
        rows, spaces, notes = self._resolved()
        layers = []
        for p, ri, ro, oi, oo in rows:
            w, m = p.mats() if callable(p.mats) else p.mats
            layers.append(LayerGraph(p.name, p.kind, w, m, ri, ro, oi, oo, p.param, p.binary))
        return NetworkGraph(tuple(layers), spaces, self.source, notes)

    def plan(self) -> "StreamPlan":
        rows, spaces, notes = self._resolved()
        specs = tuple(_LayerSpec(p.name, p.kind, p.mats, ri, ro, oi, oo, p.param, p.binary)
                      for p, ri, ro, oi, oo in rows)
        return StreamPlan(specs, spaces, self.source, notes)

    def fresh_input(self, name: str, n_in: int, why: str) -> str:
        self.notes.append(f"layer {name}: {why}; its {n_in} inputs are a separate space")
        return self.sp.new(f"{name}:in", n_in)

    def add_rnn(self, name: str, mode: str, get: Callable[[str], torch.Tensor | None],
                in_sid: str, *, num_layers: int, bidirectional: bool, hidden: int) -> str:
        gates, kind = _GATES[mode], _RNN_KIND[mode]
        prev = in_sid
        for l in range(num_layers):
            outs = []
            for suffix in (("", "_reverse") if bidirectional else ("",)):
                out = self.sp.new(f"{name}.l{l}{suffix}", hidden)
                for mat, src in (("ih", prev), ("hh", out)):
                    pname = f"{name}.weight_{mat}_l{l}{suffix}"
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

                    self.add(f"{name}.weight_{mat}_l{l}{suffix}", kind, mats, src, out, pname)
                outs.append(out)
            prev = outs[0] if len(outs) == 1 else self.sp.concat(outs, f"{name}.l{l}:cat")
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
        return bufs.get(pname)

    return get


_ADD_OPS = {operator.add, operator.iadd, operator.sub, operator.isub, torch.add, torch.sub,
            "add", "add_", "sub", "sub_", "__add__", "__radd__", "__iadd__"}
_CAT_OPS = {torch.cat, torch.concat, "cat"}
_FLATTEN_OPS = {torch.flatten, "flatten", "view", "reshape", torch.reshape}


class _Tracer:
    def __init__(self, module: nn.Module, get, builder: _Builder):
        self.module = module
        self.mods = dict(module.named_modules())
        self.get = get
        self.b = builder
        self.env: dict[Any, Any] = {}
        self.n_inputs = 0

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
            if len(out) >= 3 and out[1] == n:
                return a
            if len(out) == 2 and out[1] == n:
                return _Act(a.space, "feature")
            return None
        if a.layout == "feature":
            return a if out and out[-1] == n else None
        if a.layout == "flat":
            return a if a.spatial is not None and out and out[-1] == n * a.spatial else None
        return None

    def consume(self, a, n_in: int, name: str, *, linear: bool) -> tuple[str, int]:
        """Space id read by layer ``name`` with ``n_in`` inputs, and the fold (positions per unit)."""
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
            if s is not None and n * s == n_in:
                return a.space, s
        elif n == n_in:
            return a.space, 1
        return self.b.fresh_input(name, n_in, f"it reads {n_in} units but the traced activation "
                                              f"{a.space!r} has {self.units(a)}"), 1

    # -------------------------------------------------------------- layers
    def layer_module(self, node, mod, a):
        name = node.target
        src = self.b.source
        if isinstance(mod, nn.Linear):
            w = self.weight(name)
            sid, fold = self.consume(a, mod.in_features, name, linear=True)
            out = self.b.sp.new(name, mod.out_features)
            self.b.add(name, "linear", linear_matrices(w, fold=fold), sid, out, f"{name}.weight",
                       binary=fold == 1)
            return _Act(out, "feature")
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
            h = _Act(f"{name}.l{mod.num_layers - 1}", "feature") if not mod.bidirectional else None
            hidden = (h, h) if mod.mode == "LSTM" else h
            return (_Act(last, "feature"), hidden)
        return None

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
                res = acts[0] if acts else None
                for other in acts[1:]:
                    if res.layout == "raw" or other.layout == "raw":
                        continue
                    if not self.b.sp.unify(res.space, other.space):
                        self.b.notes.append(f"addition {node.name}: spaces {res.space!r} and "
                                            f"{other.space!r} could not be unified (sizes differ)")
                self.env[node] = self.passthrough(res, node)
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
            self.b.notes.append(f"module {u} has weights but is not a supported layer kind; "
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
        if a.layout == "channel":
            if ins is not None and out is not None:
                if len(out) == 2 and len(ins) >= 2 and ins[1] == n and out[1] == math.prod(ins[1:]):
                    return _Act(a.space, "flat", math.prod(ins[2:]))
                return self.passthrough(a, node)
            return _Act(a.space, "flat", None)
        return self.passthrough(a, node)

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
        gm = torch.fx.symbolic_trace(module)
    except Exception as exc:  # not fx-traceable: registration order
        log.info("%s: torch.fx could not trace (%s); using module registration order", source, exc)
        b.notes.append(f"not traceable by torch.fx ({type(exc).__name__}: {str(exc).splitlines()[0][:120]}); "
                       f"layers joined in module registration order by chaining shapes")
        return _chain(_module_entries(module, get), b)
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
            b.notes.append(f"shape propagation with input_shape={tuple(shape)} failed "
                           f"({type(exc).__name__}); flatten folds inferred from sizes")
            for n in gm.graph.nodes:
                n.meta.pop("tensor_meta", None)
        finally:
            module.train(was_training)
    else:
        b.notes.append("no input_shape: traced without shape propagation; flatten folds inferred from sizes")
    _Tracer(gm, get, b).run(gm.graph)
    return b.finish()


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


def _mats(w, kind: str, *, fold: int = 1, groups: int = 1, source: str = ""):
    """Matrices of one layer now (a tensor) or as a callable reading it block by block (LazyWeight)."""
    if isinstance(w, LazyWeight):
        return lambda: _lazy_matrices(w, kind, fold=fold, groups=groups, source=source)
    if kind == "linear":
        return linear_matrices(w, fold=fold)
    if kind == "embedding":
        return embedding_matrices(w)
    return conv_matrices(w, groups=groups, transposed=kind == "conv_transpose")


@dataclass(frozen=True)
class _LayerSpec:
    name: str
    kind: str
    mats: Any
    in_space: str
    out_space: str
    in_offset: int
    out_offset: int
    param: str
    binary: bool

    def build(self) -> LayerGraph:
        w, m = self.mats() if callable(self.mats) else self.mats
        return LayerGraph(self.name, self.kind, w, m, self.in_space, self.out_space,
                          self.in_offset, self.out_offset, self.param, self.binary)


@dataclass(frozen=True)
class StreamPlan:
    """The joined layout of a network whose layers are built one at a time.

    Iterating yields each :class:`LayerGraph` in dataflow order, built only when reached; a
    layer is not kept by the plan, so at most one layer's unit-level matrices are alive at
    once (plus whatever the caller keeps).  ``spaces``, ``source`` and ``notes`` are those the
    same source gives in :class:`NetworkGraph`.

    Examples
    --------
    >>> import torch
    >>> sd = {"a.weight": torch.ones(4, 3), "b.weight": torch.ones(2, 4)}
    >>> plan = stream_plan(sd)
    >>> [lg.n_edges for lg in plan], plan.spaces
    ([12, 8], {'input': 3, 'a': 4, 'b': 2})
    """

    specs: tuple
    spaces: dict
    source: str = ""
    notes: tuple[str, ...] = ()

    @property
    def layer_names(self) -> list[str]:
        return [s.name for s in self.specs]

    def __len__(self) -> int:
        return len(self.specs)

    def __iter__(self):
        for spec in self.specs:
            yield spec.build()

    def to_network(self) -> NetworkGraph:
        """Build every layer and return the whole :class:`NetworkGraph` (holds all matrices)."""
        return NetworkGraph(tuple(self), dict(self.spaces), self.source, self.notes)


def stream_plan(state_dict: Mapping[str, Any], *, source: str = "state_dict") -> StreamPlan:
    """Plan a bare state_dict's layers (as :func:`graph_from_state_dict`) without building them.

    Values may be tensors or :class:`LazyWeight` (read a block of rows at a time when the
    layer is built).  Joins and notes are decided from shapes only.
    """
    b = _Builder(source, lazy=True)
    b.notes.append("joined layers by chaining shapes in state_dict order (no model to trace); "
                   "pass model= or save with prunegraph metadata for an exact graph")
    _chain(_state_dict_entries(state_dict, b.source), b)
    return b.plan()


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


__all__ = ["LayerGraph", "NetworkGraph", "graph_from_module", "graph_from_state_dict",
           "LazyWeight", "StreamPlan", "stream_plan",
           "linear_matrices", "conv_matrices", "rnn_matrices", "embedding_matrices"]
