"""The analysis notebooks: source/output pairs in sync, committed outputs, and a run in the
small setting.

Each notebook is a jupytext pair (``notebooks/jupytext.toml``): ``NN_name.py`` in percent format
is the source, ``NN_name.ipynb`` holds the executed outputs of the full setting. These tests
check that the two hold the same cells, that the committed outputs are clean (every code cell
ran, no errors, no machine paths, a figure, a computed summary with no hand-typed numbers in
its prose), that the papermill ``parameters`` cell works, and — marked slow, one per notebook —
that each runs top to bottom with ``SIZE="small"`` injected by papermill.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import pytest
from _scripts import load_script

nbformat = pytest.importorskip("nbformat")
jupytext = pytest.importorskip("jupytext")

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
SOURCES = sorted(NB_DIR.glob("[0-9][0-9]_*.py"))
NAMES = [p.stem for p in SOURCES]
#: strings that must never appear in committed outputs (absolute paths of a build machine)
MACHINE_PATHS = re.compile(r"(/work/|/root/|/home/\w+/|/tmp/|site-packages)")


def _runner():
    return load_script("scripts/run_notebooks.py")


def _source(name: str):
    return jupytext.read(NB_DIR / f"{name}.py")


def _committed(name: str):
    path = NB_DIR / f"{name}.ipynb"
    if not path.exists():
        pytest.fail(f"{path.name} is missing; run `python scripts/run_notebooks.py {name[:2]}` (full setting)")
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


def _code(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def _has_size_parameter(nb) -> bool:
    params = [c for c in _code(nb) if "parameters" in c.metadata.get("tags", [])]
    return bool(params) and re.search(r"^SIZE\s*=", params[0].source, re.MULTILINE) is not None


def test_the_four_study_notebooks_are_there():
    assert {"01_pruned_degree_distributions", "02_fitting_done_right",
            "03_attachment_in_continual_learning", "04_growth_strategies"} <= set(NAMES)
    assert not (NB_DIR / "_build.py").exists(), "the generator is gone: the .py sources are the truth"


@pytest.mark.parametrize("name", NAMES)
def test_pair_in_sync(name):
    """The .ipynb holds exactly the cells of the .py source (`jupytext --sync` fixes a drift)."""
    src, nb = _source(name), _committed(name)
    assert [c.cell_type for c in nb.cells] == [c.cell_type for c in src.cells], \
        f"{name}: cell layout differs between .py and .ipynb; run `jupytext --sync notebooks/{name}.py`"
    for i, (a, b) in enumerate(zip(nb.cells, src.cells)):
        assert a.source.strip() == b.source.strip(), \
            f"{name} cell {i} differs between .py and .ipynb; edit the .py, then re-run or `jupytext --sync`"
        assert a.metadata.get("tags", []) == b.metadata.get("tags", []), f"{name} cell {i}: tags differ"
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("name", NAMES)
def test_committed_outputs_are_clean_and_summarised(name):
    nb = _committed(name)
    code = _code(nb)
    assert code, "a notebook without code"
    assert not any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells), \
        f"{name}: committed outputs come from a run with injected parameters, not the defaults"
    for i, c in enumerate(code):
        assert c.execution_count is not None, f"{name}: code cell {i} was not executed"
        assert all(o.get("output_type") != "error" for o in c.outputs), f"{name}: code cell {i} errored"
        text = _text_outputs(c)
        hit = MACHINE_PATHS.search(text)
        assert not hit, f"{name}: code cell {i} shows a machine path: {hit and hit.group(0)}"
    if _has_size_parameter(nb):
        assert "setting: full" in "\n".join(_text_outputs(c) for c in code[:3]), \
            f"{name}: committed outputs are not the full setting"
    n_png = sum(1 for c in code for o in c.outputs if "image/png" in o.get("data", {}))
    assert n_png >= 1, f"{name}: no inline PNG figure"
    # the summary: a heading, then a code cell whose Markdown output is computed from the results
    heads = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## Summary")]
    assert heads, f"{name}: no '## Summary' section"
    after = nb.cells[heads[-1] + 1:]
    prose = " ".join(c.source for c in after if c.cell_type == "markdown") + nb.cells[heads[-1]].source
    assert not re.search(r"\d", prose), f"{name}: hand-typed numbers in the summary prose; compute them"
    md = [o["data"]["text/markdown"] for c in after if c.cell_type == "code" for o in c.outputs
          if "text/markdown" in o.get("data", {})]
    assert md and len(md[-1]) > 300, f"{name}: the summary cell displayed no computed Markdown"


@pytest.mark.parametrize("name", [n for n in NAMES if _has_size_parameter(_source(n))])
def test_parameters_cell_is_papermills_and_rejects_unknown_size(name):
    nb = _source(name)
    code = _code(nb)
    assert "parameters" in code[0].metadata.get("tags", []), f"{name}: first code cell must be tagged 'parameters'"
    defaults: dict = {}
    exec(compile(code[0].source, f"{name}[parameters]", "exec"), defaults)  # noqa: S102 (the cell under test)
    assert defaults["SIZE"] == "full", "the default (committed) setting is the full one"
    for size in ("small", "full"):
        ns = dict(defaults, SIZE=size)  # what papermill's injected cell does: override after the defaults
        exec(compile(code[1].source, f"{name}[settings]", "exec"), ns)  # noqa: S102
        assert isinstance(ns["P"], dict)
    with pytest.raises(ValueError, match="SIZE='huge'"):
        exec(compile(code[1].source, f"{name}[settings]", "exec"), dict(defaults, SIZE="huge"))  # noqa: S102


def test_runner_refuses_to_overwrite_the_committed_pair_with_other_parameters(capsys):
    runner = _runner()
    with pytest.raises(SystemExit):
        runner.main(["01", "-p", "SIZE", "small"])
    assert "--output-dir" in capsys.readouterr().err
    assert [p.stem for p in runner.sources()] == NAMES


# ------------------------------------------------------------------------- execution (slow)
#: a cell output (plain text) that each notebook must produce in the small setting
EXPECT = {
    "01_pruned_degree_distributions": ["setting: small", "lenet300", "lenet5", "heavier tail than their null"],
    "02_fitting_done_right": ["setting: small", "checkpoint: lenet300_digits_imp.safetensors", "Least squares",
                              "GoF p"],
    "03_attachment_in_continual_learning": ["setting: small", "packnet", "uniform", "p vs null",
                                            "kappa-slope beta (biased)"],
    "04_growth_strategies": ["setting: small", "uniform", "(k+1)^1", "(k+1)^beta", "gradient", "packnet",
                             "ACC", "edges at target"],
}


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in NAMES if n in EXPECT])  # 05 runs in tests/test_connectome.py
def test_notebook_runs_top_to_bottom_small(name, monkeypatch):
    pytest.importorskip("papermill")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the kernel imports this checkout's prunegraph
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    t0 = time.perf_counter()
    nb = _runner().execute(NB_DIR / f"{name}.py", parameters={"SIZE": "small"}, timeout=600)
    seconds = time.perf_counter() - t0
    code = _code(nb)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in code), "papermill injected nothing"
    assert all(c.execution_count is not None for c in code)
    text = "\n".join(_text_outputs(c) for c in code)
    for needle in EXPECT[name]:
        assert needle in text, f"{name}: expected {needle!r} in the outputs"
    assert "Setting **small**" in text, f"{name}: the computed summary did not run in the small setting"
    assert any("image/png" in o.get("data", {}) for c in code for o in c.outputs), "no figure drawn"
    sys.stderr.write(f"{name}: small setting ran in {seconds:.0f} s\n")
