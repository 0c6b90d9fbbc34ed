"""Degree and strength sequences of pruned networks, straight from weight masks.

Everything here is a tensor reduction over unit-level weight matrices (no networkx on this
path).  A layer's unit-level matrix ``W`` has shape ``[out_units, in_units]``; edge ``i -> j``
exists iff ``W[j, i] != 0`` (DESIGN.md, "Nodes and edges").  Then

* in-degree of output unit ``j``:  ``k_in(j)  = sum_i [W[j, i] != 0]``  (row count),
* out-degree of input unit ``i``:  ``k_out(i) = sum_j [W[j, i] != 0]``  (column count),
* strengths: the same sums of ``|W[j, i]|`` (Barrat et al., PNAS 101, 2004).

For a whole network, a unit of an activation space collects in-edges from every layer that
writes the space and out-edges to every layer that reads it; ``total = in + out``.  A
connection made by two different layers between the same two units counts once per layer
(each is its own weight).

Units with degree 0 (dead neurons, removed filters, unused input pixels) are kept in
:attr:`DegreeSequence.values` and reported by :attr:`DegreeSequence.dead`; only
:attr:`DegreeSequence.alive` is meant for power-law fitting.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ._compat import module_aliases, renamed_attribute, renamed_kwargs
from .errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    from .graph import LayerGraph

#: degree kinds accepted by :meth:`LayerGraph.degrees`
LAYER_DEGREE_KINDS = ("in", "out", "in_strength", "out_strength")
#: degree kinds accepted by :meth:`NetworkGraph.degrees`
NETWORK_DEGREE_KINDS = ("in", "out", "total", "strength", "in_strength", "out_strength")


@dataclass(frozen=True)
class DegreeSequence:
    """A degree (or strength) per unit, with labels that find each unit again.

    Attributes
    ----------
    values : numpy.ndarray
        int64 degrees or float64 strengths, one per unit, zeros included.
    layer : numpy.ndarray
        str array: the layer (per-layer sequences) or activation space (whole network) of
        each unit.
    index : numpy.ndarray
        int64 index of the unit within that layer side or space.
    degree_kind : str
        ``"in"``, ``"out"``, ``"total"``, ``"strength"``, ``"in_strength"`` or ``"out_strength"``.

    Examples
    --------
    >>> import numpy as np
    >>> d = DegreeSequence(np.array([2, 0, 1]), np.array(["h", "h", "h"]), np.arange(3), "in")
    >>> d.n_dead, d.alive.tolist()
    (1, [2, 1])
    """

    values: np.ndarray
    layer: np.ndarray
    index: np.ndarray
    degree_kind: str

    def __post_init__(self):
        n = len(self.values)
        if len(self.layer) != n or len(self.index) != n:
            raise UsageError(f"DegreeSequence: values ({n}), layer ({len(self.layer)}) and index "
                             f"({len(self.index)}) must have the same length")

    def __len__(self) -> int:
        return len(self.values)

    def __repr__(self) -> str:
        """Kind, size, where the units are and the alive values' range: never the arrays
        (``values``, ``layer``, ``index`` hold one entry per unit).

        Examples
        --------
        >>> import numpy as np
        >>> DegreeSequence(np.array([2, 0, 1, 7]), np.array(["h"] * 4), np.arange(4), "in")
        DegreeSequence(in, 4 units labelled 'h', 1 dead; alive min 1, median 2, max 7)
        """
        labels, first = np.unique(self.layer, return_index=True)
        where = _names(labels[np.argsort(first)].tolist())
        return (f"DegreeSequence({self.degree_kind}, {len(self):,} units"
                f"{' labelled ' + where if where else ''}, {self.n_dead:,} dead; "
                f"{value_range(self.alive, 'alive ')})")

    @property
    def dead(self) -> np.ndarray:
        """Boolean mask of units with value 0 (no surviving connection of this kind)."""
        return self.values == 0

    @property
    def n_dead(self) -> int:
        """Number of units with value 0."""
        return int(np.count_nonzero(self.dead))

    @property
    def alive(self) -> np.ndarray:
        """``values[values > 0]``: the sample a power law is fitted to."""
        return self.values[self.values > 0]

    def select(self, name: str) -> DegreeSequence:
        """The units of one layer/space only.

        Examples
        --------
        >>> import numpy as np
        >>> d = DegreeSequence(np.array([1, 2]), np.array(["a", "b"]), np.array([0, 0]), "in")
        >>> d.select("b").values.tolist()
        [2]
        """
        keep = self.layer == name
        if not keep.any():
            raise UsageError(f"DegreeSequence has no unit labelled {name!r}; labels: "
                             f"{', '.join(dict.fromkeys(self.layer.tolist()))}")
        return DegreeSequence(self.values[keep], self.layer[keep], self.index[keep], self.degree_kind)

    def to_dict(self) -> dict:
        """JSON-ready summary and the full sequence (plain Python types)."""
        vals = self.values.tolist()
        return {
            "kind": self.degree_kind,  # the 0.1 key, unchanged
            "n": len(self),
            "n_dead": self.n_dead,
            "values": vals,
            "layer": self.layer.tolist(),
            "index": self.index.tolist(),
        }


# --------------------------------------------------------------------------- summaries (reprs)
def _fmt_value(v) -> str:
    v = float(v)
    return f"{int(v):,}" if v.is_integer() and abs(v) < 1e15 else f"{v:.4g}"


def value_range(v: np.ndarray, what: str = "") -> str:
    """``"<what>min a, median b, max c"`` of an array (``"<what>none"`` when empty): the
    summary the reprs show instead of the array.

    Examples
    --------
    >>> value_range(np.array([3, 1, 2, 10]), "in-degree ")
    'in-degree min 1, median 2.5, max 10'
    """
    v = np.asarray(v)
    if v.size == 0:
        return f"{what}none"
    return (f"{what}min {_fmt_value(v.min())}, median {_fmt_value(np.median(v))}, "
            f"max {_fmt_value(v.max())}")


def _names(names: list, most: int = 3) -> str:
    """Up to ``most`` names quoted, then how many more."""
    more = f" (+{len(names) - most} more)" if len(names) > most else ""
    return ", ".join(repr(n) for n in names[:most]) + more


def layer_summary(layer: Any) -> str:
    """One line about a layer (``LayerGraph`` or its matrix-free records): name, type, units
    and spaces, edges and density, the in- and out-degree ranges and how its wiring is known.

    Examples
    --------
    >>> import torch
    >>> from prunegraph.graph import LayerGraph
    >>> print(layer_summary(LayerGraph.from_matrix("fc", torch.tensor([[1., 0.], [2., 3.]]), in_space="x")))
    'fc' linear, 2 → 2 units (x → fc), 3 edges, density 75%; in-degree min 1, median 1.5, max 2;
    out-degree min 1, median 1.5, max 2; wiring traced
    """
    offs = "" if not (layer.in_offset or layer.out_offset) else f" at offsets {layer.in_offset}/{layer.out_offset}"
    parts = [f"{layer.name!r} {layer.layer_type}, {layer.in_units:,} → {layer.out_units:,} units "
             f"({layer.in_space} → {layer.out_space}{offs}), {int(layer.n_edges):,} edges, "
             f"density {100 * layer.density:.3g}%"]
    for kind in ("in", "out"):
        deg = getattr(layer, f"{kind}_degree", None)
        if deg is not None:
            parts.append(value_range(deg, f"{kind}-degree "))
    wiring = getattr(layer, "wiring", None)
    if wiring:
        parts.append(f"wiring {wiring}")
    return "; ".join(parts)


# --------------------------------------------------------------------------- tensor kernels
def mask_of(multiplicity: torch.Tensor) -> torch.Tensor:
    """Boolean edge mask of a unit-level matrix (``multiplicity != 0``)."""
    return multiplicity != 0


def count_in_out(multiplicity: torch.Tensor, *, binary: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Row and column counts of the nonzero entries of an ``[out, in]`` matrix:
    ``(in_degree, out_degree)``, int64.

    ``binary=True`` promises the entries are already 0/1 (an unfolded Linear layer's
    multiplicity), so the int32 matrix is summed directly: two reductions, no temporary mask.
    Otherwise the 0/1 indicator ``multiplicity != 0`` is formed first.

    Examples
    --------
    >>> import torch
    >>> m = torch.tensor([[True, False], [True, True], [False, False]])
    >>> [a.tolist() for a in count_in_out(m)]
    [[1, 2, 0], [2, 1]]
    """
    if binary and multiplicity.dtype == torch.int32:
        m = multiplicity
    else:
        m = (multiplicity != 0).to(torch.int32)
    # int32 accumulators keep torch on its fast path (int32 -> int64 sums are several times slower)
    k_in = m.sum(1, dtype=torch.int32)
    k_out = m.sum(0, dtype=torch.int32)
    return k_in.cpu().numpy().astype(np.int64), k_out.cpu().numpy().astype(np.int64)


def sum_in_out(weight: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Row and column sums of a nonnegative ``[out, in]`` weight matrix, returned as float64.

    Summed in the weight's float32 (torch's cascaded summation; relative error ~1e-7) and cast:
    float64 accumulation would copy the matrix first.
    """
    w = weight if weight.is_floating_point() else weight.float()
    s_in = w.sum(1)
    s_out = w.sum(0)
    return s_in.cpu().double().numpy(), s_out.cpu().double().numpy()


@renamed_kwargs(kind="degree_kind")
def layer_sequence(layer: Any, degree_kind: str) -> DegreeSequence:
    """Degree sequence of one layer (see :meth:`prunegraph.LayerGraph.degrees`).

    ``layer`` is any record with ``name``, ``in_degree``, ``out_degree``, ``in_strength`` and
    ``out_strength``: a :class:`~prunegraph.graph.LayerGraph`, a :class:`LayerDegrees`, a
    connectome's sparse layer."""
    if degree_kind not in LAYER_DEGREE_KINDS:
        raise UsageError(f"layer degree kind {degree_kind!r} is unknown; choose one of "
                         f"{', '.join(LAYER_DEGREE_KINDS)}")
    values = {"in": layer.in_degree, "out": layer.out_degree,
              "in_strength": layer.in_strength, "out_strength": layer.out_strength}[degree_kind]
    n = len(values)
    return DegreeSequence(values, np.full(n, layer.name, dtype=object).astype(str),
                          np.arange(n, dtype=np.int64), degree_kind)


@renamed_kwargs(kind="degree_kind")
def _not_recorded(lg: LayerDegrees | LayerGraph, degree_kind: str) -> UsageError:
    return UsageError(f"layer {lg.name}: no {degree_kind} degrees recorded (a layer counted without its "
                      "weights); build it with its strengths to read strength degree kinds")


def network_sequence(layers: Iterable[LayerGraph | LayerDegrees], spaces: Mapping[str, int],
                     degree_kind: str = "total") -> DegreeSequence:
    """Whole-network degrees: every unit of every activation space, in ``spaces`` order.

    A unit's in-degree sums the in-degrees it receives from every layer writing its space;
    its out-degree sums the out-degrees of every layer reading it; ``total = in + out`` and
    ``strength = in_strength + out_strength``.

    Examples
    --------
    >>> import torch
    >>> from prunegraph.graph import LayerGraph
    >>> w = torch.tensor([[1., 0.], [2., 3.]])
    >>> lg = LayerGraph.from_matrix("fc", w, in_space="input", out_space="fc")
    >>> network_sequence([lg], {"input": 2, "fc": 2}, "total").values.tolist()
    [2, 1, 1, 2]
    """
    if degree_kind not in NETWORK_DEGREE_KINDS:
        raise UsageError(f"network degree kind {degree_kind!r} is unknown; choose one of "
                         f"{', '.join(NETWORK_DEGREE_KINDS)}")
    strength = degree_kind in ("strength", "in_strength", "out_strength")
    dtype = np.float64 if strength else np.int64
    base: dict[str, int] = {}
    n = 0
    for name, size in spaces.items():
        base[name] = n
        n += int(size)
    values = np.zeros(n, dtype=dtype)
    want_in = degree_kind in ("in", "total", "strength", "in_strength")
    want_out = degree_kind in ("out", "total", "strength", "out_strength")
    for lg in layers:
        if want_in:
            start = base[lg.out_space] + lg.out_offset
            v = lg.in_strength if strength else lg.in_degree
            if v is None:
                raise _not_recorded(lg, degree_kind)
            values[start:start + len(v)] += v
        if want_out:
            start = base[lg.in_space] + lg.in_offset
            v = lg.out_strength if strength else lg.out_degree
            if v is None:
                raise _not_recorded(lg, degree_kind)
            values[start:start + len(v)] += v
    labels = np.concatenate([np.full(int(s), name, dtype=object) for name, s in spaces.items()]
                            ).astype(str) if n else np.array([], dtype=str)
    index = (np.concatenate([np.arange(int(s), dtype=np.int64) for s in spaces.values()])
             if n else np.array([], dtype=np.int64))
    return DegreeSequence(values, labels, index, degree_kind)


@dataclass(frozen=True)
class LayerInfo:
    """A layer's identity and shape without its matrices (shared by the matrix-free records)."""

    name: str
    layer_type: str
    in_space: str
    out_space: str
    in_offset: int
    out_offset: int
    in_units: int
    out_units: int

    @staticmethod
    def fields_of(layer) -> dict:
        """The LayerInfo fields of a LayerGraph (or of another LayerInfo), as keyword arguments."""
        return {"name": layer.name, "layer_type": layer.layer_type, "in_space": layer.in_space,
                "out_space": layer.out_space, "in_offset": int(layer.in_offset),
                "out_offset": int(layer.out_offset), "in_units": int(layer.in_units),
                "out_units": int(layer.out_units)}


@dataclass(frozen=True)
class LayerDegrees(LayerInfo):
    """One layer's degree and strength arrays without its matrices (what a streamed analysis
    keeps after the layer itself is dropped). Duck-types the parts of ``LayerGraph`` that
    :func:`network_sequence` and the fit pipeline read.

    Examples
    --------
    >>> import torch
    >>> from prunegraph.graph import LayerGraph
    >>> lg = LayerGraph.from_matrix("fc", torch.tensor([[1., 0.], [2., 3.]]), in_space="x", out_space="fc")
    >>> LayerDegrees.from_layer(lg).degrees("in").values.tolist()
    [1, 2]
    """

    n_edges: int = 0
    in_degree: np.ndarray | None = None
    out_degree: np.ndarray | None = None
    in_strength: np.ndarray | None = None    # None: a counted layer (no weights)
    out_strength: np.ndarray | None = None

    @property
    def density(self) -> float:
        possible = self.in_units * self.out_units
        return self.n_edges / possible if possible else 0.0

    def __repr__(self) -> str:  # never the arrays (one entry per unit, or per edge)
        return f"{type(self).__name__}({layer_summary(self)})"

    @classmethod
    def from_layer(cls, lg) -> LayerDegrees:
        return cls(**LayerInfo.fields_of(lg), n_edges=int(lg.n_edges), in_degree=lg.in_degree,
                   out_degree=lg.out_degree, in_strength=lg.in_strength, out_strength=lg.out_strength)

    @renamed_kwargs(kind="degree_kind")
    def degrees(self, degree_kind: str) -> DegreeSequence:
        """``"in"``, ``"out"``, ``"in_strength"`` or ``"out_strength"``, labelled like LayerGraph's."""
        return layer_sequence(self, degree_kind)


@dataclass(frozen=True, repr=False)  # LayerDegrees' summary, not the arrays
class CountedLayer(LayerDegrees):
    """A streamed layer known by its degrees (and, when asked for, its float64 strengths and
    edge weights) without its matrices: what :meth:`prunegraph.graph.StreamPlan.iter_degrees`
    yields.

    Duck-types the parts of ``LayerGraph`` a degree analysis and its random-pruning null read:
    the degrees, :meth:`regular_structure`, ``wiring`` and, for a layer mapping a space onto
    itself, whether it has a self-loop (``loops``).

    Examples
    --------
    >>> import numpy as np
    >>> c = CountedLayer("fc", "linear", "x", "fc", 0, 0, 3, 2, n_edges=3,
    ...                  in_degree=np.array([1, 2]), out_degree=np.array([2, 1, 0]))
    >>> c.degrees("out").values.tolist(), c.regular_structure()
    ([2, 1, 0], None)
    """

    regular: str | None = None
    wiring: str = "traced"
    loops: bool = True
    param: str = ""
    binary: bool = False
    raw_nonzero: int = 0      # nonzero raw weight entries (the sum of the built multiplicity)
    # with strengths (``StreamPlan.iter_degrees(strengths=True)``): the edges' unit weights and
    # multiplicities, row-major, for a weighted random-pruning null (None: counted only)
    edge_weights: Any = None
    edge_multiplicity: Any = None

    def regular_structure(self) -> str | None:
        return self.regular


# 0.1 names, kept for one release with a DeprecationWarning
DegreeSequence.__init__ = renamed_kwargs(kind="degree_kind")(DegreeSequence.__init__)  # type: ignore[method-assign]
DegreeSequence.kind = renamed_attribute("degree_kind", "kind")  # type: ignore[attr-defined]
LayerInfo.kind = renamed_attribute("layer_type", "kind")  # type: ignore[attr-defined]
__getattr__ = module_aliases(__name__, {"LAYER_KINDS": ("LAYER_DEGREE_KINDS", LAYER_DEGREE_KINDS),
                                        "NETWORK_KINDS": ("NETWORK_DEGREE_KINDS", NETWORK_DEGREE_KINDS)})
