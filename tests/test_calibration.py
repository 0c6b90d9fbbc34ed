"""Reduced calibration of the verdicts through the full pipeline (issue 12; the full suite is
benchmarks/calibrate_verdicts.py). Seeds are fixed; each bound is one a small number of
repetitions can support if the issue's target holds (noted per assertion)."""

from __future__ import annotations

import pytest
from _scripts import load_script

pytestmark = pytest.mark.slow

REPS = 8


@pytest.fixture(scope="module")
def calib():
    return load_script("benchmarks/calibrate_verdicts.py")


def _run(calib, name, reps=REPS, bootstrap=50):
    rows = []
    for r in range(reps):
        rows.extend(calib.run_one((name, r, 12, bootstrap))[1])
    return rows


def test_random_pruning_is_not_a_power_law_nor_heavier(calib):
    """Target ≤ 2 % power law, ≤ 5 % heavier; over 16 layers (with and without dead units) at
    most one of each (P(≥ 2) ≤ 4 % at a 2 % rate)."""
    rows = _run(calib, "random Bin(784,.08) n=1000") + _run(calib, "random, 300+200 dead")
    assert sum(v in ("plausible", "plausible_narrow") for v, _ in rows) <= 1, rows
    assert sum(q < 0.05 for _, q in rows) <= 1, rows
    assert sum(v == "random_like" for v, _ in rows) >= 12, rows


def test_power_law_layers_plausible_and_heavier(calib):
    """Targets ≥ 85 % plausible, ≥ 95 % heavier: at least 5 and 7 of 8 (P(miss) ≤ 6 %)."""
    rows = _run(calib, "PL zipf a=2.5 n=1000")
    assert sum(v == "plausible" for v, _ in rows) >= 5, rows
    assert sum(q < 0.05 for _, q in rows) >= 7, rows
    assert sum(v == "alternative_preferred" for v, _ in rows) <= 1, rows


def test_injected_hubs_never_random_like(calib):
    rows = _run(calib, "random + 5 hubs")
    assert not any(v in ("random_like", "not_distinguished") for v, _ in rows), rows


def test_network_scope_random_mlp(calib):
    rows = _run(calib, "network: random MLP", reps=4)
    assert not any(v in ("plausible", "plausible_narrow") for v, _ in rows), rows
