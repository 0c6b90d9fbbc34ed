# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05 · Pruned networks and a nervous system, through identical statistics
#
# prunegraph asks whether pruned deep networks resemble biological neural networks. This
# notebook puts the other side of that comparison through the same pipeline: the connectome of
# *C. elegans* (read from the OpenWorm `cect` package's JSON cache, `pip install --no-deps cect`),
# as a directed graph of neurons weighted by synapse counts
# (`prunegraph.connectome.connectome`), next to the pruned reference networks shipped in
# `data/`.
#
# 1. **Degrees.** The same `prunegraph.analysis.analyze` call for every network: CSN power-law
#    fit, likelihood-ratio alternatives, verdict, and the random null at identical density (for
#    the worm: directed G(n, m) without self-loops; for a pruned net: each layer pruned at
#    random). CCDFs on one axis in units of the mean degree, k/⟨k⟩.
# 2. **Structure beyond degrees** (worm): reciprocity, transitivity and assortativity against
#    degree-preserving rewiring.
# 3. **Growth.** Witvliet et al. (2021) reconstructed the same nerve ring in eight animals from
#    birth to adulthood. The connections that appear between stages are scored by the degrees
#    their neurons had before (Π(k), κ(k), β in in-, out- and internal form, bootstrap CI) and
#    read against an exact random control (as many new edges placed uniformly on the positions
#    that were free). The same measurement is made on the connections a continual-learning
#    network adds for each new task — free training and each growth strategy.
#
# Every number below is a prunegraph call; the summary at the end is computed from the outputs.

# %% tags=["parameters"]
import os

# "small": a quick run (CI); "full": the committed outputs.
SIZE = os.environ.get("PRUNEGRAPH_NOTEBOOK_SIZE", "full").strip().lower()
SEED = 0

# %%
if SIZE not in ("small", "full"):
    raise ValueError(f"SIZE={SIZE!r}: set it to 'small' or 'full'")
P = {
    "small": dict(worms=["cook2019-herm", "witvliet2021-8"], n_pruned=2, bootstrap=0,
                  rewire_draws=20, att_bootstrap=20, draws_worm=50, draws_net=20,
                  stages=["witvliet2021-1", "witvliet2021-4", "witvliet2021-8"],
                  growths=["packnet", "pa"], n_tasks=5, epochs=1),
    "full": dict(worms=["cook2019-herm", "cook2019-male", "varshney2011", "white1986", "witvliet2021-8"],
                 n_pruned=None, bootstrap=100, rewire_draws=200, att_bootstrap=200, draws_worm=1000,
                 draws_net=200, stages=None, growths=["packnet", "pa", "uniform", "gradient"],
                 n_tasks=5, epochs=3),
}[SIZE]
print(f"setting: {SIZE}")
P

# %%
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import Markdown, display

import prunegraph
from prunegraph import connectome as C
from prunegraph.analysis import HEAVIER_LEVEL, analyze
from prunegraph.checkpoint import manifest_path, reference_checkpoints
from prunegraph.continual import ContinualConfig, load_checkpoint_manifest, run_continual
from prunegraph.continual.ownership import edge_masks_from_owners
from prunegraph.fit.verdict import POWER_LAW_VERDICTS, Verdict, verdict_text

# %matplotlib inline
torch.manual_seed(SEED)
torch.set_num_threads(2)
pd.set_option("display.precision", 3)
pd.set_option("display.width", 200)
pd.set_option("display.max_columns", 30)
pd.set_option("display.max_rows", 200)

# %% [markdown]
# ## The networks
#
# The shipped C. elegans data sets (`prunegraph connectome list`), chemical synapses between
# neurons, and the pruned reference checkpoints shipped with the package
# (`prunegraph.checkpoint.reference_checkpoints()`: LeNet-300-100 and LeNet-5, magnitude (IMP)
# and random pruning, on digits and Fashion-MNIST).

# %%
pd.DataFrame([{"name": i.name, "reference": i.reference, "what": i.description}
              for i in C.available()])

# %%
networks, group = {}, {}
for name in P["worms"]:
    networks[name] = C.connectome(name)
    group[name] = "C. elegans"
# the shipped references and their manifests (<stem>.json: how each was made)
for path in reference_checkpoints()[: P["n_pruned"]]:
    networks[path.stem] = prunegraph.load(path)
    method = pd.read_json(manifest_path(path), typ="series")["method"]
    group[path.stem] = "random-pruned" if "random" in method else "magnitude-pruned"
pd.DataFrame([{"network": n, "group": group[n], "nodes": net.n_units, "edges": net.n_edges,
               "layers": len(net.layers)} for n, net in networks.items()])

# %% [markdown]
# ## 1 · Degree distributions, fitted and read against their nulls
#
# Whole-network degrees (`scope="network"`): in, out and total (in + out) per unit. A pruned
# net's input pixels have no in-edges and its logits no out-edges; such zero-degree units are
# counted as dead and never fitted. Verdict rules: `prunegraph.analysis`.

# %%
t0 = time.perf_counter()
analyses = {name: analyze(net, degree_kinds=["in", "out", "total"], scope="network",
                          bootstrap=P["bootstrap"], rng=SEED)
            for name, net in networks.items()}
print(f"analysed {len(analyses)} networks in {time.perf_counter() - t0:.0f} s")
table = pd.DataFrame(C.side_by_side(list(analyses.values())))
table["network"] = list(np.repeat(list(analyses), [len(r.results) for r in analyses.values()]))
table.insert(1, "group", table.network.map(group))
table.drop(columns=["layer", "verdict_code", "verdict_class"])

# %%
fig, axes = plt.subplots(1, 3, figsize=(16, 4.6), sharey=True)
for ax, kind in zip(axes, ("in", "out", "total")):
    for name, res in analyses.items():
        r = next(x for x in res.results if x.degree_kind == kind)
        x, y = C.normalized_ccdf(r.degrees)
        style = {"C. elegans": dict(lw=2.0, ls="-"), "magnitude-pruned": dict(lw=1.2, ls="--"),
                 "random-pruned": dict(lw=1.0, ls=":")}[group[name]]
        ax.loglog(x, y, label=name, **style)
    null = next(x for x in analyses[P["worms"][0]].results if x.degree_kind == kind)
    xn, yn = C.normalized_ccdf(null.null_degrees)
    ax.loglog(xn, yn, color="0.5", lw=3, alpha=0.5, label=f"{P['worms'][0]}: G(n, m) null")
    ax.set_xlabel("k / ⟨k⟩")
    ax.set_title(f"{kind}-degree CCDF")
    ax.grid(True, which="both", alpha=0.3)
axes[0].set_ylabel("P(K ≥ k)")
axes[2].legend(fontsize=7, loc="lower left")
fig.tight_layout()
plt.show()

# %% [markdown]
# Heavier tail than the null, observed vs the null at identical density: the one-sided permutation
# p (`heavier_p`, `analysis.compare_tails`) of the largest standardised excess of the observed
# survival function over the null's at the thresholds above the pooled `TAIL_QUANTILE` quantile
# (`tail_threshold`, lowered in small samples so that `MIN_TAIL_VALUES` values can lie above it),
# its Benjamini–Hochberg adjustment over each network's sequences (`heavier_q`, the one the
# heavier-than-null decision uses at `HEAVIER_LEVEL`), and the variance ratio.

# %%
heavy = table.pivot_table(index=["group", "network"], columns="kind",
                          values=["alpha", "heavier_p", "heavier_q", "var_ratio"])
heavy

# %% [markdown]
# ## 2 · Structure beyond degrees (worm)
#
# Degree-preserving rewiring keeps every neuron's in- and out-degree and randomises who connects
# to whom (directed double-edge swaps, no self-loops created). A feed-forward pruned net has no
# reciprocal edges and no closed two-paths by construction, so this comparison has no
# counterpart there.

# %%
structure = pd.DataFrame([{"network": name, **t.to_dict()}
                          for name in P["worms"]
                          for t in C.structure_vs_rewired(networks[name], draws=P["rewire_draws"],
                                                          rng=SEED)])
structure

# %% [markdown]
# ## 3 · How new connections attach
#
# ### The worm grows up
#
# Witvliet et al. (2021): eight animals from birth (L1) to adult. For each consecutive pair of
# stages and for first → last: the neurons present at both, the connections new in the later one,
# their attachment exponents with 95 % bootstrap CIs, the random control's mean and 95 % range,
# and the one-sided p-value of "no more preferential than random".

# %%
t0 = time.perf_counter()
steps = C.witvliet_development(bootstrap=P["att_bootstrap"], draws=P["draws_worm"], rng=SEED,
                               **({} if P["stages"] is None else {"stages": P["stages"]}))
dev = pd.DataFrame([r for s in steps for r in s.rows()])
print(f"{len(steps)} stage pairs in {time.perf_counter() - t0:.0f} s")
dev.set_index(["before", "after", "side"])

# %%
first_last = steps[-1]
fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
for ax, (side, kern) in zip(axes, (("in", first_last.report.in_kernel),
                                   ("out", first_last.report.out_kernel),
                                   ("internal", first_last.report.internal))):
    k, kappa = np.asarray(kern.k), np.asarray(kern.kappa)
    ok = (k > 0) & (kappa > 0)
    ax.loglog(k[ok], kappa[ok], "o", ms=4, label=f"observed β = {kern.beta:.2f}")
    c = first_last.control[side]
    kk = np.array([k[ok].min(), k[ok].max()])
    ax.loglog(kk, kappa[ok][0] * (kk / kk[0]) ** (1 + c.mean), "k--", lw=1,
              label=f"random control β = {c.mean:.2f}")
    ax.set_title(f"{first_last.before} → {first_last.after}: κ ({side})")
    ax.set_xlabel("k₁·k₂ before" if side == "internal" else f"{side}-degree k before")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
axes[0].set_ylabel("κ(k)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ### A network learning new tasks
#
# Task-incremental split digits on LeNet-300-100 (`prunegraph.continual`): each task trains only
# free weights, is pruned to its budget and frozen. For every task t ≥ 1 and hidden layer, the
# edges task t kept are scored by the degrees their units had in the network of tasks 0…t−1 —
# the measurement made on the worm, with the same exact random control (`C.snapshot_attachment`,
# bipartite layer). `packnet` = free training (every free weight is a candidate); `pa`,
# `uniform`, `gradient` = growth strategies that offer candidate edges before each task. Only the
# kept edges are measured here, so the from-scratch reference runs are switched off
# (`scratch_reference=False`), halving the training time.

# %%
workdir = tempfile.TemporaryDirectory()
runs, layer_steps = {}, []
t0 = time.perf_counter()
for growth in P["growths"]:
    cfg = ContinualConfig(benchmark="split-digits", model="lenet300", n_tasks=P["n_tasks"],
                          epochs=P["epochs"], growth=growth, attachment_bootstrap=0, seed=SEED,
                          scratch_reference=False)
    ckpt = Path(workdir.name) / f"{growth}.safetensors"
    runs[growth] = run_continual(cfg, device="cpu", checkpoint=ckpt).to_dict()
    manifest, tensors = load_checkpoint_manifest(ckpt)
    hidden = [layer["param"] for layer in manifest["prunable"] if not layer["is_head"]]
    for t in range(1, P["n_tasks"]):
        before = edge_masks_from_owners(tensors, hidden, upto=t - 1)
        after = edge_masks_from_owners(tensors, hidden, upto=t)
        for layer in hidden:
            step = C.snapshot_attachment(before[layer], after[layer], before_label=f"task {t - 1}",
                                         after_label=f"task {t}", bootstrap=P["att_bootstrap"],
                                         draws=P["draws_net"], rng=SEED + t)
            layer_steps += [{"growth": growth, "layer": layer, **r} for r in step.rows()]
    m = runs[growth]["metrics"]
    print(f"{growth:8s} ACC {m['ACC']:.3f}  BWT {m['BWT']:.3f}  edges {runs[growth]['edges_total']}")
print(f"continual runs in {time.perf_counter() - t0:.0f} s")
cont = pd.DataFrame(layer_steps)
cont.set_index(["growth", "layer", "after", "side"])[["new_edges", "beta", "ci_low", "ci_high",
                                                      "random_beta", "p_vs_random"]]

# %% [markdown]
# ### Side by side
#
# Median β over steps (worm: consecutive stage pairs; continual: tasks × hidden layers), the
# share of steps whose β exceeds its random control at p < 0.05, and the worm's first → last.

# %%
consecutive = dev[~((dev.before == first_last.before) & (dev.after == first_last.after))] \
    if len(steps) > 1 else dev


def summarize(frame, label):
    rows = []
    for side, g in frame.groupby("side", sort=False):
        b = g["beta"].astype(float)
        rows.append({"network": label, "side": side, "steps": len(g), "median beta": b.median(),
                     "median random beta": g["random_beta"].median(),
                     "share p<0.05": float((g["p_vs_random"] < 0.05).mean())})
    return rows


side = pd.DataFrame(summarize(consecutive, "C. elegans, consecutive stages")
                    + summarize(dev[(dev.before == first_last.before) & (dev.after == first_last.after)],
                                "C. elegans, first → last")
                    + [r for g in P["growths"] for r in summarize(cont[cont.growth == g], f"continual: {g}")])
side.pivot_table(index="network", columns="side", values=["median beta", "share p<0.05"], sort=False)

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), sharey=True)
for ax, s in zip(axes, ("in", "out", "internal")):
    g = side[side.side == s]
    ax.barh(g.network, g["median beta"], color=["C2" if n.startswith("C. elegans") else "C0"
                                                 for n in g.network])
    ax.scatter(g["median random beta"], g.network, color="k", marker="|", s=200, zorder=3,
               label="random control")
    ax.axvline(0, color="k", lw=0.8)
    ax.set_title(f"median β ({s})")
    ax.grid(True, axis="x", alpha=0.3)
axes[0].legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Summary (computed from the outputs above)

# %%
def verdict_counts(frame):
    return ", ".join(f"{n} × {verdict_text(v, short=True)}"
                     for v, n in frame["verdict_code"].map(Verdict).value_counts().items())


def span(frame, col, fmt="{:.2f}"):
    v = frame[col].astype(float)
    return fmt.format(v.min()) + "–" + fmt.format(v.max()) if len(v) else "n/a"


by = {g: table[table.group == g] for g in ("C. elegans", "magnitude-pruned", "random-pruned")}
tot = {g: f[f.kind == "total"] for g, f in by.items()}
is_heavier = {g: f.heavier_q.astype(float) < HEAVIER_LEVEL for g, f in by.items()}
heavier = {g: f"{int(h.sum())} of {len(h)}" for g, h in is_heavier.items()}
fl = {r["side"]: r for r in first_last.rows()}
cons = {r["side"]: r for r in summarize(consecutive, "")}
cont_in = {g: next(r for r in summarize(cont[cont.growth == g], g) if r["side"] == "in")
           for g in P["growths"]}
struct = structure.groupby("statistic")["z"].median()
lines = [
    f"* **Degrees (total, whole network).** C. elegans ({len(tot['C. elegans'])} connectomes): fitted α "
    f"{span(tot['C. elegans'], 'alpha')}, largest degree {span(tot['C. elegans'], 'max_over_mean', '{:.1f}')} × the "
    f"mean. Magnitude-pruned nets ({len(tot['magnitude-pruned'])}): α {span(tot['magnitude-pruned'], 'alpha')}, "
    f"largest {span(tot['magnitude-pruned'], 'max_over_mean', '{:.1f}')} × the mean. Random-pruned twins "
    f"({len(tot['random-pruned'])}): α {span(tot['random-pruned'], 'alpha')}, largest "
    f"{span(tot['random-pruned'], 'max_over_mean', '{:.1f}')} × the mean.",
    f"* **Verdicts (in, out, total).** C. elegans: {verdict_counts(by['C. elegans'])}. Magnitude-pruned: "
    f"{verdict_counts(by['magnitude-pruned'])}. Random-pruned: {verdict_counts(by['random-pruned'])}.",
    f"* **Heavier than the random null (Benjamini–Hochberg q < {HEAVIER_LEVEL}).** "
    f"C. elegans {heavier['C. elegans']} degree sequences, "
    f"magnitude-pruned {heavier['magnitude-pruned']}, random-pruned {heavier['random-pruned']}.",
    f"* **Beyond degrees (worm).** Against degree-preserving rewiring, median z-scores: reciprocity "
    f"{struct.get('reciprocity', float('nan')):.1f}, transitivity {struct.get('transitivity', float('nan')):.1f}, "
    f"assortativity {struct.get('assortativity', float('nan')):.1f}.",
    f"* **Worm development.** From {first_last.before} to {first_last.after} ({first_last.n_common} neurons "
    f"in both, {first_last.n_new} new connections; {first_last.control['in'].draws} random draws, so the "
    f"smallest possible p is {1 / (first_last.control['in'].draws + 1):.3g}): β_in = {fl['in']['beta']:.2f} "
    f"(random {fl['in']['random_beta']:.2f}, p = {fl['in']['p_vs_random']:.3g}), β_out = {fl['out']['beta']:.2f} "
    f"(random {fl['out']['random_beta']:.2f}, p = {fl['out']['p_vs_random']:.3g}), internal β = "
    f"{fl['internal']['beta']:.2f} (random {fl['internal']['random_beta']:.2f}, p = "
    f"{fl['internal']['p_vs_random']:.3g}). Over the {cons['in']['steps']} consecutive pairs of stages the "
    f"median β_in is {cons['in']['median beta']:.2f} and {cons['in']['share p<0.05']:.0%} of them beat the "
    f"random control.",
    "* **Continual learning, in-degree side.** " + "; ".join(
        f"{g}: median β_in {r['median beta']:.2f} (random {r['median random beta']:.2f}), "
        f"{r['share p<0.05']:.0%} of task × layer steps beat the random control" for g, r in cont_in.items())
    + ". (`pa` offers its candidates by a preferential kernel, so its β partly measures the scheduler; "
      "free training, `packnet`, shows what learning alone picks.)",
]
plausible = table[table.verdict_code.isin([v.value for v in POWER_LAW_VERDICTS])]
wide = sorted({f"{r.network} ({r.kind})" for r in plausible.itertuples() if r.span >= 10})
narrow_span = float(plausible.span.max()) if len(plausible) else float("nan")
heavy_worm = is_heavier["C. elegans"].mean() >= 0.5
heavy_imp = is_heavier["magnitude-pruned"].mean() >= 0.5
heavy_rnd = is_heavier["random-pruned"].mean() >= 0.5
worm_pa = fl["in"]["p_vs_random"] is not None and fl["in"]["p_vs_random"] < 0.05
free = cont_in.get("packnet")
free_pa = free is not None and free["share p<0.05"] >= 0.5 and free["median beta"] > free["median random beta"]
growing = {g: r for g, r in cont_in.items() if g != "packnet" and r["share p<0.05"] >= 0.5
           and r["median beta"] > r["median random beta"]}
growing_text = ", ".join(f"`{g}` ({r['share p<0.05']:.0%} of steps)" for g, r in growing.items())
lines.append(
    "* **In plain words.** "
    + ("Most of the worm's degree sequences are heavier-tailed than a random graph of the same density"
       if heavy_worm else "Most of the worm's degree sequences are not heavier-tailed than random")
    + (", and so are most of the magnitude-pruned networks'" if heavy_imp else
       ", while most of the magnitude-pruned networks' are not")
    + ("; the random-pruned twins are too, which would mean the test is not discriminating. "
       if heavy_rnd else "; the random-pruned twins are not, as they should not be. ")
    + (f"No degree sequence on either side has a plausible power law over a decade or more (the widest "
       f"plausible tail spans ×{narrow_span:.1f}), so 'heavy-tailed' is the claim the data support, "
       f"not 'scale-free'. " if not wide else
       f"A plausible power law over a decade or more is found for: {', '.join(wide)}. ")
    + ("As the worm grows, its new connections attach preferentially to well-connected neurons, far "
       "beyond what uniform placement gives. " if worm_pa else
       "As the worm grows, its new connections are not clearly more preferential than uniform placement. ")
    + ("In continual learning, free training also attaches new connections preferentially more often "
       "than not: there pruned networks resemble the developing nervous system"
       if free_pa else
       "In continual learning, free training (`packnet`) does not attach new connections "
       "preferentially in most steps: learning alone does not reproduce the developing nervous system")
    + (f"; the growth strategies whose new connections beat the random control in most steps are "
       f"{growing_text}, i.e. the "
       f"resemblance comes from how candidates are offered, not from training's choice among them."
       if growing and not free_pa else ".")
)
display(Markdown("\n".join(lines)))
