"""Training loop: learning, seeding, gradient masks, task heads, evaluation, CLI."""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn

from prunegraph.cli import main
from prunegraph.errors import UsageError
from prunegraph.models.data import load_digits
from prunegraph.models.zoo import get_model
from prunegraph.training.prune import magnitude_prune
from prunegraph.training.train import TrainResult, evaluate, train


@pytest.fixture(scope="module")
def digits():
    return load_digits(split="train", rng=0), load_digits(split="test", rng=0)


def test_learns_digits(digits):
    (X, y), (Xt, yt) = digits
    model = get_model("lenet300", input_shape=(1, 8, 8), rng=0)
    before = evaluate(model, Xt, yt, device="cpu")
    res = train(model, X, y, epochs=8, lr=0.05, batch_size=32, rng=0, device="cpu", eval_data=(Xt, yt))
    assert before < 0.3
    assert res.eval_accuracy[-1] > 0.9
    assert res.losses[-1] < res.losses[0]
    assert res.steps == 8 * math.ceil(len(y) / 32)
    assert len(res.losses) == len(res.train_accuracy) == len(res.eval_accuracy) == 8
    assert res.final_accuracy == res.eval_accuracy[-1] == evaluate(model, Xt, yt, device="cpu")
    json.dumps(res.to_dict())


def test_same_seed_same_weights(digits):
    (X, y), _ = digits

    def run(seed):
        m = get_model("lenet5", input_shape=(1, 8, 8), rng=0)
        train(m, X[:256], y[:256], epochs=1, lr=0.05, batch_size=32, rng=seed, device="cpu")
        return m.fc1.weight.detach().clone()

    assert torch.equal(run(1), run(1))
    assert not torch.equal(run(1), run(2))


def test_evaluate_matches_literal_accuracy():
    model = nn.Linear(5, 3)
    X = torch.randn(37, 5, generator=torch.Generator().manual_seed(0))
    y = torch.randint(0, 3, (37,), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        literal = sum(int(model(X[i:i + 1]).argmax()) == int(y[i]) for i in range(37)) / 37
    assert evaluate(model, X, y, batch_size=4, device="cpu") == pytest.approx(literal)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_grad_mask_freezes_exactly(optimizer, weight_decay):
    g = torch.Generator().manual_seed(0)
    X = torch.randn(64, 6, generator=g)
    y = (X[:, 0] > 0).long()
    model = nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2))
    mask = (torch.rand(4, 6, generator=g) > 0.5).float()
    w0 = model[0].weight.detach().clone()
    b2 = model[2].bias.detach().clone()
    train(model, X, y, epochs=3, lr=0.05, batch_size=16, rng=0, device="cpu", optimizer=optimizer,
          weight_decay=weight_decay, grad_mask={"0.weight": mask, "2.bias": torch.zeros(2)})
    w1 = model[0].weight.detach()
    frozen = mask == 0
    assert torch.equal(w1[frozen], w0[frozen])
    assert (w1[~frozen] != w0[~frozen]).all()
    assert torch.equal(model[2].bias.detach(), b2)


def test_pruned_weights_stay_zero(digits):
    (X, y), _ = digits
    m = get_model("lenet300", input_shape=(1, 8, 8), rng=0)
    magnitude_prune(m, density=0.2)
    mask = m.fc1.weight_mask.clone()
    train(m, X[:200], y[:200], epochs=1, lr=0.05, batch_size=32, rng=0, device="cpu")
    assert torch.equal(m.fc1.weight_mask, mask)
    assert (m.fc1.weight.detach()[mask == 0] == 0).all()
    m(X[:2])  # the hook recomputes weight = orig * mask
    assert (m.fc1.weight.detach()[mask == 0] == 0).all()


def test_class_list_head(digits):
    (X, y), (Xt, yt) = digits
    sel, selt = (y == 3) | (y == 7), (yt == 3) | (yt == 7)
    m = get_model("lenet300", input_shape=(1, 8, 8), rng=0)
    res = train(m, X[sel], y[sel], epochs=3, lr=0.05, batch_size=16, rng=0, device="cpu", head=[3, 7])
    acc = evaluate(m, Xt[selt], yt[selt], device="cpu", head=[3, 7])
    with torch.no_grad():
        pred = torch.tensor([3, 7])[m(Xt[selt])[:, [3, 7]].argmax(1)]
    assert acc == pytest.approx(float((pred == yt[selt]).float().mean()))
    assert acc > 0.9 and res.steps > 0
    with pytest.raises(UsageError, match="not among head classes"):
        evaluate(m, Xt, yt, device="cpu", head=[3, 7])


def test_callable_head():
    X = torch.randn(32, 4)
    y = torch.zeros(32, dtype=torch.long)
    m = nn.Linear(4, 3)
    seen = []

    def head(model, xb):
        seen.append(xb.shape[0])
        return model(xb)[:, :2]

    train(m, X, y, epochs=1, lr=0.1, batch_size=8, rng=0, device="cpu", head=head)
    assert seen == [8, 8, 8, 8]


def test_cosine_schedule_runs(digits):
    (X, y), _ = digits
    m = get_model("lenet300", input_shape=(1, 8, 8), rng=0)
    res = train(m, X, y, epochs=2, lr=0.1, batch_size=64, rng=0, device="cpu", schedule="cosine")
    assert isinstance(res, TrainResult) and res.device == "cpu" and res.seconds > 0


@pytest.mark.parametrize("kwargs, match", [
    (dict(grad_mask={"nope": torch.ones(1)}), "not a parameter"),
    (dict(optimizer="lbfgs"), "optimizer"),
    (dict(schedule="step"), "schedule"),
    (dict(lr=0.0), "lr"),
])
def test_bad_arguments(kwargs, match):
    m = nn.Linear(2, 2)
    with pytest.raises(UsageError, match=match):
        train(m, torch.zeros(4, 2), torch.zeros(4, dtype=torch.long), device="cpu", **kwargs)


def test_mismatched_data():
    with pytest.raises(UsageError, match="samples"):
        train(nn.Linear(2, 2), torch.zeros(4, 2), torch.zeros(3, dtype=torch.long))


def test_divergence_is_reported():
    X = torch.randn(32, 3, generator=torch.Generator().manual_seed(0)) * 1e20
    with pytest.raises(UsageError, match="diverged"):
        train(nn.Linear(3, 2), X, torch.zeros(32, dtype=torch.long), lr=1e10, epochs=3, device="cpu")


def test_cli_train(tmp_path):
    out = tmp_path / "dense.safetensors"
    assert main(["train", "--model", "lenet300", "--dataset", "digits", "--epochs", "3", "--batch-size", "32",
                 "-q", "-o", str(out)]) == 0
    man = json.loads(out.with_suffix(".json").read_text())
    assert man["model"] == "lenet300" and man["dataset"] == "digits" and man["seed"] == 0
    assert man["accuracy_dense"] > 0.8 and man["densities"]["fc1.weight"] == 1.0
    assert {"torch", "prunegraph", "numpy"} <= set(man["versions"])


def test_cli_train_usage_errors(tmp_path, capsys):
    assert main(["train", "--model", "lenet300", "-o", str(tmp_path / "x.pt")]) == 2
    assert "must end in .safetensors" in capsys.readouterr().err
    assert main(["train", "--model", "nonet", "-o", str(tmp_path / "x.safetensors")]) == 2
