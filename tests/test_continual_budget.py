"""Budgets (fixed floor for conv layers, fit mode), per-layer pa records, fallback warning, conv learning."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from prunegraph.commands.continual import _warn_fallback
from prunegraph.continual import ContinualConfig, fit_budget_scale, fit_kernel, pa_fallback_share, run_continual
from prunegraph.continual.driver import resolve_optimizer
from prunegraph.errors import UsageError
from prunegraph.fit import fit_power_law
from prunegraph.models.zoo import get_model

QUICK = ContinualConfig(benchmark="split-digits", n_tasks=5, epochs=1, eval_every=5, scratch_reference=False,
                        min_steps=60, retrain_min_steps=20,
                        attachment_bootstrap=0, density=0.1, growth="pa", batch_size=64)


def _powerlaw_degrees(alpha: float, n: int, seed: int) -> np.ndarray:
    k = np.arange(1, 5000)
    p = k ** -alpha
    return np.random.default_rng(seed).choice(k, n, p=p / p.sum())


# --------------------------------------------------------------------------- fit_budget_scale
def test_fit_scale_matches_formula_and_csn_fit():
    din, dout = _powerlaw_degrees(2.5, 3000, 1), _powerlaw_degrees(2.2, 3000, 2)
    res = fit_budget_scale(din, dout, target_alpha=3.0, rng=0)
    # reference: the CSN fits of prunegraph.fit directly
    a_in = fit_power_law(din[din > 0], discrete=True).alpha
    a_out = fit_power_law(dout[dout > 0], discrete=True).alpha
    assert res["alpha_in"] == pytest.approx(a_in) and res["alpha_out"] == pytest.approx(a_out)
    assert 2.3 < a_in < 2.7 and 2.0 < a_out < 2.4
    mean = (a_in + a_out) / 2
    assert res["alpha_used"] == pytest.approx(mean)
    assert res["scale"] == pytest.approx((3.0 - 1) / (mean - 1))
    assert res["scale"] > 1          # heavier tail than alpha* = 3 -> more budget


def test_fit_scale_clipped_and_fallback():
    d = _powerlaw_degrees(2.2, 3000, 3)
    assert fit_budget_scale(d, d, target_alpha=5.0, scale_max=2.0, rng=0)["scale"] == 2.0
    assert fit_budget_scale(d, d, target_alpha=1.05, scale_min=0.5, rng=0)["scale"] == 0.5
    empty = fit_budget_scale(np.zeros(30, int), np.zeros(30, int))
    assert empty["scale"] == 1.0 and empty["alpha_used"] is None and "fixed budget" in empty["reason"]
    # binomial (random-pruning-like) degrees: no plausible power law -> fixed budget
    b = np.random.default_rng(4).binomial(200, 0.1, 500)
    kin = fit_kernel(b, side="in", rng=0)
    res = fit_budget_scale(b, b, rng=0)
    assert not kin.plausible and res["scale"] == 1.0


# --------------------------------------------------------------------------- budgets in the driver
@pytest.mark.parametrize("min_fanin", [0.0, 1.0, 2.5])
def test_conv_budget_floor(min_fanin):
    cfg = replace(QUICK, model="lenet5", epochs=0, retrain_epochs=0, min_fanin=min_fanin)
    d = run_continual(cfg, device="cpu", stop_after=1).to_dict()
    det = d["tasks"][0]["budget_details"]
    assert det["conv1.weight"]["unfloored"] == round(0.1 * 6 * 1) == 1
    for name, (out_u, in_u) in {"conv1.weight": (6, 1), "conv2.weight": (16, 6),
                                "fc1.weight": (120, 64)}.items():
        rec = det[name]
        assert rec["floor"] == math.ceil(min_fanin * out_u)
        assert rec["budget"] == min(max(round(0.1 * out_u * in_u), rec["floor"]), rec["free"])
        assert rec["raw_weights_per_edge"] == (25 if name.startswith("conv") else 1)
        assert d["tasks"][0]["edges"][name] == rec["budget"]
    assert det["fc3.weight"]["floor"] == 0                          # head: head_density only


SHAPES = {"fc1.weight": (300, 64), "fc2.weight": (100, 300)}


def test_fit_budget_mode_records_and_uses_scale():
    cfg = replace(QUICK, budget="fit")
    d = run_continual(cfg, device="cpu").to_dict()
    assert d["config"]["budget"] == "fit"
    for rec in d["tasks"]:
        assert rec["budget_mode"] == "fit"
        for name, det in rec["budget_details"].items():
            assert rec["layers"][name]["budget"] == det["budget"] == rec["budgets"][name]
            assert rec["edges"][name] == det["budget"]              # pruned exactly to it
            if det["mode"] == "head":
                continue
            fit = det["fit"]
            assert det["base"] == round(0.1 * math.prod(SHAPES[name]))
            used = [a for a in (fit["alpha_in"], fit["alpha_out"]) if a is not None]
            if used:
                raw = (3.0 - 1) / (np.mean(used) - 1)
                assert fit["scale"] == pytest.approx(min(max(raw, 0.25), 4.0))
            else:
                assert fit["scale"] == 1.0
            assert det["unfloored"] == round(det["base"] * fit["scale"])
            assert det["budget"] == min(max(det["unfloored"], det["floor"]), det["free"])
    # task 0 sees an empty network: the fixed budget
    assert all(v.get("fit", {"scale": 1.0})["scale"] == 1.0
               for v in d["tasks"][0]["budget_details"].values())
    assert d["tasks"][0]["budget_details"]["fc1.weight"]["base"] == round(0.1 * 64 * 300)


def test_layer_records_show_what_pa_used():
    d = run_continual(QUICK, device="cpu").to_dict()
    fell = total = 0
    for rec in d["tasks"]:
        decisions = {g["layer"]: g for g in rec["growth"]}
        for name, lay in rec["layers"].items():
            assert lay["budget_mode"] in ("fixed", "head") and lay["budget"] == rec["budgets"][name]
            kernels = {k["side"]: k for k in decisions[name.rsplit(".", 1)[0]]["kernels"]}
            if rec["task"] == 0:                                    # dense start: no kernels
                assert lay["strategy"] == "packnet" and lay["pa_fell_back"] is None
                continue
            assert lay["strategy"] == "pa"
            for side in ("in", "out"):
                k = kernels[side]
                assert lay[f"alpha_{side}"] == k["alpha"]
                assert lay[f"fitted_alpha_{side}"] == k["fitted_alpha"]
                assert lay[f"A_{side}"] == k["offset"]
                assert lay[f"fallback_{side}"] == (not k["plausible"])
            assert lay["pa_fell_back"] == (lay["fallback_in"] or lay["fallback_out"])
            total += 1
            fell += lay["pa_fell_back"]
    assert pa_fallback_share(d) == (fell, total) and total == 3 * (QUICK.n_tasks - 1)


def test_fallback_warning(capsys):
    def fake(flags):
        return {"tasks": [{"layers": {f"l{i}": {"pa_fell_back": f} for i, f in enumerate(flags)}}]}

    _warn_fallback(fake([True, True, False]))
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "2/3 layer-tasks" in err
    _warn_fallback(fake([True, False, None]))                         # 1/2: not most
    _warn_fallback(fake([None, None]))                                # no pa growth at all
    assert capsys.readouterr().err == ""


def test_config_errors_new_fields():
    with pytest.raises(UsageError, match="budget"):
        ContinualConfig(budget="auto")
    with pytest.raises(UsageError, match="min_fanin"):
        ContinualConfig(min_fanin=-1)
    with pytest.raises(UsageError, match="fit_target_alpha"):
        ContinualConfig(fit_target_alpha=1.0)
    with pytest.raises(UsageError, match="fit_scale"):
        ContinualConfig(fit_scale_min=2.0)
    with pytest.raises(UsageError, match="optimizer"):
        ContinualConfig(optimizer="rmsprop")


def test_resolve_optimizer():
    conv = get_model("lenet5", input_shape=(1, 8, 8))
    mlp = get_model("lenet300", input_shape=(1, 8, 8))
    assert resolve_optimizer(ContinualConfig(), conv) == ("adam", 0.01)
    assert resolve_optimizer(ContinualConfig(), mlp) == ("sgd", 0.05)
    assert resolve_optimizer(ContinualConfig(optimizer="sgd", lr=0.1), conv) == ("sgd", 0.1)
    assert resolve_optimizer(ContinualConfig(optimizer="adam"), mlp) == ("adam", 0.01)


# --------------------------------------------------------------------------- a conv model learns
def test_conv_model_learns_on_split_digits():
    torch.manual_seed(0)
    cfg = ContinualConfig(benchmark="split-digits", model="lenet5", n_tasks=5, epochs=3,
                          growth="pa", attachment_bootstrap=0, scratch_reference=False)
    res = run_continual(cfg, device="cpu", stop_after=2)
    assert res.tasks[0].optimizer == "adam"
    assert res.tasks[0].edges["conv1.weight"] >= 6                # floor, not round(0.3) = 0
    final = res.R[2]
    assert final[0] > 0.8 and final[1] > 0.8                          # two-class tasks: chance 0.5
    assert res.R[2][0] == res.R[1][0]                                 # frozen: no forgetting


# --------------------------------------------------------------------------- --pa-target / --pa-gamma
@pytest.mark.parametrize("bad", [{"pa_target": "alpha"}, {"pa_offset": 0.0},
                                 {"pa_gamma": float("nan")}])
def test_pa_target_options_validated(bad):
    with pytest.raises(UsageError, match="pa_"):
        ContinualConfig(**bad)


def test_pa_options_from_config():
    from prunegraph.continual.budget import pa_options

    assert "target" not in pa_options(ContinualConfig()) and "gamma_from" not in pa_options(ContinualConfig())
    assert pa_options(ContinualConfig(pa_target="family"))["gamma_from"] == "family"
    o = pa_options(ContinualConfig(pa_target="fixed", pa_gamma=1.5, pa_offset=2.0))
    assert {(s, law.gamma, law.offset) for s, law in o["target"].items()} == {("in", 1.5, 2.0),
                                                                              ("out", 1.5, 2.0)}


def test_pa_gamma_sets_the_grown_edges_preference():
    """Fixed (k+1)^γ from the config: γ = 0 lands like uniform sampling, γ = 1.5 concentrates
    the new edges on the high-degree rows (reference: the uniform strategy on the same layer)."""
    from prunegraph.continual.budget import pa_options
    from prunegraph.continual.growth import grow_layer

    in_deg = np.minimum(_powerlaw_degrees(2.2, 200, 3), 150)     # 200 rows, skewed degrees
    out_deg = np.full(300, int(in_deg.sum() // 300))             # flat columns
    free = torch.ones(200, 300, dtype=torch.bool)
    top = in_deg >= np.quantile(in_deg, 0.9)

    def share(strategy, cfg, seed):
        m, dec = grow_layer(strategy, free, 600, in_degree=in_deg, out_degree=out_deg,
                            pa_options=pa_options(cfg), rng=seed)
        return float(m[torch.from_numpy(top)].sum()) / float(m.sum()), dec

    for seed in range(3):
        uni, _ = share("uniform", ContinualConfig(), seed)
        g0, d0 = share("pa", ContinualConfig(pa_target="fixed", pa_gamma=0.0), seed)
        g15, d15 = share("pa", ContinualConfig(pa_target="fixed", pa_gamma=1.5), seed)
        assert [k.gamma for k in d0.kernels] == [0.0, 0.0] and d15.kernels[0].gamma == 1.5
        assert abs(g0 - uni) < 0.06 < g15 - uni       # γ = 0 ≈ uniform; γ = 1.5 prefers hubs


def test_cli_pa_gamma_reaches_the_config():
    import argparse

    from prunegraph.commands.continual import _config, add_arguments

    p = argparse.ArgumentParser()
    add_arguments(p)
    cfg = _config(p.parse_args(["--benchmark", "split-digits", "--pa-target", "fixed",
                                "--pa-gamma", "0.5", "--pa-offset", "3"]))
    assert (cfg.pa_target, cfg.pa_gamma, cfg.pa_offset) == ("fixed", 0.5, 3.0)
