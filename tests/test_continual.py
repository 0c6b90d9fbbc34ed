"""Continual driver: freezing, budgets, ownership format, metrics, resume, CLI (digits-sized)."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from prunegraph.cli import main
from prunegraph.continual import (
    ContinualConfig,
    Ownership,
    accuracy_metrics,
    load_checkpoint_manifest,
    run_continual,
    steps_to_fraction,
)
from prunegraph.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]
SMALL = ContinualConfig(benchmark="split-digits", n_tasks=5, epochs=2, eval_every=2, scratch_reference=False,
                        min_steps=60, retrain_min_steps=20,
                        attachment_bootstrap=10, density=0.1, growth="pa", batch_size=32)


# --------------------------------------------------------------------------- metrics
def test_metrics_hand_checked():
    R = [[0.5, 0.4, 0.3],
         [0.9, 0.5, 0.2],
         [0.8, 0.95, 0.4],
         [0.7, 0.9, 0.85]]
    m = accuracy_metrics(R)
    assert m.acc == pytest.approx((0.7 + 0.9 + 0.85) / 3)
    assert m.bwt == pytest.approx(((0.7 - 0.9) + (0.9 - 0.95)) / 2)
    assert m.fwt == pytest.approx(((0.5 - 0.4) + (0.4 - 0.3)) / 2)
    assert m.forgetting == pytest.approx(((0.9 - 0.7) + (0.95 - 0.9)) / 2)
    assert accuracy_metrics([[0.1], [0.9]]).bwt is None
    with pytest.raises(UsageError):
        accuracy_metrics([[0.1, 0.2]])


def test_steps_to_fraction():
    assert steps_to_fraction([0, 5, 10], [0.1, 0.9, 0.92]) == 5
    assert steps_to_fraction([0, 5, 10], [0.1, 0.5, 0.92], fraction=1.0) == 10
    assert steps_to_fraction([], []) is None


# --------------------------------------------------------------------------- ownership
def test_ownership_visibility_and_trainable():
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 4))
    own = Ownership(m, head_units=[[0, 1], [2, 3]])
    hidden, head = own.layers
    assert head.is_head and not hidden.is_head
    grow0 = torch.zeros(4, 3, dtype=torch.bool)
    grow0[0, :2] = True
    own.assign_edges(hidden, grow0, 0)
    assert own.free_edges(head, 1)[:2].sum() == 0          # task 1 cannot use task 0's rows
    tr0 = own.trainable(0)
    assert torch.equal(tr0["0.weight"], grow0)
    assert tr0["0.bias"].all() and tr0["2.bias"].tolist() == [True, True, False, False]
    own.claim_trained(0)
    tr1 = own.trainable(1)
    assert not tr1["0.bias"].any() and tr1["2.bias"].tolist() == [False, False, True, True]
    with pytest.raises(RuntimeError):
        own.assign_edges(hidden, grow0, 1)                 # owned positions are not free
    with torch.no_grad():
        m[0].weight.fill_(1.0)
    with own.view(0):
        assert float(m[0].weight.detach().sum()) == 2.0
    assert float(m[0].weight.detach().sum()) == 12.0                 # restored


def test_ownership_rejects_bad_heads():
    with pytest.raises(UsageError, match="head units"):
        Ownership(nn.Linear(3, 2), head_units=[[0, 5]])


# --------------------------------------------------------------------------- driver
@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """Run SMALL with a checkpoint, keeping a copy of every task's checkpoint."""
    d = tmp_path_factory.mktemp("run")
    ck = d / "run.safetensors"
    snaps = {}

    def keep(t):
        snaps[t] = load_checkpoint_manifest(ck)

    res = run_continual(SMALL, checkpoint=ck, device="cpu", on_task=keep)
    return res, snaps, ck


def test_frozen_weights_bit_identical_and_bwt_zero(small_run):
    res, snaps, _ = small_run
    _, first = snaps[0]
    _, last = snaps[SMALL.n_tasks - 1]
    checked = 0
    for name, owner in first.items():
        if not name.endswith("_owner"):
            continue
        p = name[: -len("_owner")]
        mine = owner == 0
        assert torch.equal(last[name][mine], owner[mine])          # ownership kept
        assert torch.equal(last[p][mine], first[p][mine])          # values bit-identical
        checked += int(mine.sum())
    assert checked > 0
    R = np.array(res.R)
    for j in range(SMALL.n_tasks):
        for i in range(j + 1, SMALL.n_tasks + 1):
            assert R[i, j] == R[j + 1, j]                          # exactly, not approximately
    assert res.metrics["BWT"] == 0.0 and res.metrics["forgetting"] == 0.0


def test_budgets_growth_and_edges(small_run):
    res, snaps, _ = small_run
    d = res.to_dict()
    for rec in d["tasks"]:
        t = rec["task"]
        for dec in rec["growth"]:
            layer = next(k for k in rec["budgets"] if k.startswith(dec["layer"] + "."))
            budget = rec["budgets"][layer]
            if rec["growth_strategy"] == "packnet":
                assert dec["grown"] == dec["free_before"]
            else:
                assert dec["grown"] == min(math.ceil(SMALL.grow_factor * budget), dec["free_before"])
            assert rec["edges"][layer] == budget                   # pruned exactly to budget
            assert d["edges_per_task"][layer][t] == budget
    # fc1 of lenet300 on 8x8 digits: 64 x 300, density 0.1 per task
    assert d["tasks"][1]["budgets"]["fc1.weight"] == round(0.1 * 64 * 300)
    assert d["edges_total"] == sum(sum(v) for v in d["edges_per_task"].values())
    assert d["tasks"][0]["growth_strategy"] == "packnet"           # first="dense"
    # growth went only into positions free before the task
    for t in range(1, SMALL.n_tasks):
        _, prev = snaps[t - 1]
        _, cur = snaps[t]
        for name, o in cur.items():
            if name.endswith("weight_owner"):
                assert bool((prev[name][o == t] == -1).all())


def test_results_content(small_run):
    res, _, _ = small_run
    d = json.loads(json.dumps(res.to_dict()))
    T = SMALL.n_tasks
    assert len(d["R"]) == T + 1 and all(len(r) == T for r in d["R"])
    assert set(d["metrics"]) >= {"ACC", "BWT", "FWT", "forgetting"}
    assert "Lopez-Paz" in d["definitions"]["BWT"]
    assert d["metrics"]["ACC"] == pytest.approx(np.mean(d["R"][-1]))
    assert d["metrics"]["ACC"] > 0.8                               # 2-class digit tasks
    assert len(d["steps_to_95"]) == T and all(s is not None for s in d["steps_to_95"])
    assert d["beta_per_task"][0] is None and all(b is not None for b in d["beta_per_task"][1:])
    assert d["tasks"][1]["attachment"]["kept"]["in"]["ci"] is not None
    assert d["wall_time_s"] > 0


def test_checkpoint_is_loadable(small_run):
    """The ownership format is read by prunegraph.load (docs/api.md)."""
    import prunegraph

    _, snaps, ck = small_run
    g0 = prunegraph.load(ck, task=0)
    g1 = prunegraph.load(ck, task=1)
    final = load_checkpoint_manifest(ck)[1]["fc1.weight_owner"]
    assert g0.layer("fc1").n_edges == int((final == 0).sum())
    assert g1.layer("fc1").n_edges == int(((final >= 0) & (final <= 1)).sum())


@pytest.mark.parametrize("growth", ["uniform", "gradient", "packnet"])
def test_other_strategies_run(growth):
    cfg = replace(SMALL, growth=growth, n_tasks=2, epochs=1, first="sparse")
    res = run_continual(cfg, device="cpu")
    assert res.metrics["BWT"] == 0.0
    assert res.tasks[0].growth_strategy == growth


def test_permuted_task_heads_and_domain_scenario():
    cfg = replace(SMALL, benchmark="permuted-digits", n_tasks=2, epochs=1)
    res = run_continual(cfg, device="cpu")
    assert res.tasks[1].head_units == list(range(10, 20))
    assert res.metrics["BWT"] == 0.0
    dom = run_continual(replace(cfg, scenario="domain"), device="cpu")
    assert dom.tasks[0].head_units == dom.tasks[1].head_units == list(range(10))
    assert len(dom.R) == 3


@pytest.mark.parametrize("kw, match", [
    (dict(benchmark="split-digits", n_tasks=3), "--tasks 3.*dropped"),
    (dict(benchmark="split-fmnist", n_tasks=10), "--tasks 10.*1 class"),
    (dict(benchmark="split-digits", scenario="class"), "--scenario class is refused"),
    (dict(benchmark="permuted-digits", scenario="class"), "--scenario domain"),
    (dict(benchmark="split-digits", scenario="domain"), "permuted benchmark"),
])
def test_refused_streams_and_scenarios(kw, match):
    with pytest.raises(UsageError, match=match):
        ContinualConfig(**kw)


def test_share_budget():
    cfg = replace(SMALL, budget="share", share=0.2, n_tasks=2, epochs=1)
    d = run_continual(cfg, device="cpu").to_dict()
    assert d["tasks"][0]["budgets"]["fc2.weight"] == round(0.2 * 300 * 100)
    free_after_0 = 300 * 100 - d["edges_per_task"]["fc2.weight"][0]
    assert d["tasks"][1]["budgets"]["fc2.weight"] == round(0.2 * free_after_0)


def test_config_errors():
    with pytest.raises(UsageError, match="benchmark"):
        ContinualConfig(benchmark="cifar")
    with pytest.raises(UsageError, match="growth"):
        ContinualConfig(growth="magic")
    with pytest.raises(UsageError, match="unknown keys"):
        ContinualConfig.from_dict({"bogus": 1})
    with pytest.raises(UsageError, match="--checkpoint"):
        run_continual(SMALL, resume=True)


# --------------------------------------------------------------------------- resume
def _comparable(d):
    d = dict(d)
    for k in ("wall_time_s",):
        d.pop(k)
    d["tasks"] = [{k: v for k, v in r.items() if not k.endswith("seconds")} for r in d["tasks"]]
    return d


def test_resume_gives_identical_results(tmp_path, small_run):
    full, _, ck_full = small_run
    ck = tmp_path / "part.safetensors"
    part = run_continual(SMALL, checkpoint=ck, stop_after=1, device="cpu")
    assert part.completed_tasks == 1 and part.metrics == {}
    resumed = run_continual(SMALL, checkpoint=ck, resume=True, device="cpu")
    assert _comparable(resumed.to_dict()) == _comparable(full.to_dict())
    a, b = load_checkpoint_manifest(ck)[1], load_checkpoint_manifest(ck_full)[1]
    assert all(torch.equal(a[k], b[k]) for k in a)
    with pytest.raises(UsageError, match="different configuration"):
        run_continual(replace(SMALL, lr=0.01), checkpoint=ck, resume=True, device="cpu")


@pytest.mark.slow
def test_resume_after_kill(tmp_path, small_run):
    """SIGKILL a CLI run after its first checkpoint, resume, compare with the full run."""
    full, _, _ = small_run
    ck = tmp_path / "k.safetensors"
    out = tmp_path / "k.json"
    args = [sys.executable, "-m", "prunegraph", "continual", "--benchmark", "split-digits",
            "--tasks", "5", "--epochs", "2", "--eval-every", "2", "--attachment-bootstrap", "10",
            "--density", "0.1", "--growth", "pa", "--batch-size", "32", "--min-steps", "60",
            "--retrain-min-steps", "20", "--scratch-reference", "no", "--checkpoint", str(ck), "--quiet",
            "--device", "cpu"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    killed_after = None
    while time.time() < deadline and proc.poll() is None:
        if ck.exists():
            man, _ = load_checkpoint_manifest(ck)
            killed_after = man["completed_tasks"]
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.wait(timeout=60)
    assert killed_after is not None and killed_after < 3, "run ended before it could be killed"
    assert main(args[3:] + ["--resume", "--json", str(out)]) == 0
    resumed = json.loads(out.read_text())
    expected = json.loads(json.dumps(full.to_dict()))
    assert _comparable(resumed) == _comparable(expected)


# --------------------------------------------------------------------------- CLI
def test_cli_run_with_config_file(tmp_path, capsys):
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"benchmark": "split-digits", "n_tasks": 2, "epochs": 1,
                               "attachment_bootstrap": 0, "growth": "uniform", "min_steps": 30,
                               "retrain_min_steps": 0, "scratch_reference": False}))
    out = tmp_path / "r.json"
    assert main(["continual", "--config", str(cfg), "--growth", "packnet", "--json", str(out),
                 "--quiet", "--device", "cpu"]) == 0
    d = json.loads(out.read_text())
    assert d["config"]["growth"] == "packnet" and d["config"]["n_tasks"] == 2
    assert "ACC" in capsys.readouterr().out


def test_cli_errors(tmp_path, capsys):
    assert main(["continual", "--benchmark", "cifar"]) == 2
    assert "benchmark" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["continual", "--config", str(bad)]) == 1


def test_cli_compare(tmp_path, capsys):
    out = tmp_path / "cmp.json"
    assert main(["continual", "compare", "--benchmark", "split-digits", "--tasks", "2",
                 "--epochs", "1", "--min-steps", "30", "--retrain-min-steps", "0", "--attachment-bootstrap", "0",
                 "--strategies", "pa", "uniform",
                 "--seeds", "0", "1", "--json", str(out), "--plot", str(tmp_path / "cmp"),
                 "--quiet", "--device", "cpu"]) == 0
    d = json.loads(out.read_text())
    for s in ("pa", "uniform"):
        accs = [r["ACC"] for r in d["runs"][s]]
        assert d["summary"][s]["ACC"]["mean"] == pytest.approx(np.mean(accs))
        assert d["summary"][s]["ACC"]["sd"] == pytest.approx(np.std(accs, ddof=1))
    assert (tmp_path / "cmp.png").stat().st_size > 0
    assert "strategy" in capsys.readouterr().out


def test_cli_attachment_on_continual_checkpoint(small_run, tmp_path, capsys):
    from prunegraph.attachment import measure_attachment
    from prunegraph.continual.ownership import edge_masks_from_owners

    _, _, ck = small_run
    out = tmp_path / "att.json"
    assert main(["attachment", str(ck), "--task", "2", "--bootstrap", "20", "--json", str(out)]) == 0
    d = json.loads(out.read_text())
    _, tensors = load_checkpoint_manifest(ck)
    hidden = ["fc1.weight", "fc2.weight"]
    ref = measure_attachment(edge_masks_from_owners(tensors, hidden, upto=1),
                             edge_masks_from_owners(tensors, hidden, upto=2), bootstrap=0)
    assert d["in"]["beta"] == pytest.approx(ref.in_kernel.beta)
    assert d["in"]["n_new_edges"] == int((tensors["fc1.weight_owner"] == 2).sum()
                                         + (tensors["fc2.weight_owner"] == 2).sum())
    assert main(["attachment", str(ck), "--task", "0"]) == 2
    assert main(["attachment", str(ck)]) == 2


def test_cli_attachment_two_state_dicts(tmp_path, capsys):
    from prunegraph.attachment import attachment_kernel
    from prunegraph.models.zoo import get_model

    m = get_model("lenet300", input_shape=(1, 8, 8), rng=0)
    g = torch.Generator().manual_seed(0)
    sd = {k: v.clone() for k, v in m.state_dict().items()}
    before = {k: (v * (torch.rand(v.shape, generator=g) < 0.2) if v.dim() == 2 else v)
              for k, v in sd.items()}
    after = {k: (torch.where(torch.rand(v.shape, generator=g) < 0.1, sd[k], v) if v.dim() == 2 else v)
             for k, v in before.items()}
    torch.save(before, tmp_path / "b.pt")
    torch.save(after, tmp_path / "a.pt")
    out = tmp_path / "a.json"
    assert main(["attachment", str(tmp_path / "b.pt"), str(tmp_path / "a.pt"), "--model", "lenet300",
                 "--input-shape", "1,8,8", "--bootstrap", "0", "--json", str(out)]) == 0
    d = json.loads(out.read_text())
    ref = attachment_kernel({k: before[k + ".weight"] != 0 for k in ("fc1", "fc2", "fc3")},
                            {k: after[k + ".weight"] != 0 for k in ("fc1", "fc2", "fc3")},
                            side="in", bootstrap=0)
    assert d["in"]["beta"] == pytest.approx(ref.beta)
    assert main(["attachment", str(tmp_path / "missing.pt"), str(tmp_path / "a.pt")]) == 1


def test_iterative_pruning_rounds():
    cfg = replace(SMALL, n_tasks=2, epochs=1, prune_iterations=2, retrain_epochs=1, growth="uniform")
    d = run_continual(cfg, device="cpu").to_dict()
    rec = d["tasks"][1]
    budget = rec["budgets"]["fc1.weight"]
    grown = next(g["grown"] for g in rec["growth"] if g["layer"] == "fc1")
    r1, r2 = (r["edges"]["fc1.weight"] for r in rec["prune_rounds"])
    # geometric schedule: round 1 keeps grown * (budget / grown) ** (1/2), round 2 the budget
    assert r1 == round(grown * (budget / grown) ** 0.5)
    assert r2 == budget == d["edges_per_task"]["fc1.weight"][1]
    assert d["metrics"]["BWT"] == 0.0


def test_attachment_measured_per_layer():
    """Every task after the first records β of its kept edges layer by layer (the pooled
    β is biased when layer widths differ), for each hidden layer and both sides."""
    from prunegraph.continual import ContinualConfig, run_continual

    cfg = ContinualConfig(benchmark="split-digits", model="lenet300", n_tasks=2, epochs=1,
                          growth="uniform", seed=0, attachment_bootstrap=20, min_steps=30,
                          retrain_min_steps=0, scratch_reference=False)
    res = run_continual(cfg, device="cpu").to_dict()
    first, second = res["tasks"]
    assert first["beta_in_per_layer"] == {}
    hidden = second["attachment"]["layers"]
    assert hidden and set(second["beta_in_per_layer"]) == set(hidden)
    for k in hidden:
        per = second["attachment"]["kept_per_layer"][k]
        assert set(per) == {"in", "out"}
        assert per["in"]["beta"] == second["beta_in_per_layer"][k]
    assert "beta" in res["definitions"]
