"""``prunegraph attachment``: attachment kernel of the edges new between two snapshots."""

from __future__ import annotations

import argparse
import sys

HELP = "attachment kernel Pi(k), kappa(k) and exponent beta of new edges between snapshots"
DESCRIPTION = """\
Measure how new edges attach (Jeong, Neda & Barabasi 2003): Pi(k) = new edges at nodes of
degree k / nodes of degree k, kappa(k) its integral, slope of log kappa vs log k = beta + 1
(beta 0: no preference, 1: linear), and the internal two-ended kernel over k1*k2 (slope 2:
linear in the product, 1: none). Bootstrap confidence intervals over nodes.
Headline, per layer: the maximum-likelihood beta over free positions (one-parameter PAFit)
with a p-value against --null-draws uniform draws of as many new edges; pooled numbers are
secondary.

  prunegraph attachment BEFORE.pt AFTER.pt [--model lenet300]   two checkpoints of one network
  prunegraph attachment run.safetensors --task 2                 task 2's edges of a continual run
  prunegraph attachment connectome:witvliet2021-1 connectome:witvliet2021-8
                        worm development: new connections between neurons present at both
                        stages, with the exact random control (--draws uniform placements)
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("before", help="checkpoint before (or a continual checkpoint with --task)")
    parser.add_argument("after", nargs="?", help="checkpoint after")
    parser.add_argument("--task", type=int, default=None,
                        help="continual checkpoint: compare owners <= TASK-1 with owners <= TASK")
    parser.add_argument("--include-head", action="store_true",
                        help="--task: also pool the head layer (its task rows are new every task)")
    parser.add_argument("--model", default=None, metavar="NAME|PKG.MODULE:FACTORY",
                        help="the architecture to trace bare state_dicts with: a zoo model name or "
                             "package.module:factory (as in fit; default: key names and shapes)")
    parser.add_argument("--input-shape", default=None, metavar="C,H,W",
                        help="per-sample input shape for --model, e.g. 1,8,8")
    parser.add_argument("--layers", nargs="+", default=None, metavar="LAYER",
                        help="only these layers (default: every layer)")
    parser.add_argument("--bootstrap", type=int, default=200, metavar="N",
                        help="bootstrap replicates over nodes for the intervals (default 200)")
    parser.add_argument("--kmin", type=float, default=1.0, help="smallest degree class in the fit (default 1)")
    parser.add_argument("--confidence", type=float, default=0.95, metavar="LEVEL",
                        help="level of the bootstrap confidence intervals (default 0.95)")
    parser.add_argument("--null-draws", type=int, default=200, metavar="N",
                        help="uniform draws for the null of the likelihood beta (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap and the null draws (default 0)")
    parser.add_argument("--draws", type=int, default=500, metavar="N",
                        help="connectome snapshots: random-control draws (default 500)")
    parser.add_argument("--json", metavar="PATH", help="write the result as JSON")


def _masks_from_task(path: str, task: int, include_head: bool):
    from ..continual.driver import load_checkpoint_manifest
    from ..continual.ownership import edge_masks_from_owners
    from ..errors import UsageError

    man, tensors = load_checkpoint_manifest(path)
    done = int(man["completed_tasks"])
    if not 0 < task < done:
        raise UsageError(f"--task {task}: {path} holds tasks 0..{done - 1}; pick 1..{done - 1} "
                         "(task 0 has no earlier snapshot)")
    params = [lay["param"] for lay in man["prunable"] if include_head or not lay["is_head"]]
    before = edge_masks_from_owners(tensors, params, upto=task - 1)
    after = edge_masks_from_owners(tensors, params, upto=task)
    return before, after


def _masks_from_files(before: str, after: str, model, input_shape):
    import prunegraph

    from .graph import _parse_shape

    shape = _parse_shape(input_shape or None)  # the one --input-shape parser
    gb = prunegraph.load(before, model=model, input_shape=shape)
    ga = prunegraph.load(after, model=model, input_shape=shape)
    names_b = [lay.name for lay in gb.layers]
    names_a = {lay.name for lay in ga.layers}
    common = [n for n in names_b if n in names_a]
    from ..errors import InputError

    if not common:
        raise InputError(f"{before} and {after} share no layer names; compare snapshots of one network")
    return ({n: gb.layer(n).mask.cpu().numpy() for n in common},
            {n: ga.layer(n).mask.cpu().numpy() for n in common})


def run(args: argparse.Namespace) -> int:
    from .._io import write_json
    from ..attachment import measure_attachment
    from ..errors import UsageError

    if args.before.startswith("connectome:") or (args.after or "").startswith("connectome:"):
        return _run_connectome(args)
    if args.task is not None:
        if args.after is not None:
            raise UsageError("give either BEFORE AFTER or one continual checkpoint with --task, not both")
        before, after = _masks_from_task(args.before, args.task, args.include_head)
    else:
        if args.after is None:
            raise UsageError("need two checkpoints (BEFORE AFTER), or one continual checkpoint with --task T")
        before, after = _masks_from_files(args.before, args.after, args.model, args.input_shape)
    if args.layers:
        missing = [n for n in args.layers if n not in before]
        if missing:
            raise UsageError(f"--layers {missing} not found; layers are {sorted(before)}")
        before = {n: before[n] for n in args.layers}
        after = {n: after[n] for n in args.layers}
    rep = measure_attachment(before, after, kmin=args.kmin, bootstrap=args.bootstrap,
                             confidence=args.confidence, null_draws=args.null_draws,
                             rng=args.seed)
    d = rep.to_dict()
    if args.json:
        write_json(args.json, d)
    print(f"layers: {', '.join(rep.layers)}; new edges {rep.in_kernel.n_new_edges}, "
          f"removed {rep.in_kernel.n_removed_edges}")
    for name, fits in rep.per_layer.items():
        for side, f in fits.items():
            if f.beta is None:
                print(f"{name} {side:<8} beta_mle = n/a (no new edges)")
                continue
            null = "" if f.p_value is None else (f"  null {f.null_mean:+.3f} sd {f.null_sd:.3f}, "
                                                 f"p = {f.p_value:.3g}")
            print(f"{name} {side:<8} beta_mle = {f.beta:.3f} +- {f.se:.3f}{null}")
    print("pooled over layers (secondary; kappa slope, biased towards 0 far from k = 0):")
    for label, k in (("in ", rep.in_kernel), ("out", rep.out_kernel), ("internal", rep.internal)):
        ci = "" if k.ci is None else f"  CI{int(args.confidence * 100)} [{k.ci[0]:.3f}, {k.ci[1]:.3f}]"
        beta = "n/a (fewer than 3 degree classes)" if k.beta is None else f"{k.beta:.3f}"
        slope = "" if k.slope is None else f"  (slope of log kappa {k.slope:.3f})"
        print(f"{label:<8} beta = {beta}{ci}{slope}", file=sys.stdout)
    return 0


def _run_connectome(args: argparse.Namespace) -> int:
    from .._io import write_json
    from ..connectome import development_attachment
    from ..errors import UsageError

    if args.after is None or args.task is not None:
        raise UsageError("connectome snapshots: give two sources, e.g. "
                         "connectome:witvliet2021-1 connectome:witvliet2021-8")
    step = development_attachment(args.before, args.after, bootstrap=args.bootstrap,
                                  draws=args.draws, kmin=args.kmin, confidence=args.confidence,
                                  rng=args.seed)
    if args.json:
        write_json(args.json, step.to_dict())
    print(f"{step.before} -> {step.after}: {step.n_common} neurons in both; new edges "
          f"{step.n_new}, removed {step.n_removed}")
    for r in step.rows():
        beta = "n/a" if r["beta"] is None else f"{r['beta']:.3f}"
        ci = "" if r["ci_low"] is None else f"  CI{int(args.confidence * 100)} [{r['ci_low']:.3f}, {r['ci_high']:.3f}]"
        p = "" if r["p_vs_random"] is None else f"  p = {r['p_vs_random']:.3g}"
        print(f"{r['side']:<8} beta = {beta}{ci}   random {r['random_beta']:.3f} "
              f"[{r['random_low']:.3f}, {r['random_high']:.3f}]{p}")
    return 0
