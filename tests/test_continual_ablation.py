"""The growth-kernel ablation helpers (prunegraph.continual.ablation): variants, per-budget
summaries against a literal computation, the smallest-budget interpolation by hand, and one
tiny live ablation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from prunegraph.continual import ContinualConfig
from prunegraph.continual.ablation import (
    FIXED_GAMMAS,
    VARIANTS,
    ablation_rows,
    budget_to_target,
    run_ablation,
    summarise_ablation,
    variant_config,
)
from prunegraph.errors import UsageError


@pytest.mark.parametrize("name", VARIANTS)
def test_every_variant_is_one_config(name):
    cfg = variant_config(ContinualConfig(), name, gamma=0.9)
    if name == "pa own":
        assert (cfg.growth, cfg.pa_target) == ("pa", "own")
    elif name in FIXED_GAMMAS:
        assert (cfg.growth, cfg.pa_target, cfg.pa_gamma) == ("pa", "fixed", FIXED_GAMMAS[name])
    elif name == "(k+1)^beta":
        assert (cfg.growth, cfg.pa_target, cfg.pa_gamma) == ("pa", "fixed", 0.9)
    else:
        assert cfg.growth == name


def test_bad_variants_are_refused():
    with pytest.raises(UsageError, match="choose from"):
        variant_config(ContinualConfig(), "k+2")
    with pytest.raises(UsageError, match="packnet"):
        variant_config(ContinualConfig(), "(k+1)^beta")
    with pytest.raises(UsageError, match="packnet"):
        variant_config(ContinualConfig(), "(k+1)^beta", gamma=float("nan"))


def _rows(rng, n_seeds=5, densities=(0.01, 0.02)):
    rows = []
    for d in densities:
        for v, shift in (("uniform", 0.0), ("(k+1)^1", 0.02), ("gradient", 0.05)):
            for s in range(n_seeds):
                rows.append({"variant": v, "seed": s, "density": d, "edges_total": 1e5 * d,
                             "ACC": 0.8 + shift + 0.01 * rng.standard_normal() + 2 * d,
                             "curve_area": 0.7 + shift + 0.01 * rng.standard_normal(),
                             "steps_to_target": float(100 - 100 * shift + s)})
    return rows


def test_summary_matches_a_literal_paired_t_interval():
    rows = _rows(np.random.default_rng(3))
    out = summarise_ablation(rows)
    assert sorted(out) == [0.01, 0.02]
    here = out[0.02]
    assert here["variants"] == ["uniform", "(k+1)^1", "gradient"] and here["incomplete"] == {}
    a = np.array([r["ACC"] for r in sorted(rows, key=lambda r: r["seed"])
                  if r["variant"] == "(k+1)^1" and r["density"] == 0.02])
    b = np.array([r["ACC"] for r in sorted(rows, key=lambda r: r["seed"])
                  if r["variant"] == "uniform" and r["density"] == 0.02])
    diff = a - b
    half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / math.sqrt(len(diff))
    p = here["paired"]["(k+1)^1"]["ACC"]
    assert p["mean"] == pytest.approx(diff.mean())
    assert p["ci"] == pytest.approx([diff.mean() - half, diff.mean() + half])
    assert p["wins"] == int((diff > 0).sum())
    assert here["summary"]["uniform"]["ACC"]["mean"] == pytest.approx(b.mean())
    assert "uniform" not in here["paired"]
    # fewer steps is better: the flat rows count seeds with fewer steps for steps_to_target
    flat = {r["variant"]: r for r in ablation_rows(here)}
    assert flat["gradient"]["Δsteps_to_target better"] == 5
    assert flat["uniform"]["ΔACC"] is None


def test_a_variant_missing_seeds_is_listed_not_summarised():
    rows = [r for r in _rows(np.random.default_rng(0)) if not (r["variant"] == "gradient" and r["seed"] == 4)]
    out = summarise_ablation(rows)[0.01]
    assert "gradient" not in out["variants"] and out["incomplete"] == {"gradient": 4}


def _sweep(curves, edges=(1000.0, 4000.0, 16000.0)):
    return [{"variant": v, "seed": s, "density": e / 1e5, "edges_total": e, "ACC": a}
            for v, per_seed in curves.items() for s, accs in enumerate(per_seed)
            for e, a in zip(edges, accs)]


def test_smallest_budget_by_hand():
    rows = _sweep({"uniform": [(0.80, 0.90, 0.95), (0.70, 0.80, 0.90)],
                   "(k+1)^1": [(0.85, 0.95, 0.97), (0.80, 0.90, 0.95)],
                   "gradient": [(0.90, 0.95, 0.97), (0.80, 0.82, 0.84)]})
    out = budget_to_target(rows, target=0.85)
    u = out["uniform"]
    # seed 0: halfway between 1000 and 4000 in ACC -> geometric mean of the edges
    assert u["per_seed"][0] == {"edges": pytest.approx(2000.0), "how": "interpolated",
                                "lowest": 1000.0, "highest": 16000.0}
    assert u["per_seed"][1]["edges"] == pytest.approx(8000.0)
    # mean curve (0.75, 0.85, 0.925) crosses 0.85 exactly at the middle budget
    assert u["edges_mean_curve"] == pytest.approx(4000.0) and u["how_mean_curve"] == "interpolated"
    assert u["smallest_grid"] == {"density": 0.04, "edges": 4000.0}
    k = out["(k+1)^1"]
    assert k["per_seed"][0]["how"] == "below" and k["per_seed"][1]["edges"] == pytest.approx(2000.0)
    assert k["fewer_than_reference"] == 2
    assert k["ratio_to_reference"] == pytest.approx(1000.0 * 4 ** 0.25 / 4000.0)  # mean curve 0.825, 0.925
    g = out["gradient"]
    assert g["per_seed"][1] == {"edges": None, "how": "above", "lowest": 1000.0, "highest": 16000.0}
    assert g["seeds_reaching"] == 1 and g["fewer_than_reference"] == 1   # below beats 2000; never loses


def test_budget_needs_two_budgets_and_refuses_nothing_else():
    rows = _sweep({"uniform": [(0.8,)], "packnet": [(0.9,)]}, edges=(1000.0,))
    assert budget_to_target(rows, target=0.85) == {}


@pytest.mark.slow
def test_a_tiny_live_ablation_feeds_packnets_beta_to_the_beta_kernel():
    base = ContinualConfig(benchmark="permuted-digits", n_tasks=3, epochs=1, min_steps=20,
                           retrain_min_steps=0, scratch_reference=False, attachment_bootstrap=0,
                           density=0.05)
    rows = run_ablation(base, variants=["(k+1)^beta", "uniform", "packnet"], seeds=[0],
                        densities=[0.05, 0.1])
    assert [r["variant"] for r in rows][:2] == ["packnet", "packnet"]
    for d in (0.05, 0.1):
        pk = next(r for r in rows if r["variant"] == "packnet" and r["density"] == d)
        kb = next(r for r in rows if r["variant"] == "(k+1)^beta" and r["density"] == d)
        assert kb["pa_gamma"] == pk["beta_task1"] and math.isfinite(kb["pa_gamma"])
    uni = sorted((r for r in rows if r["variant"] == "uniform"), key=lambda r: r["density"])
    assert uni[0]["edges_total"] < uni[1]["edges_total"]
    assert all(0 < r["ACC"] <= 1 and len(r["steps_to_target_per_task"]) == 2 for r in rows)
