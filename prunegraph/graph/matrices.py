"""Unit-level matrices of one layer: the ``(weight, multiplicity)`` pair of Linear, Conv,
ConvTranspose, RNN/LSTM/GRU and Embedding weights, built at once from a tensor or block by block
from a :class:`LazyWeight` (at most :data:`CHUNK_BYTES` of raw weight held at a time)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .._compat import renamed_kwargs
from ..errors import InputError, UsageError


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


def linear_matrices(w: torch.Tensor, *, fold: int = 1, columns: torch.Tensor | None = None
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit-level ``(weight, multiplicity)`` of a Linear weight ``[out, in]``.

    With ``fold = S > 1`` the inputs are ``C`` channels of ``S`` positions each (a flattened
    conv output, ``in = C*S``, channel-major) and fold onto ``C`` channel nodes: weight = L1
    sum, multiplicity = nonzero count.  ``columns`` (int64 ``[in]``) gives any other fold: input
    column ``i`` belongs to unit ``columns[i]`` (e.g. ``i % C`` after ``permute(0, 3, 2, 1)``,
    or a query head's value unit under grouped-query attention).

    Examples
    --------
    >>> import torch
    >>> w = torch.tensor([[1., 0., 2., 0.]])
    >>> linear_matrices(w, columns=torch.tensor([0, 1, 0, 1]))[1].tolist()
    [[2, 0]]
    """
    w = w.detach()
    if columns is not None:
        n = int(columns.max()) + 1 if columns.numel() else 0
        idx = columns.to(w.device)
        a = torch.zeros(w.shape[0], n, dtype=torch.float32, device=w.device)
        m = torch.zeros(w.shape[0], n, dtype=torch.int32, device=w.device)
        a.index_add_(1, idx, w.abs().float())
        m.index_add_(1, idx, (w != 0).to(torch.int32))
        return a, m
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


def _slice(w, *, rows: tuple[int, int] | None = None, cols: tuple[int, int] | None = None):
    """Rows ``r0:r1`` and/or columns ``c0:c1`` of a tensor or a :class:`LazyWeight` (stays lazy)."""
    if not isinstance(w, LazyWeight):
        out = w if rows is None else w[rows[0]:rows[1]]
        return out if cols is None else out[:, cols[0]:cols[1]]
    r0, r1 = rows if rows is not None else (0, int(w.shape[0]))
    c0, c1 = cols if cols is not None else (0, int(w.shape[1]))
    shape = (r1 - r0, c1 - c0, *w.shape[2:])

    def read(a, b, w=w, r0=r0, c0=c0, c1=c1):
        block = w.rows(r0 + a, r0 + b)
        return block if (c0, c1) == (0, int(w.shape[1])) else block[:, c0:c1]

    return LazyWeight(w.name, shape, w.dtype, read)


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


def _unit_shape(w: LazyWeight, layer_type: str, *, fold: int = 1, groups: int = 1,
                columns: torch.Tensor | None = None) -> tuple[int, int]:
    """``(out_units, in_units)`` of the unit-level matrix a raw weight of ``layer_type`` gives."""
    n0 = int(w.shape[0])
    if layer_type == "linear":
        return (n0, int(columns.max()) + 1 if columns is not None else int(w.shape[1]) // fold)
    if layer_type == "conv":
        return (n0, int(w.shape[1]) * groups)
    if layer_type == "conv_transpose":
        return (int(w.shape[1]) * groups, n0)
    if layer_type in ("embedding", "linear_t"):
        return (int(w.shape[1]), n0)
    raise UsageError(f"_lazy_matrices: unsupported layer type {layer_type!r}")  # pragma: no cover - callers guard


def _lazy_matrices(w: LazyWeight, layer_type: str, *, fold: int = 1, groups: int = 1, source: str = "",
                   columns: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit-level ``(weight, multiplicity)`` of a layer built block by block from ``w``.

    The same matrices as :func:`linear_matrices` / :func:`conv_matrices` /
    :func:`embedding_matrices`; only :data:`CHUNK_BYTES` of raw weight are held at a time.
    """
    _check_dtype(w, w.name, source)
    n0 = int(w.shape[0])
    per_row = max(1, math.prod(w.shape[1:])) * max(1, w.dtype.itemsize)
    step = max(1, CHUNK_BYTES // per_row)
    shape = _unit_shape(w, layer_type, fold=fold, groups=groups, columns=columns)
    weight = torch.empty(shape, dtype=torch.float32)
    mult = torch.empty(shape, dtype=torch.int32)
    # transposed layouts: the raw rows are the unit matrix's columns
    tw, tm = (weight.t(), mult.t()) if layer_type in ("conv_transpose", "embedding", "linear_t") else (weight, mult)
    for r0 in range(0, n0, step):
        r1 = min(n0, r0 + step)
        block = w.rows(r0, r1)
        _finite(block, w.name.removesuffix(".weight"), source)
        if layer_type == "linear" and fold == 1 and columns is None:  # fast path: straight into the destination rows
            block = block.detach()
            if block.dtype == torch.float32:
                torch.abs(block, out=weight[r0:r1])
            else:
                weight[r0:r1].copy_(block.abs())
            mult[r0:r1].copy_(block != 0)
            del block
            continue
        if layer_type == "linear":
            a, m = linear_matrices(block, fold=fold, columns=columns)
        elif layer_type in ("embedding", "linear_t"):
            a, m = block.detach().abs().float(), (block != 0).to(torch.int32)
        else:
            flat = block.detach().reshape(block.shape[0], block.shape[1], -1)
            a = flat.abs().sum(-1, dtype=torch.float32)
            m = (flat != 0).sum(-1, dtype=torch.int32)
        g = groups if layer_type in ("conv", "conv_transpose") else 1
        _place(tw, a, r0, g, n0)
        _place(tm, m, r0, g, n0)
        del block, a, m
    return weight, mult


#: bytes of raw weight read per block when only counting nonzeros (:func:`_lazy_counts`)
COUNT_BYTES = 8 << 20

#: group widths M tried for N:M semi-structured sparsity (see ``LayerGraph.regular_structure``)
NM_WIDTHS = (2, 4, 8)


@dataclass(frozen=True)
class LayerCounts:
    """A layer's unit-level nonzero counts, read block by block (:func:`_lazy_counts`).

    ``in_degree`` [out_units] and ``out_degree`` [in_units] are int64 row and column counts of
    the unit matrix; ``diagonal``: some unit-level diagonal entry is nonzero (square layouts);
    ``nm``: for each group width M, the histogram (length M + 1) of nonzeros per group of M
    consecutive inputs of every output (only when asked for and ``in_units`` allows it).
    """

    in_degree: np.ndarray
    out_degree: np.ndarray
    diagonal: bool
    nm: dict
    raw_nonzero: int = 0   # nonzero raw weight entries (each folds into one unit-level edge)

    @property
    def n_edges(self) -> int:
        return int(self.in_degree.sum())


@renamed_kwargs(kind="layer_type")
def regular_from_counts(n_edges: int, out_units: int, in_units: int, *, binary: bool, layer_type: str,
                        nm: dict) -> str | None:
    """``LayerGraph.regular_structure`` from counts alone: near-dense (density >= 0.99), or N:M
    semi-structured (every group of M inputs keeps at most N <= M/2, and >= 90 % keep exactly N).

    Examples
    --------
    >>> import numpy as np
    >>> regular_from_counts(8, 2, 8, binary=True, layer_type="linear", nm={4: np.array([0, 0, 4, 0, 0])})
    'N:M semi-structured (2:4)'
    """
    n = in_units * out_units
    if n == 0:
        return None
    dens = n_edges / n
    if dens >= 0.99:
        return f"near-dense (density {dens:.3f})"
    if not binary or layer_type != "linear":
        return None
    for mm in NM_WIDTHS:
        hist = nm.get(mm)
        if hist is None:
            continue
        hist = np.asarray(hist)
        nn_ = int(np.flatnonzero(hist).max()) if hist.any() else 0
        if 0 < nn_ <= mm // 2 and hist[nn_] / hist.sum() >= 0.9:
            return f"N:M semi-structured ({nn_}:{mm})"
    return None


def _lazy_counts(w: LazyWeight, layer_type: str, *, fold: int = 1, groups: int = 1, source: str = "",
                 columns: torch.Tensor | None = None, nm: bool = False,
                 block_bytes: int | None = None) -> LayerCounts:
    """Unit-level degrees of a layer read block by block, never building its matrices.

    The counts equal those of the ``multiplicity`` that :func:`_lazy_matrices` builds (a unit
    edge exists iff some raw entry folded into it is nonzero), but only one block of raw rows
    (:data:`COUNT_BYTES`), its boolean mask and the two count vectors are alive at a time:
    row counts by ``torch.count_nonzero`` over the block, column counts summed block by block.
    """
    _check_dtype(w, w.name, source)
    n0 = int(w.shape[0])
    n_out, n_in = _unit_shape(w, layer_type, fold=fold, groups=groups, columns=columns)
    transposed = layer_type in ("conv_transpose", "embedding", "linear_t")
    k_in = torch.zeros(n_out, dtype=torch.int64)
    k_out = torch.zeros(n_in, dtype=torch.int64)
    # raw rows are the unit matrix's rows, or (transposed layouts) its columns
    row_cnt, col_cnt = (k_out, k_in) if transposed else (k_in, k_out)
    per_row = max(1, math.prod(w.shape[1:])) * max(1, w.dtype.itemsize)
    step = max(8, (block_bytes or COUNT_BYTES) // per_row // 8 * 8)  # whole N:M groups of rows
    grouped = groups if layer_type in ("conv", "conv_transpose") else 1
    rpg = n0 // grouped
    widths = [mm for mm in NM_WIDTHS if n_in % mm == 0 and n_in >= 2 * mm] if nm else []
    hists = {mm: torch.zeros(mm + 1, dtype=torch.int64) for mm in widths}
    diagonal = False
    raw = 0
    square = n_out == n_in
    plain = layer_type in ("embedding", "linear_t") or (layer_type == "linear" and fold == 1 and columns is None)
    for r0 in range(0, n0, step):
        r1 = min(n0, r0 + step)
        block = w.rows(r0, r1)
        _finite(block, w.name.removesuffix(".weight"), source)
        block = block.detach()
        if plain:
            m = block != 0
        elif layer_type == "linear":
            m = linear_matrices(block, fold=fold, columns=columns)[1] != 0
        else:
            m = (block.reshape(block.shape[0], block.shape[1], -1) != 0).any(-1)
        if not plain:  # folded: several raw entries per unit edge
            raw += int(torch.count_nonzero(block))
        del block
        row_cnt[r0:r1] = torch.count_nonzero(m, dim=1)
        rows_g = torch.arange(r0, r1) // rpg  # each raw row's group (conv): its column block
        if grouped == 1:
            col_cnt += torch.count_nonzero(m, dim=0)
        else:
            cpg = m.shape[1]
            for g in torch.unique(rows_g).tolist():
                col_cnt[g * cpg:(g + 1) * cpg] += torch.count_nonzero(m[rows_g == g], dim=0)
        if square and not diagonal:  # unit (R, off(R) + c) or its transpose: diagonal iff c = R - off(R)
            c = torch.arange(r0, r1) - rows_g * m.shape[1] * (grouped > 1)
            ok = (c >= 0) & (c < m.shape[1])
            diagonal = bool(m[torch.arange(r1 - r0)[ok], c[ok]].any())
        for mm in widths:  # groups of mm consecutive unit inputs: along columns, or raw rows if transposed
            g = (m.reshape(m.shape[0], -1, mm).sum(-1, dtype=torch.uint8) if not transposed
                 else m.reshape(-1, mm, m.shape[1]).sum(1, dtype=torch.uint8))
            hists[mm] += torch.bincount(g.flatten(), minlength=mm + 1)[: mm + 1]
        del m
    return LayerCounts(k_in.numpy(), k_out.numpy(), diagonal, {mm: h.numpy() for mm, h in hists.items()},
                       int(k_in.sum()) if plain else raw)


def _block_units(block: torch.Tensor, layer_type: str, *, fold: int = 1,
                 columns: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit-level ``(|w| in float32, multiplicity in int32)`` of a block of raw rows, as
    :func:`_lazy_matrices` computes them, before group placement or transposition:
    ``[rows, unit columns of a row]``."""
    block = block.detach()
    if layer_type == "linear" and (fold != 1 or columns is not None):
        return linear_matrices(block, fold=fold, columns=columns)
    if layer_type in ("linear", "embedding", "linear_t"):
        return block.abs().float(), (block != 0).to(torch.int32)
    flat = block.reshape(block.shape[0], block.shape[1], -1)
    return flat.abs().sum(-1, dtype=torch.float32), (flat != 0).sum(-1, dtype=torch.int32)


#: bytes of raw weight read per block when summing strengths (:func:`_lazy_strengths`): its float32,
#: float64 and per-edge temporaries are ~20 x the raw block, so blocks are smaller than for counting
STRENGTH_BYTES = 2 << 20


@dataclass(frozen=True)
class LayerStrengths:
    """A layer's unit strengths read block by block (:func:`_lazy_strengths`): float64 sums of
    ``|W|`` per output unit (``in_strength``) and per input unit (``out_strength``), and, when
    asked for, its edges' unit-level weights and multiplicities in the unit matrix's row-major
    order (what :func:`prunegraph.nulls.edge_multiset` collects from a built layer)."""

    in_strength: np.ndarray
    out_strength: np.ndarray
    weights: torch.Tensor | None = None
    multiplicity: torch.Tensor | None = None


def _lazy_strengths(w: LazyWeight, layer_type: str, counts: LayerCounts, *, fold: int = 1, groups: int = 1,
                    source: str = "", columns: torch.Tensor | None = None, edges: bool = False,
                    block_bytes: int | None = None) -> LayerStrengths:
    """Strengths of a layer read block by block, never building its matrices (issue 13).

    Each block of raw rows gives its unit-level weights exactly as :func:`_lazy_matrices` does
    (``|w|`` folded in float32); their row and column sums are accumulated in float64, so
    ``s_in(j) = sum_i |W[j, i]|`` and ``s_out(i) = sum_j |W[j, i]|`` carry no float32 rounding
    (the built path sums its float32 matrix in float32: the two agree to ~1e-7 relative).
    With ``edges``, the nonzero unit weights and multiplicities are written straight into two
    preallocated 1-D tensors of ``counts.n_edges`` entries at their row-major positions in the
    unit matrix (position = start of unit row + edges of that row placed so far), so the
    random-pruning null shuffles the same multiset in the same order as from the built layer.
    Memory: one block (:data:`STRENGTH_BYTES` of raw rows and its temporaries), the two strength
    vectors and, with ``edges``, 8 bytes per edge.
    """
    n0 = int(w.shape[0])
    n_out, n_in = len(counts.in_degree), len(counts.out_degree)
    transposed = layer_type in ("conv_transpose", "embedding", "linear_t")
    grouped = groups if layer_type in ("conv", "conv_transpose") else 1
    rpg = n0 // grouped
    s_in = torch.zeros(n_out, dtype=torch.float64)
    s_out = torch.zeros(n_in, dtype=torch.float64)
    # raw rows are the unit matrix's rows, or (transposed layouts) its columns
    row_s, col_s = (s_out, s_in) if transposed else (s_in, s_out)
    ew = em = None
    if edges:
        n_edges = counts.n_edges
        ew = torch.empty(n_edges, dtype=torch.float32)
        em = torch.empty(n_edges, dtype=torch.int32)
        k_in = torch.from_numpy(np.asarray(counts.in_degree, dtype=np.int64))
        start = torch.cumsum(k_in, 0) - k_in          # first row-major position of each unit row
        placed = torch.zeros(n_out, dtype=torch.int64)  # edges of each unit row written so far
        cursor = 0
    per_row = max(1, math.prod(w.shape[1:])) * max(1, w.dtype.itemsize)
    step = max(1, (block_bytes or STRENGTH_BYTES) // per_row)
    for r0 in range(0, n0, step):
        r1 = min(n0, r0 + step)
        block = w.rows(r0, r1)
        _finite(block, w.name.removesuffix(".weight"), source)
        a, m = _block_units(block, layer_type, fold=fold, columns=columns)
        del block
        cpg = a.shape[1]
        rows_g = torch.arange(r0, r1) // rpg  # each raw row's group (conv): its column block
        ad = a.double()
        row_s[r0:r1] = ad.sum(1)
        if grouped == 1:
            col_s += ad.sum(0)
        else:
            for g in torch.unique(rows_g).tolist():
                col_s[g * cpg:(g + 1) * cpg] += ad[rows_g == g].sum(0)
        del ad
        if edges:
            keep = m != 0
            if not transposed:  # raw rows are unit rows, in order: the block's edges come next
                vals = a[keep]  # row-major over the block: raw row, then unit column
                ew[cursor:cursor + vals.numel()] = vals
                em[cursor:cursor + vals.numel()] = m[keep]
                cursor += vals.numel()
                del vals
            else:  # unit row = raw column (+ its group's offset), unit column = raw row
                for g in (torch.unique(rows_g).tolist() if grouped > 1 else [0]):
                    sel = rows_g == g if grouped > 1 else slice(None)
                    kt = keep[sel].t()  # [unit rows of the group, raw rows]: row-major = by unit row, then column
                    cnt = kt.sum(1)
                    base = start[g * cpg:(g + 1) * cpg] + placed[g * cpg:(g + 1) * cpg] - (torch.cumsum(cnt, 0) - cnt)
                    pos = torch.repeat_interleave(base, cnt) + torch.arange(int(cnt.sum()))
                    ew[pos] = a[sel].t()[kt]
                    em[pos] = m[sel].t()[kt]
                    placed[g * cpg:(g + 1) * cpg] += cnt
                    del kt, pos
            del keep
        del a, m
    return LayerStrengths(s_in.numpy(), s_out.numpy(), ew, em)


class _LazyMats:
    """A layer's matrices built on call from a :class:`LazyWeight`; :meth:`counts` gives only
    its degrees (:func:`_lazy_counts`) for analyses that need no weights."""

    def __init__(self, w: LazyWeight, layer_type: str, **how):
        self.w, self.layer_type, self.how = w, layer_type, how

    def __call__(self) -> tuple[torch.Tensor, torch.Tensor]:
        return _lazy_matrices(self.w, self.layer_type, **self.how)

    def counts(self, *, nm: bool = False) -> LayerCounts:
        return _lazy_counts(self.w, self.layer_type, nm=nm, **self.how)

    def strengths(self, counts: LayerCounts, *, edges: bool = False) -> LayerStrengths:
        return _lazy_strengths(self.w, self.layer_type, counts, edges=edges, **self.how)


def _mats(w, layer_type: str, *, fold: int = 1, groups: int = 1, source: str = "",
          columns: torch.Tensor | None = None):
    """Matrices of one layer now (a tensor) or as a callable reading it block by block (LazyWeight).

    ``layer_type="linear_t"``: a Linear stored ``[in, out]`` (GPT-2 ``Conv1D``)."""
    if isinstance(w, LazyWeight):
        return _LazyMats(w, layer_type, fold=fold, groups=groups, source=source, columns=columns)
    if layer_type == "linear":
        return linear_matrices(w, fold=fold, columns=columns)
    if layer_type in ("embedding", "linear_t"):  # both transpose: rows of the stored tensor are inputs
        return embedding_matrices(w)
    return conv_matrices(w, groups=groups, transposed=layer_type == "conv_transpose")
