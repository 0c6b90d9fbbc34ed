"""Transformer-aware output (issue 13): the depth figure (alpha and verdicts against block depth,
attention vs MLP) and the HTML report grouped by block, on a small Llama-shaped checkpoint;
a LeNet gets neither."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch

from prunegraph import cli, load
from prunegraph.analysis import analyze, block_summary
from prunegraph.graph.roles import block_of
from prunegraph.output.plot import figure_jobs, plot_depth

LLAMA = {"model_type": "llama", "hidden_size": 64, "intermediate_size": 160, "num_hidden_layers": 3,
         "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 120}


def _llama_folder(path):
    """A Llama-shaped HF folder (config.json + safetensors), Gaussian weights pruned at 70 %."""
    from safetensors.torch import save_file

    gen = torch.Generator().manual_seed(0)
    d, ff, v = LLAMA["hidden_size"], LLAMA["intermediate_size"], LLAMA["vocab_size"]
    kv = d // LLAMA["num_attention_heads"] * LLAMA["num_key_value_heads"]
    shapes = {"model.embed_tokens.weight": (v, d), "lm_head.weight": (v, d)}
    for b in range(LLAMA["num_hidden_layers"]):
        p = f"model.layers.{b}."
        shapes.update({p + "self_attn.q_proj.weight": (d, d), p + "self_attn.k_proj.weight": (kv, d),
                       p + "self_attn.v_proj.weight": (kv, d), p + "self_attn.o_proj.weight": (d, d),
                       p + "mlp.gate_proj.weight": (ff, d), p + "mlp.up_proj.weight": (ff, d),
                       p + "mlp.down_proj.weight": (d, ff)})
    sd = {}
    for name, shape in shapes.items():
        w = torch.randn(*shape, generator=gen)
        sd[name] = (w * (w.abs() > 1.04)).to(torch.bfloat16)  # |z| > 1.04: ~70 % zeros
    path.mkdir()
    (path / "config.json").write_text(json.dumps(LLAMA))
    save_file(sd, str(path / "model.safetensors"))
    return path


def _lenet_pt(path):
    from prunegraph.models import zoo

    torch.manual_seed(0)
    sd = zoo.get_model("lenet300").state_dict()
    sd = {k: (v * (torch.rand_like(v) > 0.9) if v.ndim == 2 else v) for k, v in sd.items()}
    torch.save(sd, path)
    return path


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """`prunegraph fit --report` (figures on) on the Llama folder and on a LeNet-300-100."""
    tmp = tmp_path_factory.mktemp("tr")
    llama, lenet = _llama_folder(tmp / "llama"), _lenet_pt(tmp / "lenet.pt")
    out = {}
    for name, src in (("llama", llama), ("lenet", lenet)):
        dst = tmp / f"out-{name}"
        assert cli.main(["fit", str(src), "--kinds", "in", "--bootstrap", "0", "--out", str(dst),
                         "--report", "--json", str(dst / "fit.json"), "-q"]) == 0
        out[name] = (src, dst)
    return out


def test_depth_figure_written_for_a_transformer_not_for_a_lenet(fitted):
    _, llama_out = fitted["llama"]
    _, lenet_out = fitted["lenet"]
    assert (llama_out / "llama" / "depth.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (llama_out / "llama" / "alpha_summary.png").exists()
    assert (lenet_out / "lenet" / "alpha_summary.png").exists()
    assert not list(lenet_out.rglob("depth.*"))


def test_depth_figure_data_equal_block_summary(fitted):
    src, _ = fitted["llama"]
    res = analyze(load(src), degree_kinds=("in", "out"), bootstrap=0, null=False, rng=0)
    blocks = block_summary(res)
    assert [b.depth for b in blocks] == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]  # attention/mlp x in/out
    by_layer = {(r.layer, r.degree_kind): r for r in res.results}
    for b in blocks:  # the summary, recomputed from the per-layer fits
        fits = [by_layer[(n, b.degree_kind)].observed.fit for n in b.layers]
        assert list(b.alphas) == [None if f is None else f.alpha for f in fits]
        alive = [f.alpha for f in fits if f is not None]
        assert b.alpha_median == (float(np.median(alive)) if alive else None)
        assert sum(b.verdicts.values()) == len(b.layers) == (4 if b.group == "attention" else 3)
    job = next(j for j in figure_jobs(res, "unused") if j.figure_type == "depth")
    assert job.kwargs["blocks"] == [b.to_dict() for b in blocks]
    fig = plot_depth(**job.kwargs)
    lines = {ln.get_gid(): ln for ax in fig.axes for ln in ax.get_lines() if ln.get_gid()}
    bars: dict = {}
    for ax in fig.axes:
        for patch in ax.patches:
            if patch.get_gid():
                bars.setdefault(patch.get_gid(), []).append(round(patch.get_height()))
    for kind in ("in", "out"):
        for group in ("attention", "mlp"):
            rows = [b for b in blocks if b.degree_kind == kind and b.group == group]
            med = lines[f"median-{group}-{kind}"].get_ydata()
            assert [(None if math.isnan(y) else y) for y in med] == [b.alpha_median for b in rows]
            pts = lines[f"alpha-{group}-{kind}"].get_ydata()
            want = [np.nan if a is None else a for b in rows for a in b.alphas]
            np.testing.assert_array_equal(np.asarray(pts, float), np.asarray(want, float))
            for label in {v for b in rows for v in b.verdicts}:
                assert bars[f"verdicts-{group}-{kind}-{label}"] == [b.verdicts.get(label, 0) for b in rows]
    assert not [j for j in figure_jobs(analyze(load(fitted["lenet"][0]), degree_kinds=("in",), bootstrap=0,
                                                    null=False), "unused") if j.figure_type == "depth"]


def _section_of(html_text, name):
    root = ET.fromstring(html_text.replace("<!DOCTYPE html>", ""))
    return next(s for s in root.iter("section") if s.find("h2") is not None and s.find("h2").text == name)


def test_report_grouped_by_block(fitted):
    src, out = fitted["llama"]
    text = (out / "report.html").read_text(encoding="utf-8")
    sec = _section_of(text, str(src))
    heads = [h.text for h in sec.iter("h3")]
    assert heads == ["Per block", "Before the blocks (embeddings)", "Block 0: model.layers.0",
                     "Block 1: model.layers.1", "Block 2: model.layers.2", "After the blocks (head and other layers)"]
    # the per-block table and the depth figure come before any layer table
    children = list(sec)
    first_fig = next(i for i, c in enumerate(children) if c.get("class") == "figures")
    first_block = next(i for i, c in enumerate(children) if c.get("class") == "block")
    assert first_fig < first_block
    imgs = children[first_fig].iter("img")
    assert "block depth" in next(imgs).get("alt")
    res = json.loads((out / "fit.json").read_text())["models"][0]
    blocks_table = next(t for t in sec.iter("table") if "blocks" in t.get("class"))
    assert len(blocks_table.find("tbody")) == len(block_summary_rows(res))
    # every layer row once, under the heading of its block; its CCDF beside it
    seen = []
    for part in (c for c in children if c.get("class") == "block"):
        heading = part.find("h3").text
        table = next(t for t in part.iter("table") if "compact" in t.get("class"))
        layers = [tr.find("td").text for tr in table.find("tbody")]
        seen += layers
        for layer in layers:
            blk = block_of(layer)
            assert heading.endswith(": " + blk) if heading.startswith("Block") else blk is None
        alts = [img.get("alt") for img in part.iter("img")]
        assert len(alts) == len(layers) and all(any(f"Layer {n}," in a for a in alts) for n in layers)
    assert seen == [r["layer"] for r in res["results"]]


def block_summary_rows(model_json):
    """Blocks x groups x kinds with transformer roles, counted from the JSON's layer names."""
    from prunegraph.graph.roles import role_of

    return {(block_of(r["layer"]), role_of(r["layer"]) in ("q", "k", "v", "o"), r["degree_kind"])
            for r in model_json["results"] if block_of(r["layer"]) and role_of(r["layer"])}


def test_lenet_report_is_not_grouped(fitted):
    src, out = fitted["lenet"]
    text = (out / "report.html").read_text(encoding="utf-8")
    sec = _section_of(text, str(src))
    assert not list(sec.iter("h3")) and "Per block" not in text
    assert len([t for t in sec.iter("table") if "compact" in t.get("class")]) == 1


def test_figure_progress_counts_figures(fitted, tmp_path, monkeypatch):
    """The figure phase's bar advances once per figure, over every figure still being drawn."""
    import prunegraph._progress as prog
    from prunegraph.output import plot

    seen = []

    def record(iterable, *, desc="", total=None, enabled=False):
        items = list(iterable)
        seen.append((desc, total, len(items), enabled))
        return items

    monkeypatch.setattr(prog, "progress", record)
    res = analyze(load(fitted["llama"][0]), degree_kinds=("in",), bootstrap=0, null=False, rng=0)
    with plot.FigureWriter(tmp_path, jobs=2, progress=True) as fw:
        fw.submit(res)
        paths = fw.result()[res.source]
    n = len(res.results) + 2  # a CCDF per layer, the alpha summary, the depth figure
    assert len(paths) == n and seen[-1] == ("figures", n, n, True)
