"""The fit pipeline: verdicts on constructed layers, the null, the tail test, determinism."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from prunegraph._io import dumps_json
from prunegraph.analysis import (
    _stream_seed,
    analyze,
    benjamini_hochberg,
    binomial_gof,
    compare_tails,
    random_pruning_test,
    tail_threshold,
)
from prunegraph.errors import UsageError
from prunegraph.fit import RandomPruningTest, Verdict, VerdictRules, classify, verdict_text
from prunegraph.graph import LayerGraph, NetworkGraph


def layer_with_in_degrees(k: np.ndarray, n_in: int, *, seed: int = 0, name: str = "fc") -> LayerGraph:
    """A Linear layer whose output unit j has exactly k[j] inputs, chosen at random."""
    rng = np.random.default_rng(seed)
    w = torch.zeros(len(k), n_in)
    for j, kj in enumerate(k):
        w[j, rng.choice(n_in, size=int(kj), replace=False)] = torch.from_numpy(
            rng.uniform(0.1, 1.0, size=int(kj))).float()
    return LayerGraph(name=name, layer_type="linear", weight=w, multiplicity=(w != 0).int(),
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
    rh = analyze(heavy, degree_kinds=["in"], bootstrap=50, rng=0).results[0]
    rb = analyze(binom, degree_kinds=["in"], bootstrap=50, rng=0).results[0]
    assert rh.observed.verdict is Verdict.PLAUSIBLE, rh.observed
    assert rh.observed.verdict_text == "power law plausible"
    assert rh.observed.tail_span >= 10
    assert abs(rh.observed.fit.alpha - 2.3) < 0.25
    # issue 12: random pruning is called so ("consistent with random pruning"), not "no heavy tail"
    assert rb.observed.verdict is Verdict.RANDOM_LIKE, rb.observed
    assert rb.observed.verdict_text.startswith("consistent with random pruning")
    # the planted layer is heavier than its null, the binomial one is not
    assert rh.tail.heavier_p < 0.01 and rh.tail.tail_share_ratio > 1.3
    assert rb.tail.heavier_p > 0.01
    # the null of the planted layer looks like random pruning
    assert rh.null.verdict is Verdict.RANDOM_LIKE, rh.null


def test_dead_units_counted_not_fitted():
    rng = np.random.default_rng(0)
    k = np.minimum(rng.zipf(2.5, 300), 500)
    k[:40] = 0
    res = analyze(net_of(layer_with_in_degrees(k, 500)), degree_kinds=["in"], alternatives=[], null=False)
    r = res.results[0]
    assert r.observed.n_dead == 40
    assert r.observed.fit.n == 260


@pytest.mark.parametrize("value", [1, 7])
def test_dense_or_regular_layer_is_degenerate(value):
    k = np.full(50, value)
    res = analyze(net_of(layer_with_in_degrees(k, 60)), degree_kinds=["in"], null=False)
    r = res.results[0]
    assert r.observed.fit is None
    assert r.observed.verdict is Verdict.DEGENERATE
    assert r.observed.verdict_text.startswith("degenerate: all degrees equal")


def test_too_few_units_is_degenerate():
    res = analyze(net_of(layer_with_in_degrees(np.array([1, 2, 3]), 10)), degree_kinds=["in"], null=False)
    assert res.results[0].observed.verdict is Verdict.TOO_FEW_UNITS
    assert res.results[0].observed.verdict_text.startswith("too few units: 3 alive (need 20)")


def test_layer_glob_and_bad_options(planted_and_binomial):
    heavy, _ = planted_and_binomial
    with pytest.raises(ValueError, match="no layer matches"):
        analyze(heavy, layers="conv*")
    with pytest.raises(ValueError, match="unknown degree kind"):
        analyze(heavy, degree_kinds=["sideways"])
    with pytest.raises(ValueError, match="scope"):
        analyze(heavy, scope="galaxy")


def test_network_scope_and_json_roundtrip(planted_and_binomial):
    heavy, _ = planted_and_binomial
    res = analyze(heavy, degree_kinds=["in", "total"], scope="both", alternatives=["exponential"], rng=1)
    assert [(r.layer, r.degree_kind) for r in res.results] == [("heavy", "in"), ("network", "in"),
                                                               ("network", "total")]
    doc = json.loads(dumps_json(res.to_dict()))
    assert doc["results"][0]["observed"]["fit"]["alpha"] == pytest.approx(res.results[0].observed.fit.alpha)


def test_analysis_is_deterministic(planted_and_binomial):
    heavy, _ = planted_and_binomial
    a = dumps_json(analyze(heavy, degree_kinds=["in"], bootstrap=20, rng=3).to_dict())
    b = dumps_json(analyze(heavy, degree_kinds=["in"], bootstrap=20, rng=3).to_dict())
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


def _heavier_p_literal(observed, null, n_permutations, seed, quantile=0.9):
    """The heavier-tail permutation p-value written out: for every threshold t (a distinct
    pooled value strictly above u, the smallest pooled value with at least a share q of the
    pooled sample ≤ it, q = ``quantile`` or, for fewer than 100 pooled values, 1 − 10/n but
    not below 0.75) z(t) = (S_x(t) − S_y(t)) / √(S(t)(1 − S(t))), S the share ≥ t;
    T = max z; each permutation shuffles the labels of the pooled sample sorted descending
    (stable), one 1-D ``Generator.permuted`` per permutation, the same stream."""
    observed, null = np.asarray(observed, float), np.asarray(null, float)
    pooled = np.concatenate([observed, null])
    order = np.argsort(-pooled, kind="stable")
    sv, labels = pooled[order], order < observed.size
    q = quantile if pooled.size >= 100 else max(0.75, 1 - 10 / pooled.size)
    u = min(v for v in np.unique(pooled) if (pooled <= v).mean() >= q)
    ts = [t for t in np.unique(pooled) if t > u]

    def stat(lab):
        best = -np.inf
        for t in ts:
            top = sv >= t
            sx, sy, sp = lab[top].sum() / observed.size, (~lab[top]).sum() / null.size, top.mean()
            if 0 < sp < 1:
                best = max(best, (sx - sy) / np.sqrt(sp * (1 - sp)))
        return best

    t_obs = stat(labels)
    gen = np.random.default_rng(seed)
    hits = sum(stat(gen.permuted(labels)) >= t_obs - 1e-12 for _ in range(n_permutations))
    return t_obs, (1 + hits) / (1 + n_permutations)


@pytest.mark.parametrize("case", ["binomial", "heavy", "ties", "two_chunks", "near_regular", "small"])
def test_compare_tails_equals_the_literal_permutation_test(case):
    """The vectorised test (block sums, permutations in chunks, each row read through a
    shuffled index) gives the literal loop's T and p-value exactly: the same random draws,
    the same counts.  ``two_chunks``: 30,000 pooled values, so the 199 permutations come in
    two chunks and only the upper half of each shuffled row is read."""
    rng = np.random.default_rng(21)
    if case == "binomial":
        a, b = rng.binomial(60, 0.1, 300), rng.binomial(60, 0.1, 280)
    elif case == "heavy":
        a = rng.zipf(2.3, 250).clip(max=200)
        b = rng.binomial(200, a.mean() / 200, 250)
    elif case == "ties":
        a, b = rng.integers(1, 31, 200), rng.integers(1, 31, 200)  # ~13 tied values per tail threshold
    elif case == "small":  # 36 pooled values: q = 0.75
        a, b = rng.binomial(30, 0.3, 16) + 10 * (rng.random(16) < 0.2), rng.binomial(30, 0.3, 20)
    elif case == "near_regular":
        b = rng.binomial(100, 0.2, 300)
        a = np.full(300, 20) + (rng.random(300) < 0.3)
    else:
        a, b = rng.binomial(40, 0.1, 15_000), rng.binomial(40, 0.1, 15_000)
    t = compare_tails(a, b, n_permutations=199, rng=3)
    stat, p = _heavier_p_literal(a, b, 199, 3)
    assert t.statistic == pytest.approx(stat, rel=1e-12)
    assert t.heavier_p == p


def _z_max(observed, null, thresholds):
    """max over ``thresholds`` of (S_x(t) − S_y(t)) / √(S(t)(1 − S(t))), written out."""
    observed, null = np.asarray(observed, float), np.asarray(null, float)
    pooled = np.concatenate([observed, null])
    z = [((observed >= t).mean() - (null >= t).mean()) / np.sqrt((pooled >= t).mean() * (pooled < t).mean())
         for t in thresholds]
    return max(z)


@pytest.fixture(scope="module")
def near_regular_layer():
    """The review's case: a 300 × 784 layer at density 0.08 whose in-degrees are all ⌊mean⌋ or
    ⌈mean⌉ (variance ≈ 0.004 × a binomial's), analysed with its random-pruning null."""
    n_out, n_in, m = 300, 784, 18_845
    k = np.full(n_out, m // n_out)
    k[np.random.default_rng(2).choice(n_out, m % n_out, replace=False)] += 1
    return analyze(net_of(layer_with_in_degrees(k, n_in)), degree_kinds=["in"], bootstrap=0,
                   alternatives=[], rng=0).results[0]


def test_near_regular_layer_is_not_heavier_than_its_null(near_regular_layer):
    """Review follow-up: the old statistic (thresholds from the pooled median) called this layer
    heavier (p = 0.001), through the mass it packs just above the median; the tail above the
    pooled 90th percentile holds none of its units."""
    r = near_regular_layer
    obs, null = np.asarray(r.degrees, float), np.asarray(r.null_degrees, float)
    assert obs.sum() == null.sum() and r.tail.variance_ratio < 0.01
    pooled = np.r_[obs, null]
    old_rule = [t for t in np.unique(pooled) if t >= np.median(pooled)]
    assert _z_max(obs, null, old_rule) > 0.5          # the defect: a large "excess" at the median
    assert r.tail.statistic < 0 and r.tail.heavier_p > 0.5
    assert not r.tail.heavier_q < 0.05


@pytest.mark.filterwarnings("ignore:ks_2samp")
def test_compare_tails_hand_checked():
    """Observed [1, 1, 1, 1, 10] vs null [1, 1, 1, 2, 3]: 10 pooled values, so q = 0.75 and
    u = 2 (8 of 10 values ≤ 2); above it t = 3 gives z = 0 (S_x = S_y = 1/5) and t = 10 gives
    S_x = 1/5, S_y = 0, S = 1/10, z = 0.2 / 0.3; a permutation reaches T = 2/3 exactly when the
    10 is labelled observed (1 in 2)."""
    t = compare_tails([1, 1, 1, 1, 10], [1, 1, 1, 2, 3], n_permutations=999, rng=0)
    assert t.statistic == pytest.approx(2 / 3, rel=1e-12)
    assert 0.44 < t.heavier_p < 0.56  # (1 + Binomial(999, ½)) / 1000


def test_point_mass_at_the_threshold_is_not_tail():
    """Null 0 … 19, observed all 17 (40 values: q = 0.75): 38 of 40 pooled values are ≤ 17, so
    u = 17 and the tail is
    {18, 19} (the null's); the 20 observed values at u do not count, T = z(19) < 0."""
    obs, null = np.full(20, 17), np.arange(20)
    assert tail_threshold(np.r_[obs, null]) == 17
    t = compare_tails(obs, null, rng=0)
    s = 1 / 40
    assert t.statistic == pytest.approx(-(1 / 20) / np.sqrt(s * (1 - s)), rel=1e-12)
    assert t.heavier_p > 0.5
    # a quantile below the point mass would make it tail again: tail_quantile is the knob
    assert compare_tails(obs, null, rng=0, tail_quantile=0.3).heavier_p < 0.01


def test_no_pooled_value_above_the_threshold_gives_no_statistic():
    """All pooled values ≤ u (the top decile tied at the maximum): T = −inf, p = 1 by
    construction (such a sequence is left out of the Benjamini–Hochberg family)."""
    t = compare_tails(np.r_[np.zeros(80), np.ones(20)], np.r_[np.zeros(85), np.ones(15)])
    assert t.statistic == -np.inf and t.heavier_p == 1.0


@pytest.mark.parametrize("q", [0.0, 1.0, -0.5, 2.0])
def test_compare_tails_rejects_a_bad_quantile(q):
    with pytest.raises(UsageError, match="tail_quantile"):
        compare_tails([1, 2, 3, 4], [1, 2, 3, 4], tail_quantile=q)


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
    n: int = 500
    xmax: float | None = None
    values: None = None
    hit_bound: bool = False
    alpha: float = 2.5


@pytest.mark.parametrize("fit_p, comps, expected", [
    (0.5, [_LR("lognormal", 1.0, 0.5, 0.6)], Verdict.PLAUSIBLE),
    (None, [], Verdict.UNTESTED),
    (0.02, [_LR("exponential", 3.0, 2.0, 0.04)], Verdict.REJECTED),
    (0.5, [_LR("lognormal", -5.0, -2.5, 0.01)], Verdict.ALTERNATIVE),
    # Bonferroni: with two alternatives the level is 0.05
    (0.5, [_LR("lognormal", -5.0, -2.5, 0.07), _LR("exponential", 5.0, 2.5, 0.01)], Verdict.PLAUSIBLE),
    (0.0, [_LR("binomial", -50.0, -6.0, 1e-9), _LR("lognormal", -4.0, -2.0, 0.001)], Verdict.ALTERNATIVE),
])
def test_verdict_rules(fit_p, comps, expected):
    assert classify(_Fit(fit_p), comps, span=40.0).verdict is expected


@pytest.mark.parametrize("fit, kw, expected", [
    (_Fit(0.5, hit_bound=True, alpha=100.0), dict(span=40.0), Verdict.REJECTED),          # was PLAUSIBLE
    (_Fit(None, hit_bound=True, alpha=100.0), dict(span=40.0), Verdict.REJECTED),         # was UNTESTED
    (_Fit(0.5, n_tail=12, hit_bound=True, alpha=100.0), dict(span=40.0), Verdict.REJECTED),  # was INCONCLUSIVE
    (_Fit(0.5, hit_bound=np.bool_(True), alpha=100.0), dict(span=40.0), Verdict.REJECTED),
    (_Fit(0.5, alpha=100.0), dict(span=40.0), Verdict.PLAUSIBLE),
    # the rules before it still decide: random pruning, and a significantly better alternative
    (_Fit(0.5, hit_bound=True, alpha=100.0),
     dict(random_test=RandomPruningTest(0.5, 0.6, 1.0, -3.0, 0.4)), Verdict.RANDOM_LIKE),
    (_Fit(0.5, hit_bound=True, alpha=100.0),
     dict(comparisons=[_LR("exponential", -9.0, -3.0, 1e-4)]), Verdict.ALTERNATIVE),
])
def test_alpha_at_the_bound_rule(fit, kw, expected):
    """Review follow-up: a fit whose α stopped at the search bound is no power law in range."""
    comps = kw.pop("comparisons", ())
    d = classify(fit, comps, **kw)
    assert d.verdict is expected
    assert (d.alpha_bound == 100.0) == (expected is Verdict.REJECTED)


def test_verdict_text_from_one_table():
    d = classify(_Fit(0.02), [_LR("exponential", 3.0, 2.0, 0.04)], span=40.0)
    assert verdict_text(d) == "power law rejected (GoF p=0.02)" and d.alpha_bound is None
    d = classify(_Fit(0.5), [_LR("lognormal", -5.0, -2.5, 0.01)])
    assert verdict_text(d) == "lognormal preferred" and d.alternative == "lognormal"
    assert verdict_text(classify(_Fit(0.9), [], span=2.63)) == "power law plausible over ×2.6 only"
    assert verdict_text(classify(_Fit(0.9, n_tail=11, xmin=9), [])) == "inconclusive: tail of only 11 units"
    # issue 12 #8: a GoF p of 0.00 on a short tail rules the power law out (it was "inconclusive")
    assert classify(_Fit(0.0, n_tail=14), []).verdict is Verdict.REJECTED
    assert verdict_text(classify(None, n_alive=3)) == "too few units: 3 alive (need 20)"
    assert verdict_text(Verdict.PLAUSIBLE_NARROW) == "power law plausible (narrow)"
    assert classify(_Fit(0.9), [], span=2.63, rules=VerdictRules(min_span=2.0)).verdict is Verdict.PLAUSIBLE


def test_no_plausible_without_gof_test():
    """Issue 12 #6: a sequence never becomes 'plausible' without a goodness-of-fit test."""
    d = classify(_Fit(None), [], span=40.0)
    assert d.verdict is Verdict.UNTESTED and "untested" in verdict_text(d)


def test_verdict_random_pruning_and_short_tail():
    ok = RandomPruningTest(gof_p=0.5, max_p=0.6, p_value=1.0, tail_R=-3.0, tail_p=0.4)
    d = classify(_Fit(0.9), [], random_test=ok)
    assert d.verdict is Verdict.RANDOM_LIKE and verdict_text(d).startswith("consistent with random pruning")
    # the power law fits the tail significantly better than the random-pruning law -> not random-like
    pl_better = dataclasses.replace(ok, tail_R=40.0, tail_p=0.01)
    assert classify(_Fit(0.9), [], random_test=pl_better, span=40.0).verdict is Verdict.NOT_DISTINGUISHED
    # random pruning rejected at 0.1 but not at random_level = 0.01: not distinguishable
    weak = dataclasses.replace(ok, gof_p=0.03, p_value=0.06)
    assert classify(_Fit(0.9), [], random_test=weak, span=40.0).verdict is Verdict.NOT_DISTINGUISHED
    # hubs: the largest-degree test rejects, so it is not random-like whatever the χ² says
    hubs = RandomPruningTest(gof_p=0.65, max_p=0.0, p_value=0.0, tail_R=-2.0, tail_p=0.5)
    assert classify(_Fit(0.9), [], random_test=hubs, span=40.0).verdict is not Verdict.RANDOM_LIKE
    assert classify(_Fit(0.9, n_tail=11, xmin=9), []).verdict is Verdict.INCONCLUSIVE
    # a likelihood-ratio "preference" on a short tail is no more reliable than the GoF there
    short = classify(_Fit(0.9, n_tail=11), [_LR("exponential", -5.0, -3.0, 1e-4)])
    assert (short.verdict, short.alternative, short.alternative_p) == (Verdict.INCONCLUSIVE, "exponential", 1e-4)
    heavy = dataclasses.replace(ok, gof_p=1e-9, max_p=1e-9, p_value=2e-9, tail_R=80.0, tail_p=1e-6)
    assert classify(_Fit(0.5), [], random_test=heavy, span=40.0).verdict is Verdict.PLAUSIBLE


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


def random_mlp(sizes, density, seed):
    """An MLP whose masks are drawn uniformly at the given density (random pruning)."""
    g = torch.Generator().manual_seed(seed)
    layers, prev = [], "input"
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = torch.rand(b, a, generator=g) * (torch.rand(b, a, generator=g) < density)
        layers.append(LayerGraph.from_matrix(f"fc{i}", w, in_space=prev, out_space=f"fc{i}"))
        prev = f"fc{i}"
    spaces = {"input": sizes[0], **{f"fc{i}": b for i, b in enumerate(sizes[1:])}}
    return NetworkGraph(layers=tuple(layers), spaces=spaces, source="random", notes=())


def test_network_scope_random_pruning_is_not_a_power_law():
    """Issue 12 #3: three random-pruned layers at network scope were 'power law plausible over
    ×1.1 only' in 20 of 60 repetitions (no binomial test there). The network's random-pruning
    law (a sum of binomials per unit, one per layer touching it) is now tested."""
    from prunegraph.fit import POWER_LAW_VERDICTS

    verdicts = []
    for seed in range(4):
        res = analyze(random_mlp([784, 300, 100, 10], 0.08, seed), degree_kinds=["in", "out", "total"],
                      scope="network", alternatives=[], bootstrap=20, rng=seed)
        for r in res.results:
            assert r.observed.random_test is not None and r.observed.random_test.n_groups >= 2
            verdicts.append(r.observed.verdict)
    assert not POWER_LAW_VERDICTS & set(verdicts)
    assert verdicts.count(Verdict.RANDOM_LIKE) >= 9, verdicts


def test_hub_is_tested_not_pooled():
    """Issue 12 #5: 1000 Bin(784, 0.08) units plus one of degree 600 (binomial probability ~0)
    got χ² p = 0.65 and 'no heavy tail: binomial like random pruning'. The largest-degree test
    rejects the random-pruning law, so the verdict is not random-like."""
    rng = np.random.default_rng(0)
    k = rng.binomial(784, 0.08, 1001)
    k[0] = 600
    r = analyze(net_of(layer_with_in_degrees(k, 784)), degree_kinds=["in"], bootstrap=20, rng=0).results[0]
    rp = r.observed.random_test
    assert binomial_gof(k, 784) > 0.1          # the pooled χ² alone still cannot see the hub
    assert rp.max_p < 1e-12 and rp.p_value < 1e-12
    assert r.observed.verdict not in (Verdict.RANDOM_LIKE, Verdict.NOT_DISTINGUISHED)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_heavier_test_valid_with_dead_units(seed):
    """Issue 12 #2: a random layer with 500 of 1000 units dead had heavier p = 0 and an
    infinite share ratio (alive units only against a null without dead units)."""
    rng = np.random.default_rng(seed)
    k = rng.binomial(784, 0.16, 1000)
    k[:500] = 0
    r = analyze(net_of(layer_with_in_degrees(k, 784, seed=seed)), degree_kinds=["in"], alternatives=[],
                bootstrap=0, rng=seed).results[0]
    assert r.tail.heavier_p > 0.05 and np.isfinite(r.tail.tail_share_ratio)
    assert r.observed.verdict is Verdict.RANDOM_LIKE


@pytest.mark.parametrize("seed", range(5))
def test_heavier_test_has_power_on_power_law_layers(seed):
    """Issue 12 #2: zipf(2.5) in-degrees of 1000 units (seeds 0-4) gave p = 0.22, 0.033, 0.63,
    0.18, 0.004 with the pooled-95th-percentile count; the upper-tail permutation test finds
    every one (p at its floor 1/1000)."""
    rng = np.random.default_rng(seed)
    k = np.minimum(rng.zipf(2.5, 1000), 784)
    r = analyze(net_of(layer_with_in_degrees(k, 784, seed=seed)), degree_kinds=["in"], alternatives=[],
                bootstrap=0, rng=seed).results[0]
    assert r.tail.heavier_p <= 0.002 and r.tail.heavier_q <= 0.002


def test_heavier_permutation_test_is_calibrated_under_the_null():
    """Same law on both sides: P(p ≤ 0.1) ≈ 0.1 (≤ 0.16 over 150 tests; discreteness makes it
    conservative)."""
    rng = np.random.default_rng(11)
    ps = np.array([compare_tails(rng.binomial(100, 0.05, 400), rng.binomial(100, 0.05, 400),
                                 n_permutations=199, rng=i).heavier_p for i in range(150)])
    assert 0.03 <= (ps <= 0.1).mean() <= 0.16


def test_benjamini_hochberg_against_literal():
    p = np.array([0.2, 0.001, 0.04, np.nan, 0.03, 0.9])
    q = benjamini_hochberg(p)
    ok = ~np.isnan(p)
    ps = p[ok]
    m = ps.size
    lit = [min(1.0, min(m * pj / np.sum(ps <= pj) for pj in ps if pj >= pi)) for pi in ps]
    assert np.allclose(q[ok], lit) and np.isnan(q[3])


def test_random_pruning_test_against_literal_max_and_mixture():
    """Largest-degree p against the literal 1 − F(M−1)^n, and a two-layer mixture's χ² uses the
    convolution of the layers' binomials."""
    from scipy import stats

    rng = np.random.default_rng(2)
    x = rng.binomial(50, 0.2, 300)
    rp = random_pruning_test(x, [(np.arange(300), ((50, 0.2),))])
    m = x.max()
    f = (stats.binom.cdf(m - 1, 50, 0.2) - stats.binom.pmf(0, 50, 0.2)) / stats.binom.sf(0, 50, 0.2)
    assert rp.max_p == pytest.approx(1 - f ** (x > 0).sum(), rel=1e-9)
    y = rng.binomial(30, 0.1, 400) + rng.binomial(20, 0.3, 400)
    rp2 = random_pruning_test(y, [(np.arange(400), ((30, 0.1), (20, 0.3)))])
    assert rp2.gof_p > 0.001 and rp2.n_groups == 1
    assert random_pruning_test(y, [(np.arange(400), ((30, 0.1),))]).gof_p < 1e-6


def test_schema_lists_every_verdict_code():
    from pathlib import Path

    import prunegraph

    schema = json.loads((Path(prunegraph.__file__).parent / "fit_schema.json").read_text())
    assert set(schema["$defs"]["side"]["properties"]["verdict_code"]["enum"]) == {v.value for v in Verdict}


def test_library_bootstrap_default_matches_cli():
    """Issue 12 #6: analyze() defaulted to bootstrap=0 while the CLI runs 100 resamples, and the
    library then called untested sequences 'plausible'."""
    import argparse
    import inspect

    from prunegraph.commands import fit as fit_cmd

    p = argparse.ArgumentParser()
    fit_cmd.add_arguments(p)
    assert inspect.signature(analyze).parameters["bootstrap"].default == p.parse_args([]).bootstrap == 100
