"""Likelihood-ratio tests, bootstrap calibration and agreement with the peer packages."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from prunegraph.errors import UsageError
from prunegraph.fit import compare_distributions, fit_power_law, powerlaw_crosscheck


def _by_name(res):
    return {r.alternative: r for r in res}


# ----------------------------------------------------------------- LR test picks the generator
def _cutoff_sample(rng, n):
    """Power law α = 1.5 (x ≥ 1) thinned by e^{-λ(x−1)}, λ = 0.02: exact rejection sampling."""
    out = []
    while sum(o.size for o in out) < n:
        x = (1 - rng.random(4 * n)) ** (-1 / 0.5)
        out.append(x[rng.random(x.size) < np.exp(-0.02 * (x - 1))])
    return np.concatenate(out)[:n]


GENERATORS = {
    "exponential": (lambda r: 1.0 + r.exponential(3.0, 3000), dict(xmin=1.0)),
    "lognormal": (lambda r: r.lognormal(2.0, 0.5, 3000), dict(xmin=2.0)),
    "stretched_exponential": (lambda r: 5.0 * r.weibull(0.4, 4000), dict(xmin=1.0)),
    "truncated_power_law": (lambda r: _cutoff_sample(r, 3000), dict(xmin=1.0)),
    "poisson": (lambda r: r.poisson(20.0, 3000), dict(xmin=10)),
    "binomial": (lambda r: r.binomial(300, 0.1, 3000), dict(xmin=20)),
}


@pytest.mark.parametrize("name", list(GENERATORS))
def test_lr_prefers_the_generating_distribution(name):
    make, kw = GENERATORS[name]
    rng = np.random.default_rng(list(GENERATORS).index(name))
    x = make(rng)
    x = x[x >= kw["xmin"]]
    res = _by_name(compare_distributions(x, [name], binomial_n=300 if name == "binomial" else None, **kw))
    r = res[name]
    assert r.R < 0 and r.p_value < 0.01 and r.preferred == name, r
    assert r.nested == (name == "truncated_power_law")


def test_lr_prefers_power_law_over_light_tails_on_power_law_data():
    # α = 3: with heavier tails a few huge values dominate the variance of the pointwise
    # differences and Vuong's test loses its power even though R is enormous
    x = np.random.default_rng(2).zipf(3.0, 5000)
    res = _by_name(compare_distributions(x, xmin=1, binomial_n=int(x.max())))
    for name in ("exponential", "poisson", "binomial"):
        assert res[name].R > 0 and res[name].preferred == "power_law"
    # the power law is nested in the cut-off law: R ≤ 0 up to optimiser noise, and not significant
    assert res["truncated_power_law"].R < 1e-6 and res["truncated_power_law"].preferred is None


def test_lr_recovers_alternative_parameters():
    rng = np.random.default_rng(3)
    x = 5.0 + rng.exponential(1 / 0.4, 20000)
    r = compare_distributions(x, ["exponential", "lognormal"], xmin=5.0)
    assert r[0].parameters["lambda"] == pytest.approx(0.4, rel=0.03)
    assert r[0].parameters["lambda"] == pytest.approx(1 / (x.mean() - 5.0), rel=1e-5)  # closed form MLE


def test_vuong_statistic_by_hand():
    """R, normalised R and p against a literal computation from the pointwise log-likelihoods."""
    from scipy import special
    rng = np.random.default_rng(4)
    x = 1.0 + rng.exponential(2.0, 500)
    fit = fit_power_law(x, xmin=1.0)
    r = compare_distributions(fit, ["exponential"])[0]
    lam = r.parameters["lambda"]
    lp = np.log((fit.alpha - 1) / 1.0) - fit.alpha * np.log(x)
    le = np.log(lam) - lam * (x - 1.0)
    d = lp - le
    assert r.R == pytest.approx(d.sum(), rel=1e-9)
    assert r.normalized_R == pytest.approx(d.sum() / (d.std() * np.sqrt(d.size)), rel=1e-9)
    assert r.p_value == pytest.approx(special.erfc(abs(d.sum()) / (d.std() * np.sqrt(2 * d.size))), rel=1e-6)


def test_compare_defaults_and_errors():
    x = np.random.default_rng(5).pareto(1.5, 500) + 1
    names = [r.alternative for r in compare_distributions(x)]
    assert names == ["lognormal", "exponential", "stretched_exponential", "truncated_power_law"]
    with pytest.raises(UsageError, match="integer"):
        compare_distributions(x, ["poisson"])
    with pytest.raises(UsageError, match="binomial_n"):
        compare_distributions(np.arange(1, 100), ["binomial"])
    with pytest.raises(UsageError, match="unknown"):
        compare_distributions(x, ["cauchy"])
    d = compare_distributions(x, ["exponential"])[0].to_dict()
    assert set(d) >= {"alternative", "R", "normalized_R", "p_value", "nested", "parameters", "preferred"}


def test_compare_on_truncated_fit():
    x = np.random.default_rng(6).zipf(2.0, 4000)
    fit = fit_power_law(x, xmin=1, xmax=200)
    res = _by_name(compare_distributions(fit, ["exponential", "binomial"], binomial_n=500))
    assert all(r.n_tail == fit.n_tail for r in res.values())
    assert res["exponential"].preferred == "power_law"


# ----------------------------------------------------------------- bootstrap calibration
def _null_pvalues(n_draws, n, reps, seed):
    rng = np.random.default_rng(seed)
    return np.array([fit_power_law(rng.zipf(2.5, n), bootstrap=reps, rng=i, min_tail=20).p_value
                     for i in range(n_draws)])


def test_bootstrap_pvalues_not_concentrated_under_null_fast():
    p = _null_pvalues(8, 400, 40, 0)
    assert 0.15 < p.mean() < 0.85 and p.max() > 0.3


@pytest.mark.slow
def test_bootstrap_pvalues_uniform_under_null():
    p = _null_pvalues(60, 800, 100, 1)
    assert stats.kstest(p, "uniform").pvalue > 0.01
    assert 0.35 < p.mean() < 0.65


# ----------------------------------------------------------------- peers
@pytest.mark.parametrize("alpha", [1.8, 2.5, 3.5, 4.5])
@pytest.mark.parametrize("discrete", [True, False])
def test_agrees_with_powerlaw_package(alpha, discrete):
    rng = np.random.default_rng(int(alpha * 10))
    x = rng.zipf(alpha, 1500) if discrete else (1 - rng.random(800)) ** (-1 / (alpha - 1))
    r = powerlaw_crosscheck(x)
    assert r["discrete"] == discrete
    assert r["same_xmin"], r
    assert r["alpha_rel_diff"] < 1e-3, r
    assert abs(r["prunegraph"]["ks_distance"] - r["powerlaw"]["ks_distance"]) < 2e-3


def test_powerlaw_default_caps_alpha_and_we_do_not():
    import warnings

    import powerlaw
    x = np.random.default_rng(1).zipf(4.0, 3000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        capped = powerlaw.Fit(x, discrete=True, xmin=1, verbose=0).power_law.alpha
    ours = fit_power_law(x, xmin=1).alpha
    assert capped <= 3.0 + 1e-9 and ours > 3.5


@pytest.mark.parametrize("n,alpha", [(10_000, 2.5), (20_000, 3.2)])
def test_agrees_with_igraph_plfit(n, alpha):
    igraph = pytest.importorskip("igraph")
    x = np.random.default_rng(n).zipf(alpha, n)
    ref = igraph.power_law_fit(x.tolist(), method="discrete", p_precision=0.5)
    ours = fit_power_law(x, min_tail=1)
    assert ours.xmin == ref.xmin
    assert ours.alpha == pytest.approx(ref.alpha, abs=1e-4)
    assert ours.ks_distance == pytest.approx(ref.D, abs=1e-6)
