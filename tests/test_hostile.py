"""Hostile and degenerate checkpoints through the CLI: one clear line on stderr, non-zero exit,
no traceback, and never any pickled code run."""

from __future__ import annotations

import json
import os
import pickle

import pytest
import torch
from safetensors.torch import save_file

from prunegraph.cli import main
from prunegraph.errors import InputError
from prunegraph.loading import load, stream_layers


def _sd(seed: int = 0, density: float = 0.3) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    w1 = torch.randn(40, 30, generator=g) * (torch.rand(40, 30, generator=g) < density)
    w2 = torch.randn(20, 40, generator=g) * (torch.rand(20, 40, generator=g) < density)
    return {"fc1.weight": w1, "fc1.bias": torch.zeros(40), "fc2.weight": w2, "fc2.bias": torch.zeros(20)}


class _Payload:
    """Unpickling this would create the file named in ``MARKER`` (it must never happen)."""

    marker = ""

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _evil_plain(d, marker):
    _Payload.marker = str(marker)
    p = d / "evil_plain.pt"
    p.write_bytes(pickle.dumps(_Payload()))
    return p


def _evil_zip(d, marker):
    _Payload.marker = str(marker)
    p = d / "evil_zip.pt"
    torch.save({"state_dict": _sd(), "extra": _Payload()}, p)
    return p


def _st(d, name, sd, metadata=None):
    p = d / name
    save_file(sd, str(p), metadata=metadata)
    return p


def _pt(d, name, obj):
    p = d / name
    torch.save(obj, p)
    return p


def _truncated_st(d):
    p = _st(d, "full.safetensors", _sd())
    data = p.read_bytes()
    q = d / "truncated.safetensors"
    q.write_bytes(data[: len(data) // 2])
    return q


def _corrupt_header_st(d):
    data = bytearray(_st(d, "full2.safetensors", _sd()).read_bytes())
    data[12:40] = b"\xff" * 28
    q = d / "corrupt.safetensors"
    q.write_bytes(bytes(data))
    return q


def _truncated_pt(d):
    data = _pt(d, "full.pt", _sd()).read_bytes()
    q = d / "truncated.pt"
    q.write_bytes(data[:400])
    return q


def _with(**changes):
    def make(d, name):
        sd = _sd()
        for k, v in changes.items():
            sd[k.replace("__", ".")] = v(sd) if callable(v) else v
        return sd
    return make


def _pruned(mask):
    def make(sd):
        return mask
    return make


def _nan(sd):
    w = sd["fc1.weight"].clone()
    w[3, 4] = float("nan")
    return w


def _inf(sd):
    w = sd["fc2.weight"].clone()
    w[0, 0] = float("-inf")
    return w


def _masked_sd(mask):
    sd = _sd()
    sd["fc1.weight_orig"] = sd.pop("fc1.weight")
    sd["fc1.weight_mask"] = mask
    return sd


# name -> (builder(tmp_path, marker) -> path, words the one-line message must contain)
CASES = {
    "pickle_plain": (lambda d, m: _evil_plain(d, m), ["pickled", "never unpickled"]),
    "pickle_in_zip": (lambda d, m: _evil_zip(d, m), ["pickled", "never unpickled"]),
    "truncated_safetensors": (lambda d, m: _truncated_st(d), ["safetensors", "truncated"]),
    "corrupt_safetensors": (lambda d, m: _corrupt_header_st(d), ["safetensors", "corrupt"]),
    "empty_file": (lambda d, m: (d / "empty.safetensors").write_bytes(b"") and d / "empty.safetensors"
                   or d / "empty.safetensors", ["safetensors"]),
    "text_as_pt": (lambda d, m: (d / "t.pt").write_text("hello\n") and d / "t.pt", ["checkpoint"]),
    "truncated_pt": (lambda d, m: _truncated_pt(d), ["truncated"]),
    "missing_file": (lambda d, m: d / "nope.pt", ["no such file"]),
    "int_weights": (lambda d, m: _pt(d, "int.pt", {**_sd(), "fc1.weight": _sd()["fc1.weight"].long()}),
                    ["fc1", "int64", "floating point"]),
    "bool_weights": (lambda d, m: _st(d, "bool.safetensors", {**_sd(), "fc2.weight": _sd()["fc2.weight"] != 0}),
                     ["fc2", "bool"]),
    "mask_wrong_shape": (lambda d, m: _pt(d, "ms.pt", _masked_sd(torch.ones(3, 3))),
                         ["fc1", "mask shape (3, 3)", "(40, 30)"]),
    "mask_not_binary": (lambda d, m: _pt(d, "mb.pt", _masked_sd(torch.full((40, 30), 0.5))),
                        ["fc1", "0 and 1"]),
    "mask_nan": (lambda d, m: _st(d, "mn.safetensors", _masked_sd(torch.full((40, 30), float("nan")))),
                 ["fc1", "NaN"]),
    "nan_weight": (lambda d, m: _st(d, "nan.safetensors", {**_sd(), "fc1.weight": _nan(_sd())}),
                   ["fc1", "NaN/Inf"]),
    "inf_weight": (lambda d, m: _pt(d, "inf.pt", {**_sd(), "fc2.weight": _inf(_sd())}), ["fc2", "NaN/Inf"]),
    "no_tensors": (lambda d, m: _pt(d, "empty_dict.pt", {}), ["no tensors"]),
    "not_a_dict": (lambda d, m: _pt(d, "list.pt", [1, 2, 3]), ["no tensors"]),
    "no_layers": (lambda d, m: _pt(d, "bias.pt", {"fc.bias": torch.ones(3)}), ["no prunable layer"]),
    "all_zero": (lambda d, m: _st(d, "zero.safetensors", {"fc1.weight": torch.zeros(10, 8),
                                                          "fc2.weight": torch.zeros(4, 10)}), ["empty model"]),
    "zero_size": (lambda d, m: _st(d, "zs.safetensors", {"fc1.weight": torch.zeros(0, 5)}), ["fc1", "empty weight"]),
    "bad_meta_classes": (lambda d, m: _st(d, "nc.safetensors", _sd(), {"prunegraph_model": "lenet300",
                                                                       "prunegraph_num_classes": "ten"}),
                         ["prunegraph_num_classes"]),
    "bad_meta_shape": (lambda d, m: _st(d, "is.safetensors", _sd(), {"prunegraph_model": "lenet300",
                                                                     "prunegraph_input_shape": "[1, x]"}),
                       ["prunegraph_input_shape"]),
    "wrong_model": (lambda d, m: _st(d, "wm.safetensors", _sd(), {"prunegraph_model": "lenet5"}),
                    ["do not fit", "LeNet5"]),
}


def _run(argv, capsys):
    rc = main(argv)
    captured = capsys.readouterr()
    return rc, captured.err


@pytest.mark.parametrize("command", ["fit", "graph"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_checkpoint_one_line_nonzero_exit(case, command, tmp_path, capsys):
    marker = tmp_path / "PAYLOAD_RAN"
    build, words = CASES[case]
    path = build(tmp_path, marker)
    argv = (["fit", str(path), "--no-figures", "--bootstrap", "0", "--out", str(tmp_path / "out")]
            if command == "fit" else ["graph", str(path)])
    rc, err = _run(argv, capsys)
    lines = err.strip().splitlines()
    assert rc in (1, 2), (case, rc, err)
    assert len(lines) == 1, (case, err)
    assert "Traceback" not in err
    assert lines[0].startswith(f"prunegraph {command}: error: ")
    for w in words:
        assert w in lines[0], (case, w, lines[0])
    assert not marker.exists(), "a pickled payload was executed"
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.png"))


def test_pickle_payload_would_really_run(tmp_path):
    """The payload is real: plain pickle.load runs it (so the test above can fail)."""
    marker = tmp_path / "RAN"
    path = _evil_plain(tmp_path, marker)
    with open(path, "rb") as fh:
        pickle.load(fh).close()
    assert marker.exists()


@pytest.mark.parametrize("case", ["nan_weight", "mask_not_binary", "int_weights", "all_zero"])
def test_library_raises_input_error(case, tmp_path):
    path = CASES[case][0](tmp_path, tmp_path / "m")
    with pytest.raises(InputError):
        load(path)
    if case == "all_zero":
        return  # streaming cannot know before building; each layer is just empty
    with pytest.raises(InputError):
        list(stream_layers(path))


def _fit_json(path, tmp_path, capsys):
    out = tmp_path / "fit.json"
    rc = main(["fit", str(path), "--no-figures", "--bootstrap", "0", "--json", str(out), "-q"])
    capsys.readouterr()
    assert rc == 0
    return json.loads(out.read_text())


def test_fully_dense_model_verdict_dense(tmp_path, capsys):
    """No weight pruned: the verdict says so (not "degenerate"), and no heavier-than-null q (the
    null of a dense layer is the layer; review follow-up)."""
    g = torch.Generator().manual_seed(1)
    path = _st(tmp_path, "dense.safetensors", {"fc1.weight": torch.randn(40, 30, generator=g),
                                               "fc2.weight": torch.randn(20, 40, generator=g)})
    doc = _fit_json(path, tmp_path, capsys)
    results = doc["models"][0]["results"]
    assert len(results) == 4
    for r in results:
        assert r["observed"]["verdict"] == ("regular by construction: dense layer (no weight pruned); "
                                            "no distribution to fit"), r["observed"]["verdict"]
        assert r["observed"]["verdict_code"] == "regular"
        assert r["observed"]["fit"] is None
        assert r["heavier_than_null"]["heavier_q"] is None


def test_one_unit_per_layer_verdict_degenerate(tmp_path, capsys):
    path = _st(tmp_path, "one.safetensors", {"fc1.weight": torch.tensor([[0.5]]),
                                             "fc2.weight": torch.tensor([[-2.0]])})
    doc = _fit_json(path, tmp_path, capsys)
    for r in doc["models"][0]["results"]:
        assert r["observed"]["verdict"].startswith("too few units: 1 alive")


def test_good_checkpoint_still_passes(tmp_path, capsys):
    """Control: the same builders with sane data exit 0 (the checks are not over-eager)."""
    sd = _sd()
    sd["fc1.weight_orig"] = sd.pop("fc1.weight")
    sd["fc1.weight_mask"] = (sd["fc1.weight_orig"] != 0).float()
    for path in (_st(tmp_path, "ok.safetensors", sd), _pt(tmp_path, "ok.pt", sd)):
        assert main(["graph", str(path)]) == 0
    capsys.readouterr()
    assert not os.path.exists(tmp_path / "PAYLOAD_RAN")
