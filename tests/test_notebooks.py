"""The analysis notebooks: committed state, and a top-to-bottom run in the small setting.

The notebooks are authored in ``notebooks/_build.py`` and committed with the outputs of the
full setting. These tests check that the committed files are what the builder writes (plus
outputs), that the outputs are clean (every code cell ran, no errors, no machine paths, a
written summary), and — marked slow, one per notebook — that each notebook runs top to bottom
with ``PRUNEGRAPH_NOTEBOOK_SIZE=small`` under nbclient with the ``python3`` kernel.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import re
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"


def _load_builder():
    spec = importlib.util.spec_from_file_location("prunegraph_notebook_build", NB_DIR / "_build.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


builder = _load_builder()
NAMES = list(builder.NOTEBOOKS)
#: strings that must never appear in committed outputs (absolute paths of a build machine)
MACHINE_PATHS = re.compile(r"(/work/|/root/|/home/\w+/|/tmp/|site-packages)")


def _committed(name: str):
    path = NB_DIR / f"{name}.ipynb"
    if not path.exists():
        pytest.fail(f"{path.name} is missing; run `python notebooks/_build.py --execute` (full setting)")
    return nbformat.read(path, as_version=4)


def _text_outputs(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif "data" in out:
            for mime in ("text/plain", "text/html", "text/markdown"):
                if mime in out["data"]:
                    parts.append(str(out["data"][mime]))
        elif out.get("output_type") == "error":
            parts.append("\n".join(out.get("traceback", [])))
    return "\n".join(parts)


def test_four_notebooks_as_the_issue_lists():
    assert NAMES == ["01_pruned_degree_distributions", "02_fitting_done_right",
                     "03_attachment_in_continual_learning", "04_growth_strategies"]


@pytest.mark.parametrize("name", NAMES)
def test_committed_sources_match_builder(name):
    built = builder.build(name)
    committed = _committed(name)
    assert [c.cell_type for c in committed.cells] == [c.cell_type for c in built.cells]
    for i, (a, b) in enumerate(zip(committed.cells, built.cells)):
        assert a.source == b.source, f"{name} cell {i} differs from notebooks/_build.py; rebuild"
    assert committed.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("name", NAMES)
def test_committed_outputs_are_full_setting_clean_and_summarised(name):
    nb = _committed(name)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a notebook without code"
    for i, c in enumerate(code):
        assert c.execution_count is not None, f"{name}: code cell {i} was not executed"
        assert all(o.get("output_type") != "error" for o in c.outputs), f"{name}: code cell {i} errored"
        text = _text_outputs(c)
        assert not MACHINE_PATHS.search(text), f"{name}: code cell {i} shows a machine path: " \
                                               f"{MACHINE_PATHS.search(text).group(0)}"
    assert "setting: full" in _text_outputs(code[0]), f"{name}: committed outputs are not the full setting"
    n_png = sum(1 for c in code for o in c.outputs if "data" in o and "image/png" in o["data"])
    assert n_png >= 1, f"{name}: no inline PNG figure"
    last = nb.cells[-1]
    assert last.cell_type == "markdown" and last.source.startswith("## Summary")
    assert "Not yet written" not in last.source and len(last.source) > 300


@pytest.mark.parametrize("name", NAMES)
def test_parameter_cell_rejects_unknown_size(name, monkeypatch):
    src = builder.build(name).cells[1].source
    assert "PRUNEGRAPH_NOTEBOOK_SIZE" in src
    monkeypatch.setenv("PRUNEGRAPH_NOTEBOOK_SIZE", "huge")
    with pytest.raises(ValueError, match="PRUNEGRAPH_NOTEBOOK_SIZE='huge'"):
        exec(compile(src, f"{name}[params]", "exec"), {})
    for size in ("small", "full", " FULL "):
        monkeypatch.setenv("PRUNEGRAPH_NOTEBOOK_SIZE", size)
        ns: dict = {}
        exec(compile(src, f"{name}[params]", "exec"), ns)
        assert ns["SIZE"] == size.strip().lower() and isinstance(ns["P"], dict)


# ------------------------------------------------------------------------- execution (slow)
#: a cell output (plain text) that each notebook must produce in the small setting
EXPECT = {
    "01_pruned_degree_distributions": ["setting: small", "lenet300", "lenet5", "heavier tail than the random-pruning null"],
    "02_fitting_done_right": ["setting: small", "checkpoint: lenet300_digits_imp.safetensors", "least squares", "GoF p"],
    "03_attachment_in_continual_learning": ["setting: small", "packnet", "uniform", "ci low"],
    "04_growth_strategies": ["setting: small", "pa", "uniform", "gradient", "packnet", "ACC"],
}


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_top_to_bottom_small(name, monkeypatch, tmp_path):
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from nbclient import NotebookClient

    monkeypatch.setenv("PRUNEGRAPH_NOTEBOOK_SIZE", "small")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = copy.deepcopy(_committed(name))
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(NB_DIR)}}).execute()
    seconds = time.perf_counter() - t0
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)
    text = "\n".join(_text_outputs(c) for c in code)
    for needle in EXPECT[name]:
        assert needle in text, f"{name}: expected {needle!r} in the outputs"
    assert any("image/png" in o.get("data", {}) for c in code for o in c.outputs), "no figure drawn"
    sys.stderr.write(f"{name}: small setting ran in {seconds:.0f} s\n")
