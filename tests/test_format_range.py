"""output.tables.format_range: the range of a column in words (notebook summaries)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from prunegraph.output.tables import format_range


@pytest.mark.parametrize("values, spec, expected", [
    ([0.331, 0.69, 0.35], ".2f", "0.33 to 0.69"),
    ([-1.284, 0.92], ".2f", "-1.28 to 0.92"),
    ([5, 5.0], ".2f", "5.00"),                   # both ends print alike: one value
    ([1.04, 0.96], ".1f", "1.0"),
    ([12, 52], ".0f", "12 to 52"),
    ([None, math.nan], ".2f", "n/a"),
    ([], ".2f", "n/a"),
])
def test_hand_checked(values, spec, expected):
    assert format_range(values, spec) == expected


def test_pandas_and_numpy_columns_with_missing_values():
    col = pd.Series([0.5, None, 2.25, np.nan])
    assert format_range(col) == "0.50 to 2.25"
    assert format_range(np.array([3, 1, 2]), "g") == "1 to 3"
