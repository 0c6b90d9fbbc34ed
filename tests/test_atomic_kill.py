"""Outputs survive a writer killed mid-write: the previous file stays intact and parseable.

A child process writes through prunegraph's own writers in a loop (JSON via ``_io.write_json``,
safetensors checkpoints via ``checkpoint.save_checkpoint``) and is SIGKILLed at seeded random
moments, or exactly in the middle of a write (a hook that writes half, signals and sleeps).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")

CHILD = textwrap.dedent(r'''
    import json, os, pathlib, sys, time
    import torch
    torch.set_num_threads(1)
    kind, target, flag = sys.argv[1], sys.argv[2], sys.argv[3]
    N = 200_000

    if kind == "json_midwrite":
        # the hook: every write_text writes half the text, says so, then waits to be killed
        orig = pathlib.Path.write_text
        def slow_write(self, data, *a, **k):
            with open(self, "w", encoding="utf-8") as fh:
                fh.write(data[: len(data) // 2]); fh.flush()
                pathlib.Path(flag).write_bytes(b"mid")  # not through prunegraph: a plain signal
                time.sleep(60)
                fh.write(data[len(data) // 2:])
        from prunegraph._io import write_json
        write_json(target + ".first", {"version": 0})  # warm-up outside the target
        pathlib.Path.write_text = slow_write
        write_json(target, {"version": 2, "payload": list(range(N)), "end": 2})
        raise SystemExit("not killed")

    if kind == "json":
        from prunegraph._io import write_json
        i = 0
        while True:
            i += 1
            write_json(target, {"version": i, "payload": list(range(N)), "end": i})
            pathlib.Path(flag).touch()
    if kind == "safetensors":
        from prunegraph.models.zoo import get_model
        from prunegraph.checkpoint import save_checkpoint
        model = get_model("lenet300", rng=0)
        i = 0
        while True:
            i += 1
            with torch.no_grad():
                model.fc1.weight.fill_(float(i))
            save_checkpoint(model, target, manifest={"version": i})
            pathlib.Path(flag).touch()
''')


def _start(kind, target, flag):
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    return subprocess.Popen([sys.executable, "-c", CHILD, kind, str(target), str(flag)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for(path: Path, proc, timeout=60.0):
    t0 = time.monotonic()
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"child died: {proc.stderr.read().decode()[-2000:]}")
        if time.monotonic() - t0 > timeout:
            proc.kill()
            raise AssertionError("child never wrote")
        time.sleep(0.02)


def _kill(proc):
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


def _check_json(path: Path) -> int:
    doc = json.loads(path.read_text())
    assert doc["version"] == doc["end"]
    assert doc["payload"] == list(range(200_000))
    return doc["version"]


def _check_safetensors(path: Path) -> int:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    version = json.loads(meta["prunegraph_manifest"])["version"]
    fc1 = next(v for k, v in tensors.items() if k.startswith("fc1.weight"))
    assert bool((fc1 == float(version)).all()), "tensor data and manifest come from different writes"
    return version


def test_kill_in_the_middle_of_a_write_keeps_previous_json(tmp_path):
    from prunegraph._io import write_json

    target, flag = tmp_path / "out.json", tmp_path / "flag"
    write_json(target, {"version": 1, "payload": list(range(200_000)), "end": 1})
    before = target.read_bytes()
    proc = _start("json_midwrite", target, flag)
    _wait_for(flag, proc)
    _kill(proc)
    assert target.read_bytes() == before
    assert _check_json(target) == 1
    # the half-written temporary was beside the target, never at its name
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.json.")]
    assert leftovers and all(p.endswith(".tmp.json") for p in leftovers)
    half = (tmp_path / leftovers[0]).read_text()
    with pytest.raises(json.JSONDecodeError):
        json.loads(half)


@pytest.mark.slow
@pytest.mark.parametrize("kind,check", [("json", _check_json), ("safetensors", _check_safetensors)])
def test_random_sigkill_leaves_a_complete_file(kind, check, tmp_path):
    rng = np.random.default_rng(8)
    target = tmp_path / ("out.json" if kind == "json" else "ckpt.safetensors")
    versions = []
    for trial in range(3):
        flag = tmp_path / f"flag{trial}"
        proc = _start(kind, target, flag)
        _wait_for(flag, proc)  # at least one complete write of this child
        time.sleep(float(rng.uniform(0.0, 0.4)))
        _kill(proc)
        versions.append(check(target))
    assert all(v >= 1 for v in versions)
