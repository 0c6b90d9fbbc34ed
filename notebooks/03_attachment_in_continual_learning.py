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
# # 03 · Preferential attachment in continual learning?
#
# Task-incremental learning on a pruned LeNet-300-100 (`prunegraph.continual`): every weight is
# owned by one task or free; task *t* trains only its own weights, is pruned to its budget by
# magnitude and frozen. The question: do the connections that *training* chooses for a new task
# attach preferentially to units that were already well connected?
#
# For every task t ≥ 1 the driver scores the edges task *t* kept (after training and pruning) by
# the degrees their end units had in the network of tasks 0…t−1 and measures the attachment kernel
# (Jeong, Néda & Barabási 2003): Π(k) = new edges at nodes of degree k / nodes of degree k,
# κ(k) = ∫₀ᵏ Π(k′) dk′ ∝ k^(β+1); β = 0 means no preference, β = 1 linear preference. β comes
# with a bootstrap confidence interval over nodes.
#
# * **free training** — `packnet` growth: every free weight is a candidate, training and magnitude
#   pruning alone pick the new connections;
# * **random-growth control** — `uniform` growth: a random set of free weights (the budget of the
#   `pa` scheduler) is offered, and training picks among them. The *grown* (offered) edges of
#   this run are uniformly random by construction, so their β shows what the measurement returns
#   for random edges.

# %% tags=["parameters"]
SIZE = "full"  # "small": the CI setting (digits, 2 epochs, few draws); "full": the committed outputs
SEED = 0

# %%
from IPython.display import Markdown, display

SETTINGS = {
    "small": {"benchmark": "split-digits", "n_tasks": 5, "epochs": 2, "n_train": None, "n_test": None,
              "attachment_bootstrap": 50, "null_draws": 20},
    "full": {"benchmark": "split-fmnist", "n_tasks": 5, "epochs": 3, "n_train": 1000, "n_test": 1000,
             "attachment_bootstrap": 200, "null_draws": 200},
}
if SIZE not in SETTINGS:
    raise ValueError(f"SIZE={SIZE!r}: use 'small' or 'full' (papermill -p SIZE small)")
P = SETTINGS[SIZE]
print(f"setting: {SIZE}")
display(P)

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from prunegraph.attachment import attachment_kernel, uniform_null
from prunegraph.continual import ContinualConfig, load_checkpoint_manifest, run_continual
from prunegraph.continual.ownership import edge_masks_from_owners
from prunegraph.output.tables import format_range

# %matplotlib inline
torch.manual_seed(SEED)
torch.set_num_threads(1)
pd.set_option("display.precision", 3, "display.width", 200, "display.max_columns", 30, "display.max_rows", 200)
workdir = tempfile.TemporaryDirectory()  # run checkpoints (final ownership of every weight)

# %%
runs = {}
for growth in ("packnet", "uniform"):
    cfg = ContinualConfig(benchmark=P["benchmark"], model="lenet300", n_tasks=P["n_tasks"],
                          epochs=P["epochs"], growth=growth, n_train=P["n_train"], n_test=P["n_test"],
                          attachment_bootstrap=P["attachment_bootstrap"], seed=SEED,
                          scratch_reference=False)  # no FWT_scratch here: halves the training time
    runs[growth] = run_continual(cfg, device="cpu",
                                 checkpoint=Path(workdir.name) / f"{growth}.safetensors").to_dict()
    m = runs[growth]["metrics"]
    print(f"{growth:8s} ACC {m['ACC']:.4f}  BWT {m['BWT']:.4f}  edges {runs[growth]['edges_total']}  "
          f"{runs[growth]['wall_time_s']:.0f} s")

# %% [markdown]
# ## β per task, with its confidence interval (layers pooled)
#
# `kept` = the edges task t owns after training and pruning; `grown` = the candidate edges offered
# before training (for `packnet` that is every free weight). Sides: `in` scores targets by their
# in-degree, `out` sources by their out-degree, `internal` pairs by the product k₁k₂ (its β is the
# slope minus 1: 1 for linear preference in the product, 0 for none).

# %%
rows = []
for growth, res in runs.items():
    for rec in res["tasks"]:
        att = rec["attachment"]
        for which in ("kept", "grown"):
            if not att.get(which):
                continue
            for side in ("in", "out", "internal"):
                kern = att[which][side]
                ci = kern["ci"] or [None, None]
                rows.append({"growth": growth, "task": rec["task"], "edges": which, "side": side,
                             "new edges": kern["n_new_edges"], "beta": kern["beta"],
                             "ci low": ci[0], "ci high": ci[1]})
beta = pd.DataFrame(rows)
display(beta.pivot_table(index=["side", "edges", "growth"], columns="task", values="beta"))

# %%
display(beta[beta.side == "in"].set_index(["growth", "edges", "task"]))

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), sharey=True)
styles = {("packnet", "kept"): ("C0", "o"), ("uniform", "kept"): ("C1", "s"), ("uniform", "grown"): ("0.5", "^")}
for ax, side in zip(axes, ("in", "out", "internal")):
    for (growth, which), (color, marker) in styles.items():
        g = beta[(beta.side == side) & (beta.growth == growth) & (beta.edges == which)].dropna(subset=["beta"])
        if g.empty:
            continue
        lo = (g["beta"] - g["ci low"]).fillna(0).clip(lower=0)
        hi = (g["ci high"] - g["beta"]).fillna(0).clip(lower=0)
        off = {"packnet": -0.1, "uniform": 0.1}[growth] + (0.05 if which == "grown" else 0)
        ax.errorbar(g.task + off, g["beta"], yerr=[lo, hi], fmt=marker, color=color, capsize=3,
                    label=f"{growth} {which}")
    ax.axhline(0, color="k", lw=0.8, ls="--")
    ax.axhline(1, color="k", lw=0.5, ls=":")
    ax.set_title(f"β ({side})")
    ax.set_xlabel("task")
    ax.grid(True, alpha=0.3)
axes[0].set_ylabel("attachment exponent β (95 % CI)")
axes[0].legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Π(k) and κ(k) per task (in-degree side, kept edges)

# %%
tasks = [rec["task"] for rec in runs["packnet"]["tasks"] if rec["attachment"].get("kept")]
fig, axes = plt.subplots(2, len(tasks), figsize=(3.6 * len(tasks), 6.4), squeeze=False)
for j, t in enumerate(tasks):
    for growth, color in (("packnet", "C0"), ("uniform", "C1")):
        kern = runs[growth]["tasks"][t]["attachment"]["kept"]["in"]
        k, pi, kappa = map(np.asarray, (kern["k"], kern["pi"], kern["kappa"]))
        ok = k > 0
        axes[0, j].plot(k[ok], pi[ok], ".", color=color, alpha=0.7, label=growth)
        axes[1, j].loglog(k[ok], kappa[ok], ".", color=color, alpha=0.7,
                          label=f"{growth}: β={kern['beta']:.2f}" if kern["beta"] is not None else growth)
    if ok.any():
        kk = np.array([k[ok].min(), k[ok].max()])
        axes[1, j].loglog(kk, kappa[ok][0] * kk / kk[0], "k--", lw=0.8, label="β = 0 (slope 1)")
    axes[0, j].set_title(f"task {t}: Π(k)")
    axes[0, j].set_xlabel("in-degree k before the task")
    axes[1, j].set_title(f"task {t}: κ(k)")
    axes[1, j].set_xlabel("in-degree k before the task")
    axes[1, j].legend(fontsize=7)
axes[0, 0].legend(fontsize=7)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Per layer, against uniform draws over the same free positions
#
# The driver pools the hidden layers. Pooling layers of different widths can fake preference:
# units of a wide layer have both higher degrees and more free positions. So here each hidden
# layer separately, from the ownership of every weight in the final checkpoint
# (`edge_masks_from_owners`: a weight is in the network of tasks 0…t when its owner is ≤ t): β of
# the edges task t kept with its bootstrap interval, and its place among `null_draws` controls
# that put as many edges uniformly on the same free positions (`attachment.uniform_null`; the
# null is not centred on 0, because a unit's free positions shrink as its degree grows).

# %%
rows = []
for growth, res in runs.items():
    _, tensors = load_checkpoint_manifest(Path(workdir.name) / f"{growth}.safetensors")
    hidden = res["tasks"][1]["attachment"]["layers"]
    for t in range(1, len(res["tasks"])):
        before = edge_masks_from_owners(tensors, hidden, upto=t - 1)
        after = edge_masks_from_owners(tensors, hidden, upto=t)
        for layer in hidden:
            kern = attachment_kernel(before[layer], after[layer], side="in",
                                     bootstrap=P["attachment_bootstrap"], rng=SEED)
            null = uniform_null(before[layer], after[layer], side="in", draws=P["null_draws"], rng=SEED + t)
            ci = kern.ci or (None, None)
            rows.append({"layer": layer, "task": t, "growth": growth, "new edges": kern.n_new_edges,
                         "beta": kern.beta, "ci low": ci[0], "ci high": ci[1], "null mean": null.null_mean,
                         "null sd": null.null_sd, "p vs null": null.p_value})
per_layer = pd.DataFrame(rows)
display(per_layer.set_index(["layer", "task", "growth"]).sort_index())

# %%
display(pd.DataFrame([{"growth": g, "task": rec["task"], "kept edges": sum(rec["edges"].values()),
                       "steps to 95 %": rec["steps_to_95"], "seconds": rec["seconds"]}
                      for g, res in runs.items() for rec in res["tasks"]]))

# %% [markdown]
# ## Summary
#
# Computed from the tables above, so it follows any re-run.

# %%
def pooled(growth, which, side="in"):
    return beta[(beta.growth == growth) & (beta.edges == which) & (beta.side == side)].sort_values("task")


LEVEL = 0.05
free_kept, rand_grown = pooled("packnet", "kept"), pooled("uniform", "grown")
pl = per_layer.dropna(subset=["beta"])
sig = pl[pl["p vs null"] < LEVEL]
above = sig[sig["beta"] > sig["null mean"]]
m = {g: runs[g]["metrics"] for g in runs}
b_rand, b_kept = rand_grown["beta"].mean(), free_kept["beta"].mean()
lines = [
    (f"Setting **{SIZE}**: {P['benchmark']}, {P['n_tasks']} tasks, LeNet-300-100, {P['epochs']} epochs per task, "
     f"{P['attachment_bootstrap']} bootstrap replicates per interval, {P['null_draws']} uniform draws per null. "
     + ", ".join(f"{g}: ACC {m[g]['ACC']:.3f}, BWT {m[g]['BWT']:.3f}, {runs[g]['edges_total']} edges"
                 for g in runs)
     + "."), "",
    (f"* **Pooled over the hidden layers** the in-degree β of the edges kept under free training is "
     f"{', '.join(f'{b:.2f}' for b in free_kept['beta'])} for tasks {', '.join(map(str, free_kept['task']))}; "
     f"the offered edges of the random-growth run, uniformly random by construction, give "
     f"{', '.join(f'{b:.2f}' for b in rand_grown['beta'])}, and all free weights offered to `packnet` "
     f"{format_range(pooled('packnet', 'grown')['beta'])}."),
    (f"* **Per layer** β of the kept edges is {format_range(pl[pl.growth == 'packnet']['beta'])} under free "
     f"training and {format_range(pl[pl.growth == 'uniform']['beta'])} under uniform growth; the uniform nulls' "
     f"means are {format_range(pl['null mean'])} (sd {format_range(pl['null sd'])}). {len(sig)} of {len(pl)} "
     f"layer-task-run triples differ from their null at p < {LEVEL}"
     + (f", {len(above)} of them above it ("
        + ", ".join(f"{r.growth} {r.layer} task {r.task}: β={r.beta:.2f}, null {r['null mean']:.2f}"
                    for _, r in above.iterrows()) + ")" if len(above) else "")
     + "."),
    (f"* **Internal links** (pairs scored by k₁·k₂): kept edges under free training "
     f"{format_range(pooled('packnet', 'kept', 'internal')['beta'])}, under random growth "
     f"{format_range(pooled('uniform', 'kept', 'internal')['beta'])}."),
    "",
    ("**Against the hypothesis.** "
     f"Pooled over layers, uniformly random edges read β = {b_rand:.2f} on average and the edges training "
     f"keeps {b_kept:.2f}"
     + (": the pooled number does not tell them apart (it reflects pooling layers of different widths), "
        "so it is no evidence of preference. " if abs(b_rand - b_kept) < 0.25 * abs(b_kept) else ". ")
     + f"Per layer, against uniform draws, {len(above)} of {len(pl)} kept-edge kernels lie above the null: "
     + ("training does not pick new connections by the degree their units already had."
        if len(above) <= 0.1 * len(pl) else "some layers attach preferentially.")),
]
display(Markdown("\n".join(lines)))
