"""``prunegraph fit``: fit every layer's degree distribution, read against the random-pruning null."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import time
from pathlib import Path

from ..errors import InputError, UsageError

HELP = "fit power laws to every layer's degrees, against the random-pruning null"
_DESCRIPTION = """\
Fit the degree distributions of pruned networks by the Clauset-Shalizi-Newman method
(MLE, xmin by KS, optional bootstrap goodness of fit, likelihood-ratio tests against
lognormal, exponential, stretched exponential, power law with exponential cut-off
(truncated_power_law in --alternatives and JSON/CSV), Poisson and binomial),
each layer read side by side with its random-pruning null at identical density.

With no CHECKPOINT, the reference checkpoints shipped with the package are analysed.

What is a node and what is an edge, per layer type (weights of one layer only; layers are
joined where one's output units are the next one's input units):
  Linear           nodes: input features and output neurons; edge: one nonzero weight
  Conv1d/2d/3d     nodes: input and output channels; edge: a kernel (in channel -> out
                   channel) with at least one nonzero weight, weighted by its L1 norm, so a
                   layer can have edge density 100 % while 9 % of its weights survive
                   (the w.dens column); grouped convs connect channels within a group only
  ConvTranspose    as Conv, with the weight's in/out axes swapped as PyTorch stores them
  RNN/LSTM/GRU     nodes: input features (or hidden units, for the recurrent matrix) and
                   hidden units; edge: at least one nonzero weight over the gates (LSTM 4,
                   GRU 3) between them
  Embedding        nodes: token rows and embedding dimensions; edge: one nonzero entry
  flatten->Linear  a Linear layer reading a flattened conv output: nodes: its channels
                   (positions fold onto their channel); edge: at least one nonzero weight
                   from that channel

columns of the table, in order (* = in the compact default view; --wide shows them all):
{columns}

examples:
  prunegraph fit                          (the shipped reference checkpoints)
  prunegraph fit prunegraph/_data/reference/lenet300_fmnist_{imp,random}.safetensors
                                          (an IMP LeNet-300-100 and its random twin)
  prunegraph fit my_model.pt --model lenet300 --json fit.json --bootstrap 500 --report
  prunegraph fit ckpt.pt --model mypkg.models:build     (your own nn.Module, traced)
  prunegraph fit model.safetensors --json fit.json --bootstrap 0
  prunegraph fit a.pt b.pt --jobs 2 --kinds in,out,total --scope both --report
  prunegraph fit connectome:cook2019-herm --kinds in,out,total --scope network
                                          (a nervous system; see prunegraph connectome list)
"""


def _description() -> str:
    from ..output.tables import columns_help

    return _DESCRIPTION.replace("{columns}", columns_help())


DESCRIPTION = _description()

log = logging.getLogger(__name__)

#: the zoo's model names, for --help without importing torch (tests check them against the zoo)
ZOO_NAMES = ("lenet300", "lenet5", "lstm", "resnet_small", "vgg_small")


def _csv_list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..fit import ALTERNATIVES

    p.add_argument("checkpoints", nargs="*", metavar="CHECKPOINT",
                   help="a state_dict or checkpoint dict (.pt/.pth/.bin), a .safetensors file, a sharded "
                        "checkpoint's *.index.json, a Hugging Face model folder, or connectome:NAME; "
                        "default: the shipped reference checkpoints")
    p.add_argument("--kinds", type=_csv_list, default=["in", "out"], metavar="KIND[,KIND]",
                   help="degree kinds, comma-separated: in,out,total,strength (default in,out)")
    p.add_argument("--scope", choices=["layer", "network", "both"], default="layer",
                   help="fit each layer, the whole network, or both (default layer)")
    p.add_argument("--layers", default="*", metavar="GLOB",
                   help="only layers whose name matches GLOB, e.g. 'fc*' (default *: every layer)")
    p.add_argument("--bootstrap", type=int, default=100, metavar="N",
                   help="bootstrap resamples for the goodness-of-fit p-value (0 = none; default 100)")
    p.add_argument("--alternatives", type=_csv_list, default=list(ALTERNATIVES), metavar="NAME[,NAME]",
                   help="likelihood-ratio alternatives, comma-separated (default: " + ", ".join(ALTERNATIVES)
                        + "; run only on sequences whose verdict needs them); 'all' runs every one on every "
                          "sequence")
    p.add_argument("--truncated", action=argparse.BooleanOptionalAction, default=False,
                   help="fit the doubly truncated power law, p(k) ∝ k^-α on xmin ≤ k ≤ xmax, xmax = largest "
                        "degree (a hard upper limit, not the alternative truncated_power_law's exponential "
                        "cut-off; default off)")
    p.add_argument("--null", action=argparse.BooleanOptionalAction, default=True,
                   help="analyse each layer's random-pruning null too (default on)")
    p.add_argument("--task", type=int, default=None, help="task id, for checkpoints with ownership buffers")
    p.add_argument("--model", default=None, metavar="NAME|PKG.MODULE:FACTORY",
                   help="the architecture to trace: a zoo model (" + ", ".join(ZOO_NAMES) + ") or your own, "
                        "as package.module:factory (a callable returning the nn.Module, e.g. mypkg.models:build); "
                        "default: the checkpoint's metadata, else key names and shapes")
    p.add_argument("--arch", default=None, metavar="FAMILY",
                   help="model family of a state_dict without a module: bert, gpt2, llama, mistral, or a zoo "
                        "name (default: the config.json beside the weights, if any)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS|local",
                   help="run the bootstrap refits on a Dask cluster: a scheduler address (tcp://host:8786) "
                        "or 'local' (a LocalCluster, one worker per core); results are identical to --jobs 1")
    p.add_argument("--input-shape", default=None, metavar="C,H,W",
                   help="per-sample input shape for --model (default: the model's input_shape attribute)")
    p.add_argument("--seed", type=int, default=0, help="seed for bootstrap and nulls (default 0)")
    p.add_argument("--out", type=Path, default=Path("prunegraph-out"), metavar="DIR",
                   help="directory for figures and the report (default ./prunegraph-out)")
    p.add_argument("--figures", action=argparse.BooleanOptionalAction, default=True,
                   help="write CCDF and alpha figures under --out/<checkpoint>/ (default on; PNG)")
    p.add_argument("--figure-format", type=_csv_list, default=None, metavar="FMT[,FMT]",
                   help="figure file formats, comma-separated: png,svg,pdf (default png)")
    p.add_argument("--svg", action="store_true", help="also write every figure as SVG (= --figure-format png,svg)")
    p.add_argument("--report", action="store_true",
                   help="write a self-contained HTML report under --out (with the figures as PNG; with "
                        "--no-figures, tables only)")
    p.add_argument("--json", metavar="PATH",
                   help="write results as JSON (- for stdout; schema prunegraph/fit_schema.json)")
    p.add_argument("--csv", metavar="PATH", help="write the table as CSV (- for stdout)")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="analyse checkpoints in N parallel processes (default 1)")
    p.add_argument("--wide", action="store_true",
                   help="print every column (default: the compact table, at most 120 characters wide)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print only the one-line summaries and where files went; no progress bars")


def _check(args) -> None:
    from ..analysis import DEGREE_KINDS
    from ..fit import ALTERNATIVES

    bad = [k for k in args.kinds if k not in DEGREE_KINDS]
    if bad:
        raise UsageError(f"--kinds: unknown degree kind {bad[0]!r}; choose from {','.join(DEGREE_KINDS)}")
    args.lr_tests = "all" if "all" in args.alternatives else "needed"
    args.alternatives = [a for a in args.alternatives if a != "all"] or list(ALTERNATIVES)
    bad = [a for a in args.alternatives if a not in ALTERNATIVES]
    if bad:
        raise UsageError(f"--alternatives: unknown {bad[0]!r}; choose from {','.join(ALTERNATIVES)}")
    if args.bootstrap < 0:
        raise UsageError(f"--bootstrap must be >= 0, got {args.bootstrap}")
    if args.jobs < 1:
        raise UsageError(f"--jobs must be >= 1, got {args.jobs}")
    from ..output.plot import FIGURE_FORMATS

    if args.figure_format is not None:
        bad = [f for f in args.figure_format if f.lower().lstrip(".") not in FIGURE_FORMATS]
        if bad or not args.figure_format:
            raise UsageError(f"--figure-format: unknown {bad[0] if bad else ''!r}; choose from "
                             f"{','.join(FIGURE_FORMATS)}")
    if not args.figures:  # a figure option with no figures to apply to: say so rather than ignore it
        given = [f for f, on in (("--figure-format", args.figure_format is not None), ("--svg", args.svg)) if on]
        if given:
            raise UsageError(f"--no-figures contradicts {' and '.join(given)}: drop --no-figures to write "
                             f"figures, or drop {' and '.join(given)}")
    if args.json == "-" and args.csv == "-":
        raise UsageError("--json - and --csv - cannot both write to stdout; give one a file path")
    if args.arch is not None:
        from ..graph.roles import ARCH_NAMES
        from ..models.zoo import list_models

        if args.arch in list_models():
            if args.model is not None:
                raise UsageError("give --model or a zoo name in --arch, not both")
            args.model, args.arch = args.arch, None
        elif args.arch not in ARCH_NAMES:
            raise UsageError(f"--arch {args.arch!r}: choose a model family ({', '.join(ARCH_NAMES)}) or a zoo "
                             f"model ({', '.join(list_models())}); for your own module use --model pkg.module:factory")
    from .graph import _parse_shape

    args.input_shape = _parse_shape(args.input_shape)  # the one --input-shape parser


def _figure_formats(args) -> list[str]:
    formats = [f.lower().lstrip(".") for f in args.figure_format or ["png"]]
    if args.svg and "svg" not in formats:
        formats.append("svg")
    if args.report and "png" not in formats:
        formats.insert(0, "png")  # the report embeds PNGs
    return list(dict.fromkeys(formats))


def _analyse(sources: list[str], options: dict, *, jobs: int, progress: bool, figures=None):
    """analyze_many, one checkpoint at a time under a progress bar when it runs in this process;
    each finished model goes to ``figures`` (a FigureWriter) at once, so its figures are drawn
    in worker processes while the next checkpoint is fitted."""
    from .._progress import progress as _progress
    from ..analysis import analyze_many

    if jobs > 1 and len(sources) > 1:
        results, timings = analyze_many(sources, options, jobs=jobs, progress=progress)
        for r in results if figures is not None else ():
            figures.submit(r)
        return results, timings
    results, timings = [], []
    if figures is not None:  # each sequence's CCDF starts as soon as it is fitted
        options = dict(options, on_result=figures.submit_sequence)
    for s in _progress(sources, desc="checkpoints", total=len(sources), enabled=progress and len(sources) > 1):
        rs, ts = analyze_many([s], options, jobs=jobs, progress=progress)
        results += rs
        timings += ts
        if figures is not None:
            figures.submit(rs[0])
    return results, timings


def _check_outputs(args) -> None:
    """Every output path checked before any work (its folder made, a file writable in it), so that
    a bad one is one line now rather than after all the fitting."""
    from .._io import check_writable

    # the single files first: a refused --json/--csv leaves no --out folder made for nothing
    for flag, path in (("--json", args.json), ("--csv", args.csv)):
        if path is not None and path != "-":
            check_writable(path, flag=flag)
    if args.figures or args.report:  # the folder figures and the report go to
        check_writable(args.out, flag="--out", folder=True,
                       fix="give a writable folder" + (", or --no-figures" if args.figures else ""))
    if args.report:
        check_writable(args.out / "report.html", flag="--report", fix="give a writable --out folder")


def run(args) -> int:
    _check(args)
    _check_outputs(args)
    with contextlib.ExitStack() as stack:
        writer = None
        if args.figures:
            from ..output.plot import FigureWriter

            # figures render in worker processes (two, or --jobs) beside the fits; started before
            # torch is imported, so that they warm up (matplotlib, fonts) on the core it leaves free
            writer = stack.enter_context(FigureWriter(
                args.out, formats=_figure_formats(args), jobs=max(2, args.jobs),
                progress=not args.quiet and sys.stderr.isatty()))
        return _run(args, stack, writer)


def _run(args, stack: contextlib.ExitStack, writer) -> int:
    from ..checkpoint import display_source, reference_checkpoints
    from ..cli import flag_notes
    from ..output.report import write_html_report
    from ..output.tables import format_blocks, format_table, to_csv, to_json

    sources = [str(p) for p in (args.checkpoints or reference_checkpoints())]
    for s in sources:  # every source checked before any work, as a missing file is
        if s.startswith("connectome:"):
            from ..connectome import parse_source

            parse_source(s)  # an unknown data set or option: one line naming the choices
        elif not Path(s).exists():
            raise InputError(f"{s}: no such file; give a .pt/.pth/.bin/.safetensors checkpoint, a sharded "
                             f"one's .index.json or its folder")
    if writer is not None:  # each checkpoint's figure folder, distinct, decided once in command-line order
        writer.name_sources(sources)
    options = dict(degree_kinds=args.kinds, scope=args.scope, layers=args.layers, bootstrap=args.bootstrap,
                   alternatives=args.alternatives, lr_tests=args.lr_tests, truncated=args.truncated,
                   null=args.null,
                   rng=args.seed, task=args.task, model=args.model, arch=args.arch,
                   input_shape=args.input_shape)
    stdout_used = "-" in (args.json, args.csv)
    say = (lambda *a, **k: print(*a, file=sys.stderr, **k)) if stdout_used else print
    progress = not args.quiet and sys.stderr.isatty()
    written: list[Path] = []
    figures: dict[str, list[Path]] = {}
    t_start = time.perf_counter()
    if args.scheduler is not None:
        from ..distributed import scheduler

        stack.enter_context(scheduler(args.scheduler))
        results, timings = _analyse(sources, options, jobs=1, progress=progress, figures=writer)
    else:
        results, timings = _analyse(sources, options, jobs=args.jobs, progress=progress, figures=writer)
    t_analysis = time.perf_counter() - t_start
    if writer is not None:
        writer.computing_done()  # every figure worker draws while the tables are printed

    for res in results:
        if not args.quiet:
            say(flag_notes(format_table(res, wide=args.wide), args))
            blocks = format_blocks(res)
            if blocks:
                say(blocks)
        say(res.summary(name=display_source(res.source)))
    t0 = time.perf_counter()
    if writer is not None:
        figures = writer.result()
    t_fig = time.perf_counter() - t0  # the wait for figures after the fits
    report = None
    if args.report:
        report = write_html_report(results, figures, args.out / "report.html")
    if args.json:
        payload = to_json(results)
        if args.json == "-":
            from .._io import dumps_json

            sys.stdout.write(dumps_json(payload))
        else:
            from .._io import write_json

            written.append(write_json(args.json, payload))
    if args.csv:
        text = to_csv(results)
        if args.csv == "-":
            sys.stdout.write(text)
        else:
            from .._io import write_text

            written.append(write_text(args.csv, text))
    files = {Path(p) for ps in figures.values() for p in ps}
    if files:
        formats = sorted({p.suffix.lstrip(".").upper() for p in files})
        dirs = sorted({p.parent for p in files})
        where = f"in {dirs[0]}" if len(dirs) == 1 else f"in {len(dirs)} folders under {args.out}/"
        say(f"figures: {len(files)} {'+'.join(formats)} files {where}")
    if report is not None:
        say(f"report: {report}")
    for p in written:
        say(f"wrote {p}")
    log.info("time: analysis %.2fs (load %.2fs, fit %.2fs), figures (after the fits) %.2fs",
             t_analysis, sum(t["load"] for t in timings), sum(t["fit"] for t in timings), t_fig)
    return 0
