"""The data model: :class:`LayerGraph` (one layer's bipartite unit-level connectivity) and
:class:`NetworkGraph` (layers joined through activation spaces), their degrees and exports
(networkx, edge lists).  The definitions are in :mod:`prunegraph.graph`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .. import degrees as _deg
from .._compat import module_aliases, renamed_attribute, renamed_kwargs
from .._io import atomic_path, write_text
from ..errors import UsageError

#: values of :attr:`LayerGraph.layer_type`
LAYER_TYPES = ("linear", "conv", "conv_transpose", "rnn", "lstm", "gru", "embedding")
#: how a layer's wiring is known (:attr:`LayerGraph.wiring`); the last two are guesses
WIRINGS = ("traced", "config", "names", "shapes")


# =============================================================================== LayerGraph
@dataclass(frozen=True, eq=False)
class LayerGraph:
    """One layer's bipartite unit-level connectivity.

    Attributes
    ----------
    name : str
        Module path (``"fc1"``, ``"features.0"``); recurrent layers add the matrix,
        ``"lstm.weight_ih_l0"`` / ``"lstm.weight_hh_l0"``.
    layer_type : str
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
    wiring : str
        How the layer's place in the network is known: ``"traced"`` (from the module's dataflow),
        ``"config"`` (a model family's block structure, e.g. a Hugging Face ``config.json``),
        ``"names"`` (guessed from the state_dict key's role name) or ``"shapes"`` (guessed by
        chaining shapes).  :attr:`guessed` is true for the last two.

    Examples
    --------
    >>> import torch
    >>> lg = LayerGraph.from_matrix("fc", torch.tensor([[0.5, 0.0], [-1.0, 2.0]]))
    >>> lg.in_degree.tolist(), lg.out_degree.tolist(), lg.n_edges
    ([1, 2], [2, 1], 3)
    """

    name: str
    layer_type: str
    weight: torch.Tensor
    multiplicity: torch.Tensor
    in_space: str = "input"
    out_space: str = "output"
    in_offset: int = 0
    out_offset: int = 0
    param: str = ""
    binary: bool = False
    wiring: str = "traced"
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.wiring not in WIRINGS:
            raise UsageError(f"LayerGraph {self.name}: wiring must be one of {', '.join(WIRINGS)}, got {self.wiring!r}")
        if self.weight.ndim != 2 or self.weight.shape != self.multiplicity.shape:
            raise UsageError(f"LayerGraph {self.name}: weight {tuple(self.weight.shape)} and "
                             f"multiplicity {tuple(self.multiplicity.shape)} must be equal 2-d shapes")

    @classmethod
    @renamed_kwargs(kind="layer_type")
    def from_matrix(cls, name: str, weight: torch.Tensor, *, in_space: str = "input",
                    out_space: str | None = None, layer_type: str = "linear",
                    multiplicity: torch.Tensor | None = None, **kw) -> LayerGraph:
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
        return cls(name, layer_type, w.abs().float(), multiplicity, in_space,
                   out_space if out_space is not None else name, **kw)

    @property
    def guessed(self) -> bool:
        """True when the layer's wiring was guessed from names or shapes, not traced or configured."""
        return self.wiring in ("names", "shapes")

    def __repr__(self) -> str:
        """One line (:func:`prunegraph.degrees.layer_summary`): never the matrices.

        Examples
        --------
        >>> import torch
        >>> LayerGraph.from_matrix("fc", torch.tensor([[0.5, 0.0], [-1.0, 2.0]]))
        LayerGraph('fc' linear, 2 → 2 units (input → fc), 3 edges, density 75%; in-degree min 1, median 1.5,
        max 2; out-degree min 1, median 1.5, max 2; wiring traced)
        """
        return f"LayerGraph({_deg.layer_summary(self)})"

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

    @renamed_kwargs(kind="degree_kind")
    def degrees(self, degree_kind: str) -> _deg.DegreeSequence:
        """Degree sequence of ``degree_kind`` in ``"in"``, ``"out"``, ``"in_strength"``, ``"out_strength"``.

        Labels: ``layer`` = this layer's name; ``index`` = the output unit (for ``in``/``in_strength``)
        or the input unit (for ``out``/``out_strength``).
        """
        return _deg.layer_sequence(self, degree_kind)

    def regular_structure(self) -> str | None:
        """Why this layer's degrees are regular by construction, or ``None``.

        * ``"near-dense (density 0.999)"``: at least 99 % of the possible edges exist, so every
          degree sits at (or one or two below) its bound — a dense layer with a few exact zeros,
          nothing a degree law can describe;
        * ``"N:M semi-structured (2:4)"``: in every group of ``M`` consecutive inputs of every
          output at most ``N`` weights survive and at least 90 % of the groups keep exactly ``N``
          (NVIDIA's 2:4 sparsity and its kin), so in-degrees are fixed by the pattern.

        Examples
        --------
        >>> import torch
        >>> w = torch.tensor([[1., 1., 0., 0., 0., 1., 1., 0.], [1., 0., 0., 1., 0., 0., 1., 1.]])
        >>> LayerGraph.from_matrix("a", w).regular_structure()
        'N:M semi-structured (2:4)'
        """
        n = self.in_units * self.out_units
        if n == 0:
            return None
        dens = self.density
        if dens >= 0.99:
            return f"near-dense (density {dens:.3f})"
        if not self.binary or self.layer_type != "linear":
            return None
        m = self.mask
        for mm in (2, 4, 8):
            if self.in_units % mm or self.in_units < 2 * mm:
                continue
            counts = m.reshape(self.out_units, self.in_units // mm, mm).sum(-1)
            nn_ = int(counts.max())
            if 0 < nn_ <= mm // 2 and float((counts == nn_).float().mean()) >= 0.9:
                return f"N:M semi-structured ({nn_}:{mm})"
        return None

    def to_dict(self) -> dict:
        """JSON-ready summary (no matrices).  The layer type keeps its 0.1 key ``"kind"``."""
        return {
            "name": self.name, "kind": self.layer_type, "param": self.param,
            "in_space": self.in_space, "out_space": self.out_space,
            "in_offset": self.in_offset, "out_offset": self.out_offset,
            "in_units": self.in_units, "out_units": self.out_units,
            "edges": self.n_edges, "density": self.density,
            "dead_in": int(np.count_nonzero(self.out_degree == 0)),
            "dead_out": int(np.count_nonzero(self.in_degree == 0)),
            "weight_entries": int(self.multiplicity.sum()),
            "wiring": self.wiring, "guessed": self.guessed,
        }


# =============================================================================== NetworkGraph
def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


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
    residuals : tuple of (str, str)
        Identity (skip) connections ``(from_space, to_space)`` of residual additions: unit ``i``
        of the first space is added to unit ``i`` of the second.  They carry no weight, so they
        are not edges of any layer and not counted in degrees; each residual addition writes a
        new version of the stream, so the graph stays acyclic.  ``to_networkx(residuals=True)``
        exports them as edges of ``layer="residual"``.

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
    residuals: tuple[tuple[str, str], ...] = ()
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        for a, b in self.residuals:
            if a not in self.spaces or b not in self.spaces or self.spaces[a] != self.spaces[b]:
                raise UsageError(f"residual {a!r} -> {b!r}: both must be spaces of equal size "
                                 f"(sizes {self.spaces.get(a)}, {self.spaces.get(b)})")
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

    def __repr__(self) -> str:
        """Source, size and the first layers, one line each: never the layers' matrices (print
        a layer for its own summary, :meth:`layer`).

        Examples
        --------
        >>> import torch
        >>> a = LayerGraph.from_matrix("fc1", torch.ones(2, 3), in_space="input")
        >>> b = LayerGraph.from_matrix("fc2", torch.tensor([[1., 0.]]), in_space="fc1")
        >>> NetworkGraph((a, b), {"input": 3, "fc1": 2, "fc2": 1}, source="example")
        NetworkGraph('example': 2 layers, 6 units in 3 spaces, 7 edges, density 87.5% of the layers' possible edges;
          fc1  linear  3 → 2  6 edges  density 100%
          fc2  linear  2 → 1  1 edge  density 50%)
        """
        possible = sum(lg.in_units * lg.out_units for lg in self.layers)
        head = (f"NetworkGraph({self.source!r}: {len(self.layers):,} layers, {self.n_units:,} units in "
                f"{len(self.spaces):,} spaces, {self.n_edges:,} edges")
        if possible:
            head += f", density {100 * self.n_edges / possible:.3g}% of the layers' possible edges"
        if self.residuals:
            head += f", {_count(len(self.residuals), 'residual connection')}"
        if self.notes:
            head += f", {_count(len(self.notes), 'note')}"
        most = 8
        shown = self.layers if len(self.layers) <= most + 1 else self.layers[:most]
        width = max((len(lg.name) for lg in shown), default=0)
        lines = [f"  {lg.name:<{width}}  {lg.layer_type}  {lg.in_units:,} → {lg.out_units:,}  "
                 f"{_count(lg.n_edges, 'edge')}  density {100 * lg.density:.3g}%" for lg in shown]
        if len(shown) < len(self.layers):
            lines.append(f"  … {len(self.layers) - len(shown):,} more layers")
        return head + (";\n" + "\n".join(lines) if lines else "") + ")"

    @renamed_kwargs(kind="degree_kind")
    def degrees(self, degree_kind: str = "total") -> _deg.DegreeSequence:
        """Whole-network sequence over all units of all spaces (``"in"``, ``"out"``, ``"total"``,
        ``"strength"`` = in + out strength, ``"in_strength"``, ``"out_strength"``).

        A hidden unit's total = in-edges from the layers writing its space + out-edges to the
        layers reading it.  Input pixels and output logits are units too (they have only out-
        or in-edges).  Cached.
        """
        if degree_kind not in self._cache:
            self._cache[degree_kind] = _deg.network_sequence(self.layers, self.spaces, degree_kind)
        return self._cache[degree_kind]

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
    def to_networkx(self, *, residuals: bool = False):
        """networkx ``DiGraph``: nodes ``(space, index)`` (attributes ``space``, ``index``),
        edges with ``weight``, ``multiplicity``, ``layer``; with ``residuals=True`` also the
        identity edges of :attr:`residuals` (weight 1, multiplicity 0, ``layer="residual"``).
        Where two layers connect the same two units (rare: parallel branches between the same
        spaces) the edge holds the sum of weights and multiplicities and ``layer`` lists both,
        joined by ``+``.
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
        if residuals:
            for a, b in self.residuals:
                g.add_edges_from(((a, i), (b, i), {"weight": 1.0, "multiplicity": 0, "layer": "residual"})
                                  for i in range(int(self.spaces[a])))
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
            "residuals": [list(r) for r in self.residuals],
            "spaces": {k: int(v) for k, v in self.spaces.items()},
            "layers": [lg.to_dict() for lg in self.layers],
            "totals": {"units": self.n_units, "edges": self.n_edges,
                       "dead_units": tot.n_dead, "layers": len(self.layers),
                       "weight_entries": int(sum(int(lg.multiplicity.sum()) for lg in self.layers))},
        }


# 0.1 names, kept for one release with a DeprecationWarning
LayerGraph.__init__ = renamed_kwargs(kind="layer_type")(LayerGraph.__init__)  # type: ignore[method-assign]
LayerGraph.kind = renamed_attribute("layer_type", "kind")  # type: ignore[attr-defined]
__getattr__ = module_aliases(__name__, {"LAYER_KINDS": ("LAYER_TYPES", LAYER_TYPES)})
