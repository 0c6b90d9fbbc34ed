"""The fit pipeline: verdicts on constructed layers, the null, the tail test, determinism."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from prunegraph._io import dumps_json
from prunegraph.analysis import (analyze, binomial_gof, compare_tails, verdict_class, verdict_of,
                                 _stream_seed)
from prunegraph.graph import LayerGraph, NetworkGraph


def layer_with_in_degrees(k: np.ndarray, n_in: int, *, seed: int = 0, name: str = "fc") -> LayerGraph:
    """A Linear layer whose output unit j has exactly k[j] inputs, chosen at random."""
    rng = np.random.default_rng(seed)
    w = torch.zeros(len(k), n_in)
    for j, kj in enumerate(k):
        w[j, rng.choice(n_in, size=int(kj), replace=False)] = torch.from_numpy(
            rng.uniform(0.1, 1.0, size=int(kj))).float()
    return LayerGraph(name=name, kind="linear", weight=w, multiplicity=(w != 0).int(),
                      in_space="input", out_space=name)


def net_of(*layers: LayerGraph) -> NetworkGraph:
    spaces = {"input": layers[0].in_units}
    for lg in layers:
        spaces[lg.out_space] = lg.out_units
    return NetworkGraph(layers=tuple(layers), spaces=spaces, source="constructed", notes=())


@pytest.fixture(scope="module")
def planted_and_binomial():
    rng = np.random.default_rng(42)
    n_out, n_in = 1500, 3000
    heavy = np.minimum(rng.zipf(2.3, n_out), n_in)           # planted power-law in-degrees
    binom = rng.binomial(n_in, heavy.mean() / n_in, n_out)    # random-pruning degrees
    return (net_of(layer_with_in_degrees(heavy, n_in, name="heavy")),
            net_of(layer_with_in_degrees(binom, n_in, name="binom", seed=1)))


def test_verdicts_on_constructed_layers(planted_and_binomial):
    heavy, binom = planted_and_binomial
    rh = analyze(heavy, kinds=["in"], bootstrap=50, rng=0).results[0]
    rb = analyze(binom, kinds=["in"], bootstrap=50, rng=0).results[0]
    assert rh.observed.verdict == "power law plausible", rh.observed
    assert rh.observed.tail_span >= 10
    assert abs(rh.observed.fit.alpha - 2.3) < 0.25
    assert rb.observed.verdict.startswith("no heavy tail") or "rejected" in rb.observed.verdict, rb.observed
    # the planted layer is heavier than its null, the binomial one is not
    assert rh.tail.heavier_p < 0.01 and rh.tail.tail_share_ratio > 1.3
    assert rb.tail.heavier_p > 0.01
    # the null of the planted layer looks like random pruning
    assert rh.null.verdict.startswith("no heavy tail") or "rejected" in rh.null.verdict, rh.null


def test_dead_units_counted_not_fitted():
    rng = np.random.default_rng(0)
    k = np.minimum(rng.zipf(2.5, 300), 500)
    k[:40] = 0
    res = analyze(net_of(layer_with_in_degrees(k, 500)), kinds=["in"], alternatives=[], null=False)
    r = res.results[0]
    assert r.observed.n_dead == 40
    assert r.observed.fit.n == 260


@pytest.mark.parametrize("value", [1, 7])
def test_dense_or_regular_layer_is_degenerate(value):
    k = np.full(50, value)
    res = analyze(net_of(layer_with_in_degrees(k, 60)), kinds=["in"], null=False)
    r = res.results[0]
    assert r.observed.fit is None
    assert r.observed.verdict.startswith("degenerate: all degrees equal")


def test_too_few_units_is_degenerate():
    res = analyze(net_of(layer_with_in_degrees(np.array([1, 2, 3]), 10)), kinds=["in"], null=False)
    assert res.results[0].observed.verdict.startswith("too few units: 3 alive (need 20)")


def test_layer_glob_and_bad_options(planted_and_binomial):
    heavy, _ = planted_and_binomial
    with pytest.raises(ValueError, match="no layer matches"):
        analyze(heavy, layers="conv*")
    with pytest.raises(ValueError, match="unknown degree kind"):
        analyze(heavy, kinds=["sideways"])
    with pytest.raises(ValueError, match="scope"):
        analyze(heavy, scope="galaxy")


def test_network_scope_and_json_roundtrip(planted_and_binomial):
    heavy, _ = planted_and_binomial
    res = analyze(heavy, kinds=["in", "total"], scope="both", alternatives=["exponential"], rng=1)
    assert [(r.layer, r.degree_kind) for r in res.results] == [("heavy", "in"), ("network", "in"),
                                                               ("network", "total")]
    doc = json.loads(dumps_json(res.to_dict()))
    assert doc["results"][0]["observed"]["fit"]["alpha"] == pytest.approx(res.results[0].observed.fit.alpha)


def test_analysis_is_deterministic(planted_and_binomial):
    heavy, _ = planted_and_binomial
    a = dumps_json(analyze(heavy, kinds=["in"], bootstrap=20, rng=3).to_dict())
    b = dumps_json(analyze(heavy, kinds=["in"], bootstrap=20, rng=3).to_dict())
    assert a == b


def test_stream_seed_stable_and_distinct():
    assert _stream_seed(0, "fc1", "in") == _stream_seed(0, "fc1", "in")
    assert len({_stream_seed(0, n, k) for n in ("fc1", "fc2") for k in ("in", "out")}) == 4
    assert _stream_seed(0, "fc1", "in") != _stream_seed(1, "fc1", "in")


def test_compare_tails():
    rng = np.random.default_rng(5)
    a = rng.binomial(400, 0.1, 3000)
    b = rng.binomial(400, 0.1, 3000)
    t = compare_tails(a, b)
    assert t.heavier_p > 0.01 and 0.5 < t.tail_share_ratio < 2
    assert t.ks_p > 0.01
    assert compare_tails(a[:2], b) is None


@dataclasses.dataclass
class _LR:
    alternative: str
    R: float
    normalized_R: float
    p_value: float
    nested: bool = False


@dataclasses.dataclass
class _Fit:
    p_value: float | None
    n_tail: int = 200
    xmin: float = 3.0


@pytest.mark.parametrize("fit_p, comps, expected", [
    (0.5, [_LR("lognormal", 1.0, 0.5, 0.6)], "power law plausible"),
    (None, [], "power law plausible (no GoF test)"),
    (0.02, [_LR("exponential", 3.0, 2.0, 0.04)], "power law rejected (GoF p=0.02)"),
    (0.5, [_LR("lognormal", -5.0, -2.5, 0.01)], "lognormal preferred"),
    # Bonferroni: with two alternatives the level is 0.05
    (0.5, [_LR("lognormal", -5.0, -2.5, 0.07), _LR("exponential", 5.0, 2.5, 0.01)],
     "power law plausible"),
    (0.0, [_LR("binomial", -50.0, -6.0, 1e-9), _LR("lognormal", -4.0, -2.0, 0.001)],
     "no heavy tail: binomial like random pruning"),
])
def test_verdict_rules(fit_p, comps, expected):
    assert verdict_of(_Fit(fit_p), comps)[0] == expected


def test_verdict_binomial_gof_and_short_tail():
    verdict = verdict_of(_Fit(0.9), [], binomial_p=0.5)[0]
    assert verdict == "no heavy tail: binomial like random pruning"
    assert verdict_of(_Fit(0.9), [], binomial_p=0.01)[0] == "power law plausible"
    assert verdict_of(_Fit(0.9, n_tail=11, xmin=9), [])[0] == "inconclusive: tail of only 11 units"
    # a likelihood-ratio "preference" on a short tail is no more reliable than the GoF there
    short = verdict_of(_Fit(0.9, n_tail=11), [_LR("exponential", -5.0, -3.0, 1e-4)])
    assert short == ("inconclusive: tail of only 11 units", "exponential", 1e-4)
    assert verdict_of(_Fit(0.9), [], span=2.63)[0] == "power law plausible over ×2.6 only"
    assert verdict_of(_Fit(None), [], span=40.0)[0] == "power law plausible (no GoF test)"


@pytest.mark.parametrize("verdict, cls", [
    ("power law plausible over ×2.6 only (no GoF test)", "power law plausible (narrow)"),
    ("power law plausible", "power law plausible"),
    ("power law rejected (GoF p=0.02)", "power law rejected"),
    ("inconclusive: tail of only 11 units", "inconclusive"),
    ("too few units: 3 alive (need 20)", "too few units"),
    ("degenerate: all degrees equal (3), e.g. a dense or regular layer; no distribution to fit", "degenerate"),
    ("no heavy tail: binomial like random pruning", "no heavy tail: binomial like random pruning"),
])
def test_verdict_class(verdict, cls):
    assert verdict_class(verdict) == cls


def test_binomial_gof_reference():
    """Against a literal chi-square on hand-pooled bins."""
    from scipy import stats

    rng = np.random.default_rng(3)
    x = rng.binomial(20, 0.3, 400)
    p = binomial_gof(x, 20)
    counts = np.bincount(x, minlength=21)
    p_hat = x.mean() / 20
    exp = stats.binom.pmf(np.arange(21), 20, p_hat) * 400
    # pooled by hand so that each bin expects >= 5: {0,1,2}, 3 .. 10 singly, {11..20}
    obs = [counts[:3].sum(), *counts[3:11], counts[11:].sum()]
    ex = [exp[:3].sum(), *exp[3:11], exp[11:].sum()]
    assert min(ex) >= 5
    ref = stats.chisquare(obs, ex, ddof=1).pvalue
    assert p == pytest.approx(ref, rel=1e-6)
