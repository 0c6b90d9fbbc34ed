"""Attachment kernel of new edges between two snapshots of a (pruned) network.

For snapshots :math:`G_t \\to G_{t+1}` of a layer's bipartite connectivity (boolean masks
``[out_units, in_units]``; edge i→j exists iff ``mask[j, i]``), each new edge i→j is scored
by the degrees its ends had in :math:`G_t` (Jeong, Néda & Barabási, Europhys. Lett. 61, 567,
2003; Barabási et al., Physica A 311, 590, 2002, for "internal" links):

* one-ended, ``side="in"``: node j (output unit) with in-degree k,
  :math:`\\Pi(k) = \\frac{\\text{new edges ending at nodes of degree } k}{\\text{nodes of degree } k}`;
  ``side="out"``: the same with source units i and their out-degree.
* cumulative kernel :math:`\\kappa(k) = \\int_0^k \\Pi(k')\\,dk'`, evaluated with the trapezoid
  rule over the observed degree classes (the discrete analogue of Jeong et al.'s integral; it is
  exact for :math:`\\Pi(k) = c` and :math:`\\Pi(k) = c k`).  When no node has degree 0 the
  kernel is extended as a constant below the smallest observed class.  If
  :math:`\\Pi(k) \\propto k^\\beta` then :math:`\\kappa(k) \\propto k^{\\beta + 1}`: an ordinary
  least-squares fit of :math:`\\log\\kappa` on :math:`\\log k` (classes with ``k >= kmin``) has
  slope :math:`\\beta + 1`.  :math:`\\beta = 0`: no preference; :math:`\\beta = 1`: linear.
* internal (two-ended): :math:`\\Pi(k_1, k_2) = N(k_1, k_2) / D(k_1, k_2)` where N counts new
  edges from a source of out-degree :math:`k_1` to a target of in-degree :math:`k_2` and D counts
  the node pairs with those degrees that were *not* connected in :math:`G_t`.  Pooled by the
  product :math:`k_1 k_2`, :math:`\\kappa(k_1 k_2)` has log-log slope 2 for linear preference in
  the product and 1 for none.

Confidence intervals come from a nonparametric bootstrap over nodes (one-ended: the units of
the scored side; internal: sources and targets resampled independently), percentile interval.

Edges present in :math:`G_t` but absent in :math:`G_{t+1}` (pruned) are counted and ignored.
Pure numpy; no networkx on this path.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import InputError, UsageError

__all__ = ["AttachmentKernel", "AttachmentReport", "ExponentFit", "attachment_kernel",
           "attachment_exponent", "internal_attachment", "internal_exponent", "measure_attachment",
           "new_edges"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AttachmentKernel:
    """Measured attachment kernel of the new edges between two snapshots.

    Attributes
    ----------
    side : {"in", "out", "internal"}
    k : tuple of float
        Degree classes (``side="internal"``: products :math:`k_1 k_2`), ascending.
    pi, kappa : tuple of float
        :math:`\\Pi(k)` and the cumulative :math:`\\kappa(k)` at each class.
    n_new_per_class, exposure_per_class : tuple of float
        New edges and nodes (internal: unconnected pairs) in each class.
    slope : float or None
        OLS slope of :math:`\\log\\kappa` on :math:`\\log k` for ``k >= kmin``; None when fewer
        than 3 usable classes.
    beta : float or None
        ``slope - 1`` (the attachment exponent; for internal links, the exponent in the product).
    ci : tuple (low, high) of float, or None
        Bootstrap percentile interval of ``beta``.
    n_new_edges, n_removed_edges : int
    kmin : float
    n_bootstrap : int
    confidence : float
    mle : ExponentFit or None
        The likelihood estimate of β with its uniform null (:func:`attachment_exponent`,
        :func:`internal_exponent`): the headline. ``beta`` above is the κ slope, kept for
        comparison; it is biased towards 0 when degrees start far from 0.
    """

    side: str
    k: tuple
    pi: tuple
    kappa: tuple
    n_new_per_class: tuple
    exposure_per_class: tuple
    slope: float | None
    beta: float | None
    ci: tuple | None
    n_new_edges: int
    n_removed_edges: int
    kmin: float
    n_bootstrap: int
    confidence: float
    mle: ExponentFit | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (plain Python types)."""
        return {
            "side": self.side,
            "k": [float(v) for v in self.k],
            "pi": [float(v) for v in self.pi],
            "kappa": [float(v) for v in self.kappa],
            "n_new_per_class": [float(v) for v in self.n_new_per_class],
            "exposure_per_class": [float(v) for v in self.exposure_per_class],
            "slope": None if self.slope is None else float(self.slope),
            "beta": None if self.beta is None else float(self.beta),
            "ci": None if self.ci is None else [float(self.ci[0]), float(self.ci[1])],
            "n_new_edges": int(self.n_new_edges),
            "n_removed_edges": int(self.n_removed_edges),
            "kmin": float(self.kmin),
            "n_bootstrap": int(self.n_bootstrap),
            "confidence": float(self.confidence),
            "mle": None if self.mle is None else self.mle.to_dict(),
            "definition": ("Pi(k)=new edges at nodes of degree k / nodes of degree k; "
                           "kappa(k)=trapezoid integral of Pi from 0 to k; slope of log kappa "
                           "vs log k = beta+1" if self.side != "internal" else
                           "Pi(k1,k2)=N(k1,k2)/D(k1,k2) over unconnected pairs, pooled by "
                           "k1*k2; slope of log kappa vs log(k1*k2): 2 linear, 1 none; "
                           "beta=slope-1"),
        }


@dataclass(frozen=True)
class AttachmentReport:
    """In-, out- and internal kernels of one snapshot pair.

    ``in_kernel``, ``out_kernel``, ``internal`` pool the layers (secondary: the κ slope of
    pooled layers of different widths is biased; the MLE pools with per-layer normalisers).
    ``per_layer`` maps each layer to its {"in", "out", "internal"} :class:`ExponentFit` — the
    headline numbers.
    """

    in_kernel: AttachmentKernel
    out_kernel: AttachmentKernel
    internal: AttachmentKernel
    layers: tuple
    per_layer: dict = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {"in": self.in_kernel.to_dict(), "out": self.out_kernel.to_dict(),
                "internal": self.internal.to_dict(), "layers": list(self.layers),
                "per_layer": {n: {k: v.to_dict() for k, v in d.items()}
                              for n, d in self.per_layer.items()},
                "pooled_note": "in/out/internal pool the layers (secondary); per_layer is the "
                               "headline"}


# --------------------------------------------------------------------------- input handling
def _as_mask(x: Any, what: str) -> np.ndarray:
    try:
        import torch

        if isinstance(x, torch.Tensor):
            x = x.detach().cpu().numpy()
    except ImportError:  # pragma: no cover
        pass
    arr = np.asarray(x)
    if arr.ndim != 2:
        raise InputError(f"{what}: expected a 2-D mask [out_units, in_units], got shape "
                         f"{arr.shape}; pass one layer's connectivity (weight != 0)")
    if arr.dtype != bool:
        if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
            raise InputError(f"{what}: contains NaN/inf; pass a finite weight or a boolean mask")
        arr = arr != 0
    return arr


def _pairs(before: Any, after: Any) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Normalise (array, array) or (mapping, mapping) into [(name, before, after)]."""
    if isinstance(before, Mapping) != isinstance(after, Mapping):
        raise UsageError("before/after: pass two masks or two {layer: mask} mappings, not a mix")
    if isinstance(before, Mapping):
        missing = sorted(set(before) ^ set(after))
        if missing:
            raise InputError(f"before/after: layers {missing} are in only one snapshot; "
                             "compare snapshots of the same network")
        items = [(str(n), before[n], after[n]) for n in before]
    else:
        items = [("layer", before, after)]
    if not items:
        raise InputError("before/after: no layers to compare")
    out = []
    for name, b, a in items:
        bm, am = _as_mask(b, f"layer {name} (before)"), _as_mask(a, f"layer {name} (after)")
        if bm.shape != am.shape:
            raise InputError(f"layer {name}: before has shape {bm.shape}, after {am.shape}; "
                             "snapshots must come from the same architecture")
        out.append((name, bm, am))
    return out


def new_edges(before: Any, after: Any) -> tuple[np.ndarray, int]:
    """Return (mask of edges in ``after`` but not ``before``, number of removed edges).

    Examples
    --------
    >>> import numpy as np
    >>> b = np.array([[1, 0], [0, 1]], bool); a = np.array([[1, 1], [0, 0]], bool)
    >>> m, removed = new_edges(b, a)
    >>> m.astype(int).tolist(), removed
    ([[0, 1], [0, 0]], 1)
    """
    (_, b, a), = _pairs(before, after)
    return a & ~b, int((b & ~a).sum())


# --------------------------------------------------------------------------- uniform null
@dataclass(frozen=True)
class UniformNull:
    """The κ-slope β of the observed new edges against uniformly random new edges.

    Attributes
    ----------
    side : str
    beta : float or None
        β of the observed new edges (:func:`attachment_kernel`, no bootstrap).
    null_betas : tuple of float
        β of each uniform draw (draws without a slope are left out).
    null_mean, null_sd : float or None
        Mean and sample sd of ``null_betas``.
    p_value : float or None
        Two-sided: share of draws at least as far from the null mean as β, with the +1
        correction, (1 + #{|β_null − mean| ≥ |β − mean|}) / (1 + draws).
    n_new_edges : int
    """

    side: str
    beta: float | None
    null_betas: tuple
    null_mean: float | None
    null_sd: float | None
    p_value: float | None
    n_new_edges: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (the draws summarised, not listed)."""
        out: dict[str, Any] = {"side": self.side, "null_draws": len(self.null_betas),
                               "n_new_edges": int(self.n_new_edges)}
        for key in ("beta", "null_mean", "null_sd", "p_value"):
            v = getattr(self, key)
            out[key] = None if v is None else float(v)
        return out


@dataclass(frozen=True)
class UniformPlacement:
    """The uniform null of new edges, shared by every attachment null of the package.

    Per layer: the positions a new edge could take (``free``: absent before, and allowed) and
    how many new edges the layer gained there (``n_new``).  One draw puts ``n_new`` edges on
    free positions chosen uniformly without replacement.  Two exact views of the same draw:

    * :meth:`masks` — the simulated after-snapshots (``gen.choice`` of the free positions), for
      an estimator that needs the edges: the κ slope of :func:`uniform_null`, the in-, out- and
      internal controls of :func:`prunegraph.connectome.random_control`;
    * :meth:`counts` — only each scored node's number of new edges, drawn from their joint law
      (the multivariate hypergeometric of the nodes' free counts), for an estimator that reads
      counts: the likelihood β of :func:`attachment_exponent`.

    Examples
    --------
    >>> b = np.array([[True, False, False], [False, False, False]])
    >>> a = b | np.array([[False, True, False], [True, False, False]])
    >>> null = UniformPlacement.between([b], [a])
    >>> null.n_new, [int(m.sum()) for m in null.masks(np.random.default_rng(0))]
    ((2,), [3])
    >>> [c.tolist() for c in null.counts(np.random.default_rng(0), axis=0)]  # per input unit
    [[1, 1, 0]]
    """

    before: tuple[np.ndarray, ...]
    free: tuple[np.ndarray, ...]
    n_new: tuple[int, ...]

    @classmethod
    def between(cls, before, after, free=None) -> UniformPlacement:
        """From the snapshots' masks (lists, one per layer) and optional allowed-position masks."""
        frees = [~b if f is None else (f & ~b) for b, f in zip(before, free or [None] * len(before))]
        return cls(tuple(before), tuple(frees), tuple(int((a & f).sum()) for a, f in zip(after, frees)))

    def masks(self, gen: np.random.Generator) -> list[np.ndarray]:
        """One draw: each layer's before-mask plus ``n_new`` uniformly placed free edges."""
        out = []
        for b, fr, n in zip(self.before, self.free, self.n_new):
            a = b.copy().ravel()
            a[gen.choice(np.flatnonzero(fr), size=n, replace=False)] = True
            out.append(a.reshape(b.shape))
        return out

    def free_counts(self, axis: int) -> list[np.ndarray]:
        """Per layer, each node's free positions (``axis=1``: per output unit, the in side)."""
        return [fr.sum(axis=axis) for fr in self.free]

    def counts(self, gen: np.random.Generator, axis: int) -> list[np.ndarray]:
        """One draw, counted: per layer the new edges of each node with a free position."""
        return [gen.multivariate_hypergeometric(fc[fc > 0].astype(np.int64), n)
                for fc, n in zip(self.free_counts(axis), self.n_new)]


__all__ += ["UniformPlacement"]


def uniform_null(before: Any, after: Any, *, side: str = "in", draws: int = 200, kmin: float = 1,
                 rng: np.random.Generator | int | None = None) -> UniformNull:
    """β of the new edges of ``before → after`` read against ``draws`` uniform controls.

    Each control adds, in every layer, as many edges as the layer really gained, drawn uniformly
    without replacement from the positions absent in ``before`` (the positions the new edges
    could have taken), and measures β with the same estimator (:func:`attachment_kernel`, the
    κ slope). The null is not centred on 0: a unit's free positions shrink as its degree grows,
    so uniform edges read slightly *anti*-preferential; what β means is its place in this null.

    Parameters
    ----------
    before, after : array_like [out_units, in_units] or mapping {layer: array}
        As :func:`attachment_kernel`.
    side : {"in", "out"}
    draws : int
        Uniform controls (at least 1; 200 or more for a p-value).
    kmin : float
        As :func:`attachment_kernel`.
    rng : Generator, int or None

    Returns
    -------
    UniformNull

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> before = rng.random((300, 200)) < rng.uniform(0.05, 0.5, (300, 1))
    >>> after = before | (rng.random((300, 200)) < 0.02)            # uniform new edges
    >>> res = uniform_null(before, after, draws=50, rng=1)
    >>> res.p_value > 0.05, len(res.null_betas)
    (True, 50)
    """
    _check_opts(side, kmin, 0, 0.95)
    if draws < 1:
        raise UsageError(f"draws={draws}: must be >= 1 (200 or more for a p-value)")
    gen = np.random.default_rng(rng)
    items = _pairs(before, after)
    obs = attachment_kernel(before, after, side=side, kmin=kmin, bootstrap=0, null_draws=0)
    placement = UniformPlacement.between([b for _, b, _ in items], [a for _, _, a in items])
    names = [n for n, _, _ in items]
    betas = []
    for _ in range(draws):
        sim = dict(zip(names, placement.masks(gen)))
        k = attachment_kernel({n: b for n, b, _ in items}, sim, side=side, kmin=kmin, bootstrap=0,
                              null_draws=0)
        if k.beta is not None:
            betas.append(k.beta)
    null = np.asarray(betas, dtype=float)
    mean = float(null.mean()) if null.size else None
    sd = float(null.std(ddof=1)) if null.size > 1 else None
    p = None
    if obs.beta is not None and mean is not None:
        far = int((np.abs(null - mean) >= abs(obs.beta - mean) - 1e-12).sum())
        p = (1 + far) / (1 + null.size)
    return UniformNull(side=side, beta=obs.beta, null_betas=tuple(null.tolist()), null_mean=mean,
                       null_sd=sd, p_value=p, n_new_edges=obs.n_new_edges)


__all__ += ["UniformNull", "uniform_null"]


# --------------------------------------------------------------------------- core estimator
def _kernel_from_classes(k: np.ndarray, n_new: np.ndarray, exposure: np.ndarray,
                         kmin: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float | None]:
    """Π and κ over sorted unique classes and the log-log slope; inputs per class."""
    keep = exposure > 0
    k, n_new, exposure = k[keep], n_new[keep], exposure[keep]
    pi = n_new / exposure
    if k.size == 0:
        return k, pi, pi.copy(), None
    # trapezoid integral from 0; constant extension below the smallest class
    kk = np.concatenate([[0.0], k]) if k[0] > 0 else k.astype(float)
    pp = np.concatenate([[pi[0]], pi]) if k[0] > 0 else pi
    seg = 0.5 * (pp[1:] + pp[:-1]) * np.diff(kk)
    kappa_all = np.concatenate([[0.0], np.cumsum(seg)])
    kappa = kappa_all[1:] if k[0] > 0 else kappa_all
    use = (k >= kmin) & (k > 0) & (kappa > 0)
    slope = None
    if use.sum() >= 3:
        x, y = np.log(k[use]), np.log(kappa[use])
        slope = float(np.polyfit(x, y, 1)[0])
    return k, pi, kappa, slope


def _one_ended_nodes(items, side: str) -> tuple[np.ndarray, np.ndarray, int, int]:
    degs, counts, n_new, n_removed = [], [], 0, 0
    for _, b, a in items:
        new = a & ~b
        n_new += int(new.sum())
        n_removed += int((b & ~a).sum())
        axis = 1 if side == "in" else 0
        degs.append(b.sum(axis=axis))
        counts.append(new.sum(axis=axis))
    return (np.concatenate(degs).astype(np.int64), np.concatenate(counts).astype(np.float64),
            n_new, n_removed)


def _classes_weighted(deg: np.ndarray, cnt: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    kmax = int(deg.max()) + 1 if deg.size else 1
    n_new = np.bincount(deg, weights=cnt * w, minlength=kmax)
    expo = np.bincount(deg, weights=w, minlength=kmax)
    return np.arange(kmax, dtype=float), n_new, expo


def _percentile_ci(samples: list[float | None], confidence: float) -> tuple[float, float] | None:
    s = np.asarray([v for v in samples if v is not None and np.isfinite(v)], dtype=float)
    if s.size < 10:
        return None
    lo = (1 - confidence) / 2
    return float(np.quantile(s, lo)), float(np.quantile(s, 1 - lo))


def _check_opts(side: str | None, kmin: float, bootstrap: int, confidence: float) -> None:
    if side is not None and side not in ("in", "out"):
        raise UsageError(f"side={side!r}: use 'in' (targets by in-degree) or 'out' "
                         "(sources by out-degree)")
    if kmin < 0:
        raise UsageError(f"kmin={kmin}: must be >= 0 (classes with k < kmin are left out of "
                         "the slope fit)")
    if bootstrap < 0:
        raise UsageError(f"bootstrap={bootstrap}: must be >= 0")
    if not 0 < confidence < 1:
        raise UsageError(f"confidence={confidence}: must lie in (0, 1), e.g. 0.95")


def attachment_kernel(before: Any, after: Any, *, side: str = "in", kmin: float = 1,
                      bootstrap: int = 200, confidence: float = 0.95, null_draws: int = 0,
                      free: Any = None,
                      rng: np.random.Generator | int | None = None) -> AttachmentKernel:
    """One-ended attachment kernel Π(k), κ(k) and exponent β of the new edges.

    Parameters
    ----------
    before, after : array_like [out_units, in_units] or mapping {layer: array}
        Connectivity of the two snapshots (bool, or weights where nonzero = edge). Mappings
        pool the nodes of all layers.
    side : {"in", "out"}
        Score targets by their in-degree (``"in"``) or sources by their out-degree (``"out"``).
    kmin : float
        Smallest degree class used in the log-log fit (``k = 0`` is always excluded there but
        enters the integral κ).
    bootstrap : int
        Bootstrap replicates over nodes for the confidence interval of β (0: none).
    confidence : float
        Level of the percentile interval.
    null_draws : int
        Uniform draws for the null of the likelihood estimate ``mle`` (default 0: none, so
        loops over controls stay cheap; :func:`measure_attachment` and
        :func:`attachment_exponent` default to 200).
    free : array_like or mapping, optional
        Positions that could have been grown (default: all absent in ``before``).
    rng : Generator, int or None

    Returns
    -------
    AttachmentKernel

    Notes
    -----
    :math:`\\Pi(k) \\propto k^{\\beta} \\Rightarrow \\kappa(k) = \\int_0^k \\Pi \\propto k^{\\beta+1}`
    (Jeong, Néda & Barabási 2003).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> before = rng.random((400, 60)) < rng.random((400, 1)) * 0.5   # broad in-degrees
    >>> deg = before.sum(1).astype(float)
    >>> after = before.copy()
    >>> for _ in range(3000):                                          # linear preference
    ...     j = rng.choice(400, p=deg / deg.sum()); after[j, rng.integers(60)] = True
    >>> res = attachment_kernel(before, after, side="in", bootstrap=0, rng=0)
    >>> 0.6 < res.beta < 1.4
    True
    """
    _check_opts(side, kmin, bootstrap, confidence)
    gen = np.random.default_rng(rng)
    mle = attachment_exponent(before, after, side=side, free=free, null_draws=null_draws,
                              confidence=confidence, rng=gen)
    items = _pairs(before, after)
    deg, cnt, n_new, n_removed = _one_ended_nodes(items, side)
    k, pi, kappa, slope = _kernel_from_classes(*_classes_weighted(deg, cnt, np.ones_like(cnt)),
                                               kmin)
    expo_all = _classes_weighted(deg, cnt, np.ones_like(cnt))
    keep = expo_all[2] > 0
    ci = None
    if bootstrap and slope is not None and n_new > 0:
        n = deg.size
        betas = []
        for _ in range(bootstrap):
            w = np.bincount(gen.integers(0, n, n), minlength=n).astype(float)
            s = _kernel_from_classes(*_classes_weighted(deg, cnt, w), kmin)[3]
            betas.append(None if s is None else s - 1.0)
        ci = _percentile_ci(betas, confidence)
    return AttachmentKernel(
        side=side, k=tuple(k.tolist()), pi=tuple(pi.tolist()), kappa=tuple(kappa.tolist()),
        n_new_per_class=tuple(expo_all[1][keep].tolist()),
        exposure_per_class=tuple(expo_all[2][keep].tolist()),
        slope=slope, beta=None if slope is None else slope - 1.0, ci=ci,
        n_new_edges=n_new, n_removed_edges=n_removed, kmin=float(kmin),
        n_bootstrap=int(bootstrap), confidence=float(confidence), mle=mle)


def _internal_counts(items, w_t: list[np.ndarray] | None, w_s: list[np.ndarray] | None, kmax1: int,
                     kmax2: int) -> tuple[np.ndarray, np.ndarray]:
    """N[k1, k2] and D[k1, k2] summed over layers (optionally node-weighted), from edge lists."""
    N = np.zeros(kmax1 * kmax2)
    D = np.zeros((kmax1, kmax2))
    for li, (_, b, a) in enumerate(items):
        k2 = b.sum(axis=1)  # targets' in-degree  (rows)
        k1 = b.sum(axis=0)  # sources' out-degree (columns)
        wt = np.ones(b.shape[0]) if w_t is None else w_t[li]
        ws = np.ones(b.shape[1]) if w_s is None else w_s[li]
        jn, in_ = np.nonzero(a & ~b)
        N += np.bincount(k1[in_] * kmax2 + k2[jn], weights=ws[in_] * wt[jn], minlength=kmax1 * kmax2)
        je, ie = np.nonzero(b)
        E = np.bincount(k1[ie] * kmax2 + k2[je], weights=ws[ie] * wt[je], minlength=kmax1 * kmax2)
        D += np.outer(np.bincount(k1, weights=ws, minlength=kmax1),
                      np.bincount(k2, weights=wt, minlength=kmax2)) - E.reshape(kmax1, kmax2)
    return N.reshape(kmax1, kmax2), D


def internal_attachment(before: Any, after: Any, *, kmin: float = 1, bootstrap: int = 100,
                        confidence: float = 0.95, null_draws: int = 0, free: Any = None,
                        rng: np.random.Generator | int | None = None) -> AttachmentKernel:
    """Two-ended ("internal link") kernel Π(k1, k2) pooled by the product k1·k2.

    Parameters
    ----------
    before, after : array_like [out_units, in_units] or mapping {layer: array}
    kmin : float
        Smallest product class in the log-log fit.
    bootstrap, confidence, rng
        Bootstrap over source and target nodes (resampled independently).
    null_draws, free
        As :func:`attachment_kernel`, for the likelihood estimate ``mle``
        (:func:`internal_exponent`).

    Returns
    -------
    AttachmentKernel
        ``side="internal"``; ``slope`` is 2 for :math:`\\Pi \\propto k_1 k_2`, 1 for none;
        ``beta = slope - 1`` (Barabási et al. 2002).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> before = rng.random((200, 150)) < 0.05
    >>> after = before | (rng.random((200, 150)) < 0.02)               # no preference
    >>> res = internal_attachment(before, after, bootstrap=0)
    >>> 0.7 < res.slope < 1.3
    True
    """
    _check_opts(None, kmin, bootstrap, confidence)
    gen = np.random.default_rng(rng)
    mle = internal_exponent(before, after, free=free, null_draws=null_draws,
                            confidence=confidence, rng=gen)
    items = _pairs(before, after)
    kmax1 = max(int(b.sum(axis=0).max()) for _, b, _ in items) + 1
    kmax2 = max(int(b.sum(axis=1).max()) for _, b, _ in items) + 1
    n_new = sum(int((a & ~b).sum()) for _, b, a in items)
    n_removed = sum(int((b & ~a).sum()) for _, b, a in items)
    prod = np.outer(np.arange(kmax1), np.arange(kmax2)).ravel()
    up = np.unique(prod)

    def by_product(N, D) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        idx = np.searchsorted(up, prod)
        return (up.astype(float), np.bincount(idx, N.ravel(), up.size),
                np.bincount(idx, D.ravel(), up.size))

    N, D = _internal_counts(items, None, None, kmax1, kmax2)
    kx, nx, dx = by_product(N, D)
    k, pi, kappa, slope = _kernel_from_classes(kx, nx, dx, kmin)
    keep = dx > 0
    ci = None
    if bootstrap and slope is not None and n_new > 0:
        slopes = []
        for _ in range(bootstrap):
            wt = [np.bincount(gen.integers(0, b.shape[0], b.shape[0]), minlength=b.shape[0])
                  .astype(float) for _, b, _ in items]
            ws = [np.bincount(gen.integers(0, b.shape[1], b.shape[1]), minlength=b.shape[1])
                  .astype(float) for _, b, _ in items]
            Nb, Db = _internal_counts(items, wt, ws, kmax1, kmax2)
            s = _kernel_from_classes(*by_product(Nb, Db), kmin)[3]
            slopes.append(None if s is None else s - 1.0)
        ci = _percentile_ci(slopes, confidence)
    return AttachmentKernel(
        side="internal", k=tuple(k.tolist()), pi=tuple(pi.tolist()), kappa=tuple(kappa.tolist()),
        n_new_per_class=tuple(nx[keep].tolist()), exposure_per_class=tuple(dx[keep].tolist()),
        slope=slope, beta=None if slope is None else slope - 1.0, ci=ci, n_new_edges=n_new,
        n_removed_edges=n_removed, kmin=float(kmin), n_bootstrap=int(bootstrap),
        confidence=float(confidence), mle=mle)


# --------------------------------------------------------------------------- likelihood estimate
@dataclass(frozen=True)
class ExponentFit:
    """Maximum-likelihood attachment exponent with its null.

    Attributes
    ----------
    beta : float or None
        MLE of β in :math:`A_k = k^{\\beta}` (:math:`A_0 = A_1`), None without new edges.
    se : float or None
        :math:`1/\\sqrt{I(\\hat\\beta)}`, I the observed Fisher information.
    ci : tuple (low, high) or None
        Wald interval :math:`\\hat\\beta \\pm z\\,se` at ``confidence``.
    null_mean, null_sd : float or None
        Mean and sd of β over ``null_draws`` uniform draws of the same number of new edges over
        the same free positions.
    p_value : float or None
        Two-sided: share of null draws at least as far from the null mean as β (with the +1
        correction of Davison & Hinkley 1997).
    null_draws : int
    n_new : int
    """

    beta: float | None
    se: float | None
    ci: tuple | None
    null_mean: float | None
    null_sd: float | None
    p_value: float | None
    null_draws: int
    n_new: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        f = lambda v: None if v is None else float(v)  # noqa: E731
        return {"beta": f(self.beta), "se": f(self.se),
                "ci": None if self.ci is None else [float(self.ci[0]), float(self.ci[1])],
                "null_mean": f(self.null_mean), "null_sd": f(self.null_sd),
                "p_value": f(self.p_value), "null_draws": int(self.null_draws),
                "n_new": int(self.n_new)}


def _phi(k: np.ndarray) -> np.ndarray:
    """ln A_k / β: ln k, with A_0 = A_1 (PAFit's convention for unlinked nodes)."""
    return np.log(np.maximum(np.asarray(k, dtype=float), 1.0))


def _newton(score_info, beta0: float = 0.0) -> tuple[float, float]:
    """Maximise a concave one-parameter log-likelihood; returns (β, information)."""
    b = beta0
    for _ in range(100):
        ll, u, info = score_info(b)
        if info <= 0:
            return b, 0.0
        step = u / info
        while True:  # step halving keeps the ascent
            nb = b + step
            if score_info(nb)[0] >= ll - 1e-12 or abs(step) < 1e-12:
                break
            step /= 2
        b = nb
        if abs(step) < 1e-10:
            break
    return b, score_info(b)[2]


def _one_ended_ll(groups):
    """groups: [(phi per node, free per node, new per node)]; multinomial over free positions."""
    def f(beta):
        ll = u = info = 0.0
        for phi, free, new in groups:
            n = new.sum()
            if n == 0:
                continue
            z = np.log(free) + beta * phi
            zmax = z.max()
            w = np.exp(z - zmax)
            s0 = w.sum()
            m1 = (w * phi).sum() / s0
            m2 = (w * phi * phi).sum() / s0
            ll += beta * (new * phi).sum() - n * (zmax + np.log(s0))
            u += (new * phi).sum() - n * m1
            info += n * (m2 - m1 * m1)
        return ll, u, info
    return f


def _fit_groups(groups) -> tuple[float | None, float | None]:
    if sum(int(g[2].sum()) for g in groups) == 0:
        return None, None
    b, info = _newton(_one_ended_ll(groups))
    return float(b), (float(1.0 / np.sqrt(info)) if info > 0 else None)


def _with_null(beta, se, n_new, draw_beta, null_draws, confidence, gen) -> ExponentFit:
    from scipy.stats import norm

    ci = None
    if beta is not None and se is not None:
        z = float(norm.ppf(0.5 + confidence / 2))
        ci = (beta - z * se, beta + z * se)
    if beta is None or null_draws == 0:
        return ExponentFit(beta, se, ci, None, None, None, int(null_draws), n_new)
    null = np.array([draw_beta(gen) for _ in range(null_draws)], dtype=float)
    null = null[np.isfinite(null)]
    mu, sd = float(null.mean()), float(null.std(ddof=1))
    p = (1 + int((np.abs(null - mu) >= abs(beta - mu) - 1e-12).sum())) / (null.size + 1)
    return ExponentFit(beta, se, ci, mu, sd, float(p), int(null.size), n_new)


def attachment_exponent(before: Any, after: Any, *, side: str = "in", free: Any = None,
                        null_draws: int = 200, confidence: float = 0.95,
                        rng: np.random.Generator | int | None = None) -> ExponentFit:
    """Maximum-likelihood attachment exponent β of the new edges, with a uniform null.

    Model (a one-parameter PAFit, Pham, Sheridan & Shimodaira, PLoS ONE 12, e0137796, 2017):
    every new edge lands on a free position of the scored side's node j with probability
    :math:`\\propto A_{k_j}`, :math:`A_k = k^{\\beta}` (:math:`A_0 = A_1`), k the degree in
    :math:`G_t`. Per layer l with :math:`N_l` new edges, :math:`F_j` free positions and
    :math:`n_j` new edges at node j,

    .. math:: \\ell(\\beta) = \\sum_l \\Big[\\sum_j n_j \\beta \\ln k_j
              - N_l \\ln \\sum_j F_j k_j^{\\beta}\\Big],

    concave in β; maximised by Newton's method. Counting the free positions is what removes
    the bias of the κ slope, whose null drifts negative because a unit's free slots shrink as
    its degree grows. Mappings give one common β with per-layer normalisers (a pooled
    estimate; report it as such beside the per-layer ones).

    Parameters
    ----------
    before, after : array_like [out_units, in_units] or mapping {layer: array}
    side : {"in", "out"}
    free : array_like or mapping, optional
        Positions that could have been grown (default: every position absent in ``before``).
    null_draws : int
        Uniform draws of the same number of new edges over the same free positions.
    confidence : float
    rng : Generator, int or None

    Returns
    -------
    ExponentFit

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> before = rng.random((300, 200)) < rng.uniform(0.05, 0.5, (300, 1))
    >>> after = before | (rng.random((300, 200)) < 0.02)              # uniform: β = 0
    >>> fit = attachment_exponent(before, after, null_draws=50, rng=0)
    >>> abs(fit.beta) < 3 * fit.se, fit.p_value > 0.01
    (True, True)
    """
    _check_opts(side, 0, 0, confidence)
    if null_draws < 0:
        raise UsageError(f"null_draws={null_draws}: must be >= 0")
    items = _pairs(before, after)
    frees = _free_masks(items, free)
    axis = 1 if side == "in" else 0
    placement = UniformPlacement.between([b for _, b, _ in items], [a for _, _, a in items], frees)
    groups = []
    for (_, b, a), fr, fcount in zip(items, placement.free, placement.free_counts(axis)):
        phi = _phi(b.sum(axis=axis))
        new = (a & fr).sum(axis=axis).astype(float)
        keep = fcount > 0
        groups.append((phi[keep], fcount[keep].astype(float), new[keep]))
    beta, se = _fit_groups(groups)
    n_new = int(sum(g[2].sum() for g in groups))

    def draw(gen):
        sim = [(phi, fc, new.astype(float)) for (phi, fc, _), new in zip(groups, placement.counts(gen, axis))]
        return _fit_groups(sim)[0]

    return _with_null(beta, se, n_new, draw, null_draws, confidence, np.random.default_rng(rng))


def internal_exponent(before: Any, after: Any, *, free: Any = None, null_draws: int = 200,
                      confidence: float = 0.95,
                      rng: np.random.Generator | int | None = None) -> ExponentFit:
    """Maximum-likelihood exponent of two-ended attachment :math:`\\propto (k_1 k_2)^{\\beta}`.

    A new edge lands on free position (i, j) with probability
    :math:`\\propto (k_{out}(i)\\,k_{in}(j))^{\\beta}` (:math:`A_0 = A_1`), so
    :math:`\\ell(\\beta) = \\sum_{new} \\beta \\ln(k_1 k_2) - N \\ln \\sum_{free} (k_1 k_2)^{\\beta}`
    per layer; the sum over free positions is the full outer product minus the existing edges.
    β = 1: linear preference in the product; 0: none. Null and interval as
    :func:`attachment_exponent`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> before = rng.random((200, 150)) < rng.uniform(0.02, 0.3, (200, 1))
    >>> after = before | (rng.random((200, 150)) < 0.02)
    >>> abs(internal_exponent(before, after, null_draws=0).beta) < 0.15
    True
    """
    _check_opts(None, 0, 0, confidence)
    if null_draws < 0:
        raise UsageError(f"null_draws={null_draws}: must be >= 0")
    items = _pairs(before, after)
    frees = _free_masks(items, free)
    layers = []
    for (_, b, a), fr in zip(items, frees):
        p2, p1 = _phi(b.sum(axis=1)), _phi(b.sum(axis=0))   # targets (rows), sources (cols)
        jn, in_ = np.nonzero(a & ~b & fr)
        jb, ib = np.nonzero(~fr)                             # positions that are not free
        layers.append((p1, p2, p1[in_] + p2[jn], p1[ib] + p2[jb], int(fr.sum())))

    def ll_factory(obs):
        def f(beta):
            ll = u = info = 0.0
            for (p1, p2, _, notfree, _), new_phi in zip(layers, obs):
                n = new_phi.size
                if n == 0:
                    continue
                h1, h2 = float((beta * p1).max()), float((beta * p2).max())
                c = h1 + h2
                e1, e2 = np.exp(beta * p1 - h1), np.exp(beta * p2 - h2)
                e0 = np.exp(beta * notfree - c)
                a = [(e1 * p1 ** m).sum() for m in range(3)]
                bb = [(e2 * p2 ** m).sum() for m in range(3)]
                ex = [(e0 * notfree ** m).sum() for m in range(3)]
                s0 = a[0] * bb[0] - ex[0]
                s1 = a[1] * bb[0] + a[0] * bb[1] - ex[1]
                s2 = a[2] * bb[0] + 2 * a[1] * bb[1] + a[0] * bb[2] - ex[2]
                m1, m2 = s1 / s0, s2 / s0
                ll += beta * new_phi.sum() - n * (c + np.log(s0))
                u += new_phi.sum() - n * m1
                info += n * (m2 - m1 * m1)
            return ll, u, info
        return f

    obs = [lay[2] for lay in layers]
    n_new = int(sum(o.size for o in obs))
    beta = se = None
    if n_new:
        beta, info = _newton(ll_factory(obs))
        beta, se = float(beta), (float(1.0 / np.sqrt(info)) if info > 0 else None)
    free_idx = [np.flatnonzero(fr.ravel()) for fr in frees]

    def draw(gen):
        sim = []
        for (p1, p2, new_phi, _, _), idx, (_, b, _) in zip(layers, free_idx, items):
            pick = gen.choice(idx, size=new_phi.size, replace=False)
            j, i = np.divmod(pick, b.shape[1])
            sim.append(p1[i] + p2[j])
        return _newton(ll_factory(sim))[0]

    return _with_null(beta, se, n_new, draw, null_draws, confidence, np.random.default_rng(rng))


def _free_masks(items, free) -> list[np.ndarray]:
    if free is None:
        return [~b for _, b, _ in items]
    if isinstance(free, Mapping):
        missing = [n for n, _, _ in items if n not in free]
        if missing:
            raise InputError(f"free: no mask for layers {missing}; pass one per layer")
        masks = [_as_mask(free[n], f"free mask of layer {n}") for n, _, _ in items]
    else:
        if len(items) != 1:
            raise UsageError("free: pass a {layer: mask} mapping when before/after are mappings")
        masks = [_as_mask(free, "free mask")]
    out = []
    for (n, b, _), m in zip(items, masks):
        if m.shape != b.shape:
            raise InputError(f"free mask of layer {n}: shape {m.shape}, expected {b.shape}")
        out.append(m & ~b)
    return out


def measure_attachment(before: Any, after: Any, *, kmin: float = 1, bootstrap: int = 200,
                       internal_bootstrap: int | None = None, confidence: float = 0.95,
                       null_draws: int = 200, free: Any = None,
                       rng: np.random.Generator | int | None = None) -> AttachmentReport:
    """In-, out- and internal attachment of one snapshot pair: per layer and pooled.

    Per layer (the headline): likelihood estimates of β with a null of ``null_draws`` uniform
    draws (:func:`attachment_exponent`, :func:`internal_exponent`). Pooled over layers
    (secondary): the κ kernels with their bootstrap and the MLE with per-layer normalisers.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> b = {"fc1": rng.random((50, 40)) < 0.1}
    >>> a = {"fc1": b["fc1"] | (rng.random((50, 40)) < 0.05)}
    >>> rep = measure_attachment(b, a, bootstrap=0, null_draws=0)
    >>> sorted(rep.to_dict())
    ['in', 'internal', 'layers', 'out', 'per_layer', 'pooled_note']
    """
    gen = np.random.default_rng(rng)
    ib = bootstrap // 2 if internal_bootstrap is None else internal_bootstrap
    items = _pairs(before, after)
    layers = tuple(n for n, _, _ in items)
    frees = dict(zip(layers, _free_masks(items, free)))
    per_layer = {}
    for n, b, a in items:
        per_layer[n] = {
            side: attachment_exponent(b, a, side=side, free=frees[n], null_draws=null_draws,
                                      confidence=confidence, rng=gen) for side in ("in", "out")}
        per_layer[n]["internal"] = internal_exponent(b, a, free=frees[n], null_draws=null_draws,
                                                     confidence=confidence, rng=gen)
    fr = None if free is None else (frees if isinstance(before, Mapping) else frees[layers[0]])
    return AttachmentReport(
        in_kernel=attachment_kernel(before, after, side="in", kmin=kmin, bootstrap=bootstrap,
                                    confidence=confidence, null_draws=0, free=fr, rng=gen),
        out_kernel=attachment_kernel(before, after, side="out", kmin=kmin, bootstrap=bootstrap,
                                     confidence=confidence, null_draws=0, free=fr, rng=gen),
        internal=internal_attachment(before, after, kmin=kmin, bootstrap=ib,
                                     confidence=confidence, null_draws=0, free=fr, rng=gen),
        layers=layers, per_layer=per_layer)
