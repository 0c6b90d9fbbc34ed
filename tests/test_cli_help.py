"""``--help`` of every command: never a word cut across lines, every option explained with its
default, and the README's options and examples in the help of the command they belong to."""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from prunegraph.cli import COMMANDS, build_parser, reflow

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
PAGES = [None, *COMMANDS]  # None: `prunegraph --help`
#: flags the README gives to other programs (benchmark scripts, pip), not to prunegraph
FOREIGN_FLAGS = {"--cli", "--share", "--llama", "--no-deps", "--help"}
#: a word piece: what a reader copies (names, numbers, paths, hyphenated or dotted names)
PIECE = re.compile(r"[^\s,;:()\[\]{}'\"|=]+")


def _parser(command: str | None) -> argparse.ArgumentParser:
    parser = build_parser()
    if command is None:
        return parser
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[command]


def _help(command: str | None, columns: int, monkeypatch) -> str:
    monkeypatch.setenv("COLUMNS", str(columns))  # argparse sizes its help to the terminal
    return _parser(command).format_help()


def _cuts(narrow: str, wide: str) -> list[str]:
    """Words of ``wide`` (the help unwrapped) that ``narrow`` cuts across a line break."""
    vocab = set(PIECE.findall(wide))
    cuts = []
    lines = narrow.splitlines()
    for a, b in zip(lines, lines[1:]):
        end, start = re.search(PIECE.pattern + "$", a.rstrip()), PIECE.match(b.lstrip())
        if not (end and start):
            continue
        x, y = end.group(0), start.group(0)
        if x + y in vocab and not (x in vocab and y in vocab):
            cuts.append(f"{x}|{y}")
    return cuts


def test_cut_detection_on_known_cases():
    wide = "likelihood-ratio alternatives (default: lognormal,exponential,poisson) /a/fashion-mnist"
    assert _cuts("alternatives (default: lognormal,expo\nnential,poisson)", wide) == ["expo|nential"]
    assert _cuts("/a/fashion-\nmnist", wide) == ["/a/fashion-|mnist"]
    assert _cuts("likelihood-ratio\nalternatives (default:\nlognormal,exponential,poisson)", wide) == []


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize("command", PAGES, ids=lambda c: c or "prunegraph")
def test_help_never_cuts_a_word(command, columns, monkeypatch):
    wide = _help(command, 100_000, monkeypatch)
    narrow = _help(command, columns, monkeypatch)
    assert _cuts(narrow, wide) == []
    # and wraps to the terminal: only example commands (kept whole to be copied) may be wider
    too_wide = [x for x in narrow.splitlines() if len(x) > columns
                and not re.match(r"\s*(prunegraph|torchrun) ", x)]
    assert too_wide == []


def test_reflow_keeps_what_fits_and_wraps_rows_at_their_column():
    text = "intro line\n  name    a long explanation that goes on\n          and on\n  prunegraph fit a.pt  (x)"
    assert reflow(text, 80) == text.splitlines()
    assert reflow(text, 30) == ["intro line", "  name    a long explanation", "          that goes on and on",
                                "  prunegraph fit a.pt  (x)"]  # a command that fits stays as written
    assert reflow(text, 22)[-2:] == ["  prunegraph fit a.pt", "      (x)"]  # its comment goes below


def _actions(parser: argparse.ArgumentParser):
    return [a for a in parser._actions
            if not isinstance(a, (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction))]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_has_a_meaning_and_its_default(command):
    for a in _actions(_parser(command)):
        name = (a.option_strings or [a.dest])[-1]
        assert a.help and len(a.help) > 5, f"{command} {name}: no help"
        d = a.default
        if d in (None, False, argparse.SUPPRESS) or isinstance(a, argparse._StoreTrueAction):
            continue
        shown = [" ".join(map(str, d)) if isinstance(d, (list, tuple)) else str(d)]
        if isinstance(d, float):
            shown.append(f"{d:g}")
        assert "default" in a.help or any(s in a.help for s in shown), f"{command} {name}: default {d!r} not said"


def _readme_examples() -> list[tuple[str, str]]:
    """(command, example) for every README command line: code blocks and inline code."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", README, re.S)
    inline = re.findall(r"`([^`]+)`", re.sub(r"```.*?```", "", README, flags=re.S))
    found = set()
    for line in [x for b in blocks for x in b.splitlines()] + inline:
        line = " ".join(re.split(r"\s+#", line)[0].split())
        m = re.match(r"(?:torchrun .*?-m )?prunegraph (\w+) \S", line)
        if m and m.group(1) in COMMANDS and "--help" not in line:
            found.add((m.group(1), line))
    return sorted(found)


def test_readme_examples_found():
    commands = {c for c, _ in _readme_examples()}
    assert {"fit", "continual", "connectome", "attachment"} <= commands


@pytest.mark.parametrize("command, example", _readme_examples())
def test_readme_examples_parse_and_are_in_the_help(command, example, monkeypatch):
    argv = shlex.split(example.replace("{", "'{").replace("}", "}'"))
    argv = [a for a in argv[argv.index("prunegraph") + 1:] if a != "..."]
    args, extra = build_parser().parse_known_args(argv)
    assert args.command == command and extra == []
    helptext = " ".join(_help(command, 100_000, monkeypatch).split())
    assert example in helptext, f"README example not in `prunegraph {command} --help`: {example}"


def _readme_flags() -> list[tuple[str, str]]:
    """(flag, value or '') for every flag the README names in inline code outside other programs."""
    spans = re.findall(r"`([^`]+)`", re.sub(r"```.*?```", "", README, flags=re.S))
    out = set()
    for span in spans:
        if re.match(r"(python|pip|jupytext|torchrun|\S+\.py) ", span):  # other programs, scripts
            continue
        for flag, value in re.findall(r"(--[a-z][a-z0-9-]*)(?:[ =]([^\s`-][^\s`]*))?", span):
            if flag not in FOREIGN_FLAGS and not span.startswith("prunegraph "):
                out.add((flag, value))
    return sorted(out)


@pytest.mark.parametrize("flag, value", _readme_flags())
def test_readme_flags_are_explained_in_the_help(flag, value, monkeypatch):
    """A flag the README documents is an option of fit or continual whose help gives its values."""
    for command in ("fit", "continual"):
        parser = _parser(command)
        action = next((a for a in _actions(parser) if flag in a.option_strings), None)
        if action is None:
            continue
        text = " ".join([action.help or "", *map(str, action.choices or ())])
        for v in re.split(r"[|,]", value):
            if v and not re.fullmatch(r"[\d.]+", v):
                assert v in text, f"{command} {flag}: README's value {v!r} not in its help: {action.help}"
        assert flag in _help(command, 100_000, monkeypatch)
        return
    pytest.fail(f"README documents {flag}, which no command has")


def test_fit_help_names_the_zoo_without_importing_torch():
    from prunegraph.commands.fit import ZOO_NAMES
    from prunegraph.models.zoo import list_models

    assert list(ZOO_NAMES) == list_models()
    code = ("import sys; from prunegraph.cli import build_parser; build_parser(only='fit'); "
            "print('torch' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "False", proc.stderr  # the figure workers start before torch loads
