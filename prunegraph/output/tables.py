"""The fit results as text: ONE column table shared by the CLI and the HTML report.

:data:`COLUMNS` lists every column of a fit row once, in the order both the CLI table
(:func:`format_table`) and the report (:mod:`prunegraph.output.report`) show them: its row key,
a short CLI header, a name in words (the report's header), the plain-words explanation the
report's "How to read" section and ``prunegraph fit --help`` print, whether it is in the
compact view, and the one formatter of its cell.  :data:`ALTERNATIVE_LABELS` is the one label
table of the likelihood-ratio alternatives (used by the tables, the report and the figures).

Also here: the versioned JSON document (:func:`to_json`, JSON Schema
``prunegraph/fit_schema.json``) and CSV (:func:`to_csv`).
"""

from __future__ import annotations

import csv
import io
import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: The one display name of each likelihood-ratio alternative (CLI, report and figures).
ALTERNATIVE_LABELS: dict[str, str] = {
    "lognormal": "lognormal",
    "exponential": "exponential",
    "stretched_exponential": "stretched exponential",
    "truncated_power_law": "power law with exponential cut-off",  # not --truncated's law (an upper bound xmax)
    "poisson": "Poisson",
    "binomial": "binomial",
}

#: what each alternative is, in words (the report's "How to read")
ALTERNATIVE_HELP: dict[str, str] = {
    "lognormal": "ln k normal",
    "exponential": "p(k) ∝ e^(−λk)",
    "stretched_exponential": "survival e^(−λk^β)",
    "truncated_power_law": "a power law with an exponential cut-off, p(k) ∝ k^(−α) e^(−λk)",
    "poisson": "Poisson counts",
    "binomial": "Binomial(fan-in, density), what random pruning gives",
}

#: the default width of the compact CLI table (characters)
TABLE_WIDTH = 120


def alternative_label(name: str | None) -> str:
    """The one display name of an alternative (``"truncated_power_law"``, the ``powerlaw`` package's
    name, → ``"power law with exponential cut-off"``).

    Examples
    --------
    >>> alternative_label("stretched_exponential"), alternative_label(None)
    ('stretched exponential', '—')
    """
    if name is None:
        return "—"
    return ALTERNATIVE_LABELS.get(str(name), str(name).replace("_", " "))


# ----------------------------------------------------------------------------- formatters
def _num(v: Any) -> float | None:
    if v is None or isinstance(v, bool) or (isinstance(v, str) and v == ""):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def is_missing(v: Any) -> bool:
    """None, NaN or the empty string: a cell with nothing to show (an em dash)."""
    return v is None or (isinstance(v, str) and v == "") or (isinstance(v, float) and math.isnan(v))


def fmt_number(v: Any) -> str:
    """Any number for a cell: integers with thousands separators, floats to 4 significant
    digits, booleans as yes/no, missing as an em dash (text is returned as is).

    Examples
    --------
    >>> fmt_number(1234567), fmt_number(0.000123456), fmt_number(2.0), fmt_number(None)
    ('1,234,567', '0.0001235', '2', '—')
    """
    if is_missing(v):
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    f = _num(v)
    if f is None:
        return str(v)
    if f == round(f) and abs(f) < 1e12:
        return f"{int(round(f)):,}"
    return f"{f:.4g}"


def fmt_p(v: Any) -> str:
    """A p-value: ``<0.001`` below a thousandth, else two significant digits up to 0.01 and
    two decimals above.

    Examples
    --------
    >>> fmt_p(7.092e-214), fmt_p(0.0042), fmt_p(0.5), fmt_p(None)
    ('<0.001', '0.0042', '0.50', '—')
    """
    f = _num(v)
    if f is None:
        return "—"
    if f < 0.001:
        return "<0.001"
    return f"{f:.2g}" if f < 0.01 else f"{f:.2f}"


def fmt_estimate(value: Any, err: Any = None) -> str:
    """``value±err`` to two decimals (``—`` when missing).

    Examples
    --------
    >>> fmt_estimate(5.4912, 0.571), fmt_estimate(2.5), fmt_estimate(None, 0.1)
    ('5.49±0.57', '2.50', '—')
    """
    a = _num(value)
    if a is None:
        return "—"
    s = _num(err)
    return f"{a:.2f}" if s is None else f"{a:.2f}±{s:.2f}"


def at_bound(v: Any) -> bool:
    """Whether a row's ``hit_bound`` flag is set: True (Python or numpy), 1, or its CSV text.

    Examples
    --------
    >>> at_bound(True), at_bound("True"), at_bound(None), at_bound(float("nan")), at_bound(False)
    (True, True, False, False, False)
    """
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes")
    try:
        return v is not None and float(v) == 1.0
    except (TypeError, ValueError):
        return False


def fmt_alpha(value: Any, err: Any = None, hit_bound: Any = False) -> str:
    """A fitted exponent: ``value±err`` (:func:`fmt_estimate`), or ``≥100 (bound)`` when the
    maximum-likelihood search stopped at its upper bound (``PowerLawFit.hit_bound``: the value
    is the bound, not a measured exponent, and its σ means nothing).

    Examples
    --------
    >>> fmt_alpha(5.4912, 0.571), fmt_alpha(100.0, 14.1, True), fmt_alpha(None, None, True)
    ('5.49±0.57', '≥100 (bound)', '—')
    """
    a = _num(value)
    if a is not None and at_bound(hit_bound):
        return f"≥{a:g} (bound)"
    return fmt_estimate(value, err)


def fmt_int(v: Any) -> str:
    """An integer count with thousands separators.

    Examples
    --------
    >>> fmt_int(18816), fmt_int(None), fmt_int(6.0)
    ('18,816', '—', '6')
    """
    f = _num(v)
    return "—" if f is None else f"{int(round(f)):,}"


def fmt_density(v: Any) -> str:
    """A density as a percentage, one decimal (two significant digits under 1 %).

    Examples
    --------
    >>> fmt_density(0.0802), fmt_density(0.594), fmt_density(1.0), fmt_density(None)
    ('8.0%', '59.4%', '100%', '—')
    """
    f = _num(v)
    if f is None:
        return "—"
    pct = 100 * f
    return "100%" if pct >= 99.95 else f"{pct:.1f}%" if pct >= 1 else f"{pct:.2g}%"


def fmt_span(v: Any) -> str:
    """The tail's span (largest degree / xmin) as a factor: ``×1.8``.

    Examples
    --------
    >>> fmt_span(1.818), fmt_span(12.34), fmt_span(None)
    ('×1.8', '×12', '—')
    """
    f = _num(v)
    return "—" if f is None else f"×{f:.2g}"


def fmt_plain(v: Any, spec: str = ".3g") -> str:
    """A number to ``spec`` (``—`` when missing).

    Examples
    --------
    >>> fmt_plain(0.07412, ".3f"), fmt_plain(None)
    ('0.074', '—')
    """
    f = _num(v)
    if f is None:
        return "—" if v is None or isinstance(v, float) else str(v)
    if spec == "g" and f == round(f):
        return f"{int(f)}"
    return format(f, spec)


def fmt_text(v: Any) -> str:
    """Text for a cell; missing (None or empty) as an em dash."""
    return "—" if v is None or v == "" else str(v)



def _best_alt(r: Mapping[str, Any]) -> str:
    name = r.get("best_alt")
    if name is None:
        return "—"
    if r.get("best_alt_p") is None:  # no test ran (e.g. "not needed": the verdict did not depend on one)
        return alternative_label(name)
    return f"{alternative_label(name)} (p {fmt_p(r.get('best_alt_p'))})"


# ----------------------------------------------------------------------------- the columns
@dataclass(frozen=True)
class Column:
    """One column of the fit table (CLI and report alike)."""

    key: str                                   # the row key it is named by
    short: str                                 # CLI header
    name: str                                  # header in words (report)
    help: str                                  # what it means (report's "How to read", --help)
    cell: Callable[[Mapping[str, Any]], str]   # the one formatter of its cell
    compact: bool = False                      # shown in the compact (default) view
    numeric: bool = True                       # right-aligned in the report
    keys: tuple[str, ...] = ()                 # every row key it reads (default: key)

    def reads(self) -> tuple[str, ...]:
        return self.keys or (self.key,)


COLUMNS: tuple[Column, ...] = (
    Column("layer", "layer", "layer", "the layer's module path (\"network\" for the whole network)",
           lambda r: fmt_text(r.get("layer")), compact=True, numeric=False),
    Column("kind", "kind", "degree", "which degree: in (edges into a unit), out (edges out of it), "
           "total, or strength (sum of |w|)", lambda r: fmt_text(r.get("kind")), compact=True, numeric=False),
    Column("wiring", "wiring", "wiring", "how the layer's place in the network is known: traced from the "
           "model, config from a Hugging Face config.json, names? or shapes? guessed from a bare state_dict "
           "(shown in the compact view only when a layer was guessed)",
           lambda r: fmt_text(r.get("wiring")), numeric=False),
    Column("nodes", "nodes", "units", "units (nodes) on both sides of the layer",
           lambda r: fmt_int(r.get("nodes"))),
    Column("edges", "edges", "edges", "edges of the unit graph: connections between two units with at "
           "least one weight left (for a convolution: kernels with a nonzero weight)",
           lambda r: fmt_int(r.get("edges"))),
    Column("density", "dens", "edge density", "edges / possible edges between the layer's units; for a "
           "convolution a kernel counts once, however many of its weights survive",
           lambda r: fmt_density(r.get("density")), compact=True),
    Column("weight_density", "w.dens", "weight density", "nonzero weights / all weights of the layer "
           "(what 'pruned to 9 %' counts); equals the edge density for Linear layers",
           lambda r: fmt_density(r.get("weight_density")), compact=True),
    Column("dead", "dead", "dead units", "units of degree 0: counted, never fitted",
           lambda r: fmt_int(r.get("dead"))),
    Column("alpha", "α±σ", "exponent α ± σ", "the power-law exponent fitted by maximum likelihood to the "
           "tail k ≥ xmin (p(k) ∝ k^−α), with its standard error; scale-free networks have 2 ≤ α ≤ 3; "
           "'≥100 (bound)': the search stopped at its upper bound α = 100, the tail falls faster than "
           "any power law in range (not a measured exponent; CSV/JSON hit_bound)",
           lambda r: fmt_alpha(r.get("alpha"), r.get("sigma"), r.get("hit_bound")), compact=True,
           keys=("alpha", "sigma", "hit_bound")),
    Column("xmin", "xmin", "tail starts at", "xmin: the smallest degree of the fitted tail, chosen to "
           "minimise the KS distance", lambda r: fmt_plain(r.get("xmin"), "g"), compact=True),
    Column("xmax", "xmax", "tail ends at", "xmax: the truncation point of a doubly truncated fit "
           "(— when untruncated)", lambda r: fmt_plain(r.get("xmax"), "g")),
    Column("span", "span", "tail span", "largest degree / xmin: over how wide a range the power law is "
           "claimed (×2 is a narrow range; scale-free claims need decades)",
           lambda r: fmt_span(r.get("span")), compact=True),
    Column("n_tail", "tail", "units in tail", "how many units have degree ≥ xmin (the fitted tail)",
           lambda r: fmt_int(r.get("n_tail")), compact=True),
    Column("ks_d", "KS D", "KS distance", "Kolmogorov–Smirnov distance between the tail and the fitted law",
           lambda r: fmt_plain(r.get("ks_d"), ".3f")),
    Column("gof_p", "GoF p", "power-law fit p", "bootstrap goodness of fit: the share of synthetic power-law "
           "samples that fit worse than the data (> 0.1: a power law is plausible, ≤ 0.1: rejected)",
           lambda r: fmt_p(r.get("gof_p")), compact=True),
    Column("best_alt", "best alternative (LR p)", "closest alternative (LR p)",
           "the alternative distribution with the lowest log-likelihood ratio R against the power law, "
           "and Vuong's p (it is preferred only when R < 0 and p < 0.1/m, Bonferroni over the m "
           "alternatives tested)", _best_alt, numeric=False, keys=("best_alt", "best_alt_p")),
    Column("binom_p", "random p", "random-pruning law p", "test of Binomial(fan-in, density), the degree "
           "law of random pruning, on all units (small: the degrees are not those of random pruning)",
           lambda r: fmt_p(r.get("binom_p"))),
    Column("null_alpha", "null α±σ", "null exponent α ± σ", "the same fit on this layer pruned at random to "
           "the same density (the random-pruning null)",
           lambda r: fmt_alpha(r.get("null_alpha"), r.get("null_sigma"), r.get("null_hit_bound")),
           keys=("null_alpha", "null_sigma", "null_hit_bound")),
    Column("null_verdict", "null verdict", "null verdict", "the verdict on the random-pruning null",
           lambda r: fmt_text(r.get("null_verdict")), numeric=False),
    Column("heavier_p", "heavier p", "heavier than null p", "one-sided test that this layer's upper tail "
           "is heavier than its random-pruning null's, a permutation p before correction for testing many "
           "sequences", lambda r: fmt_p(r.get("heavier_p"))),
    Column("heavier_q", "heavier q", "heavier than null q", "the heavier-than-null p corrected for testing "
           "every sequence of the model (Benjamini–Hochberg q; q < 0.05 decides: pruning made a heavier "
           "tail than random pruning does)", lambda r: fmt_p(r.get("heavier_q")), compact=True),
    Column("var_ratio", "var ratio", "variance ratio", "variance of the degrees / variance of the null's "
           "degrees (above 1: more spread than random pruning)",
           lambda r: fmt_plain(r.get("var_ratio"), ".3g")),
    Column("verdict", "verdict", "verdict",
           "what the tests say together (one classifier, prunegraph.fit.classify; rules in the README's "
           "Verdicts section)",
           lambda r: fmt_text(r.get("verdict")), compact=True, numeric=False),
)

#: every row key some column reads
KNOWN_KEYS = frozenset(k for c in COLUMNS for k in c.reads()) | {
    "best_alt_p", "verdict_code", "null_verdict_code"}

#: a fit-table row: a :class:`prunegraph.analysis.FitRow` or its ``to_dict()`` (or a hand-made dict)
Row = Any


def as_row(row: Row) -> Mapping[str, Any]:
    """The row dict of a :class:`~prunegraph.analysis.FitRow` (a dict is returned as is)."""
    return row.to_dict() if hasattr(row, "to_dict") else row


def columns_for(rows: Sequence[Row], *, wide: bool = False) -> list[Column]:
    """The columns to show for ``rows``: every column with data (``wide``) or the compact ones.

    A column none of whose keys any row carries is dropped, and so is the weight density when it
    equals the edge density on every row (no layer folds several weights into one edge).

    Examples
    --------
    >>> [c.key for c in columns_for([{"layer": "fc", "kind": "in", "density": 0.1,
    ...                                "weight_density": 0.1, "verdict": "x"}])]
    ['layer', 'kind', 'density', 'verdict']
    """
    rows = [as_row(r) for r in rows]
    cols = [c for c in COLUMNS if (wide or c.compact) and any(k in row for row in rows for k in c.reads())]

    def same(row):
        a, b = _num(row.get("density")), _num(row.get("weight_density"))
        return b is None or (a is not None and abs(a - b) < 5e-4)

    if all(same(r) for r in rows):
        cols = [c for c in cols if c.key != "weight_density"]
    if not wide and any(str(r.get("wiring") or "").endswith("?") for r in rows):
        # a guessed place in the network is worth the compact view's room
        at = next(i for i, c in enumerate(cols) if c.key == "kind") + 1
        cols.insert(at, next(c for c in COLUMNS if c.key == "wiring"))
    return cols


def row_cells(row: Row, columns: Sequence[Column] | None = None) -> list[str]:
    """Format one analysis row as text cells of ``columns`` (default: all of :data:`COLUMNS`)."""
    row = as_row(row)
    return [c.cell(row) for c in (COLUMNS if columns is None else columns)]


def format_rows(rows: Sequence[Row], *, wide: bool = False,
                width: int | None = TABLE_WIDTH) -> str:
    """Aligned plain-text table of ``rows``; the last column (the verdict) wraps so that no line
    is longer than ``width`` (``None``: never wrap; ``wide`` implies ``None``).

    Examples
    --------
    >>> print(format_rows([{"layer": "fc1", "kind": "in", "alpha": 2.5, "sigma": 0.1,
    ...                     "verdict": "power law plausible"}]))
    layer  kind  α±σ        verdict
    -----  ----  ---------  -------------------
    fc1    in    2.50±0.10  power law plausible
    """
    cols = columns_for(rows, wide=wide)
    header = [c.short for c in cols]
    body = [row_cells(r, cols) for r in rows]
    widths = [max([len(h)] + [len(b[i]) for b in body]) for i, h in enumerate(header)]
    if width is not None and not wide and len(widths) > 1:
        room = width - sum(widths[:-1]) - 2 * (len(widths) - 1)
        widths[-1] = max(len(header[-1]), min(widths[-1], room), 12)
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    for b in body:
        last = textwrap.wrap(b[-1], widths[-1]) or [""]
        lines.append("  ".join(c.ljust(w) for c, w in zip(b[:-1] + [last[0]], widths)).rstrip())
        indent = " " * (sum(widths[:-1]) + 2 * (len(widths) - 1))
        lines += [indent + more for more in last[1:]]
    return "\n".join(lines)


def format_table(res, *, wide: bool = False, width: int | None = TABLE_WIDTH) -> str:
    """The readable per-model table: a heading, the notes, the aligned columns."""
    from ..checkpoint import display_source

    lines = [f"== {display_source(res.source)}"]
    lines += [f"   note: {n}" for n in res.notes]
    rows = res.fit_rows()
    lines.append(format_rows(rows, wide=wide, width=width) if rows else "   (no degree sequences fitted)")
    return "\n".join(lines)


def columns_help(*, compact_only: bool = False) -> str:
    """Per column ``short  meaning``, wrapped to 92 characters (for ``--help`` and docs)."""
    out = []
    for c in COLUMNS:
        if compact_only and not c.compact:
            continue
        head = ("*" if c.compact else " ") + c.short
        if len(head) > 12:
            out.append("  " + head)
            head = ""
        out.append(textwrap.fill(c.help, 92, initial_indent=f"  {head:<12} ", subsequent_indent=" " * 15))
    return "\n".join(out)


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


def format_blocks(res) -> str:
    """Transformer blocks against depth: attention vs MLP, median alpha and verdict counts
    (:func:`prunegraph.analysis.block_summary`); empty text for a model without blocks."""
    from ..analysis import block_summary

    rows = block_summary(res)
    if not rows:
        return ""
    from ..checkpoint import display_source

    lines = [f"== {display_source(res.source)}: per block (median alpha over fitted sequences, those at "
             "the fit's bound left out; verdicts)",
             "depth  block                          group      kind  alpha  verdicts"]
    for b in rows:
        verdicts = ", ".join(f"{n} {v}" for v, n in sorted(b.verdicts.items(), key=lambda kv: -kv[1]))
        if any(b.at_bound):
            verdicts += f"; {sum(map(bool, b.at_bound))} α at the fit's bound (≥100)"
        lines.append(f"{b.depth:<5}  {b.block:<30} {b.group:<10} {b.degree_kind:<5} "
                     f"{fmt_plain(b.alpha_median, '.2f'):<5}  {verdicts}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- machine formats
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


__all__ = ["COLUMNS", "Column", "ALTERNATIVE_LABELS", "alternative_label", "columns_for", "row_cells",
           "format_rows", "format_table", "columns_help", "fmt_number", "fmt_p", "fmt_estimate", "fmt_alpha",
           "at_bound", "fmt_int",
           "fmt_density", "fmt_span", "fmt_plain", "to_json", "to_csv", "format_range", "format_blocks"]
