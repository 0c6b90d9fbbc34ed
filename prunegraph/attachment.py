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
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from .errors import InputError, UsageError

__all__ = ["AttachmentKernel", "AttachmentReport", "attachment_kernel", "internal_attachment",
           "measure_attachment", "new_edges"]

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
            "definition": ("Pi(k)=new edges at nodes of degree k / nodes of degree k; "
                           "kappa(k)=trapezoid integral of Pi from 0 to k; slope of log kappa "
                           "vs log k = beta+1" if self.side != "internal" else
                           "Pi(k1,k2)=N(k1,k2)/D(k1,k2) over unconnected pairs, pooled by "
                           "k1*k2; slope of log kappa vs log(k1*k2): 2 linear, 1 none; "
                           "beta=slope-1"),
        }


@dataclass(frozen=True)
class AttachmentReport:
    """In-, out- and internal kernels of one snapshot pair (layers pooled)."""

    in_kernel: AttachmentKernel
    out_kernel: AttachmentKernel
    internal: AttachmentKernel
    layers: tuple

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {"in": self.in_kernel.to_dict(), "out": self.out_kernel.to_dict(),
                "internal": self.internal.to_dict(), "layers": list(self.layers)}


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
    obs = attachment_kernel(before, after, side=side, kmin=kmin, bootstrap=0)
    free = [np.flatnonzero(~b) for _, b, _ in items]
    n_new = [int((a & ~b).sum()) for _, b, a in items]
    betas = []
    for _ in range(draws):
        sim = {}
        for (name, b, _), fr, n in zip(items, free, n_new):
            a = b.copy().ravel()
            a[gen.choice(fr, size=n, replace=False)] = True
            sim[name] = a.reshape(b.shape)
        k = attachment_kernel({n: b for n, b, _ in items}, sim, side=side, kmin=kmin, bootstrap=0)
        if k.beta is not None:
            betas.append(k.beta)
    null = np.asarray(betas, dtype=float)
    mean = float(null.mean()) if null.size else None
    sd = float(null.std(ddof=1)) if null.size > 1 else None
    p = None
    if obs.beta is not None and null.size:
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


def _classes_weighted(deg: np.ndarray, cnt: np.ndarray, w: np.ndarray):
    kmax = int(deg.max()) + 1 if deg.size else 1
    n_new = np.bincount(deg, weights=cnt * w, minlength=kmax)
    expo = np.bincount(deg, weights=w, minlength=kmax)
    return np.arange(kmax, dtype=float), n_new, expo


def _percentile_ci(samples: list[float], confidence: float) -> tuple[float, float] | None:
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
                      bootstrap: int = 200, confidence: float = 0.95,
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
    items = _pairs(before, after)
    deg, cnt, n_new, n_removed = _one_ended_nodes(items, side)
    k, pi, kappa, slope = _kernel_from_classes(*_classes_weighted(deg, cnt, np.ones_like(cnt)),
                                               kmin)
    expo_all = _classes_weighted(deg, cnt, np.ones_like(cnt))
    keep = expo_all[2] > 0
    ci = None
    if bootstrap and slope is not None and n_new > 0:
        gen = np.random.default_rng(rng)
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
        n_bootstrap=int(bootstrap), confidence=float(confidence))


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
                        confidence: float = 0.95,
                        rng: np.random.Generator | int | None = None) -> AttachmentKernel:
    """Two-ended ("internal link") kernel Π(k1, k2) pooled by the product k1·k2.

    Parameters
    ----------
    before, after : array_like [out_units, in_units] or mapping {layer: array}
    kmin : float
        Smallest product class in the log-log fit.
    bootstrap, confidence, rng
        Bootstrap over source and target nodes (resampled independently).

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
    items = _pairs(before, after)
    kmax1 = max(int(b.sum(axis=0).max()) for _, b, _ in items) + 1
    kmax2 = max(int(b.sum(axis=1).max()) for _, b, _ in items) + 1
    n_new = sum(int((a & ~b).sum()) for _, b, a in items)
    n_removed = sum(int((b & ~a).sum()) for _, b, a in items)
    prod = np.outer(np.arange(kmax1), np.arange(kmax2)).ravel()
    up = np.unique(prod)

    def by_product(N, D):
        idx = np.searchsorted(up, prod)
        return (up.astype(float), np.bincount(idx, N.ravel(), up.size),
                np.bincount(idx, D.ravel(), up.size))

    N, D = _internal_counts(items, None, None, kmax1, kmax2)
    kx, nx, dx = by_product(N, D)
    k, pi, kappa, slope = _kernel_from_classes(kx, nx, dx, kmin)
    keep = dx > 0
    ci = None
    if bootstrap and slope is not None and n_new > 0:
        gen = np.random.default_rng(rng)
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
        confidence=float(confidence))


def measure_attachment(before: Any, after: Any, *, kmin: float = 1, bootstrap: int = 200,
                       internal_bootstrap: int | None = None, confidence: float = 0.95,
                       rng: np.random.Generator | int | None = None) -> AttachmentReport:
    """In-, out- and internal attachment kernels of one snapshot pair (layers pooled).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> b = {"fc1": rng.random((50, 40)) < 0.1}
    >>> a = {"fc1": b["fc1"] | (rng.random((50, 40)) < 0.05)}
    >>> rep = measure_attachment(b, a, bootstrap=0)
    >>> sorted(rep.to_dict())
    ['in', 'internal', 'layers', 'out']
    """
    gen = np.random.default_rng(rng)
    ib = bootstrap // 2 if internal_bootstrap is None else internal_bootstrap
    layers = tuple(n for n, _, _ in _pairs(before, after))
    return AttachmentReport(
        in_kernel=attachment_kernel(before, after, side="in", kmin=kmin, bootstrap=bootstrap,
                                    confidence=confidence, rng=gen),
        out_kernel=attachment_kernel(before, after, side="out", kmin=kmin, bootstrap=bootstrap,
                                     confidence=confidence, rng=gen),
        internal=internal_attachment(before, after, kmin=kmin, bootstrap=ib,
                                     confidence=confidence, rng=gen),
        layers=layers)
