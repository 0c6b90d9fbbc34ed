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
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .._io import write_text
from ..errors import InputError, UsageError
from .tables import _num as _as_float
from .tables import fmt_number, fmt_text, is_missing

__all__ = ["write_report", "render_report", "write_html_report", "fmt_number"]


# ----------------------------------------------------------------------------- formatting
def _verdict_css(row: Mapping[str, Any], key: str) -> str:
    """CSS class of a verdict cell: from the row's machine verdict code through the one wording
    table of :mod:`prunegraph.fit.verdict`; a row without a code gets none."""
    code = row.get(f"{key}_code")
    if code is not None:
        try:
            from ..fit.verdict import VERDICT_TEXT, Verdict

            return VERDICT_TEXT[Verdict(code)].css
        except ValueError:
            pass
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
                raise UsageError(f"{where} figure {i}: a dict needs the key 'figure'; "
                                 "pass {'figure': ..., 'caption': ...}")
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
def _cell(col, row: Mapping[str, Any]) -> str:
    text = col.cell(row)
    if col.key in ("verdict", "null_verdict"):
        cls = " ".join(c for c in ("verdict", _verdict_css(row, col.key)) if c)
    else:
        cls = f"c-{col.key}" + (" num" if col.numeric else "")
    # "5.49±0.57" may wrap after the ± in a narrow column (a zero-width space, no visible change)
    return f'<td class="{cls}">' + html.escape(text).replace("±", "±\u200b") + "</td>"


def _one_table(rows: list[Mapping[str, Any]], cols, extras: Sequence[str], cls: str) -> str:
    head = "".join(f'<th title="{html.escape(c.help)}" class="c-{c.key}">{html.escape(c.name)}</th>'
                   for c in cols)
    head += "".join(f"<th>{html.escape(str(k))}</th>" for k in extras)
    body = []
    for row in rows:
        cells = [_cell(c, row) for c in cols]
        for k in extras:
            v = row.get(k)
            text = fmt_number(v) if _as_float(v) is not None or is_missing(v) else str(v)
            cells.append(f"<td>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table class="{cls}"><thead><tr>' + head + "</tr></thead><tbody>"
            + "".join(body) + "</tbody></table>")


def _table_html(rows: Sequence[Any] | None, where: str) -> str:
    """The compact table (the CLI's default columns, verdict last: always on screen), then every
    column in an expandable, wrapped table; both from :data:`prunegraph.output.tables.COLUMNS`."""
    from .tables import KNOWN_KEYS, as_row, columns_for

    rows = [as_row(r) for r in rows or ()]
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise UsageError(f"{where} table row {i}: expected a FitRow or a dict, got {type(row).__name__}; "
                             "pass ModelAnalysis.fit_rows()")
    if not rows:
        return '<p class="empty">No degree sequences were fitted.</p>'
    extras: list[str] = []
    for row in rows:
        for k in row:
            if k not in KNOWN_KEYS and k not in extras:
                extras.append(k)
    compact, wide = columns_for(rows), columns_for(rows, wide=True)
    out = [_one_table(rows, compact, (), "fit compact")]
    if len(wide) > len(compact) or extras:
        out.append(f'<details class="all-columns"><summary>All {len(wide) + len(extras)} columns '
                   "(every test and the random-pruning null)</summary>"
                   + _one_table(rows, wide, extras, "fit wide") + "</details>")
    return "".join(out)


# ----------------------------------------------------------------------------- page
_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       margin: 2rem auto; max-width: 78rem; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; margin-top: 2.2rem;
     overflow-wrap: anywhere; }
.summary { color: #444; }
table.fit { border-collapse: collapse; font-size: 0.85rem; margin: 0.8rem 0; width: 100%; }
table.fit th, table.fit td { border-bottom: 1px solid #e4e4e4; padding: 0.3rem 0.45rem;
       text-align: left; vertical-align: top; }
table.compact td { white-space: nowrap; }
table.compact th { white-space: normal; vertical-align: bottom; }
table.compact td.verdict, table.compact th.c-verdict { white-space: normal; min-width: 14rem; }
table.wide { font-size: 0.68rem; }
table.wide th, table.wide td { white-space: normal; padding: 0.2rem 0.22rem; hyphens: auto; }
table.wide td.verdict { min-width: 5.5rem; }
table.fit td.c-layer { white-space: normal; overflow-wrap: anywhere; min-width: 3.5rem; }
table.compact td.c-layer { min-width: 7rem; }
th { background: #f5f5f5; font-weight: 600; cursor: help; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.v-yes { color: #0b6e4f; }
td.v-no { color: #9b2226; }
td.v-alt { color: #7a5200; }
tbody tr:hover { background: #fafafa; }
details.all-columns summary { cursor: pointer; color: #335; font-size: 0.9rem; }
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
    ("The table",
     "The first table shows the columns that decide the reading, verdict last; ‘All columns’ "
     "below it opens every column, in the same order as `prunegraph fit --wide` prints them. "
     "Hover a column heading for its meaning; each is explained under ‘Columns’ below."),
    ("α (alpha), xmin and the tail",
     "The exponent of the power law p(k) ∝ k^−α fitted to the tail k ≥ xmin of the degree "
     "distribution by maximum likelihood (Clauset, Shalizi & Newman), with its standard error σ. "
     "Larger α means a lighter tail; most scale-free networks in the literature have 2 ≤ α ≤ 3. "
     "xmin is chosen to make the fitted law and the data agree best (smallest KS distance). "
     "Degrees are bounded by the layer width, so the span of the tail (largest degree / xmin) "
     "is often small: a power law over ×2 is no evidence of scale-freeness."),
    ("Power-law fit p (GoF)",
     "Goodness of fit: the share of synthetic data sets, drawn from the fitted law, that fit "
     "worse than the real data. p > 0.1: a power law is plausible; p ≤ 0.1: it is ruled out. "
     "A plausible power law is not proof of one — other distributions may fit as well."),
    ("Closest alternative (LR p) and the sign of R",
     "Likelihood-ratio tests on the same tail against a lognormal, an exponential, a stretched "
     "exponential, a power law with exponential cut-off, Poisson and "
     "binomial. R is the log-likelihood of the power law minus that of the alternative: R > 0 "
     "favours the power law, R < 0 the alternative. Vuong's p says whether the sign of R can be "
     "trusted; the alternative is preferred only when R < 0 and p < 0.1/m (Bonferroni over the m "
     "alternatives tested; the power law with exponential cut-off and the stretched exponential contain the power law "
     "as a boundary case and use the ½χ²₀ + ½χ²₁ mixture). A large p means the data cannot tell "
     "the two apart."),
    ("The random-pruning null",
     "The same edges placed at random among the layer’s units (structurally dead units left "
     "out). Random pruning gives binomial, light-tailed degrees; ‘random p’ tests that law on "
     "the whole sequence and on its largest degrees (so hubs are not pooled away), and only a "
     "sequence that passes is called ‘consistent with random pruning’. ‘Heavier than null p’ is "
     "a one-sided permutation test of the upper tail against the null’s; its Benjamini–Hochberg "
     "q over all sequences of the model (q < 0.05) decides. A tail clearly heavier than the "
     "null’s owes that structure to training and pruning, not to sparsity alone."),
    ("Nodes and edges",
     "A node is a unit: a neuron of a Linear layer, a channel of a convolution (in or out), a "
     "hidden unit of an RNN/LSTM/GRU (its gates fold onto it), a token row or an embedding "
     "dimension of an Embedding. An edge joins two units when at least one weight between them "
     "survives: one weight for Linear, a k×k kernel for a convolution, up to one per gate for "
     "recurrent layers. So a convolution can have edge density 100 % while only 9 % of its "
     "weights survive; the weight density column gives the latter."),
    ("Figures",
     "The CCDF plots show P(K ≥ k), the share of alive units with degree at least k, on log–log "
     "axes; a power law is a straight line there. Dead units (degree 0) are left out and counted "
     "in the corner. The dotted vertical line is xmin; the grey squares are the random-pruning "
     "null; the verdict is written on each plot. The α summary shades 2 ≤ α ≤ 3, the range of "
     "scale-free networks; ‘no fit’ marks a sequence that could not be fitted, and a triangle at the top "
     "one whose α stopped at the fit’s upper bound (100: the tail falls faster than any power law in "
     "range; such an α is shown as ‘≥100 (bound)’, never plotted as a value). For a transformer, the "
     "depth figure plots each attention (q, k, v, o) and MLP (gate, up, down) projection’s α with its "
     "95 % interval and the median per block against depth, with each block’s verdicts below; the "
     "report then lists the layers block by block."),
)


def _columns_howto() -> list[str]:
    from .tables import ALTERNATIVE_HELP, COLUMNS, alternative_label

    parts = ['<dt id="columns">Columns (in table order)</dt><dd><dl>']
    parts += [f"<dt>{html.escape(c.name)}</dt><dd>{html.escape(c.help)}</dd>" for c in COLUMNS]
    parts.append("</dl></dd><dt>Alternatives</dt><dd><ul>")
    parts += [f"<li>{html.escape(alternative_label(a))}: {html.escape(h)}</li>" for a, h in ALTERNATIVE_HELP.items()]
    parts.append("</ul></dd>")
    return parts


def _side_by_side_html(rows: Sequence[Mapping[str, Any]]) -> str:
    """The side-by-side section: every network's degree sequences through identical statistics
    (rows of :func:`prunegraph.connectome.side_by_side`), degrees normalised by their mean so
    that networks of different sizes compare."""
    from .tables import fmt_alpha, fmt_int, fmt_p, fmt_plain, fmt_span

    cols = (("network", "network", lambda r: fmt_text(r.get("network"))),
            ("layer", "layer", lambda r: fmt_text(r.get("layer"))),
            ("degree", "degree kind", lambda r: fmt_text(r.get("kind"))),
            ("units", "units (nodes)", lambda r: fmt_int(r.get("nodes"))),
            ("⟨k⟩", "mean degree of the alive units", lambda r: fmt_plain(r.get("mean_degree"))),
            ("max/⟨k⟩", "largest degree over the mean: how far the biggest hub stands out",
             lambda r: fmt_plain(r.get("max_over_mean"))),
            ("α", "fitted power-law exponent (≥100 (bound): the fit stopped at its bound, no measured exponent)",
             lambda r: fmt_alpha(r.get("alpha"), None, r.get("hit_bound"))),
            ("span", "largest degree / xmin", lambda r: fmt_span(r.get("span"))),
            ("heavier q", "Benjamini–Hochberg q of the heavier-than-null test (q < 0.05 decides)",
             lambda r: fmt_p(r.get("heavier_q"))),
            ("verdict", "the verdict (one classifier for every network)",
             lambda r: fmt_text(r.get("verdict_class"))))
    head = "".join(f'<th title="{html.escape(tip)}">{html.escape(name)}</th>' for name, tip, _ in cols)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(fmt(r))}</td>" for _, _, fmt in cols) + "</tr>"
                   for r in rows)
    return ('<section id="side-by-side"><h2>Side by side</h2><p class="summary">Every network of this '
            "report through identical statistics (the same fit, null and verdict rules), one row per "
            "layer and degree kind; ⟨k⟩ and max/⟨k⟩ put networks of different sizes on one scale.</p>"
            f'<table class="fit compact"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></section>')


def _blocks_html(blocks: Sequence[Mapping[str, Any]]) -> str:
    """The per-block summary of a transformer (rows of ``BlockSummary.to_dict()``): attention vs
    MLP projections, median α and verdict counts against depth."""
    import math

    def alpha(v):
        try:
            v = float(v)
        except (TypeError, ValueError):
            return "—"
        return f"{v:.2f}" if math.isfinite(v) else "—"

    head = "".join(f"<th>{h}</th>" for h in ("depth", "block", "projections", "degree kind", "median α",
                                                  "verdicts"))
    body = []
    for b in blocks:
        verdicts = ", ".join(f"{n} {v}" for v, n in sorted((b.get("verdicts") or {}).items(), key=lambda kv: -kv[1]))
        n_bound = sum(1 for x in b.get("at_bound") or () if x)
        if n_bound:  # their alpha is the fit's bound, left out of the median
            verdicts += f"; {n_bound} α at the fit's bound (≥100, not in the median)"
        group_text: dict[Any, str] = {"attention": "attention (q, k, v, o)", "mlp": "MLP (gate, up, down)"}
        group = group_text.get(b.get("group"), str(b.get("group")))
        cells = (str(b.get("depth")), str(b.get("block")), group, str(b.get("degree_kind")),
                 alpha(b.get("alpha_median")), verdicts)
        body.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    return ('<h3 id="blocks">Per block</h3><p class="summary">Median fitted α over each block\u2019s attention '
            "and MLP projections, and how many of them got each verdict, against depth (the figure below "
            "shows each projection\u2019s α with its 95 % interval).</p>"
            f'<table class="fit compact blocks"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')


def render_report(*, title: str, models: Sequence[Mapping[str, Any]], intro: str = "",
                  comparison: Sequence[Mapping[str, Any]] | None = None) -> str:
    """Render the report as an HTML string (see :func:`write_report`); ``comparison`` rows
    (from :func:`prunegraph.connectome.side_by_side`) add a side-by-side section first."""
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
        if is_missing(model.get("name")):
            raise UsageError(f"write_report: models[{i}] has no 'name'; give each model a name")
        ids.append(f"model-{i + 1}")
    if len(models) > 1:
        parts.append("<nav><ul>" + "".join(
            f'<li><a href="#{mid}">{html.escape(str(m["name"]))}</a></li>' for mid, m in zip(ids, models)
        ) + "</ul></nav>")
    if not models:
        parts.append('<p class="empty">No models were analysed.</p>')
    if comparison:
        parts.append(_side_by_side_html(comparison))
    for mid, model in zip(ids, models):
        name = str(model["name"])
        where = f"write_report: model {name!r}"
        parts.append(f'<section id="{mid}"><h2>{html.escape(name)}</h2>')
        if not is_missing(model.get("summary")):
            parts.append(f'<p class="summary">{html.escape(str(model["summary"]))}</p>')
        notes = model.get("notes") or ()
        if isinstance(notes, str):
            notes = (notes,)
        if notes:
            parts.append('<ul class="notes">' + "".join(f"<li>{html.escape(str(n))}</li>" for n in notes) + "</ul>")
        if model.get("sections"):  # a transformer: per-block summary and figures first, then block by block
            parts.append(_blocks_html(model.get("blocks") or ()))
            figs = _figures_html(model.get("figures") or (), where)
            if figs:
                parts.append('<div class="figures">' + "".join(figs) + "</div>")
            for j, sec in enumerate(model["sections"]):
                heading = html.escape(str(sec["heading"]))
                parts.append(f'<section class="block" id="{mid}-part-{j + 1}"><h3>{heading}</h3>')
                parts.append(_table_html(sec.get("table") or (), where))
                figs = _figures_html(sec.get("figures") or (), where)
                if figs:
                    parts.append('<div class="figures">' + "".join(figs) + "</div>")
                parts.append("</section>")
            parts.append("</section>")
            continue
        parts.append(_table_html(model.get("table"), where))
        figs = _figures_html(model.get("figures") or (), where)
        if figs:
            parts.append('<div class="figures">' + "".join(figs) + "</div>")
        parts.append("</section>")
    parts.append('<section id="how-to-read" class="howto"><h2>How to read this</h2><dl>')
    parts.extend(f"<dt>{html.escape(t)}</dt><dd>{html.escape(d)}</dd>" for t, d in _HOWTO)
    parts.extend(_columns_howto())
    parts.append("</dl><p class=\"notes\">Method: Clauset, Shalizi &amp; Newman, "
                 "“Power-law distributions in empirical data”, SIAM Review 51 (2009) 661–703; "
                 "Vuong’s normalised likelihood-ratio test; truncated fits after Deluca &amp; "
                 "Corral, Acta Geophysica 61 (2013).</p></section>")
    from .. import __version__

    parts.append(f"<footer>Written by prunegraph {html.escape(__version__)}.</footer></body></html>")
    return "\n".join(parts) + "\n"


def write_report(path: str | os.PathLike, *, title: str, models: Sequence[Mapping[str, Any]],
                 intro: str = "", comparison: Sequence[Mapping[str, Any]] | None = None) -> Path:
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
        (list of str), ``table`` (:class:`~prunegraph.analysis.FitRow` records from
        ``ModelAnalysis.fit_rows()``, or dicts with their ``to_dict()`` keys: ``layer, kind,
        nodes, edges, density, dead, alpha, sigma, xmin, xmax, n_tail, ks_d, gof_p, best_alt,
        best_alt_p, verdict, null_alpha, null_sigma, null_verdict, heavier_p, var_ratio``;
        other keys become extra columns) and ``figures`` (matplotlib Figures, paths of PNG/SVG/JPEG files, or
        ``{"figure": ..., "caption": ...}``).  Figures are embedded, not closed.
    intro : str
        An optional paragraph under the title.
    comparison : list of dict, optional
        Rows of :func:`prunegraph.connectome.side_by_side`: a "Side by side" section that puts
        every network (pruned layers, a connectome) through identical statistics.

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
    >>> "2.50±\u200b0.10" in out.read_text(encoding="utf-8")  # a zero-width break after ±
    True
    """
    text = render_report(title=title, models=models, intro=intro, comparison=comparison)
    return write_text(path, text)


def write_html_report(results, figures: Mapping[str, Sequence[Path]], path: str | os.PathLike,
                      captions: Mapping[Path, str] | None = None) -> Path:
    """The fit report: per model its summary, notes, table and PNG figures (``figures`` by
    source, e.g. from :func:`prunegraph.output.plot.write_figures`), each captioned in words
    (``captions`` by file stem, default :func:`prunegraph.output.plot.figure_captions` of the
    figures' folder)."""
    if captions is None:
        from .plot import figure_captions

        captions = {}
        for res in results:
            for p in figures.get(res.source, []):  # named as its figures' folder is
                folder = Path(p).parent
                captions.update(figure_captions([res], folder.parent, names={res.source: folder.name}))
                break
    models = []
    for res in results:
        figs = []
        for p in figures.get(res.source, []):
            p = Path(p)
            if p.suffix != ".png":
                continue
            cap = captions.get(p.with_suffix(""))
            figs.append(p if cap is None else {"figure": p, "caption": cap})
        model = {
            "name": res.source,
            "summary": res.summary(),
            "notes": list(res.notes),
            "table": res.fit_rows(),
            "figures": figs,
        }
        model.update(_grouped_by_block(res, figs))
        models.append(model)
    comparison = None
    if len(results) > 1:  # several networks (e.g. a connectome beside pruned nets): side by side
        from ..connectome import side_by_side

        comparison = side_by_side(results, layers="all")
    return write_report(path, title="prunegraph fit report", models=models, comparison=comparison)


def _grouped_by_block(res, figs: list) -> dict[str, Any]:
    """For a transformer (a non-empty :func:`prunegraph.analysis.block_summary`): the per-block
    rows, the model-level figures (depth figure first, then the α summary) and one section per
    block (layers before the first block, e.g. embeddings, and after the last, e.g. the head,
    apart), each with its table rows and per-layer figures; empty for any other model."""
    from ..analysis import block_summary
    from ..graph.roles import block_of

    blocks = block_summary(res)
    if not blocks:
        return {}
    depth = {b.block: b.depth for b in blocks}
    folder = next((Path(f["figure"] if isinstance(f, Mapping) else f).parent for f in figs), None)
    layer_of: dict[str, str] = {}
    if folder is not None:
        from .plot import figure_jobs

        layer_of = {j.stem.name: j.layer for j in figure_jobs(res, folder.parent, name=folder.name)
                    if j.layer is not None}
    sections: dict[str, dict] = {}
    where: dict[str, str] = {}
    started = False
    for r, row in zip(res.results, res.fit_rows()):
        blk = block_of(r.layer)
        if r.layer_type == "network":
            heading = "Whole network"
        elif blk in depth:
            heading, started = f"Block {depth[blk]}: {blk}", True
        else:
            heading = "After the blocks (head and other layers)" if started else "Before the blocks (embeddings)"
        sections.setdefault(heading, {"heading": heading, "table": [], "figures": []})["table"].append(row)
        where.setdefault(r.layer, heading)
    top = []
    for f in figs:
        layer = layer_of.get(Path(f["figure"] if isinstance(f, Mapping) else f).stem)
        if layer is None:
            top.append(f)
        else:
            sections[where[layer]]["figures"].append(f)
    top.sort(key=lambda f: Path(f["figure"] if isinstance(f, Mapping) else f).stem != "depth")
    return {"blocks": [b.to_dict() for b in blocks], "figures": top, "sections": list(sections.values())}
