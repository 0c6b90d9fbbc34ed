"""Review follow-ups on what the fit outputs say: an exponent that stopped at the fit's bound is
never shown or plotted as a measured one; a dense layer's verdict says it is dense and it gets no
heavier-than-null q; integer ticks on the depth figure's verdict counts and a legend label on the
alpha summary's "no fit" line; weight density of a grouped-query-attention o_proj; the block
wiring note names a gate only where the architecture has one; an unknown connectome name is one
line before any work."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math

import numpy as np
import pytest
import torch

import prunegraph
from prunegraph import cli
from prunegraph.analysis import ModelAnalysis, analyze, benjamini_hochberg, block_summary
from prunegraph.fit import Verdict, fit_power_law
from prunegraph.output.plot import figure_jobs, plot_alpha_summary, plot_depth
from prunegraph.output.report import render_report
from prunegraph.output.tables import format_blocks, format_table, to_csv

#: the --csv header before the bound flags were appended (docs/formats.md): must keep its order
CSV_HEADER_0_1 = ["model", "layer", "kind", "wiring", "nodes", "edges", "density", "weight_density", "dead",
                  "alpha", "sigma", "xmin", "xmax", "n_tail", "ks_d", "gof_p", "best_alt", "best_alt_p",
                  "binom_p", "span", "verdict", "verdict_code", "null_alpha", "null_sigma", "null_verdict",
                  "null_verdict_code", "heavier_p", "heavier_q", "var_ratio"]


def _bound_model() -> torch.nn.Module:
    """A Linear layer whose in-degrees are 100 (50 units), 101 (3) and 99 (10) of 200 inputs: the
    tail from xmin = 100 falls faster than any power law with α ≤ 100, so the fit stops at its
    bound (P(k ≥ 101 | k ≥ 100) = 3/53 would need α ≈ 290)."""
    deg = [100] * 50 + [101] * 3 + [99] * 10
    rng = np.random.default_rng(0)
    w = torch.zeros(len(deg), 200)
    for j, k in enumerate(deg):
        w[j, rng.choice(200, k, replace=False)] = torch.from_numpy(rng.normal(size=k)).float()
    m = torch.nn.Sequential(torch.nn.Linear(200, len(deg)))
    m[0].weight.data = w
    return m


@pytest.fixture(scope="module")
def bound_res() -> ModelAnalysis:
    return analyze(prunegraph.load(_bound_model()), degree_kinds=["in", "out"], bootstrap=0, alternatives=[])


def test_fit_row_carries_hit_bound_as_the_fit_does(bound_res):
    rows = {r.degree_kind: r for r in bound_res.fit_rows()}
    seq = {r.degree_kind: r for r in bound_res.results}
    for kind in ("in", "out"):  # the reference: the CSN fit of the same alive degrees
        ref = fit_power_law(seq[kind].degrees[seq[kind].degrees > 0])
        assert rows[kind].hit_bound is bool(ref.hit_bound)
        assert rows[kind].null_hit_bound is bool(seq[kind].null.fit.hit_bound)
    assert rows["in"].hit_bound is True and rows["in"].alpha == 100.0
    assert rows["out"].hit_bound is False


def test_table_csv_and_summary_show_the_bound(bound_res):
    table = format_table(bound_res)
    line_in = next(ln for ln in table.splitlines() if ln.startswith("0      in"))
    assert "≥100 (bound)" in line_in and "100.00" not in line_in
    assert "(bound)" not in next(ln for ln in table.splitlines() if ln.startswith("0      out"))
    text = to_csv([bound_res])
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == CSV_HEADER_0_1 + ["hit_bound", "null_hit_bound"]
    by_kind = {r["kind"]: r for r in reader}
    assert by_kind["in"]["hit_bound"] == "True" and by_kind["out"]["hit_bound"] == "False"
    assert "1 with α at the fit's bound (≥100, not a measured exponent)" in bound_res.summary()


def test_frame_carries_hit_bound(bound_res):
    df = bound_res.to_frame().set_index(["degree_kind", "side"])
    for r in bound_res.results:
        for side, sa in (("observed", r.observed), ("null", r.null)):
            assert bool(df.loc[(r.degree_kind, side), "hit_bound"]) is bool(sa.fit.hit_bound)
    assert bool(df.loc[("in", "observed"), "hit_bound"]) is True


def test_summary_unchanged_without_a_bound():
    g = torch.Generator().manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(60, 50))
    m[0].weight.data.mul_(torch.rand(50, 60, generator=g) < 0.2)
    res = analyze(prunegraph.load(m), degree_kinds=["in"], bootstrap=0, alternatives=[], null=False)
    assert res.fit_rows()[0].hit_bound is False
    assert "bound" not in res.summary()


def test_report_shows_the_bound(bound_res):
    html = render_report(title="t", models=[{"name": "m", "summary": bound_res.summary(),
                                             "table": bound_res.fit_rows()}])
    assert "≥100 (bound)" in html
    assert '<th title="hit_bound"' not in html and "<th>hit_bound</th>" not in html  # not an extra column


def test_alpha_summary_never_plots_the_bound_and_labels_both_markers(bound_res):
    rows = bound_res.rows() + [{"layer": "x", "kind": "in", "alpha": None, "null_alpha": 3.0, "null_sigma": 0.2,
                                "verdict_code": "too_few_units"}]
    fig = plot_alpha_summary(rows)
    ax = fig.axes[0]
    pruned = next(ln for ln in ax.get_lines() if ln.get_gid() == "alpha-pruned").get_ydata()
    assert math.isnan(pruned[0]) and pruned[1] == pytest.approx(rows[1]["alpha"])
    assert max(ax.get_ylim()) < 100  # the axis is not stretched to the bound either
    marks = [c for c in ax.collections if c.get_gid() == "alpha-at-bound"]
    assert len(marks) == 1 and len(marks[0].get_offsets()) == 1
    assert [t.get_text() for t in ax.texts if t.get_gid() == "at-bound"] == ["α ≥ 100 (bound)"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    # the legend names the triangle it draws, and does not call the marked value "not plotted"
    (bound_entry,) = [t for t in legend if "fit's bound" in t]
    assert "marked ▲ at the top" in bound_entry and "not plotted" not in bound_entry
    assert marks[0].get_paths() and marks[0].get_label() == bound_entry  # the entry is the triangles'
    assert any("no fit" in t for t in legend)  # the dashed line is labelled
    no_fit = [t for t in ax.texts if t.get_gid() == "no-fit"]
    assert len(no_fit) == 1  # the unfitted row only: the bound row is not "no fit"


def test_ccdf_caption_and_label_do_not_state_the_bound_as_alpha(bound_res):
    job = next(j for j in figure_jobs(bound_res, "/tmp/unused") if j.figure_type == "ccdf" and
               j.stem.name.endswith("_in"))
    assert "α = 100.00" not in job.caption and "bound" in job.caption
    from prunegraph.output.plot import plot_ccdf

    # its tail has 2 distinct degrees: the curve is not drawn, and the note says why
    text = " ".join(t.get_text() for t in plot_ccdf(**job.kwargs).axes[0].texts)
    assert "α at the fit's bound, ≥ 100" in text and "α = 100.00" not in text
    # a tail of enough distinct degrees at the bound: drawn, labelled as the bound
    deg = np.r_[np.full(300, 100), np.full(8, 101), np.full(2, 102), np.full(1, 103), np.full(1, 104)]
    fit = fit_power_law(deg, xmin=100)
    assert fit.hit_bound
    ax = plot_ccdf(deg, fit=fit.to_dict()).axes[0]
    label = next(ln for ln in ax.get_lines() if ln.get_gid() == "ccdf-power-law").get_label()
    assert "bound" in label and "α = 100.00" not in label


def _as_block(res: ModelAnalysis, names: dict[str, str]) -> ModelAnalysis:
    """``res`` with its sequences renamed as projections of transformer block 0."""
    out = tuple(dataclasses.replace(r, layer=names[r.degree_kind]) for r in res.results)
    return ModelAnalysis(res.source, out, res.settings)


def _bound_block(res: ModelAnalysis) -> ModelAnalysis:
    """The bound sequence (in) and the measured one (out) as two attention projections of block
    0, both read as in-degrees (one group)."""
    b = "model.layers.0.self_attn."
    named = _as_block(res, {"in": b + "q_proj", "out": b + "k_proj"})
    return ModelAnalysis(named.source, tuple(dataclasses.replace(r, degree_kind="in") for r in named.results),
                         named.settings)


def test_block_median_leaves_out_the_bound_and_depth_figure_marks_it(bound_res):
    named = _bound_block(bound_res)
    (blk,) = block_summary(named)
    measured = next(r.observed.fit.alpha for r in named.results if not r.observed.fit.hit_bound)
    assert blk.at_bound == (True, False)
    assert blk.alpha_median == pytest.approx(measured)  # not the median of (100, measured)
    assert "1 α at the fit's bound" in format_blocks(named)
    fig = plot_depth([blk.to_dict()])
    ax = fig.axes[0]
    ys = next(ln for ln in ax.get_lines() if ln.get_gid() == "alpha-attention-in").get_ydata()
    assert list(ys) == pytest.approx([measured])
    assert [c for c in ax.collections if c.get_gid() == "alpha-at-bound-attention-in"]
    assert max(ax.get_ylim()) < 100


# ----------------------------------------------------------------------------- σ at the bound
def test_powerlaw_fit_has_no_sigma_at_the_bound(bound_res):
    """At the bound α is no maximum of the likelihood: the Fisher information evaluated there
    (finite, the old σ) is no standard error, so σ is NaN; a measured α keeps its σ."""
    from prunegraph.fit import _core, fit_truncated_power_law

    seq = {r.degree_kind: r for r in bound_res.results}
    fit = seq["in"].observed.fit
    assert fit.hit_bound and math.isnan(fit.sigma)
    old = _core.discrete_sigma(fit.alpha, fit.xmin, fit.n_tail)  # what was reported before
    assert math.isfinite(old)
    free = seq["out"].observed.fit
    assert not free.hit_bound
    assert free.sigma == pytest.approx(_core.discrete_sigma(free.alpha, free.xmin, free.n_tail), rel=1e-12)
    # continuous (σ = (α − 1)/√n would be 99/√300) and truncated fits at their bounds
    x = (1 - np.random.default_rng(1).random(300)) ** (-1 / 99)
    cont = fit_power_law(x, xmin=1.0, discrete=False)
    assert cont.hit_bound and math.isnan(cont.sigma)
    trunc = fit_truncated_power_law(np.r_[np.ones(2000), [2, 2, 2, 3]], xmin=1, xmax=3, alpha_max=5.0)
    assert trunc.hit_bound and trunc.alpha == 5.0 and math.isnan(trunc.sigma)
    # a NaN σ leaves == and hash intact: a bound fit equals its own copy
    twin = dataclasses.replace(fit)
    assert twin == fit and hash(twin) == hash(fit) and math.isnan(twin.sigma)
    assert math.isnan(dataclasses.replace(free, hit_bound=True).sigma)


def test_sigma_at_the_bound_is_missing_in_every_output(bound_res):
    rows = {r.degree_kind: r for r in bound_res.fit_rows()}
    assert rows["in"].sigma is None and rows["in"].hit_bound
    assert rows["out"].sigma == bound_res.results[1].observed.fit.sigma > 0
    by_kind = {r["kind"]: r for r in csv.DictReader(io.StringIO(to_csv([bound_res])))}
    assert by_kind["in"]["sigma"] == "" and float(by_kind["out"]["sigma"]) > 0
    doc = json.loads(json.dumps(bound_res.to_dict(), allow_nan=False))  # strict JSON: no NaN
    fits = {r["degree_kind"]: r["observed"]["fit"] for r in doc["results"]}
    assert fits["in"]["sigma"] is None and fits["out"]["sigma"] > 0
    df = bound_res.to_frame().set_index(["degree_kind", "side"])
    assert math.isnan(df.loc[("in", "observed"), "sigma"])
    line_in = next(ln for ln in format_table(bound_res, wide=True).splitlines() if ln.startswith("0      in"))
    assert "≥100 (bound)" in line_in and "±" not in line_in.split("(bound)")[0]
    # the α summary draws no error bar for it (its α is not plotted either)
    from matplotlib.collections import LineCollection

    fig = plot_alpha_summary(bound_res.rows())
    segs = [np.asarray(s) for c in fig.axes[0].collections if isinstance(c, LineCollection)
            for s in c.get_segments() if len(s)]
    half = {round(float(s[0, 0]), 2): float(s[1, 1] - s[0, 1]) / 2 for s in segs}
    assert -0.15 not in half  # the pruned side of the bound row (x = 0 − 0.15): no bar
    assert half[0.85] == pytest.approx(rows["out"].sigma)  # the measured row's bar: ± σ


def test_block_summary_and_growth_record_have_no_sigma_at_the_bound(bound_res):
    from prunegraph.continual.growth import power_law_record

    (blk,) = block_summary(_bound_block(bound_res))
    assert blk.at_bound == (True, False) and blk.sigmas[0] is None and blk.sigmas[1] > 0
    assert blk.to_dict()["sigmas"][0] is None
    rec = power_law_record(bound_res.results[0].degrees)
    assert rec["reason"] == "alpha at a search bound" and rec["alpha"] == 100.0 and rec["sigma"] is None


def test_depth_legend_labels_a_bound_in_any_column():
    rows = [{"depth": d, "group": "attention", "degree_kind": k, "alpha_median": 4.0, "verdicts": {"x": 2},
             "alphas": [4.0, 100.0 if k == "out" else 5.0], "sigmas": [0.3, 5.0], "at_bound": [False, k == "out"]}
            for d in (0, 1) for k in ("in", "out")]
    fig = plot_depth(rows)
    out_ys = next(ln for ln in fig.axes[1].get_lines() if ln.get_gid() == "alpha-attention-out").get_ydata()
    assert list(out_ys) == [4.0, 4.0]
    legends = [t.get_text() for a in fig.axes if a.get_legend() for t in a.get_legend().get_texts()]
    assert "attention (q, k, v, o): α at the fit's bound (≥ 100), marked ▲ at the top" in legends
    assert not any("not plotted" in t for t in legends)


@pytest.mark.parametrize("counts", [(1,), (1, 2), (3, 1, 2, 5)])
def test_depth_verdict_counts_have_integer_ticks(counts):
    rows = [{"depth": d, "group": "attention", "degree_kind": "in", "alpha_median": 4.0,
             "verdicts": {"power law rejected": c}, "alphas": [4.0], "sigmas": [0.1]} for d, c in enumerate(counts)]
    fig = plot_depth(rows)
    fig.canvas.draw()
    ticks = fig.axes[1].get_yticks()
    lo, hi = fig.axes[1].get_ylim()
    shown = [t for t in ticks if lo - 1e-9 <= t <= hi + 1e-9]
    assert len(shown) >= 2 and all(float(t).is_integer() for t in shown), shown


# ----------------------------------------------------------------------------- dense layers
def _dense_and_sparse() -> torch.nn.Module:
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(50, 40), torch.nn.ReLU(), torch.nn.Linear(40, 30))
    w = m[2].weight.data
    w[w.abs() < 0.05] = 0
    return m


def test_dense_layer_verdict_says_dense_and_gets_no_q():
    res = analyze(prunegraph.load(_dense_and_sparse()), degree_kinds=["in", "out"], bootstrap=0)
    dense = [r for r in res.results if r.layer == "0"]
    sparse = [r for r in res.results if r.layer == "2"]
    for r in dense:
        assert r.observed.verdict is Verdict.REGULAR and r.null.verdict is Verdict.REGULAR
        assert r.observed.verdict_text == ("regular by construction: dense layer (no weight pruned); "
                                           "no distribution to fit")
        assert r.fit_row().heavier_q is None and math.isnan(r.tail.heavier_q)
    # the Benjamini–Hochberg family holds the tested sequences only (the dense layer's p = 1 by
    # construction would inflate every other q)
    q = benjamini_hochberg([r.tail.heavier_p for r in sparse])
    assert [r.tail.heavier_q for r in sparse] == pytest.approx(q.tolist())
    assert "2 regular by construction" in res.summary()
    assert "degenerate" not in format_table(res, wide=True)


def test_conv_with_every_kernel_kept_but_thinned_says_so(tmp_path):
    from safetensors.torch import save_file

    g = torch.Generator().manual_seed(0)
    w = torch.randn(24, 30, 3, 3, generator=g)
    w[:, :, 0, :] = 0.0  # a third of every kernel pruned, no kernel removed: edge density 100 %
    save_file({"conv.weight": w}, str(tmp_path / "c.safetensors"))
    res = analyze(prunegraph.loading.stream_layers(str(tmp_path / "c.safetensors")), degree_kinds=["in"],
                  bootstrap=0, null=False)
    (r,) = res.results
    assert r.weight_density == pytest.approx(float((w != 0).float().mean()))
    assert r.observed.verdict_text == ("regular by construction: every unit pair connected (edge density 100 %, "
                                       "weight density 66.7 %); no distribution to fit")


def test_sparse_regular_layer_is_still_degenerate():
    # all in-degrees 7 of 60 inputs: not dense, one value: degenerate (the text no longer blames density)
    rng = np.random.default_rng(0)
    w = torch.zeros(50, 60)
    for j in range(50):
        w[j, rng.choice(60, 7, replace=False)] = 1.0
    m = torch.nn.Sequential(torch.nn.Linear(60, 50))
    m[0].weight.data = w
    res = analyze(prunegraph.load(m), degree_kinds=["in"], bootstrap=0, null=False)
    assert res.results[0].observed.verdict_text == "degenerate: all degrees equal (7); no distribution to fit"


# ----------------------------------------------------------------------------- transformers
LLAMA = {"model_type": "llama", "hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 1,
         "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 20}


def _llama_sd() -> dict[str, torch.Tensor]:
    """One grouped-query-attention Llama block (4 query heads share 2 kv heads), pruned at ~70 %."""
    g = torch.Generator().manual_seed(3)
    d, ff, v, kv = 16, 24, 20, 8
    p = "model.layers.0."
    shapes = {"model.embed_tokens.weight": (v, d), "lm_head.weight": (v, d),
              p + "self_attn.q_proj.weight": (d, d), p + "self_attn.k_proj.weight": (kv, d),
              p + "self_attn.v_proj.weight": (kv, d), p + "self_attn.o_proj.weight": (d, d),
              p + "mlp.gate_proj.weight": (ff, d), p + "mlp.up_proj.weight": (ff, d),
              p + "mlp.down_proj.weight": (d, ff)}
    sd = {}
    for name, shape in shapes.items():
        w = torch.randn(*shape, generator=g)
        sd[name] = w * (w.abs() > 1.04)
    return sd


@pytest.mark.parametrize("as_folder", [True, False], ids=["hf-folder", "file+config"])
def test_gqa_o_proj_weight_density(tmp_path, as_folder):
    from safetensors.torch import save_file

    sd = _llama_sd()
    save_file(sd, str(tmp_path / "model.safetensors"))
    if as_folder:
        (tmp_path / "config.json").write_text(json.dumps(LLAMA))
        net = prunegraph.loading.stream_layers(str(tmp_path))
    else:
        net = prunegraph.loading.stream_layers(str(tmp_path / "model.safetensors"), arch=LLAMA)
    res = analyze(net, degree_kinds=["in"], bootstrap=0, null=False, alternatives=[])
    got = {r.layer: r.weight_density for r in res.results}
    o = "model.layers.0.self_attn.o_proj"
    assert o in got
    for layer, wd in got.items():  # reference: nonzero / all of the raw tensor
        w = sd[layer + ".weight"]
        assert wd == pytest.approx(float((w != 0).sum()) / w.numel()), layer
    # the folded o_proj: 16 raw inputs onto 8 kv units, so its edge density differs from its weight density
    assert next(r.density for r in res.results if r.layer == o) > got[o]


@pytest.mark.parametrize("arch, mlp", [("llama", "gate/up -> down"), ("bert", "up -> down"),
                                       ("gpt2", "up -> down")])
def test_block_wiring_note_names_a_gate_only_where_there_is_one(arch, mlp):
    d = 8
    if arch == "llama":
        sd = _llama_sd()
    elif arch == "bert":
        p = "bert.encoder.layer.0."
        sd = {p + "attention.self.query.weight": torch.ones(d, d), p + "attention.self.key.weight": torch.ones(d, d),
              p + "attention.self.value.weight": torch.ones(d, d),
              p + "attention.output.dense.weight": torch.ones(d, d),
              p + "intermediate.dense.weight": torch.ones(4 * d, d), p + "output.dense.weight": torch.ones(d, 4 * d)}
    else:
        p = "transformer.h.0."
        sd = {p + "attn.c_attn.weight": torch.ones(d, 3 * d), p + "attn.c_proj.weight": torch.ones(d, d),
              p + "mlp.c_fc.weight": torch.ones(d, 4 * d), p + "mlp.c_proj.weight": torch.ones(4 * d, d)}
    net = prunegraph.load(sd, arch=LLAMA if arch == "llama" else arch)
    note = next(n for n in net.notes if "block structure" in n)
    assert f"q, k, v -> o and {mlp}," in note, note
    assert ("gate" in note) is (arch == "llama")


# ----------------------------------------------------------------------------- CLI
def test_unknown_connectome_is_one_line_before_any_work(capsys, monkeypatch):
    import prunegraph.analysis
    from prunegraph.checkpoint import reference_checkpoints
    from prunegraph.connectome import available

    analysed = []
    monkeypatch.setattr(prunegraph.analysis, "analyze_many", lambda sources, *a, **k: analysed.append(sources))
    ref = str(reference_checkpoints()[0])
    rc = cli.main(["fit", ref, "connectome:nosuch", "--no-figures", "--bootstrap", "0"])
    out, err = capsys.readouterr()
    assert rc == 1 and out == ""  # a missing input, like a missing checkpoint file
    assert analysed == []  # checked with the file names, before the first checkpoint is fitted
    (line,) = err.strip().splitlines()
    assert line.startswith("prunegraph fit: error: connectome:nosuch: unknown connectome 'nosuch'; available: ")
    assert all(info.name in line for info in available())
    assert "Traceback" not in err
