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
# # 01 · Degree distributions of pruned networks
#
# LeNet-300-100 and LeNet-5 trained on Fashion-MNIST (full setting: a seeded 30 000-image subset
# of the training set, the full test set) and magnitude-pruned. Each pruned layer is a
# bipartite graph (units are nodes, surviving weights are edges); its in- and out-degree sequences
# are fitted by the Clauset–Shalizi–Newman method (discrete MLE, xmin by KS, bootstrap goodness of
# fit, likelihood-ratio tests against the alternatives listed in the setting) and read against the
# **random-pruning null**: the same layer pruned uniformly at random to the identical density,
# whose degrees are binomial.
#
# Every number below comes from a prunegraph call: `prunegraph.training.recipes` (pruning and
# the random twin), `prunegraph.analysis.analyze` (the pipeline behind `prunegraph fit`; its
# docstring and the README give the verdict rules) and `prunegraph.output.plot`.
#
# **Pruning schedule.** Each model is trained dense once, then pruned by magnitude along a
# decreasing density schedule (per-layer density *d* for every layer, the output layer kept at
# min(1, 3*d*)), with a short fine-tune after each step (iterative magnitude pruning, Han et al.
# 2015). Each level also gets a *random twin* (`recipes.random_twin`): the dense weights masked
# uniformly at random with exactly the same per-layer kept counts and fine-tuned for as many
# epochs as the pruned model has had, to show what the structure buys in accuracy.

# %% tags=["parameters"]
SIZE = "full"  # "small": the CI setting (digits, few epochs); "full": the committed outputs
SEED = 0

# %%
from IPython.display import Markdown, display

from prunegraph.output.notebook import notebook_setup

SETTINGS = {
    # small: cheap one-parameter alternatives only (the two-parameter ones dominate the run time)
    "small": {"dataset": "digits", "n_train": None, "epochs": {"lenet300": 8, "lenet5": 6},
              "batch_size": 32, "finetune": 1, "densities": (0.5, 0.2, 0.1, 0.05), "main_density": 0.1,
              "bootstrap": 5, "alternatives": ("exponential", "poisson", "binomial")},
    # full: a seeded 30 000-image subset of the Fashion-MNIST training set (CPU budget), full test set
    "full": {"dataset": "fashion_mnist", "n_train": 30000, "epochs": {"lenet300": 6, "lenet5": 4},
             "batch_size": 64, "finetune": 1, "densities": (0.5, 0.2, 0.1, 0.05), "main_density": 0.1,
             "bootstrap": 100, "alternatives": ("lognormal", "exponential", "stretched_exponential",
                                                "truncated_power_law", "poisson", "binomial")},
}
P = notebook_setup(SETTINGS, SIZE, seed=SEED)
print(f"setting: {SIZE}")
display(P)

# %%
import copy
import time
import warnings

import matplotlib.pyplot as plt
import pandas as pd
import torch

import prunegraph
from prunegraph.analysis import HEAVIER_LEVEL, analyze
from prunegraph.fit.verdict import Verdict, verdict_text
from prunegraph.models.data import load_dataset
from prunegraph.models.zoo import get_model
from prunegraph.output.plot import plot_alpha_summary, plot_ccdf
from prunegraph.output.tables import format_range
from prunegraph.training.prune import layer_densities, prunable_parameters
from prunegraph.training.recipes import prune_and_retrain, random_twin
from prunegraph.training.train import evaluate, train

# %matplotlib inline

# %%
X, y = load_dataset(P["dataset"], split="train")
if P["n_train"] is not None:
    keep = torch.randperm(len(y), generator=torch.Generator().manual_seed(SEED))[:P["n_train"]]
    X, y = X[keep], y[keep]
Xte, yte = load_dataset(P["dataset"], split="test")
INPUT_SHAPE = tuple(X.shape[1:])
print(f"{P['dataset']}: train {tuple(X.shape)}, test {tuple(Xte.shape)}")

# %% [markdown]
# ## Train once, prune along the density schedule
#
# `prune_and_retrain(method="magnitude")` keeps the largest |w| per layer and never revives a
# pruned weight, so stepping down the schedule is iterative magnitude pruning. The random twin
# of each level is `random_twin` of the dense weights.

# %%
def density_map(model, d):
    """Per-layer density d, the output layer at min(1, 3d)."""
    names = [f"{m}.{p}" for m, _, p in prunable_parameters(model)]
    return {n: (min(1.0, 3 * d) if n == names[-1] else d) for n in names}


snapshots, acc_rows = {}, []
for name in ("lenet300", "lenet5"):
    torch.manual_seed(SEED)
    model = get_model(name, input_shape=INPUT_SHAPE, rng=SEED)
    t0 = time.perf_counter()
    train(model, X, y, epochs=P["epochs"][name], lr=0.05, batch_size=P["batch_size"],
          schedule="cosine", rng=SEED, device="cpu")
    dense = copy.deepcopy(model.state_dict())
    acc_dense = evaluate(model, Xte, yte, device="cpu")
    for i, d in enumerate(P["densities"]):
        prune_and_retrain(model, X, y, method="magnitude", density=density_map(model, d), rng=SEED + i,
                          retrain_epochs=P["finetune"], lr=0.01, batch_size=P["batch_size"], device="cpu")
        twin = random_twin(model, dense, X, y, epochs=P["finetune"] * (i + 1), rng=SEED + 100 + i,
                           eval_data=(Xte, yte), device="cpu", lr=0.01, batch_size=P["batch_size"])
        snapshots[(name, d)] = prunegraph.load(model)  # the graph of this level (masks + weights)
        acc_rows.append({"model": name, "density": d, "acc dense": acc_dense,
                         "acc magnitude-pruned": evaluate(model, Xte, yte, device="cpu"),
                         "acc random twin": twin.accuracy,
                         **{f"d[{k.removesuffix('.weight')}]": v for k, v in layer_densities(model).items()}})
    print(f"{name}: dense accuracy {acc_dense:.4f}, {time.perf_counter() - t0:.0f} s")
accuracy = pd.DataFrame(acc_rows)
display(accuracy)

# %% [markdown]
# ## Fit every layer against its random-pruning null
#
# For every model and density: in- and out-degree of every layer, observed and null, with
# `bootstrap` synthetic sets for the goodness-of-fit p-value. Layers with too few alive units or
# constant degree are reported as such, not fitted.

# %%
# silence overflow RuntimeWarnings raised inside the alternatives' likelihoods (they print file paths)
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"prunegraph\.fit\..*")
analyses = {}
t0 = time.perf_counter()
for (name, d), net in snapshots.items():
    analyses[(name, d)] = analyze(net, degree_kinds=("in", "out"), bootstrap=P["bootstrap"],
                                  alternatives=P["alternatives"], rng=SEED)
print(f"{len(analyses)} analyses in {time.perf_counter() - t0:.0f} s")
for key, a in analyses.items():
    print(key, "->", a.summary().split(": ", 1)[1])

# %% [markdown]
# ## The verdict table at the main density
#
# One row per layer and degree kind: fitted α ± σ, xmin, tail size, KS distance, bootstrap GoF p,
# the best alternative by likelihood ratio, the χ² p of the binomial (random-pruning) law on all
# units, the verdict, the null's verdict, the one-sided permutation p of "heavier tail than the
# null" (`analysis.compare_tails`: the largest standardised excess of the observed survival function
# over the null's at the thresholds above the pooled `TAIL_QUANTILE` quantile, `tail_threshold`,
# lowered in small samples so that `MIN_TAIL_VALUES` values can lie above it) and its
# Benjamini–Hochberg q over the model's sequences, which decides "heavier" (q < `HEAVIER_LEVEL`).

# %%
COLS = ["layer", "kind", "nodes", "edges", "density", "dead", "alpha", "sigma", "xmin", "n_tail",
        "ks_d", "gof_p", "best_alt", "binom_p", "verdict", "null_alpha", "null_verdict", "heavier_p",
        "heavier_q", "var_ratio"]
tables = []
for name in ("lenet300", "lenet5"):
    df = pd.DataFrame(analyses[(name, P["main_density"])].rows())[COLS]
    df.insert(0, "model", name)
    tables.append(df)
verdicts = pd.concat(tables, ignore_index=True)
display(verdicts)

# %%
for name in ("lenet300", "lenet5"):
    res = [r for r in analyses[(name, P["main_density"])].results if r.observed.fit is not None]
    ncol = 4
    nrow = -(-len(res) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.4 * nrow), squeeze=False)
    for ax, r in zip(axes.flat, res):
        plot_ccdf(r.degrees, fit=r.observed.fit.to_dict(),
                  alternative=[c.to_dict() for c in r.observed.comparisons],
                  null_degrees=r.null_degrees, ax=ax,
                  title=f"{r.layer} {r.degree_kind}: {verdict_text(r.observed.verdict, short=True)}"[:60])
    for ax in list(axes.flat)[len(res):]:
        ax.set_visible(False)
    fig.suptitle(f"{name} at density {P['main_density']} ({P['dataset']}): degree CCDFs, "
                 "fitted power law, best alternative, random-pruning null (grey)")
    fig.tight_layout()
    plt.show()

# %%
fig, axes = plt.subplots(1, 2, figsize=(15, 4.8))
for ax, name in zip(axes, ("lenet300", "lenet5")):
    rows = [r for r in analyses[(name, P["main_density"])].rows() if r["alpha"] is not None]
    plot_alpha_summary(rows, ax=ax, title=f"{name}, density {P['main_density']}")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## How the verdict moves with sparsity
#
# The same analysis at every density of the schedule: one verdict per layer, kind and density, and
# the fitted exponent and heavier-than-null q-value (Benjamini–Hochberg) as functions of density.

# %%
sweep = pd.DataFrame([
    {"model": name, "density": d, **{k: r[k] for k in ("layer", "kind", "alpha", "sigma", "xmin", "n_tail",
                                                        "gof_p", "best_alt", "span", "verdict", "verdict_code",
                                                        "null_verdict_code", "heavier_p", "heavier_q",
                                                        "var_ratio")}}
    for (name, d), a in analyses.items() for r in a.rows()])
sweep["verdict class"] = sweep["verdict_code"].map(lambda c: verdict_text(Verdict(c), short=True))
sweep["null class"] = sweep["null_verdict_code"].map(
    lambda c: None if c is None else verdict_text(Verdict(c), short=True))
sweep.pivot_table(index=["model", "layer", "kind"], columns="density", values="verdict class",
                  aggfunc="first").sort_index(axis=1, ascending=False)

# %%
sweep.pivot_table(index=["model", "layer", "kind"], columns="density", values="heavier_q",
                  aggfunc="first").sort_index(axis=1, ascending=False)

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.2))
for ax, name in zip(axes, ("lenet300", "lenet5")):
    sub = sweep[(sweep.model == name) & sweep.alpha.notna()]
    for (layer, kind), g in sub.groupby(["layer", "kind"]):
        g = g.sort_values("density")
        ax.errorbar(g.density, g.alpha, yerr=g.sigma, marker="o", capsize=3, label=f"{layer} {kind}")
    ax.set_xscale("log")
    ax.set_xlabel("per-layer density d")
    ax.set_ylabel("fitted α (± σ)")
    ax.set_title(f"{name}: fitted exponent vs density")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
fig.tight_layout()
plt.show()

# %%
counts = sweep.groupby(["model", "density", "verdict class"]).size().unstack(fill_value=0)
display(counts)

# %% [markdown]
# ## Summary
#
# Computed from the tables above, so it follows any re-run.

# %%
def fmt_list(values, spec=".3f"):
    return " / ".join(format(v, spec) for v in values)


dens = list(P["densities"])
main = sweep[sweep.density == P["main_density"]]
heavier = sweep.heavier_q.notna() & (sweep.heavier_q.astype(float) < HEAVIER_LEVEL)
RANDOM_LIKE = verdict_text(Verdict.RANDOM_LIKE, short=True)
lines = [(f"Setting **{SIZE}**: {P['dataset']}, {len(y)} training and {len(yte)} test images, "
          f"{P['bootstrap']} bootstrap sets per GoF p-value, alternatives: {', '.join(P['alternatives'])}."), ""]
for name, g in accuracy.groupby("model", sort=False):
    g = g.set_index("density").loc[dens]
    wins = int((g["acc magnitude-pruned"] > g["acc random twin"]).sum())
    lines.append(f"* **Accuracy, {name}** (dense {g['acc dense'].iloc[0]:.3f}) at density {fmt_list(dens, 'g')}: "
                 f"magnitude-pruned {fmt_list(g['acc magnitude-pruned'])}, random twin "
                 f"{fmt_list(g['acc random twin'])}; magnitude pruning is ahead at {wins} of {len(dens)} levels.")
obs_binom = int((sweep.verdict_code == Verdict.RANDOM_LIKE.value).sum())
null_main = main["null_verdict_code"].dropna()
null_binom = int((null_main == Verdict.RANDOM_LIKE.value).sum())
lines.append(f"* **Against the random-pruning null.** Observed sequences read as \"{RANDOM_LIKE}\": "
             f"{obs_binom} of {len(sweep)} (all densities). Null sequences at density {P['main_density']} "
             f"read so: {null_binom} of {len(null_main)}.")
for name in ("lenet300", "lenet5"):
    per_d = [int((heavier & (sweep.model == name) & (sweep.density == d)).sum()) for d in dens]
    n_seq = int(((sweep.model == name) & (sweep.density == dens[0])).sum())
    lines.append(f"  {name}: sequences with a heavier tail than their null (Benjamini–Hochberg "
                 f"q < {HEAVIER_LEVEL}) at density "
                 f"{fmt_list(dens, 'g')}: {' / '.join(map(str, per_d))} of {n_seq}.")
plaus = sweep.verdict_code == Verdict.PLAUSIBLE.value
narrow = sweep.verdict_code == Verdict.PLAUSIBLE_NARROW.value
fitted = main[main.alpha.notna()]
top = fitted.loc[fitted.n_tail.idxmax()]
lines.append(f"* **Power laws?** Unqualified \"power law plausible\": {int(plaus.sum())} of {len(sweep)} "
             f"sequences; plausible over a narrow range only: {int(narrow.sum())}. At density "
             f"{P['main_density']} the longest tail ({top.model} {top.layer} {top.kind}-degree) has "
             f"{int(top.n_tail)} units above xmin = {top.xmin:g}, α = {top.alpha:.2f} ± {top.sigma:.2f}, "
             f"GoF p = {top.gof_p:.2g}, verdict: {top.verdict}. Fitted α at that density: "
             f"{format_range(fitted.alpha, '.1f')}, tails of {format_range(fitted.n_tail, '.0f')} units.")
unfit = sweep[sweep.alpha.isna()]
for name in ("lenet300", "lenet5"):
    u = unfit[(unfit.model == name) & (unfit.density == P["main_density"])]
    n_seq = int(((sweep.model == name) & (sweep.density == P["main_density"])).sum())
    why = ", ".join(sorted(set(u["verdict class"]))) or "none"
    lines.append(f"* **{name}: not fitted** at density {P['main_density']}: {len(u)} of {n_seq} "
                 f"sequences ({why}).")
n_heavier, n_plaus = int(heavier.sum()), int(plaus.sum())
broader = n_heavier > obs_binom
lines += ["", (f"**Against the hypothesis.** Over all densities {n_heavier} of {len(sweep)} sequences have a "
               f"heavier tail than random pruning and {obs_binom} read \"{RANDOM_LIKE}\", while {n_plaus} are "
               "unqualified power laws: "
               + ("magnitude pruning leaves degree distributions broader than random pruning's binomial, "
                  if broader else "the degrees are mostly indistinguishable from random pruning, ")
               + ("but not scale-free ones." if n_plaus == 0 else "and some tails are plausible power laws."))]
display(Markdown("\n".join(lines)))
