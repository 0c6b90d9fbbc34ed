"""Cross-check with the canonical ``powerlaw`` package (Alstott et al. 2014), α range opened.

This is the only place prunegraph imports ``powerlaw``.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import _core


def powerlaw_crosscheck(x, *, discrete: bool | None = None, xmin: float | None = None,
                        xmax: float | None = None, alpha_max: float = 100.0,
                        min_tail: int = 1) -> dict:
    """Fit ``x`` with prunegraph and with ``powerlaw.Fit`` on the same data and report both.

    ``powerlaw`` 2.0 bounds α to [0, 3] by default (``PowerLaw.DEFAULT_PARAMETER_RANGES``),
    which turns any steep tail into "α = 3".  Here it is called with
    ``parameter_ranges={"alpha": [1, alpha_max]}`` and ``estimate_discrete=False`` (the exact
    Hurwitz-zeta likelihood rather than the ½-shift estimate), so both sides fit the same
    model.  powerlaw tries every unique value below the two largest as xmin and uses the same
    KS convention as prunegraph, so ``min_tail=1`` makes the candidate sets comparable.

    Returns
    -------
    dict
        ``prunegraph`` and ``powerlaw`` (each alpha, sigma, xmin, ks_distance, n_tail), the
        absolute and relative α difference and whether the xmins agree.  To reproduce with
        the package itself: ``powerlaw.Fit(x, discrete=..., estimate_discrete=False,
        parameter_ranges={"alpha": [1, alpha_max]})``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).zipf(3.5, 2000)
    >>> r = powerlaw_crosscheck(x)
    >>> r["alpha_rel_diff"] < 1e-3
    True
    """
    import powerlaw

    from ._powerlaw import fit_power_law

    u, c, disc = _core.histogram(x, discrete=discrete)
    ours = fit_power_law(x, discrete=disc, xmin=xmin, xmax=xmax, min_tail=min_tail, alpha_max=alpha_max)
    data = np.repeat(u, c)
    kw = dict(discrete=disc, xmin=xmin, xmax=xmax, estimate_discrete=False,
              parameter_ranges={"alpha": [1.0, float(alpha_max)]}, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            f = powerlaw.Fit(data, **kw)
            pl = f.power_law
            theirs = {"alpha": float(pl.alpha), "sigma": float(pl.sigma), "xmin": float(f.xmin),
                      "ks_distance": float(pl.D), "n_tail": int(np.sum(data >= f.xmin))}
    mine = {"alpha": ours.alpha, "sigma": ours.sigma, "xmin": ours.xmin, "ks_distance": ours.ks_distance,
            "n_tail": ours.n_tail}
    return {"prunegraph": mine, "powerlaw": theirs, "discrete": disc,
            "alpha_abs_diff": abs(mine["alpha"] - theirs["alpha"]),
            "alpha_rel_diff": abs(mine["alpha"] - theirs["alpha"]) / abs(theirs["alpha"]),
            "same_xmin": mine["xmin"] == theirs["xmin"],
            "call": f"powerlaw.Fit(x, discrete={disc!r}, xmin={xmin!r}, xmax={xmax!r}, estimate_discrete=False, "
                    f"parameter_ranges={{'alpha': [1.0, {alpha_max:g}]}})"}
