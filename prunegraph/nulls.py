"""Null models that every degree analysis is read against.

Two nulls, both seeded and exact:

* :func:`random_layer_like` / :func:`random_network_like` — random pruning at identical
  density. Each layer keeps exactly its number of (unit-level) edges, placed uniformly at
  random among the ``out_units × in_units`` possible positions (the bipartite Erdős–Rényi
  ensemble G(n, m)). For a Linear layer this *is* random magnitude-free pruning at the same
  density, so the in-degree of an output unit follows the hypergeometric law
  ``HG(N=in·out, K=m, n=in)`` ≈ ``Binomial(in_units, density)``: no heavy tail. The surviving
  edge weights are kept and shuffled over the new positions, so strengths stay comparable.
  (For convolutions the null acts on channel-level edges; to prune raw kernel entries at
  random use :func:`prunegraph.training.prune.random_prune_like` on the model.)
* :func:`rewire_layer` — degree-preserving rewiring by double-edge swaps
  (Maslov & Sneppen, Science 296, 2002): every unit keeps its in- and out-degree while the
  wiring between them is randomised. It separates "the degree sequence is heavy-tailed" from
  "who connects to whom".

A layer that maps an activation space onto itself (``in_space == out_space``, same offsets
and size: a recurrent matrix, a connectome) is a directed graph on one node set; there both
nulls place no self-loop ``i -> i`` unless the observed layer has one (directed G(n, m) over
the ``n (n - 1)`` off-diagonal positions; swaps that would create a loop are rejected).
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import torch

from ._rng import as_generator, child
from .degrees import LayerInfo
from .errors import UsageError

log = logging.getLogger(__name__)

__all__ = ["EdgeMultiset", "edge_multiset", "has_self_loops", "self_mapping", "random_layer_like",
           "random_layer_degrees", "random_network_like", "rewire_layer"]


def _with_edges(layer, flat_idx: np.ndarray, weights: torch.Tensor, mult: torch.Tensor):
    shape = tuple(layer.weight.shape)
    w = torch.zeros(shape[0] * shape[1], dtype=layer.weight.dtype)
    m = torch.zeros(shape[0] * shape[1], dtype=layer.multiplicity.dtype)
    idx = torch.from_numpy(flat_idx.astype(np.int64))
    w[idx] = weights
    m[idx] = mult
    device = layer.weight.device  # built on the CPU (numpy indices), returned where the layer lives
    return dataclasses.replace(layer, weight=w.view(shape).to(device),
                               multiplicity=m.view(shape).to(device))


@dataclasses.dataclass(frozen=True)
class EdgeMultiset(LayerInfo):
    """What a random-pruning null of a layer needs, without the layer's dense matrices: its
    shape and names, and its edge weights and multiplicities in row-major order."""

    weights: torch.Tensor | None = None       # 1-D, the nonzero unit-level weights, row-major
    multiplicity: torch.Tensor | None = None  # 1-D, matching multiplicities
    loops: bool = True                 # False: a self-mapping layer without self-loops (no i -> i in nulls)
    count: int | None = None           # edges, when only counted (``weights`` None: a degrees-only null)

    @property
    def n_edges(self) -> int:
        return int(self.weights.numel()) if self.weights is not None else int(self.count or 0)


def self_mapping(layer) -> bool:
    """True when ``layer`` maps one activation space onto itself (a directed graph on one
    node set: recurrent ``W_hh``, a connectome), so ``i -> i`` is a self-loop."""
    return (layer.in_space == layer.out_space and layer.in_offset == layer.out_offset
            and layer.in_units == layer.out_units)


def has_self_loops(layer) -> bool:
    """Whether a layer may hold self-loops in its nulls: any non-self-mapping layer (its
    diagonal is not a loop), or a self-mapping one with a nonzero diagonal entry."""
    if not self_mapping(layer):
        return True
    if isinstance(layer, EdgeMultiset):
        return layer.loops
    return bool(torch.diagonal(layer.multiplicity).ne(0).any())


def edge_multiset(layer, *, block_bytes: int = 32 << 20) -> EdgeMultiset:
    """Collect a layer's nonzero weights row block by row block (temporaries stay one block),
    so the caller can drop the layer before drawing its null."""
    if isinstance(layer, EdgeMultiset):
        return layer
    if getattr(layer, "weight", None) is None:  # a CountedLayer: its edges if read, else their count
        loops = not self_mapping(layer) or layer.loops
        if getattr(layer, "edge_weights", None) is not None:
            return EdgeMultiset(**LayerInfo.fields_of(layer), weights=layer.edge_weights,
                                multiplicity=layer.edge_multiplicity, loops=loops)
        return EdgeMultiset(**LayerInfo.fields_of(layer), loops=loops, count=int(layer.n_edges))
    weight = layer.weight.detach()
    mult = layer.multiplicity.detach()
    n_out, n_in = int(weight.shape[0]), int(weight.shape[1])
    rows = max(1, block_bytes // max(1, 4 * n_in))
    ws, ms = [], []
    for start in range(0, n_out, rows):
        blk = weight[start:start + rows]
        keep = blk != 0
        ws.append(blk[keep].cpu())
        ms.append(mult[start:start + rows][keep].cpu())
    w = torch.cat(ws) if ws else torch.empty(0, dtype=weight.dtype)
    m = torch.cat(ms) if ms else torch.empty(0, dtype=mult.dtype)
    return EdgeMultiset(**LayerInfo.fields_of(layer), weights=w, multiplicity=m,
                        loops=has_self_loops(layer))


def random_layer_like(layer, *, rng: np.random.Generator | int | None = None):
    """Return a copy of ``layer`` with its edges placed uniformly at random.

    The number of edges, the multiset of edge weights and multiplicities, the layer's
    name and spaces are kept; only the positions are drawn (without replacement) from all
    ``out_units × in_units`` slots.

    Parameters
    ----------
    layer : LayerGraph
        The observed layer.
    rng : Generator, int or None
        Randomness; the same seed gives the same null.

    Returns
    -------
    LayerGraph

    Examples
    --------
    >>> import torch
    >>> from prunegraph.graph import LayerGraph
    >>> w = torch.tensor([[1., 0., 2.], [0., 0., 3.]])
    >>> lg = LayerGraph(name="fc", layer_type="linear", weight=w, multiplicity=(w != 0).int(),
    ...                 in_space="input", out_space="fc")
    >>> null = random_layer_like(lg, rng=0)
    >>> int(null.n_edges), sorted(null.weight[null.weight > 0].tolist())
    (3, [1.0, 2.0, 3.0])
    """
    slots, weights, mult = _null_edges(edge_multiset(layer), rng)
    return _with_edges(layer, slots, weights, mult)


def random_layer_degrees(layer, *, rng: np.random.Generator | int | None = None):
    """Degrees of :func:`random_layer_like`'s null without building its matrices.

    Same seed, same null: the result equals ``LayerDegrees.from_layer(random_layer_like(layer,
    rng=rng))``, at O(edges) memory instead of two dense ``out × in`` matrices. ``layer`` may be
    a LayerGraph or its :func:`edge_multiset` (so the layer itself can be freed first).

    Returns
    -------
    prunegraph.degrees.LayerDegrees

    Examples
    --------
    >>> import torch
    >>> from prunegraph.graph import LayerGraph
    >>> w = (torch.rand(30, 40, generator=torch.Generator().manual_seed(0)) < 0.1).float()
    >>> lg = LayerGraph.from_matrix("fc", w, in_space="a", out_space="fc")
    >>> d = random_layer_degrees(lg, rng=1)
    >>> bool((d.in_degree == random_layer_like(lg, rng=1).in_degree).all())
    True
    """
    from .degrees import LayerDegrees

    ms = edge_multiset(layer)
    if ms.weights is None:  # counted layer: the same draw, degrees accumulated row by row
        k_in, k_out = _random_degrees(ms.out_units, ms.in_units, ms.n_edges,
                                      as_generator(rng), loops=ms.loops)
        return LayerDegrees(**LayerInfo.fields_of(ms), n_edges=ms.n_edges, in_degree=k_in, out_degree=k_out)
    n_out, n_in, m = ms.out_units, ms.in_units, ms.n_edges
    gen = as_generator(rng)
    drawn = _random_rows_cols(n_out, n_in, m, gen, loops=ms.loops)
    if drawn is None:  # the flat draw of a huge matrix: as random_layer_like
        slots = _random_slots(n_out, n_in, m, gen, loops=ms.loops)
        counts, cols = np.bincount(slots // n_in, minlength=n_out).astype(np.int64), slots % n_in
    else:
        counts, cols = drawn
    # the same permutation random_layer_like draws after the slots; the slots' rows come from the
    # row counts, so only the columns (int32) and the permutation are held, and the weights are
    # summed chunk by chunk (12 bytes per edge instead of ~50)
    order = gen.permutation(m)
    rows_end = np.cumsum(counts)
    in_s, out_s = np.zeros(n_out), np.zeros(n_in)
    step = 1 << 22
    for p0 in range(0, m, step):
        p1 = min(m, p0 + step)
        rows = np.searchsorted(rows_end, np.arange(p0, p1), side="right")
        w = ms.weights[torch.from_numpy(order[p0:p1])].double().numpy()
        in_s += np.bincount(rows, weights=w, minlength=n_out)
        out_s += np.bincount(cols[p0:p1], weights=w, minlength=n_in)
    return LayerDegrees(
        **LayerInfo.fields_of(ms), n_edges=m, in_degree=counts.astype(np.int64),
        out_degree=np.bincount(cols, minlength=n_in).astype(np.int64), in_strength=in_s, out_strength=out_s)


def _null_edges(ms: EdgeMultiset, rng) -> tuple[np.ndarray, torch.Tensor, torch.Tensor]:
    """The null's edges: flat slots (row-major), and the observed weights and multiplicities
    shuffled over them. Memory O(edges): row counts are drawn from the multivariate
    hypergeometric law of G(n, m) (m slots among rows of ``in_units`` each), then each row's
    columns without replacement."""
    if ms.weights is None or ms.multiplicity is None:  # pragma: no cover - callers pass counted layers elsewhere
        raise UsageError(f"layer {ms.name}: a null of its edges needs its weights; it was only counted")
    gen = as_generator(rng)  # a Generator passes through unchanged
    m = int(ms.weights.numel())
    slots = _random_slots(ms.out_units, ms.in_units, m, gen, loops=ms.loops)
    order = torch.from_numpy(gen.permutation(m).astype(np.int64))
    return slots, ms.weights[order], ms.multiplicity[order]


def _random_degrees(n_out: int, n_in: int, m: int, gen: np.random.Generator, *,
                    loops: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Row and column counts of :func:`_random_slots`'s draw (same generator calls, same
    result) in O(n_out + n_in) memory: the m slots themselves are never held at once.

    Examples
    --------
    >>> k_in, k_out = _random_degrees(3, 4, 5, np.random.default_rng(0))
    >>> s = _random_slots(3, 4, 5, np.random.default_rng(0))
    >>> (k_in.tolist() == np.bincount(s // 4, minlength=3).tolist(),
    ...  k_out.tolist() == np.bincount(s % 4, minlength=4).tolist())
    (True, True)
    """
    skip = not loops and n_out == n_in
    per_row = n_in - 1 if skip else n_in
    if m == 0 or n_out * per_row >= 10**9:  # empty, or the flat draw (holds m slots anyway)
        slots = _random_slots(n_out, n_in, m, gen, loops=loops)
        return (np.bincount(slots // max(1, n_in), minlength=n_out).astype(np.int64),
                np.bincount(slots % max(1, n_in), minlength=n_in).astype(np.int64))
    if m > n_out * per_row:
        raise UsageError(f"cannot place {m} edges in {n_out * per_row} free positions")
    counts = gen.multivariate_hypergeometric(np.full(n_out, per_row, dtype=np.int64), m,
                                             method="marginals")
    k_out = np.zeros(n_in, dtype=np.int64)
    for j in np.flatnonzero(counts):
        cols = gen.choice(per_row, size=int(counts[j]), replace=False)
        if skip:
            cols[cols >= j] += 1
        k_out[cols] += 1  # distinct columns within a row
    return counts.astype(np.int64), k_out


def _random_slots(n_out: int, n_in: int, m: int, gen: np.random.Generator, *,
                  loops: bool = True) -> np.ndarray:
    """m distinct slots of an ``n_out × n_in`` matrix, uniformly (G(n, m)), sorted row-major.
    ``loops=False`` (square matrices): the diagonal is never drawn (directed G(n, m))."""
    if m == 0:
        return np.empty(0, dtype=np.int64)
    skip = not loops and n_out == n_in
    per_row = n_in - 1 if skip else n_in
    if m > n_out * per_row:
        raise UsageError(f"cannot place {m} edges in {n_out * per_row} free positions")
    total = n_out * per_row
    if total >= 10**9:  # beyond numpy's "marginals" limit (a fly-sized graph): draw flat slots
        flat = np.sort(gen.choice(total, size=m, replace=False).astype(np.int64))
        if not skip:
            return flat
        rows, cols = flat // per_row, flat % per_row
        cols[cols >= rows] += 1
        return rows * n_in + cols
    counts, cols = _random_rows_cols(n_out, n_in, m, gen, loops=loops)
    out = np.repeat(np.arange(n_out, dtype=np.int64) * n_in, counts)
    out += cols
    return out


def _random_rows_cols(n_out: int, n_in: int, m: int, gen: np.random.Generator, *,
                      loops: bool = True) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`_random_slots`'s draw as (edges per row, int32 columns in row-major slot order):
    the same generator calls; None where it draws flat slots (a matrix of >= 1e9 entries)."""
    skip = not loops and n_out == n_in
    per_row = n_in - 1 if skip else n_in
    if m > n_out * per_row:
        raise UsageError(f"cannot place {m} edges in {n_out * per_row} free positions")
    if n_out * per_row >= 10**9:
        return None
    if m == 0:
        return np.zeros(n_out, dtype=np.int64), np.empty(0, dtype=np.int32)
    counts = gen.multivariate_hypergeometric(np.full(n_out, per_row, dtype=np.int64), m,
                                             method="marginals")
    out = np.empty(m, dtype=np.int32 if n_in < 2**31 else np.int64)
    pos = 0
    for j in np.flatnonzero(counts):
        k = int(counts[j])
        cols = gen.choice(per_row, size=k, replace=False)
        if skip:
            cols[cols >= j] += 1  # off-diagonal column index: uniform over the n - 1 others
        cols.sort()
        out[pos:pos + k] = cols
        pos += k
    return counts, out


def random_network_like(net, *, rng: np.random.Generator | int | None = None):
    """Apply :func:`random_layer_like` to every layer of a :class:`NetworkGraph`.

    Each layer gets its own child seed (``SeedSequence.spawn``), so the null of one layer
    does not depend on how many layers come before it in another model.
    """
    gen = as_generator(rng)  # a Generator passes through unchanged
    root = int(gen.integers(2**63))  # one draw: the root of the children
    layers = tuple(random_layer_like(layer, rng=child(root, i)) for i, layer in enumerate(net.layers))
    notes = tuple(net.notes) + ("random-pruning null: edges of every layer placed uniformly at "
                                "random at identical density",)
    return dataclasses.replace(net, layers=layers, notes=notes)


def rewire_layer(layer, *, swaps_per_edge: float = 10.0,
                 rng: np.random.Generator | int | None = None):
    """Degree-preserving randomisation of a bipartite layer by double-edge swaps.

    Each accepted swap replaces edges ``(j, i), (l, k)`` by ``(j, k), (l, i)`` when neither new
    edge exists yet, so every in- and out-degree is unchanged (Maslov & Sneppen 2002).
    Swaps are proposed in vectorised batches of disjoint edge pairs; a proposal that would
    create a duplicate edge is rejected. Edge weights travel with their output end. On a
    self-mapping layer without self-loops (see the module notes) a swap that would create one
    is rejected too. (Directed double swaps cannot reverse a directed 3-cycle; networkx's
    ``directed_edge_swap`` uses triple swaps for that. The test suite compares the two ensembles.)

    Parameters
    ----------
    layer : LayerGraph
    swaps_per_edge : float
        Number of proposed swaps per edge (10 mixes well in practice).
    rng : Generator, int or None

    Returns
    -------
    LayerGraph
        Same degrees, randomised wiring.

    Examples
    --------
    >>> import torch
    >>> from prunegraph.graph import LayerGraph
    >>> w = (torch.rand(20, 30, generator=torch.Generator().manual_seed(0)) < 0.2).float()
    >>> lg = LayerGraph(name="fc", layer_type="linear", weight=w, multiplicity=w.int(),
    ...                 in_space="a", out_space="b")
    >>> r = rewire_layer(lg, rng=0)
    >>> bool((r.in_degree == lg.in_degree).all() and (r.out_degree == lg.out_degree).all())
    True
    """
    if swaps_per_edge < 0:
        raise UsageError(f"swaps_per_edge must be >= 0, got {swaps_per_edge}; use e.g. 10")
    gen = as_generator(rng)  # a Generator passes through unchanged
    weight = layer.weight.detach().cpu()
    n_out, n_in = weight.shape
    rows, cols = (t.numpy().astype(np.int64) for t in torch.nonzero(weight, as_tuple=True))
    w_vals = weight[rows, cols]
    m_vals = layer.multiplicity.detach().cpu()[rows, cols]
    m = rows.size
    if m < 2:
        return layer
    target = int(swaps_per_edge * m)
    no_loops = not has_self_loops(layer)
    done = proposed = 0
    keys = np.sort(rows * n_in + cols)
    while proposed < target:
        half = min(m // 2, max(1, target - proposed))
        perm = gen.permutation(m)[: 2 * half]
        a, b = perm[:half], perm[half:2 * half]
        proposed += half
        new_a = rows[a] * n_in + cols[b]
        new_b = rows[b] * n_in + cols[a]
        ok = (cols[a] != cols[b]) & (rows[a] != rows[b])
        if no_loops:  # a directed graph without self-loops keeps none
            ok &= (rows[a] != cols[b]) & (rows[b] != cols[a])
        ok &= ~_isin_sorted(new_a, keys) & ~_isin_sorted(new_b, keys)
        # two proposals of one batch must not create the same new edge
        cand = np.concatenate([new_a[ok], new_b[ok]])
        uniq, counts = np.unique(cand, return_counts=True)
        dup = uniq[counts > 1]
        if dup.size:
            ok[ok] &= ~(np.isin(new_a[ok], dup) | np.isin(new_b[ok], dup))
        a, b = a[ok], b[ok]
        cols[a], cols[b] = cols[b].copy(), cols[a].copy()
        keys = np.sort(rows * n_in + cols)
        done += int(ok.sum())
    log.debug("rewire %s: %d of %d proposed swaps accepted", layer.name, done, proposed)
    flat = rows * n_in + cols
    return _with_edges(layer, flat, w_vals, m_vals)


def _isin_sorted(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    pos = np.searchsorted(sorted_keys, values)
    pos = np.minimum(pos, sorted_keys.size - 1)
    return sorted_keys[pos] == values
