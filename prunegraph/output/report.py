"""A self-contained HTML report of power-law fits: tables and embedded figures.

One file, no external assets: figures are embedded as ``data:`` URIs (PNG rendered from
matplotlib Figures, or PNG/SVG/JPEG files read from disk), the CSS is inline, every piece of
text is escaped with :func:`html.escape`, and the file is written atomically
(:func:`prunegraph._io.write_text`).  The markup is well-formed XML as well as HTML5
(void elements self-closed), so it can be checked with any XML parser.

The report takes plain data: per model a name, a summary line, a table of row dicts (the
``rows()`` of :class:`prunegraph.analysis.ModelAnalysis`, or hand-made) and a list of figures.
"""

from __future__ import annotations

import base64
import html
import math
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from .._io import write_text
from ..errors import InputError, UsageError

__all__ = ["write_report", "render_report", "write_html_report", "COLUMNS"]


# ----------------------------------------------------------------------------- formatting
def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and v == ""


def _as_float(v: Any) -> float | None:
    if _is_missing(v) or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def fmt_number(v: Any) -> str:
    """A number for a table cell: integers with thousands separators, floats to 4 significant
    digits, booleans as yes/no, missing as an em dash.

    Examples
    --------
    >>> fmt_number(1234567), fmt_number(0.000123456), fmt_number(2.0), fmt_number(None)
    ('1,234,567', '0.0001235', '2', '—')
    """
    if _is_missing(v):
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    f = _as_float(v)
    if f is None:
        return str(v)
    if f == round(f) and abs(f) < 1e12:
        return f"{int(round(f)):,}"
    return f"{f:.4g}"


def fmt_p(v: Any) -> str:
    """A p-value: ``< 0.001`` below a thousandth, three decimals otherwise.

    Examples
    --------
    >>> fmt_p(0.00002), fmt_p(0.0421), fmt_p(0.5), fmt_p(None)
    ('< 0.001', '0.042', '0.500', '—')
    """
    f = _as_float(v)
    if f is None:
        return "—"
    return "< 0.001" if f < 0.001 else f"{f:.3f}"


def fmt_estimate(value: Any, err: Any = None) -> str:
    """``value ± err`` with the error to two significant digits and the value to match.

    Examples
    --------
    >>> fmt_estimate(2.34567, 0.0456), fmt_estimate(2.5, None), fmt_estimate(None, 0.1)
    ('2.346 ± 0.046', '2.50', '—')
    """
    a = _as_float(value)
    if a is None:
        return "—"
    s = _as_float(err)
    if s is None or s <= 0:
        return f"{a:.2f}"
    decimals = min(6, max(2, 1 - int(math.floor(math.log10(s)))))
    return f"{a:.{decimals}f} ± {s:.{decimals}f}"


def _fmt_density(v: Any) -> str:
    f = _as_float(v)
    if f is None:
        return "—"
    return f"{100 * f:.3g} %"


def _fmt_short(v: Any) -> str:
    f = _as_float(v)
    if f is None:
        return "—" if _is_missing(v) else str(v)
    return f"{f:.3f}"


def _fmt_3g(v: Any) -> str:
    f = _as_float(v)
    return "—" if f is None else f"{f:.3g}"


def _get(row: Mapping[str, Any], *keys: str) -> Any:
    for k in keys:
        if k in row and not _is_missing(row[k]):
            return row[k]
    return None


def _alt_cell(row: Mapping[str, Any]) -> str:
    name = _get(row, "best_alt", "best_alternative")
    if name is None:
        return "—"
    name = str(name).replace("_", " ")
    p = fmt_p(_get(row, "best_alt_p", "lr_p", "lr_p_value"))
    if p == "—":
        return name
    return f"{name} (p {p})" if p.startswith("<") else f"{name} (p = {p})"


#: (heading, keys the column reads, cell formatter, tooltip) — the report table's columns in order.
COLUMNS: tuple[tuple[str, tuple[str, ...], Callable[[Mapping[str, Any]], str], str], ...] = (
    ("layer", ("layer",), lambda r: str(_get(r, "layer") or "—"), "module path of the layer"),
    ("degree", ("kind", "degree_kind"), lambda r: str(_get(r, "kind", "degree_kind") or "—"),
     "degree kind: in, out, total or strength"),
    ("nodes", ("nodes",), lambda r: fmt_number(_get(r, "nodes")), "units in the sequence"),
    ("edges", ("edges",), lambda r: fmt_number(_get(r, "edges")), "surviving weights"),
    ("density", ("density",), lambda r: _fmt_density(_get(r, "density")), "edges / possible edges"),
    ("dead", ("dead", "n_dead"), lambda r: fmt_number(_get(r, "dead", "n_dead")),
     "units of degree 0, left out of the fit"),
    ("α ± σ", ("alpha", "sigma"), lambda r: fmt_estimate(_get(r, "alpha"), _get(r, "sigma")),
     "fitted power-law exponent and its standard error"),
    ("xmin", ("xmin",), lambda r: fmt_number(_get(r, "xmin")), "start of the fitted tail"),
    ("xmax", ("xmax",), lambda r: fmt_number(_get(r, "xmax")), "upper truncation (— if none)"),
    ("n tail", ("n_tail",), lambda r: fmt_number(_get(r, "n_tail")), "values in the fitted tail"),
    ("KS D", ("ks_d", "ks_distance"), lambda r: _fmt_short(_get(r, "ks_d", "ks_distance")),
     "Kolmogorov–Smirnov distance of the tail from the fit"),
    ("GoF p", ("gof_p", "p_value"), lambda r: fmt_p(_get(r, "gof_p", "p_value")),
     "bootstrap goodness-of-fit p (> 0.1: plausible)"),
    ("best alternative (LR p)", ("best_alt", "best_alternative", "best_alt_p", "lr_p", "lr_p_value"),
     _alt_cell, "alternative closest to beating the power law, with its likelihood-ratio p"),
    ("verdict", ("verdict", "verdict_code"), lambda r: str(_get(r, "verdict") or "—"), "reading of the tests"),
    ("null α ± σ", ("null_alpha", "null_sigma"),
     lambda r: fmt_estimate(_get(r, "null_alpha"), _get(r, "null_sigma")),
     "the same fit on the random-pruning null"),
    ("null verdict", ("null_verdict", "null_verdict_code"), lambda r: str(_get(r, "null_verdict") or "—"),
     "verdict on the random-pruning null"),
    ("heavier than null p", ("heavier_p", "heavier_q"), lambda r: fmt_p(_get(r, "heavier_p")),
     "permutation p of the test that the observed upper tail is heavier than the null's "
     "(Benjamini–Hochberg q over the model's sequences decides)"),
    ("var ratio", ("var_ratio",), lambda r: _fmt_3g(_get(r, "var_ratio")),
     "variance of observed degrees / variance of null degrees"),
)


def _verdict_class(row: dict, code_key: str) -> str:
    """CSS class of a verdict cell from the row's machine verdict code (the one table in
    :mod:`prunegraph.fit.verdict`); rows without a code get none."""
    from ..fit.verdict import VERDICT_TEXT, Verdict

    code = row.get(code_key)
    try:
        return VERDICT_TEXT[Verdict(code)].css
    except ValueError:
        return ""


# ----------------------------------------------------------------------------- figures
_MIME = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


def _figure_uri(fig: Any, where: str) -> tuple[str, str]:
    """(data URI, default caption) of a matplotlib Figure or an image file."""
    if hasattr(fig, "savefig"):
        from .plot import figure_png_bytes

        data = figure_png_bytes(fig)
        caption = ""
        for ax in getattr(fig, "axes", []):
            if ax.get_title():
                caption = ax.get_title()
                break
        return "data:image/png;base64," + base64.b64encode(data).decode("ascii"), caption
    if isinstance(fig, (str, os.PathLike)):
        path = Path(fig)
        mime = _MIME.get(path.suffix.lower())
        if mime is None:
            raise UsageError(f"{where}: {path} is not a PNG, SVG or JPEG file; pass a Figure or an image path")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{where}: cannot read {path} ({exc.strerror or exc}); check the path") from None
        if mime == "image/png" and not data.startswith(b"\x89PNG\r\n\x1a\n"):
            raise InputError(f"{where}: {path} is not a valid PNG file; regenerate it")
        return f"data:{mime};base64," + base64.b64encode(data).decode("ascii"), path.stem
    raise UsageError(f"{where}: expected a matplotlib Figure or a path to a PNG/SVG, got {type(fig).__name__}")


def _figures_html(figures: Iterable[Any], where: str) -> list[str]:
    out = []
    for i, item in enumerate(figures or ()):
        caption = None
        if isinstance(item, Mapping):
            if "figure" not in item:
                raise UsageError(f"{where} figure {i}: a dict needs the key 'figure'; pass {{'figure': ..., 'caption': ...}}")
            caption = item.get("caption")
            item = item["figure"]
        uri, default = _figure_uri(item, f"{where} figure {i}")
        caption = default if caption is None else str(caption)
        alt = caption or f"figure {i + 1}"
        out.append(
            f'<figure><img src="{uri}" alt="{html.escape(alt)}"/>'
            + (f"<figcaption>{html.escape(caption)}</figcaption>" if caption else "")
            + "</figure>"
        )
    return out


# ----------------------------------------------------------------------------- tables
def _table_html(rows: Sequence[Mapping[str, Any]], where: str) -> str:
    rows = list(rows or ())
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise UsageError(f"{where} table row {i}: expected a dict, got {type(row).__name__}; pass row dicts")
    if not rows:
        return '<p class="empty">No degree sequences were fitted.</p>'
    known = {k for _, keys, _, _ in COLUMNS for k in keys}
    cols = [c for c in COLUMNS if any(k in row for row in rows for k in c[1])]
    extras: list[str] = []
    for row in rows:
        for k in row:
            if k not in known and k not in extras:
                extras.append(k)
    head = "".join(f'<th title="{html.escape(tip)}">{html.escape(name)}</th>' for name, _, _, tip in cols)
    head += "".join(f"<th>{html.escape(str(k))}</th>" for k in extras)
    body = []
    for row in rows:
        cells = []
        for name, _, fmt, _ in cols:
            text = fmt(row)
            cls = ""
            if name in ("verdict", "null verdict"):
                cls = _verdict_class(row, "verdict_code" if name == "verdict" else "null_verdict_code")
            elif name != "layer" and name != "degree" and name != "best alternative (LR p)":
                cls = "num"
            cells.append(f'<td class="{cls}">{html.escape(text)}</td>' if cls else f"<td>{html.escape(text)}</td>")
        for k in extras:
            v = row.get(k)
            text = fmt_number(v) if _as_float(v) is not None or _is_missing(v) else str(v)
            cells.append(f"<td>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return ('<div class="scroll"><table><thead><tr>' + head + "</tr></thead><tbody>"
            + "".join(body) + "</tbody></table></div>")


# ----------------------------------------------------------------------------- page
_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       margin: 2rem auto; max-width: 78rem; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; margin-top: 2.2rem; }
.summary { color: #444; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.8rem 0; }
th, td { border-bottom: 1px solid #e4e4e4; padding: 0.3rem 0.55rem; text-align: left; white-space: nowrap; }
th { background: #f5f5f5; font-weight: 600; cursor: help; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.v-yes { color: #0b6e4f; }
td.v-no { color: #9b2226; }
td.v-alt { color: #7a5200; }
tbody tr:hover { background: #fafafa; }
.figures { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; max-width: 36rem; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.85rem; color: #555; }
.notes { font-size: 0.85rem; color: #555; }
.howto dt { font-weight: 600; margin-top: 0.5rem; }
.howto dd { margin-left: 1rem; }
nav ul { padding-left: 1.2rem; }
footer { margin-top: 3rem; font-size: 0.8rem; color: #777; }
"""

_HOWTO = (
    ("α (alpha) ± σ",
     "The exponent of the power law p(k) ∝ k^−α fitted to the tail of the degree distribution by "
     "maximum likelihood, with its standard error σ. Larger α means a lighter tail; most "
     "scale-free networks in the literature have 2 ≤ α ≤ 3. A note ‘α at bound’ means the "
     "optimiser stopped at the edge of its search range and the value is unreliable."),
    ("xmin and xmax",
     "The power law is only claimed for degrees k ≥ xmin; xmin is chosen to make the fitted law "
     "and the data agree best (smallest KS distance D). ‘n tail’ counts the units in that range. "
     "Degrees are bounded by the layer width, so a fit may also be truncated at xmax."),
    ("GoF p",
     "Goodness of fit: the share of synthetic data sets, drawn from the fitted law, that fit "
     "worse than the real data. p > 0.1: a power law is plausible; p ≤ 0.1: it is ruled out. "
     "A plausible power law is not proof of one — other distributions may fit as well."),
    ("Best alternative (LR p)",
     "Likelihood-ratio tests on the same tail against a lognormal, exponential, stretched "
     "exponential, power law with cut-off, and Poisson/binomial. R > 0 favours the power law, "
     "R < 0 the alternative; the p-value says whether the sign of R can be trusted (p < 0.1/m, "
     "Bonferroni over the m alternatives tested; the cut-off power law and the stretched "
     "exponential contain the power law as a boundary case and use the ½χ²₀ + ½χ²₁ mixture). "
     "A large p means the data cannot tell the two apart."),
    ("The random-pruning null",
     "The same edges placed at random among the layer’s units (structurally dead units left "
     "out). Random pruning gives binomial, light-tailed degrees; ‘random p’ tests that law on "
     "the whole sequence and on its largest degrees (so hubs are not pooled away), and only a "
     "sequence that passes is called ‘consistent with random pruning’. ‘Heavier than null p’ is "
     "a one-sided permutation test of the upper tail against the null’s; its Benjamini–Hochberg "
     "q over all sequences of the model (q < 0.05) decides. A tail clearly heavier than the "
     "null’s owes that structure to training and pruning, not to sparsity alone."),
    ("Figures",
     "The CCDF plots show P(K ≥ k), the share of alive units with degree at least k, on log–log "
     "axes; a power law is a straight line there. Dead units (degree 0) are left out and counted "
     "in the corner. The grey points are the random-pruning null."),
)


def render_report(*, title: str, models: Sequence[Mapping[str, Any]], intro: str = "") -> str:
    """Render the report as an HTML string (see :func:`write_report`)."""
    if not isinstance(title, str):
        raise UsageError("write_report: title must be a string")
    models = list(models or ())
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"/>',
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>',
        '<meta name="generator" content="prunegraph"/>',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{html.escape(title)}</h1>",
    ]
    if intro:
        parts.append(f'<p class="summary">{html.escape(intro)}</p>')
    parts.append('<p class="notes"><a href="#how-to-read">How to read this report</a></p></header>')
    ids = []
    for i, model in enumerate(models):
        if not isinstance(model, Mapping):
            raise UsageError(f"write_report: models[{i}] must be a dict with name, summary, table, figures")
        if _is_missing(model.get("name")):
            raise UsageError(f"write_report: models[{i}] has no 'name'; give each model a name")
        ids.append(f"model-{i + 1}")
    if len(models) > 1:
        parts.append("<nav><ul>" + "".join(
            f'<li><a href="#{mid}">{html.escape(str(m["name"]))}</a></li>' for mid, m in zip(ids, models)
        ) + "</ul></nav>")
    if not models:
        parts.append('<p class="empty">No models were analysed.</p>')
    for mid, model in zip(ids, models):
        name = str(model["name"])
        where = f"write_report: model {name!r}"
        parts.append(f'<section id="{mid}"><h2>{html.escape(name)}</h2>')
        if not _is_missing(model.get("summary")):
            parts.append(f'<p class="summary">{html.escape(str(model["summary"]))}</p>')
        notes = model.get("notes") or ()
        if isinstance(notes, str):
            notes = (notes,)
        if notes:
            parts.append('<ul class="notes">' + "".join(f"<li>{html.escape(str(n))}</li>" for n in notes) + "</ul>")
        parts.append(_table_html(model.get("table", model.get("rows")), where))
        figs = _figures_html(model.get("figures") or (), where)
        if figs:
            parts.append('<div class="figures">' + "".join(figs) + "</div>")
        parts.append("</section>")
    parts.append('<section id="how-to-read" class="howto"><h2>How to read this</h2><dl>')
    parts.extend(f"<dt>{html.escape(t)}</dt><dd>{html.escape(d)}</dd>" for t, d in _HOWTO)
    parts.append("</dl><p class=\"notes\">Method: Clauset, Shalizi &amp; Newman, "
                 "“Power-law distributions in empirical data”, SIAM Review 51 (2009) 661–703; "
                 "Vuong’s normalised likelihood-ratio test; truncated fits after Deluca &amp; "
                 "Corral, Acta Geophysica 61 (2013).</p></section>")
    from .. import __version__

    parts.append(f"<footer>Written by prunegraph {html.escape(__version__)}.</footer></body></html>")
    return "\n".join(parts) + "\n"


def write_report(path: str | os.PathLike, *, title: str, models: Sequence[Mapping[str, Any]],
                 intro: str = "") -> Path:
    """Write one self-contained HTML report of per-layer power-law fits.

    Parameters
    ----------
    path : str or Path
        The HTML file to write (atomically: an interrupted or failed call leaves an existing
        file unchanged).
    title : str
        Page title and heading.
    models : list of dict
        One per model, with keys ``name`` (required), ``summary`` (one line), ``notes``
        (list of str), ``table`` (list of row dicts — keys as produced by
        ``ModelAnalysis.rows()``: ``layer, kind, nodes, edges, density, dead, alpha, sigma,
        xmin, xmax, n_tail, ks_d, gof_p, best_alt, best_alt_p, verdict, null_alpha,
        null_sigma, null_verdict, heavier_p, var_ratio``; the aliases ``ks_distance``,
        ``p_value``, ``best_alternative``, ``lr_p_value`` are read too, other keys become
        extra columns) and ``figures`` (matplotlib Figures, paths of PNG/SVG/JPEG files, or
        ``{"figure": ..., "caption": ...}``).  Figures are embedded, not closed.
    intro : str
        An optional paragraph under the title.

    Returns
    -------
    Path
        ``path``.

    Notes
    -----
    The fits follow Clauset, Shalizi & Newman, SIAM Review 51 (2009); the page ends with a
    plain-words section on reading α, xmin, the GoF p, the likelihood-ratio tests and the null.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = write_report(pathlib.Path(tempfile.mkdtemp()) / "r.html", title="demo", models=[
    ...     {"name": "lenet300", "summary": "1 layer",
    ...      "table": [{"layer": "fc1", "kind": "in", "alpha": 2.5, "sigma": 0.1}]}])
    >>> "2.50 ± 0.10" in out.read_text(encoding="utf-8")
    True
    """
    text = render_report(title=title, models=models, intro=intro)
    return write_text(path, text)


def write_html_report(results, figures: Mapping[str, Sequence[Path]], path: str | os.PathLike) -> Path:
    """The fit report: per model its summary, notes, table and PNG figures (``figures`` by
    source, e.g. from :func:`prunegraph.output.plot.write_figures`)."""
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
