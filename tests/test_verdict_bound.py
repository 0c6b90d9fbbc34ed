"""Review follow-ups: a power-law fit whose α stopped at the search bound is no power law in
range (classify's rule 5; the rule's order against the others: ``test_analysis.py``), and the
connectome side-by-side rows carry that flag to the report."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from prunegraph import connectome as C
from prunegraph.analysis import analyze
from prunegraph.fit import Verdict, classify, fit_power_law, verdict_text
from prunegraph.graph import LayerGraph, NetworkGraph
from prunegraph.output.report import _side_by_side_html


@pytest.fixture(scope="module")
def bound_fit():
    """A continuous power law at α = 100 (xmin 1, 300 values): seed 1's MLE lies above 100, so
    the search stops at its bound, and the bootstrap GoF does not reject (p = 0.92)."""
    x = (1 - np.random.default_rng(1).random(300)) ** (-1 / 99)
    f = fit_power_law(x, bootstrap=100, rng=0, xmin=1.0, discrete=False)
    assert f.hit_bound and f.alpha == f.alpha_max == 100 and f.p_value > 0.1
    return f


def test_alpha_at_the_bound_is_not_a_plausible_power_law(bound_fit):
    d = classify(bound_fit)
    assert d.verdict is Verdict.REJECTED and d.alpha_bound == 100
    assert verdict_text(d) == ("power law rejected (α at the fit's bound 100: the likelihood still "
                               "rises there, no power law in range)")
    # without the rule the same fit was called a power law
    free = classify(dataclasses.replace(bound_fit, hit_bound=False))
    assert free.verdict is Verdict.PLAUSIBLE_NARROW and free.alpha_bound is None


def _layer_with_in_degrees(k, n_in, seed=0):
    rng = np.random.default_rng(seed)
    w = torch.zeros(len(k), n_in)
    for j, kj in enumerate(k):
        w[j, rng.choice(n_in, size=int(kj), replace=False)] = 1.0
    return LayerGraph.from_matrix("fc", w, in_space="input", out_space="fc")


def test_side_by_side_rows_carry_hit_bound():
    """A layer whose in-degree tail is 180 units at 50 and 20 at 51 (lighter than any power law
    in range: α stops at 100); the side-by-side row says so and the report shows the bound."""
    k = np.r_[np.random.default_rng(0).integers(1, 40, 100), np.full(180, 50), np.full(20, 51)]
    lg = _layer_with_in_degrees(k, 64)
    net = NetworkGraph(layers=(lg,), spaces={"input": 64, "fc": k.size}, source="bound", notes=())
    res = analyze(net, degree_kinds=["in"], bootstrap=0, alternatives=[], null=False, rng=0)
    r = res.results[0]
    assert r.observed.fit.hit_bound
    rows = C.side_by_side([res], layers="layer")
    assert [row["hit_bound"] for row in rows] == [True] == [r.fit_row().hit_bound]
    assert "≥100 (bound)" in _side_by_side_html(rows)
    assert rows[0]["verdict_code"] == Verdict.REJECTED.value
