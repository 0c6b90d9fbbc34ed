"""Honest continual metrics: absolute-target speed, curve area, intervals, scratch reference,
compute, capacity, near-chance warning, domain head capacity, device selection, train hooks."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from scipy import stats

from prunegraph.cli import main
from prunegraph.continual import ContinualConfig, run_continual
from prunegraph.continual.distributed import select_backend, select_device
from prunegraph.continual.driver import NearChanceWarning
from prunegraph.continual.metrics import (
    curve_area,
    mean_ci,
    paired_differences,
    steps_to_target,
    transfer_vs_scratch,
)
from prunegraph.errors import UsageError
from prunegraph.training.train import train

TINY = ContinualConfig(benchmark="split-digits", n_tasks=2, epochs=1, min_steps=40,
                       retrain_min_steps=10, attachment_bootstrap=0, growth="uniform",
                       eval_every=5, eval_dense=3, scratch_reference=False, batch_size=128)


# --------------------------------------------------------------------------- pure metrics
@pytest.mark.parametrize("steps, acc", [([0, 1, 3, 10], [0.1, 0.4, 0.9, 0.8]),
                                        ([0, 5, 5, 9], [0.5, 0.7, 0.2, 1.0])])
def test_curve_area_matches_numpy_trapezoid(steps, acc):
    ref = np.trapezoid(acc, steps) / (steps[-1] - steps[0])
    assert curve_area(steps, acc) == pytest.approx(ref)


def test_steps_to_target_is_absolute():
    # the same curve scaled down: a relative criterion would give the same step, ours does not
    s = [0, 1, 2, 3]
    assert steps_to_target(s, [0.5, 0.8, 0.95, 0.96], 0.9) == 2
    assert steps_to_target(s, [0.25, 0.4, 0.475, 0.48], 0.9) is None


def test_mean_ci_and_paired_against_scipy():
    a = [0.91, 0.88, 0.93, 0.90, 0.87]
    b = [0.89, 0.88, 0.90, 0.86, 0.88]
    ci = mean_ci(a)
    lo, hi = stats.t.interval(0.95, len(a) - 1, loc=np.mean(a), scale=stats.sem(a))
    assert ci["ci"] == pytest.approx([lo, hi]) and ci["sd"] == pytest.approx(np.std(a, ddof=1))
    d = paired_differences(a, b)
    diff = np.subtract(a, b)
    lo, hi = stats.t.interval(0.95, len(a) - 1, loc=diff.mean(), scale=stats.sem(diff))
    assert d["ci"] == pytest.approx([lo, hi]) and (d["wins"], d["ties"]) == (3, 1)
    assert mean_ci([None])["mean"] is None and mean_ci([1.0])["ci"] is None


def test_transfer_vs_scratch_hand_checked():
    R = [[0.5, 0.5, 0.5], [0.9, 0.5, 0.5], [0.9, 0.8, 0.5], [0.9, 0.8, 0.7]]
    assert transfer_vs_scratch(R, [0.95, 0.7, 0.9]) == pytest.approx(((0.8 - 0.7) + (0.7 - 0.9)) / 2)


# --------------------------------------------------------------------------- runs
@pytest.fixture(scope="module")
def tiny():
    return run_continual(TINY, device="cpu").to_dict()


def test_curve_includes_retraining_and_compute(tiny):
    for rec in tiny["tasks"]:
        steps, acc = rec["curve_steps"], rec["curve_accuracy"]
        main_steps = rec["train_steps"]
        assert main_steps == 40 and rec["retrain_steps"] == 10
        assert steps[-1] == main_steps + rec["retrain_steps"]
        assert steps.count(main_steps) == 2          # before and after pruning, same step
        assert steps[:5] == [0, 1, 2, 3, 5]          # dense resolution first, then every 5
        assert rec["compute"]["steps"] == 50
        assert rec["curve_area"] == pytest.approx(curve_area(steps, acc))
        assert rec["steps_to_target"] == steps_to_target(steps, acc, TINY.target_accuracy)
    # task 1 trains its own edges and head-bias rows only: fewer trainable weights than task 0
    c0, c1 = (r["compute"] for r in tiny["tasks"])
    assert c1["trainable_weights"] < c0["trainable_weights"]
    assert c1["weight_updates"] <= c1["trainable_weights"] * c1["steps"]


def test_capacity_per_layer(tiny):
    for rec in tiny["tasks"]:
        for name, cap in rec["capacity"].items():
            used = sum(tiny["edges_per_task"][name][:rec["task"] + 1])
            assert cap["free"] == cap["total"] - used


def test_task_incremental_notes_and_summary_has_no_none(tiny, tmp_path, capsys):
    assert "by construction" in tiny["metrics"]["notes"]["BWT"]
    assert main(["continual", "--benchmark", "split-digits", "--tasks", "2", "--epochs", "1",
                 "--min-steps", "40", "--retrain-min-steps", "10", "--attachment-bootstrap", "0",
                 "--growth", "uniform", "--quiet", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "None" not in out and "by construction" in out and "steps" in out
    assert "independent sparse networks" in out


def test_scratch_reference_equals_a_sparse_uniform_first_task():
    """The from-scratch reference of task 0 is the run's own task 0 when that starts sparse and
    uniform: same seeds, same stream, same budget, a fresh network."""
    cfg = replace(TINY, first="sparse", scratch_reference=True)
    d = run_continual(cfg, device="cpu").to_dict()
    assert d["tasks"][0]["scratch_accuracy"] == d["R"][1][0]
    s1 = d["tasks"][1]["scratch_accuracy"]
    assert d["metrics"]["FWT_scratch"] == pytest.approx(d["R"][2][1] - s1)
    assert d["metrics"]["ACC_independent"] == pytest.approx((d["R"][1][0] + s1) / 2)


@pytest.fixture
def empty_scratch_cache(monkeypatch):
    from prunegraph.continual import driver

    monkeypatch.setattr(driver, "_SCRATCH_CACHE", {})
    return driver


def test_scratch_reference_is_computed_once_and_reused_unchanged(empty_scratch_cache, tmp_path,
                                                                 monkeypatch):
    """The reference of (config, task, budgets, seed) is the same for every strategy: a
    comparison reuses the first strategy's values, which equal the ones each run computes
    alone, bit for bit; a second process reuses them from the on-disk cache."""
    from prunegraph.continual.compare import run_comparison

    driver = empty_scratch_cache
    cfg = replace(TINY, scratch_reference=True)
    alone = {}
    for s in ("uniform", "set"):
        driver._SCRATCH_CACHE.clear()
        d = run_continual(replace(cfg, growth=s), device="cpu").to_dict()
        alone[s] = [r["scratch_accuracy"] for r in d["tasks"]]
    assert alone["uniform"] == alone["set"]

    driver._SCRATCH_CACHE.clear()
    trained = []
    real = driver._train_scratch
    monkeypatch.setattr(driver, "_train_scratch", lambda *a, **k: trained.append(a[2]) or real(*a, **k))
    res = run_comparison(cfg, strategies=["uniform", "set"], seeds=[0], device="cpu",
                         scratch_cache=tmp_path)
    assert trained == [0, 1]                      # once per task, not once per strategy
    for s in ("uniform", "set"):
        row = res.runs[s][0]
        assert row["ACC_independent"] == float(np.mean(alone[s]))
    assert len(list(tmp_path.glob("scratch-*.json"))) == 2

    driver._SCRATCH_CACHE.clear()                 # a new process: only the folder is left
    monkeypatch.setattr(driver, "_train_scratch", lambda *a, **k: pytest.fail("not reused"))
    d = run_continual(replace(cfg, growth="set"), device="cpu", scratch_cache=tmp_path).to_dict()
    assert [r["scratch_accuracy"] for r in d["tasks"]] == alone["set"]


def test_scratch_cache_refuses_a_foreign_file(empty_scratch_cache, tmp_path):
    from prunegraph.errors import InputError

    driver = empty_scratch_cache
    cfg = replace(TINY, scratch_reference=True)
    budgets = {"fc1.weight": 5}
    (tmp_path / f"scratch-{driver.scratch_key(cfg, 0, budgets, 'cpu')}.json").write_text("[1]")
    with pytest.raises(InputError, match="not a scratch-reference cache entry"):
        driver._scratch_accuracy(cfg, None, 0, budgets, torch.device("cpu"), cache_dir=tmp_path)


def test_near_chance_warning():
    with pytest.warns(NearChanceWarning, match="near chance"):
        d = run_continual(replace(TINY, epochs=0, retrain_epochs=0), device="cpu").to_dict()
    assert d["metrics"]["near_chance_tasks"] == [0, 1]


@pytest.mark.filterwarnings("ignore::prunegraph.continual.driver.NearChanceWarning")
def test_domain_head_capacity_refused():
    cfg = replace(TINY, benchmark="permuted-digits", scenario="domain", n_tasks=3, head_density=0.9,
                  min_steps=5, retrain_min_steps=0)
    with pytest.raises(UsageError, match="capacity exhausted after 2 tasks"):
        run_continual(cfg, device="cpu")


@pytest.mark.filterwarnings("ignore::prunegraph.continual.driver.NearChanceWarning")
def test_domain_head_budget_is_a_share_of_what_is_left():
    cfg = replace(TINY, benchmark="permuted-digits", scenario="domain", n_tasks=2, head_density=0.5,
                  min_steps=5, retrain_min_steps=0)
    d = run_continual(cfg, device="cpu").to_dict()
    b = [r["budgets"]["fc3.weight"] for r in d["tasks"]]
    assert b == [500, 250]
    assert d["tasks"][1]["capacity"]["fc3.weight"]["free"] == 250


# --------------------------------------------------------------------------- GPU / torchrun logic
@pytest.mark.parametrize("requested, env, cuda, expect", [
    (None, {"WORLD_SIZE": "4", "LOCAL_RANK": "3"}, True, "cuda:3"),
    ("cuda", {"WORLD_SIZE": "2", "LOCAL_RANK": "1"}, True, "cuda:1"),
    ("cuda:0", {"WORLD_SIZE": "2", "LOCAL_RANK": "1"}, True, "cuda:0"),
    (None, {}, True, "cuda:0"),
    (None, {"WORLD_SIZE": "2", "LOCAL_RANK": "1"}, False, "cpu"),
    ("cpu", {"WORLD_SIZE": "2", "LOCAL_RANK": "1"}, True, "cpu"),
])
def test_select_device_local_rank(requested, env, cuda, expect):
    dev = select_device(requested, env=env, cuda_available=cuda)
    assert str(dev) == expect
    assert select_backend(dev) == ("nccl" if dev.type == "cuda" else "gloo")


# --------------------------------------------------------------------------- train.py hooks
def test_train_min_steps_and_shards_sum_to_full_batch_gradient():
    X = torch.randn(50, 4)
    y = (X[:, 0] > 0).long()
    m = torch.nn.Linear(4, 2)
    r = train(m, X, y, epochs=1, min_steps=17, batch_size=8, lr=0.1, rng=0, device="cpu")
    assert r.steps == 17                   # 7 batches an epoch, floor of 17 steps
    # one step: the two shards' gradients add up to the full-batch gradient
    grads = {}
    for shard in (None, (0, 2), (1, 2)):
        mm = torch.nn.Linear(4, 2)
        mm.load_state_dict(m.state_dict())
        seen = {}
        train(mm, X, y, epochs=1, min_steps=0, batch_size=50, lr=1e-9, rng=0, device="cpu",
              shard=shard, on_gradients=lambda ps: seen.update(g=[p.grad.clone() for p in ps]))
        grads[shard] = seen["g"]
    for full, a, b in zip(grads[None], grads[(0, 2)], grads[(1, 2)]):
        assert torch.allclose(full, a + b, atol=1e-6)


@pytest.mark.filterwarnings("ignore::prunegraph.continual.driver.NearChanceWarning")
def test_long_permuted_sequence_fills_capacity_and_writes_valid_json(tmp_path):
    """20 permuted tasks at density 0.05 fill the hidden layers exactly; the JSON stays valid
    (strict writer: no inf/NaN) even when degree fits return an infinite sigma."""
    import json

    cfg = replace(TINY, benchmark="permuted-digits", n_tasks=20, density=0.05, min_steps=3,
                  retrain_min_steps=0, epochs=1, growth="pa")
    d = run_continual(cfg, device="cpu").to_dict()
    free = [r["capacity"]["fc1.weight"]["free_share"] for r in d["tasks"]]
    assert free == pytest.approx([1 - 0.05 * (t + 1) for t in range(20)], abs=1e-9)
    out = tmp_path / "r.json"
    from prunegraph._io import write_json

    write_json(out, d)
    assert json.loads(out.read_text())["completed_tasks"] == 20


@pytest.mark.filterwarnings("ignore::prunegraph.continual.driver.NearChanceWarning")
def test_capacity_exhausted_is_recorded_and_warned():
    from prunegraph.continual.driver import CapacityWarning

    cfg = replace(TINY, benchmark="permuted-digits", n_tasks=3, density=0.5, min_steps=3,
                  retrain_min_steps=0)
    with pytest.warns(CapacityWarning, match="task 2: capacity exhausted"):
        d = run_continual(cfg, device="cpu").to_dict()
    assert d["tasks"][1]["exhausted_layers"] == []
    assert d["tasks"][2]["exhausted_layers"] == ["fc1.weight", "fc2.weight"]
    assert d["tasks"][2]["edges"]["fc1.weight"] == 0 and d["tasks"][2]["edges"]["fc3.weight"] > 0


def test_results_keep_six_digits_and_metrics_recompute_from_them(tmp_path):
    """Curves and attachment arrays are stored at 6 significant digits (a third of the JSON);
    what the metrics and figures read gives the same numbers from the stored values."""
    from prunegraph._io import dumps_json

    d = run_continual(replace(TINY, n_tasks=2), device="cpu").to_dict()
    rec = d["tasks"][1]
    kern = rec["attachment"]["kept"]["in"]
    for arr in (rec["curve_accuracy"], kern["pi"], kern["kappa"], kern["k"]):
        assert arr and all(v == float(f"{v:.6g}") for v in arr)
    assert all(isinstance(v, int) for v in kern["k"])            # integral classes stored as int
    for r in d["tasks"]:
        assert steps_to_target(r["curve_steps"], r["curve_accuracy"], TINY.target_accuracy) \
            == r["steps_to_target"]
        assert curve_area(r["curve_steps"], r["curve_accuracy"]) == pytest.approx(r["curve_area"], abs=1e-6)
    plain, inline = dumps_json(d), dumps_json(d, inline_lists=True)
    assert json.loads(inline) == d and len(inline) < 0.7 * len(plain)
