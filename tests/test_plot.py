"""Tests of prunegraph.output.plot: CCDF figures, exponent summaries, atomic figure files."""

from __future__ import annotations

import math
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from scipy import special, stats

from prunegraph.errors import InputError, UsageError
from prunegraph.output import plot


def literal_ccdf(values):
    """P(X >= x) at each distinct positive value, by counting (the slow, obvious way)."""
    alive = [v for v in values if v > 0]
    xs = sorted(set(alive))
    return np.array(xs, float), np.array([sum(1 for v in alive if v >= x) / len(alive) for x in xs])


def lines_by_gid(fig):
    return {ln.get_gid(): ln for ln in fig.axes[0].get_lines() if ln.get_gid()}


def discrete_sum_ccdf(pmf, x, xmin, xmax=None, kmax=200_000):
    """sum_{k=x}^{end} pmf(k) / sum_{k=xmin}^{end} pmf(k) by brute force over integers."""
    end = kmax if xmax is None else int(xmax)
    k = np.arange(int(xmin), end + 1, dtype=float)
    w = pmf(k)
    tot = w.sum()
    return np.array([w[k >= xi].sum() / tot for xi in x])


# ----------------------------------------------------------------------------- CCDF data
def test_empirical_ccdf_hand_checked():
    x, p = plot.empirical_ccdf([0, 1, 1, 2, 4])
    assert x.tolist() == [1.0, 2.0, 4.0]
    assert p.tolist() == [1.0, 0.5, 0.25]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("kind", ["int", "float"])
def test_empirical_ccdf_matches_counting(seed, kind):
    rng = np.random.default_rng(seed)
    vals = rng.integers(0, 30, size=200) if kind == "int" else np.round(rng.exponential(2.0, 150), 2)
    x, p = plot.empirical_ccdf(vals)
    xr, pr = literal_ccdf(vals.tolist())
    np.testing.assert_array_equal(x, xr)
    np.testing.assert_allclose(p, pr, rtol=0, atol=1e-15)


def test_plot_ccdf_line_data_and_dead_count():
    degrees = np.array([0, 0, 3, 1, 1, 2, 4, 4, 4, 9])
    fig = plot.plot_ccdf(degrees, title="fc1 in")
    ax = fig.axes[0]
    data = lines_by_gid(fig)["ccdf-data"]
    xr, pr = literal_ccdf(degrees.tolist())
    np.testing.assert_array_equal(data.get_xdata(), xr)
    np.testing.assert_allclose(data.get_ydata(), pr)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_title() == "fc1 in"
    assert data.get_label() == "data (2 dead units left out)"  # the count in the legend, not under the axes
    assert not [t for t in ax.texts if "dead" in t.get_text()]
    one = lines_by_gid(plot.plot_ccdf([0, 1, 2, 2]))["ccdf-data"].get_label()
    none = lines_by_gid(plot.plot_ccdf([1, 2, 2]))["ccdf-data"].get_label()
    assert (one, none) == ("data (1 dead unit left out)", "data")


def test_plot_ccdf_null_is_grey_and_correct():
    rng = np.random.default_rng(3)
    null = rng.binomial(50, 0.1, size=120)
    fig = plot.plot_ccdf([1, 2, 3], null_degrees=null)
    ln = lines_by_gid(fig)["ccdf-null"]
    xr, pr = literal_ccdf(null.tolist())
    np.testing.assert_array_equal(ln.get_xdata(), xr)
    np.testing.assert_allclose(ln.get_ydata(), pr)
    r, g, b, _ = __import__("matplotlib.colors").colors.to_rgba(ln.get_color())
    assert r == g == b  # grey


# ----------------------------------------------------------------------------- model curves
@pytest.mark.parametrize("alpha,xmin,xmax", [(2.5, 1, None), (1.8, 3, None), (2.2, 2, 40)])
def test_tail_ccdf_discrete_matches_brute_force_sum(alpha, xmin, xmax):
    x = np.array([xmin, xmin + 1, 7, 15, 30], float)
    got = plot.tail_ccdf(x, alpha=alpha, xmin=xmin, xmax=xmax, discrete=True)
    if xmax is None:  # add the remainder past kmax by the Hurwitz zeta (exact), brute force the rest
        kmax = 200_000
        k = np.arange(xmin, kmax + 1, dtype=float)
        w = k ** -alpha
        rest = special.zeta(alpha, kmax + 1)
        ref = np.array([(w[k >= xi].sum() + rest) / (w.sum() + rest) for xi in x])
    else:
        ref = discrete_sum_ccdf(lambda k: k ** -alpha, x, xmin, xmax)
    np.testing.assert_allclose(got, ref, rtol=1e-9)


@pytest.mark.parametrize("xmax", [None, 20.0])
def test_tail_ccdf_continuous_matches_powerlaw_package(xmax):
    powerlaw = pytest.importorskip("powerlaw")
    x = np.array([2.0, 3.0, 5.0, 10.0, 19.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = powerlaw.Power_Law(xmin=2.0, xmax=xmax, parameters=[2.5], discrete=False).ccdf(x)
    got = plot.tail_ccdf(x, alpha=2.5, xmin=2.0, xmax=xmax, discrete=False)
    np.testing.assert_allclose(got, ref, rtol=1e-10)
    if xmax is None:
        np.testing.assert_allclose(got, (x / 2.0) ** -1.5, rtol=1e-12)


@pytest.mark.parametrize("name,cls,params", [
    ("lognormal", "Lognormal", {"mu": 0.5, "sigma": 1.2}),
    ("exponential", "Exponential", {"Lambda": 0.2}),
    ("stretched_exponential", "Stretched_Exponential", {"Lambda": 0.3, "beta": 0.6}),
    ("truncated_power_law", "Truncated_Power_Law", {"alpha": 1.7, "Lambda": 0.05}),
])
def test_alternatives_continuous_match_powerlaw_package(name, cls, params):
    powerlaw = pytest.importorskip("powerlaw")
    x = np.array([2.0, 3.0, 5.0, 10.0, 30.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = getattr(powerlaw, cls)(xmin=2.0, parameters=list(params.values()), discrete=False).ccdf(x)
    if name == "stretched_exponential":  # powerlaw: e^(-(Λx)^β); prunegraph.fit: e^(-λ x^β), λ = Λ^β
        params = {"lambda": params["Lambda"] ** params["beta"], "beta": params["beta"]}
    got = plot.alternative_tail_ccdf(x, name, params, xmin=2.0, discrete=False)
    np.testing.assert_allclose(got, ref, rtol=1e-7)


def test_stretched_exponential_matches_the_fitted_density():
    """The curve drawn is the CCDF of the density prunegraph.fit fits, x^(β-1) e^(-λ x^β)."""
    from scipy import integrate

    lam, beta, xmin = 113.0, 0.0115, 2.0  # parameters fit returns on a power-law-like tail
    f = lambda t: t ** (beta - 1) * np.exp(-lam * (t ** beta - xmin ** beta))  # noqa: E731
    z = integrate.quad(f, xmin, np.inf, limit=500)[0]
    x = np.array([4.0, 20.0, 100.0])
    ref = [integrate.quad(f, xi, np.inf, limit=500)[0] / z for xi in x]
    got = plot.alternative_tail_ccdf(x, "stretched_exponential", {"lambda": lam, "beta": beta},
                                     xmin=xmin, discrete=False)
    np.testing.assert_allclose(got, ref, rtol=1e-5)
    assert got[-1] < 0.1  # a real, falling curve (the old parametrisation drew it flat)


@pytest.mark.parametrize("name,params,pmf", [
    ("truncated_power_law", {"alpha": 1.7, "lambda": 0.05}, lambda k: k ** -1.7 * np.exp(-0.05 * k)),
    ("exponential", {"lambda": 0.3}, lambda k: np.exp(-0.3 * k)),
    ("poisson", {"mu": 6.0}, lambda k: stats.poisson.pmf(k, 6.0)),
    ("binomial", {"n": 40, "p": 0.2}, lambda k: stats.binom.pmf(k, 40, 0.2)),
])
@pytest.mark.parametrize("xmax", [None, 25])
def test_alternatives_discrete_match_brute_force_sum(name, params, pmf, xmax):
    x = np.array([3.0, 4.0, 6.0, 11.0, 20.0])
    got = plot.alternative_tail_ccdf(x, name, params, xmin=3, xmax=xmax, discrete=True)
    ref = discrete_sum_ccdf(pmf, x, 3, xmax, kmax=20_000)
    np.testing.assert_allclose(got, ref, rtol=1e-8, atol=1e-300)


def test_lognormal_discrete_is_telescoped_continuous():
    # P(X = k) = F(k+1) - F(k): the discretisation the powerlaw package uses
    x = np.array([2.0, 5.0, 9.0])
    d = stats.lognorm(s=0.9, scale=math.exp(1.0))
    pmf = lambda k: d.cdf(k + 1) - d.cdf(k)  # noqa: E731
    ref = discrete_sum_ccdf(pmf, x, 2, None, kmax=200_000)
    got = plot.alternative_tail_ccdf(x, "lognormal", {"mu": 1.0, "sigma": 0.9}, xmin=2)
    np.testing.assert_allclose(got, ref, rtol=1e-6)


def test_plot_ccdf_curves_scaled_to_tail_share():
    rng = np.random.default_rng(0)
    deg = np.concatenate([stats.zipf(2.3).rvs(size=400, random_state=rng), [0, 0, 0]])
    alive = deg[deg > 0]
    xmin = 3
    n_tail = int(np.sum(alive >= xmin))
    fit = {"alpha": 2.3, "sigma": 0.06, "xmin": xmin, "xmax": None, "n": alive.size, "n_tail": n_tail,
           "p_value": 0.5, "discrete": True, "hit_bound": False}
    alts = [{"alternative": "exponential", "R": 5.0, "p_value": 0.01, "parameters": {"Lambda": 0.1}},
            {"alternative": "lognormal", "R": -0.5, "p_value": 0.6, "parameters": {"mu": 0.2, "sigma": 1.5}}]
    fig = plot.plot_ccdf(deg, fit=fit, alternative=alts)
    lines = lines_by_gid(fig)
    pl, alt = lines["ccdf-power-law"], lines["ccdf-alternative"]
    x = np.asarray(pl.get_xdata())
    assert x[0] == xmin and x[-1] == alive.max()
    share = n_tail / alive.size
    np.testing.assert_allclose(pl.get_ydata(), share * special.zeta(2.3, x) / special.zeta(2.3, xmin), rtol=1e-10)
    # the power law meets the empirical CCDF at xmin, where both equal the tail share
    ex, ep = literal_ccdf(deg.tolist())
    assert pl.get_ydata()[0] == pytest.approx(ep[ex == xmin][0])
    # the lognormal (lowest R) is the one drawn
    xa = np.asarray(alt.get_xdata())
    ref = stats.lognorm(s=1.5, scale=math.exp(0.2)).sf(xa) / stats.lognorm(s=1.5, scale=math.exp(0.2)).sf(xmin)
    np.testing.assert_allclose(alt.get_ydata(), share * ref, rtol=1e-9)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert any("α = 2.30 ± 0.06" in s and "GoF p = 0.50" in s for s in labels)
    assert "xmin = 3 (fitted tail starts)" in labels  # the xmin line is in the legend
    alt_label = next(s for s in labels if s.startswith("lognormal"))
    assert "R = -0.50" in alt_label and "R < 0 favours it" in alt_label  # R's sign explained


def test_plot_ccdf_truncated_adds_mass_above_xmax():
    deg = np.array([1, 1, 2, 2, 3, 4, 5, 6, 8, 12, 30, 50])
    fit = {"alpha": 1.9, "sigma": 0.2, "xmin": 2, "xmax": 12, "n": 12, "n_tail": 8, "discrete": True}
    y = lines_by_gid(plot.plot_ccdf(deg, fit=fit))["ccdf-power-law"].get_ydata()
    x = lines_by_gid(plot.plot_ccdf(deg, fit=fit))["ccdf-power-law"].get_xdata()
    ref = 8 / 12 * discrete_sum_ccdf(lambda k: k ** -1.9, x, 2, 12) + 2 / 12
    np.testing.assert_allclose(y, ref, rtol=1e-10)
    assert x[-1] == 12


def test_plot_ccdf_into_given_axes_and_continuous():
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    vals = np.array([0.5, 1.2, 2.0, 3.3, 7.1, 0.0])
    fit = {"alpha": 2.0, "xmin": 1.2, "n": 5, "n_tail": 4, "discrete": False}
    assert plot.plot_ccdf(vals, fit=fit, ax=ax, min_distinct=1) is fig
    pl = lines_by_gid(fig)["ccdf-power-law"]
    x = np.asarray(pl.get_xdata())
    np.testing.assert_allclose(pl.get_ydata(), 0.8 * (x / 1.2) ** -1.0, rtol=1e-12)


def test_best_alternative_lowest_R():
    comps = [{"alternative": "a", "R": 1.0}, {"alternative": "b", "R": -2.0},
             {"alternative": "c", "R": None}, {"alternative": "d", "R": -0.5}]
    assert plot.best_alternative(comps)["alternative"] == "b"
    assert plot.best_alternative(None) is None
    assert plot.best_alternative([]) is None


@pytest.mark.parametrize("bad", [[1, 2, np.nan], [1, -2, 3], ["a", "b"]])
def test_bad_degrees_raise_input_error(bad):
    with pytest.raises(InputError, match="degrees"):
        plot.plot_ccdf(bad)


def test_bad_alternative_raises_usage_error():
    with pytest.raises(UsageError, match="unknown distribution"):
        plot.alternative_tail_ccdf([2.0], "gamma", {}, xmin=1)
    with pytest.raises(UsageError, match="'sigma'"):
        plot.alternative_tail_ccdf([2.0], "lognormal", {"mu": 1.0}, xmin=1)


# ----------------------------------------------------------------------------- summary
def test_alpha_summary_reads_back():
    rows = [
        {"layer": "fc1", "kind": "in", "alpha": 2.4, "sigma": 0.1, "null_alpha": 5.0, "null_sigma": 0.5,
         "verdict": "power law plausible"},
        {"layer": "fc2", "kind": "out", "alpha": None, "sigma": None, "null_alpha": 6.5, "null_sigma": 0.9,
         "verdict": "not fitted"},
    ]
    fig = plot.plot_alpha_summary(rows, title="lenet")
    lines = lines_by_gid(fig)
    pruned, null = lines["alpha-pruned"], lines["alpha-null"]
    np.testing.assert_allclose(pruned.get_ydata(), [2.4, np.nan])
    np.testing.assert_allclose(null.get_ydata(), [5.0, 6.5])
    assert np.all(np.asarray(pruned.get_xdata()) < np.asarray(null.get_xdata()))  # side by side
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks[0] == "fc1\n(in)\npower law\nplausible" and ticks[1].startswith("fc2\n(out)")
    assert any(t.get_text() == "no fit" for t in fig.axes[0].texts)
    assert "scale-free range 2 ≤ α ≤ 3" in fig.axes[0].get_legend_handles_labels()[1]
    import seaborn as sns
    from matplotlib.colors import to_rgb

    assert to_rgb(pruned.get_color()) == pytest.approx(sns.color_palette("colorblind")[0])


def test_alpha_summary_rejects_bad_rows():
    with pytest.raises(UsageError):
        plot.plot_alpha_summary([])
    with pytest.raises(UsageError, match="layer"):
        plot.plot_alpha_summary([{"alpha": 2.0}])


# ----------------------------------------------------------------------------- files
def test_save_figure_writes_decodable_files(tmp_path):
    from PIL import Image

    fig = plot.plot_ccdf([0, 1, 2, 2, 3, 5], fit={"alpha": 2.0, "xmin": 1, "n": 5, "n_tail": 5, "discrete": True})
    paths = plot.save_figure(fig, tmp_path / "sub" / "fc1.in")
    assert [p.name for p in paths] == ["fc1.in.png", "fc1.in.svg"]
    with Image.open(paths[0]) as im:
        im.verify()
        assert im.format == "PNG" and im.size[0] > 300
    root = ET.parse(paths[1]).getroot()
    assert root.tag.endswith("svg")
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["fc1.in.png", "fc1.in.svg"]


def test_save_figure_closes_pyplot_figures(tmp_path):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    plot.plot_ccdf([1, 2, 3], ax=ax)
    num = fig.number
    plot.save_figure(fig, tmp_path / "x", formats=("png",))
    assert not plt.fignum_exists(num)


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_save_figure_is_atomic(tmp_path, monkeypatch, fmt):
    # a write that fails half-way (PNG: our encoder's bytes; SVG: matplotlib's savefig) leaves
    # the older file as it was and no temporary file behind
    target = tmp_path / f"fig.{fmt}"
    target.write_bytes(b"old contents")
    fig = plot.plot_ccdf([1, 2, 3])

    def broken(fname, *args, **kwargs):
        with open(fname, "wb") as fh:
            fh.write(b"partial")
        raise OSError("disk full")

    if fmt == "png":
        monkeypatch.setattr(Path, "write_bytes", broken)
    else:
        monkeypatch.setattr(fig, "savefig", broken)
    with pytest.raises(OSError, match="disk full"):
        plot.save_figure(fig, tmp_path / "fig", formats=(fmt,))
    monkeypatch.undo()
    assert target.read_bytes() == b"old contents"
    assert [p.name for p in tmp_path.iterdir()] == [f"fig.{fmt}"]


def test_save_figure_rejects_bad_format(tmp_path):
    with pytest.raises(UsageError, match="formats"):
        plot.save_figure(plot.plot_ccdf([1, 2]), tmp_path / "x", formats=("bmp",))
    with pytest.raises(UsageError, match="Figure"):
        plot.save_figure("not a figure", tmp_path / "x")


@pytest.mark.parametrize("alpha,lam", [(1.5, 1e-5), (0.5, 0.01), (2.5, 2.0), (1.0, 0.1)])
def test_truncated_power_law_continuous_matches_incomplete_gamma(alpha, lam):
    # integral_x^inf t^-a e^(-lam t) dt = lam^(a-1) Gamma(1-a, lam x): upper incomplete gamma
    mpmath = pytest.importorskip("mpmath")
    x = np.array([1.0, 3.0, 10.0, 100.0, 1000.0])
    surv = [float(mpmath.gammainc(1 - alpha, lam * xi)) for xi in x]
    ref = np.array(surv) / surv[0]
    got = plot.alternative_tail_ccdf(x, "truncated_power_law", {"alpha": alpha, "lambda": lam}, xmin=1.0,
                                     discrete=False)
    np.testing.assert_allclose(got, ref, rtol=1e-7, atol=1e-300)


def test_unusable_alternative_parameters_warn_and_skip_curve():
    fit = {"alpha": 2.0, "xmin": 1, "n": 4, "n_tail": 4, "discrete": True}
    alt = {"alternative": "lognormal", "R": -1.0, "p_value": 0.2, "parameters": {"mu": float("nan"), "sigma": 1.0}}
    with pytest.warns(RuntimeWarning, match="lognormal curve not drawn"):
        fig = plot.plot_ccdf([1, 2, 3, 5], fit=fit, alternative=alt, min_distinct=1)
    assert "ccdf-alternative" not in lines_by_gid(fig) and "ccdf-power-law" in lines_by_gid(fig)


def test_alpha_summary_many_rows_short_vertical_labels():
    rows = [{"layer": f"conv{i}", "kind": "in", "alpha": 2.0 + i / 10, "sigma": 0.1, "null_alpha": 6.0,
             "null_sigma": 0.5, "verdict": "consistent with random pruning (p=0.6)",
             "verdict_code": "random_like"} for i in range(12)]
    fig = plot.plot_alpha_summary(rows)
    ticks = _x_labels(fig.axes[0])
    assert ticks[3].get_text() == "in · consistent with random pruning"  # the enum's short label (issue 12)
    assert ticks[3].get_rotation() == 90
    # each layer's name once, under its position (one row per layer here)
    names = [t for t in fig.axes[0].texts if t.get_gid() == "alpha-layer-name"]
    assert [t.get_text() for t in names] == [f"conv{i}" for i in range(12)]
    assert [t.get_position()[0] for t in names] == list(range(12))
    assert fig.get_size_inches()[0] <= 16.0


def test_plot_ccdf_reads_values_attribute():
    class Seq:  # duck-typed DegreeSequence: .values holds all units, zeros included
        values = np.array([0, 0, 0, 2, 2, 6])

    fig = plot.plot_ccdf(Seq())
    np.testing.assert_allclose(lines_by_gid(fig)["ccdf-data"].get_ydata(), [1.0, 1 / 3])
    assert lines_by_gid(fig)["ccdf-data"].get_label() == "data (3 dead units left out)"


def test_import_is_lazy():
    import subprocess
    import sys

    code = ("import sys, prunegraph.output.plot, prunegraph.output.report; "
            "print(any(m in sys.modules for m in ('matplotlib', 'seaborn')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _extents(fig, artists):
    renderer = fig.canvas.get_renderer()
    fig.draw_without_rendering()
    return [a.get_window_extent(renderer) for a in artists]


def test_alpha_summary_labels_do_not_overlap_and_no_fit_is_outside_the_band():
    # the verdicts of lenet300_fmnist_imp (issue 17: these labels overlapped)
    verdicts = ["power law plausible over ×1.9 only", "power law plausible over ×2.1 only",
                "inconclusive: tail of only 26 units", "power law plausible over ×1.6 only",
                "too few units: 10 alive (need 20)", "inconclusive: tail of only 14 units"]
    codes = ["plausible_narrow", "plausible_narrow", "inconclusive", "plausible_narrow", "too_few_units",
             "inconclusive"]
    rows = [{"layer": f"fc{i // 2 + 1}", "kind": "in" if i % 2 == 0 else "out", "verdict": v,
             "verdict_code": codes[i],
             "alpha": None if i == 4 else 5.5 + i / 3, "sigma": 0.6,
             "null_alpha": None if i == 4 else 12.0 - i, "null_sigma": 1.0} for i, v in enumerate(verdicts)]
    fig = plot.plot_alpha_summary(rows)
    ax = fig.axes[0]
    boxes = _extents(fig, ax.get_xticklabels())
    for a, b in zip(boxes, boxes[1:]):
        assert a.x1 < b.x0, "neighbouring x labels overlap"
    assert "power law plausible (narrow)" in ax.get_xticklabels()[0].get_text().replace("\n", " ")
    no_fit = [t for t in ax.texts if t.get_text() == "no fit"]
    assert len(no_fit) == 2
    band_bottom = ax.transData.transform((0, 2.0))[1]
    for box in _extents(fig, no_fit):
        assert box.y1 < band_bottom, "a 'no fit' marker reaches into the 2 <= alpha <= 3 band"
    assert min(ax.get_yticks()) >= 2.0 - 1e-9  # no α ticks in the strip of the markers


def _summary_rows(n_layers, *, kinds=("in", "out"), names=None):
    """Rows of an α summary shaped like a transformer's: every verdict in turn, a fit at the bound,
    unfitted rows (one unfitted on both sides), long layer names."""
    from prunegraph.fit.verdict import Verdict

    codes = [v.value for v in Verdict]
    rows = []
    for li in range(n_layers):
        name = names[li] if names else f"encoder.layer.{li // 6}.attention.output.dense_{li % 6}"
        for kind in kinds:
            i = len(rows)
            rows.append({"layer": name, "kind": kind, "alpha": None if i % 11 == 3 else 3.0 + (i % 7),
                         "sigma": 0.4, "null_alpha": None if i % 11 == 3 else 100.0 if i % 13 == 5 else 9.0 - i % 5,
                         "null_sigma": 1.0, "null_hit_bound": i % 13 == 5, "hit_bound": i == 1,
                         "verdict_code": codes[i % len(codes)]})
    return rows


def _x_labels(ax):
    """An α summary's labels under its positions: the x tick labels (few rows) or the texts at
    fixed places that stand for them (many rows)."""
    return [t for t in ax.texts if t.get_gid() == "alpha-label"] or ax.get_xticklabels()


def _full_names(ax):
    """The layer names an α summary writes, each with the block prefix written below it."""
    blocks = [(t.get_text(), t.get_position()[0]) for t in ax.texts if t.get_gid() == "alpha-block-name"]
    (bracket,) = [c for c in ax.collections if c.get_gid() == "alpha-block-bracket"] or [None]
    spans = [] if bracket is None else [(seg[0][0], seg[1][0]) for seg in bracket.get_segments()]
    out = []
    for t in ax.texts:
        if t.get_gid() == "alpha-layer-name":
            x = t.get_position()[0]
            prefix = [name for (name, _), (x0, x1) in zip(blocks, spans) if x0 <= x <= x1]
            out.append(".".join(prefix + [t.get_text()]))
    return out


def _drawn_extents(fig, artists, dpi):
    """Window extents (pixels) of ``artists`` and the figure's box, drawn as saved at ``dpi``."""
    fig.set_dpi(dpi)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return [a.get_window_extent(renderer) for a in artists], fig.bbox


def _inside(box, frame, what):
    assert (box.x0 >= frame.x0 - 0.5 and box.x1 <= frame.x1 + 0.5 and box.y0 >= frame.y0 - 0.5
            and box.y1 <= frame.y1 + 0.5), f"{what} {box} leaves the figure {frame}"


@pytest.mark.parametrize("dpi", [plot._DPI, 110, 72])
@pytest.mark.parametrize("case", ["single", "lenet", "long_names", "ten", "minilm80", "wide200"])
def test_alpha_summary_layout_keeps_every_text_inside_and_apart(case, dpi):
    # the manual layout (margins from measured text widths, no constrained layout): every tick
    # label, layer name, "no fit"/bound note, the title and the legend lie inside the figure
    # as saved (150 dpi; the report's 110; SVG's 72), no two x labels touch, the names sit below
    # the labels
    rows = {"single": _summary_rows(1, kinds=("in",)),
            "lenet": _summary_rows(3, names=["fc1", "fc2", "fc3"]),
            "long_names": _summary_rows(4)[:7],  # few rows, each named in full: no label may touch the next
            "ten": _summary_rows(5, names=["conv1", "conv2", "fc1", "fc2", "fc3"]),
            "minilm80": _summary_rows(40),
            "wide200": _summary_rows(100)}[case]
    fig = plot.plot_alpha_summary(rows, title="all-MiniLM-L6-v2 10 %: exponent α per layer, pruned vs "
                                              "random-pruning null")
    assert fig.get_layout_engine() is None  # laid out once, not by constrained layout
    ax = fig.axes[0]
    ticks = _x_labels(ax)
    names = [t for t in ax.texts if t.get_gid() == "alpha-layer-name"]
    notes = [t for t in ax.texts if t.get_gid() not in ("alpha-layer-name", "alpha-label")]
    legend = ax.get_legend()
    assert ax.get_title().startswith("all-MiniLM")  # the Axes' title, whichever way it is aligned
    boxes, frame = _drawn_extents(fig, [*ticks, *names, *notes, ax.title, legend], dpi)
    nt, nn = len(ticks), len(names)
    tick_boxes, name_boxes = boxes[:nt], boxes[nt:nt + nn]
    assert nt == len(rows) and all(t.get_text() for t in ticks)
    for t, box in zip([*ticks, *names, *notes, ax.title, legend], boxes):
        if not isinstance(t, type(legend)) and not t.get_text():
            continue
        _inside(box, frame, repr(t.get_text()) if hasattr(t, "get_text") else "the legend")
    for a, b in zip(tick_boxes, tick_boxes[1:]):
        assert a.x1 < b.x0, "neighbouring x labels overlap"
    for a, b in zip(name_boxes, name_boxes[1:]):
        assert a.x1 < b.x0, "neighbouring layer names overlap"
    if name_boxes:
        assert max(b.y1 for b in name_boxes) < min(b.y0 for b in tick_boxes), "a layer name reaches the labels"
        assert _full_names(ax) == list(dict.fromkeys(r["layer"] for r in rows))
    blocks = [t for t in notes if t.get_gid() == "alpha-block-name"]
    if blocks:
        block_boxes = boxes[nt + nn:nt + nn + len(notes)]
        block_boxes = [b for t, b in zip(notes, block_boxes) if t.get_gid() == "alpha-block-name"]
        assert max(b.y1 for b in block_boxes) < min(b.y0 for b in name_boxes), "a block name reaches the names"
        for a, b in zip(block_boxes, block_boxes[1:]):
            assert a.x1 < b.x0, "neighbouring block names overlap"
    axes_box = ax.get_window_extent()
    lbox = legend.get_window_extent()
    # right of the plot (few rows), or a row above it (many), never over the data
    assert lbox.x0 > axes_box.x1 or lbox.y0 > axes_box.y1
    assert ax.title.get_window_extent().y0 > lbox.y1 or lbox.x0 > axes_box.x1  # the title clear of the legend
    for box in tick_boxes:
        assert box.y1 < axes_box.y0  # under the plot


def test_alpha_summary_at_80_sequences_reads_every_layer_once_and_grows_past_it():
    rows = _summary_rows(40)
    fig = plot.plot_alpha_summary(rows)
    ax = fig.axes[0]
    names = [t for t in ax.texts if t.get_gid() == "alpha-layer-name"]
    assert len(names) == 40 and [t.get_position()[0] for t in names] == [2 * i + 0.5 for i in range(40)]
    # the block ("encoder.layer.3") once under its six layers, each named within it
    assert [t.get_text() for t in ax.texts if t.get_gid() == "alpha-block-name"] == [
        f"encoder.layer.{b}" for b in range(7)]
    assert names[0].get_text() == "attention.output.dense_0"
    assert _full_names(ax) == list(dict.fromkeys(r["layer"] for r in rows))
    assert [t.get_text() for t in _x_labels(ax)[:2]] == ["in · too few units", "out · degenerate"]
    assert not ax.get_xticks().size  # no Tick objects: the labels are texts, the marks one line
    (marks,) = [ln for ln in ax.get_children() if getattr(ln, "get_gid", lambda: None)() == "alpha-ticks"]
    assert list(marks.get_xdata()) == list(range(80))
    (bracket,) = [c for c in ax.collections if c.get_gid() == "alpha-layer-bracket"]
    assert len(bracket.get_segments()) == 40
    # past 80 rows the plot grows by a fixed step a row instead of squeezing the labels
    w80 = fig.axes[0].get_position().width * fig.get_size_inches()[0]
    big = plot.plot_alpha_summary(_summary_rows(100))
    w200 = big.axes[0].get_position().width * big.get_size_inches()[0]
    assert w200 / 200 == pytest.approx(plot._ROW_IN[1]) and w80 / 80 >= plot._ROW_IN[1] - 1e-9


@pytest.mark.parametrize("names, row_pt, want", [
    # a block of several layers: its prefix once, the layers within it
    (["a.0.q", "a.0.k", "a.1.q", "a.1.k"], 30.0, (["q", "k", "q", "k"], [("a.0", 0, 3), ("a.1", 4, 7)])),
    # a block of one layer, or a name of one part: written in full
    (["embed", "a.0.q", "a.1.q", "features.0"], 30.0, (["embed", "a.0.q", "a.1.q", "features.0"], [])),
    # a run of names without a numbered part that share their first part: that part is the block
    (["emb.word", "emb.pos", "a.0.q", "fc"], 30.0, (["word", "pos", "a.0.q", "fc"], [("emb", 0, 3)])),
    # a prefix wider than its rows: written in full, not squeezed
    (["encoder.layer.10.q", "encoder.layer.10.k"], 10.0, (["encoder.layer.10.q", "encoder.layer.10.k"], [])),
])
def test_layer_names_take_out_a_block_prefix_only_where_it_fits(names, row_pt, want):
    groups = [(name, 2 * i, 2 * i + 1) for i, name in enumerate(names)]  # in and out of each layer
    assert plot._layer_names(groups, row_pt, 7) == want


def test_alpha_summary_fixed_labels_draw_what_matplotlibs_ticks_draw(tmp_path):
    # many rows: texts at fixed places and one marker line for the tick marks, the same pixels as
    # matplotlib's own x ticks with those labels
    rows = _summary_rows(12)
    fig = plot.plot_alpha_summary(rows)
    a = plot.save_figure(fig, tmp_path / "fixed", formats=["png"])[0]
    fig = plot.plot_alpha_summary(rows)
    ax = fig.axes[0]
    labels = [t.get_text() for t in _x_labels(ax)]
    for artist in [t for t in ax.texts if t.get_gid() == "alpha-label"] + \
            [ln for ln in ax.get_children() if getattr(ln, "get_gid", lambda: None)() == "alpha-ticks"]:
        artist.remove()
    ax.set_xticks(range(len(rows)), labels, fontsize=7, rotation=90)
    b = plot.save_figure(fig, tmp_path / "ticks", formats=["png"])[0]
    assert np.array_equal(_pixels(a), _pixels(b))


def test_alpha_summary_one_grey_no_fit_where_both_markers_would_touch():
    rows = _summary_rows(40)
    fig = plot.plot_alpha_summary(rows)
    no_fit = [t for t in fig.axes[0].texts if t.get_gid() == "no-fit"]
    both = [i for i, r in enumerate(rows) if r["alpha"] is None and r["null_alpha"] is None]
    assert both and [t.get_position()[0] for t in no_fit] == [float(i) for i in both]
    assert all(t.get_color() == "0.35" for t in no_fit)
    boxes, _ = _drawn_extents(fig, no_fit, plot._DPI)
    for a, b in zip(boxes, boxes[1:]):
        assert a.x1 < b.x0


def test_depth_verdict_bars_draw_what_axes_bar_draws(tmp_path):
    # the verdict bars, rectangles added without a data-limit update each, give the pixels of the
    # same bars drawn by Axes.bar (which updates the limits per bar)
    rows = [{"depth": d, "group": g, "degree_kind": k, "alpha_median": 4.0 + d, "alphas": [4.0 + d, 6.0],
             "sigmas": [0.3, 0.5], "verdicts": {"power law rejected": 1 + (d + i) % 3, "inconclusive": d % 2,
                                                "too few units": 2 if g == "mlp" else 0}}
            for d in range(5) for i, g in enumerate(("attention", "mlp")) for k in ("in", "out")]
    a = plot.save_figure(plot.plot_depth(rows, title="t"), tmp_path / "rects", formats=["png"])[0]
    fig = plot.plot_depth(rows, title="t")
    for axv in fig.axes[2:]:
        groups: dict = {}
        for p in [p for p in axv.patches if (p.get_gid() or "").startswith("verdicts-")]:
            groups.setdefault(p.get_gid(), []).append(p)
            p.remove()
        for rects in groups.values():
            r0 = rects[0]
            bars = axv.bar([r.get_x() + r.get_width() / 2 for r in rects], [r.get_height() for r in rects],
                           width=0.36, bottom=[r.get_y() for r in rects], color=r0.get_facecolor(),
                           hatch=r0.get_hatch(), edgecolor="white", lw=0.5, label=r0.get_label())
            assert len(bars) == len(rects)
    b = plot.save_figure(fig, tmp_path / "bar", formats=["png"])[0]
    assert np.array_equal(_pixels(a), _pixels(b))


@pytest.mark.parametrize("dpi", [plot._DPI, 110])
def test_depth_layout_keeps_titles_labels_and_legends_inside(dpi):
    rng = np.random.default_rng(3)
    rows = []
    for d in range(12):
        for g, k in (("attention", 4), ("mlp", 3)):
            for kind in ("in", "out"):
                al = (3.0 + 20 * rng.random(k)).tolist()
                rows.append(dict(depth=d, group=g, degree_kind=kind, alpha_median=float(np.median(al)), alphas=al,
                                 sigmas=(0.1 + rng.random(k)).tolist(),
                                 at_bound=[d == 3 and g == "mlp"] + [False] * (k - 1),
                                 verdicts={"consistent with random pruning": k - 1, "power law untested": 1}))
    fig = plot.plot_depth(rows, title="all-MiniLM-L6-v2 10 %: α and verdicts against block depth")
    assert fig.get_layout_engine() is None
    texts = [fig._suptitle] + [a.title for a in fig.axes] + [a.yaxis.label for a in fig.axes] + \
            [a.xaxis.label for a in fig.axes] + [t for a in fig.axes for t in a.get_yticklabels() + a.get_xticklabels()]
    legends = [a.get_legend() for a in fig.axes if a.get_legend()]
    boxes, frame = _drawn_extents(fig, texts + legends, dpi)
    for t, box in zip(texts + legends, boxes):
        if hasattr(t, "get_text") and not (t.get_text() and t.get_visible()):
            continue
        _inside(box, frame, getattr(t, "get_text", lambda: "a legend")())
    axes_boxes = [a.get_window_extent() for a in fig.axes]
    for box in boxes[len(texts):]:  # the legends
        assert all(box.x0 > ab.x1 for ab in axes_boxes)  # right of every plot
    top, bottom = fig.axes[0].get_window_extent(), fig.axes[2].get_window_extent()
    # the right column's y tick labels stay clear of the left column
    right_labels = [b for t, b in zip(texts, boxes) if t in fig.axes[1].get_yticklabels() and t.get_text()]
    assert right_labels and min(b.x0 for b in right_labels) > top.x1
    assert boxes[0].y0 > max(b.y1 for b in boxes[1:3])  # the figure title above the column titles
    assert bottom.y1 < top.y0


def test_ccdf_power_law_not_drawn_over_few_distinct_degrees():
    deg = np.array([1, 2, 2, 3, 4, 5, 6, 6, 7, 7, 8] * 3)
    fit = {"alpha": 7.0, "sigma": 1.7, "xmin": 6, "xmax": None, "n": deg.size, "n_tail": 15,
           "p_value": 0.2, "discrete": True}
    fig = plot.plot_ccdf(deg, fit=fit, verdict="inconclusive: tail of only 15 units")
    gids = lines_by_gid(fig)
    assert "ccdf-power-law" not in gids and "xmin-line" in gids  # 3 distinct tail degrees (6, 7, 8) < 5
    notes = [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "ccdf-note"]
    assert len(notes) == 1 and "only 3 distinct" in notes[0].replace("\n", " ")
    assert "verdict: inconclusive: tail of only 15 units" in fig.axes[0].get_title()
    # with the threshold at 3 the line is drawn, over exactly the tail's degrees
    pl = lines_by_gid(plot.plot_ccdf(deg, fit=fit, min_distinct=3))["ccdf-power-law"]
    assert list(pl.get_xdata()) == [6.0, 7.0, 8.0]


@pytest.mark.parametrize("degrees,needle", [
    ([0, 0, 6], "a single alive unit (degree 6)"),
    ([4, 4, 4, 0], "all 3 alive units have degree 4"),
    ([0, 0], "no alive units"),
])
def test_ccdf_single_point_or_empty_says_so(degrees, needle):
    fig = plot.plot_ccdf(degrees, verdict="too few units: 1 alive (need 20)")
    notes = [t.get_text().replace("\n", " ") for t in fig.axes[0].texts if t.get_gid() == "ccdf-note"]
    assert len(notes) == 1 and needle in notes[0]


def test_write_figures_png_by_default_same_files_in_parallel(tmp_path):
    import torch

    from prunegraph.analysis import analyze
    from prunegraph.graph import LayerGraph, NetworkGraph

    g = torch.Generator().manual_seed(0)
    layers = tuple(LayerGraph.from_matrix(f"fc{i}", (torch.rand(60, 60, generator=g) < 0.2).float(),
                                          in_space=f"s{i}", out_space=f"s{i + 1}") for i in range(2))
    net = NetworkGraph(layers, {"s0": 60, "s1": 60, "s2": 60}, "demo")
    res = analyze(net, degree_kinds=["in"], bootstrap=0)
    serial = plot.write_figures([res], tmp_path / "a")
    parallel = plot.write_figures([res], tmp_path / "b", jobs=2)
    assert [p.suffix for p in serial["demo"]] == [".png"] * 3
    assert [p.name for p in serial["demo"]] == [p.name for p in parallel["demo"]]
    for a, b in zip(serial["demo"], parallel["demo"]):
        assert a.read_bytes() == b.read_bytes()
    both = plot.write_figures([res], tmp_path / "c", formats=["png", "svg"])
    assert sorted(p.suffix for p in both["demo"]) == [".png"] * 3 + [".svg"] * 3
    caps = plot.figure_captions([res], tmp_path / "a")
    assert caps[tmp_path / "a" / "demo" / "ccdf_fc0_in"].startswith("Layer fc0, in-degree: share of its")
    with pytest.raises(UsageError, match="gif"):
        plot.write_figures([res], tmp_path / "d", formats=["gif"])


@pytest.mark.parametrize("beta", [0.0, 0.4])
def test_stretched_exponential_curve_in_the_fits_gamma_form(beta):
    """The fit reports the stretched exponential as (gamma = lambda*beta, beta) with lambda = inf at
    its power-law boundary beta = 0; the curve must still be drawn there (it is x^-gamma)."""
    x = np.array([2.0, 4.0, 8.0])
    gamma = 1.5
    got = plot.alternative_tail_ccdf(x, "stretched_exponential",
                                     {"gamma": gamma, "beta": beta,
                                      "lambda": math.inf if beta == 0 else gamma / beta},
                                     xmin=2.0, discrete=False)
    if beta == 0:
        want = (x / 2.0) ** -gamma
    else:
        lam = gamma / beta
        want = np.exp(-lam * (x ** beta - 2.0 ** beta))
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_captions_and_titles_carry_the_verdict_wording_not_its_code():
    """A new user saw 'verdict: plausible_narrow' on a figure: the wording table, not the enum value."""
    import prunegraph
    from prunegraph.analysis import analyze
    from prunegraph.checkpoint import reference_checkpoints

    ref = next(p for p in reference_checkpoints() if p.name == "lenet300_fmnist_imp.safetensors")
    res = analyze(prunegraph.load(str(ref)), bootstrap=0, null=False)
    for r in res.results:
        caption = plot._ccdf_caption(r)
        said = caption.rsplit(" Verdict: ", 1)[1]
        assert said.rstrip(".") == r.observed.verdict_text
        assert "_" not in said  # no machine code such as plausible_narrow


@pytest.mark.parametrize("jobs", [1, 2])
def test_figures_started_per_sequence_equal_figures_of_the_finished_model(tmp_path, jobs):
    """CCDFs started while the model is still being fitted (``on_result`` →
    ``FigureWriter.submit_sequence``) are the same files, in the same order, byte for byte, as
    the figures drawn from the finished analysis."""
    import torch

    from prunegraph.analysis import analyze
    from prunegraph.graph import LayerGraph, NetworkGraph

    g = torch.Generator().manual_seed(3)
    layers = (LayerGraph.from_matrix("fc1", (torch.rand(60, 80, generator=g) < 0.15).float(),
                                     in_space="input", out_space="h"),
              LayerGraph.from_matrix("fc2", (torch.rand(30, 60, generator=g) < 0.2).float(),
                                     in_space="h", out_space="output"))
    net = NetworkGraph(layers, {"input": 80, "h": 60, "output": 30}, "demo")
    with plot.FigureWriter(tmp_path / "streamed", jobs=jobs) as fw:
        seen = []

        def on_result(source, r):
            seen.append((source, r.layer, r.degree_kind))
            fw.submit_sequence(source, r)

        res = analyze(net, bootstrap=0, on_result=on_result)
        fw.submit(res)
        streamed = fw.result()["demo"]
    assert seen == [("demo", r.layer, r.degree_kind) for r in res.results] and len(seen) == 4
    whole = plot.write_figures([res], tmp_path / "whole", jobs=jobs)["demo"]
    assert [p.relative_to(tmp_path / "streamed") for p in streamed] == \
        [p.relative_to(tmp_path / "whole") for p in whole]
    assert [p.name for p in whole][-1] == "alpha_summary.png" and len(whole) == 5
    for a, b in zip(streamed, whole):
        assert a.read_bytes() == b.read_bytes(), a.name


# ----------------------------------------------------------------------------- cheaper drawing, same pixels
def _pixels(path):
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGBA"))


def _saved_alone(draw, kwargs, stem):
    """``draw(**kwargs)`` as a new figure on its own canvas, saved by save_figure with the
    settings render_job draws with (plot.RENDER_RC): the reference a reused Axes must match."""
    import matplotlib

    with matplotlib.rc_context(plot.RENDER_RC):
        return plot.save_figure(draw(**kwargs), stem, formats=["png"])[0]


def _ccdf_kwargs(seed, scale):
    rng = np.random.default_rng(seed)
    deg = np.concatenate([np.zeros(5), np.round(scale * (rng.pareto(1.5, 400) + 1))])
    fit = {"alpha": 2.5, "sigma": 0.1, "xmin": float(np.quantile(deg[deg > 0], 0.5)), "xmax": None,
           "n": int((deg > 0).sum()), "n_tail": int((deg >= np.quantile(deg[deg > 0], 0.5)).sum()),
           "p_value": 0.3, "discrete": True}
    return dict(degrees=deg, fit=fit, null_degrees=rng.binomial(40, 0.2, 300), verdict="power law",
                title=f"model · layer fc{seed} · in-degree")


@pytest.mark.parametrize("seed,scale", [(0, 1.0), (1, 0.05), (2, 30.0)])
def test_in_view_minor_ticks_draw_the_same_pixels(tmp_path, seed, scale):
    # the wrapped minor locator drops only ticks outside the view: same figure as matplotlib's own
    fig = plot.plot_ccdf(**_ccdf_kwargs(seed, scale))
    a = plot.save_figure(fig, tmp_path / "wrapped", formats=["png"])[0]
    fig = plot.plot_ccdf(**_ccdf_kwargs(seed, scale))
    for axis in (fig.axes[0].xaxis, fig.axes[0].yaxis):
        axis.set_minor_locator(axis.get_minor_locator().wrapped)
    b = plot.save_figure(fig, tmp_path / "plain", formats=["png"])[0]
    assert np.array_equal(_pixels(a), _pixels(b))


def test_render_job_shared_renderer_same_pixels_as_fresh_figures(tmp_path):
    # figures of two sizes interleaved through render_job's shared renderers match each figure
    # drawn alone on its own new canvas (no state carried from one figure to the next)
    rows = [{"layer": f"fc{i}", "kind": "in", "alpha": 2.2 + 0.3 * i, "sigma": 0.1, "null_alpha": 4.0,
             "null_sigma": 0.5, "verdict": "power law"} for i in range(3)]
    jobs = [plot.FigureJob(tmp_path / "job" / f"ccdf{s}", "", "ccdf", _ccdf_kwargs(s, 1.0 + 3 * s)) for s in range(2)]
    jobs.insert(1, plot.FigureJob(tmp_path / "job" / "alpha", "", "alpha", dict(rows=rows, title="t")))
    jobs.append(plot.FigureJob(tmp_path / "job" / "ccdf0_again", "", "ccdf", _ccdf_kwargs(0, 1.0)))
    (tmp_path / "job").mkdir()
    for j in jobs:
        got = plot.render_job(j)[0]
        draw = plot.plot_ccdf if j.figure_type == "ccdf" else plot.plot_alpha_summary
        want = _saved_alone(draw, j.kwargs, tmp_path / f"alone_{j.stem.name}")
        assert np.array_equal(_pixels(got), _pixels(want)), j.stem.name
    assert np.array_equal(_pixels(tmp_path / "job" / "ccdf0.png"), _pixels(tmp_path / "job" / "ccdf0_again.png"))


def test_title_placed_where_matplotlib_places_it(tmp_path):
    # the fixed y = 1.0 is what the automatic title placement gives for these figures
    fig = plot.plot_ccdf(**_ccdf_kwargs(3, 2.0))
    a = plot.save_figure(fig, tmp_path / "fixed", formats=["png"])[0]
    fig = plot.plot_ccdf(**_ccdf_kwargs(3, 2.0))
    fig.axes[0]._autotitlepos = True  # matplotlib's automatic placement, as before
    b = plot.save_figure(fig, tmp_path / "auto", formats=["png"])[0]
    assert np.array_equal(_pixels(a), _pixels(b))


# ----------------------------------------------------------------------------- one reused Axes, worker processes
def _varied_ccdf_jobs(folder):
    """CCDF jobs that exercise every branch a reused Axes must forget: curves, notes, a narrow
    x range (plain tick labels), a truncated fit, continuous data, one point, no alive units,
    no null, no title."""
    rng = np.random.default_rng(7)
    deg = np.round(rng.pareto(1.3, 500) + 1)
    fit = {"alpha": 2.3, "sigma": 0.1, "xmin": 3.0, "xmax": None, "n": 500, "n_tail": int((deg >= 3).sum()),
           "p_value": 0.04, "discrete": True}
    alt = {"alternative": "lognormal", "R": -1.5, "p_value": 0.02, "parameters": {"mu": 0.3, "sigma": 1.2}}
    narrow = rng.integers(5, 15, 300).astype(float)
    cont = rng.pareto(2.0, 400) + 1.0
    cases = [
        dict(degrees=deg, fit=fit, alternative=alt, null_degrees=rng.binomial(30, 0.2, 500), verdict="v", title="t"),
        dict(degrees=[0, 0, 6], verdict="too few units"),
        dict(degrees=narrow, fit=dict(fit, xmin=9.0, n=300, n_tail=int((narrow >= 9).sum())), title="narrow"),
        dict(degrees=deg, fit=dict(fit, xmax=float(deg.max()) / 2), null_degrees=rng.binomial(30, 0.2, 500)),
        dict(degrees=[0, 0]),
        dict(degrees=cont, fit=dict(fit, xmin=1.5, discrete=False, n=400, n_tail=int((cont >= 1.5).sum())),
             alternative=dict(alt, alternative="exponential", parameters={"lambda": 0.5})),
        dict(degrees=[4, 4, 4, 0], title="one point"),
        _ccdf_kwargs(0, 1.0),
    ]
    return [plot.FigureJob(folder / f"case{i}", "", "ccdf", kw) for i, kw in enumerate(cases)]


def test_reused_ccdf_axes_draw_what_a_new_figure_draws(tmp_path):
    # the worker's one CCDF Axes, emptied between figures, gives each figure the pixels of a new
    # Figure, whatever came before it (every case after every other, in two orders)
    (tmp_path / "job").mkdir()
    jobs = _varied_ccdf_jobs(tmp_path / "job")
    want = {j.stem.name: _pixels(_saved_alone(plot.plot_ccdf, j.kwargs, tmp_path / f"new_{j.stem.name}"))
            for j in jobs}
    for order in (jobs, jobs[::-1]):
        for j in order:
            got = plot.render_job(j)[0]
            assert np.array_equal(_pixels(got), want[j.stem.name]), j.stem.name


def test_palette_is_seaborns_colorblind():
    sns = pytest.importorskip("seaborn")
    for n in (1, 8, 10, 13):
        assert plot._palette(n) == list(sns.color_palette("colorblind", n))


def _demo_result(seed=3):
    import torch

    from prunegraph.analysis import analyze
    from prunegraph.graph import LayerGraph, NetworkGraph

    g = torch.Generator().manual_seed(seed)
    lg = LayerGraph.from_matrix("fc", (torch.rand(40, 60, generator=g) < 0.2).float(), out_space="output")
    return analyze(NetworkGraph((lg,), {"input": 60, "output": 40}, "demo"), degree_kinds=["in"], null=False,
                   bootstrap=0)


def test_figure_worker_error_is_raised_by_result(tmp_path):
    bad = plot.FigureJob(tmp_path / "bad", "", "ccdf", dict(degrees=[1.0, -2.0]))
    with plot.FigureWriter(tmp_path, jobs=2) as fw:
        fw._pending.append(("bad", [fw._start(bad)]))
        with pytest.raises(InputError, match="negative"):
            fw.result()


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="needs fork")
def test_dead_figure_worker_is_an_error_not_a_hang(tmp_path, monkeypatch):
    import os

    monkeypatch.setattr(plot, "render_job", lambda job, formats: os._exit(3))  # inherited by the forked workers
    with pytest.raises(RuntimeError, match="died .exit code 3"):
        with plot.FigureWriter(tmp_path, jobs=2) as fw:
            fw.submit(_demo_result())
            fw.result()


def test_figure_writer_without_result_still_writes_every_file(tmp_path):
    res = _demo_result()
    with plot.FigureWriter(tmp_path / "a", jobs=2) as fw:
        fw.submit(res)
    names = sorted(p.name for p in (tmp_path / "a" / "demo").iterdir())
    assert names == ["alpha_summary.png", "ccdf_fc_in.png"]


# ----------------------------------------------------------------------------- PNG encoding
def _savefig_png(fig, path):
    fig.savefig(path, format="png", dpi=plot._DPI)  # matplotlib's own PNG writer (Pillow)
    return path


@pytest.mark.parametrize("kind", ["ccdf", "alpha", "depth"])
def test_png_writer_same_pixels_as_savefig(tmp_path, kind):
    # save_figure's own PNG encoder writes the pixels matplotlib's savefig writes, for the
    # figures of prunegraph fit (fixed margins and constrained layout), at the same dpi
    rows = [{"layer": f"fc{i}", "kind": "in", "alpha": 2.2 + 0.3 * i, "sigma": 0.1, "null_alpha": 4.0,
             "null_sigma": 0.5, "verdict": "power law"} for i in range(3)]
    blocks = [dict(depth=d, group=g, degree_kind="in", alpha_median=2.5 + 0.1 * d, alphas=[2.4 + 0.1 * d, 2.6],
                   sigmas=[0.1, 0.2], verdicts={"rejected": 1, "power law": 1})
              for d in range(3) for g in ("attention", "mlp")]
    make = {"ccdf": lambda: plot.plot_ccdf(**_ccdf_kwargs(4, 3.0)),
            "alpha": lambda: plot.plot_alpha_summary(rows, title="t"),
            "depth": lambda: plot.plot_depth(blocks, title="t")}[kind]
    ours = plot.save_figure(make(), tmp_path / "ours", formats=["png"])[0]
    theirs = _savefig_png(make(), tmp_path / "theirs.png")
    from PIL import Image

    with Image.open(ours) as a, Image.open(theirs) as b:
        assert a.size == b.size and a.mode == "RGB"  # opaque: alpha dropped
        assert a.info["dpi"] == pytest.approx(b.info["dpi"], abs=0.01)
    assert np.array_equal(_pixels(ours), _pixels(theirs))


def test_png_writer_keeps_a_figure_on_another_canvas_and_its_dpi(tmp_path):
    # a figure on a non-Agg canvas (e.g. an SVG backend's) is written by savefig; the caller's
    # figure keeps its dpi after either path
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    fig = plot.plot_ccdf([1, 2, 2, 3, 5, 8])
    dpi = fig.dpi
    FigureCanvasSVG(fig)
    assert plot._agg_png(fig, 150) is None
    p = plot._write_files(fig, tmp_path / "svgcanvas", ["png"], 150)[0]
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and fig.dpi == dpi
    fig = plot.plot_ccdf([1, 2, 2, 3, 5, 8])
    dpi = fig.dpi
    plot._write_files(fig, tmp_path / "agg", ["png"], 150)
    assert fig.dpi == dpi


def test_encode_png_round_trips_rgba_and_rejects_bad_arrays():
    import io

    from PIL import Image

    from prunegraph.output._png import encode_png

    rng = np.random.default_rng(0)
    px = rng.integers(0, 256, (7, 5, 4), dtype=np.uint8)  # translucent pixels: kept as RGBA
    with Image.open(io.BytesIO(encode_png(px, dpi=72, text={"Software": "test"}))) as im:
        assert im.mode == "RGBA" and im.info["Software"] == "test"
        assert np.array_equal(np.asarray(im), px)
    px[..., 3] = 255
    with Image.open(io.BytesIO(encode_png(px, level=9))) as im:
        assert im.mode == "RGB" and np.array_equal(np.asarray(im), px[..., :3])
    for bad in (np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4, 4), np.float32), np.zeros((0, 4, 4), np.uint8)):
        with pytest.raises(ValueError, match="uint8 array"):
            encode_png(bad)


# ----------------------------------------------------------------------------- text renderer
def _text_figure():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3), dpi=150)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_title("α ≥ 2 · σ = 0.1 · κ(k) — ünïcödé", fontsize=9)
    ax.text(0.1, 0.8, "plain 12 pt", fontsize=12)
    ax.text(0.1, 0.6, "rotated 30°", rotation=30, fontsize=8)
    ax.text(0.6, 0.2, "vertical", rotation=90, fontsize=10)
    ax.text(0.1, 0.4, "no antialiasing", antialiased=False)
    ax.text(0.1, 0.2, r"mathtext $10^{3}$ and $\alpha_i$")
    ax.text(0.5, 0.5, "fallback 中", fontsize=7)
    ax.set_xlabel("degree k")
    ax.set_ylabel("P(K ≥ k)")
    return fig


@pytest.mark.skipif(plot._renderer_class().__name__ == "RendererAgg",
                    reason="this matplotlib draws with its own renderer (no text layout cache)")
def test_text_layout_renderer_draws_matplotlibs_pixels(tmp_path):
    # the renderer render_job draws with keeps each string's layout and sets the glyph matrix
    # once per string: the same pixels as matplotlib's renderer for rotated, unantialiased,
    # fallback-font and math text, and again when every layout comes from its cache
    import matplotlib
    from matplotlib.backends.backend_agg import RendererAgg

    def pixels(renderer_cls):
        fig = _text_figure()
        w, h = fig.canvas.get_width_height(physical=True)
        renderer = renderer_cls(w, h, fig.dpi)
        fig.canvas.get_renderer = lambda: renderer
        fig.canvas.renderer = renderer
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a glyph missing from the fonts
            fig.draw(renderer)
        return np.asarray(renderer.buffer_rgba()).copy()

    ours = plot._renderer_class()
    for hinting in ("default", "no_hinting"):
        with matplotlib.rc_context({"text.hinting": hinting}):
            want = pixels(RendererAgg)
            plot._LAYOUTS.clear()
            assert np.array_equal(pixels(ours), want), hinting  # layouts computed
            assert plot._LAYOUTS
            assert np.array_equal(pixels(ours), want), hinting  # layouts from the cache


def test_unknown_matplotlib_text_path_draws_with_matplotlibs_renderer(monkeypatch):
    from matplotlib.backends.backend_agg import RendererAgg

    monkeypatch.setattr(plot, "_TEXT_PATH_VERSIONS", ())
    assert plot._renderer_class() is RendererAgg


def test_text_layouts_dropped_when_the_font_rcparams_change(tmp_path):
    # a family name that now means other font files must not reuse the old files' glyphs
    import matplotlib

    job = plot.FigureJob(tmp_path / "ccdf", "", "ccdf", _ccdf_kwargs(5, 2.0))
    plot.render_job(job)  # layouts cached with the default sans-serif font
    with matplotlib.rc_context({"font.sans-serif": ["DejaVu Serif"]}):
        got = _pixels(plot.render_job(job)[0])
        want = _pixels(_saved_alone(plot.plot_ccdf, job.kwargs, tmp_path / "serif"))
    assert np.array_equal(got, want)
    assert not np.array_equal(got, _pixels(_saved_alone(plot.plot_ccdf, job.kwargs, tmp_path / "sans")))


@pytest.mark.parametrize("rel, name", [
    ("runs/lenet.pt", "lenet"),                                           # any other file: its stem
    ("hub/my-bert/model.safetensors", "my-bert"),                         # a generic HF name: its folder
    ("hub/my-bert/pytorch_model.bin", "my-bert"),
    ("hub/llama-3.2-1b/model-00001-of-00003.safetensors", "llama-3.2-1b"),
    ("hub/llama-3.2-1b/model.safetensors.index.json", "llama-3.2-1b"),
    ("hub/llama-3.2-1b/pytorch_model.bin.index.json", "llama-3.2-1b"),
    ("hub/my-bert/my_model.safetensors", "my_model"),                     # not a generic name
    ("models--sentence-transformers--all-MiniLM-L6-v2/snapshots/" + "c" * 40 + "/model.safetensors",
     "all-MiniLM-L6-v2"),                                                 # the Hugging Face cache
])
def test_figure_folder_names_a_checkpoint(rel, name, tmp_path):
    src = str(tmp_path / rel)
    assert plot.figure_folders([src]) == {src: name}


def test_figure_folder_of_a_folder_is_its_whole_name(tmp_path):
    (tmp_path / "Llama-3.2-1B").mkdir()
    src = str(tmp_path / "Llama-3.2-1B")
    assert plot.figure_folders([src, "connectome:cook2019-herm:both"]) == {
        src: "Llama-3.2-1B", "connectome:cook2019-herm:both": "connectome_cook2019-herm_both"}


def test_figure_folders_distinct_and_in_command_line_order(tmp_path):
    a, b, c = (str(tmp_path / r / "ckpt" / "model.safetensors") for r in ("a", "b", "c"))
    assert plot.figure_folders([b, a, str(tmp_path / "x.pt")]) == {b: "b_ckpt", a: "a_ckpt",
                                                                   str(tmp_path / "x.pt"): "x"}
    same = [str(tmp_path / "a" / "lenet.pt"), str(tmp_path / "a" / "lenet.pth")]  # one folder, one stem
    assert plot.figure_folders(same) == {same[0]: "a_lenet", same[1]: "a_lenet-2"}
    assert plot.figure_folders([c], taken=["ckpt"]) == {c: "ckpt-2"}  # never a name already in use
    names = plot.figure_folders([a, b, c, a])
    assert len(names) == 3 and len(set(names.values())) == 3


def test_figure_writer_names_a_source_once_and_never_reuses_a_folder(tmp_path):
    fw = plot.FigureWriter(tmp_path)
    a, b = str(tmp_path / "a" / "ckpt" / "model.safetensors"), str(tmp_path / "b" / "ckpt" / "model.safetensors")
    assert fw.name_sources([a]) == {a: "ckpt"}
    assert fw.name_sources([b, a]) == {b: "ckpt-2", a: "ckpt"}  # a keeps its folder; b gets a new one
    fw2 = plot.FigureWriter(tmp_path)
    assert fw2.name_sources([a, b]) == {a: "a_ckpt", b: "b_ckpt"}  # named together: by their parents


# ----------------------------------------------------------------------------- CCDF layout: ranges, labels, titles
def _drawn(fig, dpi=plot._DPI):
    """``fig`` drawn at ``dpi`` (the saved resolution) with render_job's settings; its renderer."""
    import matplotlib

    fig.set_dpi(dpi)
    with matplotlib.rc_context(plot.RENDER_RC):
        fig.canvas.draw()
    return fig.canvas.get_renderer()


def _inside_figure(fig, renderer, artists):
    frame = fig.bbox
    for a in artists:
        b = a.get_window_extent(renderer)
        assert frame.x0 <= b.x0 and b.x1 <= frame.x1 and frame.y0 <= b.y0 and b.y1 <= frame.y1, \
            (a.get_text(), b, frame)


def _shown_tick_labels(axis):
    """The tick labels the axis draws: non-empty, at a location in view (major and minor)."""
    lo, hi = sorted(axis.get_view_interval())
    ticks = axis.get_major_ticks() + axis.get_minor_ticks()
    return [t.label1 for t in ticks if t.label1.get_visible() and t.label1.get_text()
            and lo * (1 - 1e-9) <= t.get_loc() <= hi * (1 + 1e-9)]


def _steep_fit_over_an_outlier(n):
    """``n`` units with degrees near 100 and one outlier at 700, a power law of α = 8.7 fitted from
    xmin = 144 (as MiniLM's encoder.layer.2.output.dense in-degrees): the fitted curve falls to
    ~1e-6 at the outlier, far below the smallest share 1/n."""
    rng = np.random.default_rng(2)
    deg = np.r_[np.round(rng.lognormal(np.log(90), 0.35, n - 1)).clip(1), 700.0]
    tail = int((deg >= 144).sum())
    fit = {"alpha": 8.69, "sigma": 1.09, "xmin": 144.0, "xmax": None, "n": n, "n_tail": tail,
           "p_value": None, "discrete": True}
    alt = {"alternative": "truncated_power_law", "R": -0.001, "p_value": 0.99,
           "parameters": {"alpha": 8.6, "Lambda": 1e-5}}
    return dict(degrees=deg, fit=fit, alternative=alt, null_degrees=rng.binomial(1536, 0.06, n),
                verdict="power law not rejected, untested (no GoF test)",
                title="model · layer encoder.layer.2.output.dense · in-degree")


@pytest.mark.parametrize("n", [384, 1536, 30522])
@pytest.mark.parametrize("dpi", [plot._DPI, 100])
def test_ccdf_y_range_is_the_datas_and_every_label_inside(n, dpi):
    kw = _steep_fit_over_an_outlier(n)
    fig = plot.plot_ccdf(**kw)
    ax = fig.axes[0]
    lines = lines_by_gid(fig)
    lowest = min(literal_ccdf(kw["degrees"])[1].min(), literal_ccdf(kw["null_degrees"])[1].min())
    bottom, top = ax.get_ylim()
    # the y range is the data's: a little (÷3) below the smallest share plotted, up to 1.25
    assert bottom == pytest.approx(lowest / 3) and top == 1.25
    # the model curves are drawn whole and leave the plot at its bottom (the Axes clip them)
    assert lines["ccdf-power-law"].get_ydata().min() < bottom
    assert lines["ccdf-power-law"].get_clip_on() and lines["ccdf-alternative"].get_clip_on()
    renderer = _drawn(fig, dpi)
    labels = _shown_tick_labels(ax.yaxis)
    assert len(labels) >= 2
    assert all(len(t.get_text()) <= 5 for t in labels)  # "0.001", "1e-4": never "0.0001"
    _inside_figure(fig, renderer, [ax.yaxis.label, ax.xaxis.label, *labels, *_shown_tick_labels(ax.xaxis)])


def _long_verdicts():
    """The longest verdict texts prunegraph.fit.classify writes (the default run's longest is the
    first kind), each built through the classifier."""
    from prunegraph.analysis import dense_reason
    from prunegraph.fit import fit_power_law
    from prunegraph.fit.verdict import RandomPruningTest, classify, verdict_text

    zipf = np.random.default_rng(0).zipf(2.5, 400)
    fit = fit_power_law(zipf, bootstrap=0)
    bound = fit_power_law(np.r_[np.full(300, 100), np.full(8, 101), np.full(2, 102), [103, 104]], xmin=100)
    assert bound.hit_bound
    try:
        fit_power_law(np.array([1.0, np.nan]))
    except InputError as exc:
        error = str(exc)
    texts = [
        classify(fit, random_test=RandomPruningTest(0.0195, 0.5, 0.039, tail_R=-0.3, tail_p=0.34)),
        classify(bound),
        classify(None, n_alive=300, regular=dense_reason(0.66)),
        classify(None, n_alive=300, regular="N:M semi-structured (2:4)"),
        classify(None, n_alive=300, error=error),
    ]
    return [verdict_text(d) for d in texts]


@pytest.mark.parametrize("title", ["lenet300_fmnist_random · layer fc2 · in-degree",
                                   "llama_3b_streamed · layer model.layers.31.self_attn.q_proj · in-degree"])
@pytest.mark.parametrize("dpi", [plot._DPI, 100])
def test_ccdf_title_wraps_the_longest_verdicts_inside_the_figure(title, dpi):
    verdicts = _long_verdicts()
    assert max(map(len, verdicts)) > 100  # longer than one line of the figure holds
    assert any(v.startswith("inconclusive: not distinguishable") and "tail LR p=0.34)" in v for v in verdicts)
    kw = _ccdf_kwargs(0, 1.0)
    for verdict in verdicts + [" ".join(verdicts)]:  # and one too long for three lines
        fig = plot.plot_ccdf(**dict(kw, title=title, verdict=verdict))
        ax = fig.axes[0]
        renderer = _drawn(fig, dpi)
        _inside_figure(fig, renderer, [ax.title])
        head = ax.get_title()
        assert head.count("\n") <= 2 and head.startswith(title)
        assert ax.title.get_window_extent(renderer).y0 >= ax.bbox.y1  # above the Axes
        if len(verdict) < 200:  # the whole verdict is written, only broken into lines
            assert " ".join(head.split()) == " ".join(f"{title} verdict: {verdict}".split())
        else:  # cut where the room ends, and said so
            assert head.endswith("…") and head.count("\n") == 2


def _degrees_over(lo, hi, *, discrete=True):
    x = np.geomspace(lo, hi, 300)
    return np.round(x) if discrete else x


@pytest.mark.parametrize("lo,hi", [(1, 2), (1, 5), (1, 9), (8, 30), (35, 390), (80, 110), (15, 420),
                                   (300, 3000), (330, 6700), (1, 1e4)])
@pytest.mark.parametrize("discrete", [True, False])
def test_ccdf_x_tick_labels_are_plain_apart_and_at_least_two(lo, hi, discrete):
    deg = _degrees_over(lo, hi, discrete=discrete)
    fig = plot.plot_ccdf(np.r_[0.0, deg])
    ax = fig.axes[0]
    renderer = _drawn(fig)
    labels = _shown_tick_labels(ax.xaxis)
    assert len(labels) >= 2, [t.get_text() for t in labels]
    boxes = sorted((b.x0, b.x1, t.get_text()) for t in labels for b in [t.get_window_extent(renderer)])
    for (_, a1, sa), (b0, _, sb) in zip(boxes, boxes[1:]):
        assert a1 + 2 <= b0, f"{sa!r} and {sb!r} overlap or touch"
    values = [float(t.get_text()) for t in labels]  # plain numbers, no mathtext
    if discrete:  # integer degrees: no fraction, nothing below the smallest degree ("0.9" beside "1")
        assert all(v == round(v) and v >= deg.min() for v in values), values
    _inside_figure(fig, renderer, labels)


def test_ccdf_x_ticks_on_a_reused_axes_draw_what_a_new_figure_draws(tmp_path):
    # the tick rule (located from the view) leaves nothing behind on render_job's reused Axes
    (tmp_path / "job").mkdir()
    cases = [dict(degrees=_degrees_over(lo, hi)) for lo, hi in [(1, 2), (300, 3000), (1, 9), (15, 420)]]
    cases.append(_steep_fit_over_an_outlier(384))
    jobs = [plot.FigureJob(tmp_path / "job" / f"x{i}", "", "ccdf", kw) for i, kw in enumerate(cases)]
    for j in jobs + jobs[::-1]:
        got = plot.render_job(j)[0]
        want = _saved_alone(plot.plot_ccdf, j.kwargs, tmp_path / f"new_{j.stem.name}")
        assert np.array_equal(_pixels(got), _pixels(want)), j.stem.name
