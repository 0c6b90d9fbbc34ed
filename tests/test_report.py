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

from prunegraph.output import plot, report
from prunegraph.errors import InputError, UsageError

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
        out.append([dict(zip(heads, ["".join(td.itertext()) for td in tr.findall("td")]))
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

    (rows,) = table_cells(root)  # the second model has no table, just a line
    assert len(rows) == 2
    r0, r1 = rows
    assert r0["layer"] == "fc1" and r0["degree"] == "in"
    assert r0["nodes"] == "300" and r0["edges"] == "23,520" and r0["density"] == "7.84 %"
    assert r0["α ± σ"] == "2.512 ± 0.052"
    assert r0["xmin"] == "4" and r0["xmax"] == "—" and r0["n tail"] == "120"
    assert r0["KS D"] == "0.031" and r0["GoF p"] == "0.420"
    assert r0["best alternative (LR p)"] == "truncated power law (p = 0.310)"
    assert r0["verdict"] == "power law plausible"
    assert r0["null α ± σ"] == "6.10 ± 0.71"
    assert r0["null verdict"] == "no heavy tail: binomial like random pruning"
    assert r0["heavier than null p"] == "< 0.001" and r0["var ratio"] == "4.2"
    assert r1["layer"] == "<script>alert('x')</script>"  # the text, shown as text
    assert r1["α ± σ"] == "—" and r1["seed & note"] == "a<b" and r0["seed & note"] == "—"

    assert "No degree sequences were fitted." in text
    assert root.find(".//title").text == "Pruned & tested"
    assert [a.text for a in root.findall(".//nav//a")] == ["lenet300", "lenet5"]
    assert root.find(".//*[@id='how-to-read']") is not None
    assert "GoF p" in "".join(root.find(".//*[@id='how-to-read']").itertext())


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
    (report.fmt_p, 0.0004, "< 0.001"), (report.fmt_p, 0.05, "0.050"), (report.fmt_p, float("nan"), "—"),
    (report.fmt_estimate, (2.0, 0.5), "2.00 ± 0.50"), (report.fmt_estimate, (3.14159, 0.0012), "3.1416 ± 0.0012"),
    (report.fmt_estimate, (None, 0.1), "—"), (report.fmt_number, 12345, "12,345"),
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
