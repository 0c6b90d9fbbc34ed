"""The estimator Clauset, Shalizi & Newman (2009, §3.1 and appendix A) warn against, kept as a
counter-example for comparisons: least squares on a log-log histogram."""

from __future__ import annotations

import numpy as np

from ..errors import InputError


def least_squares_alpha(x) -> float:
    """α from the ordinary least-squares slope of log frequency on log value (linear bins).

    With :math:`\\hat p(k)` the share of the sample equal to k (zero counts dropped, as they
    have no logarithm), fit :math:`\\log \\hat p(k) = c - \\alpha \\log k` and return the
    negated slope. Biased and without a valid error (CSN 2009, appendix A); use
    :func:`~prunegraph.fit.fit_power_law` for estimates.

    Parameters
    ----------
    x : array_like of positive numbers (at least two distinct values)

    Returns
    -------
    float

    Examples
    --------
    >>> k = np.arange(1, 11)
    >>> sample = np.repeat(k, np.round(1e6 * k ** -2.0).astype(int))  # frequencies ∝ k^-2
    >>> round(least_squares_alpha(sample), 3)
    2.0
    """
    arr = np.asarray(x, dtype=float).ravel()
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise InputError("least_squares_alpha: pass finite positive values (degrees of alive units)")
    k, c = np.unique(arr, return_counts=True)
    if k.size < 2:
        raise InputError("least_squares_alpha: needs at least two distinct values for a slope")
    slope, _ = np.polyfit(np.log(k), np.log(c / c.sum()), 1)
    return float(-slope)
