"""Figures: degree CCDFs with fitted laws, and per-layer exponent summaries.

This is the only prunegraph module that imports matplotlib, lazily inside the functions (its
colours are seaborn's "colorblind" palette, written out: ``_COLORBLIND``).  Figures are built
as :class:`matplotlib.figure.Figure` objects on the Agg canvas directly, never through
``pyplot`` state, so nothing here changes the backend of a notebook or opens a window, and
:func:`save_figure` writes them atomically.

The functions take plain data: arrays of degrees and the ``to_dict()`` of the fit results
(:class:`prunegraph.fit.PowerLawFit`, :class:`prunegraph.fit.LikelihoodRatio`), so they work
as well on results read back from JSON.

Model curves (Clauset, Shalizi & Newman, SIAM Review 51, 661, 2009) are drawn as
complementary CDFs conditioned on the fitted tail ``xmin <= x [<= xmax]`` and scaled by the
tail's share of the sample, so that they lie on the empirical CCDF where the fit is good:

    P(X >= x) = (n_tail / n) * S(x | tail) + n_above / n,

with ``n_above`` the number of values above a truncation point ``xmax`` (zero without one).
For a family with untruncated survival function ``G(x) = P(X >= x)`` (up to a constant),
``S(x | tail) = (G(x) - G(x_end)) / (G(xmin) - G(x_end))`` where ``G(x_end)`` is ``0``
without truncation, ``G(xmax + 1)`` for discrete and ``G(xmax)`` for continuous data.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_path
from ..errors import InputError, UsageError
from .tables import ALTERNATIVE_LABELS, at_bound, fmt_int

__all__ = [
    "write_figures",
    "FigureWriter",
    "figure_jobs",
    "figure_captions",
    "render_job",
    "empirical_ccdf",
    "tail_ccdf",
    "alternative_tail_ccdf",
    "plot_ccdf",
    "plot_alpha_summary",
    "plot_depth",
    "save_figure",
    "best_alternative",
    "plot_accuracy_matrix",
    "plot_learning_curves",
    "plot_accuracy_vs_edges",
    "plot_capacity",
]

#: alternative name -> (display name from the one label table, parameter names as read from
#: ``LikelihoodRatio.parameters``)
ALTERNATIVE_CURVES: dict[str, tuple[str, tuple[str, ...]]] = {
    name: (ALTERNATIVE_LABELS[name], params) for name, params in (
        ("lognormal", ("mu", "sigma")),
        ("exponential", ("lambda",)),
        ("stretched_exponential", ("lambda", "beta")),
        ("truncated_power_law", ("alpha", "lambda")),
        ("poisson", ("mu",)),
        ("binomial", ("n", "p")),
    )
}

#: fewest distinct degrees in the fitted tail over which a power-law line is drawn; below it the
#: figure says why no line is drawn (a line through 2-4 points reads as a law it does not show)
MIN_DISTINCT = 5

_FIGSIZE = (6.0, 4.5)

#: resolution of the saved raster figures: 900 x 675 pixels for a CCDF, sharp at the report's
#: 36rem width on a high-density screen
_DPI = 150

#: fixed margins of a CCDF figure (``subplots_adjust`` fractions; no constrained layout)
_CCDF_MARGINS = dict(left=0.12, right=0.97, bottom=0.11, top=0.87)


# ----------------------------------------------------------------------------- data helpers
def _as_values(values: Any, name: str) -> np.ndarray:
    """Return ``values`` as a finite, non-negative float array, or raise InputError."""
    if hasattr(values, "values") and not isinstance(values, np.ndarray) and not callable(values.values):
        values = values.values  # a DegreeSequence
    try:
        arr = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise InputError(f"{name}: cannot read the degrees as numbers; pass a 1-d array of degrees") from None
    if arr.size and not np.all(np.isfinite(arr)):
        raise InputError(f"{name}: contains NaN or infinite values; pass finite degrees or strengths")
    if arr.size and arr.min() < 0:
        raise InputError(f"{name}: contains negative values; degrees and strengths are >= 0")
    return arr


def empirical_ccdf(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """Empirical complementary CDF ``P(X >= x)`` at each distinct positive value.

    Zeros (dead units) are excluded before counting, so the CCDF is that of the alive units.

    Parameters
    ----------
    values : array_like
        Degrees or strengths (non-negative, finite).

    Returns
    -------
    x : ndarray of float
        The distinct positive values, ascending.
    p : ndarray of float
        ``p[i] = #{v : v >= x[i]} / #{v : v > 0}``; ``p[0] == 1``.

    Examples
    --------
    >>> x, p = empirical_ccdf([0, 1, 1, 2, 4])
    >>> x.tolist(), p.tolist()
    ([1.0, 2.0, 4.0], [1.0, 0.5, 0.25])
    """
    arr = _as_values(values, "values")
    alive = np.sort(arr[arr > 0])
    if alive.size == 0:
        return np.empty(0), np.empty(0)
    x = np.unique(alive)
    p = (alive.size - np.searchsorted(alive, x, side="left")) / alive.size
    return x, p


def _param(params: Mapping[str, Any], name: str, alt: str) -> float:
    """Read parameter ``name`` case-insensitively (the powerlaw package writes ``Lambda``)."""
    for key, value in params.items():
        if str(key).lower() == name:
            if value is None:
                break
            try:
                out = float(value)
            except (TypeError, ValueError):
                break
            if math.isfinite(out):
                return out
            break
    raise UsageError(
        f"alternative {alt!r}: parameter {name!r} missing or not a finite number in 'parameters'; "
        f"pass {', '.join(ALTERNATIVE_CURVES[alt][1])}"
    )


def _log_survival(family: str, params: Mapping[str, Any], x: np.ndarray, *, discrete: bool) -> np.ndarray:
    """log G(x), G(x) proportional to the untruncated P(X >= x) of ``family``.

    Continuous families used on discrete data follow the powerlaw package's discretisation
    ``P(X = k) = F(k + 1) - F(k)``, whose survival at integer ``k`` is the continuous one.
    """
    from scipy import special, stats

    x = np.asarray(x, dtype=np.float64)
    if family == "power_law":
        alpha = float(params["alpha"])
        if discrete:
            with np.errstate(divide="ignore"):
                return np.log(special.zeta(alpha, x))
        return (1.0 - alpha) * np.log(x)
    if family == "lognormal":
        mu, sigma = _param(params, "mu", family), _param(params, "sigma", family)
        return stats.lognorm(s=sigma, scale=math.exp(mu)).logsf(x)
    if family == "exponential":
        lam = _param(params, "lambda", family)
        return -lam * x
    if family == "stretched_exponential":
        beta = _param(params, "beta", family)
        if "gamma" in params:
            # the fit's form γ = λβ: survival ∝ exp(-γ (x^β - 1)/β), which is the power law
            # x^(-γ) at its boundary β = 0 (λ = ∞ there); a constant shift cancels in the CCDF
            gamma = _param(params, "gamma", family)
            with np.errstate(over="ignore"):
                return -gamma * (np.log(x) if beta == 0 else np.expm1(beta * np.log(x)) / beta)
        lam = _param(params, "lambda", family)
        # Clauset et al.'s form p(x) ∝ x^(β-1) e^(-λ x^β): survival e^(-λ x^β)
        return -lam * np.power(x, beta)
    if family == "poisson":
        mu = _param(params, "mu", family)
        return stats.poisson(mu).logsf(np.ceil(x) - 1)
    if family == "binomial":
        n, p = _param(params, "n", family), _param(params, "p", family)
        return stats.binom(int(round(n)), p).logsf(np.ceil(x) - 1)
    if family == "truncated_power_law":
        alpha, lam = _param(params, "alpha", family), _param(params, "lambda", family)
        return _log_survival_tpl(alpha, lam, x, discrete=discrete)
    raise UsageError(f"alternative {family!r}: unknown distribution; use one of {', '.join(ALTERNATIVE_CURVES)}")


def _log_survival_tpl(alpha: float, lam: float, x: np.ndarray, *, discrete: bool) -> np.ndarray:
    """log of sum_{k>=x} k^-alpha e^(-lam k) (discrete) or its integral (continuous)."""
    from scipy import integrate, special

    if lam <= 0:
        if alpha <= 1:
            raise UsageError(f"alternative 'truncated_power_law': lambda={lam} with alpha={alpha} "
                             "is not normalisable; pass lambda > 0")
        return _log_survival("power_law", {"alpha": alpha}, x, discrete=discrete)
    if not discrete:
        # t = x e^v:  integral_x^inf t^-a e^(-lam t) dt
        #   = x^(1-a) e^(-lam x) * integral_0^inf exp((1-a) v - lam x (e^v - 1)) dv,
        # integrated over finite pieces: [0, v*] where the power law rules, [v*, v_end] where
        # the cut-off does, and nothing past v_end (integrand below e^-700 of its start).
        out = np.empty_like(x)
        for i, xi in enumerate(x):
            c = lam * xi
            f = lambda v, c=c: math.exp((1.0 - alpha) * v - c * math.expm1(v))  # noqa: E731
            v_star = math.log1p(1.0 / c)
            v_end = math.log1p(750.0 / c) + max(0.0, (1.0 - alpha)) * 2.0
            val = sum(integrate.quad(f, a, b, limit=200, epsabs=0.0, epsrel=1e-10)[0]
                      for a, b in ((0.0, v_star), (v_star, v_end)))
            out[i] = (1.0 - alpha) * math.log(xi) - c + math.log(val)
        return out
    lo = int(np.floor(x.min()))
    hi = int(np.ceil(x.max())) + int(math.ceil(60.0 / lam)) + 1
    hi = min(hi, int(x.max()) + 1_000_000)
    k = np.arange(lo, hi + 1, dtype=np.float64)
    logterm = -alpha * np.log(k) - lam * k
    shift = logterm.max()
    terms = np.exp(logterm - shift)
    # what lies beyond hi: at most zeta(alpha, hi + 1) * e^(-lam (hi + 1)), negligible by construction
    beyond = 0.0
    if alpha > 1:
        beyond = float(special.zeta(alpha, hi + 1)) * math.exp(-lam * (hi + 1) - shift)
    cums = np.cumsum(terms[::-1])[::-1] + beyond
    idx = np.clip(np.ceil(x).astype(np.int64) - lo, 0, k.size - 1)
    with np.errstate(divide="ignore"):
        return np.log(cums[idx]) + shift


def _conditional_ccdf(family: str, params: Mapping[str, Any], x: np.ndarray, *, xmin: float,
                      xmax: float | None, discrete: bool) -> np.ndarray:
    """P(X >= x | xmin <= X [<= xmax]) for ``family`` (see the module docstring)."""
    x = np.asarray(x, dtype=np.float64)
    parts: list[Any] = [[xmin], x]
    if xmax is not None:
        parts.append([xmax + 1.0 if discrete else xmax])
    pts = np.concatenate(parts)
    logg = _log_survival(family, params, pts, discrete=discrete)
    ref = logg[0]
    with np.errstate(over="ignore", invalid="ignore"):
        g = np.exp(logg - ref)  # G relative to G(xmin): values in [0, 1]
    g_end = g[-1] if xmax is not None else 0.0
    gx = g[1:1 + x.size]
    denom = 1.0 - g_end
    if not np.isfinite(ref) or denom <= 0:
        return np.full(x.shape, np.nan)
    with np.errstate(invalid="ignore"):
        out = (gx - g_end) / denom
    out = np.where(np.isfinite(out), np.clip(out, 0.0, 1.0), np.nan)
    if xmax is not None:
        out = np.where(x > xmax, 0.0, out)
    return out


def tail_ccdf(x: Any, *, alpha: float, xmin: float, xmax: float | None = None,
              discrete: bool = True) -> np.ndarray:
    """Power-law tail CCDF ``P(X >= x | xmin <= X [<= xmax])``.

    Discrete (CSN 2009, eq. 2.2, with Hurwitz zeta): ``zeta(alpha, x) / zeta(alpha, xmin)``;
    continuous: ``(x / xmin)^(1 - alpha)``.  With ``xmax`` the law is doubly truncated
    (Deluca & Corral 2013): ``(G(x) - G(xmax^+)) / (G(xmin) - G(xmax^+))``.

    Examples
    --------
    >>> tail_ccdf([1.0, 2.0, 4.0], alpha=2.0, xmin=1.0, discrete=False).tolist()
    [1.0, 0.5, 0.25]
    """
    x = np.atleast_1d(np.asarray(x, dtype=np.float64))
    return _conditional_ccdf("power_law", {"alpha": float(alpha)}, x, xmin=float(xmin),
                             xmax=None if xmax is None else float(xmax), discrete=discrete)


def alternative_tail_ccdf(x: Any, alternative: str, parameters: Mapping[str, Any], *, xmin: float,
                          xmax: float | None = None, discrete: bool = True) -> np.ndarray:
    """Tail CCDF ``P(X >= x | xmin <= X [<= xmax])`` of a fitted alternative distribution.

    Families and parameters (as named by the powerlaw package; ``Lambda`` or ``lambda``):
    ``lognormal`` (mu, sigma of ln x), ``exponential`` (lambda: ``e^(-lambda x)``),
    ``stretched_exponential`` (lambda, beta: survival ``e^(-lambda x^beta)``; or gamma = lambda beta
    and beta, as prunegraph.fit reports it, whose boundary beta = 0 is the power law x^-gamma;
    the powerlaw package's ``Lambda`` is ``lambda^(1/beta)``),
    ``truncated_power_law`` (alpha, lambda: ``x^-alpha e^(-lambda x)``), ``poisson`` (mu),
    ``binomial`` (n, p).  Survival functions come from :mod:`scipy.stats` where it has them.

    Examples
    --------
    >>> alternative_tail_ccdf([2.0, 3.0], "exponential", {"Lambda": math.log(2)}, xmin=2.0).round(12).tolist()
    [1.0, 0.5]
    """
    if alternative not in ALTERNATIVE_CURVES:
        raise UsageError(f"alternative {alternative!r}: unknown distribution; "
                         f"use one of {', '.join(ALTERNATIVE_CURVES)}")
    x = np.atleast_1d(np.asarray(x, dtype=np.float64))
    return _conditional_ccdf(alternative, parameters, x, xmin=float(xmin),
                             xmax=None if xmax is None else float(xmax), discrete=discrete)


def best_alternative(comparisons: Sequence[Mapping[str, Any]] | Mapping[str, Any] | None) -> dict | None:
    """The comparison most in favour of the alternative (lowest log-likelihood ratio R).

    ``R > 0`` favours the power law, ``R < 0`` the alternative (CSN 2009, sec. 5.1).
    Accepts the ``to_dict()`` of one :class:`~prunegraph.fit.LikelihoodRatio` (returned as is)
    or a list of them; entries without a finite ``R`` are skipped.

    Examples
    --------
    >>> best_alternative([{"alternative": "lognormal", "R": -1.2},
    ...                   {"alternative": "exponential", "R": 3.0}])["alternative"]
    'lognormal'
    """
    if comparisons is None:
        return None
    if isinstance(comparisons, Mapping):
        return dict(comparisons)
    best, best_r = None, math.inf
    for comp in comparisons:
        try:
            r = float(comp.get("R"))  # type: ignore[arg-type]  # a missing R raises TypeError, skipped below
        except (TypeError, ValueError):
            continue
        if math.isfinite(r) and r < best_r:
            best, best_r = dict(comp), r
    return best


# ----------------------------------------------------------------------------- formatting
def _fmt_p(p: Any) -> str:
    if p is None:
        return "n/a"
    p = float(p)
    if not math.isfinite(p):
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.3f}" if p < 0.1 else f"{p:.2f}"


def _fmt_num(v: Any) -> str:
    v = float(v)
    return f"{v:.0f}" if v == round(v) and abs(v) < 1e6 else f"{v:.3g}"


def _new_figure(ax, figsize=_FIGSIZE, *, margins: dict | None = None):
    """A new Agg Figure and Axes (or ``ax``'s): constrained layout, or fixed ``margins``
    (``subplots_adjust`` fractions; half the drawing time, for figures of a known layout)."""
    if ax is not None:
        return ax.figure, ax
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout=None if margins else "constrained")
    FigureCanvasAgg(fig)
    if margins:
        fig.subplots_adjust(**margins)
    return fig, fig.add_subplot()


#: seaborn's "colorblind" palette (Waskom, seaborn 0.13, ``color_palette("colorblind")``), as
#: 8-bit RGB hex: written out so that a figure worker need not import seaborn (0.3 s of CPU per
#: process); tests/test_plot.py checks it against seaborn's own
_COLORBLIND = ("#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc",
               "#ca9161", "#fbafe4", "#949494", "#ece133", "#56b4e9")


def _palette(n: int = 8) -> list:
    """``n`` colours (RGB floats) of the colorblind palette, cycled past its ten as seaborn does."""
    from matplotlib.colors import to_rgb

    return [to_rgb(_COLORBLIND[i % len(_COLORBLIND)]) for i in range(n)]


def _plot_grid(lo: float, hi: float, *, discrete: bool, n: int = 200) -> np.ndarray:
    if hi <= lo:
        return np.array([lo])
    if discrete:
        lo_i, hi_i = int(math.ceil(lo)), int(math.floor(hi))
        if hi_i - lo_i + 1 <= 2 * n:
            return np.arange(lo_i, hi_i + 1, dtype=np.float64)
        return np.unique(np.round(np.geomspace(lo_i, hi_i, 2 * n)))
    return np.geomspace(lo, hi, n)


# ----------------------------------------------------------------------------- figures
def _plain_tick(v: float, _pos=None) -> str:
    """A log-axis tick label as a plain number: 1, 20, 1000, 0.01, 1e-05."""
    return f"{v:g}"


def _share_tick(v: float, _pos=None) -> str:
    """A share's tick label, at most as wide as "0.001": 1, 0.1, 0.001, 1e-4, 1e-5 (the y tick
    labels' width sets how far left the axis label goes; "0.0001" pushed it out of the figure).

    Examples
    --------
    >>> [_share_tick(v) for v in (1.0, 0.2, 0.001, 1e-4, 2e-6)]
    ['1', '0.2', '0.001', '1e-4', '2e-6']
    """
    if 0 < v < 1e-3:
        mant, exp = f"{v:.0e}".split("e")
        return f"{mant}e{int(exp)}"
    return f"{v:g}"


#: the CCDF's y axis ends this factor below the smallest share plotted (the data's or the null's;
#: the model curves leave the plot there)
_CCDF_Y_FLOOR = 3.0


def _mantissa(v: float) -> float:
    """``v / 10**floor(log10 v)`` rounded: 2.0 for 0.02, 200 and 2000."""
    return round(v / 10.0 ** math.floor(math.log10(v) + 1e-9), 6)


def _ccdf_x_ticks(ax, lowest: float, *, discrete: bool) -> None:
    """Readable x ticks of a log-log CCDF over its view: plain numbers that never collide.

    Over less than 5× in view a log axis has one or two decade ticks: ~6 evenly spaced ones
    instead (integers for integer data); under 100× the decades and the minor ticks at 2 and 5 ×
    10ⁿ are labelled (every minor tick collided near a decade's top: "80 90100"); wider, the
    decades only (at least two in view).  For integer data nothing below the smallest degree
    ``lowest`` and no fraction is labelled (no "0.9" beside "1").
    """
    from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

    lo, hi = sorted(ax.get_xlim())  # the autoscaled view, as drawn

    def label(v, _pos=None):
        if discrete and (v < lowest * (1 - 1e-9) or abs(v - round(v)) > 1e-9 * max(1.0, abs(v))):
            return ""
        return _plain_tick(v)

    ax.xaxis.set_major_formatter(FuncFormatter(label))
    if hi / lo < 5:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10], integer=discrete))
        ax.xaxis.set_minor_locator(NullLocator())
    elif hi / lo < 100:
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _=None: label(v) if _mantissa(v) in (2.0, 5.0) else ""))
    else:
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _=None: ""))


def _ccdf_y_ticks(ax) -> None:
    """Share tick labels (:func:`_share_tick`); the minor ticks at 2 and 5 × 10ⁿ labelled too
    when less than a decade is in view (a layer of a few units)."""
    from matplotlib.ticker import FuncFormatter

    lo, hi = sorted(ax.get_ylim())
    narrow = lo > 0 and hi / lo < 10
    ax.yaxis.set_major_formatter(FuncFormatter(_share_tick))
    ax.yaxis.set_minor_formatter(FuncFormatter(
        lambda v, _=None: _share_tick(v) if narrow and _mantissa(v) in (2.0, 5.0) else ""))


def _wrap_pt(text: str, size: float, room: float) -> list[str]:
    """``text`` broken at spaces (and inside a word longer than a line) into lines at most
    ``room`` points wide at ``size`` points (:func:`_text_width_pt`); its newlines kept."""
    lines: list[str] = []
    for para in str(text).split("\n"):
        cur = ""
        for word in para.split(" "):
            cand = f"{cur} {word}" if cur else word
            if not cur or _text_width_pt([cand], size) <= room:
                cur = cand
            else:
                lines.append(cur)
                cur = word
            while _text_width_pt([cur], size) > room and len(cur) > 1:  # one word wider than a line
                k = len(cur) - 1
                while k > 1 and _text_width_pt([cur[:k]], size) > room:
                    k -= 1
                lines.append(cur[:k])
                cur = cur[k:]
        lines.append(cur)
    return lines


def _fit_line(line: str, size: float, room: float) -> str:
    """``line`` ended with "…" and shortened until it fits ``room`` points."""
    line = line.rstrip() + "…"
    while len(line) > 1 and _text_width_pt([line], size) > room:
        line = line[:-2].rstrip() + "…"
    return line


#: font size (points) of a CCDF's title and verdict
_CCDF_TITLE_SIZE = 10.0


def _ccdf_head(ax, title: str, verdict: str | None) -> str:
    """The CCDF's title and "verdict: …" line, wrapped to fit the figure's width above the Axes
    and cut (…) to the lines that fit between the Axes and the figure's top (3 with the fixed
    margins; the full verdict is in the caption and the report)."""
    import matplotlib

    size = _CCDF_TITLE_SIZE
    fig = ax.figure
    box = ax.get_position()
    mid = 0.5 * (box.x0 + box.x1)
    # centred on the Axes: twice the distance to the nearer figure edge, 5 % slack for the
    # measured advances (within 1 % at 150 dpi, 5 % at 100 dpi), 4 points each side
    room = (2.0 * min(mid, 1.0 - mid) * fig.get_figwidth() * _PT - 8.0) / 1.05
    pad = float(matplotlib.rcParams["axes.titlepad"])
    above = (1.0 - box.y1) * fig.get_figheight() * _PT - pad
    max_lines = max(1, int(above / (1.2 * size) + 0.02))  # matplotlib's line spacing 1.2
    lines = _wrap_pt(title, size, room) if title else []
    verdict_lines = _wrap_pt("verdict: " + str(verdict), size, room) if verdict else []
    keep_title = max(1, max_lines - (1 if verdict_lines else 0))
    if len(lines) > keep_title:
        lines = lines[:keep_title - 1] + [_fit_line(lines[keep_title - 1], size, room)]
    keep = max(0, max_lines - len(lines))
    if len(verdict_lines) > keep:
        verdict_lines = verdict_lines[:keep - 1] + [_fit_line(verdict_lines[keep - 1], size, room)] if keep else []
    return "\n".join(lines + verdict_lines)


def plot_ccdf(degrees: Any, *, fit: Mapping[str, Any] | None = None,
              alternative: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
              null_degrees: Any = None, title: str = "", ax=None, xlabel: str = "degree k",
              verdict: str | None = None, min_distinct: int = MIN_DISTINCT):
    """Log-log complementary CDF of a degree sequence with its fitted power law.

    Draws the empirical ``P(X >= x)`` of the alive units (zeros excluded; their count is in
    the data's legend entry), the fitted power law over ``[xmin, xmax or max]``
    scaled to the tail's share ``n_tail / n``, the best alternative's fitted CCDF over the
    same range, and the random-pruning null's empirical CCDF in grey.  No power-law line is
    drawn over a tail of fewer than ``min_distinct`` distinct degrees (a note says so), and a
    sequence with no fit gets a note in the middle (e.g. "too few units").  The y range is the
    data's (down to a third of the smallest share plotted, the layer's or the null's): a steep
    model curve leaves the plot at its bottom rather than squashing the data.  The ``verdict`` is
    written under the title, wrapped to the figure's width (at most three lines in all; the full
    text is in the caption).  Method: Clauset,
    Shalizi & Newman, SIAM Review 51 (2009), fig. 4; model curves as in the module docstring.

    Parameters
    ----------
    degrees : array_like or DegreeSequence
        Degrees (or strengths) of all units, zeros included.
    fit : dict, optional
        ``PowerLawFit.to_dict()``: reads ``alpha, sigma, xmin, xmax, n, n_tail, p_value,
        discrete, hit_bound``.
    alternative : dict or list of dict, optional
        ``LikelihoodRatio.to_dict()`` (or a list, of which the one with the lowest ``R`` is
        drawn): reads ``alternative, R, p_value, parameters``.
    null_degrees : array_like, optional
        Degrees of the random-pruning null of the same layer.
    title : str
        Axes title.
    ax : matplotlib Axes, optional
        Draw into this Axes instead of a new Figure.
    xlabel : str
        Label of the x axis.
    verdict : str, optional
        The verdict in words, written under the title.
    min_distinct : int
        Fewest distinct tail degrees for drawing the power-law line.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_ccdf([0, 1, 1, 2, 3, 5, 8, 13, 21], fit={"alpha": 2.1, "sigma": 0.3, "xmin": 2,
    ...                 "xmax": None, "n": 8, "n_tail": 6, "p_value": 0.4, "discrete": True})
    >>> [line.get_gid() for line in fig.axes[0].get_lines()]
    ['ccdf-data', 'ccdf-power-law', 'xmin-line']
    """
    arr = _as_values(degrees, "degrees")
    x, p = empirical_ccdf(arr)
    n_dead = int(np.sum(arr == 0))
    fig, ax = _new_figure(ax, margins=_CCDF_MARGINS)
    colors = _palette()

    shares = [float(p.min())] if x.size else []  # the smallest share plotted, of the data and the null
    lows = [float(x.min())] if x.size else []  # the smallest degree plotted
    whole = bool(np.allclose(x, np.round(x)))  # integer degrees (not strengths)
    if null_degrees is not None:
        nx_, np_ = empirical_ccdf(_as_values(null_degrees, "null_degrees"))
        if nx_.size:
            shares.append(float(np_.min()))
            lows.append(float(nx_.min()))
            whole = whole and bool(np.allclose(nx_, np.round(nx_)))
            (ln,) = ax.plot(nx_, np_, marker="s", ms=3, ls="none", color="0.6", alpha=0.8,
                            label="random-pruning null", zorder=1)
            ln.set_gid("ccdf-null")

    if x.size:
        # the dead units' count in the data's legend entry: text under the axes collided with the
        # tick labels and the axis label in small panels (notebook 01's grids)
        (ld,) = ax.plot(x, p, marker="o", ms=4, ls="none", color=colors[0], zorder=3,
                        label=f"data ({fmt_int(n_dead)} dead unit{'' if n_dead == 1 else 's'} left out)" if n_dead
                        else "data")
        ld.set_gid("ccdf-data")

    note = None
    if fit is not None and x.size:
        note = _draw_fits(ax, arr, fit, alternative, colors, min_distinct=min_distinct)
    elif x.size == 1:
        n_alive = int(np.sum(arr > 0))
        note = (f"a single alive unit (degree {_fmt_num(x[0])}): nothing to fit" if n_alive == 1 else
                f"all {fmt_int(n_alive)} alive units have degree {_fmt_num(x[0])}: one point, nothing to fit")
    elif x.size:
        note = "no power law fitted" + (" (see the verdict above)" if verdict else "")

    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_minor_locator(_in_view(axis.get_minor_locator()))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("P(K ≥ k)")
    if x.size:
        # the y range is the data's (the layer's and its null's shares), not the model curves':
        # a steep fit falls decades below the smallest share 1/n and would squash the data
        ax.set_ylim(min(shares) / _CCDF_Y_FLOOR, 1.25)  # a share: never above 1
        _ccdf_x_ticks(ax, min(lows), discrete=whole)
    _ccdf_y_ticks(ax)
    head = _ccdf_head(ax, title, verdict)
    if head:
        # y=1.0 is where matplotlib's automatic placement puts it here (x tick labels at the
        # bottom, no y offset text on a log axis); fixed, it skips a tick-label layout pass
        # (a third of the drawing time), same pixels
        ax.set_title(head, fontsize=_CCDF_TITLE_SIZE, y=1.0)
    ax.grid(True, which="major", alpha=0.3)
    if x.size == 0:
        note = f"no alive units ({fmt_int(n_dead)} dead)" if n_dead else "no units"
    if note:
        ax.text(0.5, 0.5, _wrap(note, 40), transform=ax.transAxes, ha="center", va="center",
                fontsize=9, color="0.25", gid="ccdf-note",
                bbox=dict(boxstyle="round", fc="white", ec="0.7", alpha=0.9))
    if ax.get_legend_handles_labels()[0]:
        # where it hides the fewest points and curves: with the y range the data's, the lower left
        # (the usual empty corner of a falling CCDF) holds the null's or the data's lowest points
        ax.legend(loc="best", fontsize=7.5, framealpha=0.85)
    return fig


def _in_view(inner):
    """``inner`` (a log axis' minor locator) with its ticks outside the view left out.

    Matplotlib builds a tick (two lines, two labels) for every location the locator returns and
    then draws only those inside the view; a log axis' minor locator returns whole decades, a
    third of them outside, and building ticks is a quarter of a CCDF's drawing time.  The kept
    range is wider (relative 1e-6) than matplotlib's own test, so the drawn ticks are the same.
    """
    from matplotlib.ticker import Locator

    class InView(Locator):
        wrapped = inner

        def set_axis(self, axis):
            super().set_axis(axis)
            inner.set_axis(axis)

        def __call__(self):
            locs = np.asarray(inner())
            if self.axis is None:  # not attached to an axis yet: nothing to filter by
                return locs
            lo, hi = sorted(self.axis.get_view_interval())
            return locs[(locs >= lo * (1 - 1e-6)) & (locs <= hi * (1 + 1e-6))]

        def tick_values(self, vmin, vmax):
            return inner.tick_values(vmin, vmax)

    return InView()


def _minor_ticks_as_markers(ax) -> None:
    """Draw each axis' unlabelled minor ticks as one marker line instead of one Tick each.

    Matplotlib draws every tick as its own artists (two tick lines, a grid line, two labels),
    each through the whole artist machinery; a log axis over three decades has some 25 minor
    ticks, and drawing them is up to a fifth of a CCDF figure's time.  Here the minor ticks in
    view (those ``Axis.draw`` would draw: not on a major tick, inside the view interval) become
    one :class:`~matplotlib.lines.Line2D` with the ticks' own marker, size, width, colour,
    transform and z-order, and the axis' minor locator a ``NullLocator``: the same pixels
    (tests/test_plot.py), for a figure that is saved at once.  A figure a user may still zoom
    keeps matplotlib's ticks (this is applied by :func:`render_job` only), and so does an axis
    whose minor ticks carry labels (a narrow range).
    """
    from matplotlib.lines import Line2D
    from matplotlib.ticker import NullLocator

    for axis in (ax.xaxis, ax.yaxis):
        if isinstance(axis.get_minor_locator(), NullLocator):
            continue
        locs = np.asarray(axis.get_minorticklocs(), float)
        if not locs.size or any(axis.minor.formatter.format_ticks(locs)):
            continue
        # the view test of Axis._update_ticks: inside the transformed view, relative slack 1e-10
        tr = axis.get_transform()
        lo, hi = sorted(tr.transform(np.asarray(axis.get_view_interval(), float)))
        slack = (hi - lo) * 1e-10
        loc_t = tr.transform(locs)
        locs = locs[(loc_t >= lo - slack) & (loc_t <= hi + slack)]
        template = axis.get_minor_ticks(1)[0].tick1line
        axis.set_minor_locator(NullLocator())
        if not locs.size or not template.get_visible():
            continue
        xy = (locs, np.zeros_like(locs)) if axis is ax.xaxis else (np.zeros_like(locs), locs)
        line = Line2D(*xy, linestyle="none", marker=template.get_marker(), markersize=template.get_markersize(),
                      markeredgewidth=template.get_markeredgewidth(), color=template.get_color(),
                      markeredgecolor=template.get_markeredgecolor(), zorder=template.get_zorder(),
                      transform=template.get_transform(), clip_on=False, label="_minor_ticks", gid="minor-ticks")
        ax.add_artist(line)  # not add_line: the data limits stay those of the plotted data


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def _draw_fits(ax, arr: np.ndarray, fit: Mapping[str, Any], alternative, colors, *,
               min_distinct: int = MIN_DISTINCT) -> str | None:
    """Draw the fitted power law and the best alternative; return a note when not drawn."""
    alive = arr[arr > 0]
    alpha = fit.get("alpha")
    xmin = fit.get("xmin")
    if alpha is None or xmin is None or not math.isfinite(float(alpha)):
        return "no power law fitted"
    alpha, xmin = float(alpha), float(xmin)
    xmax = fit.get("xmax")
    xmax = None if xmax is None else float(xmax)
    discrete = fit.get("discrete")
    discrete = bool(np.allclose(alive, np.round(alive))) if discrete is None else bool(discrete)
    if xmin <= 0:
        raise UsageError(f"fit: xmin={xmin} must be > 0; pass the to_dict() of a fitted PowerLawFit")
    n = fit.get("n") or alive.size
    n_tail = fit.get("n_tail")
    if n_tail is None:
        n_tail = int(np.sum((alive >= xmin) & ((alive <= xmax) if xmax is not None else True)))
    share = float(n_tail) / float(n)
    n_above = int(np.sum(alive > xmax)) / alive.size if xmax is not None else 0.0
    x_end = xmax if xmax is not None else float(alive.max())
    tail = alive[(alive >= xmin) & ((alive <= xmax) if xmax is not None else True)]
    n_distinct = int(np.unique(tail).size)
    if n_distinct < min_distinct:
        ax.axvline(xmin, color=colors[3], lw=0.8, ls=":", zorder=0, gid="xmin-line",
                   label=f"xmin = {_fmt_num(xmin)} (fitted tail starts)")
        what = f"α at the fit's bound, ≥ {alpha:g}" if at_bound(fit.get("hit_bound")) else f"α = {alpha:.2f}"
        return (f"power law ({what}) not drawn: its tail has only {n_distinct} distinct "
                f"degree{'s' if n_distinct != 1 else ''} (< {min_distinct})")
    grid = _plot_grid(xmin, max(x_end, xmin), discrete=discrete)

    y = share * tail_ccdf(grid, alpha=alpha, xmin=xmin, xmax=xmax, discrete=discrete) + n_above
    hit = at_bound(fit.get("hit_bound"))
    label = f"power law, α at the fit's bound (≥ {alpha:g}, not measured)" if hit else f"power law α = {alpha:.2f}"
    sigma = fit.get("sigma")
    if sigma is not None and math.isfinite(float(sigma)) and not hit:
        label += f" ± {float(sigma):.2f}"
    if xmax is not None:
        label += f", xmax = {_fmt_num(xmax)}"
    p_text = _fmt_p(fit.get("p_value"))
    label += f", GoF p {p_text if p_text.startswith('<') else '= ' + p_text}"
    ok = np.isfinite(y) & (y > 0)
    (lf,) = ax.plot(grid[ok], y[ok], color=colors[3], lw=2, label=label, zorder=4)
    lf.set_gid("ccdf-power-law")
    ax.axvline(xmin, color=colors[3], lw=0.8, ls=":", zorder=0, gid="xmin-line",
               label=f"xmin = {_fmt_num(xmin)} (fitted tail starts)")

    best = best_alternative(alternative)
    if best is None or not best.get("parameters"):
        return None
    name = best.get("alternative")
    if name not in ALTERNATIVE_CURVES:
        return None
    try:
        ya = share * alternative_tail_ccdf(grid, name, best["parameters"], xmin=xmin, xmax=xmax,
                                           discrete=discrete) + n_above
    except UsageError as exc:  # e.g. an alternative whose own fit failed (NaN parameters)
        warnings.warn(f"plot_ccdf: {name} curve not drawn: {exc}", RuntimeWarning, stacklevel=3)
        return None
    ok = np.isfinite(ya) & (ya > 0)
    r = best.get("R")
    alt_label = f"{ALTERNATIVE_CURVES[name][0]}"
    if r is not None and math.isfinite(float(r)):
        p_text = _fmt_p(best.get("p_value"))
        # the sign convention in four words (CSN's R = ln L_PL − ln L_alt); one legend row, not two
        alt_label += (f" (R = {float(r):.2f}, p {p_text if p_text.startswith('<') else '= ' + p_text};"
                      " R < 0 favours it)")
    (la,) = ax.plot(grid[ok], ya[ok], color=colors[2], lw=1.5, ls="--", label=alt_label, zorder=4)
    la.set_gid("ccdf-alternative")
    return None


#: points per inch
_PT = 72.0

#: legend entry of an α that stopped at the fit's bound (α summary, depth figure): drawn as a
#: triangle at the top of the plot, not as a point
_BOUND_LABEL = "α at the fit's bound (≥ 100): marked ▲ at the top, no measured exponent"
_BOUND_SHORT = "α at the fit's bound (≥ 100), marked ▲ at the top"


def _text_width_pt(texts: Sequence[str], size: float) -> float:
    """Width in points of the widest line of ``texts`` at ``size`` points, as Agg draws it at the
    saved resolution (:data:`_DPI`): the sum of the glyphs' hinted advances (DejaVu Sans, the
    default font; kerning left out).  Within 1 % of the drawn width at 150 dpi and 5 % at 100-110
    dpi, at a thousandth of the cost of laying the text out (one advance per distinct character)
    -- what a figure with a manual layout needs to size its margins without drawing twice.

    Examples
    --------
    >>> 20 < _text_width_pt(["fc1", "a\\nlonger line"], 8) < 60
    True
    """
    from matplotlib.backends.backend_agg import get_hinting_flag
    from matplotlib.font_manager import FontProperties, findfont, get_font

    flags = get_hinting_flag()
    advance = _ADVANCES.setdefault((size, str(flags)), {})
    font = None
    widest = 0.0
    for text in texts:
        for line in str(text).split("\n"):
            w = 0.0
            for ch in line:
                if ch not in advance:
                    if font is None:
                        font = get_font(findfont(FontProperties(size=size)))
                        font.set_size(size, _DPI)
                    advance[ch] = font.load_char(ord(ch), flags=flags).horiAdvance / 64.0 * _PT / _DPI
                w += advance[ch]
            widest = max(widest, w)
    return widest


#: glyph advances (points) measured by :func:`_text_width_pt`, by (font size, hinting flags)
_ADVANCES: dict[tuple[float, str], dict[str, float]] = {}


def _text_height_pt(lines: int, size: float) -> float:
    """Height in points of ``lines`` lines of text at ``size`` points (matplotlib's line spacing
    1.2, plus the descent of the last line)."""
    return (1.2 * max(lines, 1) + 0.1) * size


def _legend_width_pt(labels: Sequence[str], size: float) -> float:
    """Width in points of a frameless legend of ``labels`` at ``size`` points: border pad, handle,
    handle pad and text (matplotlib's defaults 0.4, 2.0, 0.8 font sizes), 5 % of slack for other
    resolutions."""
    return 1.05 * _text_width_pt(labels, size) + (0.4 + 2.0 + 0.8 + 0.4) * size + 2.0


def _block_prefix(name: str) -> tuple[str, str]:
    """A layer name split after its first numbered part that is not the last: the block and the
    layer within it ("encoder.layer.3.attention.self.query" -> "encoder.layer.3",
    "attention.self.query"); without one, after its first part ("embeddings.word_embeddings" ->
    "embeddings", "word_embeddings"); ``("", name)`` for a name of one part ("fc1").

    Examples
    --------
    >>> _block_prefix("model.layers.10.mlp.up_proj"), _block_prefix("features.0"), _block_prefix("fc1")
    (('model.layers.10', 'mlp.up_proj'), ('features', '0'), ('', 'fc1'))
    """
    parts = name.split(".")
    for k, part in enumerate(parts[:-1]):
        if part.isdigit():
            return ".".join(parts[:k + 1]), ".".join(parts[k + 1:])
    return (parts[0], ".".join(parts[1:])) if len(parts) > 1 else ("", name)


def _layer_names(groups: Sequence[tuple[str, int, int]], row_pt: float,
                 size: float) -> tuple[list[str], list[tuple[str, int, int]]]:
    """The names of an α summary's layer groups ``(layer, first row, last row)`` as written under
    them, and the blocks ``(prefix, first row, last row)`` written once below: a run of two or
    more layers of one block (:func:`_block_prefix`) loses the prefix from its names when the
    prefix, written across, fits under the run's ``row_pt``-point-wide positions."""
    split = [_block_prefix(g[0]) for g in groups]
    shown = [g[0] for g in groups]
    blocks: list[tuple[str, int, int]] = []
    k = 0
    while k < len(groups):
        end = k
        while end + 1 < len(groups) and split[end + 1][0] == split[k][0]:
            end += 1
        prefix, first, last = split[k][0], groups[k][1], groups[end][2]
        if prefix and end > k and _text_width_pt([prefix], size) * 1.05 + 6.0 <= (last - first + 1) * row_pt:
            shown[k:end + 1] = [sp[1] for sp in split[k:end + 1]]
            blocks.append((prefix, first, last))
        k = end + 1
    return shown, blocks


def _legend_columns(labels: Sequence[str], size: float, room: float) -> tuple[int, int]:
    """(columns, rows) of the widest legend of ``labels`` at ``size`` points that fits ``room``
    points: matplotlib fills columns top to bottom, each as wide as its widest entry, 2 font sizes
    apart."""
    for ncol in range(len(labels), 1, -1):
        rows = -(-len(labels) // ncol)
        cols = [labels[i:i + rows] for i in range(0, len(labels), rows)]
        width = sum(_legend_width_pt(c, size) - 0.4 * size for c in cols) + 2.0 * size * (len(cols) - 1)
        if width <= room:
            return len(cols), rows
    return 1, len(labels)


def _fixed_margins(fig, *, left: float, right: float, bottom: float, top: float, **kw) -> None:
    """Place ``fig``'s subplots ``left``/``right``/``bottom``/``top`` points from its edges."""
    w, h = fig.get_size_inches() * _PT
    fig.subplots_adjust(left=left / w, right=1.0 - right / w, bottom=bottom / h, top=1.0 - top / h, **kw)


#: widest x distance between the positions of a many-row α summary, and the narrowest (so that
#: the 7-point vertical labels, 8.5 points a line, never touch), in inches
_ROW_IN = (0.45, 0.17)

#: plot area of an α summary, inches: widest span of a many-row one (past it the span grows by
#: ``_ROW_IN[1]`` a row), height with upright labels, height with wrapped ones
_ALPHA_AXES_IN = (13.6, 3.2, 3.6)


def plot_alpha_summary(rows: Sequence[Mapping[str, Any]], *, title: str = "", ax=None,
                       pruned_label: str = "pruned", null_label: str = "random-pruning null"):
    """Per-layer fitted exponent α ± σ of the pruned model beside the random-pruning null.

    One x position per row (``layer`` with its degree ``kind``), the pruned model's α with a
    σ error bar on the left, the null's on the right, and the verdict's short label (from
    ``verdict_code``, else the ``verdict`` text as given) under each label.  Past 8 rows the labels
    turn vertical and name the layer once for its consecutive rows: each position reads
    ``kind · verdict``, the layer's name stands below its positions, and a transformer block's
    prefix ("encoder.layer.3") is written once, across, below its layers' names when it fits
    (:func:`_layer_names`); these labels are texts at fixed places (gid ``alpha-label``) above one
    line of tick marks, not matplotlib x ticks.  The band 2 ≤ α ≤ 3,
    where most empirical scale-free networks lie (CSN 2009, table 6.1), is shaded for
    orientation.  Rows whose α is missing draw nothing for it ("no fit" below the dashed line);
    an α at the fit's search bound (``hit_bound`` / ``null_hit_bound`` true) is no measured
    exponent and is marked by a triangle at the top instead of plotted.

    A new figure is laid out once, from the sizes of its texts (:func:`_text_width_pt`), not by
    constrained layout (which draws the figure an extra time): its width grows with the rows
    (at least 0.17 inch each, so that vertical labels never touch), and the margins hold the
    labels, the title and the legend (in rows above the plot, or right of a plot too narrow
    for two of its entries side by side).

    Parameters
    ----------
    rows : list of dict
        Keys ``layer``, ``kind``, ``alpha``, ``sigma``, ``null_alpha``, ``null_sigma``,
        ``hit_bound``, ``null_hit_bound``, ``verdict_code`` / ``verdict`` (all but ``layer`` optional).
    title : str
        Axes title.
    ax : matplotlib Axes, optional
        Draw into this Axes instead of a new Figure (its layout is then the caller's).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_alpha_summary([{"layer": "fc1", "kind": "in", "alpha": 2.4, "sigma": 0.1,
    ...                            "null_alpha": 4.9, "null_sigma": 0.6, "verdict": "power law"}])
    >>> sorted(ln.get_gid() for ln in fig.axes[0].get_lines() if ln.get_gid())
    ['alpha-null', 'alpha-pruned']
    """
    rows = list(rows)
    if not rows:
        raise UsageError("plot_alpha_summary: rows is empty; pass one dict per layer")
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping) or "layer" not in row:
            raise UsageError(f"plot_alpha_summary: row {i} has no 'layer'; pass dicts with layer, alpha, sigma, ...")

    def val(row, key):
        v = row.get(key)
        try:
            v = float(v)
        except (TypeError, ValueError):
            return np.nan
        return v if math.isfinite(v) else np.nan

    n = len(rows)
    pos = np.arange(n, dtype=float)
    a = np.array([val(r, "alpha") for r in rows])
    s = np.nan_to_num(np.array([val(r, "sigma") for r in rows]))
    na = np.array([val(r, "null_alpha") for r in rows])
    ns = np.nan_to_num(np.array([val(r, "null_sigma") for r in rows]))
    # an alpha at the fit's search bound is the bound, not a measured exponent: never plotted
    # as a value, marked by a triangle at the top instead
    bound = np.array([at_bound(r.get("hit_bound")) for r in rows], dtype=bool) & np.isfinite(a)
    nbound = np.array([at_bound(r.get("null_hit_bound")) for r in rows], dtype=bool) & np.isfinite(na)
    a[bound], na[nbound] = np.nan, np.nan

    # the x labels: few rows, "layer\n(kind)\nverdict" wrapped under each position; many rows,
    # "kind · verdict" upright under each position and the layer's name once below its run of rows
    many = n > 8
    tick_size = 7 if many else 8
    verdicts = [_short_verdict(r) if (r.get("verdict_code") or r.get("verdict")) else "" for r in rows]
    groups: list[tuple[str, int, int]] = []  # (layer, first row, last row) of consecutive rows
    for i, r in enumerate(rows):
        if groups and groups[-1][0] == str(r["layer"]):
            groups[-1] = (groups[-1][0], groups[-1][1], i)
        else:
            groups.append((str(r["layer"]), i, i))
    labels = []
    for r, short in zip(rows, verdicts):
        kind = str(r.get("kind") or "")
        if many:
            labels.append(" · ".join(t for t in (kind, short) if t) or str(r["layer"]))
        else:
            lab = str(r["layer"]) + (f"\n({kind})" if kind else "")
            labels.append(lab + ("\n" + _wrap(short, 13) if short else ""))
    names = bool(many and any(labels))  # the layers named below the labels
    shown: list[str] = []  # each group's name as written (its block's prefix taken out)
    blocks: list[tuple[str, int, int]] = []  # (prefix, first row, last row) written once below the names

    colors = _palette()
    # the legend's entries in matplotlib's order (patches, lines, collections, then the error bars)
    legend_labels = ["scale-free range 2 ≤ α ≤ 3"]
    if bool((np.isnan(a) & ~bound).any() or (np.isnan(na) & ~nbound).any()):
        legend_labels.append("'no fit' (below the dashed line): not fitted")
    if bound.any() or nbound.any():
        legend_labels.append(_BOUND_LABEL)
    legend_labels += [pruned_label, null_label]
    own = ax is None
    ncol = 1  # legend columns: one, right of the plot; a row above a many-row plot (as wide as the rows)
    if own:
        # margins in points, from the texts they hold; the width from the rows
        tick_pt = 3.5 + 3.5  # tick length and pad
        if many:
            span = min(_ALPHA_AXES_IN[0], max(_ROW_IN[0] * n, 5.0))
            span = max(span, _ROW_IN[1] * n)
            label_pt = _text_width_pt(labels, tick_size) * 1.05 + 1.0
            bottom = tick_pt + label_pt + 6.0
            if names:
                shown, blocks = _layer_names(groups, span * _PT / n, tick_size)
                bottom += 4.0 + _text_width_pt(shown, tick_size) * 1.05 + 1.0
                bottom += 6.0 + _text_height_pt(1, tick_size) if blocks else 0.0
        else:
            lines = max(lab.count("\n") + 1 for lab in labels)
            bottom = tick_pt + _text_height_pt(lines, tick_size) + 6.0
            # room for a 13-character line between positions, or for the longest layer name
            span = max(1.15 * n, 2.6, n * (_text_width_pt(labels, tick_size) * 1.05 + 8.0) / _PT)
        left = 52.0  # y label and y tick labels (at most 4 characters: "17.5", "100")
        title_pt = _text_width_pt([title], 12) * 1.05 + 4.0 if title else 0.0
        top = 6.0 + (_text_height_pt(1, 12) + 6.0 if title else 4.0)
        # the legend in as few rows above the plot as its width allows (no empty column at the
        # right), or right of a plot too narrow for two of its entries side by side
        ncol, legend_rows = _legend_columns(legend_labels, 8, span * _PT)
        if ncol > 1:
            legend_pt = (0.8 + 1.17 * legend_rows + 0.5 * (legend_rows - 1)) * 8 + 4.0
            top += legend_pt + 2.0
            right = 12.0
        else:
            right = _legend_width_pt(legend_labels, 8) + 0.01 * span * _PT + 6.0
        width_in = max((left + right) / _PT + span, (left + title_pt + 6.0) / _PT)
        height_in = (top + bottom) / _PT + _ALPHA_AXES_IN[1 if many else 2]
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=(width_in, height_in))
        FigureCanvasAgg(fig)
        _fixed_margins(fig, left=left, right=(width_in - span) * _PT - left, bottom=bottom, top=top)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    ax.axhspan(2.0, 3.0, color="0.9", zorder=0, label=legend_labels[0])
    off = 0.15
    c1 = ax.errorbar(pos - off, a, yerr=s, fmt="o", ms=6, capsize=3, color=colors[0],
                     label=pruned_label, zorder=3)
    c1.lines[0].set_gid("alpha-pruned")
    c2 = ax.errorbar(pos + off, na, yerr=ns, fmt="s", ms=6, capsize=3, color=colors[1],
                     mfc="white", label=null_label, zorder=3)
    c2.lines[0].set_gid("alpha-null")
    import matplotlib.transforms as mtransforms

    # y range: the data and the band, with a strip below the band (at most 1.0 in α, never
    # inside 2 ≤ α ≤ 3) for the "no fit" markers, so a missing fit never reads as scale-free
    finite = np.concatenate([(a - s)[np.isfinite(a)], (a + s)[np.isfinite(a)],
                             (na - ns)[np.isfinite(na)], (na + ns)[np.isfinite(na)]])
    hi = max(3.5, float(finite.max()) * 1.05 if finite.size else 3.5)
    lo_data = min(2.0, float(finite.min()) if finite.size else 2.0)
    strip = 0.16 * (hi - lo_data) / 0.84
    lo = lo_data - strip
    ax.set_ylim(lo, hi)
    trans = mtransforms.blended_transform_factory(ax.transData, ax.transAxes)
    miss, nmiss = np.isnan(a) & ~bound, np.isnan(na) & ~nbound
    # where the two markers of a row stand closer than a line of text (many rows): one grey
    # "no fit" for both
    close = 2 * off * span * _PT / n < 1.4 * 7 if own else many
    both = miss & nmiss if close else np.zeros(n, dtype=bool)
    for xs, sel, color in ((pos - off, miss & ~both, colors[0]), (pos + off, nmiss & ~both, colors[1]),
                           (pos, both, "0.35")):
        for xi in xs[sel]:
            ax.text(xi, 0.015, "no fit", transform=trans, rotation=90, ha="center", va="bottom",
                    fontsize=7, color=color, gid="no-fit")
    missing = bool(miss.any() or nmiss.any())
    if missing:
        ax.axhline(lo_data - 0.1 * strip, color="0.75", lw=0.6, ls="--", zorder=0,
                   label="'no fit' (below the dashed line): not fitted")
    if bound.any() or nbound.any():
        xb = np.concatenate([(pos - off)[bound], (pos + off)[nbound]])
        cb = [colors[0]] * int(bound.sum()) + [colors[1]] * int(nbound.sum())
        ax.scatter(xb, np.full(xb.size, 0.975), transform=trans, marker="^", s=40, clip_on=False, zorder=4,
                   c=cb, gid="alpha-at-bound", label=_BOUND_LABEL)
        for xi, color in zip(xb, cb):
            ax.text(xi, 0.945, "α ≥ 100 (bound)", transform=trans, rotation=90, ha="center", va="top",
                    fontsize=7, color=color, gid="at-bound")
    ax.set_yticks([t for t in ax.get_yticks() if lo_data - 1e-9 <= t <= hi])
    ax.set_ylim(lo, hi)

    def at(offset):  # x in data, y ``offset`` points below the plot's bottom edge
        return trans + mtransforms.ScaledTranslation(0.0, offset / _PT, fig.dpi_scale_trans)

    if many:
        # upright labels at fixed places under the positions and the tick marks as one marker
        # line: what matplotlib's x ticks draw, without a Tick object (five artists) per position,
        # a fifth of a many-row figure's time; the labels are texts with gid "alpha-label"
        import matplotlib as mpl
        from matplotlib.lines import Line2D

        ax.set_xticks([])
        size, pad = mpl.rcParams["xtick.major.size"], mpl.rcParams["xtick.major.pad"]
        ax.add_artist(Line2D(pos, np.zeros(n), linestyle="none", marker=3, markersize=size,  # 3: TICKDOWN
                             markeredgewidth=mpl.rcParams["xtick.major.width"], color=mpl.rcParams["xtick.color"],
                             transform=trans, clip_on=False, gid="alpha-ticks"))
        for x, label in zip(pos, labels):
            ax.text(x, 0.0, label, transform=at(-(size + pad)), rotation=90, ha="center", va="top",
                    fontsize=tick_size, gid="alpha-label")
    else:
        ax.set_xticks(pos, labels, fontsize=tick_size)
    if names:
        if not own:  # the caller's Axes: its rows as wide as it is now
            shown, blocks = _layer_names(groups, ax.get_position().width * fig.get_size_inches()[0] * _PT / n,
                                         tick_size)
        from matplotlib.collections import LineCollection

        # each layer's name once, upright, centred under its run of positions, below the longest
        # "kind · verdict" label (measured, not drawn: a constant offset in points), with a bracket
        # over a name that spans several positions, joining it to their labels
        below = -(3.5 + 3.5 + _text_width_pt(labels, tick_size) * 1.05 + 1.0 + 4.0)
        for name, (_, i0, i1) in zip(shown, groups):
            ax.text((i0 + i1) / 2, 0.0, name, transform=at(below), rotation=90, ha="center", va="top",
                    fontsize=tick_size, gid="alpha-layer-name")
        spans = [[(i0 - 0.3, 0.0), (i1 + 0.3, 0.0)] for _, i0, i1 in groups if i1 > i0]
        if spans:
            ax.add_collection(LineCollection(spans, colors="0.45", linewidths=0.6, transform=at(below + 2.5),
                                             clip_on=False, gid="alpha-layer-bracket"), autolim=False)
        if blocks:  # the shared prefix of a run of layers (a transformer block), once, under a longer bracket
            lower = below - _text_width_pt(shown, tick_size) * 1.05 - 1.0 - 6.0
            for prefix, i0, i1 in blocks:
                ax.text((i0 + i1) / 2, 0.0, prefix, transform=at(lower), ha="center", va="top",
                        fontsize=tick_size, gid="alpha-block-name")
            ax.add_collection(LineCollection([[(i0 - 0.4, 0.0), (i1 + 0.4, 0.0)] for _, i0, i1 in blocks],
                                             colors="0.45", linewidths=0.6, transform=at(lower + 2.5),
                                             clip_on=False, gid="alpha-block-bracket"), autolim=False)
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_ylabel("fitted exponent α (± σ)")
    if title:
        # where automatic placement puts it (as in plot_ccdf), cheaper, or above the legend's rows;
        # from the plot's left edge when wider than the plot (a centred one would be cut at the
        # figure's left edge)
        wide = own and title_pt > span * _PT
        t = ax.set_title(title, y=1.0, pad=6.0 + (legend_pt + 2.0 if ncol > 1 else 0.0))
        if wide:  # still the Axes' title (get_title(), the report's caption), aligned left
            t.set_x(0.0)
            t.set_horizontalalignment("left")
    ax.grid(True, axis="y", alpha=0.3)
    if ncol > 1:
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=ncol, fontsize=8, frameon=False)
    else:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return fig


#: 95 % normal interval of a fitted alpha: alpha ± Z95 sigma
Z95 = 1.959963984540054


def plot_depth(blocks: Sequence[Mapping[str, Any]], *, title: str = ""):
    """Fitted exponent α and verdicts against transformer block depth, attention vs MLP.

    One column per degree kind.  Top row: each projection's α with its 95 % interval
    α ± 1.96 σ (attention q, k, v, o as circles left of the depth, MLP up, down (and gate) as squares
    right of it) and the group's median α per block as a line; the scale-free range
    2 ≤ α ≤ 3 is shaded.  Bottom row: per block the verdicts of the attention (left bar) and the
    MLP (right bar, hatched) projections, stacked by verdict.  The data are exactly the rows of
    :func:`prunegraph.analysis.block_summary` (``to_dict()``), so the figure and the per-block
    table agree.

    Parameters
    ----------
    blocks : list of dict
        ``BlockSummary.to_dict()`` rows: ``depth``, ``group`` ("attention"/"mlp"),
        ``degree_kind``, ``alpha_median``, ``verdicts`` (label -> count), ``alphas``, ``sigmas``,
        ``at_bound`` (optional; an alpha at the fit's bound is marked by a triangle at the top, not
        plotted as a value).
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> rows = [{"depth": d, "group": g, "degree_kind": "in", "alpha_median": 3.0 + d,
    ...          "verdicts": {"rejected": 2}, "alphas": [3.0 + d, 3.0 + d], "sigmas": [0.1, 0.2]}
    ...         for d in (0, 1) for g in ("attention", "mlp")]
    >>> fig = plot_depth(rows)
    >>> [ln.get_ydata().tolist() for ln in fig.axes[0].get_lines() if ln.get_gid() == "median-attention-in"]
    [[3.0, 4.0]]
    """
    blocks = [dict(b) for b in blocks]
    if not blocks:
        raise UsageError("plot_depth: no blocks; pass the rows of prunegraph.analysis.block_summary")
    for i, b in enumerate(blocks):
        missing = [k for k in ("depth", "group", "degree_kind") if k not in b]
        if missing:
            raise UsageError(f"plot_depth: row {i} has no {missing[0]!r}; pass BlockSummary.to_dict() rows")

    def num(v):
        try:
            v = float(v)
        except (TypeError, ValueError):
            return np.nan
        return v if math.isfinite(v) else np.nan

    kinds = list(dict.fromkeys(b["degree_kind"] for b in blocks))
    groups = [g for g in ("attention", "mlp") if any(b["group"] == g for b in blocks)]
    labels = sorted({v for b in blocks for v in (b.get("verdicts") or {})})
    depths = sorted({int(b["depth"]) for b in blocks})
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    # one layout, from the sizes of the texts the margins hold (no constrained layout, which draws
    # the figure an extra time): columns as wide as the depths need, the legends at the right
    bound_groups = [g for g in groups if any(any(b.get("at_bound") or ()) for b in blocks if b["group"] == g)]
    group_names = {"attention": "attention (q, k, v, o)", "mlp": "MLP (up, down; gate if any)"}
    legend_labels = (["scale-free range 2 ≤ α ≤ 3"] + [f"{group_names[g]}: median α" for g in groups]
                     + [f"{group_names[g]}: α ± 95 % CI per projection" for g in groups]
                     + [f"{group_names[g]}: {_BOUND_SHORT}" for g in bound_groups])
    right = max(_legend_width_pt(legend_labels, 8), _legend_width_pt(labels, 8) if labels else 0.0,
                1.05 * _text_width_pt(["verdict"], 10) + 8.0) + 10.0
    col_in = min(9.0, max(2.6, 0.3 * len(depths) + 0.8))  # inches of one column's plot
    gap = 40.0  # points between columns: the right column's y tick labels
    left, top, bottom_pt = 64.0, 6.0 + _text_height_pt(1, 12) + 6.0 + _text_height_pt(1, 10) + 6.0, 42.0
    width = (left + right + gap * (len(kinds) - 1)) / _PT + col_in * len(kinds)
    height = 7.5
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    _fixed_margins(fig, left=left, right=right, bottom=bottom_pt, top=top, wspace=gap / _PT / col_in, hspace=0.06)
    axes = fig.subplots(2, len(kinds), sharex=True, squeeze=False, height_ratios=[3, 2])
    colors = _palette(max(8, len(labels) + 2))
    group_color = {"attention": colors[0], "mlp": colors[1]}
    group_style: dict[str, dict[str, Any]] = {
        "attention": dict(marker="o", off=-0.14, hatch=None, name="attention (q, k, v, o)"),
        "mlp": dict(marker="s", off=0.14, hatch="///", name="MLP (up, down; gate if any)")}
    verdict_color = {v: colors[(i + 2) % len(colors)] for i, v in enumerate(labels)}
    from matplotlib.patches import Rectangle

    for col, kind in enumerate(kinds):
        ax, axv = axes[0, col], axes[1, col]
        corners: list[np.ndarray] = []  # of the verdict bars, for the data limits
        ax.axhspan(2.0, 3.0, color="0.9", zorder=0, label="scale-free range 2 ≤ α ≤ 3" if col == 0 else None)
        for g in groups:
            rows = sorted((b for b in blocks if b["degree_kind"] == kind and b["group"] == g),
                          key=lambda b: int(b["depth"]))
            if not rows:
                continue
            st, color = group_style[g], group_color[g]
            xs, ys, es, xb = [], [], [], []
            for b in rows:
                flags = list(b.get("at_bound") or ())
                for i, (a, sg) in enumerate(zip(b.get("alphas") or (), b.get("sigmas") or ())):
                    if i < len(flags) and flags[i]:  # the fit's bound, not a measured alpha: a triangle, no point
                        xb.append(int(b["depth"]) + st["off"])
                        continue
                    xs.append(int(b["depth"]) + st["off"])
                    ys.append(num(a))
                    es.append(Z95 * num(sg))
            if xb:
                ax.scatter(xb, np.full(len(xb), 0.97), transform=ax.get_xaxis_transform(), marker="^", s=30,
                           color=color, clip_on=False, zorder=4, gid=f"alpha-at-bound-{g}-{kind}",
                           label=f"{st['name']}: {_BOUND_SHORT}")
            if xs:
                eb = ax.errorbar(xs, ys, yerr=np.nan_to_num(np.array(es), nan=0.0), fmt=st["marker"], ms=4,
                                 capsize=2, lw=0.8, alpha=0.6, color=color, mfc="white", zorder=3,
                                 label=f"{st['name']}: α ± 95 % CI per projection" if col == 0 else None)
                eb.lines[0].set_gid(f"alpha-{g}-{kind}")
            (ln,) = ax.plot([int(b["depth"]) for b in rows], [num(b.get("alpha_median")) for b in rows],
                            color=color, lw=1.8, marker=st["marker"], ms=6, zorder=4,
                            label=f"{st['name']}: median α" if col == 0 else None)
            ln.set_gid(f"median-{g}-{kind}")
            bottom = np.zeros(len(rows))
            x = np.array([int(b["depth"]) + 1.4 * st["off"] for b in rows], dtype=float)
            for v in labels:
                h = np.array([int((b.get("verdicts") or {}).get(v, 0)) for b in rows], dtype=float)
                if not h.any():
                    continue
                # the rectangles Axes.bar draws, added without its per-bar data-limit update (a
                # third of this function's time): the limits are updated once below, the same
                # view results (tests/test_plot.py compares the pixels with Axes.bar's)
                for i, (left, low, tall) in enumerate(zip(x - 0.18, bottom, h)):
                    rect = Rectangle((left, low), 0.36, tall, facecolor=verdict_color[v], edgecolor="white",
                                     linewidth=0.5, hatch=st["hatch"], label=v if i == 0 else "_nolegend_",
                                     gid=f"verdicts-{g}-{kind}-{v}")
                    rect.sticky_edges.y.append(low)
                    axv.add_artist(rect)
                corners.append(np.column_stack([np.r_[x - 0.18, x + 0.18], np.r_[bottom, bottom + h]]))
                bottom += h
        if corners:
            axv.update_datalim(np.concatenate(corners))
            axv.autoscale_view()
        ax.set_title(f"{kind}-degree", fontsize=10, y=1.0)  # where automatic placement puts it, cheaper
        ax.grid(True, axis="y", alpha=0.3)
        axv.set_xlabel("block depth (0 = first block)")
        axv.set_xticks(depths if len(depths) <= 16 else depths[::max(1, len(depths) // 14)])
        axv.grid(True, axis="y", alpha=0.3)
        axv.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no half-projection ticks
        if col == 0:
            ax.set_ylabel("fitted exponent α")
            axv.set_ylabel("projections per verdict\n(left: attention, right: MLP ///)")
    handles, names = [], []
    for a in axes[0]:  # the bound markers may be in any column
        for h, n in zip(*a.get_legend_handles_labels()):
            if n not in names:
                handles.append(h)
                names.append(n)
    axes[0, -1].legend(handles, names, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    vh, vn = [], []
    for a in axes[1]:
        for h, n in zip(*a.get_legend_handles_labels()):
            if n not in vn:
                vh.append(h)
                vn.append(n)
    if vh:
        axes[1, -1].legend(vh, vn, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False,
                           title="verdict")
    if title:
        fig.suptitle(title, fontsize=11, y=1.0 - 6.0 / _PT / height, va="top")
    return fig


def _short_verdict(row: Mapping[str, Any]) -> str:
    """The verdict's short label from the row's machine code (the one table in
    :mod:`prunegraph.fit.verdict`); the verdict text as given when a row has no code."""
    from ..fit.verdict import Verdict, verdict_text

    try:
        return verdict_text(Verdict(row.get("verdict_code")), short=True)
    except ValueError:
        return str(row.get("verdict") or "")


def save_figure(fig, path_stem: str | os.PathLike, *, formats: Sequence[str] = ("png", "svg"),
                dpi: int = _DPI) -> list[Path]:
    """Write ``fig`` as ``<path_stem>.<fmt>`` for each format, atomically, then close it.

    Each file goes to a temporary name beside the target and is renamed on success
    (:func:`prunegraph._io.atomic_path`), so a failed write leaves an older file intact.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path_stem : str or Path
        Target without extension; ``.png``/``.svg``/... is appended (so ``"out/fc1.in"``
        gives ``out/fc1.in.png``).
    formats : sequence of str
        Any of ``png``, ``svg``, ``pdf``.
    dpi : int
        Resolution of raster formats.

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> fig = plot_ccdf([1, 2, 2, 3])
    >>> [p.suffix for p in save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "ccdf")]
    ['.png', '.svg']
    """
    allowed = ("png", "svg", "pdf")
    formats = [str(f).lower().lstrip(".") for f in formats]
    bad = [f for f in formats if f not in allowed]
    if bad or not formats:
        raise UsageError(f"save_figure: formats {bad or formats!r} not supported; use some of {', '.join(allowed)}")
    if not hasattr(fig, "savefig"):
        raise UsageError(f"save_figure: expected a matplotlib Figure, got {type(fig).__name__}")
    try:
        return _write_files(fig, path_stem, formats, dpi)
    finally:
        _close(fig)


def _write_files(fig, path_stem: str | os.PathLike, formats: Sequence[str], dpi: int) -> list[Path]:
    """:func:`save_figure` without the checks and without closing ``fig``."""
    out: list[Path] = []
    for fmt in formats:
        target = Path(f"{os.fspath(path_stem)}.{fmt}")
        png = _agg_png(fig, dpi) if fmt == "png" else None
        with atomic_path(target) as tmp:
            if png is not None:
                Path(tmp).write_bytes(png)
            else:
                fig.savefig(tmp, format=fmt, dpi=dpi, metadata=_metadata(fmt),
                            **({"pil_kwargs": {"compress_level": 3}} if fmt == "png" else {}))
        out.append(target)
    return out


def _agg_png(fig, dpi: float) -> bytes | None:
    """``fig`` drawn on its Agg canvas at ``dpi`` and encoded by :func:`._png.encode_png`: the
    pixels ``savefig(format="png")`` writes (tests/test_plot.py compares them) in less time
    (Pillow's per-row filter search is a fifth of a CCDF figure's cost); ``None`` for a figure
    on another canvas (a notebook's, an interactive backend's), which ``savefig`` writes."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas
    if not isinstance(canvas, FigureCanvasAgg) or any(
            matplotlib.rcParams[k] for k in ("savefig.transparent", "savefig.bbox")) \
            or matplotlib.rcParams["savefig.facecolor"] != "auto" or matplotlib.rcParams["savefig.edgecolor"] != "auto":
        return None
    from ._png import encode_png

    before = fig.dpi
    if before != dpi:
        fig.dpi = dpi
    try:
        canvas.draw()
        px = np.asarray(canvas.buffer_rgba())
        return encode_png(px, dpi=dpi, text={"Software": f"Matplotlib version{matplotlib.__version__}, "
                                                         "https://matplotlib.org/"})
    finally:
        if fig.dpi != before:
            fig.dpi = before


def _metadata(fmt: str) -> dict | None:
    # no creation dates in the files: the same figure gives the same bytes
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None, "ModDate": None}
    return None


def _close(fig) -> None:
    import sys

    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:  # a pyplot-managed figure: release it from pyplot's registry
        plt.close(fig)


def figure_png_bytes(fig, *, dpi: int = 110) -> bytes:
    """Render ``fig`` to PNG bytes (for embedding in the HTML report); the figure stays open.

    Examples
    --------
    >>> figure_png_bytes(plot_ccdf([1, 2, 3]))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def plot_strategy_comparison(strategies: Sequence[str], summary: Mapping[str, Mapping[str, Any]],
                             runs: Mapping[str, Sequence[Mapping[str, Any]]], *,
                             quantities: Sequence[str] = ("ACC", "BWT", "edges_total", "steps_to_95"),
                             title: str = ""):
    """Growth strategies side by side: per quantity a bar of the mean ± sd over seeds, with
    every seed's value as a dot (the continual-learning comparison figure).

    ``summary[strategy][quantity]`` holds ``{"mean", "sd"}``; ``runs[strategy]`` the per-seed
    result dicts. Missing values (None) are left out.

    Examples
    --------
    >>> fig = plot_strategy_comparison(["pa", "uniform"],
    ...     {"pa": {"ACC": {"mean": 0.9, "sd": 0.01}}, "uniform": {"ACC": {"mean": 0.8, "sd": None}}},
    ...     {"pa": [{"ACC": 0.9}], "uniform": [{"ACC": 0.8}]}, quantities=["ACC"])
    >>> len(fig.axes)
    1
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3.2 * len(quantities), 3.2), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(quantities), squeeze=False)[0]
    colour = _palette(1)[0]
    x = np.arange(len(strategies))
    for ax, q in zip(axes, quantities):
        means = [summary[s][q]["mean"] for s in strategies]
        sds = [summary[s][q]["sd"] or 0.0 for s in strategies]
        ax.bar(x, [np.nan if m is None else m for m in means], yerr=sds, capsize=3,
               color=colour, alpha=0.5, edgecolor=colour)
        for i, s in enumerate(strategies):
            vals = [r[q] for r in runs[s] if r.get(q) is not None]
            ax.plot([i] * len(vals), vals, "k.", ms=4)
        ax.set_xticks(x, list(strategies))
        ax.set_title(q)
        ax.grid(True, axis="y", alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


# ----------------------------------------------------------------------------- continual learning
def _figure(ncols: int = 1, *, width: float = 4.2, height: float = 3.4):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(1, ncols, squeeze=False)[0]


def plot_accuracy_matrix(results: Mapping[str, Any], *, title: str = ""):
    """Heatmap of a continual run's accuracy matrix R (rows: after training task i; row 0: before).

    Examples
    --------
    >>> fig = plot_accuracy_matrix({"R": [[0.5, 0.5], [0.9, 0.5], [0.9, 0.8]]})
    >>> len(fig.axes)
    2
    """
    R = np.asarray(results["R"], dtype=float)
    fig, (ax,) = _figure(width=min(1.0 + 0.9 * R.shape[1], 10.0), height=min(0.9 + 0.6 * R.shape[0], 8.0))
    im = ax.imshow(R, vmin=0, vmax=1, cmap="viridis", aspect="auto")
    if R.size <= 400:
        for (i, j), v in np.ndenumerate(R):
            if np.isfinite(v):
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if v < 0.6 else "black")
    ax.set_xticks(range(R.shape[1]))
    ax.set_yticks(range(R.shape[0]), ["init"] + [f"after {i}" for i in range(R.shape[0] - 1)])
    ax.set_xlabel("evaluated on task")
    fig.colorbar(im, ax=ax, label="accuracy")
    ax.set_title(title or "accuracy matrix R", fontsize=9)
    return fig


def plot_learning_curves(runs: Mapping[str, Mapping[str, Any]], *, task: int = 1, title: str = ""):
    """Test accuracy against optimiser steps (training + retraining) for one task, per strategy.

    ``runs`` maps a strategy name to its results dict (``tasks[task].curve_steps`` and
    ``curve_accuracy``); a dashed line marks the end of the main phase.

    Examples
    --------
    >>> rec = {"curve_steps": [0, 1, 10], "curve_accuracy": [0.5, 0.6, 0.9], "train_steps": 10}
    >>> fig = plot_learning_curves({"pa": {"tasks": [rec, rec]}})
    >>> len(fig.axes)
    1
    """
    fig, (ax,) = _figure(width=5.0)
    colours = _palette(max(len(runs), 1))
    for c, (name, res) in zip(colours, runs.items()):
        rec = res["tasks"][task]
        ax.plot(rec["curve_steps"], rec["curve_accuracy"], "-", color=c, lw=1.2, label=name)
        ax.axvline(rec["train_steps"], color=c, ls=":", lw=0.8)
    ax.set_xlabel("optimiser steps (training, then retraining after the cut)")
    ax.set_ylabel(f"test accuracy, task {task}")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title(title or f"learning curves, task {task}", fontsize=9)
    return fig


def plot_accuracy_vs_edges(sweep: Mapping[str, Any], *, title: str = ""):
    """ACC (mean and 95 % interval over seeds) against total edges, one line per strategy.

    ``sweep`` is :meth:`prunegraph.continual.compare.SweepResult.to_dict` output.

    Examples
    --------
    >>> pts = [{"edges": {"mean": 100.0}, "ACC": {"mean": 0.8, "ci": [0.7, 0.9]}},
    ...        {"edges": {"mean": 200.0}, "ACC": {"mean": 0.9, "ci": None}}]
    >>> fig = plot_accuracy_vs_edges({"strategies": ["pa"], "points": {"pa": pts}, "target_ACC": 0.85})
    >>> len(fig.axes)
    1
    """
    fig, (ax,) = _figure(width=5.0)
    strategies = list(sweep["strategies"])
    for c, s in zip(_palette(max(len(strategies), 1)), strategies):
        pts = sweep["points"][s]
        x = np.array([p["edges"]["mean"] for p in pts], float)
        y = np.array([np.nan if p["ACC"]["mean"] is None else p["ACC"]["mean"] for p in pts])
        ax.plot(x, y, "o-", color=c, ms=3, lw=1.2, label=s)
        lo = [p["ACC"]["ci"][0] if p["ACC"]["ci"] else np.nan for p in pts]
        hi = [p["ACC"]["ci"][1] if p["ACC"]["ci"] else np.nan for p in pts]
        ax.fill_between(x, lo, hi, color=c, alpha=0.15, lw=0)
    if sweep.get("target_ACC") is not None:
        ax.axhline(sweep["target_ACC"], color="grey", ls="--", lw=0.8, label="target")
    ax.set_xscale("log")
    ax.set_xlabel("edges of the final network (all tasks)")
    ax.set_ylabel("ACC")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title(title or "accuracy vs edges", fontsize=9)
    return fig


def plot_capacity(results: Mapping[str, Any], *, title: str = ""):
    """Free share of each prunable layer's edge positions after every task.

    Examples
    --------
    >>> caps = [{"capacity": {"fc1.weight": {"free_share": 0.9}}}, {"capacity": {"fc1.weight": {"free_share": 0.8}}}]
    >>> fig = plot_capacity({"tasks": caps})
    >>> len(fig.axes)
    1
    """
    fig, (ax,) = _figure(width=5.0)
    tasks = results["tasks"]
    layers = list(tasks[0]["capacity"])
    for c, name in zip(_palette(max(len(layers), 1)), layers):
        ax.plot(range(len(tasks)), [r["capacity"][name]["free_share"] for r in tasks], "o-",
                color=c, ms=3, label=name)
    ax.set_xlabel("after task")
    ax.set_ylabel("free share of edge positions")
    ax.set_ylim(0, 1.02)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title(title or "free capacity per layer", fontsize=9)
    return fig


# ----------------------------------------------------------------------------- fit results
#: a Hugging Face weight file's generic name (every model's is the same): the folder holding it names the model
_GENERIC_WEIGHTS = re.compile(r"(?:model|pytorch_model)(?:-\d+-of-\d+)?\.(?:safetensors|bin)(?:\.index\.json)?")
#: the Hugging Face cache's ``models--ORG--NAME/snapshots/<commit>/``
_HF_SNAPSHOT = re.compile(r"[0-9a-f]{40}")


def _name_parts(source: str) -> list[str]:
    """The names of ``source`` from the inside out: its own (a folder's name, a file's stem, or,
    for a generic Hugging Face weight file, its folder's name; a Hugging Face cache snapshot as
    the model's name), then the folders above it.  A ``connectome:NAME`` source is one part."""
    if not source:
        return ["model"]
    path = Path(source)
    if ":" in source and not path.exists():  # connectome:cook2019-herm:both: no ':' in folder names
        return [source.replace(":", "_")]
    path = path.absolute()
    if path.is_dir():
        folders = [path.name, *(q.name for q in path.parents)]
    elif _GENERIC_WEIGHTS.fullmatch(path.name):
        folders = [q.name for q in path.parents]
    else:
        folders = [path.stem, *(q.name for q in path.parents)]
    folders = [f for f in folders if f]
    if len(folders) >= 3 and _HF_SNAPSHOT.fullmatch(folders[0]) and folders[1] == "snapshots" \
            and folders[2].startswith("models--"):
        folders = [folders[2].rsplit("--", 1)[-1], *folders[3:]]
    return folders or ["model"]


def figure_folders(sources: Sequence[str], *, taken: Sequence[str] = ()) -> dict[str, str]:
    """Per source, the folder under ``--out`` its figures go to, and the name their titles and
    captions give it; distinct for distinct sources, decided in the order given.

    A checkpoint is named by its file stem, a folder by its name, and a file with a generic
    Hugging Face name (``model.safetensors``, ``pytorch_model.bin``, ``model-00001-of-00003.safetensors``,
    ``model.safetensors.index.json``) by the folder holding it.  Sources that share a name are
    each named with their parent folder too (``a_ckpt``, ``b_ckpt``); a name still taken (by
    ``taken`` or an earlier source) gets ``-2``, ``-3``, ... .

    Examples
    --------
    >>> figure_folders(["runs/a/ckpt/model.safetensors", "runs/b/ckpt/model.safetensors", "lenet.pt"])
    {'runs/a/ckpt/model.safetensors': 'a_ckpt', 'runs/b/ckpt/model.safetensors': 'b_ckpt', 'lenet.pt': 'lenet'}
    >>> figure_folders(["x/lenet.pt", "x/lenet.pth"])
    {'x/lenet.pt': 'x_lenet', 'x/lenet.pth': 'x_lenet-2'}
    """
    from collections import Counter

    parts = {s: _name_parts(str(s)) for s in dict.fromkeys(sources)}
    count = Counter(p[0] for p in parts.values())
    used, names = set(taken), {}
    for s, p in parts.items():
        name = "_".join(reversed(p[:2])) if count[p[0]] > 1 else p[0]
        base, n = name, 2
        while name in used:
            name, n = f"{base}-{n}", n + 1
        used.add(name)
        names[s] = name
    return names


#: figure formats ``write_figures`` can write
FIGURE_FORMATS = ("png", "svg", "pdf")


@dataclass(frozen=True)
class FigureJob:
    """One figure to draw: the plotting function's name and arguments (plain, picklable data),
    where it goes (``stem`` + ``.<format>``) and its caption in words."""

    stem: Path
    caption: str
    figure_type: str                # "ccdf", "alpha" or "depth"
    kwargs: dict = field(repr=False)
    layer: str | None = None        # the layer of a per-layer figure (ccdf)


def _ccdf_caption(r) -> str:
    obs = r.observed
    n_alive = int(np.sum(np.asarray(r.degrees) > 0))
    n_dead = int(np.asarray(r.degrees).size) - n_alive
    what = [f"Layer {r.layer}, {r.degree_kind}-degree: share of its {fmt_int(n_alive)} alive units "
            f"with degree at least k (log–log; {fmt_int(n_dead)} dead units left out)"]
    if obs.fit is not None:
        what.append(f"the power law fitted to the tail from xmin = {_fmt_num(obs.fit.xmin)} "
                    + (f"(α at the fit's bound, ≥{obs.fit.alpha:g}: no measured exponent)" if obs.fit.hit_bound
                       else f"(α = {obs.fit.alpha:.2f})"))
        if obs.best_alternative:
            label = ALTERNATIVE_LABELS.get(obs.best_alternative, obs.best_alternative)
            what.append(f"the closest alternative ({label})")
    if r.null_degrees is not None:
        what.append("the random-pruning null (grey squares)")
    text = what[0] + ("; with " + ", ".join(what[1:]) if len(what) > 1 else "") + "."
    return text + f" Verdict: {obs.verdict_text}."


def _ccdf_job(r, stem: str, out: Path) -> FigureJob:
    """The CCDF figure of one sequence (a :class:`~prunegraph.analysis.SequenceAnalysis`); it
    reads nothing that the model-wide Benjamini–Hochberg step changes, so it can be drawn as
    soon as the sequence is fitted."""
    best = next((c for c in r.observed.comparisons if c.alternative == r.observed.best_alternative), None)
    safe = r.layer.replace("/", "_").replace(".", "_")
    return FigureJob(
        out / stem / f"ccdf_{safe}_{r.degree_kind}", _ccdf_caption(r), "ccdf",
        dict(degrees=np.asarray(r.degrees),
             fit=None if r.observed.fit is None else r.observed.fit.to_dict(),
             alternative=None if best is None else best.to_dict(),
             null_degrees=None if r.null_degrees is None else np.asarray(r.null_degrees),
             verdict=r.observed.verdict_text,
             title=f"{stem} · layer {r.layer} · {r.degree_kind}-degree"), r.layer)


def figure_jobs(res, out: str | os.PathLike, *, name: str | None = None) -> list[FigureJob]:
    """The figures of one :class:`~prunegraph.analysis.ModelAnalysis`: per layer and degree kind
    a CCDF, and one α summary, each with its file stem under ``out/<name>/`` and caption
    (``name`` default: :func:`figure_folders` of its source alone)."""
    stem = name or figure_folders([res.source])[res.source]
    out = Path(out)
    jobs = [_ccdf_job(r, stem, out) for r in res.results]
    rows = [r.row() for r in res.results]
    if rows:
        jobs.append(FigureJob(
            out / stem / "alpha_summary",
            f"{stem}: fitted power-law exponent α ± σ per layer and degree kind, pruned network "
            "(filled circles) beside its random-pruning null (open squares); the shaded band is the "
            "scale-free range 2 ≤ α ≤ 3; 'no fit' marks sequences that could not be fitted; the "
            "verdict is under each layer name."
            + (" A triangle ▲ at the top marks an α that stopped at the fit's bound (≥ 100): no measured "
               "exponent, so no point or error bar for it."
               if any(r["hit_bound"] or r["null_hit_bound"] for r in rows) else ""),
            "alpha",
            dict(rows=rows, title=f"{stem}: exponent α per layer, pruned vs random-pruning null")))
    from ..analysis import block_summary

    blocks = block_summary(res)
    if blocks:  # a transformer: alpha and verdicts against depth, from the per-block summary
        jobs.append(FigureJob(
            out / stem / "depth",
            f"{stem}: fitted exponent α against transformer block depth, attention projections (q, k, v, o; "
            "circles) vs MLP projections (up, down and any gate; squares): each projection's α with its 95 % interval "
            "(α ± 1.96 σ) and the median per block (line); below, each block's verdicts (left bar attention, "
            "right bar MLP). The same numbers as the per-block table.", "depth",
            dict(blocks=[b.to_dict() for b in blocks], title=f"{stem}: α and verdicts against block depth")))
    return jobs


def _fresh_fonts_after_fork() -> None:
    """Figure-worker initializer: forget the fonts and renderers inherited from the parent.

    matplotlib's cached ``FT2Font`` objects read their font file through a Python file object;
    after ``fork`` parent and child share that file's offset, so glyphs loaded in both at once
    read each other's bytes (seen as ``FT_Load_Glyph ... invalid outline`` in a worker).  A
    worker that opens its own fonts shares nothing.
    """
    from matplotlib import font_manager

    cached = getattr(font_manager, "_get_font", None)  # private: guard against its removal
    if cached is not None and hasattr(cached, "cache_clear"):
        cached.cache_clear()
    _forget_drawn_text()  # the layouts' glyph lists hold the parent's font objects


def _forget_drawn_text() -> None:
    """Drop what this process kept from drawing text (shared renderers with their measured
    extents, the reused CCDF Axes, the text layouts): after a fork, or once the fonts changed."""
    _RENDERERS.clear()
    _REUSED.clear()
    _LAYOUTS.clear()


#: Agg renderers shared by the figures :func:`render_job` draws, by (width, height, dpi)
_RENDERERS: dict[tuple, Any] = {}

#: matplotlib versions whose Agg text path :func:`_renderer_class`'s renderer repeats exactly
#: (tests/test_plot.py compares its pixels with matplotlib's own renderer); any other version
#: draws with matplotlib's own renderer
_TEXT_PATH_VERSIONS = ("3.11",)

#: text layouts of the renderer of :func:`_renderer_class`, by string, font properties, size,
#: dpi and flags (bounded: cleared when full, and when :func:`_font_rc_changed`)
_LAYOUTS: dict[tuple, list] = {}

#: the rcParams that turn a font family name into font files
_FONT_RC = ("font.family", "font.sans-serif", "font.serif", "font.monospace", "font.cursive", "font.fantasy",
            "font.enable_last_resort")
_FONT_RC_SEEN: list = []


def _font_rc_changed() -> bool:
    """Whether the font rcParams differ from those of the last call (the first call: no); the
    cached text layouts then name glyphs of other fonts and are dropped."""
    import matplotlib

    rc: Any = matplotlib.rcParams  # keys by name (its stubs accept literals only)
    now = tuple(str(rc[k]) for k in _FONT_RC)
    changed = bool(_FONT_RC_SEEN) and _FONT_RC_SEEN[0] != now
    _FONT_RC_SEEN[:] = [now]
    return changed


_RENDERER_CLASS: list = []  # the class _renderer_class built, once per process


def _renderer_class():
    """The Agg renderer class :func:`render_job` draws with: matplotlib's ``RendererAgg``, or on
    a matplotlib whose text path it knows (:data:`_TEXT_PATH_VERSIONS`), a subclass that draws
    plain text with the same calls in the same order, minus the work that does not change from
    one glyph or one figure to the next.

    Matplotlib 3.11's Agg renderer lays out every string anew at each draw (HarfBuzz/libraqm,
    about 0.3 ms a string) and, per glyph, rebuilds the rotation matrix with numpy and resets
    the font size; a CCDF figure has some 18 strings and 250 glyphs, redrawn in every figure
    (tick labels, axis labels, legend entries).  This renderer keeps each string's layout (the
    glyphs and their offsets, a pure function of the string, the font files, size, dpi and
    hinting flags) and sets the matrix once per string and the size once per font: the same
    FreeType calls with the same arguments, so the same pixels, in a fifth less time per CCDF
    (benchmarks/bench_figures.py).  Mathtext goes to matplotlib's own path.
    """
    import matplotlib
    from matplotlib.backends.backend_agg import RendererAgg, get_hinting_flag

    version = ".".join(matplotlib.__version__.split(".")[:2])
    if version not in _TEXT_PATH_VERSIONS or not hasattr(RendererAgg, "_draw_text_glyphs_and_boxes"):
        return RendererAgg
    if _RENDERER_CLASS:
        return _RENDERER_CLASS[0]
    from matplotlib.ft2font import RenderMode

    class _TextLayoutRenderer(RendererAgg):
        def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
            if ismath:
                return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
            flags = get_hinting_flag()
            features = mtext.get_fontfeatures() if mtext is not None else None
            language = mtext.get_language() if mtext is not None else None
            size = prop.get_size_in_points()
            # the font properties that pick the font files (what FontProperties hashes), not the
            # file lookup itself (a fifth of this method's time); render_job empties the cache
            # when the rcParams that resolve a family name to files change (_font_rc_changed)
            key = (s, tuple(prop.get_family()), prop.get_style(), prop.get_variant(), prop.get_weight(),
                   prop.get_stretch(), prop.get_file(), size, self.dpi, flags,
                   None if features is None else tuple(features), language)
            items = _LAYOUTS.get(key)
            if items is None:
                font = self._prepare_font(prop)  # matplotlib's: the font, cleared and sized
                items = [(it.ft_object, it.glyph_index, it.x, it.y)
                         for it in font._layout(s, flags=flags, features=features, language=language)]
                if len(_LAYOUTS) >= 4096:
                    _LAYOUTS.clear()
                _LAYOUTS[key] = items
            # RendererAgg._draw_text_glyphs_and_boxes for plain text (no slant, no extension,
            # no boxes), with what is the same for every glyph of the string computed once
            cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
            matrix = (0x10000 * np.array([[cos, -sin], [sin, cos]])).round().astype(int)
            antialiased = gc.get_antialiased()
            mode = RenderMode.NORMAL if antialiased else RenderMode.MONO
            height = self.height
            draw_image = self._renderer.draw_text_image
            sized = None
            for font, glyph_index, dx, dy in items:
                if font is not sized:
                    font.set_size(size, self.dpi)
                    sized = font
                font._set_transform(matrix, [round(0x40 * (x + dx * cos - dy * sin)),
                                             round(0x40 * (height - y + dx * sin + dy * cos))])
                bitmap = font._render_glyph(glyph_index, flags, mode)
                buffer = bitmap.buffer
                if not antialiased:
                    buffer *= 0xff
                draw_image(buffer, bitmap.left, int(height) - bitmap.top + buffer.shape[0], 0, gc)

    _RENDERER_CLASS.append(_TextLayoutRenderer)
    return _TextLayoutRenderer


def _shared_renderer_canvas(fig) -> None:
    """Attach to ``fig`` an Agg canvas whose renderer is shared with every figure of the same
    pixel size and dpi drawn by :func:`render_job` in this process.

    A renderer caches the parsed mathtext (the ``10^k`` tick labels) and text extents; a new
    canvas builds a new renderer per figure and so parses and measures them again. Sharing one
    is what redrawing one figure does already (the canvas clears the renderer before each
    draw), so the pixels are the same; it is safe here because these figures are saved at once
    and closed, never handed to a caller who could keep a view of the buffer.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = _renderer_class()

    class _Canvas(FigureCanvasAgg):
        def get_renderer(self):
            w, h = self.get_width_height(physical=True)
            key = w, h, self.figure.dpi
            if key not in _RENDERERS:
                if len(_RENDERERS) >= 8:  # a few sizes in use; bound the buffers kept
                    _RENDERERS.pop(next(iter(_RENDERERS)))
                _RENDERERS[key] = renderer(w, h, self.figure.dpi)
            self.renderer, self._lastKey = _RENDERERS[key], key
            return self.renderer

    _Canvas(fig)


#: the CCDF Axes that :func:`render_job` draws every CCDF of this process into, cleared between
#: figures (:func:`_reused_ccdf_axes`)
_REUSED: dict[str, Any] = {}


def _reused_ccdf_axes():
    """This process' one CCDF Figure and Axes, emptied of the previous figure's artists.

    A new Axes builds its ticks anew at the first draw (a log axis' minor ticks, 20-40 per
    figure, two lines and two labels each, are a third of a CCDF's drawing time); an Axes that is
    emptied and drawn again keeps them.  Emptying removes every artist the plot functions add
    (lines, texts, the legend, patches, collections), the titles' text and the data limits, and
    turns autoscaling back on, so that the next figure starts from what a new Axes has: the
    pixels are the same as a new figure's (tests/test_plot.py compares them).  Safe only where
    no caller keeps the figure: :func:`render_job` saves it at once.
    """
    if "ccdf" not in _REUSED:
        fig, ax = _new_figure(None, margins=_CCDF_MARGINS)
        fig.dpi = _DPI  # drawn and saved at one resolution: no switch back and forth per figure
        _shared_renderer_canvas(fig)
        _REUSED["ccdf"] = ax
        return fig, ax
    ax = _REUSED["ccdf"]
    keep = {ax.xaxis, ax.yaxis, ax.patch, ax.title, ax._left_title, ax._right_title, *ax.spines.values()}
    for artist in list(ax.get_children()):
        if artist not in keep:
            artist.remove()
    for t in (ax.title, ax._left_title, ax._right_title):
        t.set_text("")
    ax.set_xscale("linear")
    ax.set_yscale("linear")
    ax.relim()
    ax.ignore_existing_data_limits = True
    ax.set_xlim(0.0, 1.0)  # a new Axes' limits; set_*lim turns autoscaling off, so on again after
    ax.set_ylim(0.0, 1.0)
    ax.set_autoscale_on(True)
    return ax.figure, ax


#: matplotlib settings of the figures :func:`render_job` draws (``prunegraph fit``'s): glyphs
#: rendered without FreeType's hinting (snapping outlines to the pixel grid), which costs a sixth
#: of a CCDF figure's drawing time; at the figures' 150 dpi the text reads the same
#: (benchmarks/bench_figures.py; tests/test_plot.py draws with these settings too)
RENDER_RC: dict[Any, Any] = {"text.hinting": "no_hinting"}


def render_job(job: FigureJob, formats: Sequence[str] = ("png",)) -> list[Path]:
    """Draw one :class:`FigureJob` and save it in ``formats`` (atomically); the written paths.

    CCDFs are drawn into this process' one reused Axes (:func:`_reused_ccdf_axes`), the other
    figures into new ones; the files are those of a new figure either way (drawn with
    :data:`RENDER_RC`)."""
    import matplotlib

    if _font_rc_changed():  # text measured or laid out with other fonts: start afresh
        _forget_drawn_text()
    with warnings.catch_warnings(), matplotlib.rc_context(RENDER_RC):
        # constrained layout cannot always fit long legends; the figure is still complete
        warnings.filterwarnings("ignore", message="constrained_layout not applied")
        if job.figure_type == "ccdf":
            fig, ax = _reused_ccdf_axes()
            plot_ccdf(**job.kwargs, ax=ax)
            _minor_ticks_as_markers(ax)
            return _write_files(fig, job.stem, formats, _DPI)
        draws: dict[str, Callable[..., Any]] = {"alpha": plot_alpha_summary, "depth": plot_depth}
        fig = draws[job.figure_type](**job.kwargs)
        _shared_renderer_canvas(fig)
        return save_figure(fig, job.stem, formats=formats)


def _warm_up() -> None:
    """Draw one CCDF into this process' reused Axes, not saved: the imports, fonts, glyph and
    mathtext caches and the Axes' ticks are ready before the first real figure arrives."""
    rng = np.random.default_rng(0)
    deg = np.concatenate([np.zeros(3), np.round(rng.pareto(1.5, 300) + 1)])
    fit = {"alpha": 2.5, "sigma": 0.1, "xmin": 2.0, "xmax": None, "n": 300,
           "n_tail": int((deg >= 2).sum()), "p_value": 0.3, "discrete": True}
    alt = {"alternative": "lognormal", "R": 0.5, "p_value": 0.4, "parameters": {"mu": 0.5, "sigma": 1.0}}
    import matplotlib

    with matplotlib.rc_context(RENDER_RC):
        fig, ax = _reused_ccdf_axes()
        plot_ccdf(deg, fit=fit, alternative=alt, null_degrees=rng.binomial(40, 0.2, 300), verdict="warm-up",
                  title="warm-up", ax=ax)
        fig.canvas.draw()


def _figure_worker(index: int, tasks, results, warm: Sequence, formats: Sequence[str], go=None) -> None:
    """One figure process of :class:`FigureWriter`: warm up after the previous worker has (so
    that the warm-ups take turns on the core the caller leaves free), wait for ``go`` when given
    (the caller has stopped computing), then draw ``(key, job)`` from ``tasks`` until ``None``,
    putting ``(key, paths)`` or ``(key, exception)`` on ``results``."""
    _fresh_fonts_after_fork()
    if index > 0:
        warm[index - 1].wait()
    _warm_up()
    warm[index].set()
    if go is not None:
        go.wait()
    import pickle
    import traceback

    while (item := tasks.get()) is not None:
        key, job = item
        try:
            out: Any = render_job(job, formats)
        except Exception as exc:  # sent back and raised by FigureWriter.result
            exc.add_note(f"in figure worker {index}, drawing {job.stem}:\n{traceback.format_exc()}")
            out = exc
        try:  # pickled here, not by the queue's feeder thread, which would drop what fails silently
            payload = pickle.dumps((key, out))
        except Exception:
            payload = pickle.dumps((key, RuntimeError(f"{type(out).__name__}: {out}")))
        results.put(payload)


class FigureWriter:
    """Render fit figures in worker processes while the caller goes on (e.g. fitting the next
    checkpoint): :meth:`submit_sequence` each fitted sequence and :meth:`submit` each
    :class:`~prunegraph.analysis.ModelAnalysis` as they are ready, then :meth:`result` waits for
    the files.  ``jobs <= 1`` renders in this process at submission.  The files are the same
    either way.

    Scheduling: the ``jobs`` workers start (fork) when the writer is entered and warm up one
    after another (imports, fonts, one CCDF drawn in memory), so that they are ready by the time
    the first sequence is fitted; ``jobs − 1`` of them take the next figure from one shared
    queue as soon as they are free, so that the figures are drawn on the cores the caller leaves
    free while it fits, and the last joins them when the caller calls :meth:`result`, so that
    whatever is left is shared by all of them.  A worker draws every CCDF into one reused
    Axes (:func:`render_job`).

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from prunegraph.analysis import analyze
    >>> from prunegraph.graph import LayerGraph, NetworkGraph
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> lg = LayerGraph.from_matrix("fc", (torch.rand(40, 60, generator=g) < 0.2).float(), out_space="output")
    >>> net = NetworkGraph((lg,), {"input": 60, "output": 40}, "demo")
    >>> with FigureWriter(tempfile.mkdtemp(), jobs=1) as fw:
    ...     fw.submit(analyze(net, degree_kinds=["in"], null=False))
    ...     [p.name for p in fw.result()["demo"]]
    ['ccdf_fc_in.png', 'alpha_summary.png']
    """

    def __init__(self, out: str | os.PathLike, *, formats: Sequence[str] = ("png",), jobs: int = 1,
                 progress: bool = False):
        self.out = Path(out)
        self.formats = tuple(str(f).lower().lstrip(".") for f in formats)
        bad = [f for f in self.formats if f not in FIGURE_FORMATS]
        if bad or not self.formats:
            raise UsageError(f"figure formats {bad or list(self.formats)!r} not supported; use some of "
                             f"{', '.join(FIGURE_FORMATS)}")
        self.jobs, self.progress = int(jobs), progress
        self._procs: list = []  # the worker processes while open (jobs > 1)
        self._tasks: Any = None
        self._results: Any = None
        self._go: Any = None
        self._pending: list[tuple[str, list]] = []  # per model: keys of its figures, in figure order
        self._done: dict[int, Any] = {}  # key -> paths (or the exception a worker raised)
        self._sent = 0  # keys handed out (to workers, or rendered here)
        #: per source, the CCDFs started by :meth:`submit_sequence` (stem → key)
        self._early: dict[str, dict[Path, int]] = {}
        #: per source, its folder under ``out`` (:meth:`name_sources`, else named when first seen)
        self.folders: dict[str, str] = {}

    def __enter__(self) -> FigureWriter:
        if self.jobs > 1:
            import multiprocessing as mp

            # fork: the workers start at once with numpy (and whatever the caller has imported)
            # loaded; each drops the font handles and renderers it inherited (_fresh_fonts_after_fork)
            ctx: Any = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
            self._tasks, self._results = ctx.Queue(), ctx.Queue()
            warm = [ctx.Event() for _ in range(self.jobs)]
            # jobs − 1 workers draw while the caller computes on its own core; the last one joins
            # them once the caller waits for the figures (result()), so that no core is shared
            self._go = ctx.Event()
            self._procs = [ctx.Process(target=_figure_worker, name=f"prunegraph-figures-{i}", daemon=True,
                                       args=(i, self._tasks, self._results, warm, self.formats,
                                             self._go if i == self.jobs - 1 else None))
                           for i in range(self.jobs)]
            for proc in self._procs:
                proc.start()
        return self

    def __exit__(self, *exc) -> None:
        procs, self._procs = self._procs, []
        if not procs:
            return
        if exc[0] is None:
            if len(self._done) < self._sent:  # result() not called: the files are still written
                self._procs = procs
                for _ in self._collect():
                    pass
                self._procs = []
            for _ in procs:
                self._tasks.put(None)
            for proc in procs:
                proc.join(timeout=60)
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
                proc.join()
        for q in (self._tasks, self._results):
            q.close()
            q.cancel_join_thread()  # nothing left to deliver that anyone will read

    def _start(self, job: FigureJob) -> int:
        key, self._sent = self._sent, self._sent + 1
        if self._procs:
            self._tasks.put((key, job))
        else:
            self._done[key] = render_job(job, self.formats)
        return key

    def name_sources(self, sources: Sequence[str]) -> dict[str, str]:
        """Fix the folders of ``sources`` (:func:`figure_folders`, in this order) before any is
        submitted, so that every run of the same sources names them the same; returns them."""
        new = [s for s in dict.fromkeys(map(str, sources)) if s not in self.folders]
        self.folders.update(figure_folders(new, taken=list(self.folders.values())))
        return {s: self.folders[str(s)] for s in sources}

    def _folder(self, source: str) -> str:
        return self.folders.get(source) or self.name_sources([source])[source]

    def submit_sequence(self, source: str, r) -> None:
        """Start the CCDF of one sequence of model ``source`` as soon as it is fitted (the
        analysis' ``on_result``), so that figures are drawn while the next sequences are fitted;
        :meth:`submit` of the finished model then adds only what is left (the α summary, …)."""
        job = _ccdf_job(r, self._folder(source), self.out)
        self._early.setdefault(source, {})[job.stem] = self._start(job)

    def submit(self, res) -> None:
        """Start (or, without workers, do) the figures of one model (those not yet started by
        :meth:`submit_sequence`)."""
        early = self._early.pop(res.source, {})
        jobs = figure_jobs(res, self.out, name=self._folder(res.source))
        keys = [early[j.stem] if j.stem in early else self._start(j) for j in jobs]
        self._pending.append((res.source, keys))

    def computing_done(self) -> None:
        """The caller has stopped computing (its fits are done): the last worker, which waits so
        as not to share a core with the fits, starts drawing now rather than at :meth:`result`
        (e.g. while the caller prints its tables)."""
        if self._go is not None:
            self._go.set()

    def _collect(self) -> Iterator[int]:
        """Receive the workers' results until every figure handed out is back; one item per figure."""
        import pickle
        import queue

        self.computing_done()  # the caller waits now: every worker draws

        while len(self._done) < self._sent:
            try:
                key, out = pickle.loads(self._results.get(timeout=0.5))
            except queue.Empty:
                dead = [p for p in self._procs if p.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(f"figure worker {dead[0].name} died (exit code {dead[0].exitcode}) with "
                                       f"{self._sent - len(self._done)} figures left; run with --no-figures, or "
                                       "draw them in this process (FigureWriter(jobs=1))") from None
                continue
            self._done[key] = out
            yield key

    def result(self) -> dict[str, list[Path]]:
        """Wait for every submitted figure; per source the files written, in figure order."""
        from .._progress import progress as _progress

        if self._procs:
            for _ in _progress(self._collect(), desc="figures", total=self._sent - len(self._done),
                               enabled=self.progress):
                pass
        out: dict[str, list[Path]] = {}
        for source, keys in self._pending:
            paths: list[Path] = []
            for key in keys:
                got = self._done[key]
                if isinstance(got, BaseException):
                    raise got
                paths += got
            out[source] = paths
        return out


def write_figures(results, out: str | os.PathLike, *, formats: Sequence[str] = ("png",),
                  jobs: int = 1, progress: bool = False) -> dict[str, list[Path]]:
    """Per layer and kind a CCDF figure, per model an α summary, under ``out/<model>/``.

    Parameters
    ----------
    results : list of ModelAnalysis
    out : path
        Directory; each model gets a subdirectory named after its checkpoint.
    formats : sequence of str
        Any of ``png`` (default), ``svg``, ``pdf``.
    jobs : int
        Worker processes (:class:`FigureWriter`); the files are identical for any number.
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    dict
        Per ``source`` the files written, in figure order.
    """
    with FigureWriter(out, formats=formats, jobs=jobs, progress=progress and jobs > 1) as fw:
        from .._progress import progress as _progress

        fw.name_sources([res.source for res in results])

        for res in _progress(results, desc="figures", total=len(results), enabled=progress and jobs <= 1):
            fw.submit(res)
        return fw.result()


def figure_captions(results, out: str | os.PathLike, *, names: Mapping[str, str] | None = None) -> dict[Path, str]:
    """Caption in words of every figure :func:`write_figures` writes, by file stem (``names``:
    per source its folder; default :func:`figure_folders` of the results' sources)."""
    names = names or figure_folders([res.source for res in results])
    return {j.stem: j.caption for res in results for j in figure_jobs(res, out, name=names.get(res.source))}
