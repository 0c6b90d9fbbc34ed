"""``prunegraph report``: ``prunegraph fit`` with the self-contained HTML report switched on."""

from __future__ import annotations

from . import fit as _fit

HELP = "write one self-contained HTML report of the fits (same options as 'fit')"
DESCRIPTION = HELP + """

The same analysis as 'prunegraph fit' (same options), written to DIR/report.html with
every table and figure embedded (no external files needed to read it).

examples:
  prunegraph report
  prunegraph report model.safetensors --out results --bootstrap 500
"""


def add_arguments(parser) -> None:
    _fit.add_arguments(parser)


def run(args) -> int:
    args.report = True
    return _fit.run(args)  # which says where the report is
