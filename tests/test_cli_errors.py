"""One exit-code convention for every command (input errors 1, usage errors 2), one-line errors
with no internal details, flag names (not config fields) in messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from prunegraph.cli import flag_names, main

REF = Path(__file__).resolve().parents[1] / "prunegraph" / "_data" / "reference"

#: commands that read one checkpoint, as argv with {} for the path
READERS = [
    ["fit", "{}", "--no-figures", "--bootstrap", "0"],
    ["report", "{}", "--bootstrap", "0"],
    ["graph", "{}"],
    ["prune", "--checkpoint", "{}", "--sparsity", "0.5", "-o", "OUT.safetensors"],
    ["attachment", "{}", "{}"],
]


def _bad_files(d: Path) -> dict[str, Path]:
    (d / "dir.pt").mkdir()
    (d / "text.pt").write_text("every line of this is text\n")       # torch.load: KeyError 101 ('e')
    (d / "brace.pt").write_text("{ not json either")                   # torch.load: operand 123 ('{')
    (d / "empty.pt").write_bytes(b"")
    (d / "zip.pt").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    (d / "m.json").write_text('{"model": "lenet300"}')                 # a manifest without checkpoint
    return {"missing": d / "missing.pt", **{p.stem: p for p in d.iterdir()}}


def _argv(template: list[str], path: Path, tmp: Path) -> list[str]:
    return [str(path) if a == "{}" else str(tmp / a) if a == "OUT.safetensors" else a for a in template]


@pytest.mark.parametrize("template", READERS, ids=lambda t: t[0])
def test_input_errors_exit_1_in_one_clean_line(template, tmp_path, capsys):
    files = _bad_files(tmp_path)
    for kind, path in files.items():
        code = main(_argv(template, path, tmp_path))
        err = capsys.readouterr().err.strip()
        assert code == 1, (kind, err)
        assert len(err.splitlines()) == 1 and "Traceback" not in err, (kind, err)
        assert str(path) in err, (kind, err)
        # no internal detail: exception class names or pickle opcodes
        for leak in ("KeyError", "Unsupported operand", "UnpicklingError", "Error:", "101", "123"):
            assert leak not in err.replace(str(path), "PATH"), (kind, err)
        assert "; " in err or "pass " in err, f"no fix given: {err}"


def test_json_manifest_points_to_the_checkpoint_beside_it(tmp_path, capsys):
    manifest = REF / "lenet300_digits_imp.json"
    for cmd in (["fit", str(manifest), "--no-figures"], ["graph", str(manifest)]):
        assert main(cmd) == 1
        err = capsys.readouterr().err
        assert "manifest" in err and str(REF / "lenet300_digits_imp.safetensors") in err
        assert "torch.save" not in err  # the old, wrong advice


@pytest.mark.parametrize("argv, needle", [
    (["fit", "--kinds", "sideways"], "--kinds"),
    (["fit", "--bootstrap", "-3"], "--bootstrap"),
    (["fit", "--figure-format", "gif"], "--figure-format"),
    (["fit", "--no-such-flag"], "--no-such-flag"),
    (["graph", "--input-shape", "a,b"], "--input-shape"),
    (["continual", "--benchmark", "split-digits", "--tasks", "0"], "--tasks 0"),
    (["nosuchcommand"], "nosuchcommand"),
])
def test_usage_errors_exit_2_and_name_the_flag(argv, needle, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err
    assert "n_tasks" not in err  # a config field name is shown as its flag


def test_task_flag_named_in_loading_errors(capsys):
    code = main(["fit", str(REF / "lenet300_digits_imp.safetensors"), "--task", "101", "--no-figures",
                 "--bootstrap", "0", "-q"])
    err = capsys.readouterr().err
    assert code in (1, 2) and "--task 101" in err and "task=" not in err


def test_flag_names_rewrites_only_known_fields():
    table = {"n_tasks": "--tasks", "task": "--task"}
    assert flag_names("n_tasks=0: must be >= 1", table) == "--tasks 0: must be >= 1"
    assert flag_names("drop task= or save", table) == "drop --task or save"
    assert flag_names("my_task=3 and subtask=2", table) == "my_task=3 and subtask=2"
    assert flag_names("x.task=1", table) == "x.task=1"


def test_help_documents_the_exit_codes():
    proc = subprocess.run([sys.executable, "-m", "prunegraph", "--help"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0
    assert "exit status:" in proc.stdout
    assert "1    input error" in proc.stdout and "2    usage error" in proc.stdout
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "exit status" in readme.lower() and "usage error" in readme


def test_fit_help_says_what_nodes_and_edges_are():
    proc = subprocess.run([sys.executable, "-m", "prunegraph", "fit", "--help"], capture_output=True,
                          text=True, timeout=120)
    for layer in ("Linear", "Conv", "ConvTranspose", "RNN/LSTM/GRU", "Embedding"):
        assert layer in proc.stdout
    assert "w.dens" in proc.stdout and "kernel" in proc.stdout


def test_folder_errors_say_what_the_folder_holds(tmp_path, capsys):
    """A folder of several checkpoints asks for one by name; an empty folder says it is empty."""
    from prunegraph.cli import main

    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["fit", str(empty), "--no-figures", "-q"]) == 1
    err = capsys.readouterr().err
    assert "no checkpoint in it" in err and "index file" not in err
    many = tmp_path / "many"
    many.mkdir()
    for name in ("a.safetensors", "b.safetensors"):
        (many / name).write_bytes(b"")
    assert main(["fit", str(many), "--no-figures", "-q"]) == 1
    err = capsys.readouterr().err
    assert "2 checkpoint files (a.safetensors, b.safetensors)" in err and "name one of them" in err


@pytest.mark.parametrize("argv, needles", [
    (["fit", "--bootsrap", "5"], ["prunegraph fit: error: unrecognized arguments: --bootsrap",
                                  "did you mean --bootstrap?", "see prunegraph fit --help"]),
    (["frobnicate"], ["invalid choice: 'frobnicate'", "see prunegraph --help"]),
    (["fit", "--jobs", "x"], ["argument --jobs: invalid int value: 'x'"]),
])
def test_argparse_errors_are_one_line(argv, needles, capsys):
    """Usage errors from argparse follow the convention too: exit 2, one line, no usage block."""
    from prunegraph.cli import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert "usage:" not in err
    for needle in needles:
        assert needle in err


_USER_MODULES = {
    "pg_user_factories": (
        "import torch\n"
        "def boom():\n    raise RuntimeError('weights dir not configured')\n"
        "def needs(n):\n    return torch.nn.Linear(n, n)\n"
        "def number():\n    return 3\n"
        "NOT_CALLABLE = 3\n"
    ),
    "pg_user_broken": "raise RuntimeError('bad import')\n",
}


@pytest.mark.parametrize("spec, needles", [
    ("nosuch", ["not a zoo model (lenet300, lenet5", "package.module:factory", "mypkg.models:build"]),
    ("torch.nn.Linear", ["not a zoo model", "did you mean torch.nn:Linear?"]),
    ("pg_no_such_pkg.models:f", ["cannot import pg_no_such_pkg.models", "PYTHONPATH"]),
    ("os:nosuch", ["os has no nosuch"]),
    ("pg_user_factories:bom", ["pg_user_factories has no bom (did you mean pg_user_factories:boom?)"]),
    ("pg_user_factories:", ["give package.module:factory"]),
    ("pg_user_factories:boom", ["boom() raised RuntimeError: weights dir not configured"]),
    ("pg_user_factories:needs", ["needs() needs arguments", "called with none"]),
    ("pg_user_factories:number", ["number() returned int, not an nn.Module"]),
    ("pg_user_factories:NOT_CALLABLE", ["(type int) is not a callable returning the nn.Module"]),
    ("pg_user_broken:build", ["importing pg_user_broken raised RuntimeError: bad import"]),
    ("torch.nn:Identity", ["model Identity has no weight matrix"]),
])
@pytest.mark.parametrize("command", ["fit", "graph"])
def test_bad_model_is_one_usage_line(command, spec, needles, tmp_path, monkeypatch, capsys):
    """Every way --model can be wrong: exit 2, one line naming --model and the fix, no traceback
    (a user's factory that raises or a module that fails to import included)."""
    for name, text in _USER_MODULES.items():
        (tmp_path / f"{name}.py").write_text(text)
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    argv = [command, str(REF / "lenet300_digits_imp.safetensors"), "--model", spec]
    code = main(argv + (["--no-figures", "--bootstrap", "0", "-q"] if command == "fit" else []))
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith(f"prunegraph {command}: error: ") and "--model" in err, err
    for needle in needles:
        assert needle in err, err


def test_notes_name_flags_not_keywords(tmp_path, monkeypatch, capsys):
    """Library notes say ``model=`` / ``input_shape=``; `graph` and `fit` print them as flags."""
    import torch
    from torch import nn

    (tmp_path / "pg_user_cnn.py").write_text(
        "import torch\nfrom torch import nn\n"
        "def cnn():\n    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(144, 10))\n")
    monkeypatch.delitem(sys.modules, "pg_user_cnn", raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    torch.save(mlp.state_dict(), tmp_path / "mlp.pt")
    cnn = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(144, 10))
    torch.save(cnn.state_dict(), tmp_path / "cnn.pt")
    assert main(["graph", str(tmp_path / "mlp.pt")]) == 0
    out = capsys.readouterr().out
    assert "note: no model to trace" in out and "pass --model / --arch" in out and "model=" not in out
    assert main(["fit", str(tmp_path / "mlp.pt"), "--no-figures", "--bootstrap", "0"]) == 0
    out = capsys.readouterr().out
    assert "pass --model / --arch" in out and "model=" not in out
    assert main(["graph", str(tmp_path / "cnn.pt"), "--model", "pg_user_cnn:cnn"]) == 0
    out = capsys.readouterr().out
    assert "flatten folds inferred from sizes" in out and "pass --input-shape to check" in out
    assert main(["graph", str(tmp_path / "cnn.pt"), "--model", "pg_user_cnn:cnn", "--input-shape", "1,8,8"]) == 0
    assert "flatten folds" not in capsys.readouterr().out


@pytest.mark.parametrize("argv, needle", [
    (["fit", "{ckpt}", "--out", "{blocked}/figs", "--bootstrap", "0", "-q"], "--out {blocked}/figs: cannot create"),
    (["fit", "{ckpt}", "--json", "{blocked}/r.json", "--no-figures", "--bootstrap", "0", "-q"],
     "{blocked}/r.json: cannot write there"),
    (["graph", "{ckpt}", "--graphml", "{blocked}/g.graphml"], "{blocked}/g.graphml: cannot write there"),
])
def test_unwritable_outputs_are_one_input_line(argv, needle, tmp_path, capsys):
    """An output under a regular file (no folder can be made there): exit 1, one line naming it."""
    blocked = tmp_path / "a_file"
    blocked.write_text("not a folder")
    fill = {"{ckpt}": str(REF / "lenet300_digits_imp.safetensors"), "{blocked}": str(blocked)}
    argv = [a.replace("{blocked}", fill["{blocked}"]).replace("{ckpt}", fill["{ckpt}"]) for a in argv]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert needle.replace("{blocked}", str(blocked)) in err, err


def test_bad_task_names_the_flag(capsys):
    code = main(["graph", str(REF / "lenet300_digits_imp.safetensors"), "--task", "-1"])
    err = capsys.readouterr().err
    assert code == 2 and "--task -1: must be an integer >= 0" in err, err


@pytest.mark.parametrize("flag", ["--graphml", "--edgelist", "--json"])
def test_graph_checks_its_outputs_before_loading(flag, tmp_path, capsys, monkeypatch):
    """prunegraph graph refuses an unwritable output before it reads the checkpoint."""
    import prunegraph.loading

    def no_load(*a, **k):
        raise AssertionError("loaded before the output path was checked")

    monkeypatch.setattr(prunegraph.loading, "load", no_load)
    blocked = tmp_path / "a_file"
    blocked.write_text("not a folder")
    assert main(["graph", str(REF / "lenet300_digits_imp.safetensors"), flag, str(blocked / "g.out")]) == 1
    err = capsys.readouterr().err
    assert f"{flag} {blocked / 'g.out'}: cannot write there" in err and "Traceback" not in err, err


def test_refused_json_path_makes_no_out_folder(tmp_path, capsys):
    """A --json that cannot be written is refused before the figure folder is made."""
    blocked = tmp_path / "a_file"
    blocked.write_text("not a folder")
    out = tmp_path / "figs"
    code = main(["fit", str(REF / "lenet300_digits_imp.safetensors"), "--json", str(blocked / "r.json"),
                 "--out", str(out), "--bootstrap", "0", "-q"])
    assert code == 1 and "--json" in capsys.readouterr().err
    assert not out.exists()
