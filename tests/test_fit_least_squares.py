"""least_squares_alpha: the log-log histogram estimator, checked against hand-made frequencies."""

from __future__ import annotations

import numpy as np
import pytest

from prunegraph.errors import InputError
from prunegraph.fit import fit_power_law, least_squares_alpha


@pytest.mark.parametrize("alpha", [1.5, 2.0, 3.5])
def test_exact_power_law_frequencies_give_the_exponent(alpha):
    k = np.arange(1, 30)
    sample = np.repeat(k, np.round(1e7 * k ** -alpha).astype(int))
    assert least_squares_alpha(sample) == pytest.approx(alpha, abs=2e-3)


def test_matches_a_literal_two_point_slope():
    # counts 8 at k=1, 2 at k=4: slope of log(share) on log k = log(2/8) / log 4 = -1
    assert least_squares_alpha([1] * 8 + [4] * 2) == pytest.approx(1.0)


def test_biased_where_the_mle_is_not():
    """CSN 2009 appendix A: on Zipf(2.5) samples the histogram slope is far off, the MLE is not."""
    rng = np.random.default_rng(0)
    ls, mle = [], []
    for _ in range(20):
        z = rng.zipf(2.5, 2000)
        ls.append(least_squares_alpha(z))
        mle.append(fit_power_law(z, xmin=1).alpha)
    assert abs(np.mean(mle) - 2.5) < 0.05
    assert abs(np.mean(ls) - 2.5) > 0.4


@pytest.mark.parametrize("bad", [[], [3, 3, 3], [1, 0, 2], [1.0, np.nan]])
def test_bad_input(bad):
    with pytest.raises(InputError, match="least_squares_alpha"):
        least_squares_alpha(bad)
