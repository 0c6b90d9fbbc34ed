"""The ``prunegraph`` command line: a thin dispatcher over ``prunegraph.commands``.

Each subcommand lives in its own module ``prunegraph/commands/<name>.py`` that defines
``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.  Modules are
imported lazily, so ``prunegraph --help`` stays fast and a broken optional command cannot
break the others.

Exit codes: 0 success, 1 bad data (:class:`~prunegraph.errors.InputError`), 2 usage error
(:class:`~prunegraph.errors.UsageError` and argparse errors), 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from .errors import PruneGraphError

#: subcommand name -> module under prunegraph.commands (the order is the help order)
COMMANDS: dict[str, str] = {
    "fit": "fit",
    "graph": "graph",
    "report": "report",
    "train": "train",
    "prune": "prune",
    "continual": "continual",
    "attachment": "attachment",
    "connectome": "connectome",
}


def _load(name: str):
    return importlib.import_module(f"prunegraph.commands.{COMMANDS[name]}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Build the top-level parser; with ``only``, import just that subcommand's module."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="prunegraph",
        description="Network science for pruned neural networks.",
    )
    parser.add_argument("--version", action="version", version=f"prunegraph {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log more (-v info, -vv debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        if only is not None and name != only:
            sub.add_parser(name, add_help=False)
            continue
        try:
            mod = _load(name)
        except ModuleNotFoundError as exc:  # a command not built yet
            if exc.name and exc.name.startswith("prunegraph.commands"):
                continue
            raise
        p = sub.add_parser(name, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``) and return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in argv if not a.startswith("-")), None)
    only = first if first in COMMANDS else None
    parser = build_parser(only=only)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except PruneGraphError as exc:
        print(f"prunegraph {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("prunegraph: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
