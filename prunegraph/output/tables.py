"""The fit results as text: the aligned table the CLI prints (:func:`format_table`), the
versioned JSON document (:func:`to_json`, JSON Schema ``prunegraph/fit_schema.json``) and CSV
(:func:`to_csv`)."""

from __future__ import annotations

import csv
import io
from typing import Any

COLUMNS = [
    ("layer", "layer"), ("kind", "kind"), ("wiring", "wiring"), ("nodes", "nodes"), ("edges", "edges"),
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


def format_range(values, spec: str = ".2f") -> str:
    """The range of ``values`` in words, for summaries: ``"lo to hi"``, one value when both
    ends print alike, ``"n/a"`` when nothing is left after dropping None and NaN.

    Examples
    --------
    >>> format_range([0.331, None, 0.69, float("nan"), 0.35])
    '0.33 to 0.69'
    >>> format_range([2, 2.0001], "g"), format_range([])
    ('2 to 2.0001', 'n/a')
    >>> format_range([1.0, 1.001], ".1f")
    '1.0'
    """
    kept = [float(v) for v in values if v is not None and float(v) == float(v)]
    if not kept:
        return "n/a"
    lo, hi = format(min(kept), spec), format(max(kept), spec)
    return lo if lo == hi else f"{lo} to {hi}"


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
    """Every row of every model as CSV (a ``model`` column first; missing values empty)."""
    buf = io.StringIO()
    keys = ["model"] + list(results[0].rows()[0].keys()) if results and results[0].rows() else ["model"]
    w = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n")
    w.writeheader()
    for res in results:
        for row in res.rows():
            w.writerow({"model": res.source, **{k: ("" if v is None else v) for k, v in row.items()}})
    return buf.getvalue()


def format_blocks(res) -> str:
    """Transformer blocks against depth: attention vs MLP, median alpha and verdict counts
    (:func:`prunegraph.analysis.block_summary`); empty text for a model without blocks."""
    from ..analysis import block_summary

    rows = block_summary(res)
    if not rows:
        return ""
    lines = [f"== {res.source}: per block (median alpha over fitted sequences; verdicts)",
             "depth  block                          group      kind  alpha  verdicts"]
    for b in rows:
        verdicts = ", ".join(f"{n} {v}" for v, n in sorted(b.verdicts.items(), key=lambda kv: -kv[1]))
        lines.append(f"{b.depth:<5}  {b.block:<30} {b.group:<10} {b.degree_kind:<5} "
                     f"{_f(b.alpha_median, '.2f'):<5}  {verdicts}")
    return "\n".join(lines)


__all__ = ["COLUMNS", "row_cells", "format_table", "format_blocks", "to_json", "to_csv", "format_range"]
