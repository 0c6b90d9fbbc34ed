"""``prunegraph fit``: fit every layer's degree distribution, read against the random-pruning null."""

from __future__ import annotations

import argparse
import csv
import io
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from ..errors import UsageError

HELP = "fit power laws to every layer's degrees, against the random-pruning null"
DESCRIPTION = """\
Fit the degree distributions of pruned networks by the Clauset-Shalizi-Newman method
(MLE, xmin by KS, optional bootstrap goodness of fit, likelihood-ratio tests against
lognormal, exponential, stretched exponential, cut-off power law, Poisson and binomial),
each layer read side by side with its random-pruning null at identical density.

With no CHECKPOINT, the reference checkpoints shipped in data/ are analysed.

examples:
  prunegraph fit
  prunegraph fit model.safetensors --json fit.json --bootstrap 0
  prunegraph fit a.pt b.pt --jobs 2 --kinds in,out,total --scope both --report
"""

log = logging.getLogger(__name__)

ALL_ALTERNATIVES = ("lognormal", "exponential", "stretched_exponential",
                    "truncated_power_law", "poisson", "binomial")


def reference_checkpoints() -> list[Path]:
    """The checkpoints shipped in the repository's ``data/`` folder (sorted)."""
    root = Path(os.environ.get("PRUNEGRAPH_DATA_DIR", Path(__file__).resolve().parents[2] / "data"))
    found = sorted(root.glob("*.safetensors"))
    if not found:
        raise UsageError(
            f"no reference checkpoints in {root}; run from a clone installed with "
            "'pip install -e .', set PRUNEGRAPH_DATA_DIR, or name a checkpoint: prunegraph fit PATH")
    return found


def _csv_list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoints", nargs="*", metavar="CHECKPOINT",
                   help="state_dict (.pt/.pth), checkpoint dict, or .safetensors; default: data/*.safetensors")
    p.add_argument("--kinds", type=_csv_list, default=["in", "out"],
                   help="degree kinds, comma-separated: in,out,total,strength (default in,out)")
    p.add_argument("--scope", choices=["layer", "network", "both"], default="layer",
                   help="fit each layer, the whole network, or both (default layer)")
    p.add_argument("--layers", default="*", metavar="GLOB", help="only layers whose name matches GLOB")
    p.add_argument("--bootstrap", type=int, default=100, metavar="N",
                   help="bootstrap resamples for the goodness-of-fit p-value (0 = none; default 100)")
    p.add_argument("--alternatives", type=_csv_list, default=list(ALL_ALTERNATIVES),
                   help="likelihood-ratio alternatives (default: all of " + ",".join(ALL_ALTERNATIVES) + ")")
    p.add_argument("--truncated", action=argparse.BooleanOptionalAction, default=False,
                   help="fit the doubly truncated power law, xmax = largest degree (default off)")
    p.add_argument("--null", action=argparse.BooleanOptionalAction, default=True,
                   help="analyse each layer's random-pruning null too (default on)")
    p.add_argument("--task", type=int, default=None, help="task id, for checkpoints with ownership buffers")
    p.add_argument("--seed", type=int, default=0, help="seed for bootstrap and nulls (default 0)")
    p.add_argument("--out", type=Path, default=Path("prunegraph-out"), metavar="DIR",
                   help="directory for figures and the report (default ./prunegraph-out)")
    p.add_argument("--figures", action=argparse.BooleanOptionalAction, default=True,
                   help="write CCDF and alpha figures (PNG+SVG) under --out (default on)")
    p.add_argument("--report", action="store_true", help="write a self-contained HTML report under --out")
    p.add_argument("--json", metavar="PATH", help="write results as JSON (- for stdout)")
    p.add_argument("--csv", metavar="PATH", help="write the table as CSV (- for stdout)")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="analyse checkpoints in N parallel processes (default 1)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the one-line summaries")


def _check(args) -> None:
    from ..analysis import KIND_MAP

    bad = [k for k in args.kinds if k not in KIND_MAP]
    if bad:
        raise UsageError(f"--kinds: unknown kind {bad[0]!r}; choose from {','.join(KIND_MAP)}")
    bad = [a for a in args.alternatives if a not in ALL_ALTERNATIVES]
    if bad:
        raise UsageError(f"--alternatives: unknown {bad[0]!r}; choose from {','.join(ALL_ALTERNATIVES)}")
    if args.bootstrap < 0:
        raise UsageError(f"--bootstrap must be >= 0, got {args.bootstrap}")
    if args.jobs < 1:
        raise UsageError(f"--jobs must be >= 1, got {args.jobs}")
    if args.json == "-" and args.csv == "-":
        raise UsageError("--json - and --csv - cannot both write to stdout; give one a file path")


def analyze_checkpoint(path: str, options: dict[str, Any]):
    """Load one checkpoint and analyse it; returns (ModelAnalysis, seconds by stage)."""
    from ..analysis import analyze
    from ..loading import stream_layers

    t0 = time.perf_counter()
    # layers are built one at a time while analysing: memory near the largest layer
    net = stream_layers(path, task=options.pop("task", None))
    t1 = time.perf_counter()
    result = analyze(net, **options)
    t2 = time.perf_counter()
    return result, {"load": t1 - t0, "fit": t2 - t1}


def run(args) -> int:
    _check(args)
    sources = [str(p) for p in (args.checkpoints or reference_checkpoints())]
    for s in sources:
        if not Path(s).exists():
            raise UsageError(f"{s}: no such file; give a .pt/.pth/.safetensors checkpoint")
    options = dict(kinds=args.kinds, scope=args.scope, layers=args.layers, bootstrap=args.bootstrap,
                   alternatives=args.alternatives, truncated=args.truncated, null=args.null,
                   rng=args.seed, task=args.task)
    stdout_used = "-" in (args.json, args.csv)
    say = (lambda *a, **k: print(*a, file=sys.stderr, **k)) if stdout_used else print
    progress = not args.quiet and sys.stderr.isatty()
    results, timings = _run_all(sources, options, jobs=args.jobs, progress=progress)

    for res in results:
        if not args.quiet:
            say(format_table(res))
        say(res.summary())

    written: list[Path] = []
    t0 = time.perf_counter()
    figures: dict[str, list[Path]] = {}
    if args.figures or args.report:
        figures = write_figures(results, args.out)
        written += [p for ps in figures.values() for p in ps]
    t_fig = time.perf_counter() - t0
    if args.report:
        written.append(write_html_report(results, figures, args.out / "report.html"))
    if args.json:
        payload = to_json(results)
        if args.json == "-":
            from .._io import dumps_json

            sys.stdout.write(dumps_json(payload))
        else:
            from .._io import write_json

            written.append(write_json(args.json, payload))
    if args.csv:
        text = to_csv(results)
        if args.csv == "-":
            sys.stdout.write(text)
        else:
            from .._io import write_text

            written.append(write_text(args.csv, text))
    if not args.quiet and written:
        dirs = sorted({str(p.parent) for p in written})
        say(f"wrote {len(written)} files under {', '.join(dirs)}")
    log.info("time: load %.2fs, fit %.2fs, figures %.2fs",
             sum(t["load"] for t in timings), sum(t["fit"] for t in timings), t_fig)
    return 0


def _run_all(sources: list[str], options: dict, *, jobs: int, progress: bool):
    if jobs == 1 or len(sources) == 1:
        # one checkpoint: the processes go to the bootstrap instead (same result for any n_jobs)
        out = []
        for s in sources:
            res, t = analyze_checkpoint(s, dict(options, progress=progress, n_jobs=jobs))
            out.append((res, t))
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        ctx = mp.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(jobs, len(sources)), mp_context=ctx) as pool:
            out = list(pool.map(analyze_checkpoint, sources, [dict(options) for _ in sources]))
    return [r for r, _ in out], [dict(t, source=s) for (_, t), s in zip(out, sources)]


# --------------------------------------------------------------------------- formatting

COLUMNS = [
    ("layer", "layer"), ("kind", "kind"), ("nodes", "nodes"), ("edges", "edges"),
    ("density", "dens"), ("dead", "dead"), ("alpha", "alpha±sigma"), ("xmin", "xmin"),
    ("xmax", "xmax"), ("span", "span"), ("n_tail", "n_tail"), ("ks_d", "KS D"), ("gof_p", "GoF p"),
    ("best_alt", "best alt (LR p)"), ("binom_p", "random p"), ("verdict", "verdict"), ("null_alpha", "null alpha"),
    ("null_verdict", "null verdict"), ("heavier_p", "heavier p"), ("heavier_q", "heavier q"),
]


def _f(v, spec: str = ".3g") -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        if v != v:
            return "nan"
        return format(v, spec)
    return str(v)


def row_cells(row: dict[str, Any]) -> list[str]:
    """Format one analysis row as the table's text cells."""
    alpha = "-" if row["alpha"] is None else f"{row['alpha']:.2f}±{row['sigma']:.2f}"
    null_alpha = "-" if row["null_alpha"] is None else f"{row['null_alpha']:.2f}±{row['null_sigma']:.2f}"
    best = "-" if row["best_alt"] is None else f"{row['best_alt']} ({_f(row['best_alt_p'], '.2g')})"
    vals = {
        **row, "alpha": alpha, "null_alpha": null_alpha, "best_alt": best,
        "density": _f(row["density"], ".3f"), "ks_d": _f(row["ks_d"], ".3f"),
        "gof_p": _f(row["gof_p"], ".2f"), "binom_p": _f(row["binom_p"], ".2g"), "heavier_p": _f(row["heavier_p"], ".2g"),
        "heavier_q": _f(row["heavier_q"], ".2g"),
        "xmin": _f(row["xmin"], "g"), "span": _f(row["span"], ".2g"), "xmax": _f(row["xmax"], "g"),
    }
    return [_f(vals[key]) if not isinstance(vals[key], str) else vals[key] for key, _ in COLUMNS]


def format_table(res) -> str:
    """The readable per-model table (plain text, aligned columns)."""
    header = [title for _, title in COLUMNS]
    body = [row_cells(r) for r in res.rows()]
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(header)]
    lines = [f"== {res.source}"]
    lines += [f"   note: {n}" for n in res.notes]
    fmt = "  ".join("{:<%d}" % w for w in widths)
    lines.append(fmt.format(*header))
    lines.append(fmt.format(*("-" * w for w in widths)))
    lines += [fmt.format(*b) for b in body]
    return "\n".join(lines)


def to_json(results) -> dict[str, Any]:
    """The documented, versioned JSON document (JSON Schema: prunegraph/fit_schema.json).

    Timings are left out on purpose: the same seed must give byte-identical JSON."""
    from .. import __version__
    from ..analysis import SCHEMA_VERSION

    return {
        "schema": "prunegraph.fit",
        "schema_version": SCHEMA_VERSION,
        "prunegraph_version": __version__,
        "models": [r.to_dict() for r in results],
    }


def to_csv(results) -> str:
    buf = io.StringIO()
    keys = ["model"] + list(results[0].rows()[0].keys()) if results and results[0].rows() else ["model"]
    w = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n")
    w.writeheader()
    for res in results:
        for row in res.rows():
            w.writerow({"model": res.source, **{k: ("" if v is None else v) for k, v in row.items()}})
    return buf.getvalue()


def _stem(source: str) -> str:
    return Path(source).stem if source else "model"


def write_figures(results, out: Path) -> dict[str, list[Path]]:
    """Per layer and kind a CCDF figure, per model an alpha summary; PNG and SVG."""
    from .. import plot

    figures: dict[str, list[Path]] = {}
    for res in results:
        stem = _stem(res.source)
        paths: list[Path] = []
        for r in res.results:
            best = next((c for c in r.observed.comparisons if c.alternative == r.observed.best_alternative), None)
            fig = plot.plot_ccdf(
                r.degrees,
                fit=None if r.observed.fit is None else r.observed.fit.to_dict(),
                alternative=None if best is None else best.to_dict(),
                null_degrees=r.null_degrees,
                title=f"{stem} · {r.layer} · {r.degree_kind}-degree")
            safe = r.layer.replace("/", "_").replace(".", "_")
            paths += plot.save_figure(fig, out / stem / f"ccdf_{safe}_{r.degree_kind}")
        fig = plot.plot_alpha_summary([dict(r.row(), layer_kind=r.layer_kind) for r in res.results],
                                      title=f"{stem}: alpha per layer, pruned vs random null")
        paths += plot.save_figure(fig, out / stem / "alpha_summary")
        figures[res.source] = paths
    return figures


def write_html_report(results, figures: dict[str, list[Path]], path: Path) -> Path:
    from ..report import write_report

    models = []
    for res in results:
        models.append({
            "name": res.source,
            "summary": res.summary(),
            "notes": list(res.notes),
            "table": res.rows(),
            "figures": [p for p in figures.get(res.source, []) if p.suffix == ".png"],
        })
    return write_report(path, title="prunegraph fit report", models=models)
