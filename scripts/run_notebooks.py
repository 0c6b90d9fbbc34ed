"""Execute the analysis notebooks from their percent-format sources with papermill.

Each ``notebooks/NN_*.py`` (the source of truth) is read with jupytext, executed top to bottom
by papermill with the ``python3`` kernel (working directory ``notebooks/``), and the executed
notebook is written next to it as ``NN_*.ipynb`` — the pair's output side. Papermill's run
metadata (timestamps, durations) is dropped and cell ids follow the cell order, so that a re-run
changes only what the cells print.

Parameters go through papermill's tagged ``parameters`` cell. With the defaults (the full
setting) the paired ``.ipynb`` is overwritten; a run with other parameters must name an
``--output-dir``, so that the committed outputs always hold the full setting.

Usage (from the repository root)::

    python scripts/run_notebooks.py                       # all notebooks, full setting, in place
    python scripts/run_notebooks.py 01 03                 # only those
    python scripts/run_notebooks.py -p SIZE small --output-dir /tmp/nb   # the CI setting
"""

from __future__ import annotations

import argparse
import ast
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"


def sources() -> list[Path]:
    """The percent-format notebook sources, in order (``NN_name.py``)."""
    return sorted(p for p in NB_DIR.glob("[0-9][0-9]_*.py"))


def strip_run_metadata(nb) -> None:
    """Drop papermill's and the kernel client's per-run metadata (timestamps, durations) and give
    the cells ids by position, so that a re-run changes only what the cells print."""
    nb.metadata.pop("papermill", None)
    for i, cell in enumerate(nb.cells):
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        cell["id"] = f"cell-{i:02d}"


def execute(source: Path, *, parameters: dict | None = None, timeout: int | None = None):
    """Execute one percent-format source; returns the executed ``nbformat`` notebook."""
    import jupytext
    import papermill

    nb = jupytext.read(source)
    nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})
    out = papermill.execute_notebook(nb, None, parameters=parameters or {}, cwd=str(NB_DIR),
                                     kernel_name="python3", progress_bar=False, execution_timeout=timeout)
    strip_run_metadata(out)
    return out


def _value(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("only", nargs="*", help="notebook name prefixes, e.g. 01 03 (default: all)")
    ap.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                    help="papermill parameter (Python literal or string), e.g. -p SIZE small")
    ap.add_argument("--output-dir", type=Path, help="write the executed notebooks here instead of notebooks/")
    ap.add_argument("--timeout", type=int, default=None, help="seconds per cell (default: none)")
    args = ap.parse_args(argv)
    params = {k: _value(v) for k, v in args.parameter}
    if params and args.output_dir is None:
        ap.error("parameters other than the defaults need --output-dir "
                 "(the committed .ipynb hold the default, full setting)")
    chosen = [p for p in sources() if not args.only or any(p.stem.startswith(o) for o in args.only)]
    if not chosen:
        ap.error(f"no notebook matches {args.only}; have {[p.stem for p in sources()]}")
    sys.path.insert(0, str(ROOT))
    import nbformat

    from prunegraph._io import write_text

    for src in chosen:
        t0 = time.perf_counter()
        nb = execute(src, parameters=params, timeout=args.timeout)
        dest = (args.output_dir or NB_DIR) / f"{src.stem}.ipynb"
        dest.parent.mkdir(parents=True, exist_ok=True)
        write_text(dest, nbformat.writes(nb) + "\n")
        print(f"{src.stem}: executed in {time.perf_counter() - t0:.0f} s -> {dest}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
