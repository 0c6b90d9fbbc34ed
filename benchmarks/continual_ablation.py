"""Growth-kernel ablation on the continual harness (issue 15, deliverable 2): one table.

Same stream, same budget, paired seeds; every variant is one ``ContinualConfig`` made by
:func:`prunegraph.continual.ablation.variant_config` (no patching; the variants are listed
there). Kernel variants use ``grow_factor = 1`` (the kept edges are exactly the kernel's draws);
so do all others (``grow_factor`` only matters for pa/uniform/gradient). Reports ACC,
learning-curve area and steps to the absolute target (tasks 1..T-1), mean with Student-t 95 %
interval and paired differences against ``uniform``; with ``--densities`` a budget sweep and the
smallest budget (edges) reaching ``--budget-target`` ACC
(:func:`prunegraph.continual.ablation.budget_to_target`). Writes every run's summary as JSON.

    OMP_NUM_THREADS=1 nice -n 19 python benchmarks/continual_ablation.py --seeds 0 1 2 3 4 \
        --jobs 2 --log benchmarks/results/continual_ablation_runs.jsonl          # density 0.01
    OMP_NUM_THREADS=1 nice -n 19 python benchmarks/continual_ablation.py --densities 0.005 0.02 \
        0.04 --variants packnet uniform "(k+1)^1" gradient "pa own" "(k+1)^1.5" rigl "(k+1)^beta" \
        --jobs 2 --log benchmarks/results/continual_ablation_sweep_runs.jsonl
    python benchmarks/continual_ablation.py --from-log benchmarks/results/continual_ablation_runs.jsonl \
        benchmarks/results/continual_ablation_sweep_runs.jsonl \
        --json benchmarks/results/continual_ablation_permuted_digits.json
    # permuted FMNIST at density 0.01 on a shorter per-task schedule (1 epoch, curve points on
    # 2000 test images), target 0.75; every run in ..._fmnist_runs.jsonl, the table with
    # --from-log ..._fmnist_runs.jsonl --benchmark permuted-fmnist --epochs 1 --eval-samples 2000
    # --target 0.75 --json benchmarks/results/continual_ablation_permuted_fmnist.json
    OMP_NUM_THREADS=1 nice -n 19 python benchmarks/continual_ablation.py --benchmark permuted-fmnist \
        --epochs 1 --eval-samples 2000 --target 0.75 --seeds 0 1 2 3 4 --jobs 2 \
        --log benchmarks/results/continual_ablation_fmnist_runs.jsonl
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import numpy as np

from prunegraph.continual import ContinualConfig
from prunegraph.continual.ablation import (
    VARIANTS,
    budget_to_target,
    run_variant,
    summarise_ablation,
    variant_config,
)

#: the order the runs start in (PackNet first: its β sets γ of (k+1)^beta; the most wanted next)
ORDER = ("packnet", "(k+1)^beta", "uniform", "pa own", "(k+1)^0", "(k+1)^1", "(k+1)^1.5",
         "(k+1)^0.5", "gradient", "rigl", "set", "pa-dst")


def _one(job):
    import torch

    torch.set_num_threads(1)
    name, cfg, log = job
    row = run_variant(cfg, name, device="cpu")
    if log:
        with open(log, "a", encoding="utf-8") as fh:      # partial results survive a kill
            fh.write(json.dumps(row) + "\n")
    return row


def _ci(ms: dict, spec: str) -> str:
    if ms.get("mean") is None:
        return "n/a"
    lo, hi = ms.get("ci") or (None, None)
    if lo is None or hi is None or lo != lo:
        return f"{ms['mean']:{spec}}"
    return f"{ms['mean']:{spec}} [{lo:{spec}}, {hi:{spec}}]"


def _gamma(v: str, runs: list[dict]) -> str:
    g = [r["pa_gamma"] for r in runs if r.get("pa_gamma") is not None]
    if v == "pa own":
        return "own MLE"
    if not g:
        return "–"
    return f"{np.mean(g):.2f} ({min(g):.2f}–{max(g):.2f})" if v == "(k+1)^beta" else f"{g[0]:g}"


def _budget_cell(b: dict | None) -> str:
    if b is None:
        return "–"
    e, how = b["edges_mean_curve"], b["how_mean_curve"]
    txt = {"above": f"> {b['points'][-1]['edges']:.0f}", "below": f"≤ {b['points'][0]['edges']:.0f}"}.get(
        how, f"{e:.0f}" if e is not None else "–")
    txt += f" ({b['seeds_reaching']}/{len(b['seeds'])} seeds reach)"
    if b.get("fewer_than_reference") is not None:
        txt += f"; fewer than uniform {b['fewer_than_reference']}/{len(b['seeds'])}"
    return txt


def markdown_table(d: dict) -> str:
    """The README tables from the JSON this script writes: the ablation at the main density
    with the smallest-budget column, then mean ACC at every budget of the sweep."""
    dens = d["main_density"]
    main = d["per_density"][str(dens)]
    d = {**d, "budget": {t: b for t, b in d["budget"].items() if b}}   # none without a sweep
    runs = [r for r in d["runs"] if r["density"] == dens]
    head = ("| variant | γ | ACC | ΔACC vs uniform (wins) | curve area | Δ area (wins) | "
            f"steps to {d['config']['target_accuracy']:g} | Δ steps (fewer) |"
            + "".join(f" edges to ACC {t} |" for t in d["budget"]))
    lines = [head, "|" + "---|" * (8 + len(d["budget"]))]
    for v in main["variants"]:
        s, p = main["summary"][v], main["paired"].get(v)
        vr = [r for r in runs if r["variant"] == v]
        n_reach = sum(r["steps_to_target"] is not None for r in vr)
        tasks = sum(r["target_reached"] for r in vr)
        n_task = sum(len(r["steps_to_target_per_task"]) for r in vr)
        steps = _ci(s["steps_to_target"], ".0f") + ("" if n_reach == len(vr) else
                                                    f" ({n_reach}/{len(vr)} seeds; "
                                                    f"{tasks}/{n_task} tasks reached)")
        if p is None:
            cells = ["reference", "reference", "reference"]
        else:
            st = p["steps_to_target"]
            cells = [f"{_ci(p['ACC'], '+.4f')} ({p['ACC']['wins']}/{p['ACC']['n']})",
                     f"{_ci(p['curve_area'], '+.4f')} ({p['curve_area']['wins']}/{p['curve_area']['n']})",
                     (f"{_ci(st, '+.0f')} ({st['n'] - st['wins'] - st.get('ties', 0)}/"
                      f"{st['n']})") if st.get("n") else "n/a"]
        lines.append(f"| {v} | {_gamma(v, vr)} | {_ci(s['ACC'], '.4f')} | {cells[0]} | "
                     f"{_ci(s['curve_area'], '.3f')} | {cells[1]} | {steps} | {cells[2]} |"
                     + "".join(f" {_budget_cell(b.get(v))} |" for b in d["budget"].values()))
    swept = list(next(iter(d["budget"].values()), {}))
    first = next(iter(d["budget"].values()), {})
    if swept:
        grid = sorted({p["density"] for v in swept for p in first[v]["points"]})
        edges = {p["density"]: p["edges"] for v in swept for p in first[v]["points"]}
        lines += ["", "| variant | " + " | ".join(f"ACC at {g:g} ({edges[g]:.0f} edges)" for g in grid) + " |",
                  "|" + "---|" * (len(grid) + 1)]
        for v in swept:
            pts = {p["density"]: p["ACC"] for p in first[v]["points"]}
            lines.append(f"| {v} | " + " | ".join(_ci(pts[g], ".4f") if g in pts else "–" for g in grid) + " |")
    return "\n".join(lines)


def load_runs(paths: list[str], default_density: float) -> list[dict]:
    """Every run of the given --log files (runs logged before the sweep carry no density:
    they ran at ``default_density``); a (variant, seed, density) run twice keeps the last."""
    rows: dict = {}
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    r = json.loads(line)
                    r.setdefault("density", default_density)
                    if r["variant"] == "pa own":
                        r["pa_gamma"] = None      # the own-law rule fits γ per layer and side
                    rows[(r["variant"], r["seed"], r["density"])] = r
    return list(rows.values())


def results(rows: list[dict], base: ContinualConfig, budget_targets: list[float]) -> dict:
    """The JSON this script writes: every run, per-density summaries, the smallest budget."""
    per = summarise_ablation(rows)
    return {"format": "prunegraph-continual-ablation/2", "config": base.to_dict(),
            "main_density": base.density, "budget_targets_ACC": list(budget_targets),
            "seeds": sorted({r["seed"] for r in rows}),
            "runs": sorted(rows, key=lambda r: (r["density"], VARIANTS.index(r["variant"]), r["seed"])),
            "per_density": {str(k): v for k, v in per.items()},
            "budget": {f"{t:g}": budget_to_target(rows, target=t) for t in budget_targets},
            "note": "grow_factor 1, scratch reference off; steps_to_target and curve_area: means "
                    "over tasks 1..T-1 (None for a seed where a task never reached the target); "
                    "paired = variant minus uniform, same seed and density; budget: edges (all "
                    "tasks) at which ACC reaches each of budget_targets_ACC, log-linear interpolation "
                    "between grid budgets (prunegraph.continual.ablation.budget_to_target)"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--table", metavar="JSON", help="print the markdown table of a results JSON")
    ap.add_argument("--benchmark", default="permuted-digits")
    ap.add_argument("--density", type=float, default=0.01)
    ap.add_argument("--densities", type=float, nargs="+", default=None,
                    help="a budget sweep: run every variant at every per-task density")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--variants", nargs="+", default=list(ORDER))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json", default=None)
    ap.add_argument("--target", type=float, default=0.85,
                    help="absolute accuracy target of steps_to_target (harness default 0.9)")
    ap.add_argument("--budget-targets", type=float, nargs="+", default=[0.90, 0.94],
                    help="ACC the smallest-budget columns ask for (over a --densities sweep)")
    ap.add_argument("--epochs", type=int, default=None,
                    help="per-task schedule, the same for every variant (default: the harness's)")
    ap.add_argument("--min-steps", type=int, default=None)
    ap.add_argument("--retrain-min-steps", type=int, default=None)
    ap.add_argument("--eval-samples", type=int, default=None,
                    help="test images per learning-curve point (default: the full test set)")
    ap.add_argument("--log", default=None, help="append every run's summary here (JSON lines)")
    ap.add_argument("--from-log", metavar="JSONL", nargs="+",
                    help="summarise the runs of --log files instead (runs without a density "
                         "ran at --density)")
    args = ap.parse_args()
    if args.table:
        with open(args.table, encoding="utf-8") as fh:
            print(markdown_table(json.load(fh)))
        return
    base = ContinualConfig(benchmark=args.benchmark, density=args.density, grow_factor=1.0,
                           scratch_reference=False, attachment_bootstrap=0,
                           target_accuracy=args.target)
    schedule = {k: v for k, v in (("epochs", args.epochs), ("min_steps", args.min_steps),
                                  ("retrain_min_steps", args.retrain_min_steps),
                                  ("eval_samples", args.eval_samples)) if v is not None}
    base = replace(base, **schedule)
    if args.from_log:          # summarise the runs a --log holds (e.g. of a run stopped early)
        from prunegraph._io import write_json

        out = results(load_runs(args.from_log, args.density), base, args.budget_targets)
        if args.json:
            write_json(args.json, out)
        print(markdown_table(out))
        return
    # PackNet first (it sets β), then the variants in the order given (the most wanted first,
    # so a run stopped early loses the least wanted): every run is appended to --log at once.
    rows: list[dict] = []

    def show(row):
        rows.append(row)
        g = "" if row["pa_gamma"] is None else f" (gamma {row['pa_gamma']:.3f})"
        print(f"{row['variant']:>11} seed {row['seed']}{g}: ACC {row['ACC']:.4f} "
              f"({row['seconds']:.0f} s)", flush=True)

    densities = args.densities or [args.density]
    with ProcessPoolExecutor(args.jobs) as pool:
        if "packnet" in args.variants:
            for row in pool.map(_one, [("packnet", replace(variant_config(base, "packnet"), seed=s,
                                                           density=dens), args.log)
                                       for dens in densities for s in args.seeds]):
                show(row)
        beta = {(r["density"], r["seed"]): r["beta_task1"] for r in rows}   # γ of (k+1)^beta
        if "(k+1)^beta" in args.variants and not beta:
            raise SystemExit("(k+1)^beta needs the packnet variant (its β sets γ)")
        # seed-major: a run stopped early loses whole seeds (every variant of a seed done
        # together keeps the paired differences), not whole variants
        jobs = [(v, replace(variant_config(base, v, beta.get((dens, s))), seed=s, density=dens), args.log)
                for dens in densities for s in args.seeds for v in args.variants if v != "packnet"]
        for row in pool.map(_one, jobs):
            show(row)
    out = results(rows, base, args.budget_targets)
    if args.json:
        from prunegraph._io import write_json

        write_json(args.json, out)
    print(markdown_table(out))


if __name__ == "__main__":
    main()
