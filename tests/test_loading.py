"""Loading: a round trip through every input format, and each clear error."""

from __future__ import annotations

import dataclasses
import json
import pickle

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from torch import nn
from torch.nn.utils import prune

from prunegraph.checkpoint import META_MODEL, META_PREFIX, META_STATE_KEY, Checkpoint, read_checkpoint
from prunegraph.errors import InputError, UsageError
from prunegraph.loading import effective_weights, load
from prunegraph.models import zoo


@pytest.fixture(scope="module")
def pruned_lenet5():
    """LeNet-5 (seed 0) pruned per layer with torch.nn.utils.prune (weight_orig + weight_mask)."""
    m = zoo.get_model("lenet5", rng=0)
    for mod in m.modules():
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            prune.l1_unstructured(mod, "weight", amount=0.8)
    return m


@pytest.fixture(scope="module")
def reference(pruned_lenet5):
    return load(pruned_lenet5)


def _same_graph(a, b):
    assert a.spaces == b.spaces
    assert [lg.name for lg in a.layers] == [lg.name for lg in b.layers]
    for la, lb in zip(a.layers, b.layers):
        assert torch.equal(la.multiplicity, lb.multiplicity), la.name
        torch.testing.assert_close(la.weight, lb.weight)
    np.testing.assert_array_equal(a.degrees("total").values, b.degrees("total").values)


def test_module_with_prune_masks_counts_only_surviving(pruned_lenet5, reference):
    n_kept = sum(int(b.sum()) for k, b in pruned_lenet5.named_buffers() if k.endswith("weight_mask"))
    assert sum(int(lg.multiplicity.sum()) for lg in reference.layers) == n_kept
    assert reference.notes == ()


@pytest.mark.parametrize("wrap", ["bare", "state_dict", "model_state_dict", "dataparallel"])
def test_pt_file_round_trip(tmp_path, pruned_lenet5, reference, wrap):
    sd = pruned_lenet5.state_dict()
    obj = {"bare": sd, "state_dict": {"state_dict": sd, "epoch": 3},
           "model_state_dict": {"model_state_dict": sd, "optimizer": {"lr": 0.1}},
           "dataparallel": {f"module.{k}": v for k, v in sd.items()}}[wrap]
    path = tmp_path / "ckpt.pth"
    torch.save(obj, path)
    _same_graph(load(path, model="lenet5"), reference)
    chained = load(path)                      # no model: shapes chained, said in the notes
    assert "chaining shapes" in chained.notes[0]
    np.testing.assert_array_equal(chained.degrees("total").values, reference.degrees("total").values)


def test_prune_remove_zeroed_weights(tmp_path, reference):
    m = zoo.get_model("lenet5", rng=0)
    for mod in m.modules():
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            prune.l1_unstructured(mod, "weight", amount=0.8)
            prune.remove(mod, "weight")
    assert not any(k.endswith("_mask") for k in m.state_dict())
    torch.save(m.state_dict(), tmp_path / "removed.pt")
    _same_graph(load(tmp_path / "removed.pt", model="lenet5"), reference)
    _same_graph(load(m), reference)


def test_safetensors_with_and_without_metadata(tmp_path, pruned_lenet5, reference):
    eff = {k: v.contiguous() for k, v in effective_weights(pruned_lenet5.state_dict()).items()}
    meta = {"prunegraph_model": "lenet5", "prunegraph_input_shape": json.dumps([1, 28, 28]),
            "prunegraph_num_classes": "10"}
    save_file(eff, str(tmp_path / "m.safetensors"), metadata=meta)
    net = load(tmp_path / "m.safetensors")
    assert net.notes == ()
    _same_graph(net, reference)
    save_file(eff, str(tmp_path / "bare.safetensors"))
    bare = load(tmp_path / "bare.safetensors")
    assert "chaining shapes" in bare.notes[0]
    np.testing.assert_array_equal(bare.degrees("total").values, reference.degrees("total").values)


def test_in_memory_state_dict_and_model_module(pruned_lenet5, reference):
    sd = pruned_lenet5.state_dict()
    _same_graph(load(sd, model=zoo.get_model("lenet5")), reference)
    _same_graph(load(dict(sd), model="lenet5"), reference)


# ----------------------------------------------------------------------------- ownership
def _owned_mlp():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))
    g = torch.Generator().manual_seed(1)
    for lin in (m[0], m[2]):
        lin.register_buffer("weight_owner", torch.randint(-1, 3, lin.weight.shape, generator=g))
    return m


@pytest.mark.parametrize("task", [0, 1, 2, None])
def test_ownership_buffers_select_visible_weights(tmp_path, task):
    m = _owned_mlp()
    sd = m.state_dict()
    assert "0.weight_owner" in sd
    torch.save(sd, tmp_path / "own.pt")
    top = 2 if task is None else task
    for net in (load(m, task=task), load(tmp_path / "own.pt", task=task)):
        for lg, lin in zip(net.layers, (m[0], m[2])):
            own = lin.weight_owner
            visible = (own >= 0) & (own <= top) & (lin.weight.detach() != 0)
            assert torch.equal(lg.mask, visible), (task, lg.name)
    if task is not None and task < 2:
        assert load(m, task=task).n_edges < load(m, task=task + 1).n_edges


def test_effective_weights_mask_beside_plain_weight():
    sd = {"fc.weight": torch.tensor([[1.0, 2.0]]), "fc.weight_mask": torch.tensor([[1, 0]])}
    assert effective_weights(sd)["fc.weight"].tolist() == [[1.0, 0.0]]
    assert "fc.weight_mask" not in effective_weights(sd)


# ----------------------------------------------------------------------------- errors
def _one_line(exc_info, *needles):
    msg = str(exc_info.value)
    assert "\n" not in msg
    for n in needles:
        assert n in msg, (n, msg)


def test_error_missing_and_unknown_files(tmp_path):
    with pytest.raises(InputError) as e:
        load(tmp_path / "nope.pt")
    _one_line(e, "nope.pt", "no such file")
    (tmp_path / "junk.pt").write_bytes(b"this is not a checkpoint")
    with pytest.raises(InputError) as e:
        load(tmp_path / "junk.pt")
    _one_line(e, "junk.pt", "torch.save(model.state_dict()")
    (tmp_path / "junk.safetensors").write_bytes(b"\x00" * 40)
    with pytest.raises(InputError) as e:
        load(tmp_path / "junk.safetensors")
    _one_line(e, "junk.safetensors", "safetensors")


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_error_truncated_file(tmp_path, mlp342, suffix):
    path = tmp_path / f"full{suffix}"
    if suffix == ".pt":
        torch.save(mlp342.state_dict(), path)
    else:
        save_file({k: v.contiguous() for k, v in mlp342.state_dict().items()}, str(path))
    data = path.read_bytes()
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError) as e:
        load(cut)
    _one_line(e, f"cut{suffix}", "truncated")


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_error_pickled_model_is_refused_and_never_run(tmp_path, mlp342):
    torch.save(mlp342, tmp_path / "whole.pt")
    with pytest.raises(InputError) as e:
        load(tmp_path / "whole.pt")
    _one_line(e, "whole.pt", "pickled model", "torch.save(model.state_dict(), path)")
    marker = tmp_path / "pwned"
    torch.save({"x": _Evil(str(marker))}, tmp_path / "evil.pt")
    with pytest.raises(InputError):
        load(tmp_path / "evil.pt")
    assert not marker.exists()
    with open(tmp_path / "raw.pkl", "wb") as fh:
        pickle.dump(_Evil(str(marker)), fh)
    with pytest.raises(InputError):
        load(tmp_path / "raw.pkl")
    assert not marker.exists()


def test_error_no_prunable_layer(tmp_path):
    torch.save({"bn.weight": torch.ones(4), "bn.bias": torch.zeros(4)}, tmp_path / "bn.pt")
    with pytest.raises(InputError) as e:
        load(tmp_path / "bn.pt")
    _one_line(e, "bn.pt", "no prunable layer")
    torch.save({"epoch": 3, "lr": 0.1}, tmp_path / "meta.pt")
    with pytest.raises(InputError) as e:
        load(tmp_path / "meta.pt")
    _one_line(e, "meta.pt", "no tensors")


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
@pytest.mark.parametrize("model", [None, "lenet300"])
def test_error_nan_inf_weights(tmp_path, bad, model):
    m = zoo.get_model("lenet300", input_shape=(1, 8, 8), rng=0)
    sd = m.state_dict()
    sd["fc2.weight"][3, 4] = bad
    torch.save(sd, tmp_path / "nan.pt")
    with pytest.raises(InputError) as e:
        load(tmp_path / "nan.pt", model=model, input_shape=(1, 8, 8))
    _one_line(e, "nan.pt", "fc2", "NaN/Inf")


def test_error_mask_shape_mismatch(tmp_path):
    sd = {"fc1.weight_orig": torch.ones(4, 3), "fc1.weight_mask": torch.ones(3, 4),
          "fc2.weight": torch.ones(2, 4)}
    torch.save(sd, tmp_path / "mask.pt")
    with pytest.raises(InputError) as e:
        load(tmp_path / "mask.pt")
    _one_line(e, "mask.pt", "fc1.weight", "(3, 4)", "(4, 3)")
    sd = {"fc1.weight_orig": torch.ones(4, 3)}
    with pytest.raises(InputError) as e:
        load(sd)
    _one_line(e, "fc1.weight_mask")


def test_error_owner_shape_and_task_without_owners(mlp342):
    sd = dict(mlp342.state_dict())
    with pytest.raises(UsageError) as e:
        load(sd, task=0)
    _one_line(e, "task=0", "ownership")
    sd["fc1.weight_owner"] = torch.zeros(2, 2, dtype=torch.long)
    with pytest.raises(InputError) as e:
        load(sd, task=0)
    _one_line(e, "fc1.weight", "owner")
    with pytest.raises(UsageError):
        effective_weights(sd, task=-1)


def test_error_weights_do_not_fit_model(tmp_path, mlp342):
    torch.save(mlp342.state_dict(), tmp_path / "mlp.pt")
    with pytest.raises(InputError) as e:
        load(tmp_path / "mlp.pt", model="lenet5")
    _one_line(e, "mlp.pt", "do not fit model")


def test_read_checkpoint_returns_metadata(tmp_path, mlp342):
    save_file({k: v.contiguous() for k, v in mlp342.state_dict().items()}, str(tmp_path / "a.safetensors"),
              metadata={"prunegraph_model": "x"})
    ck = read_checkpoint(tmp_path / "a.safetensors")
    assert isinstance(ck, Checkpoint) and ck.format == "safetensors"
    assert ck.source == str(tmp_path / "a.safetensors")
    assert set(ck.tensors) == set(mlp342.state_dict()) and ck.metadata == {META_MODEL: "x"}
    torch.save({"model_state_dict": {f"module.{k}": v for k, v in mlp342.state_dict().items()},
                META_MODEL: "y", "epoch": 3}, tmp_path / "b.pt")
    ck = read_checkpoint(tmp_path / "b.pt")
    assert ck.format == "torch"
    assert ck.metadata == {META_MODEL: "y", META_STATE_KEY: "model_state_dict", META_PREFIX: "module."}
    assert set(ck.tensors) == set(mlp342.state_dict())
    with pytest.raises(dataclasses.FrozenInstanceError):
        ck.format = "x"
    with pytest.raises(UsageError):
        load(12345)


def test_device_argument_keeps_or_moves_matrices(mlp342):
    net = load(mlp342)
    assert all(lg.weight.device.type == "cpu" for lg in net.layers)
    net = load(mlp342, device="cpu")
    assert net.layer("fc1").in_degree.tolist() == [3, 1, 1, 0]
    if torch.cuda.is_available():
        gnet = load(mlp342, device="cuda")
        assert gnet.layer("fc1").weight.is_cuda
        np.testing.assert_array_equal(gnet.degrees("total").values, net.degrees("total").values)
        assert gnet.to_networkx().number_of_edges() == net.n_edges
