"""Pruning: exact densities, agreement with torch.nn.utils.prune, IMP, structured, random null,
checkpoints, the CLI, and the shipped reference checkpoints (package data)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import stats
from torch import nn
from torch.nn.utils import prune as tprune

from prunegraph import checkpoint as C
from prunegraph.checkpoint import reference_checkpoints
from prunegraph.cli import main
from prunegraph.errors import InputError, UsageError
from prunegraph.models.data import load_digits
from prunegraph.models.zoo import get_model
from prunegraph.training import prune as P
from prunegraph.training.train import evaluate, train

DATA = reference_checkpoints()[0].parent  # package data: prunegraph/_data/reference
README = Path(__file__).resolve().parent.parent / "data" / "README.md"
SMALL = (1, 8, 8)


def literal_topk_mask(w: torch.Tensor, k: int) -> torch.Tensor:
    """Slow literal reference: sort (−|w|, flat index) with Python's sort, keep the first k."""
    flat = w.detach().abs().flatten().tolist()
    order = sorted(range(len(flat)), key=lambda i: (-flat[i], i))
    keep = torch.zeros(len(flat), dtype=torch.bool)
    keep[order[:k]] = True
    return keep.view(w.shape)


@pytest.mark.parametrize("density", [0.0, 0.013, 0.1, 0.37, 1.0])
@pytest.mark.parametrize("name", ["lenet300", "lenet5", "lstm", "resnet_small"])
def test_magnitude_layer_exact(name, density):
    m = get_model(name, input_shape=SMALL, rng=0)
    raw = {k: getattr(mod, p).detach().clone() for k, (mod, p) in P._layers(m).items()}
    rep = P.magnitude_prune(m, density=density)
    for k, w in raw.items():
        assert rep.kept[k] == round(density * w.numel())
        mod, p = P._layers(m)[k]
        mask = getattr(mod, p + "_mask")
        assert torch.equal(mask.bool(), literal_topk_mask(w, rep.kept[k]))
        assert hasattr(mod, p + "_orig")
    assert P.layer_densities(m) == rep.densities
    m(torch.zeros(2, *SMALL))  # still runs


def test_magnitude_matches_torch_l1_unstructured():
    ref = get_model("lenet5", input_shape=SMALL, rng=1)
    ours = get_model("lenet5", input_shape=SMALL, rng=1)
    P.magnitude_prune(ours, density=0.3)
    for name, mod, p in P.prunable_parameters(ref):
        n = getattr(mod, p).numel()
        tprune.l1_unstructured(mod, p, amount=n - round(0.3 * n))
        assert torch.equal(getattr(mod, p + "_mask"), getattr(dict(ours.named_modules())[name], p + "_mask"))


def test_global_matches_torch_global_unstructured():
    ref = get_model("lenet300", input_shape=SMALL, rng=2)
    ours = get_model("lenet300", input_shape=SMALL, rng=2)
    rep = P.magnitude_prune(ours, density=0.1, scope="global")
    total = sum(rep.total.values())
    assert sum(rep.kept.values()) == round(0.1 * total)
    params = [(mod, p) for _, mod, p in P.prunable_parameters(ref)]
    tprune.global_unstructured(params, pruning_method=tprune.L1Unstructured, amount=total - round(0.1 * total))
    for (mod, p), (_, omod, op) in zip(params, P.prunable_parameters(ours)):
        assert torch.equal(getattr(mod, p + "_mask"), getattr(omod, op + "_mask"))
    assert len(set(rep.densities.values())) == 3  # global: densities follow the magnitudes


def test_ties_broken_by_index():
    m = nn.Sequential(nn.Linear(4, 3))
    with torch.no_grad():
        m[0].weight.fill_(0.5)
    P.magnitude_prune(m, density=5 / 12)
    assert m[0].weight_mask.flatten().tolist() == [1.0] * 5 + [0.0] * 7


def test_per_layer_map_and_no_revival():
    m = get_model("lenet300", input_shape=SMALL, rng=0)
    rep = P.magnitude_prune(m, density={"fc1": 0.2, "fc3.weight": 0.5})
    assert rep.kept == {"fc1.weight": round(0.2 * 19200), "fc2.weight": 30000, "fc3.weight": 500}
    rep2 = P.magnitude_prune(m, density={"fc1": 0.1})  # prunes further among the survivors
    assert rep2.kept["fc1.weight"] == 1920
    assert ((m.fc1.weight_mask == 1) <= (rep.model.fc1.weight_mask == 1)).all()
    with pytest.raises(UsageError, match="not revived"):
        P.magnitude_prune(m, density={"fc1": 0.5})
    with pytest.raises(UsageError, match="no prunable layer 'fc9'"):
        P.magnitude_prune(m, density={"fc9": 0.5})
    with pytest.raises(UsageError, match="density"):
        P.magnitude_prune(m, density=1.5)


@pytest.fixture(scope="module")
def trained_digits():
    (X, y), (Xt, yt) = load_digits(split="train", rng=0), load_digits(split="test", rng=0)
    m = get_model("lenet300", input_shape=SMALL, rng=0)
    train(m, X, y, epochs=10, lr=0.05, batch_size=32, rng=0, device="cpu")
    return m, (X, y), (Xt, yt)


def test_iterative_magnitude_prune_keeps_accuracy(trained_digits):
    dense, (X, y), (Xt, yt) = trained_digits
    m = get_model("lenet300", input_shape=SMALL)
    m.load_state_dict(dense.state_dict())
    acc_dense = evaluate(m, Xt, yt, device="cpu")
    res = P.iterative_magnitude_prune(m, X, y, density=0.1, prune_fraction=0.4, epochs_per_round=1,
                                      final_epochs=2, lr=0.01, batch_size=32, rng=0, device="cpu",
                                      eval_data=(Xt, yt))
    dens = [r["overall_density"] for r in res.rounds]
    assert dens == sorted(dens, reverse=True) and len(dens) == 5  # 0.6^5 < 0.1 <= 0.6^4
    assert res.report.densities == {k: 0.1 for k in res.report.densities}
    assert all(r["densities"]["fc1.weight"] == pytest.approx(max(0.1, 0.6 ** r["round"]), abs=1e-4)
               for r in res.rounds)
    acc = evaluate(m, Xt, yt, device="cpu")
    assert acc == res.rounds[-1]["accuracy"]
    # stated bound: 90 % sparse LeNet-300-100 on digits within 3 points of dense after a short IMP
    assert acc >= acc_dense - 0.03, (acc_dense, acc)


def test_iterative_global(trained_digits):
    dense, (X, y), _ = trained_digits
    m = get_model("lenet300", input_shape=SMALL)
    m.load_state_dict(dense.state_dict())
    res = P.iterative_magnitude_prune(m, X[:300], y[:300], density=0.2, scope="global", prune_fraction=0.5,
                                      epochs_per_round=0, device="cpu")
    assert len(res.rounds) == 3 and sum(res.report.kept.values()) == round(0.2 * sum(res.report.total.values()))


@pytest.mark.parametrize("density", [0.25, 0.5, 0.9])
def test_structured_rows(density):
    m = get_model("lenet5", input_shape=SMALL, rng=0)
    raw = {k: getattr(mod, p).detach().clone() for k, (mod, p) in P._layers(m).items()}
    rep = P.structured_prune(m, density=density, propagate=False)
    assert rep.kept["fc3.weight"] == rep.total["fc3.weight"]  # the class layer is left alone
    for k in ["conv1.weight", "conv2.weight", "fc1.weight", "fc2.weight"]:
        mod, p = P._layers(m)[k]
        mask = getattr(mod, p + "_mask").bool()
        alive = mask.flatten(1).any(1)
        n = mask.shape[0]
        assert int(alive.sum()) == round(density * n)
        assert torch.equal(mask.flatten(1).all(1), alive)  # whole units only
        assert tuple(mask.shape) == tuple(raw[k].shape)  # dead units stay in place
        norms = raw[k].flatten(1).norm(dim=1)
        assert norms[alive].min() >= norms[~alive].max()  # the strongest units survive
        assert rep.densities[k] == pytest.approx(round(density * n) / n)
    # dead units: zero in-degree in the unit graph
    in_deg = (m.fc1.weight_mask != 0).sum(1)
    assert int((in_deg == 0).sum()) == 120 - round(density * 120)


@pytest.mark.parametrize("name", ["lenet300", "lenet5", "vgg_small"])
def test_structured_propagates_out_edges(name):
    m = get_model(name, input_shape=SMALL, rng=0)
    with _no_warning():
        rep = P.structured_prune(m, density=0.5)
    masks = {k: v for k, v in P.get_masks(m).items()}
    keys = list(masks)
    for prod, cons in zip(keys[:-1], keys[1:]):  # these zoo models are plain chains
        rows_alive = masks[prod].flatten(1).any(1)
        assert int(rows_alive.sum()) == round(0.5 * masks[prod].shape[0])
        cols = masks[cons].transpose(0, 1).flatten(1).any(1)  # per input column / channel
        fold = cols.numel() // rows_alive.numel()
        # a removed unit has no out-edges left, a kept one keeps all of them
        assert torch.equal(cols, rows_alive.repeat_interleave(fold))
    # total degree of removed hidden units is 0: literal count over the two masks
    first, second = masks[keys[0]], masks[keys[1]]
    total = first.flatten(1).sum(1) + second.transpose(0, 1).flatten(1).sum(1)
    assert int((total == 0).sum()) == first.shape[0] - round(0.5 * first.shape[0])
    assert rep.kept[keys[-1]] < rep.total[keys[-1]]  # the class layer lost the columns of dead units


class _no_warning:
    def __enter__(self):
        import warnings
        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("error")

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def test_structured_residual_warns_and_keeps_out_edges():
    m = get_model("resnet_small", input_shape=SMALL, rng=0)
    with pytest.warns(UserWarning, match="layer1.conv2.weight"):
        P.structured_prune(m, density=0.5)
    # inside a block the out-edges do go: layer1.conv1 -> layer1.conv2 columns
    alive = m.layer1.conv1.weight_mask.flatten(1).any(1)
    assert torch.equal(m.layer1.conv2.weight_mask.transpose(0, 1).flatten(1).any(1), alive)
    # into the residual stream they stay: layer2.conv1 still reads every stem channel
    assert m.layer2.conv1.weight_mask.transpose(0, 1).flatten(1).any(1).all()


def test_structured_columns_linear():
    m = nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 3))
    with torch.no_grad():
        m[2].weight.copy_(torch.tensor([[1.0, 0, 0, 3], [1, 0, 0, 3], [1, 0.5, 0, 3]]))
    P.structured_prune(m, density=0.5, dim=1)
    assert (m[2].weight_mask.sum(0) > 0).tolist() == [True, False, False, True]
    assert not hasattr(m[0], "weight_mask")  # default dim=1 leaves the first (pixel) layer alone


def test_structured_rejects_recurrent():
    with pytest.raises(UsageError, match="recurrent"):
        P.structured_prune(get_model("lstm", input_shape=SMALL), density=0.5, layers=["lstm.weight_hh_l0"])


def test_random_prune_like_exact_and_seeded():
    ref = get_model("lenet5", input_shape=SMALL, rng=0)
    P.magnitude_prune(ref, density={"conv1": 0.66, "conv2": 0.12, "fc1": 0.08, "fc2": 0.12, "fc3": 0.25})
    a = get_model("lenet5", input_shape=SMALL, rng=1)
    b = get_model("lenet5", input_shape=SMALL, rng=1)
    c = get_model("lenet5", input_shape=SMALL, rng=1)
    ra = P.random_prune_like(a, ref, rng=7)
    P.random_prune_like(b, ref, rng=7)
    P.random_prune_like(c, P.layer_densities(ref), rng=8)
    assert ra.kept == P._report(ref, "x").kept
    assert P.layer_counts(c) == P.layer_counts(ref)
    assert all(torch.equal(x, y) for x, y in zip(P.get_masks(a).values(), P.get_masks(b).values()))
    assert not torch.equal(P.get_masks(a)["fc1.weight"], P.get_masks(c)["fc1.weight"])
    # not the magnitude mask
    assert not torch.equal(P.get_masks(a)["fc1.weight"], P.get_masks(ref)["fc1.weight"])


def binomial_chi2_pvalue(degrees: np.ndarray, n: int, p: float) -> float:
    """Chi-square goodness of fit of degrees to Binomial(n, p), bins pooled to expected >= 5."""
    k = np.arange(n + 1)
    expected = stats.binom.pmf(k, n, p) * len(degrees)
    observed = np.bincount(degrees, minlength=n + 1).astype(float)
    obs_bins, exp_bins, o, e = [], [], 0.0, 0.0
    for ki in k:
        o += observed[ki]
        e += expected[ki]
        if e >= 5:
            obs_bins.append(o)
            exp_bins.append(e)
            o = e = 0.0
    obs_bins[-1] += o
    exp_bins[-1] += e
    exp_bins = np.array(exp_bins) * sum(obs_bins) / sum(exp_bins)
    return float(stats.chisquare(obs_bins, exp_bins, ddof=0).pvalue)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_in_degrees_are_binomial(seed):
    m = nn.Sequential(nn.Linear(200, 2000))
    P.random_prune_like(m, {"0": 0.1}, rng=seed)
    in_deg = (m[0].weight_mask != 0).sum(1).numpy()
    assert binomial_chi2_pvalue(in_deg, 200, 0.1) > 1e-3


def test_chi2_check_has_power():
    # magnitude pruning of weights whose scale varies by output unit is far from binomial
    m = nn.Sequential(nn.Linear(200, 2000))
    with torch.no_grad():
        m[0].weight.mul_(torch.linspace(0.1, 3.0, 2000)[:, None])
    P.magnitude_prune(m, density=0.1)
    in_deg = (m[0].weight_mask != 0).sum(1).numpy()
    assert binomial_chi2_pvalue(in_deg, 200, 0.1) < 1e-6


def test_random_prune_like_errors():
    m = get_model("lenet300", input_shape=SMALL)
    with pytest.raises(UsageError, match="not in the model"):
        P.random_prune_like(m, get_model("lenet5", input_shape=SMALL), rng=0)
    with pytest.raises(UsageError, match="reference"):
        P.random_prune_like(m, [0.1], rng=0)


@pytest.mark.parametrize("name", ["lenet300", "lstm", "resnet_small"])
def test_checkpoint_roundtrip(tmp_path, name):
    from safetensors import safe_open

    m = get_model(name, input_shape=SMALL, rng=0)
    P.magnitude_prune(m, density=0.2)
    m.eval()
    path = tmp_path / f"{name}.safetensors"
    man_path = C.save_checkpoint(m, path, manifest={"method": "magnitude", "seed": 0})
    with safe_open(str(path), framework="pt") as fh:
        meta = fh.metadata()
        keys = set(fh.keys())
        orig = {k: fh.get_tensor(k) for k in keys if k.endswith("_orig")}
        masks = {k: fh.get_tensor(k) for k in keys if k.endswith("_mask")}
    assert meta["prunegraph_model"] == name and json.loads(meta["prunegraph_input_shape"]) == list(SMALL)
    assert meta["prunegraph_num_classes"] == "10" and json.loads(meta["prunegraph_manifest"])["method"] == "magnitude"
    for k, w in orig.items():  # stored zeroed where pruned
        assert (w[masks[k[:-5] + "_mask"] == 0] == 0).all()
    man = json.loads(man_path.read_text())
    assert man["sha256"] == C.file_sha256(path) and man["file"] == path.name
    m2, man2 = C.load_checkpoint(path)
    assert man2 == man and P.layer_counts(m2) == P.layer_counts(m)
    x = torch.randn(3, *SMALL)
    torch.testing.assert_close(m2(x), m(x))


def test_load_checkpoint_errors(tmp_path):
    from safetensors.torch import save_file

    m = get_model("lenet300", input_shape=SMALL, rng=0)
    path = tmp_path / "m.safetensors"
    C.save_checkpoint(m, path)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="sha256"):
        C.load_checkpoint(path)
    bare = tmp_path / "bare.safetensors"
    save_file({"fc1.weight": torch.zeros(2, 2)}, str(bare))
    with pytest.raises(InputError, match="no prunegraph_model metadata"):
        C.load_checkpoint(bare)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a safetensors file")
    with pytest.raises(InputError, match="not a readable safetensors"):
        C.load_checkpoint(junk)
    wrong = tmp_path / "wrong.safetensors"
    save_file({"fc1.weight": torch.zeros(2, 2)}, str(wrong),
              metadata={"prunegraph_model": "lenet300", "prunegraph_input_shape": "[1, 8, 8]",
                        "prunegraph_num_classes": "10"})
    with pytest.raises(InputError, match="do not fit"):
        C.load_checkpoint(wrong)
    with pytest.raises(UsageError, match="zoo"):
        C.save_checkpoint(nn.Linear(2, 2), tmp_path / "x.safetensors")


def test_cli_prune_imp_then_random(tmp_path, capsys):
    dense = tmp_path / "dense.safetensors"
    imp = tmp_path / "imp.safetensors"
    rnd = tmp_path / "rnd.safetensors"
    assert main(["train", "--model", "lenet300", "--dataset", "digits", "--epochs", "4", "--batch-size", "32",
                 "-q", "-o", str(dense)]) == 0
    assert main(["prune", "--checkpoint", str(dense), "--dataset", "digits", "--method", "imp", "--sparsity", "0.8",
                 "--prune-fraction", "0.5", "--batch-size", "32", "-q", "-o", str(imp)]) == 0
    assert main(["prune", "--checkpoint", str(dense), "--dataset", "digits", "--method", "random", "--like", str(imp),
                 "-q", "-o", str(rnd)]) == 0
    mi, mani = C.load_checkpoint(imp)
    mr, manr = C.load_checkpoint(rnd)
    assert mani["densities"] == {"fc1.weight": 0.2, "fc2.weight": 0.2, "fc3.weight": 0.2}
    assert P.layer_counts(mr) == P.layer_counts(mi)
    assert mani["accuracy_dense"] == json.loads(dense.with_suffix(".json").read_text())["accuracy_dense"]
    assert 0 <= mani["accuracy_pruned"] <= 1 and len(mani["details"]["rounds"]) == 3
    assert manr["details"]["like"]["sha256"] == C.file_sha256(imp)
    assert "imp to density 0.2000" in capsys.readouterr().out


@pytest.mark.parametrize("method", ["magnitude", "global", "structured"])
def test_cli_prune_from_model(tmp_path, method):
    out = tmp_path / "p.safetensors"
    assert main(["prune", "--model", "lenet5", "--dataset", "digits", "--epochs", "1", "--method", method,
                 "--density", "0.5", "--retrain-epochs", "1", "-q", "-o", str(out)]) == 0
    man = json.loads(out.with_suffix(".json").read_text())
    assert man["method"] == method and man["target_density"] == 0.5
    if method == "magnitude":
        assert set(man["densities"].values()) == {0.5}
    if method == "global":
        assert man["overall_density"] == pytest.approx(0.5, abs=1e-4)


@pytest.mark.parametrize("argv, code", [
    (["prune", "--model", "lenet300", "-o", "x.safetensors"], 2),             # no amount
    (["prune", "--model", "lenet300", "--sparsity", "1.5", "-o", "x.safetensors"], 2),
    (["prune", "--model", "lenet300", "--density", "0.1", "--like", "a.safetensors", "-o", "x.safetensors"], 2),
    (["prune", "--checkpoint", "missing.safetensors", "--density", "0.1", "-o", "x.safetensors"], 1),
])
def test_cli_prune_errors(tmp_path, monkeypatch, argv, code):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == code


# ----------------------------------------------------------------------------- shipped reference checkpoints
SHIPPED = sorted(DATA.glob("*.safetensors"))


def test_reference_checkpoints_exist():
    names = {p.name for p in SHIPPED}
    assert {"lenet300_fmnist_imp.safetensors", "lenet300_fmnist_random.safetensors",
            "lenet5_fmnist_imp.safetensors", "lenet5_fmnist_random.safetensors",
            "lenet300_digits_imp.safetensors"} <= names
    readme = README.read_text()
    assert all(n in readme for n in names)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_reference_manifest_matches_file(path):
    from safetensors import safe_open

    man = json.loads(path.with_suffix(".json").read_text())
    assert path.stat().st_size < 5_000_000
    assert man["sha256"] == C.file_sha256(path) and man["file"] == path.name
    # densities recomputed from the raw tensors, without prunegraph's loader
    with safe_open(str(path), framework="pt") as fh:
        masks = {k[:-5]: fh.get_tensor(k) for k in fh.keys() if k.endswith("_mask")}
        assert json.loads(fh.metadata()["prunegraph_manifest"])["accuracy"] == man["accuracy"]
    dens = {k: float((v != 0).sum()) / v.numel() for k, v in masks.items()}
    assert set(dens) == set(man["densities"])
    assert all(dens[k] == pytest.approx(man["densities"][k], abs=1e-12) for k in dens)
    total = sum(v.numel() for v in masks.values())
    assert sum(float((v != 0).sum()) for v in masks.values()) / total == pytest.approx(man["overall_density"])
    assert set(man["versions"]) >= {"torch", "prunegraph"} and "seed" in man


@pytest.mark.parametrize("stem", ["lenet300_fmnist", "lenet5_fmnist", "lenet300_digits"])
def test_reference_imp_quality_and_twins(stem):
    imp = DATA / f"{stem}_imp.safetensors"
    man = json.loads(imp.with_suffix(".json").read_text())
    assert 0.08 <= man["overall_density"] <= 0.10
    if "fmnist" in stem:
        assert man["accuracy_pruned"] >= man["accuracy_dense"] - 0.01  # within 1 point of dense
    twin = DATA / f"{stem}_random.safetensors"
    if twin.exists():
        mi, _ = C.load_checkpoint(imp)
        mr, manr = C.load_checkpoint(twin)
        assert P.layer_counts(mr) == P.layer_counts(mi)
        assert manr["like"]["sha256"] == man["sha256"]


def test_reference_digits_accuracy_reproduces():
    Xt, yt = load_digits(split="test", rng=0)
    model, man = C.load_checkpoint(DATA / "lenet300_digits_imp.safetensors")
    assert evaluate(model, Xt, yt, device="cpu") == pytest.approx(man["accuracy"])


# ----------------------------------------------------------------------------- recipes
def test_random_twin_equals_its_literal_recipe():
    """random_twin = the dense weights, random_prune_like(seed), then train(seed + 1), done by hand."""
    import copy

    from prunegraph.training.recipes import random_twin

    X, y = load_digits(split="train", rng=0)
    Xt, yt = load_digits(split="test", rng=0)
    m = get_model("lenet300", input_shape=(1, 8, 8), rng=0)
    dense = copy.deepcopy(m.state_dict())
    P.magnitude_prune(m, density=0.2)
    tw = random_twin(m, dense, X, y, epochs=1, rng=5, eval_data=(Xt, yt), device="cpu", lr=0.05, batch_size=64)
    ref = get_model("lenet300", input_shape=(1, 8, 8), rng=9)
    ref.load_state_dict(dense)
    P.random_prune_like(ref, m, rng=5)
    before = evaluate(ref, Xt, yt, device="cpu")
    train(ref, X, y, epochs=1, rng=6, device="cpu", lr=0.05, batch_size=64)
    assert P.layer_counts(tw.model) == P.layer_counts(m)
    assert tw.accuracy_before_retraining == before and tw.accuracy == evaluate(ref, Xt, yt, device="cpu")
    for k, v in ref.state_dict().items():
        assert torch.equal(tw.model.state_dict()[k], v), k


@pytest.mark.parametrize("method", ["magnitude", "global", "structured", "random"])
def test_prune_and_retrain_matches_the_method_then_retraining(method):
    """One-shot methods: the named pruning function, then train(rng + 1) — compared with doing it by hand."""
    from prunegraph.training.recipes import prune_and_retrain

    X, y = load_digits(split="train", rng=0)
    a = get_model("lenet300", input_shape=(1, 8, 8), rng=0)
    b = get_model("lenet300", input_shape=(1, 8, 8), rng=0)
    out = prune_and_retrain(a, X, y, method=method, density=0.3, rng=3, retrain_epochs=1, lr=0.01, batch_size=64,
                            device="cpu")
    if method in ("magnitude", "global"):
        P.magnitude_prune(b, density=0.3, scope="layer" if method == "magnitude" else "global")
    elif method == "structured":
        P.structured_prune(b, density=0.3)
    else:
        P.random_prune_like(b, {k: 0.3 for k in P.layer_densities(b)}, rng=3)
    train(b, X, y, epochs=1, rng=4, lr=0.01, batch_size=64, device="cpu")
    assert out.report.kept == {k: v[0] for k, v in P.layer_counts(b).items()}
    for k, v in b.state_dict().items():
        assert torch.equal(a.state_dict()[k], v), k
    with pytest.raises(UsageError, match="method"):
        prune_and_retrain(a, X, y, method="bogus", density=0.3)
