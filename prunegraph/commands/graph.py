"""``prunegraph graph [SOURCE]``: per-layer connectivity table and whole-network totals."""

from __future__ import annotations

import argparse
import sys

from ..errors import UsageError

HELP = "print a pruned network's per-layer graph table; export GraphML, edge list or JSON"
DESCRIPTION = """\
Read a pruned network (a .pt/.pth state_dict or checkpoint dict, a .safetensors file) and
print one row per layer: kind, input and output units, surviving edges, density and the dead
units on each side (units with no surviving connection), then whole-network totals.

Without SOURCE a built-in example is used: the zoo's LeNet-300-100 (seed 0) magnitude-pruned
to 10% density with torch.nn.utils.prune.global_unstructured (L1), untrained.

examples:
  prunegraph graph
  prunegraph graph model.pt --model lenet5 --input-shape 1,28,28 --json graph.json
  prunegraph graph ckpt.safetensors --task 2 --graphml g.graphml --edgelist g.tsv
"""

EXAMPLE_DENSITY = 0.10
EXAMPLE_SEED = 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", nargs="?", default=None,
                        help="checkpoint file (.pt/.pth/.safetensors); default: built-in example")
    parser.add_argument("--model", default=None, metavar="NAME|PKG.MODULE:FACTORY",
                        help="the architecture to trace the state_dict with: a zoo model name (e.g. lenet5) or "
                             "your own, as package.module:factory (a callable returning the nn.Module); default: "
                             "the checkpoint's metadata, else key names and shapes")
    parser.add_argument("--arch", default=None, metavar="FAMILY",
                        help="model family of a bare state_dict: bert, gpt2, llama, mistral "
                             "(default: a config.json beside the weights)")
    parser.add_argument("--input-shape", default=None, metavar="C,H,W",
                        help="per-sample input shape for tracing, comma-separated (e.g. 1,28,28)")
    parser.add_argument("--task", type=int, default=None,
                        help="with ownership buffers: keep the weights visible to this task (default: all)")
    parser.add_argument("--graphml", default=None, metavar="PATH", help="write GraphML here")
    parser.add_argument("--edgelist", default=None, metavar="PATH", help="write a TSV edge list here")
    parser.add_argument("--json", default=None, metavar="PATH", help="write the summary as JSON here")


def example_model():
    """The built-in example: LeNet-300-100 (seed 0), global L1 magnitude pruning to 10 %."""
    import torch
    from torch.nn.utils import prune

    from ..models.zoo import get_model

    model = get_model("lenet300", rng=EXAMPLE_SEED)
    params = [(m, "weight") for m in model.modules() if isinstance(m, torch.nn.Linear)]
    prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=1 - EXAMPLE_DENSITY)
    return model


def _parse_shape(text: str | None):
    if text is None:
        return None
    try:
        shape = tuple(int(s) for s in text.replace("x", ",").split(",") if s.strip())
    except ValueError:
        raise UsageError(f"--input-shape {text!r}: give comma-separated integers, e.g. 1,28,28") from None
    if not shape or any(s < 1 for s in shape):
        raise UsageError(f"--input-shape {text!r}: give positive integers, e.g. 1,28,28")
    return shape


def format_table(net) -> str:
    """The per-layer table and totals as text."""
    rows = [lg.to_dict() for lg in net.layers]
    head = ("layer", "kind", "wiring", "in_units", "out_units", "edges", "density", "dead_in", "dead_out")
    body = [(r["name"], r["kind"], r["wiring"] + ("?" if r["guessed"] else ""), str(r["in_units"]),
             str(r["out_units"]), str(r["edges"]), f"{r['density']:.4f}", str(r["dead_in"]), str(r["dead_out"]))
            for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]

    def line(cells):
        return "  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    out = [line(head), line(["-" * w for w in widths])]
    out += [line(b) for b in body]
    d = net.to_dict()["totals"]
    possible = sum(r["in_units"] * r["out_units"] for r in rows)
    out.append("")
    out.append(f"network: {d['layers']} layers, {len(net.spaces)} activation spaces, {d['units']} units, "
               f"{d['edges']} edges (density {d['edges'] / possible if possible else 0:.4f}), "
               f"{d['dead_units']} dead units (total degree 0)")
    for note in net.notes:
        out.append(f"note: {note}")
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    from .. import _io
    from ..cli import flag_notes
    from ..loading import load

    shape = _parse_shape(args.input_shape)
    for flag, path in (("--graphml", args.graphml), ("--edgelist", args.edgelist), ("--json", args.json)):
        if path:  # before the checkpoint is loaded: a bad output path costs nothing
            _io.check_writable(path, flag=flag)
    if args.source is None:
        if args.model is not None or args.task is not None:
            raise UsageError("--model and --task need a SOURCE checkpoint")
        net = load(example_model(), input_shape=shape)
        title = (f"built-in example: lenet300 (seed {EXAMPLE_SEED}) magnitude-pruned to "
                 f"{EXAMPLE_DENSITY:.0%} density")
    else:
        net = load(args.source, task=args.task, model=args.model, input_shape=shape, arch=args.arch)
        title = f"source: {net.source}"
    print(title)
    print(flag_notes(format_table(net), args))
    if args.graphml:
        net.write_graphml(args.graphml)
        print(f"wrote {args.graphml}", file=sys.stderr)
    if args.edgelist:
        net.write_edgelist(args.edgelist)
        print(f"wrote {args.edgelist}", file=sys.stderr)
    if args.json:
        _io.write_json(args.json, net.to_dict())
        print(f"wrote {args.json}", file=sys.stderr)
    return 0
