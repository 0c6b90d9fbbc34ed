"""Biological reference networks: connectomes as prunegraph graphs.

A connectome is read into the same objects as a pruned layer, so every statistic that
prunegraph computes for a network (degrees, power-law fits, verdicts, nulls, attachment
kernels) applies to a nervous system unchanged:

* a :class:`~prunegraph.graph.NetworkGraph` with one square *recurrent* layer that maps the
  activation space ``"neurons"`` onto itself; edge ``i -> j`` (presynaptic ``i``,
  postsynaptic ``j``) exists iff ``weight[j, i] > 0``; weight and multiplicity are the
  number of synapses (DESIGN.md, "Nodes and edges", with a neuron as the unit);
* node labels are the cell names (``"AVAL"``) in :attr:`ConnectomeLayer.nodes`, with a
  coarse cell class (sensory / interneuron / motor / pharyngeal / neuron / muscle / other)
  in :attr:`ConnectomeLayer.cell_class`.

Sources
-------
``connectome(name)`` reads the C. elegans connectomes that the OpenWorm ``cect`` package
(C. elegans Connectome Toolbox, MIT) ships as JSON in ``cect/cache/``: per data set a list
of ``nodes`` and ``connections`` = named square matrices ``M[pre][post]`` of synapse counts
(``Generic_CS`` chemical synapses, ``Generic_GJ`` gap junctions, listed in both directions).
Only these files are read (through :mod:`importlib.resources`); cect's own dependencies
(pyneuroml, plotly, ...) are not needed, so install it with ``pip install --no-deps cect``.
The cell classes come from the name lists in ``cect.Cells`` (needs only pandas).

``read_edge_list(path)`` reads a large connectome (FlyWire or hemibrain scale: 1e5 neurons,
1e7 synapses) from a CSV edge list (streamed in chunks), GraphML or a ``scipy.sparse``
``.npz`` adjacency into a sparse layer (:class:`SparseLayer`): memory is linear in edges.

Name scheme (the CLI accepts it wherever it takes a checkpoint)
----------------------------------------------------------------
``connectome:<data set>[:<synapses>][:all-cells]`` with ``<data set>`` one of
:func:`names` (``cook2019-herm``, ``cook2019-male``, ``varshney2011``, ``white1986``,
``witvliet2021-1`` ... ``witvliet2021-8``), ``<synapses>`` one of ``chemical`` (default),
``electrical``, ``both``, and ``all-cells`` keeping muscles and other non-neurons
(default: neurons only).  ``connectome:<file>.csv|.graphml|.npz`` reads a file.

Nulls and development
---------------------
The random null of a connectome is the directed G(n, m) at identical density with no
self-loops unless the data has some (:mod:`prunegraph.nulls`); the degree-preserving
rewiring null (:func:`structure_vs_rewired`) tests structure beyond degrees.
:func:`development_attachment` measures the attachment kernel of the connections that
appear between two Witvliet et al. (2021) stages, against an exact random control.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ._compat import renamed_kwargs
from ._rng import as_generator, child
from .degrees import layer_sequence
from .errors import InputError, UsageError
from .graph import LayerGraph, NetworkGraph
from .nulls import EdgeMultiset

log = logging.getLogger(__name__)

#: prefix of a connectome source wherever a checkpoint path is accepted
PREFIX = "connectome:"
#: the install command printed when cect is missing
INSTALL = "pip install --no-deps cect"
SYNAPSES = ("chemical", "electrical", "both")
#: the activation space of every connectome layer
SPACE = "neurons"
#: file suffixes read by :func:`read_edge_list`
FILE_SUFFIXES = (".csv", ".tsv", ".graphml", ".npz")

_JSON_KEYS = {"chemical": "Generic_CS", "electrical": "Generic_GJ"}


@dataclass(frozen=True)
class ConnectomeInfo:
    """One shipped data set: its name in the scheme, its cect cache file and its reference."""

    name: str
    file: str
    reference: str
    description: str


def _witvliet(i: int) -> ConnectomeInfo:
    return ConnectomeInfo(
        f"witvliet2021-{i}", f"WitvlietDataReader{i}.json",
        "Witvliet et al., Nature 596, 257-261 (2021)",
        f"nerve ring and its partners, animal {i} of 8 ordered from birth (L1) to adult")


_DATASETS: dict[str, ConnectomeInfo] = {d.name: d for d in [
    ConnectomeInfo("cook2019-herm", "Cook2019HermReader.json",
                   "Cook et al., Nature 571, 63-71 (2019)", "whole adult hermaphrodite"),
    ConnectomeInfo("cook2019-male", "Cook2019MaleReader.json",
                   "Cook et al., Nature 571, 63-71 (2019)", "whole adult male"),
    ConnectomeInfo("varshney2011", "VarshneyDataReader.json",
                   "Varshney et al., PLoS Comput. Biol. 7, e1001066 (2011)",
                   "hermaphrodite somatic nervous system"),
    ConnectomeInfo("white1986", "White_whole.json",
                   "White et al., Phil. Trans. R. Soc. B 314, 1-340 (1986)",
                   "hermaphrodite, the first reconstruction"),
    *[_witvliet(i) for i in range(1, 9)],
]}

#: the Witvliet et al. (2021) developmental series, in developmental order
WITVLIET_SERIES = tuple(f"witvliet2021-{i}" for i in range(1, 9))


def names() -> list[str]:
    """Names of the connectomes :func:`connectome` can load.

    Examples
    --------
    >>> names()[:2], len(names())
    (['cook2019-herm', 'cook2019-male'], 12)
    """
    return list(_DATASETS)


def available() -> list[ConnectomeInfo]:
    """The shipped data sets with file and reference (what ``prunegraph connectome list`` prints)."""
    return list(_DATASETS.values())


# =============================================================================== graph records
@dataclass(frozen=True, eq=False)
class ConnectomeLayer(LayerGraph):
    """A connectome as a square recurrent layer (``in_space == out_space == "neurons"``).

    A :class:`~prunegraph.graph.LayerGraph` with node labels: ``weight[j, i]`` = synapses from
    ``nodes[i]`` onto ``nodes[j]``.  ``in_degree[j]`` counts presynaptic partners of neuron
    ``j``, ``out_degree[i]`` its postsynaptic partners.

    Examples
    --------
    >>> layer = from_adjacency([[0, 2], [1, 0]], ["A", "B"], name="toy").layers[0]
    >>> layer.nodes, layer.in_degree.tolist(), layer.in_strength.tolist()
    (('A', 'B'), [1, 1], [1.0, 2.0])
    """

    nodes: tuple = ()
    cell_class: tuple = ()

    def node_index(self, name: str) -> int:
        """Position of the cell called ``name``."""
        try:
            return self.nodes.index(name)
        except ValueError:
            raise UsageError(f"{self.name}: no cell {name!r}") from None

    def adjacency(self) -> np.ndarray:
        """``A[pre, post]`` synapse counts (float64), the orientation of the source matrices."""
        return self.weight.detach().cpu().double().numpy().T.copy()


@dataclass(frozen=True, kw_only=True)
class SparseLayer(EdgeMultiset):
    """A large connectome as a sparse square layer: CSR over postsynaptic rows.

    Duck-types the parts of :class:`~prunegraph.graph.LayerGraph` that degrees, the fit
    pipeline (:func:`prunegraph.analysis.analyze`) and the random-pruning null read, at
    memory linear in edges.  Row ``j`` of the CSR lists the presynaptic partners of ``j``
    (``indices[indptr[j]:indptr[j+1]]``) and :attr:`weights` their synapse counts, in the
    row-major order :class:`~prunegraph.nulls.EdgeMultiset` expects.
    """

    weights: torch.Tensor             # synapse counts, row-major (never None: a connectome is read whole)
    multiplicity: torch.Tensor
    indptr: np.ndarray
    indices: np.ndarray
    nodes: tuple = ()
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    param: str = ""

    @property
    def n_edges(self) -> int:
        return int(self.indices.size)

    @property
    def density(self) -> float:
        n = self.in_units * self.out_units
        return self.n_edges / n if n else 0.0

    def _get(self, key, fn):
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    @property
    def in_degree(self) -> np.ndarray:
        return self._get("in", lambda: np.diff(self.indptr).astype(np.int64))

    @property
    def out_degree(self) -> np.ndarray:
        return self._get("out", lambda: np.bincount(self.indices, minlength=self.in_units)
                         .astype(np.int64))

    @property
    def in_strength(self) -> np.ndarray:
        return self._get("ins", lambda: np.add.reduceat(
            np.append(self.weights.double().numpy(), 0.0), self.indptr[:-1])
            * (np.diff(self.indptr) > 0))

    @property
    def out_strength(self) -> np.ndarray:
        return self._get("outs", lambda: np.bincount(self.indices, weights=self.weights.double().numpy(),
                                                     minlength=self.in_units))

    def degrees(self, degree_kind: str):
        """As :meth:`prunegraph.graph.LayerGraph.degrees`."""
        return layer_sequence(self, degree_kind)

    def to_scipy(self):
        """``scipy.sparse.csr_array`` ``W[post, pre]`` of synapse counts."""
        import scipy.sparse as sp

        return sp.csr_array((self.weights.numpy(), self.indices, self.indptr),
                            shape=(self.out_units, self.in_units))

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.layer_type, "param": self.param,
                "in_space": self.in_space, "out_space": self.out_space,
                "in_offset": 0, "out_offset": 0, "in_units": self.in_units,
                "out_units": self.out_units, "edges": self.n_edges, "density": self.density,
                "dead_in": int(np.count_nonzero(self.out_degree == 0)),
                "dead_out": int(np.count_nonzero(self.in_degree == 0)),
                "weight_entries": int(self.multiplicity.sum())}


def _network(layer, source: str, notes: Sequence[str] = ()) -> NetworkGraph:
    return NetworkGraph((layer,), {SPACE: int(layer.in_units)}, source=source, notes=tuple(notes))


def from_adjacency(adjacency, nodes: Sequence[str], *, name: str = "connectome",
                   source: str | None = None, cell_class: Sequence[str] = ()) -> NetworkGraph:
    """A directed graph from a dense ``A[pre, post]`` matrix of synapse counts.

    Parameters
    ----------
    adjacency : array_like [n, n]
        Nonnegative synapse counts (or weights); row = presynaptic cell.
    nodes : sequence of str
        Cell names, in the matrix's order.
    name : str
        Layer name (the connectome's synapse type for shipped data).
    source : str, optional
        Where it came from (default ``name``).

    Returns
    -------
    NetworkGraph
        One :class:`ConnectomeLayer` from ``"neurons"`` to itself.

    Examples
    --------
    >>> net = from_adjacency([[0, 3, 1], [0, 0, 2], [1, 0, 0]], ["a", "b", "c"])
    >>> net.degrees("total").values.tolist(), net.n_edges
    ([3, 2, 3], 4)
    """
    a = np.asarray(adjacency, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise InputError(f"{source or name}: adjacency must be square [pre, post], got shape {a.shape}")
    if len(nodes) != a.shape[0]:
        raise InputError(f"{source or name}: {len(nodes)} node names for a {a.shape[0]}x{a.shape[0]} matrix")
    if not np.all(np.isfinite(a)) or (a < 0).any():
        raise InputError(f"{source or name}: synapse counts must be finite and >= 0")
    w = torch.from_numpy(a.T.astype(np.float32).copy())
    integral = bool(np.all(a == np.round(a)))
    mult = torch.from_numpy((a.T if integral else (a.T != 0)).astype(np.int32).copy())
    layer = ConnectomeLayer(name, "connectome", w, mult, SPACE, SPACE, param=name,
                            binary=bool(mult.numel() == 0 or int(mult.max()) <= 1),
                            nodes=tuple(str(n) for n in nodes), cell_class=tuple(cell_class))
    return _network(layer, source or name)


# =============================================================================== cect data
def _cache_dir():
    try:
        from importlib.resources import files

        root = files("cect")
    except ModuleNotFoundError:
        raise InputError(f"connectome data needs the cect package (C. elegans Connectome Toolbox): "
                         f"{INSTALL}") from None
    cache = root / "cache"
    if not cache.is_dir():
        raise InputError("the installed cect package has no cache/ folder of JSON connectomes; "
                         "reinstall it: pip install --no-deps --force-reinstall cect")
    return cache


def _info(name: str) -> ConnectomeInfo:
    if name not in _DATASETS:
        raise UsageError(f"unknown connectome {name!r}; available: {', '.join(_DATASETS)}")
    return _DATASETS[name]


@dataclass(frozen=True)
class ConnectomeMatrices:
    """The raw matrices of one shipped data set, as cect stores them (``M[pre][post]``)."""

    name: str
    nodes: tuple
    chemical: np.ndarray
    electrical: np.ndarray


def read_matrices(name: str) -> ConnectomeMatrices:
    """Read one data set's JSON from cect's cache: nodes and the two synapse-count matrices.

    Raises
    ------
    InputError
        cect is not installed (the message gives the install command) or the file is
        missing or malformed.
    """
    info = _info(name)
    res = _cache_dir() / info.file
    try:
        with res.open("r", encoding="utf-8") as fh:
            raw = json.load(fh)
    except FileNotFoundError:
        raise InputError(f"{name}: cect's cache has no {info.file}; install a cect version that "
                         f"ships it ({INSTALL})") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{name}: cannot read cect cache file {info.file}: {exc}") from None
    try:
        nodes = tuple(str(n) for n in raw["nodes"])
        mats = {k: np.asarray(raw["connections"].get(key, np.zeros((len(nodes), len(nodes)))),
                              dtype=np.float64) for k, key in _JSON_KEYS.items()}
    except (KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"{name}: {info.file} lacks 'nodes'/'connections' ({exc}); "
                         f"the cect cache layout changed: pin cect 0.3.x") from None
    for k, m in mats.items():
        if m.shape != (len(nodes), len(nodes)):
            raise InputError(f"{name}: {k} matrix has shape {m.shape}, expected {len(nodes)} square")
    return ConnectomeMatrices(name, nodes, mats["chemical"], mats["electrical"])


def cell_classes(nodes: Iterable[str]) -> tuple[str, ...]:
    """A coarse class per cell from cect's name lists (WormAtlas / Cook et al. 2019 groups):
    ``sensory``, ``interneuron``, ``motor``, ``pharyngeal``, ``neuron`` (other neurons),
    ``muscle`` or ``other`` (glia, epithelia, gland cells, ...)."""
    try:
        import cect.Cells as C
    except ModuleNotFoundError as exc:
        raise InputError(f"cell classes need the cect package ({exc.name} is missing): {INSTALL}") from None
    groups = [
        ("pharyngeal", set(C.PHARYNGEAL_NEURONS)),
        ("sensory", set(C.SENSORY_NEURONS_COOK) | set(C.MALE_HEAD_SENSORY_NEURONS)
         | set(C.MALE_NON_HEAD_SENSORY_NEURONS)),
        ("interneuron", set(C.INTERNEURONS_COOK) | set(C.MALE_HEAD_INTERNEURONS)
         | set(C.MALE_NON_HEAD_INTERNEURONS)),
        ("motor", set(C.MOTORNEURONS_COOK)),
    ]
    out = []
    for n in nodes:
        cls = next((g for g, members in groups if n in members), None)
        if cls is None:
            cls = ("neuron" if C.is_any_neuron(n) else "muscle" if C.is_potential_muscle(n)
                   else "other")
        out.append(cls)
    return tuple(out)


NEURON_CLASSES = ("sensory", "interneuron", "motor", "pharyngeal", "neuron")


def connectome(name: str, *, synapses: str = "chemical", neurons_only: bool = True) -> NetworkGraph:
    """Load a shipped C. elegans connectome as a directed, synapse-count-weighted graph.

    Parameters
    ----------
    name : str
        One of :func:`names` (``"cook2019-herm"``, ``"witvliet2021-8"``, ...), or a full
        source in the name scheme (``"connectome:cook2019-herm:both"``).
    synapses : {"chemical", "electrical", "both"}
        Chemical synapses (directed), gap junctions (listed in both directions, so in- and
        out-degrees are equal), or their sum (an edge where either exists).
    neurons_only : bool
        Keep neurons only (default), or every cell of the data set (muscles, glia, ...).

    Returns
    -------
    NetworkGraph
        One :class:`ConnectomeLayer` named after the synapse type, from ``"neurons"`` to
        itself; ``source`` is the full name (``"connectome:witvliet2021-8"``).

    Raises
    ------
    InputError
        cect is missing (the message is the install command) or its file is malformed.
    UsageError
        Unknown name or synapse type.

    Examples
    --------
    >>> net = connectome("witvliet2021-8")                      # doctest: +SKIP
    >>> lg = net.layers[0]; lg.in_units, lg.n_edges             # doctest: +SKIP
    (180, 1933)
    """
    if name.startswith(PREFIX):
        return load_source(name)
    if synapses not in SYNAPSES:
        raise UsageError(f"synapses={synapses!r}: choose one of {', '.join(SYNAPSES)}")
    raw = read_matrices(name)
    if synapses == "chemical":
        a = raw.chemical
    elif synapses == "electrical":
        a = raw.electrical
    else:
        a = raw.chemical + raw.electrical
    classes = cell_classes(raw.nodes)
    keep = [i for i, c in enumerate(classes) if c in NEURON_CLASSES or not neurons_only]
    keep.sort(key=lambda i: raw.nodes[i])  # alphabetical: one order for every stage
    idx = np.asarray(keep, dtype=np.int64)
    cells = "neurons" if neurons_only else "all cells"
    src = PREFIX + name + ("" if synapses == "chemical" else f":{synapses}") + (
        "" if neurons_only else ":all-cells")
    net = from_adjacency(a[np.ix_(idx, idx)], [raw.nodes[i] for i in keep], name=synapses,
                         source=src, cell_class=[classes[i] for i in keep])
    info = _DATASETS[name]
    note = (f"{info.reference}: {info.description}; {synapses} synapses between {len(keep)} "
            f"{cells} (of {len(raw.nodes)} cells); weight = synapse count; read from cect's "
            f"cache/{info.file}")
    return dataclasses.replace(net, notes=(note,))


#: ``prunegraph.load_connectome``: the package exports :func:`connectome` under this name (the
#: attribute ``prunegraph.connectome`` is this module once it is imported)
load_connectome = connectome


# =============================================================================== name scheme
def is_source(source: Any) -> bool:
    """True for a string in the ``connectome:`` name scheme."""
    return isinstance(source, str) and source.startswith(PREFIX)


def parse_source(source: str) -> dict[str, Any]:
    """Split ``connectome:NAME[:SYNAPSES][:all-cells]`` (or ``connectome:FILE``).

    Examples
    --------
    >>> parse_source("connectome:cook2019-herm:both:all-cells")
    {'name': 'cook2019-herm', 'synapses': 'both', 'neurons_only': False, 'file': None}
    >>> parse_source("connectome:fly.csv")["file"]
    'fly.csv'
    """
    if not is_source(source):
        raise UsageError(f"{source!r} is not a connectome source; write connectome:NAME")
    rest = source[len(PREFIX):]
    if rest.lower().endswith(FILE_SUFFIXES):
        return {"name": None, "synapses": None, "neurons_only": None, "file": rest}
    parts = rest.split(":")
    name, opts = parts[0], parts[1:]
    synapses, neurons_only = "chemical", True
    for o in opts:
        if o in SYNAPSES:
            synapses = o
        elif o == "all-cells":
            neurons_only = False
        else:
            raise UsageError(f"{source}: unknown option {o!r}; the scheme is "
                             f"connectome:NAME[:{'|'.join(SYNAPSES)}][:all-cells]")
    if name == "list" or name not in _DATASETS:  # a missing input, like a missing file (exit 1)
        raise InputError(f"{source}: unknown connectome {name!r}; available: "
                         f"{', '.join(_DATASETS)} (or a file ending in {', '.join(FILE_SUFFIXES)})")
    return {"name": name, "synapses": synapses, "neurons_only": neurons_only, "file": None}


def load_source(source: str) -> NetworkGraph:
    """Load a ``connectome:`` source (what :func:`prunegraph.load` does with one)."""
    p = parse_source(source)
    if p["file"] is not None:
        return read_edge_list(p["file"])
    return connectome(p["name"], synapses=p["synapses"], neurons_only=p["neurons_only"])


# =============================================================================== large files
def from_edges(pre: np.ndarray, post: np.ndarray, weight: np.ndarray | None = None, *,
               n: int | None = None, nodes: Sequence[str] | np.ndarray = (), name: str = "edges",
               source: str = "edges") -> NetworkGraph:
    """A sparse directed graph from integer edge arrays (``pre -> post``); duplicate pairs
    are summed (one row per synapse becomes a synapse count).

    Examples
    --------
    >>> net = from_edges(np.array([0, 0, 0, 2]), np.array([1, 1, 2, 0]), n=3)
    >>> lg = net.layers[0]
    >>> lg.out_degree.tolist(), lg.in_degree.tolist(), lg.in_strength.tolist()
    ([2, 0, 1], [1, 1, 1], [1.0, 2.0, 1.0])
    """
    import scipy.sparse as sp

    pre, post = np.asarray(pre), np.asarray(post)
    if pre.shape != post.shape or pre.ndim != 1:
        raise InputError(f"{source}: pre and post must be 1-D arrays of equal length")
    if pre.size and not (np.issubdtype(pre.dtype, np.integer) and np.issubdtype(post.dtype, np.integer)):
        raise InputError(f"{source}: node indices must be integers, got {pre.dtype} and {post.dtype}")
    w = np.ones(pre.size, dtype=np.float32) if weight is None else np.asarray(weight, dtype=np.float32)
    if w.shape != pre.shape:
        raise InputError(f"{source}: {w.size} weights for {pre.size} edges")
    if w.size and (not np.all(np.isfinite(w)) or (w < 0).any()):
        raise InputError(f"{source}: weights must be finite and >= 0")
    if n is None:
        n = int(max(pre.max(initial=-1), post.max(initial=-1))) + 1
    if pre.size and (min(pre.min(), post.min()) < 0 or max(pre.max(), post.max()) >= n):
        raise InputError(f"{source}: node index outside 0..{n - 1}")
    # int32 indices wherever they fit: half the memory of int64 for the edge arrays
    idx = np.int32 if n < 2**31 else np.int64
    # rows = postsynaptic (the LayerGraph orientation W[post, pre]); duplicate pairs summed
    mat = sp.csr_array((w, (post.astype(idx, copy=False), pre.astype(idx, copy=False))),
                       shape=(n, n))
    del pre, post, w
    mat.sum_duplicates()
    mat.eliminate_zeros()
    data = mat.data.astype(np.float32, copy=False)
    integral = bool(np.all(data == np.round(data)))
    mult = (data if integral else np.ones_like(data)).astype(np.int32)
    loops = bool(mat.diagonal().any())
    layer = SparseLayer(name=name, layer_type="connectome", in_space=SPACE, out_space=SPACE,
                        in_offset=0, out_offset=0, in_units=n, out_units=n,
                        weights=torch.from_numpy(data), multiplicity=torch.from_numpy(mult),
                        loops=loops, indptr=mat.indptr, indices=mat.indices,
                        nodes=tuple(str(x) for x in nodes), param=name)
    return _network(layer, source)


def read_edge_list(path: str | os.PathLike, *, pre: str | int = 0, post: str | int = 1,
                   weight: str | int | None = None, sep: str | None = None,
                   chunksize: int = 1_000_000) -> NetworkGraph:
    """Read a large connectome from a file into a sparse graph, memory linear in edges.

    Parameters
    ----------
    path : path
        ``.csv`` / ``.tsv``: an edge list with a header line, one row per connection or per
        synapse (duplicate pairs are summed), read ``chunksize`` rows at a time; node ids
        may be integers (e.g. FlyWire root ids) or names. ``.graphml``: a directed graph
        (edge attribute ``weight`` if present). ``.npz``: a ``scipy.sparse`` matrix
        ``A[pre, post]`` saved with ``scipy.sparse.save_npz``.
    pre, post, weight : str or int
        CSV columns (names or positions) of the presynaptic id, postsynaptic id and the
        synapse count (None: each row counts 1).
    sep : str, optional
        CSV separator (default ``,``, or tab for ``.tsv``).
    chunksize : int
        CSV rows per chunk.

    Returns
    -------
    NetworkGraph
        One :class:`SparseLayer`; node labels (the ids, as strings, in index order) in
        ``layers[0].nodes``.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "e.csv")
    >>> _ = open(p, "w").write("pre,post,syn\\nA,B,2\\nA,C,1\\nC,A,4\\nA,B,1\\n")
    >>> lg = read_edge_list(p, weight="syn").layers[0]
    >>> lg.nodes, lg.out_degree.tolist(), lg.in_strength.tolist()
    (('A', 'B', 'C'), [2, 0, 1], [4.0, 3.0, 1.0])
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file; give an edge list .csv/.tsv, a .graphml or a .npz")
    suffix = p.suffix.lower()
    source = PREFIX + str(p)
    if suffix in (".csv", ".tsv"):
        return _read_csv(p, pre=pre, post=post, weight=weight,
                         sep=sep or ("\t" if suffix == ".tsv" else ","), chunksize=chunksize,
                         source=source)
    if suffix == ".graphml":
        return _read_graphml(p, source)
    if suffix == ".npz":
        return _read_npz(p, source)
    raise InputError(f"{p}: unknown connectome file type {suffix!r}; use one of {', '.join(FILE_SUFFIXES)}")


def _read_csv(p: Path, *, pre, post, weight, sep, chunksize, source) -> NetworkGraph:
    import pandas as pd

    if chunksize < 1:
        raise UsageError(f"chunksize={chunksize}: must be >= 1")
    try:
        header = list(pd.read_csv(p, sep=sep, nrows=0).columns)
    except ValueError as exc:
        raise InputError(f"{p}: cannot read the edge list header: {str(exc).splitlines()[0]}") from None
    cols = []
    for c in [pre, post] + ([] if weight is None else [weight]):
        if isinstance(c, (int, np.integer)):
            if not 0 <= c < len(header):
                raise InputError(f"{p}: column {c} does not exist; the header has {len(header)} columns")
            c = header[c]
        if c not in header:
            raise InputError(f"{p}: no column {c!r}; the header is {header}")
        cols.append(c)
    pres, posts, ws = [], [], []
    ids: dict = {}          # name -> index, filled chunk by chunk (non-integer ids)
    numeric = None
    try:
        reader = pd.read_csv(p, sep=sep, usecols=cols, chunksize=chunksize)
        for chunk in reader:
            a, b = chunk[cols[0]], chunk[cols[1]]
            if numeric is None:
                numeric = (pd.api.types.is_integer_dtype(a) and pd.api.types.is_integer_dtype(b))
            if numeric and pd.api.types.is_integer_dtype(a) and pd.api.types.is_integer_dtype(b):
                pres.append(a.to_numpy(np.int64))
                posts.append(b.to_numpy(np.int64))
            else:
                if pd.api.types.is_float_dtype(a) or pd.api.types.is_float_dtype(b):
                    raise InputError(f"{p}: node ids in {cols[0]!r}/{cols[1]!r} are not integers or "
                                     "names (empty cells?); every row needs both ids")
                if numeric:  # integers so far, names now: map what was read to names too
                    raise InputError(f"{p}: node id columns mix integers and names; "
                                     "use one kind of id per file")
                codes, uniq = pd.factorize(pd.concat([a.astype(str), b.astype(str)],
                                                     ignore_index=True))
                glob = np.fromiter((ids.setdefault(u, len(ids)) for u in uniq), np.int64, len(uniq))
                mapped = glob[codes]
                pres.append(mapped[:len(a)])
                posts.append(mapped[len(a):])
            if weight is not None:
                w = chunk[cols[2]]
                if not pd.api.types.is_numeric_dtype(w):
                    raise InputError(f"{p}: weight column {weight!r} is not numeric")
                ws.append(w.to_numpy(np.float32))
            del chunk
    except ValueError as exc:  # pandas: missing columns, bad rows (ParserError is a ValueError)
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{p}: cannot read the edge list: {str(exc).splitlines()[0]}; the file "
                         f"needs a header and columns {cols}") from None
    if not pres or sum(x.size for x in pres) == 0:
        raise InputError(f"{p}: no edges in the file")
    a = np.concatenate(pres)
    del pres
    b = np.concatenate(posts)
    del posts
    w = np.concatenate(ws) if ws else None
    if numeric:  # relabel ids to 0..n-1 in sorted order (pandas' hash tables: fast, ~E temporaries)
        uniq = np.union1d(pd.unique(a), pd.unique(b))
        index = pd.Index(uniq)
        idx = np.int32 if uniq.size < 2**31 else np.int64
        a = index.get_indexer(a).astype(idx)
        b = index.get_indexer(b).astype(idx)
        del index
        nodes = uniq.astype(str)
    else:  # names in sorted order, like the integer ids
        nodes = np.array(list(ids), dtype=object)
        order = np.argsort(nodes, kind="stable")
        rank = np.empty(order.size, dtype=np.int64)
        rank[order] = np.arange(order.size)
        rank = rank.astype(np.int32 if order.size < 2**31 else np.int64)
        a, b, nodes = rank[a], rank[b], nodes[order]
    return from_edges(a, b, w, n=len(nodes), nodes=nodes, name="edges", source=source)


def _read_graphml(p: Path, source: str) -> NetworkGraph:
    import networkx as nx

    try:
        g = nx.read_graphml(p)
    except Exception as exc:  # networkx raises many parser error types
        raise InputError(f"{p}: not a readable GraphML file: {exc}") from None
    nodes = list(g.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    src, dst, w = [], [], []
    for u, v, d in g.edges(data=True):
        src.append(index[u])
        dst.append(index[v])
        w.append(float(d.get("weight", 1.0)))
        if not g.is_directed():
            src.append(index[v])
            dst.append(index[u])
            w.append(float(d.get("weight", 1.0)))
    return from_edges(np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64),
                      np.array(w, dtype=np.float32), n=len(nodes), nodes=nodes, name="edges",
                      source=source)


def _read_npz(p: Path, source: str) -> NetworkGraph:
    import scipy.sparse as sp

    try:
        a = sp.load_npz(p).tocoo()
    except Exception as exc:  # zip / pickle / format errors
        raise InputError(f"{p}: not a scipy.sparse .npz (save one with scipy.sparse.save_npz): {exc}") from None
    if a.shape[0] != a.shape[1]:
        raise InputError(f"{p}: adjacency must be square [pre, post], got {a.shape}")
    return from_edges(a.row, a.col, a.data, n=a.shape[0], nodes=[str(i) for i in range(a.shape[0])],
                      name="edges", source=source)


# =============================================================================== structure
@dataclass(frozen=True)
class StructureTest:
    """One statistic of the observed graph against its degree-preserving rewiring null."""

    statistic: str
    observed: float
    null_mean: float
    null_std: float
    z: float
    p_greater: float   # (1 + #null >= observed) / (1 + draws)
    p_less: float      # (1 + #null <= observed) / (1 + draws)
    draws: int

    def to_dict(self) -> dict[str, Any]:
        return {k: (float(v) if isinstance(v, (float, np.floating)) else v)
                for k, v in dataclasses.asdict(self).items()}


def structure_stats(mask) -> dict[str, float]:
    """Structure beyond degrees of a directed graph given as ``mask[post, pre]``:

    * ``reciprocity``: share of edges ``i -> j`` whose reverse ``j -> i`` exists;
    * ``transitivity``: share of two-paths ``i -> j -> k`` (``i != k``) closed by ``i -> k``;
    * ``assortativity``: Pearson correlation, over edges ``i -> j``, of ``k_out(i)`` and
      ``k_in(j)`` (Newman, Phys. Rev. E 67, 026126, 2003; the out-in variant).

    Self-loops are ignored.

    Examples
    --------
    >>> m = np.array([[0, 1, 0], [1, 0, 0], [1, 1, 0]], bool)   # 1<->0, 0->2, 1->2: both paths closed
    >>> s = structure_stats(m); s["reciprocity"], s["transitivity"]
    (0.5, 1.0)
    """
    w = np.asarray(mask) != 0
    a = w.T.astype(np.float64)            # a[pre, post]
    np.fill_diagonal(a, 0.0)
    m = a.sum()
    if m == 0:
        return {"reciprocity": math.nan, "transitivity": math.nan, "assortativity": math.nan}
    recip = float((a * a.T).sum() / m)
    two = a @ a
    np.fill_diagonal(two, 0.0)
    paths = two.sum()
    trans = float((two * a).sum() / paths) if paths else math.nan
    kout, kin = a.sum(1), a.sum(0)
    pre, post = np.nonzero(a)
    x, y = kout[pre], kin[post]
    assort = float(np.corrcoef(x, y)[0, 1]) if x.std() > 0 and y.std() > 0 else math.nan
    return {"reciprocity": recip, "transitivity": trans, "assortativity": assort}


def _layer_of(graph):
    if isinstance(graph, NetworkGraph):
        if len(graph.layers) != 1:
            raise UsageError(f"{graph.source}: expected one connectome layer, got {len(graph.layers)}")
        return graph.layers[0]
    return graph


def structure_vs_rewired(graph, *, draws: int = 100, swaps_per_edge: float = 10.0,
                         rng: np.random.Generator | int | None = 0) -> tuple[StructureTest, ...]:
    """Reciprocity, transitivity and assortativity against degree-preserving rewiring.

    Each draw rewires the graph by directed double-edge swaps
    (:func:`prunegraph.nulls.rewire_layer`: every in- and out-degree kept, no self-loop
    created unless the data has some, Maslov & Sneppen, Science 296, 2002); the p-values are
    exact Monte-Carlo ranks of the observed value among the draws.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = rng.random((40, 40)) < 0.1; a = a | a.T; np.fill_diagonal(a, False)
    >>> net = from_adjacency(a.astype(float), [str(i) for i in range(40)])
    >>> rec = structure_vs_rewired(net, draws=20, rng=1)[0]
    >>> rec.statistic, rec.observed, rec.p_greater < 0.1
    ('reciprocity', 1.0, True)
    """
    from .nulls import rewire_layer

    if draws < 1:
        raise UsageError(f"draws={draws}: need at least 1 rewired graph")
    layer = _layer_of(graph)
    if not isinstance(layer, LayerGraph):
        raise UsageError("structure_vs_rewired needs a dense layer (a shipped connectome or a "
                         "LayerGraph); large sparse graphs are not supported here")
    obs = structure_stats(layer.mask.cpu().numpy())
    gen = as_generator(rng)
    null: dict[str, list[float]] = {k: [] for k in obs}
    for _ in range(draws):
        r = rewire_layer(layer, swaps_per_edge=swaps_per_edge, rng=gen)
        for k, v in structure_stats(r.mask.cpu().numpy()).items():
            null[k].append(v)
    out = []
    for k, v in obs.items():
        s = np.asarray(null[k], dtype=float)
        sd = float(s.std(ddof=1)) if s.size > 1 else math.nan
        out.append(StructureTest(
            k, float(v), float(s.mean()), sd,
            float((v - s.mean()) / sd) if sd and sd > 0 else math.nan,
            float((1 + np.sum(s >= v)) / (1 + s.size)), float((1 + np.sum(s <= v)) / (1 + s.size)),
            int(draws)))
    return tuple(out)


# =============================================================================== development
@dataclass(frozen=True)
class RandomControl:
    """The attachment exponent of uniformly placed new edges (the exact random control).

    ``draws`` times, the same number of new edges as observed is drawn uniformly without
    replacement from the positions absent in the earlier snapshot (no self-loops unless the
    data has them) and β is measured exactly as for the observed edges. ``p_value`` is the
    one-sided Monte-Carlo p of "the observed β is no larger than random":
    ``(1 + #{β_random >= β_observed}) / (1 + draws)``.
    """

    side: str
    draws: int
    mean: float
    low: float           # 2.5th percentile of the random β
    high: float          # 97.5th percentile
    p_value: float | None
    observed: float | None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class DevelopmentStep:
    """Attachment of the connections that appear between two connectome snapshots."""

    before: str
    after: str
    synapses: str
    n_common: int          # nodes compared (connectomes: neurons present at both stages)
    n_new: int
    n_removed: int
    n_absent: int          # positions a new edge could take (absent before, no self-loops)
    report: Any            # prunegraph.attachment.AttachmentReport
    control: dict          # side -> RandomControl

    def rows(self) -> list[dict[str, Any]]:
        """One row per side (in, out, internal): β, its CI, the random control and its p."""
        out = []
        for side, k in (("in", self.report.in_kernel), ("out", self.report.out_kernel),
                        ("internal", self.report.internal)):
            c = self.control[side]
            out.append({"before": self.before, "after": self.after, "side": side,
                        "neurons": self.n_common, "new_edges": self.n_new,
                        "removed_edges": self.n_removed, "beta": k.beta,
                        "ci_low": None if k.ci is None else k.ci[0],
                        "ci_high": None if k.ci is None else k.ci[1],
                        "random_beta": c.mean, "random_low": c.low, "random_high": c.high,
                        "p_vs_random": c.p_value})
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"before": self.before, "after": self.after, "synapses": self.synapses,
                "n_common": self.n_common, "n_new": self.n_new, "n_removed": self.n_removed,
                "n_absent": self.n_absent, "attachment": self.report.to_dict(),
                "random_control": {k: v.to_dict() for k, v in self.control.items()}}


def _as_connectome(x, synapses: str) -> NetworkGraph:
    if isinstance(x, NetworkGraph):
        return x
    if isinstance(x, str):
        return load_source(x) if is_source(x) else connectome(x, synapses=synapses)
    raise UsageError(f"expected a connectome name or NetworkGraph, got {type(x).__name__}")


def common_masks(before, after, *, synapses: str = "chemical"
                 ) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """The neurons present in both snapshots (sorted by name) and the two edge masks
    ``[post, pre]`` restricted to them (the orientation :mod:`prunegraph.attachment` reads)."""
    lb, la = _layer_of(_as_connectome(before, synapses)), _layer_of(_as_connectome(after, synapses))
    for lg in (lb, la):
        if not isinstance(lg, LayerGraph):
            raise UsageError(f"{lg.name}: attachment between snapshots needs dense layers (shipped "
                             "connectomes, from_adjacency); a large sparse graph is not supported here")
        if not getattr(lg, "nodes", ()):
            raise UsageError(f"{lg.name}: snapshots need node names to be matched; load them with "
                             "prunegraph.connectome.connectome or from_adjacency")
    common = tuple(sorted(set(lb.nodes) & set(la.nodes)))
    if len(common) < 2:
        raise InputError("the two snapshots share fewer than 2 neurons; compare stages of one animal")

    def sub(lg):
        pos = {n: i for i, n in enumerate(lg.nodes)}
        idx = np.array([pos[n] for n in common], dtype=np.int64)
        return lg.mask.cpu().numpy()[np.ix_(idx, idx)]

    return common, sub(lb), sub(la)


def random_control(before: np.ndarray, after: np.ndarray, *, draws: int = 500, kmin: float = 1,
                   recurrent: bool = False,
                   rng: np.random.Generator | int | None = 0) -> dict[str, RandomControl]:
    """β of ``draws`` sets of uniformly placed new edges (see :class:`RandomControl`).

    Parameters
    ----------
    before, after : bool arrays [post, pre]
        The two snapshots on the same node set.
    recurrent : bool
        The masks are one node set's directed graph (a connectome, a recurrent matrix): the
        diagonal holds self-loops and is no possible position unless a snapshot has one.
        False (default): a bipartite layer, every absent position is possible.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> b = rng.random((60, 60)) < 0.05; np.fill_diagonal(b, False)
    >>> a = b | (rng.random((60, 60)) < 0.02); np.fill_diagonal(a, False)
    >>> c = random_control(b, a, draws=50, recurrent=True, rng=0)
    >>> sorted(c), c["in"].p_value > 0.05
    (['in', 'internal', 'out'], True)
    """
    from .attachment import UniformPlacement, attachment_kernel, internal_attachment

    if draws < 1:
        raise UsageError(f"draws={draws}: need at least 1 random draw")
    b = np.asarray(before, dtype=bool)
    a = np.asarray(after, dtype=bool)
    if b.shape != a.shape:
        raise InputError(f"before {b.shape} and after {a.shape} differ; compare snapshots of one graph")
    loops = not recurrent or bool(np.diagonal(b).any() or np.diagonal(a).any())
    allowed = np.ones_like(b)
    if not loops:
        np.fill_diagonal(allowed, False)
    placement = UniformPlacement.between([b], [a], [allowed])
    obs = {"in": attachment_kernel(b, a, side="in", kmin=kmin, bootstrap=0).beta,
           "out": attachment_kernel(b, a, side="out", kmin=kmin, bootstrap=0).beta,
           "internal": internal_attachment(b, a, kmin=kmin, bootstrap=0).beta}
    gen = as_generator(rng)
    betas: dict[str, list[float | None]] = {k: [] for k in obs}
    for _ in range(draws):
        (r,) = placement.masks(gen)
        betas["in"].append(attachment_kernel(b, r, side="in", kmin=kmin, bootstrap=0).beta)
        betas["out"].append(attachment_kernel(b, r, side="out", kmin=kmin, bootstrap=0).beta)
        betas["internal"].append(internal_attachment(b, r, kmin=kmin, bootstrap=0).beta)
    out = {}
    for side, vals in betas.items():
        s = np.asarray([v for v in vals if v is not None], dtype=float)
        o = obs[side]
        if s.size == 0:
            out[side] = RandomControl(side, draws, math.nan, math.nan, math.nan, None, o)
            continue
        p = None if o is None else float((1 + np.sum(s >= o)) / (1 + s.size))
        out[side] = RandomControl(side, int(s.size), float(s.mean()), float(np.quantile(s, 0.025)),
                                  float(np.quantile(s, 0.975)), p, o)
    return out


def development_attachment(before, after, *, synapses: str = "chemical", bootstrap: int = 200,
                           draws: int = 500, kmin: float = 1, confidence: float = 0.95,
                           rng: np.random.Generator | int | None = 0) -> DevelopmentStep:
    """Attachment kernel of the connections that appear between two connectome snapshots.

    Only neurons present at both stages are compared; a new edge is one absent in ``before``
    and present in ``after``. Π(k), κ(k) and β in in-, out- and internal (k₁k₂) form with
    bootstrap CIs come from :func:`prunegraph.attachment.measure_attachment` (the measurement
    the continual-learning driver makes on each task's new connections), and the exact random
    control from :func:`random_control`.

    Parameters
    ----------
    before, after : str or NetworkGraph
        Connectome names (``"witvliet2021-1"``), ``connectome:`` sources, or graphs from
        :func:`connectome` / :func:`from_adjacency`.
    synapses : str
        Synapse type when names are given.
    bootstrap : int
        Bootstrap replicates for the CI of β (internal: half as many).
    draws : int
        Random-control draws.

    Returns
    -------
    DevelopmentStep
    """
    common, b, a = common_masks(before, after, synapses=synapses)
    def name(x) -> str:
        return (x if isinstance(x, str) else x.source).removeprefix(PREFIX)

    return snapshot_attachment(b, a, before_label=name(before), after_label=name(after), synapses=synapses,
                               recurrent=True, bootstrap=bootstrap, draws=draws, kmin=kmin,
                               confidence=confidence, rng=rng)


def snapshot_attachment(before: np.ndarray, after: np.ndarray, *, before_label: str = "before",
                        after_label: str = "after", recurrent: bool = False, bootstrap: int = 200,
                        draws: int = 500, kmin: float = 1, confidence: float = 0.95,
                        rng: np.random.Generator | int | None = 0, synapses: str = ""
                        ) -> DevelopmentStep:
    """The measurement of :func:`development_attachment` on two masks ``[post, pre]`` of one
    node set: in-, out- and internal kernels with bootstrap CIs and the exact random control.

    Use it for any pair of snapshots so that they are read identically: two connectome
    stages (``recurrent=True``) or a pruned layer before and after a continual-learning task
    (``recurrent=False``: bipartite, every absent position is possible).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> b = rng.random((30, 40)) < 0.1; a = b | (rng.random((30, 40)) < 0.05)
    >>> step = snapshot_attachment(b, a, bootstrap=0, draws=20, rng=0)
    >>> step.n_new == int((a & ~b).sum()), [r["side"] for r in step.rows()]
    (True, ['in', 'out', 'internal'])
    """
    from .attachment import measure_attachment

    b = np.asarray(before) != 0
    a = np.asarray(after) != 0
    gen = as_generator(rng)
    rep = measure_attachment(b, a, kmin=kmin, bootstrap=bootstrap, confidence=confidence, rng=gen)
    ctrl = random_control(b, a, draws=draws, kmin=kmin, recurrent=recurrent, rng=gen)
    loops = not recurrent or bool(np.diagonal(b).any() or np.diagonal(a).any())
    absent = int((~b).sum()) - (0 if loops else int((~np.diagonal(b)).sum()))
    n_nodes = b.shape[0] if recurrent else b.shape[0] + b.shape[1]
    return DevelopmentStep(str(before_label), str(after_label), synapses, int(n_nodes),
                           int((a & ~b).sum()), int((b & ~a).sum()), absent, rep, ctrl)


def witvliet_development(*, synapses: str = "chemical", bootstrap: int = 200, draws: int = 500,
                         kmin: float = 1, stages: Sequence[str] = WITVLIET_SERIES,
                         rng: np.random.Generator | int | None = 0) -> tuple[DevelopmentStep, ...]:
    """:func:`development_attachment` for every consecutive pair of stages and first -> last.

    Each pair gets its own seed (derived from ``rng`` and its position), so one pair's
    result does not depend on which others were run.
    """
    if len(stages) < 2:
        raise UsageError("need at least two stages")
    pairs = list(zip(stages[:-1], stages[1:]))
    if len(stages) > 2:
        pairs.append((stages[0], stages[-1]))
    graphs = {s: connectome(s, synapses=synapses) for s in stages}
    return tuple(development_attachment(graphs[x], graphs[y], synapses=synapses,
                                        bootstrap=bootstrap, draws=draws, kmin=kmin,
                                        rng=child(rng, i))  # i-th SeedSequence(rng).spawn
                 for i, (x, y) in enumerate(pairs))


# =============================================================================== comparison
def normalized_ccdf(values) -> tuple[np.ndarray, np.ndarray]:
    """``(k / <k>, P(K >= k))`` over the alive (k > 0) units: degree CCDFs of networks of any
    size on one axis.

    Examples
    --------
    >>> x, y = normalized_ccdf([0, 1, 1, 2]); x.tolist(), y.tolist()
    ([0.75, 1.5], [1.0, 0.3333333333333333])
    """
    v = np.asarray(values, dtype=float)
    v = v[v > 0]
    if v.size == 0:
        return np.array([]), np.array([])
    k, counts = np.unique(v, return_counts=True)
    ccdf = counts[::-1].cumsum()[::-1] / v.size
    return k / v.mean(), ccdf


@renamed_kwargs(kinds="degree_kinds")
def side_by_side(analyses: Sequence[Any], *, degree_kinds: Sequence[str] | None = None,
                 layers: str = "network") -> list[dict[str, Any]]:
    """One comparison row per (network, degree kind) from :func:`prunegraph.analysis.analyze`
    results: size, mean degree, largest degree over the mean, fitted α (``hit_bound`` True when
    it is the fit's search bound, not a measured exponent) and its tail, the
    verdict (and its class without numbers, :func:`prunegraph.analysis.verdict_class`), the
    null's verdict and the heavier-than-null p-value (and its Benjamini–Hochberg ``heavier_q``
    over the model's sequences, the one the heavier decision uses).

    Parameters
    ----------
    analyses : sequence of ModelAnalysis
    degree_kinds : sequence of str, optional
        Degree kinds to keep (default all; ``kinds=`` is its deprecated 0.1 name).
    layers : {"network", "layer", "all"}
        Keep whole-network rows (default; a connectome's only layer is its network), per-layer
        rows, or both.
    """
    from .analysis import verdict_class

    rows = []
    for res in analyses:
        for r in res.results:
            is_net = r.layer == "network"
            if layers == "network" and not is_net or layers == "layer" and is_net:
                continue
            if degree_kinds is not None and r.degree_kind not in degree_kinds:
                continue
            row = r.fit_row()
            v = np.asarray(r.degrees, dtype=float)
            alive = v[v > 0]
            mean = float(alive.mean()) if alive.size else math.nan
            rows.append({
                "network": res.source, "layer": r.layer, "kind": r.degree_kind,
                "nodes": r.nodes, "edges": r.edges, "density": r.density,
                "mean_degree": mean, "max_over_mean": float(alive.max() / mean) if alive.size else math.nan,
                "alpha": row.alpha, "xmin": row.xmin, "n_tail": row.n_tail,
                "span": row.span,
                "verdict": str(row.verdict), "verdict_code": row.verdict_code,
                "verdict_class": verdict_class(row.verdict_code),
                "null_verdict": None if row.null_verdict is None
                else str(row.null_verdict),
                "heavier_p": row.heavier_p, "heavier_q": row.heavier_q, "var_ratio": row.var_ratio,
                "hit_bound": row.hit_bound})
    return rows
