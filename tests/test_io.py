"""Atomic output helpers: rename on success, old file intact on failure, sane permissions."""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import pytest

from prunegraph._io import atomic_path, dumps_json, write_json, write_text


def test_write_and_replace(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    write_text(target, "one")
    write_text(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]  # no temp files left


def test_failure_keeps_previous_file(tmp_path):
    target = tmp_path / "out.json"
    write_json(target, {"a": 1})
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text('{"a": 2, "trunc')
            raise RuntimeError("killed mid-write")
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_permissions_follow_umask_or_previous_file(tmp_path):
    new = write_text(tmp_path / "new.txt", "x")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~umask
    old = tmp_path / "old.txt"
    old.write_text("x")
    os.chmod(old, 0o640)
    write_text(old, "y")
    assert stat.S_IMODE(old.stat().st_mode) == 0o640


def test_dumps_json_is_deterministic_and_strict():
    a = dumps_json({"b": np.float64(1.5), "a": [np.int64(2), np.bool_(True)], "c": np.arange(2)})
    assert a == '{\n  "a": [\n    2,\n    true\n  ],\n  "b": 1.5,\n  "c": [\n    0,\n    1\n  ]\n}\n'
    with pytest.raises(ValueError):
        dumps_json({"x": float("nan")})
    with pytest.raises(TypeError):
        dumps_json({"x": object()})


def test_the_one_encoder_writes_enums_dataclasses_and_tensors():
    import dataclasses
    import enum

    import torch

    class Colour(enum.Enum):
        RED = "red"

    @dataclasses.dataclass(frozen=True)
    class Rec:
        a: int
        b: tuple

    text = dumps_json({"c": Colour.RED, "r": Rec(1, (2, 3)), "t": torch.tensor([[1.5, 2.0]]),
                       "i": torch.tensor(3)})
    assert json.loads(text) == {"c": "red", "r": {"a": 1, "b": [2, 3]}, "t": [[1.5, 2.0]], "i": 3}
    with pytest.raises(ValueError):            # NaN inside a tensor is refused like any NaN
        dumps_json({"t": torch.tensor([float("nan")])})


@pytest.mark.parametrize("obj", [
    {"curve": [0.5, 1, -2.5e-07, None, True], "nested": [[1, 2], [{"k": [3.0]}], []],
     "s": "[1,\n2]", "words": ["a", "b"], "mixed": [1, "x", [2]]},
    {"R": [[0.1, 0.2], [0.3, 0.4]], "empty": {}, "t": "text with [1, 2] inside"},
])
def test_inline_lists_are_the_same_json_on_fewer_lines(obj):
    plain, inline = dumps_json(obj), dumps_json(obj, inline_lists=True)
    assert json.loads(inline) == json.loads(plain) == obj
    assert len(inline.splitlines()) < len(plain.splitlines())
    for line in inline.splitlines():        # a list of scalars sits on one line
        if line.strip().startswith('"curve"'):
            assert line.strip() == '"curve": [0.5, 1, -2.5e-07, null, true],'


def test_write_json_gzip_is_reproducible(tmp_path):
    import gzip

    obj = {"a": list(range(50)), "b": {"c": 0.25}}
    p1, p2 = write_json(tmp_path / "a.json.gz", obj), write_json(tmp_path / "b.json.gz", obj)
    assert p1.read_bytes() == p2.read_bytes()           # no time stamp in the gzip header
    assert json.loads(gzip.decompress(p1.read_bytes())) == obj
