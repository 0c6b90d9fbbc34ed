"""Alternative distributions on the power-law tail and the log-likelihood-ratio test
(CSN 2009 §5; Vuong 1989).

Fitting: closed-form MLEs where they exist (exponential without an upper bound); the
two-parameter families (lognormal, stretched exponential, cut-off power law) and the bounded
exponential by damped Newton on closed-form gradients and Hessians, computed in the same pass
as the likelihood — the data term from sufficient statistics, the normaliser's derivatives as
expectations of ∂ ln f over its own terms (discrete head grid, Euler–Maclaurin rest, tail
integral; :func:`_lz_derivs`).  Only the α-derivative of the continuous cut-off power law's
incomplete gamma Γ(1 − α, λx) has no closed form: sixth-order differences in s
(:func:`_dlog_uigamma`).  Where Newton does not settle on a sharp interior optimum (flat
valleys, unbounded ridges, the power law on the family's boundary) the natural-parameter and
boundary routes, and finally the reference Nelder–Mead, whose stopping point *is* the answer
there; :data:`ROUTES` counts the routes taken.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import integrate, optimize, special, stats

from ..errors import InputError, UsageError
from . import _truncated
from ._zeta import log_hzeta

log = logging.getLogger(__name__)

ALTERNATIVES = ("lognormal", "exponential", "stretched_exponential", "truncated_power_law",
                "poisson", "binomial")
#: alternatives that contain the power law as a boundary point of their parameter space:
#: cut-off power law at λ = 0, stretched exponential at β = 0 (α = 1 + γ)
NESTED = {"truncated_power_law", "stretched_exponential"}
#: upper bound of the stretched exponential's β (β = 1 is the exponential)
SE_BETA_MAX = 20.0
DISCRETE_ONLY = {"poisson", "binomial"}
#: shortest tail fitted by damped Newton (shorter ones: the reference Nelder–Mead)
FAST_MIN_TAIL = 50
#: ln λ standing for λ = 0 in the cut-off power law's boundary fit (λ·xmax ≪ 1e-9 on any tail)
_TPL_ZERO = -40.0
#: unit round-off of a double: the resolution of a log-likelihood relative to its magnitude
_EPS = float(np.finfo(float).eps)


def coincide(d: np.ndarray, c: np.ndarray, log_p: np.ndarray) -> bool:
    r"""Whether two fitted models are the same law on the tail to double precision.

    ``d`` are the pointwise log-likelihood differences of the tail's unique values, ``c`` their
    counts, ``log_p`` the power law's log-probabilities there.  Two nearby laws differ in
    log-likelihood by about :math:`\tfrac12 \sum_i c_i d_i^2` (the second-order term of the ratio
    between neighbouring members of a family); a double resolves a log-likelihood only to
    :math:`\epsilon \sum_i c_i |\ln p_i|` (ε the unit round-off).  When

    .. math:: \tfrac12 \sum_i c_i d_i^2 \le \epsilon \sum_i c_i |\ln p_i|,

    i.e. the root mean square of the differences is below :math:`\sqrt{2\epsilon\,
    \overline{|\ln p|}}` (≈ 2·10⁻⁸ on degree tails), no likelihood computed in double precision
    can tell the two apart: the differences are the fits' numerical resolution (a parameter
    settled to √ε, a normaliser summed differently), not a property of the data.  This happens
    when a nested alternative collapses onto the power law (stretched exponential at β = 0,
    cut-off power law at λ → 0): there R and σ_R are both rounding-sized and their ratio,
    Vuong's normalised R, is noise of any size (−10 on a zipf(2) sample whose exact value is
    10⁻¹²); Vuong (Econometrica 57, 1989) likewise tests the variance of the differences for
    zero before reading the normalised statistic.  A constant shift of the differences counts
    too: it is the mean part of :math:`\sum c_i d_i^2`.

    Examples
    --------
    >>> import numpy as np
    >>> lp = np.log(np.array([0.5, 0.3, 0.2]))
    >>> c = np.array([50.0, 30.0, 20.0])
    >>> coincide(np.array([1e-13, -2e-13, 1e-13]), c, lp), coincide(np.array([1e-3, -2e-3, 1e-3]), c, lp)
    (True, False)
    """
    return float((c * d * d).sum()) <= 2.0 * _EPS * float((c * np.abs(log_p)).sum())


@dataclass(frozen=True)
class LikelihoodRatio:
    """Power law versus one alternative on the same tail.

    Attributes
    ----------
    alternative : str
    R : float
        Σ_i [ln p_pl(x_i) − ln p_alt(x_i)]; > 0 favours the power law.
    normalized_R : float
        R / (σ √n), σ the standard deviation of the pointwise differences (Vuong); 0 (and p = 1)
        where the two fitted models are the same law to double precision (:func:`coincide`: the
        root mean square of the pointwise differences is below √(2ε·mean|ln p|); R and σ are
        then rounding-sized and their ratio is noise).
    p_value : float
        Non-nested: erfc(|R| / (σ √(2n))) (Vuong 1989; CSN eq. C.6).  Nested (the power law is
        the boundary λ = 0 / β = 0 of the alternative): ½ P(χ²₁ ≥ −2R) for R < 0, else 1
        (Self & Liang 1987: the LR statistic is ½χ²₀ + ½χ²₁ on a boundary).
    nested : bool
        True when the power law is a special case of the alternative.
    parameters : dict
        Fitted parameters of the alternative (maximum likelihood on the same tail).
    preferred : str | None
        "power_law" or the alternative when p < 0.1, else None (the test cannot tell).
    log_likelihood : float
        Log-likelihood of the tail under the alternative.
    n_tail : int
    """

    alternative: str
    R: float
    normalized_R: float
    p_value: float
    nested: bool
    parameters: dict = field(default_factory=dict)
    preferred: str | None = None
    log_likelihood: float = float("nan")
    n_tail: int = 0

    def to_dict(self) -> dict:
        return {"alternative": self.alternative, "R": float(self.R), "normalized_R": float(self.normalized_R),
                "p_value": float(self.p_value), "nested": bool(self.nested),
                "parameters": {k: float(v) for k, v in self.parameters.items()},
                "preferred": self.preferred, "log_likelihood": float(self.log_likelihood),
                "n_tail": int(self.n_tail)}


# ------------------------------------------------------------ log normalisers
_HEAD_MIN, _HEAD_MAX = 64, 256


_MAX, _SUM = np.maximum.reduce, np.add.reduce


def _lse(v: np.ndarray) -> float:
    """ln Σ e^v (scipy's logsumexp costs ~10× more per call on these short grids)."""
    m = float(_MAX(v))  # the ufunc reductions behind ndarray.max/.sum, without their wrappers
    if not math.isfinite(m):
        return m
    return m + math.log(float(_SUM(np.exp(v - m))))


class _Norm:
    """ln of the normaliser Σ_{t≥xmin} f(t) (discrete) or ∫_{xmin} f (continuous), with an
    optional upper bound xmax.

    Discrete sums are exact over a head grid xmin … H (H = xmin + clip(data range, 64, 256),
    never beyond xmax) and the rest Σ_{t=m}^{∞} f(t), m = H + 1, comes from the
    Euler–Maclaurin midpoint formula ∫_{m−½}^{∞} f dx + f′(m−½)/24 (error ≈ 7 f‴/5760, below
    1e−8 of the sum for the smooth, slowly varying tails met here) with the integral in closed
    form; with xmax the same expression at xmax + 1 is subtracted.
    """

    def __init__(self, xmin: float, xmax: float | None, discrete: bool, data_max: float):
        self.xmin, self.xmax, self.discrete = xmin, xmax, discrete
        if discrete:
            top = xmin + min(max(data_max - xmin, _HEAD_MIN), _HEAD_MAX)
            if xmax is not None:
                top = min(top, xmax)
            self.grid = np.arange(xmin, top + 1.0)
            self.lgrid = np.log(self.grid)
            self.top = float(top)
        #: the grids (t, ln t) of the exact 1,000-term blocks of :func:`_log_rest`, by start:
        #: the same few blocks serve every likelihood evaluation on this tail
        self.blocks: dict[float, tuple[np.ndarray, np.ndarray]] = {}

    def log_z(self, logf, dlogf, log_int, logf_grid=None) -> float:
        """ln Σ f (discrete) or ln ∫ f (continuous) given ln f, d ln f/dx and ln ∫_a^∞ f."""
        xmin, xmax = self.xmin, self.xmax
        if not self.discrete:
            lz = log_int(xmin)
            if xmax is not None:
                lz = float(lz + np.log(-np.expm1(log_int(xmax) - lz)))
            return lz
        lz = _lse(logf(self.grid) if logf_grid is None else logf_grid(self.lgrid))
        if xmax is not None and self.top >= xmax:
            return lz
        lt = _log_rest(self.top + 1.0, logf, dlogf, log_int, logf_grid=logf_grid, blocks=self.blocks)
        if xmax is not None:
            lt = lt + float(np.log(-np.expm1(_log_rest(xmax + 1.0, logf, dlogf, log_int, logf_grid=logf_grid,
                                                       blocks=self.blocks) - lt)))
        return float(np.logaddexp(lz, lt))


def _log_rest(m, logf, dlogf, log_int, depth: int = 0, *, logf_grid=None, blocks=None) -> float:
    """ln Σ_{t=m}^{∞} f(t) ≈ ln[∫_{m−½}^{∞} f dx + f′(m−½)/24] (Euler–Maclaurin, midpoint form).

    Where f still varies fast on the unit scale at m (the correction is not small) the next
    1,000 terms are summed exactly and the formula is applied after them.  ``logf_grid``
    (ln f as a function of ln t, the same arithmetic as ``logf``) and ``blocks`` (a cache of
    those blocks' t and ln t) spare the logarithms of the block on every evaluation."""
    a = m - 0.5
    li = float(log_int(a))
    lfa = float(logf(a))
    # a correction term of size e^(ln f − ln ∫) beyond e^700 is not small: sum exactly instead
    d = lfa - li
    corr = math.exp(d) * float(dlogf(a)) / 24.0 if (math.isfinite(li) and d < 700.0) else -1.0
    if not corr > -0.5:
        if logf_grid is not None and blocks is not None:
            blk = blocks.get(m)
            if blk is None:
                g = np.arange(m, m + 1000.0)
                blk = blocks[m] = (g, np.log(g))
            lg = logf_grid(blk[1])
        else:
            lg = logf(np.arange(m, m + 1000.0))
        lc = _lse(lg)
        if depth >= 200 or (lg[-1] < lc - 60.0 and lg[-1] < lg[-2]):
            return lc
        return float(np.logaddexp(lc, _log_rest(m + 1000.0, logf, dlogf, log_int, depth + 1,
                                                logf_grid=logf_grid, blocks=blocks)))
    return li + math.log1p(corr)


def _log_uigamma(s: float, z: float) -> float:
    """ln Γ(s, z), the upper incomplete gamma function, for any real s and z > 0.

    z ≥ max(1, 1 − s): modified Lentz continued fraction (Numerical Recipes §6.2),
    Γ(s, z) = e^{−z} z^s / (z + 1 − s − 1(1 − s)/(z + 3 − s − …)); otherwise the recurrence
    Γ(s, z) = (Γ(s + 1, z) − z^s e^{−z}) / s from s + k > 0, where Γ is scipy's regularised
    gammaincc times Γ(s + k).  The recurrence runs on r = Γ(s, z) / (z^s e^{−z}), which obeys
    r_s = (z r_{s+1} − 1) / s, so that a steep law with a weak cut-off (s ≪ 0, z ≪ 1, where
    z^s alone overflows a double) still gets its finite logarithm.
    """
    if z >= max(1.0, 1.0 - s):
        tiny = 1e-300
        b = z + 1.0 - s
        cc = 1.0 / tiny
        d = 1.0 / b
        h = d
        for i in range(1, 500):
            an = -i * (i - s)
            b += 2.0
            d = an * d + b
            d = tiny if abs(d) < tiny else d
            cc = b + an / cc
            cc = tiny if abs(cc) < tiny else cc
            d = 1.0 / d
            de = d * cc
            h *= de
            if abs(de - 1.0) < 1e-15:
                break
        return -z + s * math.log(z) + math.log(h)
    k = 0
    while s + k <= 0:
        k += 1
    lz = math.log(z)
    # ln r at s + k > 0: ln Γ(s + k, z) − (s + k) ln z + z
    lr = (math.log(special.gammaincc(s + k, z)) + special.gammaln(s + k)) - (s + k) * lz + z
    r = math.exp(lr) if lr < 700 else math.inf
    for j in range(k - 1, -1, -1):
        sj = s + j
        if sj == 0:  # Γ(0, z) = E₁(z), so r = E₁(z) e^z
            r = float(special.exp1(z)) * math.exp(z) if z < 700 else 1.0 / z
        elif math.isinf(r):  # z r ≫ 1: Γ(s, z) ≈ z Γ(s + 1, z)/s in ratio form stays infinite
            return math.nan
        else:
            r = (z * r - 1.0) / sj
    if not r > 0:
        return math.nan
    return s * lz - z + math.log(r)


def _expm1_over(b: float, L):
    """E(β, L) = (e^{βL} − 1)/β, continuous at β = 0 (= L), computed with expm1."""
    if b == 0.0:
        return L
    return np.expm1(b * np.asarray(L, dtype=float)) / b if not isinstance(L, float) else math.expm1(b * L) / b


#: what a likelihood evaluation may raise at a parameter point where it cannot be computed
_EVAL_ERRORS = (OverflowError, ZeroDivisionError, ValueError, FloatingPointError)


def _safe(raw):
    """``raw`` with a failed evaluation (overflow, domain error, non-finite value) mapped to +inf."""
    def nll(theta):
        try:
            with np.errstate(all="ignore"):
                v = raw(theta)
        except _EVAL_ERRORS:
            return np.inf
        return float(v) if np.isfinite(v) and v < 1e299 else np.inf
    return nll


# ------------------------------------------------- analytic derivatives of the normaliser
# A likelihood evaluation with its gradient and Hessian in the working parameters θ, in one
# pass.  The normaliser Z(θ) is a signed sum of "pieces" Z = Σ ±e^{L_k}: the exact sum over a
# grid (the discrete head, the exact 1,000-term blocks), the Euler–Maclaurin rest
# ∫_{a}^{∞} f dx + f′(a)/24 and the closed-form tail integral of the continuous families.  Each
# piece brings (L, ∇L, ∇²L); a grid piece's are expectations under the model restricted to the
# grid, ∇L = E[∂ ln f], ∇²L = E[∂² ln f] + Cov(∂ ln f), and the Euler–Maclaurin piece is the
# same formula applied to ∂f = f ∂ ln f (differentiated in closed form at a = m − ½).


def _piece_grid(lf, d1, d2):
    """(L, ∇L, ∇²L) of L = ln Σ_t f(t) from ln f on a grid (T,), ∂ ln f (k, T), ∂² ln f (k, k, T)."""
    L = _lse(lf)
    w = np.exp(lf - L)
    g = d1 @ w
    return L, g, d2 @ w + (d1 * w) @ d1.T - np.outer(g, g)


def _piece_em(li, lfa, D):
    """(L, ∇L, ∇²L) of L = ln[∫_a^∞ f + f′(a)/24] from the tail integral ``li`` = (ln ∫, ∇, ∇²),
    ``lfa`` = (ln f(a), ∇, ∇²) and ``D`` = (∂ₓ ln f(a), ∇, ∇²): with r = f(a)/(24 ∫),
    R/∫ = 1 + r ∂ₓ ln f and ∂R/∫ = ∇li + r(∇lfa ∂ₓ ln f + ∇∂ₓ ln f), ∂²R/∫ likewise."""
    L0, g0, H0 = li
    la, ga, Ha = lfa
    d, gd, Hd = D
    r = math.exp(la - L0) / 24.0
    rt = 1.0 + r * d
    G = (g0 + r * (ga * d + gd)) / rt
    M = (H0 + np.outer(g0, g0) + r * ((Ha + np.outer(ga, ga)) * d + np.outer(ga, gd) + np.outer(gd, ga) + Hd)) / rt
    return L0 + math.log1p(r * d), G, M - np.outer(G, G)


def _combine(pieces):
    """(ln Z, ∇, ∇²) of Z = Σ sign_k e^{L_k} from pieces (sign, L, ∇L, ∇²L); None if Z ≤ 0."""
    top = max(p[1] for p in pieces if p[0] > 0)
    Z, G, M = 0.0, 0.0, 0.0
    for sgn, L, g, H in pieces:
        w = sgn * math.exp(L - top)
        Z, G, M = Z + w, G + w * g, M + w * (H + np.outer(g, g))
    if not Z > 0:
        return None
    G, M = G / Z, M / Z
    return top + math.log(Z), G, M - np.outer(G, G)


class _Family:
    """One two-parameter family's ln f and its closed-form θ-derivatives (see :func:`_lz_derivs`).

    ``pw(x, lx)``: ln f(x), ∂ ln f (k, T), ∂² ln f (k, k, T) on an array x (lx = ln x);
    ``dx(a)``: ∂ₓ ln f(a) and its ∇, ∇² at a scalar a; ``li(a)``: ln ∫_a^∞ f and its ∇, ∇²."""

    def __init__(self, pw, dx, li):
        self.pw, self.dx, self.li = pw, dx, li


def _rest_pieces(m, fam: _Family, depth: int = 0) -> list:
    """The pieces of ln Σ_{t≥m} f(t), following :func:`_log_rest` step for step (the same
    Euler–Maclaurin tail, or an exact 1,000-term block where f still varies fast at m)."""
    a = m - 0.5
    li = fam.li(a)
    lfa = fam.pw(np.array([a]), np.array([math.log(a)]))
    lfa = (float(lfa[0][0]), lfa[1][:, 0], lfa[2][:, :, 0])
    D = fam.dx(a)
    d = lfa[0] - li[0]
    corr = math.exp(d) * D[0] / 24.0 if (math.isfinite(li[0]) and d < 700.0) else -1.0
    if not corr > -0.5:
        t = np.arange(m, m + 1000.0)
        lf, d1, d2 = fam.pw(t, np.log(t))
        blk = (1.0,) + _piece_grid(lf, d1, d2)
        if depth >= 200 or (lf[-1] < blk[1] - 60.0 and lf[-1] < lf[-2]):
            return [blk]
        return [blk] + _rest_pieces(m + 1000.0, fam, depth + 1)
    return [(1.0,) + _piece_em(li, lfa, D)]


def _lz_derivs(norm: _Norm, fam: _Family):
    """(ln Z, ∇ ln Z, ∇² ln Z) for the normaliser that :meth:`_Norm.log_z` evaluates, or None."""
    if not norm.discrete:
        if norm.xmax is None:
            return fam.li(norm.xmin)
        pieces = [(1.0,) + tuple(fam.li(norm.xmin))]
        if norm.xmax is not None:
            pieces.append((-1.0,) + tuple(fam.li(norm.xmax)))
        return _combine(pieces)
    head = (1.0,) + _piece_grid(*fam.pw(norm.grid, norm.lgrid))
    if norm.xmax is not None and norm.top >= norm.xmax:
        return head[1:]
    rest = _combine(_rest_pieces(norm.top + 1.0, fam))
    if rest is None:
        return None
    if norm.xmax is not None:
        cut = _combine(_rest_pieces(norm.xmax + 1.0, fam))
        rest = None if cut is None else _combine([(1.0,) + rest, (-1.0,) + cut])
        if rest is None:
            return None
    return _combine([head, (1.0,) + rest])


def _safe_derivs(raw):
    """``raw`` (θ → (f, ∇f, ∇²f)) with a failed or non-finite evaluation mapped to None."""
    def fgh(theta):
        try:
            with np.errstate(all="ignore"):
                r = raw(theta)
        except _EVAL_ERRORS:
            return None
        if r is None:
            return None
        v, g, H = r
        v = float(v)
        # one sum sees any NaN or infinity among the derivatives
        if not (math.isfinite(v) and v < 1e299
                and math.isfinite(float(_SUM(g, axis=None)) + float(_SUM(H, axis=None)))):
            return None
        return v, g, H
    return fgh


def _slice_derivs(derivs, fixed, keep: int = 0):
    """Derivatives of θ_keep ↦ nll(θ) with the other coordinate held at ``fixed`` (1-D fits)."""
    def fgh(t):
        th = np.array([t[0], fixed]) if keep == 0 else np.array([fixed, t[0]])
        r = derivs(th)
        if r is None:
            return None
        return r[0], r[1][keep:keep + 1], r[2][keep:keep + 1, keep:keep + 1]
    return fgh


def _dlog_uigamma(s: float, z: float):
    """ln Γ(s, z) and its derivatives (G, G_s, G_z, G_ss, G_sz, G_zz).

    The z-derivatives are closed-form (∂_z Γ(s, z) = −z^{s−1}e^{−z}); the s-derivative of the
    upper incomplete gamma function has none, so G_s and G_ss are seven-point (sixth-order)
    differences of :func:`_log_uigamma` in s with step h = 10⁻²: against mpmath, G_s to
    ~1e-13 relative (~3e-11 where the stencil straddles a branch of :func:`_log_uigamma`), G_ss
    to ~1e-9 (it only shapes the Newton steps); G_sz = G_z (ln z − G_s)."""
    h = 1e-2
    G = _log_uigamma(s, z)
    p1, m1 = _log_uigamma(s + h, z), _log_uigamma(s - h, z)
    p2, m2 = _log_uigamma(s + 2 * h, z), _log_uigamma(s - 2 * h, z)
    p3, m3 = _log_uigamma(s + 3 * h, z), _log_uigamma(s - 3 * h, z)
    Gs = (45.0 * (p1 - m1) - 9.0 * (p2 - m2) + (p3 - m3)) / (60.0 * h)
    Gss = (270.0 * (p1 + m1) - 27.0 * (p2 + m2) + 2.0 * (p3 + m3) - 490.0 * G) / (180.0 * h * h)
    lz = math.log(z)
    Gz = -math.exp((s - 1.0) * lz - z - G)
    return G, Gs, Gz, Gss, Gz * (lz - Gs), Gz * ((s - 1.0) / z - 1.0 - Gz)


def _E012(b: float, L):
    """E(β, L) = ∫₀^L e^{βs} ds and its β-derivatives E′ = ∫ s e^{βs}, E″ = ∫ s² e^{βs} (β ≥ 0,
    L ≥ 0): E by expm1 (as :func:`_expm1_over`), E′ = L²φ₁(βL), E″ = L³φ₂(βL) with
    φ₁(z) = (z e^z − expm1 z)/z², φ₂(z) = (z²e^z − 2z e^z + 2 expm1 z)/z³ in closed form
    (cancellation: relative error ~2ε/z in φ₁, ~6ε/z² in φ₂, which only enters the Hessian) and
    by their Taylor series Σ z^j/(j!(j + k + 1)) below z = 10⁻³ (six terms: error < 1e-19)."""
    L = np.asarray(L, dtype=float)
    if b == 0.0:
        return L, 0.5 * L * L, L * L * L / 3.0
    z = b * L
    em = np.expm1(z)
    with np.errstate(all="ignore"):
        zez = z * (em + 1.0)
        z2 = z * z
        p1 = (zez - em) / z2
        p2 = (z * zez - 2.0 * zez + 2.0 * em) / (z2 * z)
    small = z < 1e-3
    if small.any():
        zs = z[small] if z.ndim else z
        s1 = s2 = 0.0
        for j in range(5, -1, -1):  # Horner in z with the coefficients 1/(j!(j + k + 1))
            f = 1.0 / math.factorial(j)
            s1 = s1 * zs + f / (j + 2)
            s2 = s2 * zs + f / (j + 3)
        if z.ndim:
            p1[small], p2[small] = s1, s2
        else:
            p1, p2 = s1, s2
    return em / b, L * L * p1, L * L * L * p2


def _se_K(b: float, y0: float, L):
    """K(β) = ∫_{y0}^{y0+L} e^{βy} dy = e^{βy0}E(β, L) and its β-derivatives K′, K″."""
    E0, E1, E2 = _E012(b, L)
    eb = math.exp(b * y0)
    K = eb * E0
    K1 = y0 * K + eb * E1
    return K, K1, y0 * K1 + eb * (y0 * E1 + E2)


def _fd_derivs(f, x, fx):
    """Gradient (five-point stencil, step 1e-3·max(1, |x_i|): truncation ~h⁴, rounding
    ~1e-16·|f|/h) and Hessian (central, step 1e-4·max(1, |x_i|)) of f at x; returns (g, H) or
    None where f cannot be evaluated."""
    k = x.size
    hg = 1e-3 * np.maximum(1.0, np.abs(x))
    hh = 1e-4 * np.maximum(1.0, np.abs(x))
    e = np.eye(k)
    g = np.empty(k)
    H = np.empty((k, k))
    for i in range(k):
        g[i] = (8 * (f(x + hg[i] * e[i]) - f(x - hg[i] * e[i]))
                - (f(x + 2 * hg[i] * e[i]) - f(x - 2 * hg[i] * e[i]))) / (12 * hg[i])
        fp, fm = f(x + hh[i] * e[i]), f(x - hh[i] * e[i])
        H[i, i] = (fp - 2 * fx + fm) / hh[i] ** 2
        for j in range(i):
            H[i, j] = H[j, i] = (f(x + hh[i] * e[i] + hh[j] * e[j]) - f(x + hh[i] * e[i] - hh[j] * e[j])
                                 - f(x - hh[i] * e[i] + hh[j] * e[j]) + f(x - hh[i] * e[i] - hh[j] * e[j])) \
                / (4 * hh[i] * hh[j])
    if not (np.all(np.isfinite(g)) and np.all(np.isfinite(H))):
        return None
    return g, H


def _pd_solve(H, g, mu: float):
    """−(H + μI)⁻¹g where H + μI is positive definite (Cholesky succeeds), else None; one and
    two parameters in closed form (a > 0 and det > 0 is Sylvester's criterion)."""
    if H.shape == (1, 1):
        a = float(H[0, 0]) + mu
        return np.array([-float(g[0]) / a]) if a > 0 else None
    if H.shape == (2, 2):
        a, b, c = float(H[0, 0]) + mu, float(H[0, 1]), float(H[1, 1]) + mu
        det = a * c - b * b
        if not (a > 0 and det > 0):
            return None
        g0, g1 = float(g[0]), float(g[1])
        return np.array([-(c * g0 - b * g1) / det, -(a * g1 - b * g0) / det])
    try:
        L = np.linalg.cholesky(H + mu * np.eye(len(g)))
    except np.linalg.LinAlgError:
        return None
    return -np.linalg.solve(L.T, np.linalg.solve(L, g))


def _newton(nll, starts, *, derivs=None, maxit: int = 20, xtol: float = 1e-7):
    """Damped Newton from the best start (Armijo backtracking, Levenberg shift where the
    Hessian is not positive definite).

    ``derivs``: θ ↦ (nll, ∇nll, ∇²nll) in closed form (one pass, ~ the cost of one likelihood
    evaluation; the step's trial point brings the next iteration's derivatives); without it, or
    at a point where it cannot be evaluated, finite differences of ``nll`` (:func:`_fd_derivs`,
    ~16 evaluations for two parameters).

    Returns the minimiser as an ``(x, fun)`` pair (``fun`` from ``nll`` itself) when it converges
    to an interior point with a positive-definite Hessian (last step below ``xtol`` relative, so
    x is within ~xtol² plus the derivative error of the optimum); None otherwise (a flat or
    unbounded direction, a boundary): then the caller runs the reference Nelder–Mead, whose
    answer there depends on where its simplex stops and is kept as it is."""
    f = _safe(nll)
    fgh = _safe_derivs(derivs) if derivs is not None else None
    vals = [f(np.asarray(s, float)) for s in starts]
    if not np.isfinite(min(vals)):
        return None
    x = np.asarray(starts[int(np.argmin(vals))], float)
    fx = min(vals)
    known = None  # (∇, ∇²) at x when the line search's trial point brought them
    for _ in range(maxit):
        d = known
        if d is None and fgh is not None:
            r = fgh(x)
            d = None if r is None else (r[1], r[2])
        if d is None:
            d = _fd_derivs(f, x, fx)
        known = None
        if d is None:
            return None
        g, H = d
        mu = 0.0
        scale = max(1e-12, float(np.abs(np.diag(H)).max()))
        while True:
            step = _pd_solve(H, g, mu)
            if step is not None:
                break
            mu = max(2 * mu, 1e-8 * scale)
            if mu > 1e12 * scale:
                return None
        small = all(abs(si) <= xtol * max(1.0, abs(xi)) for si, xi in zip(step.tolist(), x.tolist()))
        if small and mu == 0.0:
            xn = x + step
            fn = f(xn)
            if fn <= fx + 1e-9 * max(1.0, abs(fx)):
                return (xn, fn) if fn <= fx else (x, f(x))
            return None
        t, slope = 1.0, float(g @ step)
        while t > 1e-10:
            xn = x + t * step
            r = fgh(xn) if fgh is not None else None
            fn = r[0] if r is not None else f(xn)
            if fn <= fx + 1e-4 * t * slope:
                known = None if r is None else (r[1], r[2])
                break
            t *= 0.5
        else:
            return None
        x, fx = xn, fn
    return None


#: how often each fitting route was taken since import (``newton``, ``newton_natural``,
#: ``boundary``, ``nelder_mead``): the benchmarks report how rare the reference fallback is
ROUTES: dict[str, int] = {}


def _route(name: str) -> None:
    ROUTES[name] = ROUTES.get(name, 0) + 1


#: an optimum is "sharp" where a log-likelihood resolution of _FLAT_EPS nats pins every
#: parameter to _FLAT_REL relative (√(2ε/h) along the flattest Hessian direction); on a flatter
#: one the reference Nelder–Mead stops anywhere along the valley, and is kept as it is
_FLAT_EPS, _FLAT_REL = 1e-11, 3e-6


def _sharp(nll, x, fx, derivs=None) -> bool:
    """Whether the optimum x of ``nll`` is sharp in the working parameters (see _FLAT_REL);
    the Hessian from ``derivs`` where given, else by finite differences."""
    x = np.asarray(x, float)
    r = _safe_derivs(derivs)(x) if derivs is not None else None
    d = (r[1], r[2]) if r is not None else _fd_derivs(_safe(nll), x, fx)
    if d is None:
        return False
    w, v = np.linalg.eigh(d[1])
    if not w[0] > 0:
        return False
    spread = np.abs(v) * np.sqrt(2 * _FLAT_EPS / w)[None, :]  # per parameter, per direction
    return bool(np.all(spread.max(axis=1) <= _FLAT_REL * np.maximum(1.0, np.abs(x))))


def _chain(derivs, jet):
    """The derivatives of φ ↦ nll(θ(φ)) from those of nll in θ and ``jet(φ)`` = (θ, J, [∇²θ_k])
    (J[k, i] = ∂θ_k/∂φ_i): ∇_φ = Jᵀ∇_θ, ∇²_φ = Jᵀ∇²_θ J + Σ_k ∂_k nll ∇²θ_k."""
    def fgh(ph):
        j = jet(np.asarray(ph, float))
        if j is None:
            return None
        th, J, H2 = j
        r = derivs(th)
        if r is None:
            return None
        v, g, H = r
        return v, J.T @ g, J.T @ H @ J + sum(gk * hk for gk, hk in zip(g, H2))
    return fgh


def _fit_minimize(nll, starts, *, fast: bool = True, natural=None, boundary=None, derivs=None,
                  natural_jet=None):
    """Minimise ``nll`` from ``starts``: damped Newton (:func:`_newton`) where it converges to
    an interior optimum, else the reference procedure (:func:`_fit_nelder_mead`).

    ``natural``: a pair of maps (θ → φ, φ → θ) to the family's natural (exponential-family)
    parameters, where the negative log-likelihood is convex (its normaliser is a log-partition
    function), so Newton converges there where the working parametrisation θ is badly
    conditioned (a long curved valley); tried when Newton in θ does not settle.
    ``boundary``: a callable returning ``(θ, f)`` for an optimum on the boundary of the
    parameter space (the power law inside the family) or None; tried next.
    ``derivs``: the closed-form (nll, ∇, ∇²) for the Newton in θ (see :func:`_newton`), and
    ``natural_jet``: φ ↦ (θ, ∂θ/∂φ, [∇²_φ θ_k]) to carry them to the natural parameters."""
    if fast:
        r = _newton(nll, starts, derivs=derivs)
        how = "newton"
        if r is None and natural is not None:
            fwd, back = natural
            nd = _chain(derivs, natural_jet) if derivs is not None and natural_jet is not None else None
            rn = _newton(lambda ph: nll(back(ph)), [fwd(np.asarray(s, float)) for s in starts], derivs=nd)
            if rn is not None:
                rn = (back(rn[0]), rn[1])
                if nd is not None:
                    # the natural Newton's step test is absolute where |φ| < 1, so near the edge
                    # of the family (η₂ → 0: σ → ∞) it can stop on a ridge that still rises
                    # towards the edge; an interior optimum also passes the step test in θ
                    rn = _newton(nll, [rn[0]], derivs=derivs, maxit=3)
            if rn is not None and _sharp(nll, rn[0], rn[1], derivs):
                r, how = rn, "newton_natural"
        if r is None and boundary is not None:
            r, how = boundary(), "boundary"
        if r is not None:
            _route(how)
            return optimize.OptimizeResult(x=np.asarray(r[0], float), fun=float(r[1]))
    _route("nelder_mead")
    return _fit_nelder_mead(nll, starts)


def _fit_nelder_mead(nll, starts):
    """Coarse Nelder–Mead from each start (xatol 1e-5), then polish the best with a fresh
    small simplex to xatol 1e-10, fatol 1e-12 (the tolerances of a single full run).

    A parameter point where the likelihood cannot be evaluated (overflow, domain error)
    counts as +inf, so the simplex moves away from it instead of aborting the fit."""
    def guarded(theta):
        try:
            v = nll(theta)
        except _EVAL_ERRORS:
            return np.inf
        return v if np.isfinite(v) else np.inf

    best = None
    for s in starts:
        with np.errstate(all="ignore"):
            r = optimize.minimize(guarded, np.asarray(s, float), method="Nelder-Mead",
                                  options={"xatol": 1e-5, "fatol": 1e-9, "maxiter": 500, "maxfev": 500})
        if np.isfinite(r.fun) and r.fun < 1e299 and (best is None or r.fun < best.fun):
            best = r
    if best is None:
        raise InputError("tail: could not fit the alternative distribution (likelihood not finite)")
    x0 = np.asarray(best.x, float)
    simplex = np.vstack([x0] + [x0 + np.eye(x0.size)[i] * 1e-3 * max(1.0, abs(x0[i])) for i in range(x0.size)])
    with np.errstate(all="ignore"):
        r = optimize.minimize(guarded, x0, method="Nelder-Mead",
                              options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 1500, "maxfev": 1500,
                                       "initial_simplex": simplex})
    return r if np.isfinite(r.fun) and r.fun <= best.fun else best


def _alt_logp(name: str, u: np.ndarray, c: np.ndarray, norm: _Norm, *, binomial_n: int | None,
              fast: bool = True):
    """Fit ``name`` on the tail histogram (u, c); return (params dict, log p(u)).

    The data term Σ c ln f(u) uses sufficient statistics (Σ c u, Σ c ln u, Σ c ln² u) where
    the family allows, so one likelihood evaluation costs O(head grid), not O(n).  ``fast``:
    damped Newton where it converges (else, and with ``fast=False``, the reference Nelder–Mead)."""
    xmin, xmax, discrete = norm.xmin, norm.xmax, norm.discrete
    n = c.sum()
    mean = float((c * u).sum() / n)
    lu = np.log(u)
    mlog = float((c * lu).sum() / n)
    slog = float(np.sqrt(max((c * (lu - mlog) ** 2).sum() / n, 1e-12)))
    s_x, s_l, s_l2 = float((c * u).sum()), float((c * lu).sum()), float((c * lu * lu).sum())
    # each family's branch below defines its own helpers with its own parameters
    logf: Callable[..., Any]
    dlogf: Callable[..., Any]
    tail_int: Callable[..., Any]
    logz: Callable[..., Any]
    nll: Callable[..., Any]
    logp: Callable[..., Any]
    to_natural: Callable[..., Any]
    from_natural: Callable[..., Any]

    if name == "exponential":
        def logf(x, lam):
            return -lam * (x - xmin)

        def logz(lam):
            if discrete:
                # geometric series, exactly: Σ_{k=0}^{K} e^{−λk} = (1 − e^{−λ(K+1)}) / (1 − e^{−λ})
                lz = -math.log(-math.expm1(-lam))
                if xmax is not None:
                    lz += math.log(-math.expm1(-lam * (xmax - xmin + 1.0)))
                return lz
            if xmax is None:
                return -math.log(lam)
            return -math.log(lam) + math.log(-math.expm1(-lam * (xmax - xmin)))

        def nll(th):
            lam = math.exp(th[0])
            return lam * (s_x - n * xmin) + n * logz(lam)
        # the score equation has a closed form without xmax: 1/λ = x̄ − xmin (continuous),
        # 1/(e^λ − 1) = x̄ − xmin (discrete, geometric); with xmax a 1-D search from it
        def h_d(v):
            # h(v) = ln(1 − e^{−v}) as a function of ln λ (v = λK): h_ℓ = v/expm1(v) = q,
            # h_ℓℓ = q − q²e^v
            q = v / math.expm1(v)
            return q, q - (q * q * math.exp(v) if v < 700 else v * v * math.exp(-v))

        def derivs(th):
            lam = math.exp(th[0])
            g, H = (-1.0, 0.0) if not discrete else tuple(-t for t in h_d(lam))
            if xmax is not None:
                gk, hk = h_d(lam * ((xmax - xmin + 1.0) if discrete else (xmax - xmin)))
                g, H = g + gk, H + hk
            sx = lam * (s_x - n * xmin)
            return sx + n * logz(lam), np.array([sx + n * g]), np.array([[sx + n * H]])
        lam0 = 1.0 / max(mean - xmin, 1e-9) if not discrete else math.log1p(1.0 / max(mean - xmin, 1e-9))
        if xmax is None and mean - xmin > 1e-9:
            lam = lam0
        else:
            lam = math.exp(_fit_minimize(nll, fast=fast, derivs=derivs,
                                         starts=[[math.log(lam0)], [math.log(lam0) + 1], [math.log(lam0) - 1]]).x[0])
        return {"lambda": lam}, logf(u, lam) - logz(lam)

    if name == "lognormal":
        def logf(x, mu, s):
            return -np.log(x) - (np.log(x) - mu) ** 2 / (2 * s * s)

        def dlogf(x, mu, s):
            return -(1.0 + (np.log(x) - mu) / (s * s)) / x

        def tail_int(a, mu, s):
            return math.log(s * math.sqrt(2 * math.pi)) + float(special.log_ndtr(-(math.log(a) - mu) / s))

        def logz(mu, s):
            return norm.log_z(lambda g: logf(g, mu, s), lambda g: dlogf(g, mu, s), lambda a: tail_int(a, mu, s),
                              lambda lg: -lg - (lg - mu) ** 2 / (2 * s * s))

        def nll(th):
            mu, s = th[0], math.exp(th[1])
            data = s_l + (s_l2 - 2 * mu * s_l + n * mu * mu) / (2 * s * s)
            with np.errstate(all="ignore"):
                v = data + n * logz(mu, s)
            return v if np.isfinite(v) else 1e300
        def to_natural(th):  # (μ, ln σ) → (η₁, η₂) = (μ/σ², 1/(2σ²)): ln f = η₁ ln x − η₂ ln²x − ln x + c
            s2 = math.exp(2 * th[1])
            return np.array([th[0] / s2, 0.5 / s2])

        def from_natural(ph):  # η₂ ≤ 0 is outside the family (not normalisable): NaN, i.e. +inf
            if not ph[1] > 0:
                return np.array([math.nan, math.nan])
            s2 = 0.5 / ph[1]
            return np.array([ph[0] * s2, 0.5 * math.log(s2)])
        def ln_family(mu, ls):
            # θ = (μ, ln σ), e = σ⁻²: ∂ ln f = ((v − μ)e, (v − μ)²e), v = ln x
            e = math.exp(-2.0 * ls)

            def pw(x, lx):
                dv = lx - mu
                q = dv * e
                return (-lx - 0.5 * dv * q, np.array([q, dv * q]),
                        np.array([[np.full_like(q, -e), -2.0 * q], [-2.0 * q, -2.0 * dv * q]]))

            def dx(a):
                q = (math.log(a) - mu) * e / a
                return (-(1.0 / a + q), np.array([e / a, 2.0 * q]),
                        np.array([[0.0, -2.0 * e / a], [-2.0 * e / a, -4.0 * q]]))

            def li(a):
                # ln ∫_a^∞ f = ln σ + ½ ln 2π + ln Φ(w), w = (μ − ln a)/σ; (ln Φ)′ = φ/Φ = q1,
                # (ln Φ)″ = −q1(w + q1)
                es = math.exp(-ls)
                w = (mu - math.log(a)) * es
                lq = float(special.log_ndtr(w))
                q1 = math.exp(-0.5 * w * w - 0.5 * math.log(2 * math.pi) - lq)
                q2 = -q1 * (w + q1)
                return (ls + 0.5 * math.log(2 * math.pi) + lq, np.array([q1 * es, 1.0 - q1 * w]),
                        np.array([[q2 * es * es, -es * (q2 * w + q1)], [-es * (q2 * w + q1), q2 * w * w + q1 * w]]))
            return _Family(pw, dx, li)

        def derivs(th):
            mu, ls = float(th[0]), float(th[1])
            z = _lz_derivs(norm, ln_family(mu, ls))
            if z is None:
                return None
            e = math.exp(-2.0 * ls)
            q = s_l2 - 2 * mu * s_l + n * mu * mu  # Σ c (ln u − μ)²
            gm = (n * mu - s_l) * e
            return (s_l + 0.5 * q * e + n * z[0], np.array([gm, -q * e]) + n * z[1],
                    np.array([[n * e, -2.0 * gm], [-2.0 * gm, 2.0 * q * e]]) + n * z[2])
        def natural_jet(ph):  # θ = (η₁/(2η₂), −½ ln 2η₂) with its first and second derivatives
            e1, e2 = float(ph[0]), float(ph[1])
            if not e2 > 0:
                return None
            J = np.array([[0.5 / e2, -0.5 * e1 / (e2 * e2)], [0.0, -0.5 / e2]])
            return (np.array([0.5 * e1 / e2, -0.5 * math.log(2 * e2)]), J,
                    [np.array([[0.0, -0.5 / (e2 * e2)], [-0.5 / (e2 * e2), e1 / e2 ** 3]]),
                     np.array([[0.0, 0.0], [0.0, 0.5 / (e2 * e2)]])])
        r = _fit_minimize(nll, fast=fast, natural=(to_natural, from_natural), derivs=derivs, natural_jet=natural_jet,
                          starts=[[mlog, math.log(slog)], [math.log(xmin), math.log(2 * slog + 0.1)],
                                  [mlog - 2 * slog, math.log(slog * 2)]])
        mu, s = r.x[0], math.exp(r.x[1])
        return {"mu": mu, "sigma": s}, logf(u, mu, s) - logz(mu, s)

    if name == "stretched_exponential":
        # Reparametrised as (γ = λβ, β ≥ 0): p(x) ∝ x^{β−1} exp(−γ xmin^β E(β, ln(x/xmin))),
        # E(β, L) = expm1(βL)/β → L as β → 0, so that β = 0 is exactly the power law with
        # α = 1 + γ (the boundary of the family) instead of λ → ∞, β → 0 overflowing.
        lx = np.log(u / xmin)

        def logf(x, g, b):
            return (b - 1) * np.log(x) - g * xmin ** b * _expm1_over(b, np.log(x / xmin))

        def dlogf(x, g, b):
            return (b - 1) / x - g * x ** (b - 1)

        def tail_int(a, g, b):
            return float(-g * xmin ** b * _expm1_over(b, math.log(a / xmin)) - math.log(g))

        def logz(g, b):
            return norm.log_z(lambda t: logf(t, g, b), lambda t: dlogf(t, g, b), lambda a: tail_int(a, g, b),
                              lambda lg: (b - 1) * lg - g * xmin ** b * _expm1_over(b, lg - math.log(xmin)))

        def unpack(th):
            return math.exp(th[0]), min(max(th[1], 0.0), SE_BETA_MAX)

        def nll(th):
            g, b = unpack(th)
            with np.errstate(all="ignore"):
                v = -(c * ((b - 1) * lu - g * xmin ** b * _expm1_over(b, lx))).sum() + n * logz(g, b)
            return v if np.isfinite(v) else 1e300
        ly0 = math.log(xmin)

        def se_family(g, b, on):
            # θ = (ln γ, β); K(β) = xmin^β E(β, ln(x/xmin)) = ∫_{ln xmin}^{ln x} e^{βy} dy, so that
            # ln f = (β − 1) ln x − γK; ``on`` = 0 where β is clipped (no β-derivative)
            def pw(x, lx):
                K, K1, K2 = _se_K(b, ly0, lx - ly0)
                gk, gk1 = g * K, on * g * K1
                return ((b - 1) * lx - gk, np.array([-gk, on * lx - gk1]),
                        np.array([[-gk, -gk1], [-gk1, -on * g * K2]]))

            def dx(a):
                la = math.log(a)
                v = g * math.exp((b - 1) * la)  # γ a^{β−1}
                return ((b - 1) / a - v, np.array([-v, on * (1.0 / a - v * la)]),
                        np.array([[-v, -on * v * la], [-on * v * la, -on * v * la * la]]))

            def li(a):  # ln ∫_a^∞ f = −γK(a) − ln γ
                K, K1, K2 = (float(k) for k in _se_K(b, ly0, math.log(a) - ly0))
                return (-g * K - math.log(g), np.array([-g * K - 1.0, -on * g * K1]),
                        np.array([[-g * K, -on * g * K1], [-on * g * K1, -on * g * K2]]))
            return _Family(pw, dx, li)


        def derivs(th):
            g, b = unpack(th)
            on = 1.0 if 0.0 <= th[1] < SE_BETA_MAX else 0.0
            z = _lz_derivs(norm, se_family(g, b, on))
            if z is None:
                return None
            K, K1, K2 = (float(c @ k) for k in _se_K(b, ly0, lx))
            return (-(b - 1) * s_l + g * K + n * z[0], np.array([g * K, on * (g * K1 - s_l)]) + n * z[1],
                    np.array([[g * K, on * g * K1], [on * g * K1, on * g * K2]]) + n * z[2])
        a_pl = 1.0 + 1.0 / max(mlog - math.log(xmin - 0.5 if discrete else xmin), 1e-9)
        starts = [[math.log(max(a_pl - 1.0, 1e-6)), 0.0]]
        for b0 in (0.2, 0.5, 1.0, 1.5):
            lam0 = 1.0 / max(mean ** b0 - xmin ** b0, 1e-9)
            starts.append([math.log(lam0 * b0), b0])
        r = _newton(nll, starts, derivs=derivs) if fast else None
        how = "newton"
        if fast and (r is None or r[0][1] <= 0.0):
            how = "boundary"
            # the optimum may sit on the boundary β = 0 (the power law, α = 1 + γ): a 1-D fit of γ
            # there, kept where the likelihood falls as β leaves 0 (the Karush–Kuhn–Tucker condition)
            b0 = _newton(lambda t: nll([t[0], 0.0]), [[st[0]] for st in starts],
                         derivs=_slice_derivs(derivs, 0.0))
            if b0 is not None:
                t0, f0 = float(b0[0][0]), float(b0[1])
                h = 1e-6
                if _safe(nll)([t0, h]) >= f0 and _safe(nll)([t0, 4 * h]) >= f0:
                    r = (np.array([t0, 0.0]), f0)
                else:
                    r = None
            else:
                r = None
            if r is None:
                # the β = 0 start sits on the kink of the clip at the boundary, where the finite
                # differences straddle it: Newton again from the interior starts only
                r, how = _newton(nll, starts[1:], derivs=derivs), "newton"
                if r is not None and not r[0][1] > 0.0:
                    r = None
        _route(how if r is not None else "nelder_mead")
        r = optimize.OptimizeResult(x=np.asarray(r[0], float), fun=float(r[1])) if r is not None \
            else _fit_nelder_mead(nll, starts)
        g, b = unpack(r.x)
        return {"gamma": g, "beta": b, "lambda": g / b if b > 0 else math.inf}, logf(u, g, b) - logz(g, b)

    if name == "truncated_power_law":
        lxmin = math.log(xmin)

        def logf(x, a, lam):
            return -a * np.log(x / xmin) - lam * (x - xmin)

        def dlogf(x, a, lam):
            return -a / x - lam

        def tail_int(lo, a, lam):
            # ∫_lo^∞ (x/xmin)^{−a} e^{−λ(x−xmin)} dx = xmin^a e^{λ xmin} λ^{a−1} Γ(1−a, λ lo)
            return a * lxmin + lam * xmin + (a - 1) * math.log(lam) + _log_uigamma(1.0 - a, lam * lo)

        def logz(a, lam):
            if discrete or xmax is None:
                return norm.log_z(lambda g: logf(g, a, lam), lambda g: dlogf(g, a, lam),
                                  lambda lo: tail_int(lo, a, lam))
            g = lambda t: math.exp(float(logf(np.array(t), a, lam)))  # noqa: E731
            val, _ = integrate.quad(g, xmin, xmax, limit=200)
            return math.log(val)

        def nll(th):
            a, lam = th[0], math.exp(th[1])
            if xmax is None and a <= 1.0 and lam < 1e-12:
                return 1e300
            with np.errstate(all="ignore"):
                try:
                    v = a * (s_l - n * lxmin) + lam * (s_x - n * xmin) + n * logz(a, lam)
                except (ValueError, OverflowError, ZeroDivisionError):
                    return 1e300
            return v if np.isfinite(v) else 1e300
        a0 = 1.0 + 1.0 / max(mlog - math.log(xmin - 0.5 if discrete else xmin), 1e-9)
        scale = max(mean - xmin, 1.0)
        starts = [[a0, math.log(1e-3 / scale)], [max(a0 - 0.5, 0.5), math.log(0.1 / scale)],
                  [a0, math.log(1.0 / scale)]]

        def tpl_family(a, ll):
            # θ = (α, ln λ): ∂ ln f = (−ln(x/xmin), −λ(x − xmin)), ∂² ln f = 0 but ∂²_{ln λ} = −λ(x − xmin)
            lam = math.exp(ll)

            def pw(x, lx):
                dl, dx_ = lx - lxmin, lam * (x - xmin)
                zero = np.zeros_like(dl)
                return -a * dl - dx_, np.array([-dl, -dx_]), np.array([[zero, zero], [zero, -dx_]])

            def dx(at):
                return (-a / at - lam, np.array([-1.0 / at, -lam]), np.array([[0.0, 0.0], [0.0, -lam]]))

            def li(lo):
                # tail_int = α ln xmin + λ xmin + (α − 1) ln λ + G(1 − α, λ lo), G = ln Γ(s, z)
                z = lam * lo
                G, Gs, Gz, Gss, Gsz, Gzz = _dlog_uigamma(1.0 - a, z)
                return (a * lxmin + lam * xmin + (a - 1) * ll + G,
                        np.array([lxmin + ll - Gs, lam * xmin + (a - 1) + Gz * z]),
                        np.array([[Gss, 1.0 - Gsz * z], [1.0 - Gsz * z, lam * xmin + Gzz * z * z + Gz * z]]))
            return _Family(pw, dx, li)

        def derivs(th):
            a, ll = float(th[0]), float(th[1])
            lam = math.exp(ll)
            if xmax is None and a <= 1.0 and lam < 1e-12:
                return None
            z = _lz_derivs(norm, tpl_family(a, ll))
            if z is None:
                return None
            sx = lam * (s_x - n * xmin)
            return (a * (s_l - n * lxmin) + sx + n * z[0], np.array([s_l - n * lxmin, sx]) + n * z[1],
                    np.array([[0.0, 0.0], [0.0, sx]]) + n * z[2])
        # the continuous doubly truncated normaliser is a quadrature: finite differences there
        tpl_derivs = derivs if (discrete or xmax is None) else None

        def to_natural(th):  # (α, ln λ) → (α, λ·scale): ln f = −α ln x − λ x + c is linear in them
            return np.array([th[0], math.exp(th[1]) * scale])

        def from_natural(ph):  # λ ≤ 0: ln λ = −inf or NaN, which the likelihood maps to +inf
            return np.array([ph[0], math.log(ph[1] / scale) if ph[1] > 0 else -math.inf])

        def boundary():
            """The optimum at λ → 0 (the power law, the boundary of the family): α fitted at
            λ = e^{−40}·(no scale), kept where the likelihood falls as λ leaves 0 (KKT)."""
            lt = _TPL_ZERO
            b = _newton(lambda t: nll([t[0], lt]), [[st[0]] for st in starts],
                        derivs=None if tpl_derivs is None else _slice_derivs(tpl_derivs, lt))
            if b is None:
                return None
            a_b, f_b = float(b[0][0]), float(b[1])
            f = _safe(nll)
            if all(f([a_b, math.log(h / scale)]) >= f_b for h in (1e-6, 1e-5)):
                return np.array([a_b, lt]), f_b
            return None
        def natural_jet(ph):  # θ = (α, ln(φ₁/scale))
            if not ph[1] > 0:
                return None
            return (np.array([ph[0], math.log(ph[1] / scale)]), np.array([[1.0, 0.0], [0.0, 1.0 / ph[1]]]),
                    [np.zeros((2, 2)), np.array([[0.0, 0.0], [0.0, -1.0 / (ph[1] * ph[1])]])])
        r = _fit_minimize(nll, fast=fast, starts=starts, natural=(to_natural, from_natural), boundary=boundary,
                          derivs=tpl_derivs, natural_jet=natural_jet)
        a, lam = r.x[0], math.exp(r.x[1])
        return {"alpha": a, "lambda": lam}, logf(u, a, lam) - logz(a, lam)

    if name == "poisson":
        hi = np.inf if xmax is None else xmax

        def logp(mu):
            lz = stats.poisson.logsf(xmin - 1, mu)
            if np.isfinite(hi):
                lz = float(np.log(np.exp(lz) - stats.poisson.sf(hi, mu))) if stats.poisson.sf(hi, mu) > 0 else lz
            return stats.poisson.logpmf(u, mu) - lz
        r = optimize.minimize_scalar(lambda lm: -(c * logp(math.exp(lm))).sum(),
                                     bracket=(math.log(max(mean * 0.5, 1e-3)), math.log(mean + 1.0)))
        mu = math.exp(r.x)
        return {"mu": mu}, logp(mu)

    if name == "binomial":
        if binomial_n is None:  # compare_distributions checks this first
            raise UsageError("alternatives: 'binomial' needs binomial_n= (the layer's fan-in)")
        N = int(binomial_n)
        if u.max() > N:
            raise InputError(f"binomial_n={N}: the tail holds values up to {u.max():g} > binomial_n; "
                             "pass the layer's fan-in")
        hi = N if xmax is None else min(N, xmax)

        grid = np.arange(xmin, hi + 1)

        def logz(q):
            # P(xmin ≤ X ≤ hi) = sf(xmin − 1) − sf(hi) from the incomplete beta function; the
            # literal sum over the support when that loses precision (far tails, cancellation)
            sf_lo = float(stats.binom.sf(xmin - 1, N, q))
            sf_hi = float(stats.binom.sf(hi, N, q)) if hi < N else 0.0
            if sf_lo > 1e-280 and sf_hi < 1e-3 * sf_lo:
                return math.log(sf_lo - sf_hi)
            return _lse(stats.binom.logpmf(grid, N, q))

        def logp(q):
            return stats.binom.logpmf(u, N, q) - logz(q)
        r = optimize.minimize_scalar(lambda z: -(c * logp(special.expit(z))).sum(),
                                     bounds=(-30, 30), method="bounded", options={"xatol": 1e-10})
        q = float(special.expit(r.x))
        return {"n": N, "p": q}, logp(q)

    raise UsageError(f"alternative={name!r}: unknown; choose from {', '.join(ALTERNATIVES)}")


def power_law_logp(u, fit) -> np.ndarray:
    """ln p(u) under a fitted power law (discrete: Hurwitz ζ normaliser; truncated: on
    [xmin, xmax]) for values u inside the fitted range."""
    a, xmin, xmax = fit.alpha, fit.xmin, fit.xmax
    if xmax is not None:
        if fit.discrete:
            g = _truncated.grid(xmin, xmax)
            lt = np.log(g)
            p = _truncated.discrete_pmf(np.array([a]), lt)[0]
            return np.log(p[(u - g[0]).astype(np.int64)])
        lr = math.log(xmax / xmin)
        t = (1 - a) * lr
        lphi = math.log(math.expm1(t) / t) if abs(t) > 1e-12 else 0.0
        return -a * np.log(u) - ((1 - a) * math.log(xmin) + math.log(lr) + lphi)
    if fit.discrete:
        return -a * np.log(u) - float(log_hzeta(a, xmin))
    return math.log((a - 1) / xmin) - a * np.log(u / xmin)


def compare_distributions(x_or_fit, alternatives=None, *, binomial_n: int | None = None,
                          discrete: bool | None = None, xmin: float | None = None,
                          xmax: float | None = None, p_threshold: float = 0.1) -> list[LikelihoodRatio]:
    r"""Compare the fitted power law with alternative distributions on the same tail.

    Each alternative is fitted by maximum likelihood to the values x ≥ xmin (≤ xmax when the
    fit is truncated), normalised on that same support (discrete versions are normalised by
    sums over the integers).  R = Σ ln p_pl(x_i) − ln p_alt(x_i); the non-nested p-value is
    Vuong's erfc(|R|/(σ√(2n))) (CSN eq. C.6), the nested one (power law ⊂ power law with
    exponential cut-off, and the stretched exponential at β = 0) the boundary mixture
    ½χ²₀ + ½χ²₁ of Self & Liang (1987).  The two-parameter fits use Newton's method on
    closed-form gradients and Hessians (one likelihood pass per iteration), with the
    Nelder–Mead of the earlier implementation where the optimum is flat (see the module notes).

    Alternatives: ``lognormal``, ``exponential`` (λe^{−λx}), ``stretched_exponential``
    (x^{β−1}e^{−λx^β}, fitted as γ = λβ and β ∈ [0, 20] so that β = 0 is the power law with
    α = 1 + γ; parameters ``gamma``, ``beta``, ``lambda``), ``truncated_power_law`` (x^{−α}e^{−λx}),
    ``poisson`` and ``binomial``
    (n = ``binomial_n``, the layer's fan-in: the random-pruning null).  With the default
    (None) every applicable one is used: poisson and binomial only for discrete data, binomial
    only when ``binomial_n`` is given.

    Parameters
    ----------
    x_or_fit : array_like or PowerLawFit
        A sample (fitted first with :func:`fit_power_law`, using ``discrete``, ``xmin``,
        ``xmax``) or a fit from :func:`fit_power_law`.
    alternatives : sequence of str, optional
    binomial_n : int, optional
    p_threshold : float
        Significance level for ``preferred`` (default 0.1, as CSN).

    Returns
    -------
    list of LikelihoodRatio

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).binomial(200, 0.3, 3000)
    >>> res = compare_distributions(x[x > 0], ["binomial"], binomial_n=200)
    >>> res[0].preferred
    'binomial'
    """
    from ._powerlaw import PowerLawFit, fit_power_law

    if isinstance(x_or_fit, PowerLawFit):
        fit = x_or_fit
    else:
        fit = fit_power_law(x_or_fit, discrete=discrete, xmin=xmin, xmax=xmax)
    if alternatives is None:
        alts = [a for a in ALTERNATIVES
                if (fit.discrete or a not in DISCRETE_ONLY) and (a != "binomial" or binomial_n is not None)]
    else:
        if isinstance(alternatives, str):
            alternatives = [alternatives]
        alts = list(alternatives)
        for a in alts:
            if a not in ALTERNATIVES:
                raise UsageError(f"alternatives: unknown {a!r}; choose from {', '.join(ALTERNATIVES)}")
            if a in DISCRETE_ONLY and not fit.discrete:
                raise UsageError(f"alternatives: {a!r} needs integer data (discrete=True)")
        if "binomial" in alts and binomial_n is None:
            raise UsageError("alternatives: 'binomial' needs binomial_n= (the layer's fan-in)")
    if binomial_n is not None and (int(binomial_n) != binomial_n or binomial_n < 1):
        raise UsageError(f"binomial_n={binomial_n!r}: must be a positive integer (the layer's fan-in)")
    values, counts = fit.values, fit.counts
    if values is None or counts is None:  # a fit made by fit_power_law always holds its data
        raise UsageError("x_or_fit: this PowerLawFit holds no data; pass the sample instead")
    m = values >= fit.xmin
    if fit.xmax is not None:
        m &= values <= fit.xmax
    u, c = values[m], counts[m].astype(float)
    n = int(c.sum())
    lp_pl = power_law_logp(u, fit)
    norm = _Norm(fit.xmin, fit.xmax, fit.discrete, float(u.max()))
    out = []
    for a in alts:
        # below FAST_MIN_TAIL points the surfaces are too flat for Newton's convergence test:
        # the reference Nelder–Mead there (cheap: such tails are rarely tested)
        params, lp_alt = _alt_logp(a, u, c, norm, binomial_n=binomial_n, fast=n >= FAST_MIN_TAIL)
        d = np.asarray(lp_pl - lp_alt, dtype=float)
        d = np.where(np.isfinite(d), d, np.where(d > 0, 1e300, -1e300)) if not np.all(np.isfinite(d)) else d
        R = float((c * d).sum())
        mu = R / n
        var = float((c * (d - mu) ** 2).sum() / n)
        sd = math.sqrt(var)
        nested = a in NESTED
        nr = R / (sd * math.sqrt(n)) if sd > 0 else (0.0 if R == 0 else math.copysign(math.inf, R))
        if coincide(d, c, lp_pl):
            # the same law to double precision (a nested alternative collapsed onto the power
            # law): R / σ_R is rounding noise over rounding noise; nothing to test
            p, nr = 1.0, 0.0
        elif nested:
            # the power law sits on the boundary of the alternative's parameter space (λ = 0 or
            # β = 0): under it 2(ℓ_alt − ℓ_pl) ~ ½χ²₀ + ½χ²₁ (Self & Liang, JASA 82, 1987)
            p = 0.5 * float(stats.chi2.sf(-2 * R, 1)) if R < -1e-9 * max(n, 1) else 1.0
        else:
            p = float(special.erfc(abs(R) / (sd * math.sqrt(2 * n)))) if sd > 0 else (1.0 if R == 0 else 0.0)
        preferred = None
        if p < p_threshold:
            if R < 0:
                preferred = a
            elif not nested:
                preferred = "power_law"
        out.append(LikelihoodRatio(alternative=a, R=R, normalized_R=float(nr), p_value=p, nested=nested,
                                   parameters={k: float(v) for k, v in params.items()}, preferred=preferred,
                                   log_likelihood=float((c * lp_alt).sum()), n_tail=n))
    return out
