"""Fine-tuning and joint-training bounds on the same stream and total edge budget."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from prunegraph.continual import ContinualConfig, run_continual
from prunegraph.continual.baselines import run_baseline
from prunegraph.continual.compare import format_comparison, run_comparison
from prunegraph.errors import UsageError

CFG = ContinualConfig(benchmark="split-digits", n_tasks=2, epochs=1, min_steps=40,
                      retrain_min_steps=10, attachment_bootstrap=0, scratch_reference=False)


@pytest.fixture(scope="module")
def finetune():
    return run_baseline(CFG, "finetune", device="cpu")


@pytest.mark.parametrize("density", [0.05, 0.005])   # 0.005: the min_fanin floor decides
def test_same_total_edges_as_the_continual_run(density):
    cfg = replace(CFG, density=density, min_steps=5, retrain_min_steps=0)
    cont = run_continual(replace(cfg, growth="uniform"), device="cpu").to_dict()
    assert run_baseline(cfg, "finetune", device="cpu")["edges_total"] == cont["edges_total"]


def test_finetune_matrix_and_metrics(finetune):
    R = np.asarray(finetune["R"])
    assert R.shape == (3, 2)
    assert finetune["ACC"] == pytest.approx(R[-1].mean())
    assert finetune["BWT"] == pytest.approx(R[2, 0] - R[1, 0])   # real forgetting, not 0 by construction


def test_joint_reads_every_task_through_its_head():
    r = run_baseline(CFG, "joint", device="cpu")
    assert r["R"] is None and r["steps"] == 2 * 40
    assert r["ACC"] == pytest.approx(np.mean(r["details"]["final_row"]))
    with pytest.raises(UsageError, match="baseline"):
        run_baseline(CFG, "ewc", device="cpu")


def test_compare_adds_baseline_rows():
    res = run_comparison(CFG, strategies=["uniform"], seeds=[0, 1], baselines=["joint"], device="cpu")
    assert [r["seed"] for r in res.runs["joint"]] == [0, 1]
    assert res.paired["joint"]["ACC"]["n"] == 2
    assert "joint (upper bound" in format_comparison(res)
