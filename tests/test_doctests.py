"""Every docstring example of every prunegraph module, and of docs/*.md, runs as a test.

One test per docstring that has examples (``doctest.DocTestFinder`` over all modules of the
package), with ``ELLIPSIS`` and ``NORMALIZE_WHITESPACE`` on. Examples that need training runs,
data sets or optional packages carry ``# doctest: +SKIP`` in the docstring itself.

``KNOWN_FAILING`` lists the docstrings whose examples fail today, each with its reason; they
are marked xfail(strict=True), so the list stays visible and a fixed example fails the run
until it is taken off the list.
"""

from __future__ import annotations

import doctest
import importlib
import pathlib
import pkgutil
import re

import pytest

import prunegraph

#: modules not imported here: their import needs an optional package
OPTIONAL_MODULES: dict[str, str] = {}

#: "module.qualname" of failing examples -> why (owners fix them, then remove the entry)
KNOWN_FAILING: dict[str, str] = {}

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _modules():
    names = [prunegraph.__name__]
    names += [m.name for m in pkgutil.walk_packages(prunegraph.__path__, prefix="prunegraph.")]
    return sorted(n for n in names if n not in OPTIONAL_MODULES and not n.endswith("__main__"))


def _doctests():
    finder = doctest.DocTestFinder(exclude_empty=True)
    found = {}
    for name in _modules():
        module = importlib.import_module(name)
        for test in finder.find(module, name):
            if test.examples and test.name not in found:
                found[test.name] = test
    return [found[k] for k in sorted(found)]


_TESTS = _doctests()


def _param(test):
    marks = ()
    if test.name in KNOWN_FAILING:
        marks = (pytest.mark.xfail(reason=KNOWN_FAILING[test.name], strict=True),)
    return pytest.param(test, id=test.name, marks=marks)


@pytest.mark.parametrize("test", [_param(t) for t in _TESTS])
def test_docstring_examples(test, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)          # examples that write files write them here
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    test.globs = dict(test.globs)        # each run starts from the module's namespace
    out: list[str] = []
    result = runner.run(test, out=out.append, clear_globs=True)
    assert result.failed == 0, "".join(out)


def test_every_known_failure_still_exists():
    names = {t.name for t in _TESTS}
    assert not set(KNOWN_FAILING) - names, "KNOWN_FAILING names a docstring that is gone"


DOCS = sorted((pathlib.Path(__file__).resolve().parents[1] / "docs").glob("*.md"))


@pytest.mark.parametrize("path", DOCS, ids=[p.name for p in DOCS])
def test_docs_examples(path, monkeypatch, tmp_path):
    """The ``>>>`` examples of docs/*.md, run in one namespace per page (fence lines dropped)."""
    monkeypatch.chdir(tmp_path)
    text = re.sub(r"(?m)^```.*$", "", path.read_text(encoding="utf-8"))
    test = doctest.DocTestParser().get_doctest(text, {}, path.name, str(path), 0)
    out: list[str] = []
    result = doctest.DocTestRunner(optionflags=FLAGS).run(test, out=out.append)
    assert result.failed == 0, "".join(out)


def test_the_finder_sees_every_module():
    # a module that failed to import or a finder that skipped subpackages would shrink the run
    names = {t.name.rsplit(".", 1)[0] for t in _TESTS} | {t.name for t in _TESTS}
    for expected in ("prunegraph._rng.child", "prunegraph.analysis.analyze", "prunegraph.graph.model",
                     "prunegraph.fit._powerlaw.fit_power_law", "prunegraph.continual.growth"):
        assert any(n == expected or n.startswith(expected + ".") for n in names), expected
