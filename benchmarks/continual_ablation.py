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
import json
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import numpy as np

from prunegraph.continual import ContinualConfig
from prunegraph.continual.compare import _summarise
from prunegraph.continual.metrics import mean_ci, paired_differences

FIXED = {"(k+1)^0": 0.0, "(k+1)^0.5": 0.5, "(k+1)^1": 1.0, "(k+1)^1.5": 1.5}
STRATS = ("uniform", "gradient", "set", "rigl", "pa-dst", "packnet")
ORDER = ("packnet", "(k+1)^beta", "uniform", "pa own", "(k+1)^0", "(k+1)^1", "(k+1)^1.5",
         "(k+1)^0.5", "gradient", "rigl", "set", "pa-dst")
TABLE_ORDER = ("uniform", "pa own", "(k+1)^0", "(k+1)^0.5", "(k+1)^1", "(k+1)^1.5", "(k+1)^beta",
               "gradient", "set", "rigl", "pa-dst", "packnet")
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
    name, cfg, log = job
    t0 = time.perf_counter()
    d = run_continual(cfg, device="cpu").to_dict()
    row = _summarise(d)
    row.update(seed=cfg.seed, variant=name,
               pa_gamma=cfg.pa_gamma if cfg.growth == "pa" and cfg.pa_target == "fixed" else None,
               seconds=time.perf_counter() - t0)
    later = d["tasks"][1:]
    row["steps_to_target_per_task"] = [r["steps_to_target"] for r in later]
    row["target_reached"] = int(sum(r["steps_to_target"] is not None for r in later))
    if name == "packnet":
        row["beta_task1"] = packnet_beta(d)
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


def markdown_table(d: dict) -> str:
    """The README table from the JSON this script writes."""
    head = ("| variant | γ | ACC | ΔACC vs uniform (wins) | curve area | Δ area (wins) | "
            f"steps to {d['config']['target_accuracy']:g} | Δ steps (fewer) |")
    lines = [head, "|" + "---|" * 8]
    for v in [v for v in TABLE_ORDER if v in d["variants"]]:
        s, p = d["summary"][v], d["paired_vs_uniform"].get(v)
        g = [r["pa_gamma"] for r in d["runs"][v] if r.get("pa_gamma") is not None]
        gam = ("own MLE" if v == "pa own" else "–" if not g else
               f"{np.mean(g):.2f} ({min(g):.2f}–{max(g):.2f})" if v == "(k+1)^beta" else f"{g[0]:g}")
        n_reach = sum(r["steps_to_target"] is not None for r in d["runs"][v])
        tasks = sum(r["target_reached"] for r in d["runs"][v])
        n_task = sum(len(r["steps_to_target_per_task"]) for r in d["runs"][v])
        steps = _ci(s["steps_to_target"], ".0f") + ("" if n_reach == len(d["runs"][v]) else
                                                    f" ({n_reach}/{len(d['runs'][v])} seeds; "
                                                    f"{tasks}/{n_task} tasks reached)")
        if p is None:
            cells = ["reference", "reference", "reference"]
        else:
            st = p["steps_to_target"]
            cells = [f"{_ci(p['ACC'], '+.4f')} ({p['ACC']['wins']}/{p['ACC']['n']})",
                     f"{_ci(p['curve_area'], '+.4f')} ({p['curve_area']['wins']}/{p['curve_area']['n']})",
                     (f"{_ci(st, '+.0f')} ({st['n'] - st['wins'] - st.get('ties', 0)}/"
                      f"{st['n']})") if st.get("n") else "n/a"]
        lines.append(f"| {v} | {gam} | {_ci(s['ACC'], '.4f')} | {cells[0]} | "
                     f"{_ci(s['curve_area'], '.3f')} | {cells[1]} | {steps} | {cells[2]} |")
    return "\n".join(lines)


def summarise(rows: list[dict], base: ContinualConfig) -> dict:
    """Mean and 95 % interval per variant; per-seed paired differences against uniform."""
    count = {v: sum(r["variant"] == v for r in rows) for v in ORDER}
    full = max(count.values(), default=0)
    incomplete = {v: n for v, n in count.items() if 0 < n < full}   # a run stopped early
    names = [v for v in ORDER if count[v] == full and full]
    for r in rows:
        if r["variant"] == "pa own":
            r["pa_gamma"] = None        # the own-law rule fits γ per layer and side
    by = {v: sorted((r for r in rows if r["variant"] == v), key=lambda r: r["seed"]) for v in names}
    summary = {v: {q: mean_ci([r[q] for r in by[v]]) for q in QUANT} for v in names}
    ref = {r["seed"]: r for r in by.get("uniform", [])}
    paired = {}
    for v in names:
        if v == "uniform" or not ref:
            continue
        common = [r for r in by[v] if r["seed"] in ref]
        paired[v] = {q: paired_differences([r[q] for r in common], [ref[r["seed"]][q] for r in common])
                     for q in QUANT}
    return {"config": base.to_dict(), "seeds": sorted({r["seed"] for r in rows}), "variants": names,
            "runs": by, "summary": summary, "paired_vs_uniform": paired,
            "incomplete_variants_seeds": incomplete,
            "note": "grow_factor 1, scratch reference off; steps_to_target and curve_area: means "
                    "over tasks 1..T-1 (None for a seed where a task never reached the target); "
                    "paired = variant minus uniform, same seed"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--table", metavar="JSON", help="print the markdown table of a results JSON")
    ap.add_argument("--benchmark", default="permuted-digits")
    ap.add_argument("--density", type=float, default=0.01)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--variants", nargs="+", default=list(ORDER))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json", default=None)
    ap.add_argument("--target", type=float, default=0.85,
                    help="absolute accuracy target of steps_to_target (harness default 0.9)")
    ap.add_argument("--log", default=None, help="append every run's summary here (JSON lines)")
    ap.add_argument("--from-log", metavar="JSONL", help="summarise the runs of a --log file instead")
    args = ap.parse_args()
    if args.table:
        with open(args.table, encoding="utf-8") as fh:
            print(markdown_table(json.load(fh)))
        return
    base = ContinualConfig(benchmark=args.benchmark, density=args.density, grow_factor=1.0,
                           scratch_reference=False, attachment_bootstrap=0,
                           target_accuracy=args.target)
    if args.from_log:          # summarise the runs a --log holds (e.g. of a run stopped early)
        from prunegraph._io import write_json

        with open(args.from_log, encoding="utf-8") as fh:
            results = summarise([json.loads(line) for line in fh if line.strip()], base)
        if args.json:
            write_json(args.json, results)
        print(markdown_table(results))
        return
    # PackNet first (it sets β), then the variants in the order given (the most wanted first,
    # so a run stopped early loses the least wanted): every run is appended to --log at once.
    rows: list[dict] = []

    def show(row):
        rows.append(row)
        g = "" if row["pa_gamma"] is None else f" (gamma {row['pa_gamma']:.3f})"
        print(f"{row['variant']:>11} seed {row['seed']}{g}: ACC {row['ACC']:.4f} "
              f"({row['seconds']:.0f} s)", flush=True)

    with ProcessPoolExecutor(args.jobs) as pool:
        if "packnet" in args.variants:
            for row in pool.map(_one, [("packnet", replace(variant_config(base, "packnet"), seed=s),
                                        args.log) for s in args.seeds]):
                show(row)
        beta = {r["seed"]: r["beta_task1"] for r in rows}
        jobs = []
        for v in args.variants:
            if v == "packnet":
                continue
            if v == "(k+1)^beta" and not beta:
                raise SystemExit("(k+1)^beta needs the packnet variant (its β sets γ)")
            jobs += [(v, replace(variant_config(base, v, beta.get(s)), seed=s), args.log)
                     for s in args.seeds]
        for row in pool.map(_one, jobs):
            show(row)
    results = summarise(rows, base)
    if args.json:
        from prunegraph._io import write_json

        write_json(args.json, results)
    print(markdown_table(results))

if __name__ == "__main__":
    main()
