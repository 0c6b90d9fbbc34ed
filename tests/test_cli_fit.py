"""`prunegraph fit`: in-process and subprocess runs, JSON schema, figures, report, bad input."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from prunegraph.cli import main

SCHEMA = Path(__file__).resolve().parents[1] / "prunegraph" / "fit_schema.json"
REF = Path(__file__).resolve().parents[1] / "prunegraph" / "_data" / "reference"


@pytest.fixture(scope="module")
def pruned_checkpoint(tmp_path_factory) -> Path:
    """A LeNet-300-100-shaped MLP, magnitude-pruned to 10 % per layer, saved as a state_dict.

    (Layer-wise: global pruning of an untrained MLP would keep only the first layer, whose
    initial weights are the largest.)"""
    import torch.nn.utils.prune as tprune

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 300), torch.nn.ReLU(),
                                torch.nn.Linear(300, 100), torch.nn.ReLU(), torch.nn.Linear(100, 10))
    params = [(m, "weight") for m in model if isinstance(m, torch.nn.Linear)]
    for module, name in params:
        tprune.l1_unstructured(module, name, amount=0.9)
    path = tmp_path_factory.mktemp("ckpt") / "mlp.pt"
    torch.save(model.state_dict(), path)
    return path


def test_fit_json_csv_figures_report(pruned_checkpoint, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["fit", str(pruned_checkpoint), "--bootstrap", "10", "--json", str(tmp_path / "fit.json"),
                 "--csv", str(tmp_path / "fit.csv"), "--out", str(out), "--report", "--seed", "1"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "α±σ" in printed and "verdict" in printed and "heavier q" in printed
    assert "null verdict" not in printed  # a --wide column
    assert "degree sequences" in printed  # the one-line summary
    assert f"report: {out / 'report.html'}" in printed  # where the report is
    assert f"figures: 7 PNG files in {out / 'mlp'}" in printed

    jsonschema = pytest.importorskip("jsonschema")
    doc = json.loads((tmp_path / "fit.json").read_text())
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
    results = doc["models"][0]["results"]
    assert {(r["layer"], r["degree_kind"]) for r in results} == {
        (layer, k) for layer in ("1", "3", "5") for k in ("in", "out")}
    assert all(r["edges"] > 0 for r in results)
    fitted = [r for r in results if r["observed"]["fit"]]
    assert len(fitted) >= 4 and all(r["observed"]["fit"]["p_value"] is not None for r in fitted)

    rows = list(csv.DictReader(io.StringIO((tmp_path / "fit.csv").read_text())))
    assert len(rows) == len(results)
    assert rows[0]["model"].endswith("mlp.pt")

    pngs = sorted(out.rglob("*.png"))
    svgs = sorted(out.rglob("*.svg"))
    assert len(pngs) == len(results) + 1 and svgs == []  # PNG by default
    from PIL import Image

    for p in pngs:
        with Image.open(p) as im:
            im.verify()
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= len(pngs)
    assert "power law" in html


def test_fit_json_to_stdout_is_deterministic(pruned_checkpoint, capsys):
    args = ["fit", str(pruned_checkpoint), "--bootstrap", "5", "--json", "-", "--no-figures",
            "--layers", "3", "--quiet"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert main(args) == 0
    second = capsys.readouterr().out
    assert first == second
    only = json.loads(first)["models"][0]["results"]
    assert [r["layer"] for r in only] == ["3", "3"] and only[0]["edges"] == 3000


def test_fit_subprocess(pruned_checkpoint, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "prunegraph", "fit", str(pruned_checkpoint),
                           "--bootstrap", "0", "--no-figures", "--kinds", "in", "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "degree sequences" in proc.stdout


@pytest.mark.parametrize("make, code, needle", [
    (lambda d: d / "missing.pt", 1, "no such file"),
    (lambda d: (d / "junk.pt").write_bytes(b"not a checkpoint") and d / "junk.pt", 1, "junk.pt"),
])
def test_bad_input_one_line(tmp_path, capsys, make, code, needle):
    path = make(tmp_path)
    assert main(["fit", str(path), "--no-figures"]) == code
    err = capsys.readouterr().err.strip()
    assert needle in err and "Traceback" not in err
    assert len(err.splitlines()) == 1, err


@pytest.mark.parametrize("argv, needle", [
    (["--kinds", "sideways"], "--kinds"),
    (["--bootstrap", "-3"], "--bootstrap"),
    (["--alternatives", "gamma"], "--alternatives"),
])
def test_bad_options_exit_2(pruned_checkpoint, capsys, argv, needle):
    assert main(["fit", str(pruned_checkpoint), *argv]) == 2
    assert needle in capsys.readouterr().err


def test_fit_default_reference_checkpoints(tmp_path, capsys):
    from prunegraph.checkpoint import reference_checkpoints

    try:
        refs = reference_checkpoints()
    except ValueError:
        pytest.fail("the reference checkpoints in data/ are missing")
    code = main(["fit", "--bootstrap", "0", "--no-figures", "--kinds", "in", "--quiet",
                 "--json", str(tmp_path / "ref.json")])
    assert code == 0
    doc = json.loads((tmp_path / "ref.json").read_text())
    assert len(doc["models"]) == len(refs)


def test_headers_show_short_paths(tmp_path, monkeypatch, capsys, pruned_checkpoint):
    """Shipped references print as in the README wherever the package lives; a file under the
    working directory prints relative to it; the JSON keeps the full path."""
    from prunegraph.checkpoint import display_source, reference_checkpoints

    ref = reference_checkpoints()[0]
    assert display_source(ref) == f"prunegraph/_data/reference/{ref.name}"
    assert display_source(str(ref.resolve())) == f"prunegraph/_data/reference/{ref.name}"
    here = tmp_path / "runs" / f"m{Path(pruned_checkpoint).suffix}"
    here.parent.mkdir()
    here.write_bytes(Path(pruned_checkpoint).read_bytes())
    monkeypatch.chdir(tmp_path)
    assert main(["fit", str(here), "--bootstrap", "0", "--no-figures", "--kinds", "in",
                 "--json", str(tmp_path / "o.json")]) == 0
    out = capsys.readouterr().out
    assert f"== runs/{here.name}" in out.splitlines()
    assert any(line.startswith(f"runs/{here.name}: ") for line in out.splitlines())
    assert json.loads((tmp_path / "o.json").read_text())["models"][0]["source"] == str(here)
    elsewhere = Path("/") / "nonexistent-dir" / "x.pt"
    assert display_source(elsewhere) == str(elsewhere)
    assert display_source("connectome:white1986") == "connectome:white1986"


def test_compact_table_fits_120_columns_and_wide_shows_everything(capsys):
    from prunegraph.output.tables import COLUMNS

    ref = REF / "lenet5_fmnist_imp.safetensors"
    assert main(["fit", str(ref), "--bootstrap", "0", "--no-figures"]) == 0
    compact = capsys.readouterr().out
    from prunegraph.checkpoint import display_source

    shown_as = display_source(ref)
    table = [line for line in compact.splitlines() if not line.startswith(("==", "   note:", shown_as))]
    assert table and max(len(line) for line in table) <= 120, max(table, key=len)
    assert main(["fit", str(ref), "--bootstrap", "0", "--no-figures", "--wide"]) == 0
    wide = capsys.readouterr().out
    header = next(line for line in wide.splitlines() if line.startswith("layer"))
    shown = [c.short for c in COLUMNS if c.short in header]
    # every column with data, in COLUMNS order (the order the report uses too)
    assert shown == [c.short for c in COLUMNS if c.key not in ("heavier_q", "xmax") or c.short in header]
    assert header.index("null verdict") < header.index("heavier p") < header.rindex("verdict")


def test_conv_rows_show_weight_density_beside_edge_density(tmp_path):
    """LeNet-5: a conv edge is a kernel; the weight density is the share of nonzero weights."""
    from safetensors.torch import load_file

    from prunegraph.analysis import analyze_many

    ref = REF / "lenet5_fmnist_imp.safetensors"
    (res,), _ = analyze_many([str(ref)], {"degree_kinds": ["in"], "bootstrap": 0, "null": False})
    tensors = load_file(str(ref))
    rows = {r["layer"]: r for r in res.rows()}
    for layer in ("conv1", "conv2", "fc1", "fc2"):
        w = tensors[f"{layer}.weight_orig"] * tensors[f"{layer}.weight_mask"]  # a torch prune checkpoint
        literal = float((w != 0).sum()) / w.numel()
        assert rows[layer]["weight_density"] == pytest.approx(literal, rel=1e-12)
    assert rows["conv1"]["density"] == 1.0 and rows["conv1"]["weight_density"] < 0.7
    assert rows["fc2"]["weight_density"] == pytest.approx(rows["fc2"]["density"])  # a plain Linear


def test_progress_is_quiet_when_not_a_terminal(tmp_path):
    ref = REF / "lenet300_digits_imp.safetensors"
    proc = subprocess.run([sys.executable, "-W", "always::RuntimeWarning", "-m", "prunegraph", "fit", str(ref),
                           "--bootstrap", "0", "--out", str(tmp_path), "--layers", "fc3"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no bars, no warnings: stderr is not a terminal here
    assert "figures: 3 PNG files in" in proc.stdout


@pytest.mark.slow
def test_default_run_prints_no_runtime_warning(tmp_path):
    """The default command (every shipped checkpoint, bootstrap, nulls, figures) with every
    RuntimeWarning shown: none reaches the user."""
    proc = subprocess.run([sys.executable, "-W", "always::RuntimeWarning", "-m", "prunegraph", "fit",
                           "--bootstrap", "20", "--out", str(tmp_path), "-q"],
                          capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr and "Warning" not in proc.stdout, proc.stderr


def test_alt_cell_without_a_test_shows_no_p():
    """A sequence whose verdict needed no likelihood-ratio test says so, without a dangling '(p -)'."""
    from prunegraph.output.tables import _best_alt

    assert _best_alt({"best_alt": "not needed", "best_alt_p": None}) == "not needed"
    assert _best_alt({"best_alt": "truncated_power_law", "best_alt_p": 0.02}) == \
        "power law with exponential cut-off (p 0.02)"


def _record_figure_jobs(monkeypatch) -> list:
    """Every FigureJob the fit command hands to its figure writer (recorded in this process)."""
    from prunegraph.output import plot

    jobs, start = [], plot.FigureWriter._start

    def record(self, job):
        jobs.append(job)
        return start(self, job)

    monkeypatch.setattr(plot.FigureWriter, "_start", record)
    return jobs


def test_checkpoints_of_one_file_name_get_a_folder_each(tmp_path, capsys, monkeypatch):
    """Two Hugging Face checkpoints both called model.safetensors: two figure folders named after
    their folders, every file kept, titles, captions and the summary line naming each."""
    import shutil

    srcs = []
    for run, ref in (("a", "lenet300_digits_imp"), ("b", "lenet300_digits_random")):
        (tmp_path / run / "ckpt").mkdir(parents=True)
        srcs.append(shutil.copy(REF / f"{ref}.safetensors", tmp_path / run / "ckpt" / "model.safetensors"))
    jobs = _record_figure_jobs(monkeypatch)
    out = tmp_path / "coll"
    assert main(["fit", *map(str, srcs), "--bootstrap", "0", "--kinds", "in", "--out", str(out), "--report",
                 "-q"]) == 0
    printed = capsys.readouterr().out
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert folders == ["a_ckpt", "b_ckpt"]
    per_folder = {f: sorted(p.name for p in (out / f).iterdir()) for f in folders}
    assert per_folder["a_ckpt"] == per_folder["b_ckpt"] == [
        "alpha_summary.png", "ccdf_fc1_in.png", "ccdf_fc2_in.png", "ccdf_fc3_in.png"]
    assert f"figures: 8 PNG files in 2 folders under {out}/" in printed
    assert len(jobs) == 8 and {j.stem.parent.name for j in jobs} == {"a_ckpt", "b_ckpt"}
    for j in jobs:  # each figure's title names the folder it is in
        assert j.kwargs["title"].startswith(j.stem.parent.name), j.kwargs["title"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "a_ckpt: fitted power-law exponent" in html and "b_ckpt: fitted power-law exponent" in html


@pytest.mark.parametrize("as_folder", [False, True], ids=["model.safetensors", "folder"])
def test_hugging_face_checkpoint_named_by_its_folder(tmp_path, capsys, as_folder):
    import shutil

    folder = tmp_path / "all-MiniLM-L6-v2.1"  # a dot in the name is not a suffix to drop
    folder.mkdir()
    shutil.copy(REF / "lenet300_digits_imp.safetensors", folder / "model.safetensors")
    out = tmp_path / "out"
    src = folder if as_folder else folder / "model.safetensors"
    assert main(["fit", str(src), "--bootstrap", "0", "--kinds", "in", "--layers", "fc1", "--out", str(out),
                 "-q"]) == 0
    assert f"figures: 2 PNG files in {out / folder.name}\n" in capsys.readouterr().out
    assert sorted(p.name for p in (out / folder.name).iterdir()) == ["alpha_summary.png", "ccdf_fc1_in.png"]


@pytest.mark.parametrize("flag", ["--json", "--csv"])
def test_unwritable_output_refused_before_any_fit(flag, capsys, monkeypatch):
    import prunegraph.analysis

    def no_fit(*a, **k):
        raise AssertionError("fitted before the output path was checked")

    monkeypatch.setattr(prunegraph.analysis, "analyze_many", no_fit)
    monkeypatch.setattr(prunegraph.analysis, "analyze_checkpoint", no_fit)
    assert main(["fit", str(REF / "lenet300_digits_imp.safetensors"), flag, "/proc/x/a.json", "--no-figures"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert f"{flag} /proc/x/a.json: cannot write there" in err


def test_report_path_that_is_a_folder_refused_before_any_fit(tmp_path, capsys, monkeypatch):
    import prunegraph.analysis

    monkeypatch.setattr(prunegraph.analysis, "analyze_many", lambda *a, **k: pytest.fail("fitted first"))
    (tmp_path / "report.html").mkdir()
    assert main(["fit", str(REF / "lenet300_digits_imp.safetensors"), "--report", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"--report {tmp_path / 'report.html'}: is a folder" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("flags, named", [
    (["--svg", "--figure-format", "pdf"], "--figure-format and --svg"),
    (["--svg"], "--svg"),
    (["--figure-format", "png"], "--figure-format"),  # explicit, even when it is the default value
])
def test_no_figures_with_a_figure_option_is_a_usage_error(flags, named, capsys):
    assert main(["fit", str(REF / "lenet300_digits_imp.safetensors"), *flags, "--no-figures"]) == 2
    err = capsys.readouterr().err
    assert f"--no-figures contradicts {named}" in err and len(err.strip().splitlines()) == 1


def test_report_with_no_figures_has_tables_only(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["fit", str(REF / "lenet300_digits_imp.safetensors"), "--report", "--no-figures", "--bootstrap",
                 "0", "--kinds", "in", "--out", str(out), "-q"]) == 0
    assert [p.name for p in out.iterdir()] == ["report.html"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "data:image/png" not in html and "fc1" in html
    assert "figures:" not in capsys.readouterr().out


def test_checkpoint_help_names_every_accepted_source(capsys):
    assert main(["fit", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    i = text.index("CHECKPOINT a state_dict")
    for what in (".pt/.pth/.bin", ".safetensors", "*.index.json", "Hugging Face model folder", "connectome:NAME"):
        assert what in text[i:i + 300], what


@pytest.mark.parametrize("key, words", [("truncated_power_law", "power law with exponential cut-off"),
                                        ("stretched_exponential", "stretched exponential")])
def test_verdict_names_an_alternative_as_the_table_does(key, words):
    """The cut-off power law (machine key truncated_power_law) is never shown as a 'truncated power
    law', the name of --truncated's law with an upper limit."""
    from prunegraph.fit.verdict import Verdict, VerdictDetail, verdict_text
    from prunegraph.output.tables import _best_alt

    assert verdict_text(VerdictDetail(Verdict.ALTERNATIVE, alternative=key)) == f"{words} preferred"
    assert _best_alt({"best_alt": key, "best_alt_p": 0.02}) == f"{words} (p 0.02)"
