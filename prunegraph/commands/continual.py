"""``prunegraph continual``: grow → train → prune → freeze over a task stream; ``compare``, ``sweep``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..continual.compare import ComparisonResult, SweepResult
    from ..continual.driver import ContinualResult

HELP = "continual learning on a sparse network (run, compare strategies, sweep edge budgets)"
DESCRIPTION = """\
Continual learning on a pruned network: for each task grow new free connections (pa, uniform,
gradient, packnet) or train with dynamic sparse training inside the task (set, rigl, pa-dst),
train only the task's own weights, cut to the task's budget by magnitude, freeze.

examples:
  prunegraph continual --benchmark split-fmnist                        (defaults that learn)
  prunegraph continual --benchmark permuted-digits --density 0.01 --growth pa --pa-target fixed --pa-gamma 1
  prunegraph continual --benchmark permuted-fmnist --density 0.01 --growth rigl --json r.json --plot r
  prunegraph continual compare --benchmark permuted-fmnist --density 0.01 --seeds 0 1 2 3 4 --plot cmp
  prunegraph continual compare --benchmark permuted-digits --density 0.01 --baselines finetune joint
  prunegraph continual sweep --benchmark permuted-digits --densities 0.0025 0.005 0.01 0.02 0.05 --acc-target 0.9
  prunegraph continual --checkpoint run.safetensors --resume ...       (continue a killed run)
  torchrun --nproc_per_node 2 -m prunegraph continual ...              (data-parallel; nccl on CUDA)

Results JSON: accuracy matrix R (row 0 before training), ACC, BWT, FWT, forgetting, FWT against
a from-scratch model at the same budget and the independent-networks ACC, steps to an absolute
accuracy target and learning-curve area (full test set, retraining included, task 0 apart),
compute per task (trainable weights x steps), edges and free capacity per layer and task
(definitions included); per task and layer the budget used and what pa used.
A --config JSON file holds any ContinualConfig keys; flags given on the command line win.
"""


def _yes_no(text: str) -> bool:
    v = text.strip().lower()
    if v in ("yes", "true", "1", "on"):
        return True
    if v in ("no", "false", "0", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected yes or no, got {text!r}")


# flag -> ContinualConfig field (None default = "not given", so the config file can fill it)
_FLAGS: dict[str, tuple[str, Callable[[str], Any], str]] = {
    "benchmark": ("benchmark", str, "split-fmnist | permuted-fmnist | split-digits | permuted-digits"),
    "model": ("model", str, "zoo model (default lenet300)"),
    "tasks": ("n_tasks", int, "number of tasks (default 5)"),
    "epochs": ("epochs", int, "training epochs per task (default 3)"),
    "growth": ("growth", str, "pa | uniform | gradient | packnet | set | rigl | pa-dst (default pa)"),
    "scenario": ("scenario", str, "task (per-task heads, default) | domain (permuted, shared head) | "
                                  "class (refused: no replay)"),
    "first": ("first", str, "task 0 starts dense (default) or sparse"),
    "budget": ("budget", str, "fixed (density*out*in per task, default) | share (of free positions) "
                              "| fit (fixed scaled by (alpha*-1)/(alpha_fit-1) per layer)"),
    "min_fanin": ("min_fanin", float, "hidden layers keep >= ceil(min_fanin*out) edges per task (1.0; "
                                      "conv layers have few channel pairs)"),
    "fit_target_alpha": ("fit_target_alpha", float, "fit budget: reference exponent alpha* (3)"),
    "density": ("density", float, "fixed budget: kept edges per task per layer / (out*in) (0.05)"),
    "share": ("share", float, "share budget: kept share of the free positions (0.1)"),
    "head_density": ("head_density", float, "kept share of the task's head rows (0.5)"),
    "grow_factor": ("grow_factor", float, "grown edges = grow_factor * kept budget (2.0)"),
    "lr": ("lr", float, "learning rate (default 0.05 for sgd, 0.01 for adam)"),
    "optimizer": ("optimizer", str, "auto (default: adam for conv models, else sgd) | sgd (Nesterov 0.9) | adam"),
    "batch_size": ("batch_size", int, "mini-batch size (128)"),
    "min_steps": ("min_steps", int, "a task trains max(epochs*batches, min_steps) steps (300)"),
    "retrain_min_steps": ("retrain_min_steps", int, "each retraining phase trains at least this many steps (100)"),
    "prune_iterations": ("prune_iterations", int, "magnitude-pruning rounds (1)"),
    "retrain_epochs": ("retrain_epochs", int, "retraining epochs after each pruning round (1)"),
    "eval_every": ("eval_every", int, "steps between learning-curve points after --eval-dense (10)"),
    "eval_dense": ("eval_dense", int, "every step is a learning-curve point up to this step of a phase (20)"),
    "eval_samples": ("eval_samples", int, "test images per learning-curve point (all)"),
    "target_accuracy": ("target_accuracy", float, "absolute accuracy target of steps_to_target (0.9)"),
    "scratch_reference": ("scratch_reference", _yes_no, "also train each task alone from scratch at the "
                                                       "same budget (FWT_scratch, independent baseline): yes|no (yes)"),
    "n_train": ("n_train", int, "per-task training subsample (all)"),
    "n_test": ("n_test", int, "per-task test subsample (all)"),
    "seed": ("seed", int, "seed (0)"),
    "pa_default_alpha": ("pa_default_alpha", float, "pa fallback exponent when no power law is plausible (3)"),
    "pa_target": ("pa_target", str, "pa kernel: own (layer's own MLE degree law, default) | family "
                                     "(gamma from the preferred family) | fixed ((k + A)^gamma)"),
    "pa_gamma": ("pa_gamma", float, "--pa-target fixed: gamma of (k + A)^gamma (1)"),
    "pa_offset": ("pa_offset", float, "--pa-target fixed: A of (k + A)^gamma (1)"),
    "attachment_bootstrap": ("attachment_bootstrap", int, "bootstrap replicates of beta (100)"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", default="run", choices=("run", "compare", "sweep"),
                        help="run one configuration (default), compare strategies over seeds, or "
                             "sweep edge budgets (accuracy vs edges)")
    parser.add_argument("--config", metavar="FILE", help="JSON file of ContinualConfig keys")
    for flag, (_, typ, helptext) in _FLAGS.items():
        parser.add_argument("--" + flag.replace("_", "-"), dest=flag, type=typ, default=None,
                            help=helptext)
    parser.add_argument("--json", metavar="PATH",
                        help="write the results JSON here (gzipped when PATH ends in .gz)")
    parser.add_argument("--checkpoint", metavar="PATH",
                        help="safetensors checkpoint written after every task")
    parser.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    parser.add_argument("--scratch-cache", metavar="DIR", default=None,
                        help="folder of from-scratch reference accuracies reused across runs "
                             "(keyed by a hash of what determines them; within one compare or "
                             "sweep they are reused anyway)")
    parser.add_argument("--stop-after", type=int, default=None, metavar="N",
                        help="stop after N completed tasks")
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: CUDA when present)")
    parser.add_argument("--strategies", nargs="+", default=None, metavar="S",
                        help="compare: strategies (default pa uniform gradient packnet)")
    parser.add_argument("--seeds", nargs="+", type=int, default=None, metavar="N",
                        help="compare: seeds (default 0 1 2 3 4)")
    parser.add_argument("--baselines", nargs="*", default=None, metavar="B",
                        help="compare: also run finetune (lower bound) and/or joint (upper bound) "
                             "on the same stream and total edge budget")
    parser.add_argument("--reference", default=None, metavar="S",
                        help="compare: strategy for the paired differences (default uniform)")
    parser.add_argument("--densities", nargs="+", type=float, default=None, metavar="D",
                        help="sweep: per-task edge densities (default 0.005 0.01 0.02 0.05 0.1)")
    parser.add_argument("--acc-target", type=float, default=0.9, metavar="A",
                        help="sweep: ACC the smallest budget must reach (0.9)")
    parser.add_argument("--plot", metavar="STEM",
                        help="figures as STEM*.png/.svg: run: R heatmap, capacity, learning "
                             "curves; compare: strategies and learning curves; sweep: ACC vs edges")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def _config(args):
    from ..continual import ContinualConfig
    from ..errors import InputError, UsageError

    base: dict = {}
    if args.config:
        path = Path(args.config)
        try:
            base = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"--config {path}: no such file") from None
        except json.JSONDecodeError as exc:
            raise InputError(f"--config {path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
        if not isinstance(base, dict):
            raise InputError(f"--config {path}: expected a JSON object of ContinualConfig keys")
    for flag, (field, _, _) in _FLAGS.items():
        v = getattr(args, flag)
        if v is not None:
            base[field] = v
    base.setdefault("benchmark", "split-fmnist")
    try:
        return ContinualConfig.from_dict(base)
    except TypeError as exc:
        raise UsageError(f"config: {exc}") from None


def run(args: argparse.Namespace) -> int:
    import warnings

    from ..continual.driver import NearChanceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NearChanceWarning)
        code = _run(args)
    near = [w for w in caught if issubclass(w.category, NearChanceWarning)]
    if near and args.action != "run":  # a single run prints one line per task from its results
        print(f"warning: {len(near)} task(s) over all runs ended near chance (they did not learn); "
              f"first: {near[0].message}", file=sys.stderr)
    for w in caught:
        if not issubclass(w.category, NearChanceWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return code


def _run(args: argparse.Namespace) -> int:
    from .._io import write_json

    cfg = _config(args)
    res: SweepResult | ComparisonResult | ContinualResult  # one per action
    if args.action == "sweep":
        from ..continual.compare import format_sweep, run_sweep

        kw = {}
        if args.strategies:
            kw["strategies"] = args.strategies
        if args.seeds:
            kw["seeds"] = args.seeds
        res = run_sweep(cfg, densities=args.densities or [0.005, 0.01, 0.02, 0.05, 0.1],
                        target=args.acc_target, device=args.device, progress=not args.quiet,
                        scratch_cache=args.scratch_cache, **kw)
        print(format_sweep(res))
        if args.json:
            write_json(args.json, res.to_dict(), inline_lists=True)
        if args.plot:
            from ..output.plot import plot_accuracy_vs_edges, save_figure

            for p in save_figure(plot_accuracy_vs_edges(res.to_dict()), args.plot):
                print(f"wrote {p}", file=sys.stderr)
        return 0
    if args.action == "compare":
        from ..continual.compare import (
            format_comparison,
            plot_comparison,
            run_comparison,
        )

        kw = {}
        if args.strategies:
            kw["strategies"] = args.strategies
        if args.seeds:
            kw["seeds"] = args.seeds
        if args.reference:
            kw["reference"] = args.reference
        if args.baselines:
            kw["baselines"] = args.baselines
        res = run_comparison(cfg, device=args.device, progress=not args.quiet,
                             scratch_cache=args.scratch_cache, **kw)
        print(format_comparison(res))
        fb = res.summary.get("pa", {}).get("pa_fallback_share", {}).get("mean")
        _warn_share(fb, f"{fb:.0%} of layer-tasks (mean over seeds)" if fb is not None else "")
        if args.json:
            write_json(args.json, res.to_dict(), inline_lists=True)
        if args.plot:
            from ..output.plot import plot_learning_curves, save_figure

            figs = [(plot_comparison(res), args.plot)]
            if res.config.n_tasks > 1 and res.curves is not None:  # run_comparison records them
                figs.append((plot_learning_curves(res.curves, task=1), f"{args.plot}_curves"))
            for fig, stem in figs:
                for p in save_figure(fig, stem):
                    print(f"wrote {p}", file=sys.stderr)
        return 0
    from ..continual import run_continual

    res = run_continual(cfg, checkpoint=args.checkpoint, resume=args.resume,
                        stop_after=args.stop_after, device=args.device, progress=not args.quiet,
                        scratch_cache=args.scratch_cache)
    d = res.to_dict()
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_rank() != 0:
        return 0
    if args.json:
        write_json(args.json, d, inline_lists=True)
    if args.plot:
        from ..output.plot import (
            plot_accuracy_matrix,
            plot_capacity,
            plot_learning_curves,
            save_figure,
        )

        figs = [(plot_accuracy_matrix(d), f"{args.plot}_R"), (plot_capacity(d), f"{args.plot}_capacity")]
        if d["completed_tasks"] > 1:
            figs.append((plot_learning_curves({cfg.growth: d}, task=1), f"{args.plot}_curves"))
        for fig, stem in figs:
            for p in save_figure(fig, stem):
                print(f"wrote {p}", file=sys.stderr)
    for line in format_run(d):
        print(line)
    for rec in res.tasks:
        if rec.near_chance:
            print(f"warning: task {rec.task} ended near chance: accuracy "
                  f"{res.R[rec.task + 1][rec.task]:.3f} with chance {rec.chance:.3f}; it did "
                  f"not learn (raise --min-steps, now {cfg.min_steps}, or change --lr/--optimizer)",
                  file=sys.stderr)
    _warn_fallback(res)
    return 0


def _f(v, spec: str = ".4f", none: str = "n/a") -> str:
    """A number formatted, or ``none`` (never Python's None)."""
    return none if v is None else format(v, spec)


def format_run(d: dict) -> list[str]:
    """The plain-text summary of one results dict (no Python None; units on steps)."""
    cfg = d["config"]
    m = d["metrics"]
    lines = [f"{cfg['benchmark']} {cfg['model']} growth={cfg['growth']} seed={cfg['seed']} "
             f"({cfg['scenario']}-incremental): {d['completed_tasks']}/{cfg['n_tasks']} tasks, "
             f"{d['edges_total']} edges, {d['wall_time_s']:.1f} s"]
    if m:
        lines.append(f"ACC {_f(m['ACC'])}   independent sparse networks (same budget) "
                     f"{_f(m.get('ACC_independent'), '.4f', 'not run')}   FWT vs scratch "
                     f"{_f(m.get('FWT_scratch'), '+.4f', 'not run')}")
        notes = m.get("notes", {})
        if "BWT" in notes:
            lines.append(f"BWT {_f(m['BWT'])}, forgetting {_f(m['forgetting'])}: 0 by construction "
                         "(task-incremental: frozen weights, own head rows)")
        else:
            lines.append(f"BWT {_f(m['BWT'], '+.4f')}   forgetting {_f(m['forgetting'])}   "
                         f"FWT (zero-shot) {_f(m['FWT'], '+.4f')}")
        n_later = d["completed_tasks"] - 1
        reached = m.get("steps_to_target_reached", 0)
        mean = m.get("steps_to_target_mean")
        speed = (f"{mean:.1f} steps (mean)" if mean is not None
                 else f"not reached by {n_later - reached} of {n_later} tasks")
        t0 = m["task0"]["steps_to_target"]
        lines.append(
            f"learning speed, tasks 1-{n_later}: steps to accuracy {m['target_accuracy']:g}: {speed}; "
            f"learning-curve area {_f(m.get('curve_area_mean'))}; task 0: "
            + ("not reached" if t0 is None else f"{t0} steps"))
        lines.append(f"compute: {_f(m.get('weight_updates_mean'), '.3g')} weight-updates per task "
                     f"(trainable weights x steps, tasks 1-{n_later}); task 0 "
                     f"{_f(m['task0']['weight_updates'], '.3g')}")
    lines.append("steps to 95% of own final accuracy [steps]: "
                 + " ".join(_f(v, "d", "-") for v in d["steps_to_95"]))
    lines.append("beta (in, pooled over layers): "
                 + " ".join(_f(b, ".3f", "-") for b in d["beta_per_task"]))
    return lines


def _warn_fallback(res) -> None:
    """One line on stderr when most layer-tasks grown by pa have no plausible power law."""
    from ..continual import pa_fallback_share

    fell, total = pa_fallback_share(res)
    _warn_share(fell / total if total else None, f"{fell}/{total} layer-tasks")


def _warn_share(share: float | None, detail: str) -> None:
    """A note when most grown layers have no plausible power law (share > 0.5), for one run or
    the mean over seeds.  The pa kernel does not need one (it takes (A, γ) from each layer's own
    fitted degree law, or from --pa-target), so this reads the degree law, not a fallback."""
    if share is not None and share > 0.5:
        print(f"note: no plausible power law in the degrees of {detail} grown by pa; its kernel "
              "(k + A)^γ does not need one (the A and γ used are in tasks[].layers of the results "
              "JSON; in the README's ablation a fixed k + 1, --pa-target fixed --pa-gamma 1, does "
              "better than each layer's own fitted law)", file=sys.stderr)
