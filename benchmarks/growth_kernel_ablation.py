"""Ablation of the pa growth kernel on the current continual driver (issue 15, item 2 preview).

Permuted Fashion-MNIST, LeNet-300-100, 5 tasks, density 0.01, 1 epoch, paired seeds. Variants:
``own``   the rule: (A, γ) of each layer's own maximum-likelihood degree law;
``k+1``   f(k) = k + 1 (γ = 1; the old kernel whenever its shift hit the floor);
``g0``, ``g0.5``, ``g1.5``, ``g2``  f(k) = (k + 1)^γ;
``uniform``  the driver's uniform growth;
``family``   the rule with ``gamma_from="family"``: γ from the preferred degree-law family.
All pa variants use the same sampler (mean-field step increments, Gumbel-top-k); ``g0`` differs
from ``uniform`` only in that sampler. Prints ACC per seed, paired differences against ``own``
with a t-based 95 % interval, and writes JSON.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/growth_kernel_ablation.py --seeds 0 1 2 3 4 \
        --grow-factor 1 --json growth_ablation.json
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import replace

import numpy as np
import torch

from prunegraph.continual import ContinualConfig, run_continual

VARIANTS = {"own": None, "k+1": (1.0, 1.0), "g0": (0.0, 1.0), "g0.5": (0.5, 1.0),
            "g1.5": (1.5, 1.0), "g2": (2.0, 1.0), "uniform": "uniform",   # k+1: γ = 1
            "family": "family"}


def run_variant(name: str, cfg: ContinualConfig) -> dict:
    """One run of a variant, set through the config (``pa_target``, ``pa_gamma``, ``pa_offset``)."""
    spec = VARIANTS[name]
    if isinstance(spec, tuple):
        c = replace(cfg, growth="pa", pa_target="fixed", pa_gamma=spec[0], pa_offset=spec[1])
    elif spec == "family":
        c = replace(cfg, growth="pa", pa_target="family")
    elif spec == "uniform":
        c = replace(cfg, growth="uniform")
    else:
        c = replace(cfg, growth="pa", pa_target="own")
    return run_continual(c, device="cpu").to_dict()


def _acc(res: dict) -> float:
    for key in ("ACC", "acc"):
        if key in res.get("metrics", {}):
            return float(res["metrics"][key])
        if key in res:
            return float(res[key])
    R = np.array(res["R"], dtype=float)
    return float(np.nanmean(R[-1, :]))


def _betas(rec: dict) -> dict:
    """Per hidden layer: likelihood β (in side) and its null p of the grown and kept edges."""
    att = rec.get("attachment") or {}
    out = {}
    for which in ("grown", "kept"):
        per = (att.get(which) or {}).get("per_layer") or {}
        out[which] = {k: (v["in"]["beta"], v["in"]["p_value"]) for k, v in per.items()}
    return out


def _ci(d: np.ndarray) -> tuple[float, float, float]:
    from scipy.stats import t

    m = float(d.mean())
    h = float(t.ppf(0.975, d.size - 1) * d.std(ddof=1) / math.sqrt(d.size)) if d.size > 1 else math.nan
    return m, m - h, m + h


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS))
    ap.add_argument("--grow-factor", type=float, default=1.0)
    ap.add_argument("--tasks", type=int, default=5)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    base = ContinualConfig(benchmark="permuted-fmnist", model="lenet300", n_tasks=args.tasks,
                           epochs=1, density=0.01, grow_factor=args.grow_factor,
                           attachment_bootstrap=0)
    acc: dict[str, list[float]] = {v: [] for v in args.variants}
    kernels: dict[str, list] = {v: [] for v in args.variants}
    betas: dict[str, list] = {v: [] for v in args.variants}
    for seed in args.seeds:
        for v in args.variants:
            t0 = time.perf_counter()
            res = run_variant(v, replace(base, seed=seed))
            acc[v].append(_acc(res))
            kernels[v].append([{d["layer"]: [(k["side"], k["gamma"], k["offset"])
                                             for k in d["kernels"]] for d in rec["growth"]}
                               for rec in res["tasks"]])
            betas[v].append([_betas(rec) for rec in res["tasks"]])
            print(f"seed {seed} {v:>8}: ACC {acc[v][-1]:.4f} ({time.perf_counter() - t0:.0f} s)",
                  flush=True)
    ref = np.array(acc["own"]) if "own" in acc else None
    print(f"\nACC over seeds {args.seeds} (grow_factor {args.grow_factor}); paired diff vs own, 95 % t-interval")
    for v in args.variants:
        a = np.array(acc[v])
        line = f"{v:>8}: {a.mean():.4f} ± {a.std(ddof=1) if a.size > 1 else 0:.4f}"
        if ref is not None and v != "own":
            m, lo, hi = _ci(a - ref)
            line += f"   diff {m:+.4f} [{lo:+.4f}, {hi:+.4f}]  wins {int((a > ref).sum())}/{a.size}"
        print(line)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"seeds": args.seeds, "grow_factor": args.grow_factor, "acc": acc,
                       "kernels": kernels, "beta_mle": betas}, fh, indent=1)


if __name__ == "__main__":
    main()
