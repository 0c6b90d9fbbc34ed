"""``prunegraph prune``: prune a trained (or freshly trained) zoo model; save it + manifest."""

from __future__ import annotations

import argparse
import sys

from ..errors import UsageError
from .train import INPUT_SHAPES, add_data_arguments, check_output, load_data, train_kwargs

HELP = "prune a zoo model (magnitude, global, iterative, structured, random null); write .safetensors + manifest"
DESCRIPTION = """\
Prune a model and save it in the torch.nn.utils.prune format (weight_orig + weight_mask) as
safetensors, with a JSON manifest beside it: method, target and reached per-layer density,
test accuracy dense and pruned, seed, package versions, sha256.

The model is a checkpoint written by `prunegraph train` (--checkpoint), or a zoo model
trained first for --epochs (--model). Methods:
  magnitude   largest |w| per layer, every layer at the same density
  global      largest |w| over all layers together
  imp         iterative magnitude pruning with retraining (Han et al. 2015)
  structured  whole output units / filters by L2 norm, with their out-edges (dead units
              stay in the graph with degree 0; the output layer's units are kept)
  random      uniformly random at the per-layer densities of --like CHECKPOINT (the null
              model), or at --density in every layer

examples:
  prunegraph prune --model lenet300 --dataset digits --epochs 20 --method imp --sparsity 0.9 -o imp.safetensors
  prunegraph prune --checkpoint dense.safetensors --dataset digits --method random \\
      --like imp.safetensors -o rnd.safetensors
"""

METHODS = ("magnitude", "global", "imp", "structured", "random")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..models.zoo import list_models

    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="trained model (.safetensors from `prunegraph train`)")
    src.add_argument("--model", choices=list_models(), metavar="NAME",
                     help="zoo model (" + ", ".join(list_models()) + "), trained first for --epochs")
    parser.add_argument("--epochs", type=int, default=10, help="dense training epochs with --model (default 10)")
    parser.add_argument("--method", choices=METHODS, default="imp", help="pruning method (default imp)")
    amount = parser.add_mutually_exclusive_group()
    amount.add_argument("--sparsity", type=float, help="share of weights removed, e.g. 0.9")
    amount.add_argument("--density", type=float, help="share of weights kept, e.g. 0.1 (= 1 - sparsity)")
    parser.add_argument("--like", help="random: reference pruned checkpoint whose per-layer densities are copied")
    parser.add_argument("--prune-fraction", type=float, default=0.3,
                        help="imp: share of remaining weights removed per round (default 0.3)")
    parser.add_argument("--epochs-per-round", type=int, default=1, help="imp: retraining epochs per round (default 1)")
    parser.add_argument("--retrain-epochs", type=int, default=0,
                        help="fine-tuning epochs after pruning (imp: after the last round) (default 0)")
    parser.add_argument("--retrain-lr", type=float, default=None, help="learning rate of retraining (default --lr / 5)")
    add_data_arguments(parser)
    parser.add_argument("-o", "--output", required=True, help="output .safetensors path")


def _target_density(args) -> float | None:
    if args.sparsity is not None:
        if not 0.0 <= args.sparsity <= 1.0:
            raise UsageError(f"--sparsity must lie in [0, 1], got {args.sparsity}")
        return 1.0 - args.sparsity
    if args.density is not None:
        if not 0.0 <= args.density <= 1.0:
            raise UsageError(f"--density must lie in [0, 1], got {args.density}")
        return args.density
    return None


def run(args: argparse.Namespace) -> int:
    from .. import checkpoint as C
    from ..models.zoo import get_model
    from ..training.recipes import prune_and_retrain, pruning_manifest
    from ..training.train import evaluate, train

    out = check_output(args.output)
    density = _target_density(args)
    if density is None and not (args.method == "random" and args.like):
        raise UsageError("give --sparsity or --density (or, for --method random, --like CHECKPOINT)")
    if args.like and args.method != "random":
        raise UsageError("--like is for --method random only")
    for opt in ("epochs", "epochs_per_round", "retrain_epochs"):
        if getattr(args, opt) < 0:
            raise UsageError(f"--{opt.replace('_', '-')} must be >= 0, got {getattr(args, opt)}")
    name, (X, y), (Xt, yt) = load_data(args)
    kw = train_kwargs(args)
    seconds = 0.0
    if args.checkpoint:
        model, src_manifest = C.load_checkpoint(args.checkpoint)
        model.train()
        if tuple(model.input_shape) != INPUT_SHAPES[name]:
            raise UsageError(f"--checkpoint {args.checkpoint} takes inputs {tuple(model.input_shape)}, "
                             f"--dataset {name} has {INPUT_SHAPES[name]}; pick the matching data set")
        source = {"checkpoint": str(args.checkpoint), "checkpoint_sha256": C.file_sha256(args.checkpoint)}
    else:
        model = get_model(args.model, num_classes=10, input_shape=INPUT_SHAPES[name], rng=args.seed)
        res = train(model, X, y, epochs=args.epochs, rng=args.seed, progress=not args.quiet, **kw)
        seconds += res.seconds
        source = {"model": args.model, "dense_epochs": args.epochs}
    acc_dense = evaluate(model, Xt, yt, device=args.device)
    retrain_kw = dict(kw, lr=args.retrain_lr if args.retrain_lr is not None else args.lr / 5,
                      schedule="constant")
    reference, like = None, {}
    if args.method == "random" and args.like:
        reference, _ = C.load_checkpoint(args.like)
        if reference.zoo_name != model.zoo_name or tuple(reference.input_shape) != tuple(model.input_shape):
            raise UsageError(f"--like {args.like} is a {reference.zoo_name} {tuple(reference.input_shape)}, the model "
                             f"is a {model.zoo_name} {tuple(model.input_shape)}; use a reference of the same model")
        like = {"like": {"checkpoint": str(args.like), "sha256": C.file_sha256(args.like)}}
    done = prune_and_retrain(model, X, y, method=args.method, density=density, reference=reference, rng=args.seed,
                             retrain_epochs=args.retrain_epochs, prune_fraction=args.prune_fraction,
                             epochs_per_round=args.epochs_per_round, eval_data=(Xt, yt),
                             progress=not args.quiet, **retrain_kw)
    rep, details = done.report, {**done.details, **like}
    seconds += done.seconds
    acc = evaluate(model, Xt, yt, device=args.device)
    manifest = pruning_manifest(
        accuracy_dense=acc_dense, accuracy=acc, command="prunegraph prune", dataset=name, seed=args.seed,
        method=args.method, target_density=density, source=source, details=details,
        training={k: v for k, v in kw.items() if k != "device"}, retrain_epochs=args.retrain_epochs,
        seconds=seconds)
    man = C.save_checkpoint(model, out, manifest=manifest)
    print(f"{out}: {model.zoo_name} on {name}, {args.method} to density {rep.overall_density:.4f}, "
          f"test accuracy {acc_dense:.4f} dense -> {acc:.4f} pruned; manifest {man}", file=sys.stdout)
    return 0
