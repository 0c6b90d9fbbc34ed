"""Tests of prunegraph.output.report: a self-contained, escaped, atomically written HTML report."""

from __future__ import annotations

import base64
import html.parser
import io
import pathlib
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from prunegraph.errors import InputError, UsageError
from prunegraph.output import plot, report, tables

VOID = {"meta", "img", "br", "hr", "link", "input"}


class TagChecker(html.parser.HTMLParser):
    """Checks that every non-void tag is closed in order; collects src/href attributes."""

    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.refs, self.tags = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.refs += [(tag, k, v) for k, v in attrs if k in ("src", "href", "data", "action")]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)
        self.refs += [(tag, k, v) for k, v in attrs if k in ("src", "href", "data", "action")]

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}>, open: {self.stack[-3:]}")
        else:
            self.stack.pop()


def rows_fixture():
    return [
        {"layer": "fc1", "kind": "in", "nodes": 300, "edges": 23520, "density": 0.0784, "dead": 3,
         "alpha": 2.51234, "sigma": 0.0523, "xmin": 4, "xmax": None, "n_tail": 120, "ks_d": 0.03125,
         "gof_p": 0.42, "best_alt": "truncated_power_law", "best_alt_p": 0.31, "verdict": "power law plausible",
         "null_alpha": 6.1, "null_sigma": 0.71, "null_verdict": "no heavy tail: binomial like random pruning",
         "heavier_p": 0.00002, "var_ratio": 4.2},
        {"layer": "<script>alert('x')</script>", "kind": "out", "nodes": 100, "edges": 23520,
         "density": 0.0784, "dead": 0, "alpha": None, "sigma": None, "verdict": "not fitted: too few units",
         "seed & note": "a<b"},
    ]


def parse(text):
    assert text.startswith("<!DOCTYPE html>\n")
    return ET.fromstring(text.split("\n", 1)[1])  # well-formed XML: every tag closed, entities valid


def table_cells(root):
    tables = root.findall(".//table")
    out = []
    for t in tables:
        heads = ["".join(th.itertext()) for th in t.findall("./thead/tr/th")]
        out.append([dict(zip(heads, ["".join(td.itertext()).replace("\u200b", "") for td in tr.findall("td")]))
                    for tr in t.findall("./tbody/tr")])
    return out


@pytest.fixture
def figure():
    return plot.plot_ccdf([0, 1, 1, 2, 3, 5, 8], title="fc1 <in>")


@pytest.fixture
def image_files(tmp_path):
    fig = plot.plot_ccdf([1, 2, 2, 3, 7])
    png, svg = plot.save_figure(fig, tmp_path / "img" / "ccdf")
    return png, svg


def test_report_is_valid_and_contains_every_row(tmp_path, figure, image_files):
    png, svg = image_files
    out = report.write_report(tmp_path / "r.html", title="Pruned & tested", models=[
        {"name": "lenet300", "summary": "2 sequences", "notes": ["joined by shapes"], "table": rows_fixture(),
         "figures": [figure, png, {"figure": svg, "caption": "alpha <summary>"}]},
        {"name": "lenet5", "summary": "nothing", "table": []},
    ])
    assert out == tmp_path / "r.html"
    text = out.read_text(encoding="utf-8")
    root = parse(text)
    checker = TagChecker()
    checker.feed(text)
    checker.close()
    assert checker.errors == [] and checker.stack == []
    assert "script" not in checker.tags and "link" not in checker.tags

    compact, (r0, r1) = table_cells(root)  # compact + all columns; the second model has no table
    assert len(compact) == 2
    # the compact table: the CLI's default columns, in the CLI's order, verdict last
    from prunegraph.output.tables import columns_for

    assert list(compact[0]) == [c.name for c in columns_for(rows_fixture())]
    assert list(compact[0])[-1] == "verdict" and compact[0]["verdict"] == "power law plausible"
    assert r0["layer"] == "fc1" and r0["degree"] == "in"
    assert r0["units"] == "300" and r0["edges"] == "23,520" and r0["edge density"] == "7.8%"
    assert r0["exponent α ± σ"] == "2.51±0.05"
    assert r0["tail starts at"] == "4" and r0["tail ends at"] == "—" and r0["units in tail"] == "120"
    assert r0["KS distance"] == "0.031" and r0["power-law fit p"] == "0.42"
    assert r0["closest alternative (LR p)"] == "power law with exponential cut-off (p 0.31)"
    assert r0["verdict"] == "power law plausible"
    assert r0["null exponent α ± σ"] == "6.10±0.71"
    assert r0["null verdict"] == "no heavy tail: binomial like random pruning"
    assert r0["heavier than null p"] == "<0.001" and r0["variance ratio"] == "4.2"
    assert r1["layer"] == "<script>alert('x')</script>"  # the text, shown as text
    assert r1["exponent α ± σ"] == "—" and r1["seed & note"] == "a<b" and r0["seed & note"] == "—"
    # every column is explained in "How to read", by the name the table shows
    howto = "".join(root.find(".//*[@id='how-to-read']").itertext())
    assert all(name in howto for name in r0 if name != "seed & note")

    assert "No degree sequences were fitted." in text
    assert root.find(".//title").text == "Pruned & tested"
    assert [a.text for a in root.findall(".//nav//a")] == ["lenet300", "lenet5"]
    assert "R < 0 the alternative" in howto  # the sign convention of R


def test_report_embeds_images_with_no_external_reference(tmp_path, figure, image_files):
    from PIL import Image

    png, svg = image_files
    text = report.render_report(title="t", models=[{"name": "m", "table": rows_fixture(),
                                                    "figures": [figure, png, svg]}])
    checker = TagChecker()
    checker.feed(text)
    srcs = [v for tag, k, v in checker.refs if k == "src"]
    hrefs = [v for tag, k, v in checker.refs if k == "href"]
    assert len(srcs) == 3
    assert all(s.startswith("data:image/") for s in srcs)
    assert all(h.startswith("#") for h in hrefs)  # in-page anchors only
    assert "url(" not in text and "@import" not in text

    kinds = [s.split(";")[0] for s in srcs]
    assert kinds == ["data:image/png", "data:image/png", "data:image/svg+xml"]
    blobs = [base64.b64decode(s.split(",", 1)[1]) for s in srcs]
    with Image.open(io.BytesIO(blobs[0])) as im:
        im.verify()
    assert blobs[1] == png.read_bytes()
    assert blobs[2] == svg.read_bytes()
    assert ET.fromstring(blobs[2]).tag.endswith("svg")
    root = parse(text)
    caps = [c.text for c in root.findall(".//figcaption")]
    assert caps[0] == "fc1 <in>"  # the axes title, escaped in the markup
    assert "fc1 &lt;in&gt;" in text


def test_escaping_everywhere(tmp_path):
    evil = '<script>alert("x")</script>'
    text = report.render_report(title=evil, intro=evil, models=[
        {"name": evil, "summary": evil, "notes": [evil], "table": [{"layer": evil, "kind": evil, "verdict": evil}]}])
    assert "<script>" not in text
    assert text.count("&lt;script&gt;") >= 7
    parse(text)


@pytest.mark.parametrize("fn,value,expected", [
    (tables.fmt_p, 0.0004, "<0.001"), (tables.fmt_p, 7.092e-214, "<0.001"), (tables.fmt_p, 0.05, "0.05"),
    (tables.fmt_p, 0.0042, "0.0042"), (tables.fmt_p, float("nan"), "—"),
    (tables.fmt_estimate, (2.0, 0.5), "2.00±0.50"), (tables.fmt_estimate, (3.14159, None), "3.14"),
    (tables.fmt_estimate, (None, 0.1), "—"), (tables.fmt_span, 1.818, "×1.8"), (tables.fmt_span, None, "—"),
    (tables.fmt_density, 0.0784, "7.8%"), (tables.fmt_density, 0.0042, "0.42%"), (tables.fmt_density, 1.0, "100%"),
    (report.fmt_number, 12345, "12,345"),
    (report.fmt_number, np.int64(7), "7"), (report.fmt_number, 0.123456, "0.1235"), (report.fmt_number, True, "yes"),
])
def test_formatters(fn, value, expected):
    args = value if isinstance(value, tuple) else (value,)
    assert fn(*args) == expected


def test_write_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "r.html"
    report.write_report(target, title="first", models=[{"name": "m", "table": rows_fixture()}])
    before = target.read_bytes()

    class Broken:
        def savefig(self, *a, **k):
            raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError, match="renderer crashed"):
        report.write_report(target, title="second", models=[{"name": "m", "figures": [Broken()]}])
    assert target.read_bytes() == before

    real_write_text = pathlib.Path.write_text

    def half_then_fail(self, data, *a, **k):  # the disk fills up halfway through
        real_write_text(self, data[: len(data) // 2], *a, **k)
        raise OSError("No space left on device")

    monkeypatch.setattr(pathlib.Path, "write_text", half_then_fail)
    with pytest.raises(OSError, match="No space"):
        report.write_report(target, title="third", models=[{"name": "m", "table": rows_fixture()}])
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]  # no temporary file left


def test_bad_inputs(tmp_path):
    with pytest.raises(UsageError, match="name"):
        report.render_report(title="t", models=[{"table": []}])
    with pytest.raises(InputError, match="missing.png"):
        report.render_report(title="t", models=[{"name": "m", "figures": [tmp_path / "missing.png"]}])
    fake = tmp_path / "fake.png"
    fake.write_text("not a png")
    with pytest.raises(InputError, match="not a valid PNG"):
        report.render_report(title="t", models=[{"name": "m", "figures": [fake]}])
    with pytest.raises(UsageError, match="PNG, SVG"):
        report.render_report(title="t", models=[{"name": "m", "figures": [tmp_path / "x.gif"]}])
    with pytest.raises(UsageError, match="Figure"):
        report.render_report(title="t", models=[{"name": "m", "figures": [42]}])
    with pytest.raises(UsageError, match="row 0"):
        report.render_report(title="t", models=[{"name": "m", "table": ["fc1"]}])


def test_empty_report_still_valid():
    text = report.render_report(title="empty", models=[])
    root = parse(text)
    assert "No models were analysed." in text
    assert re.search(r"<h1>empty</h1>", text) and root.find(".//table") is None


# ----------------------------------------------------------------------------- in a browser
def _screenshot_module():
    from _scripts import load_script

    return load_script("scripts/screenshot_report.py")


def _long_rows(n=10):
    """Rows with every column, long layer names and the longest verdict wordings."""
    verdicts = ["no heavy tail: binomial like random pruning", "power law plausible over ×1.9 only",
                "inconclusive: not distinguishable from random pruning (p=0.43, tail LR p=0.27)",
                "too few units: 10 alive (need 20)", "stretched exponential preferred"]
    rows = []
    for i in range(n):
        rows.append({"layer": f"encoder.layer.{i}.attention.output.dense", "kind": "in" if i % 2 else "out",
                     "nodes": 1536 + i, "edges": 123456, "density": 0.0912, "weight_density": 0.0123,
                     "dead": 12, "alpha": 5.4912, "sigma": 0.571, "xmin": 116, "xmax": 1234, "span": 1.818,
                     "n_tail": 63, "ks_d": 0.0741, "gof_p": 0.22, "best_alt": "truncated_power_law",
                     "best_alt_p": 0.31, "binom_p": 7.092e-214, "verdict": verdicts[i % len(verdicts)],
                     "null_alpha": 12.3, "null_sigma": 0.9, "null_verdict": verdicts[(i + 2) % len(verdicts)],
                     "heavier_p": 1.9e-10, "heavier_q": 2.0e-9, "var_ratio": 4.2})
    return rows


@pytest.mark.parametrize("width", [1280, 1400])
def test_report_verdict_visible_in_chromium(tmp_path, width, image_files):
    """The report laid out by headless Chromium: no sideways scroll, every verdict cell inside the
    window, for the compact tables and for the all-columns tables opened."""
    shot = _screenshot_module()
    if shot.find_chromium() is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium)")
    png, _ = image_files
    page = report.write_report(tmp_path / "r.html", title="layout", models=[
        {"name": "/a/very/long/path/to/some/checkpoints/pruned_model_with_a_long_name.safetensors",
         "summary": "10 degree sequences", "table": _long_rows(), "figures": [png, png, png]}])
    closed = shot.measure(page, width=width)
    assert closed["viewport"] == width
    compact = [t for t in closed["tables"] if not t["in_closed_details"]]
    assert len(compact) == 1 and compact[0]["headers"][-1] == "verdict"
    assert len(compact[0]["verdict_cells"]) == 10
    assert shot.problems(closed) == []
    opened = shot.measure(page, width=width, open_details=True)
    assert all(not t["in_closed_details"] for t in opened["tables"]) and len(opened["tables"]) == 2
    assert shot.problems(opened) == []
    # and the check can fail: the same page squeezed into a narrow window scrolls sideways
    assert shot.problems(shot.measure(page, width=600)) != []


def test_compact_columns_follow_the_data():
    """The compact view adds the weight density only where a layer folds weights into edges,
    and the wiring only where a layer's place was guessed; order stays that of COLUMNS."""
    base = {"layer": "fc1", "kind": "in", "density": 0.08, "weight_density": 0.08, "wiring": "traced",
            "alpha": 5.0, "sigma": 0.5, "verdict": "inconclusive"}
    keys = [c.key for c in tables.columns_for([base])]
    assert keys == ["layer", "kind", "density", "alpha", "verdict"]
    conv = dict(base, layer="conv1", density=1.0, weight_density=0.66)
    guessed = dict(base, wiring="names?")
    keys = [c.key for c in tables.columns_for([base, conv, guessed])]
    assert keys == ["layer", "kind", "wiring", "density", "weight_density", "alpha", "verdict"]
    order = [c.key for c in tables.COLUMNS]
    assert keys == sorted(keys, key=order.index)
    wide = [c.key for c in tables.columns_for([base], wide=True)]
    assert "wiring" in wide and wide[-1] == "verdict"


def test_side_by_side_section_lists_every_network_with_identical_columns():
    rows = [{"network": "connectome:worm", "layer": "chemical", "kind": "in", "nodes": 180, "mean_degree": 10.8,
             "max_over_mean": 3.61, "alpha": 3.46, "span": 3.2, "heavier_q": 0.001,
             "verdict_class": "alternative preferred"},
            {"network": "lenet.safetensors", "layer": "fc1", "kind": "out", "nodes": 1084, "mean_degree": 25.6,
             "max_over_mean": 3.55, "alpha": 6.15, "span": 2.1, "heavier_q": 0.0015,
             "verdict_class": "power law plausible (narrow)"}]
    page = report.render_report(title="t", models=[{"name": "m", "table": []}], comparison=rows)
    section = page[page.index('id="side-by-side"'):page.index("</section>", page.index('id="side-by-side"'))]
    assert section.count("<tr>") == 3  # header + one row per sequence
    for text in ("connectome:worm", "lenet.safetensors", "3.61", "×3.2", "power law plausible (narrow)"):
        assert text in section
    assert 'id="side-by-side"' not in report.render_report(title="t", models=[{"name": "m", "table": []}])


def test_fit_report_of_two_networks_has_the_side_by_side_section(tmp_path):
    from prunegraph.checkpoint import reference_checkpoints
    from prunegraph.cli import main

    refs = [str(p) for p in reference_checkpoints() if "lenet300_digits" in str(p)]
    assert len(refs) == 2
    assert main(["fit", *refs, "--bootstrap", "0", "--report", "--out", str(tmp_path), "-q"]) == 0
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    section = page[page.index('id="side-by-side"'):page.index("</section>", page.index('id="side-by-side"'))]
    assert section.count("<tr>") == 1 + 2 * 6  # 2 models × 3 layers × in/out
    assert all(r in section for r in refs)
