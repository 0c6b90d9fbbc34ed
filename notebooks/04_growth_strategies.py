# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: kernelspec,jupytext,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 · Does exponent-driven growth help? The growth-kernel ablation
#
# Task-incremental learning on a pruned LeNet-300-100 (`prunegraph.continual`): each task trains
# only its own weights, is pruned to its budget by magnitude and frozen; before the next task the
# scheduler grows new free connections. This notebook asks, with one ablation on one harness:
#
# 1. **Does the fitted exponent matter beyond plain degree preference?** The `pa` kernel is
#    f(k) = (k + A)^γ per side (Krapivsky, Redner & Leyvraz 2000: γ < 1 sublinear, 1 linear,
#    > 1 superlinear attachment). Variants: the *rule* (`pa own`: (A, γ) of each layer's own
#    maximum-likelihood degree law), the same family at fixed γ = 0 (uniform attachment), 0.5,
#    1 (`k + 1`) and 1.5, and `(k+1)^beta`: γ set to the attachment exponent β *measured* (by
#    likelihood, `attachment.attachment_exponent`) on the edges that free training (PackNet) kept
#    on task 1 of the same seed and budget.
# 2. **Faster learning or smaller networks** than uniform growth, one-shot gradient growth
#    (RigL-style), dynamic sparse training (SET, RigL) and PackNet (all free weights trained,
#    then cut)? Faster: learning-curve area and steps to an absolute accuracy (tasks 1…T−1).
#    Smaller: the smallest budget, in edges, whose ACC reaches a target, from a sweep over
#    per-task densities.
# 3. **Where it helps and where not.**
#
# Every variant is one `ContinualConfig` (`prunegraph.continual.ablation.variant_config`) on the
# same stream, budgets and seeds, with `grow_factor = 1` (the grown edges are exactly the kept
# edges, so they follow the kernel). ACC from the accuracy matrix (Lopez-Paz & Ranzato 2017);
# mean with its Student-t 95 % interval over seeds; Δ = paired (same seed) difference against
# uniform growth with its 95 % interval and the number of seeds ahead.
#
# **Settings.** `full` does not train: it reads the committed raw per-run results of
# `benchmarks/continual_ablation.py` (`benchmarks/results/continual_ablation_permuted_digits.json`:
# permuted digits, 5 tasks, 5 seeds, densities 0.005–0.04; docs/continual.md says how they were made)
# and computes every table and figure here from the runs. `small` runs a tiny live ablation
# (2 tasks, 1 epoch, 2 seeds, 2 budgets) through the same library functions.

# %% tags=["parameters"]
SIZE = "full"  # "small": the CI setting (a tiny live ablation); "full": the committed raw results
SEED = 0

# %%
from IPython.display import Markdown, display

from prunegraph.output.notebook import notebook_setup

SETTINGS = {
    "small": {"results": None, "benchmark": "permuted-digits", "n_tasks": 2, "epochs": 1, "min_steps": 20,
              "retrain_min_steps": 0, "seeds": (0, 1), "densities": (0.01, 0.04), "main_density": 0.01,
              "variants": ("uniform", "(k+1)^1", "(k+1)^beta", "gradient", "packnet"),
              "steps_target": 0.6, "budget_targets": (0.7, 0.8),
              "fmnist": "../benchmarks/results/continual_ablation_permuted_fmnist.json"},
    "full": {"results": "../benchmarks/results/continual_ablation_permuted_digits.json",
             "budget_targets": (0.90, 0.94),
             "fmnist": "../benchmarks/results/continual_ablation_permuted_fmnist.json"},
}
P = notebook_setup(SETTINGS, SIZE, seed=SEED)
print(f"setting: {SIZE}")
display(P)

# %%
import json
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from prunegraph.continual import ContinualConfig
from prunegraph.continual.ablation import (
    VARIANTS,
    ablation_rows,
    budget_to_target,
    paired_between,
    run_ablation,
    summarise_ablation,
)

# %matplotlib inline

# %% [markdown]
# ## The runs
#
# One row per variant, seed and budget: ACC, curve area and steps to the target (means over
# tasks 1…T−1), total edges, wall time.

# %%
t0 = time.perf_counter()
if P["results"]:
    with open(P["results"], encoding="utf-8") as fh:
        committed = json.load(fh)
    rows, config = committed["runs"], committed["config"]
    print(f"read {len(rows)} runs from {P['results'].removeprefix('../')}")
else:
    base = ContinualConfig(benchmark=P["benchmark"], n_tasks=P["n_tasks"], epochs=P["epochs"],
                           min_steps=P["min_steps"], retrain_min_steps=P["retrain_min_steps"],
                           density=P["main_density"], grow_factor=1.0, scratch_reference=False,
                           attachment_bootstrap=0, target_accuracy=P["steps_target"], seed=SEED)
    rows = run_ablation(base, variants=P["variants"], seeds=P["seeds"], densities=P["densities"])
    config = base.to_dict()
    print(f"ran {len(rows)} runs in {time.perf_counter() - t0:.0f} s")
runs = pd.DataFrame(rows)
main_density = config["density"]
print(f"{config['benchmark']}, {config['model']}, {config['n_tasks']} tasks, {config['epochs']} epochs per task; "
      f"main budget: density {main_density:g}; steps target ACC {config['target_accuracy']:g}")
display(runs.pivot_table(index="variant", columns="density", values="ACC", aggfunc="count").reindex(
    [v for v in VARIANTS if v in set(runs.variant)]).rename_axis(columns="seeds run at density"))

# %% [markdown]
# ## The ablation table at the main budget
#
# `ΔX better` counts the seeds on which the variant is ahead of uniform growth (fewer steps for
# `steps_to_target`; a seed enters the steps mean only when all its tasks reach the target).
# The last columns come from the budget sweep (next sections), one set per target ACC: the edges
# at which the mean ACC curve reaches the target (log-linear interpolation between grid budgets;
# `below`: already at the smallest budget, `above`: never) and the seeds on which the variant
# needs fewer edges than uniform growth (decided also when one side is censored).

# %%
per_density = summarise_ablation(rows)
budgets = {t: budget_to_target(rows, target=t) for t in P["budget_targets"]}
budget = budgets[P["budget_targets"][0]]          # the swept variants and their ACC-vs-edges points
table = pd.DataFrame(ablation_rows(per_density[main_density])).set_index("variant")
cols = ["ACC", "ACC ci", "ΔACC", "ΔACC ci", "ΔACC better", "curve_area", "Δcurve_area", "Δcurve_area ci",
        "Δcurve_area better", "steps_to_target", "Δsteps_to_target", "Δsteps_to_target better"]
for t, b in budgets.items():
    extra = pd.DataFrame(ablation_rows(per_density[main_density], budget=b)).set_index("variant")
    for c in ("edges at target", "edges at target how", "fewer edges than ref"):
        if c in extra:
            table[f"{c} {t:g}"] = extra[c]
            cols.append(f"{c} {t:g}")
shown = table[cols].copy()
for c in [c for c in cols if c.endswith(" ci")]:   # intervals as text, 3 decimals
    shown[c] = [f"[{x[0]:.3f}, {x[1]:.3f}]" if isinstance(x, list) else "" for x in shown[c]]
display(shown)

# %%
fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
names = list(table.index)
y = np.arange(len(names))
for ax, q, label in zip(axes, ("ACC", "ΔACC", "Δcurve_area"),
                        ("ACC (mean, 95 % interval; dots: seeds)", "ΔACC vs uniform (paired, 95 %)",
                         "Δ curve area vs uniform (paired, 95 %)")):
    for i, v in enumerate(names):
        m, ci = table.loc[v, q], table.loc[v, f"{q} ci"]
        if m is None or (isinstance(m, float) and np.isnan(m)):
            continue
        color = "C3" if v.startswith(("(k+1)", "pa own")) else "C0"
        if ci is not None:
            ax.plot(ci, [i, i], color=color, lw=2)
        ax.plot(m, i, "o", color=color)
        if q == "ACC":
            seeds = runs[(runs.variant == v) & np.isclose(runs.density, main_density)].ACC
            ax.plot(seeds, np.full(len(seeds), i + 0.2), ".", color="0.5", ms=4)
    if q != "ACC":
        ax.axvline(0, color="k", lw=0.8, ls="--")
    ax.set_yticks(y, names if ax is axes[0] else [])
    ax.invert_yaxis()
    ax.set_title(label, fontsize=10)
    ax.grid(True, axis="x", alpha=0.3)
fig.suptitle(f"density {main_density:g}: red = degree kernels (k + A)^γ, blue = other growth", fontsize=10)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## (a) Does the exponent matter beyond degree preference?
#
# Paired differences between kernels of the same family, at every budget where both ran: the
# rule and the measured-β kernel against plain `k + 1`, and γ = 1.5 and γ = 0.5 against γ = 1.

# %%
contrasts = [("pa own", "(k+1)^1"), ("(k+1)^beta", "(k+1)^1"), ("(k+1)^1.5", "(k+1)^1"),
             ("(k+1)^0.5", "(k+1)^1"), ("(k+1)^0", "uniform"), ("(k+1)^1", "gradient")]
crow = []
for a, b in contrasts:
    for q in ("ACC", "curve_area"):
        for dens, d in paired_between(rows, a, b, quantity=q).items():
            crow.append({"contrast": f"{a} − {b}", "quantity": q, "density": dens, "mean": d["mean"],
                         "ci low": d["ci"][0] if d["ci"] else None, "ci high": d["ci"][1] if d["ci"] else None,
                         "a ahead": d["wins"], "seeds": d["n"]})
contrast = pd.DataFrame(crow)
display(contrast.set_index(["contrast", "quantity", "density"]))
gam = runs[runs.variant == "(k+1)^beta"].groupby("density").pa_gamma.agg(["mean", "min", "max"])
display(gam.rename(columns=lambda c: f"measured β used as γ: {c}"))

# %% [markdown]
# ## (b) Smaller networks: accuracy against edges
#
# Every variant that ran at two budgets or more: mean ACC (95 % interval) and mean curve area
# against the total edges of the final network (all tasks, heads included), and the target ACC.

# %%
fig, axes = plt.subplots(1, 2, figsize=(14, 4.8))
for i, v in enumerate(budget):
    pts = budget[v]["points"]
    e = [p["edges"] for p in pts]
    m = [p["ACC"]["mean"] for p in pts]
    lo = [p["ACC"]["ci"][0] if p["ACC"]["ci"] else p["ACC"]["mean"] for p in pts]
    hi = [p["ACC"]["ci"][1] if p["ACC"]["ci"] else p["ACC"]["mean"] for p in pts]
    style = "-o" if v.startswith(("(k+1)", "pa own")) else "--s"
    axes[0].plot(e, m, style, color=f"C{i}", label=v)
    axes[0].fill_between(e, lo, hi, color=f"C{i}", alpha=0.12)
    area = runs[runs.variant == v].groupby("density")[["edges_total", "curve_area"]].mean().sort_values("edges_total")
    axes[1].plot(area.edges_total, area.curve_area, style, color=f"C{i}", label=v)
for t in P["budget_targets"]:
    axes[0].axhline(t, color="k", lw=0.8, ls=":")
    axes[0].annotate(f"target {t:g}", (axes[0].get_xlim()[0], t), fontsize=8, va="bottom")
axes[0].set_ylabel("ACC (mean, 95 % interval)")
axes[1].set_ylabel("learning-curve area (mean over tasks 1…T−1)")
for ax in axes:
    ax.set_xscale("log")
    ax.set_xlabel("edges of the final network (all tasks)")
    ax.grid(True, alpha=0.3)
axes[0].legend(fontsize=8)
fig.tight_layout()
plt.show()

# %%
small = pd.DataFrame([{"target ACC": t, "variant": v, "smallest grid budget reaching target (edges)":
                       b["smallest_grid"]["edges"] if b["smallest_grid"] else None,
                       "edges at target (mean curve)": b["edges_mean_curve"], "how": b["how_mean_curve"],
                       "seeds reaching": f"{b['seeds_reaching']}/{len(b['seeds'])}",
                       "fewer edges than uniform (seeds)": b.get("fewer_than_reference"),
                       "edges / uniform's": b.get("ratio_to_reference")}
                      for t, bt in budgets.items() for v, b in bt.items()])
display(small.set_index(["target ACC", "variant"]))

# %% [markdown]
# ## A second benchmark: permuted FMNIST at one tight budget
#
# The committed raw runs of `benchmarks/continual_ablation.py --benchmark permuted-fmnist`
# (`benchmarks/results/continual_ablation_permuted_fmnist.json`; docs/continual.md states its shorter
# per-task schedule, the same for every variant), read in both settings, summarised here by the
# same functions: one budget, paired differences against uniform growth and against `(k+1)^1`.

# %%
with open(P["fmnist"], encoding="utf-8") as fh:
    fm = json.load(fh)
fm_rows, fm_cfg = fm["runs"], fm["config"]
fm_density = fm_cfg["density"]
fm_main = summarise_ablation(fm_rows)[fm_density]
print(f"read {len(fm_rows)} runs: {fm_cfg['benchmark']}, {fm_cfg['n_tasks']} tasks, {fm_cfg['epochs']} epoch(s) "
      f"per task, density {fm_density:g}, seeds {fm_main['seeds']}; steps target ACC {fm_cfg['target_accuracy']:g}")
fm_table = pd.DataFrame(ablation_rows(fm_main)).set_index("variant")
fm_cols = ["ACC", "ACC ci", "ΔACC", "ΔACC ci", "ΔACC better", "curve_area", "Δcurve_area", "Δcurve_area ci",
           "Δcurve_area better", "steps_to_target", "Δsteps_to_target", "Δsteps_to_target better"]
fm_shown = fm_table[fm_cols].copy()
for c in [c for c in fm_cols if c.endswith(" ci")]:
    fm_shown[c] = [f"[{x[0]:.3f}, {x[1]:.3f}]" if isinstance(x, list) else "" for x in fm_shown[c]]
display(fm_shown)


def _fm_pair(a, b, q="ACC"):
    d = paired_between(fm_rows, a, b, quantity=q).get(fm_density)
    if d is None or d["mean"] is None:
        return f"`{a}` − `{b}`: not run"
    lo_hi = f" [{d['ci'][0]:+.3f}, {d['ci'][1]:+.3f}]" if d["ci"] else ""
    return f"`{a}` − `{b}` {d['mean']:+.3f}{lo_hi} ({d['wins']}/{d['n']} seeds ahead)"


fm_have = set(fm_main["variants"])
fm_vs_linear = [v for v in ("pa own", "(k+1)^beta", "(k+1)^0.5", "(k+1)^1.5", "gradient", "set", "rigl",
                            "pa-dst", "packnet") if v in fm_have and "(k+1)^1" in fm_have]
fm_line = ("**(d) Permuted FMNIST** (density " + f"{fm_density:g}, {len(fm_main['seeds'])} seeds, "
           f"{fm_cfg['epochs']} epoch(s) per task), ACC: "
           + "; ".join(f"{v} {fm_main['summary'][v]['ACC']['mean']:.3f}" for v in fm_main["variants"])
           + ". Against uniform growth: "
           + "; ".join(_fm_pair(v, "uniform") for v in fm_main["variants"] if v != "uniform")
           + ". Against `(k+1)^1`: " + "; ".join(_fm_pair(v, "(k+1)^1") for v in fm_vs_linear) + ".")
display(Markdown(fm_line))

# %% [markdown]
# ## Summary
#
# Computed from the tables above, so it follows any re-run.

# %%
def ci(v, spec=".3f"):
    """'mean [low, high]' of a mean_ci / paired_differences dict."""
    if v is None or v["mean"] is None:
        return "n/a"
    return f"{v['mean']:{spec}}" + (f" [{v['ci'][0]:{spec}}, {v['ci'][1]:{spec}}]" if v["ci"] else "")


main = per_density[main_density]
S, D = main["summary"], main["paired"]
have = set(main["variants"])
n_seeds = len(main["seeds"])


def vs_uniform(v, q="ACC"):
    d = D[v][q]
    return f"{ci(d, '+.3f')} ({d['wins'] if q != 'steps_to_target' else d['n'] - d['wins'] - d['ties']}/{d['n']})"


def contrast_at(a, b, q="ACC"):
    return paired_between(rows, a, b, quantity=q)


def budget_text(v, t):
    b = budgets[t].get(v)
    if b is None:
        return "not swept"
    if b["how_mean_curve"] == "above":
        return f"not reached up to {b['points'][-1]['edges']:.0f} edges"
    if b["how_mean_curve"] == "below":
        return f"reached already at the smallest budget ({b['points'][0]['edges']:.0f} edges)"
    return f"{b['edges_mean_curve']:.0f} edges"


def verdict(d):
    """'ahead' / 'behind' / 'no clear difference' from a paired difference's 95 % interval."""
    if not d or not d["ci"]:
        return "undetermined"
    return "ahead" if d["ci"][0] > 0 else "behind" if d["ci"][1] < 0 else "no clear difference"


def contrast_text(a, b, q="ACC", dens=main_density):
    d = contrast_at(a, b, q).get(dens)
    if d is None:
        return f"`{a}` − `{b}`: not run"
    return f"`{a}` − `{b}` {ci(d, '+.3f')} ({d['wins']}/{d['n']} seeds ahead: {verdict(d)})"


kernels = [v for v in ("pa own", "(k+1)^0", "(k+1)^0.5", "(k+1)^1", "(k+1)^1.5", "(k+1)^beta") if v in have]
best_kernel = max(kernels, key=lambda v: S[v]["ACC"]["mean"]) if kernels else None
others = [v for v in ("gradient", "set", "rigl", "pa-dst", "packnet") if v in have]
by_budget = contrast_at(best_kernel, "uniform") if best_kernel else {}
measured = runs[runs.variant == "(k+1)^beta"].pa_gamma.dropna()
lines = [
    (f"Setting **{SIZE}**: {config['benchmark']}, {config['model']}, {config['n_tasks']} tasks, "
     f"{n_seeds} seeds, main budget density {main_density:g} "
     + ("(committed raw results, read, not re-run); " if P["results"] else "(a tiny live ablation); ")
     + f"budgets swept: {', '.join(f'{d:g}' for d in sorted(per_density))}. ACC mean [95 % interval]; "
       "Δ paired against uniform growth [95 %] (seeds ahead)."),
    "",
    ("**(a) The exponent beyond degree preference.** "
     + (f"Plain linear preference `(k+1)^1` gives ACC {ci(S['(k+1)^1']['ACC'])}, Δ {vs_uniform('(k+1)^1')} "
        f"against uniform growth {ci(S['uniform']['ACC'])}. " if {"(k+1)^1", "uniform"} <= have else "")
     + "Against `(k+1)^1`, ACC at the main budget: "
     + "; ".join(contrast_text(a, "(k+1)^1") for a in ("pa own", "(k+1)^beta", "(k+1)^0.5", "(k+1)^1.5")
                 if a in have and "(k+1)^1" in have)
     + "".join(f". At every swept budget, `{a}` − `(k+1)^1` (ACC): "
               + ", ".join(f"{dd:g}: {ci(x, '+.3f')}" for dd, x in contrast_at(a, "(k+1)^1").items())
               for a in ("pa own", "(k+1)^beta", "(k+1)^1.5") if len(contrast_at(a, "(k+1)^1")) > 1)
     + (f". The measured β used as γ ranged {measured.min():.2f}–{measured.max():.2f} over seeds and budgets."
        if len(measured) else ".")),
    "",
    ("**(b) Faster learning** (learning-curve area, mean over tasks; Δ vs uniform): "
     + "; ".join(f"{v} {ci(S[v]['curve_area'])}" + ("" if v == "uniform" else f", Δ {vs_uniform(v, 'curve_area')}")
                 for v in [u for u in ("uniform", best_kernel, *others) if u]) + ". "
     + (f"Steps to ACC {config['target_accuracy']:g} (mean over tasks, seeds where every task got there): "
        + "; ".join(f"{v} {ci(S[v]['steps_to_target'], '.0f')} (n = {S[v]['steps_to_target']['n']})"
                    for v in [u for u in ("uniform", best_kernel, *others) if u]) + ".")),
    *(f"**(b) Smaller networks** (edges of the final network at which mean ACC reaches {t:g}): "
      + "; ".join(f"{v} {budget_text(v, t)}"
                  + (f" ({budgets[t][v]['ratio_to_reference']:.2f}× uniform's)"
                     if budgets[t][v].get("ratio_to_reference") is not None else "")
                  + (f" ({budgets[t][v]['fewer_than_reference']}/{len(budgets[t][v]['seeds'])} seeds fewer "
                     "than uniform)" if budgets[t][v].get("fewer_than_reference") is not None else "")
                  for v in budgets[t]) + "." for t in P["budget_targets"]),
    "",
    ("**(c) Where it helps and where not.** "
     + (f"The best kernel at the main budget is `{best_kernel}` (ACC {ci(S[best_kernel]['ACC'])}). "
        f"Against uniform growth, by budget: "
        + "; ".join(f"{dd:g}: {ci(x, '+.3f')} ({x['wins']}/{x['n']}, {verdict(x)})" for dd, x in by_budget.items())
        + ". Against the other growth rules at the main budget: "
        + "; ".join(contrast_text(o, best_kernel) for o in others) + ". " if best_kernel else "")
     + "Degree-preferential growth is judged against uniform growth on the same budget; gradient growth, "
       "RigL and PackNet use the training signal for every candidate and are the bar it has to clear."),
    "",
    fm_line,
]
display(Markdown("\n".join(lines)))
