"""Dynamic sparse training inside a task (SET, RigL, PA regrowth): hand-checked drop and regrow."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from prunegraph.continual import ContinualConfig, Ownership, run_continual
from prunegraph.continual.dst import DynamicSparse, drop_fraction


def test_rigl_cosine_schedule_matches_formula():
    for s in (0, 37, 100, 224):
        assert drop_fraction("rigl", s, 225) == pytest.approx(0.15 * (1 + math.cos(math.pi * s / 225)))
    assert drop_fraction("set", 10, 225) == 0.3 and drop_fraction("pa-dst", 225, 225) == 0.0


def _toy(strategy):
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    own = Ownership(m, head_units=[[0, 1]])
    hidden = own.layers[0]
    edges = torch.zeros(3, 4, dtype=torch.bool)
    edges[0, :] = True                       # task 0 owns the 4 edges of unit 0
    own.assign_edges(hidden, edges, 0)
    with torch.no_grad():
        m[0].weight.copy_(torch.tensor([[0.1, -0.5, 0.02, 0.9], [0, 0, 0, 0], [0, 0, 0, 0]]))
    tr = own.trainable(0)
    masks = {n: v.float() for n, v in tr.items()}
    frozen = {n: p.detach().clone() for n, p in own.params.items()}
    init = {n: torch.full_like(p, 7.0) for n, p in own.params.items()}
    cfg = ContinualConfig(benchmark="split-digits")
    dst = DynamicSparse(strategy, own, 0, 400, trainable=tr, frozen=frozen, grad_masks=masks,
                        init=init, cfg=cfg, rng=np.random.default_rng(0), delta_t=100, zeta=0.5)
    return m, own, hidden, dst, tr, masks, frozen


def test_rigl_drops_smallest_and_regrows_largest_gradient():
    m, own, hidden, dst, tr, masks, frozen = _toy("rigl")
    g = torch.zeros(3, 4)
    g[2, 1], g[1, 3] = 5.0, 4.0              # the two largest |grad| among free positions
    g[0, 0] = 100.0                          # owned: not a candidate
    m[0].weight.grad = g
    dst.on_gradients(100)
    rec = dst.update(100)                    # frac = 0.15 (1 + cos(pi*100/300)) = 0.225 -> round(0.9) = 1
    assert rec["layers"]["0.weight"] == {"dropped": 1, "grown": 1}
    owner = own.edge_owner("0.weight")
    assert owner[0, 2] == -1                 # |0.02| was the smallest
    assert owner[2, 1] == 0 and m[0].weight[2, 1] == 0.0      # regrown at zero
    assert tr["0.weight"][2, 1] and masks["0.weight"][2, 1] == 1 and not tr["0.weight"][0, 2]
    assert frozen["0.weight"][0, 2] == 0.0
    assert int((owner == 0).sum()) == 4      # the edge count stays at the budget


def test_set_regrows_uniformly_from_initial_values():
    m, own, hidden, dst, tr, masks, frozen = _toy("set")
    rec = dst.update(100)                    # zeta 0.5 of 4 edges
    assert rec["layers"]["0.weight"] == {"dropped": 2, "grown": 2}
    owner = own.edge_owner("0.weight")
    assert owner[0, 0] == -1 and owner[0, 2] == -1 and owner[0, 1] == 0 and owner[0, 3] == 0
    new = (owner == 0) & ~torch.tensor([[True] * 4, [False] * 4, [False] * 4])
    assert int(new.sum()) == 2 and bool((m[0].weight[new] == 7.0).all())
    assert not bool(new[0, 0] or new[0, 2])  # just-dropped positions are not regrown


@pytest.mark.parametrize("growth", ["set", "rigl", "pa-dst"])
def test_dst_run_keeps_budget_and_records_updates(growth):
    cfg = ContinualConfig(benchmark="split-digits", n_tasks=2, epochs=1, min_steps=240,
                          retrain_min_steps=0, attachment_bootstrap=0, scratch_reference=False,
                          growth=growth)
    d = run_continual(cfg, device="cpu").to_dict()
    rec = d["tasks"][1]
    assert [u["step"] for u in rec["dst_updates"]] == [100]   # every 100 steps until 75 % (180)
    for name, b in rec["budgets"].items():
        assert rec["edges"][name] == b       # no magnitude cut needed: the count is the budget
    assert d["metrics"]["BWT"] == 0.0
    assert d["tasks"][0]["dst_updates"] == []   # task 0 starts dense (first="dense")
