"""Growth-kernel ablation on the continual harness (issue 15, deliverable 2): one table.

Same stream, same budget, paired seeds; every variant is one ``ContinualConfig`` (no patching):

* ``pa own``       ``--growth pa --pa-target own`` (the rule: each layer's own MLE degree law);
* ``(k+1)^g``      ``--growth pa --pa-target fixed --pa-gamma g`` for g in 0, 0.5, 1, 1.5;
* ``(k+1)^beta``   as above with g = the attachment exponent β measured on the *PackNet* run of
  the same seed (free training: all free weights trained, then cut): mean over the hidden
  layers and both sides of the likelihood β of task 1's kept edges (the first task grown onto
  an existing network), then used for tasks 1..4;
* ``uniform``, ``gradient``, ``set``, ``rigl``, ``pa-dst``, ``packnet``.

Kernel variants use ``grow_factor = 1`` (the kept edges are exactly the kernel's draws); so do
all others (``grow_factor`` only matters for pa/uniform/gradient). Reports ACC, learning-curve
area and steps to the absolute target (tasks 1..T-1), mean with Student-t 95 % interval and
paired differences against ``uniform``; writes the per-run summaries as JSON.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/continual_ablation.py --seeds 0 1 2 3 4 \
        --jobs 2 --json benchmarks/results/continual_ablation_permuted_digits.json
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import numpy as np

from prunegraph.continual import ContinualConfig
from prunegraph.continual.compare import _summarise
from prunegraph.continual.metrics import mean_ci, paired_differences

FIXED = {"(k+1)^0": 0.0, "(k+1)^0.5": 0.5, "(k+1)^1": 1.0, "(k+1)^1.5": 1.5}
STRATS = ("uniform", "gradient", "set", "rigl", "pa-dst", "packnet")
ORDER = ("uniform", "pa own", *FIXED, "(k+1)^beta", "gradient", "set", "rigl", "pa-dst",
         "packnet")
QUANT = ("ACC", "curve_area", "steps_to_target")


def variant_config(base: ContinualConfig, name: str, gamma: float | None = None) -> ContinualConfig:
    if name == "pa own":
        return replace(base, growth="pa", pa_target="own")
    if name in FIXED:
        return replace(base, growth="pa", pa_target="fixed", pa_gamma=FIXED[name])
    if name == "(k+1)^beta":
        return replace(base, growth="pa", pa_target="fixed", pa_gamma=float(gamma))
    return replace(base, growth=name)


def packnet_beta(d: dict, task: int = 1) -> float:
    """Mean likelihood β (hidden layers, both sides) of the kept edges of ``task``."""
    per = d["tasks"][task]["attachment"]["kept_per_layer"]
    vals = [side["mle"]["beta"] for lay in per.values() for side in lay.values()]
    return float(np.mean(vals))


def _one(job):
    import torch

    from prunegraph.continual import run_continual

    torch.set_num_threads(1)
    name, cfg = job
    t0 = time.perf_counter()
    d = run_continual(cfg, device="cpu").to_dict()
    row = _summarise(d)
    row.update(seed=cfg.seed, variant=name, pa_gamma=cfg.pa_gamma if cfg.growth == "pa" else None,
               seconds=time.perf_counter() - t0)
    if name == "packnet":
        row["beta_task1"] = packnet_beta(d)
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--benchmark", default="permuted-digits")
    ap.add_argument("--density", type=float, default=0.01)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--variants", nargs="+", default=list(ORDER))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    base = ContinualConfig(benchmark=args.benchmark, density=args.density, grow_factor=1.0,
                           scratch_reference=False, attachment_bootstrap=0)
    first = [v for v in args.variants if v != "(k+1)^beta"]
    if "(k+1)^beta" in args.variants and "packnet" in first:   # packnet first: it sets β
        first = ["packnet"] + [v for v in first if v != "packnet"]
    rows: list[dict] = []
    with ProcessPoolExecutor(args.jobs) as pool:
        jobs = [(v, replace(variant_config(base, v), seed=s)) for v in first for s in args.seeds]
        for row in pool.map(_one, jobs):
            rows.append(row)
            print(f"{row['variant']:>11} seed {row['seed']}: ACC {row['ACC']:.4f} "
                  f"({row['seconds']:.0f} s)", flush=True)
        if "(k+1)^beta" in args.variants:
            beta = {r["seed"]: r["beta_task1"] for r in rows if r["variant"] == "packnet"}
            jobs = [("(k+1)^beta", replace(variant_config(base, "(k+1)^beta", beta[s]), seed=s))
                    for s in args.seeds]
            for row in pool.map(_one, jobs):
                rows.append(row)
                print(f"(k+1)^beta seed {row['seed']} (gamma {row['pa_gamma']:.3f}): ACC "
                      f"{row['ACC']:.4f} ({row['seconds']:.0f} s)", flush=True)
    by = {v: sorted((r for r in rows if r["variant"] == v), key=lambda r: r["seed"])
          for v in args.variants}
    summary = {v: {q: mean_ci([r[q] for r in by[v]]) for q in QUANT} for v in args.variants}
    paired = {v: {q: paired_differences([r[q] for r in by[v]], [r[q] for r in by["uniform"]])
                  for q in QUANT} for v in args.variants if v != "uniform" and "uniform" in by}
    for v in args.variants:
        s = summary[v]
        line = f"{v:>11}: " + "  ".join(f"{q} {s[q]['mean']}" for q in QUANT)
        if v in paired:
            line += "   dACC " + str(paired[v]["ACC"])
        print(line)
    if args.json:
        from prunegraph._io import write_json

        write_json(args.json, (
            {"config": base.to_dict(), "seeds": args.seeds, "variants": args.variants,
             "runs": by, "summary": summary, "paired_vs_uniform": paired,
             "note": "grow_factor 1, scratch reference off; steps_to_target and curve_area: "
                     "means over tasks 1..T-1; paired = variant minus uniform per seed"}))


if __name__ == "__main__":
    main()
