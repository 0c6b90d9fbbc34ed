"""The ``prunegraph`` command line: a thin dispatcher over ``prunegraph.commands``.

Each subcommand lives in its own module ``prunegraph/commands/<name>.py`` that defines
``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.  Modules are
imported lazily, so ``prunegraph --help`` stays fast and a broken optional command cannot
break the others.

Exit codes (one convention for every command; also in ``prunegraph --help`` and the README):
0 success; 1 an input error (:class:`~prunegraph.errors.InputError`: a file that is missing,
a directory, unreadable, corrupt or of the wrong kind, data that cannot be analysed, an output
that cannot be written); 2 a usage error (:class:`~prunegraph.errors.UsageError` and argparse
errors: an unknown flag or value, a bad combination of flags); 130 interrupted.  Every error is
one line naming the flag or file and the fix; configuration field names in messages are shown as
the flags that set them.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import re
import sys
import textwrap

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


DESCRIPTION = """\
Network science for pruned neural networks: each layer's degree distributions fitted for power
laws (Clauset-Shalizi-Newman) and read against random pruning at the same density.

start here:
  prunegraph fit                 (the shipped reference checkpoints)
  prunegraph fit my_model.pt --model lenet300 --report
  prunegraph COMMAND --help      (a command's options, defaults and examples)
"""

EPILOG = """\
exit status:
  0    success
  1    input error: a checkpoint that is missing, unreadable, corrupt or of the wrong kind
       (e.g. a .json manifest instead of its .safetensors, a folder without one checkpoint),
       data that cannot be analysed, or an output path that cannot be written
  2    usage error: an unknown flag or value, a missing argument, a bad combination of flags
  130  interrupted (Ctrl-C)
every error is one line on stderr naming the file or flag and the fix.
"""


def _flag_table(parser: argparse.ArgumentParser, mod) -> dict[str, str]:
    """name as it may appear in a library message -> the command-line flag that sets it."""
    table: dict[str, str] = {}
    for action in parser._actions:
        longs = [o for o in action.option_strings if o.startswith("--")]
        if longs and action.dest not in ("help", "version"):
            table[action.dest] = longs[0]
    # a command whose flags fill a config object names the fields: flag -> (field, ...)
    for flag, spec in (getattr(mod, "_FLAGS", None) or {}).items():
        field = spec[0] if isinstance(spec, tuple) else spec
        table.setdefault(field, "--" + flag.replace("_", "-"))
    return table


def flag_names(message: str, table: dict[str, str]) -> str:
    """Show ``field=value`` in ``message`` as ``--flag value`` for every field a flag sets.

    Examples
    --------
    >>> flag_names("n_tasks=0: must be >= 1", {"n_tasks": "--tasks"})
    '--tasks 0: must be >= 1'
    >>> flag_names("task=101 given; drop task= or save the owners", {"task": "--task"})
    '--task 101 given; drop --task or save the owners'
    """
    if not table:
        return message
    pattern = re.compile(r"(?<![\w.\-])(" + "|".join(map(re.escape, sorted(table, key=len, reverse=True)))
                         + r")=(?=(\S?))")

    def sub(m):
        flag = table[m.group(1)]
        return flag + (" " if m.group(2) and m.group(2) not in ",;)" else "")

    return pattern.sub(sub, message)


def flag_notes(text: str, args: argparse.Namespace) -> str:
    r""":func:`flag_names` on the ``note:`` lines of a command's output: the library's notes name
    keywords (``pass model= / arch=``), the command line has flags.

    Examples
    --------
    >>> ns = argparse.Namespace(_flags={"model": "--model", "arch": "--arch"})
    >>> flag_notes("fc1  linear\n   note: pass model= / arch= for an exact graph", ns)
    'fc1  linear\n   note: pass --model / --arch for an exact graph'
    """
    table = getattr(args, "_flags", None) or {}
    return "\n".join(flag_names(x, table) if x.lstrip().startswith("note:") else x for x in text.split("\n"))


def _load(name: str):
    return importlib.import_module(f"prunegraph.commands.{COMMANDS[name]}")


#: an example command line of a help text (kept whole: it is meant to be copied)
_COMMAND = re.compile(r"^( *)((?:prunegraph|torchrun|python|pip) \S.*?)(?: {2,}(\S.*))?$")
#: a table row ``  label   text``: the text's column is where wrapped lines continue
_ROW = re.compile(r"^( *)(\S+(?: \S+)*)( {2,})(?=\S)")


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    """Wrap at spaces only: a word, a value list or a hyphenated name is never cut."""
    return textwrap.wrap(text, max(width, len(rest) + 10), initial_indent=first, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False) or [first.rstrip()]


def reflow(text: str, width: int) -> list[str]:
    """Lines of a hand-laid-out help text, re-wrapped where one is wider than ``width``.

    A unit (a paragraph, or a table row ``label  text`` with the lines continuing at its text's
    column) whose lines all fit is kept as written; one with a line too wide is wrapped again at
    spaces, keeping its indents.  An example command is never wrapped; its comment (after two
    spaces) moves to the next line when the two do not fit.

    Examples
    --------
    >>> reflow("  a     one two three four", 18)
    ['  a     one two', '        three four']
    >>> reflow("  prunegraph fit x.pt   (one model)", 20)
    ['  prunegraph fit x.pt', '      (one model)']
    """
    units: list[list] = []  # [first prefix, continuation prefix, lines, words (a command: its match)]
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        cmd = _COMMAND.match(line)
        if not line.strip() or cmd:
            units.append([None, None, [line], cmd])
            continue
        row = _ROW.match(line)
        if row and len(row.group(0)) <= width // 2:
            prefix = row.group(0)
            units.append([prefix, " " * len(prefix), [line], line[len(prefix):].split()])
            continue
        last = units[-1] if units else None
        if last and last[0] is not None and indent == len(last[1]):  # the unit goes on
            last[2].append(line)
            words = line.split()
            if last[3] and re.search(r"[^\W\d_]-$", last[3][-1]):  # 'random-' + 'pruning': one word
                last[3][-1] += words.pop(0)
            last[3] += words
            continue
        units.append([" " * indent, " " * indent, [line], line.split()])
    out: list[str] = []
    for first, rest, lines, words in units:
        if all(len(x) <= width for x in lines):
            out += lines
        elif first is None:  # a command too wide: the command whole, its comment below
            indent, command, comment = words.groups()
            out.append(indent + command)
            if comment:
                out += _wrap(comment, width, indent + "    ", indent + "    ")
        else:
            out += _wrap(" ".join(words), width, first, rest)
    return out


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help wrapped to the terminal at spaces only: an option's help never cuts a word, a
    comma-separated list or a hyphenated name in two; descriptions and epilogs keep their
    layout where it fits and are re-wrapped (:func:`reflow`) where a line is too wide."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return _wrap(" ".join(text.split()), width, "", "")

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "".join(indent + line + "\n" if line else "\n" for line in reflow(text, width - len(indent)))


class _OneLineParser(argparse.ArgumentParser):
    """argparse with the project's error convention: one line on stderr, exit 2, pointing to
    ``--help`` instead of printing the usage block; a mistyped flag gets the closest ones."""

    def error(self, message: str):
        print(f"{self.prog}: error: {message}; see {self.prog} --help", file=sys.stderr)
        raise SystemExit(2)


def _unrecognized(parser: argparse.ArgumentParser, command: str | None, extra: list[str]) -> str:
    """The one-line error for flags no parser took, with the closest flags of the command."""
    import difflib

    target = parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            target = action.choices[command]
    known = [o for a in target._actions for o in a.option_strings if o.startswith("--")]
    close = sorted({m for x in extra if x.startswith("-")
                    for m in difflib.get_close_matches(x.split("=")[0], known, n=2, cutoff=0.75)})
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    return f"{target.prog}: error: unrecognized arguments: {' '.join(extra)}{hint}; see {target.prog} --help"


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Build the top-level parser; with ``only``, import just that subcommand's module."""
    from . import __version__

    parser = _OneLineParser(
        prog="prunegraph",
        description=DESCRIPTION,
        epilog=EPILOG, formatter_class=_HelpFormatter,
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
                           epilog=getattr(mod, "EPILOG", None) or EPILOG,
                           formatter_class=_HelpFormatter)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run, _flags=_flag_table(p, mod))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``) and return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in argv if not a.startswith("-")), None)
    only = first if first in COMMANDS else None
    parser = build_parser(only=only)
    try:
        args, extra = parser.parse_known_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    if extra:
        print(_unrecognized(parser, getattr(args, "command", None), extra), file=sys.stderr)
        return 2
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except PruneGraphError as exc:
        message = flag_names(str(exc), getattr(args, "_flags", {}))
        print(f"prunegraph {args.command}: error: {message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("prunegraph: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
