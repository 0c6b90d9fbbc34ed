"""``prunegraph train``: train a zoo model on a data set and save it as safetensors + manifest."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import UsageError

HELP = "train a zoo model on Fashion-MNIST or digits; write .safetensors + .json manifest"
DESCRIPTION = """\
Train a model from the zoo (prunegraph.models.zoo) with one plain, seeded loop and save it as
safetensors with a JSON manifest beside it (<stem>.json: data set, seed, hyper-parameters,
test accuracy, package versions, sha256).

examples:
  prunegraph train --model lenet300 --dataset digits --epochs 20 -o lenet300_digits.safetensors
  prunegraph train --model lenet5 --dataset fashion_mnist --epochs 10 --seed 1 -o lenet5.safetensors
"""

INPUT_SHAPES = {"fashion_mnist": (1, 28, 28), "digits": (1, 8, 8)}


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``train`` and ``prune``: data set, training hyper-parameters, seed."""
    parser.add_argument("--dataset", default="digits", choices=sorted(INPUT_SHAPES) + ["fmnist"],
                        help="data set (default: digits, bundled with scikit-learn)")
    parser.add_argument("--data-dir", default=None,
                        help="Fashion-MNIST idx directory (default $PRUNEGRAPH_FMNIST_DIR or "
                             "/usr/share/datasets/fashion-mnist)")
    parser.add_argument("--lr", type=float, default=0.05, help="learning rate (default 0.05)")
    parser.add_argument("--batch-size", type=int, default=128, help="mini-batch size (default 128)")
    parser.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd",
                        help="SGD with Nesterov momentum 0.9, or Adam (default sgd)")
    parser.add_argument("--schedule", choices=("constant", "cosine"), default="cosine",
                        help="learning-rate schedule (default cosine)")
    parser.add_argument("--weight-decay", type=float, default=0.0, help="L2 coefficient (default 0)")
    parser.add_argument("--seed", type=int, default=0, help="seed of initialisation and batch order (default 0)")
    parser.add_argument("--device", default=None, help="torch device (default: cuda when present, else cpu)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..models.zoo import list_models

    parser.add_argument("--model", required=True, choices=list_models(), help="zoo model")
    parser.add_argument("--epochs", type=int, default=10, help="training epochs (default 10)")
    add_data_arguments(parser)
    parser.add_argument("-o", "--output", required=True, help="output .safetensors path")


def load_data(args: argparse.Namespace):
    """``(dataset_name, (X, y) train, (X, y) test)`` for the parsed arguments."""
    from ..models.data import load_dataset

    name = "fashion_mnist" if args.dataset == "fmnist" else args.dataset
    train = load_dataset(name, split="train", root=args.data_dir, rng=args.seed)
    test = load_dataset(name, split="test", root=args.data_dir, rng=args.seed)
    return name, train, test


def train_kwargs(args: argparse.Namespace) -> dict:
    """Keyword arguments of :func:`prunegraph.training.train.train` from the parsed arguments."""
    if args.batch_size < 1 or not args.lr > 0:
        raise UsageError(f"--lr must be > 0 and --batch-size >= 1, got {args.lr} and {args.batch_size}")
    return {"lr": args.lr, "batch_size": args.batch_size, "optimizer": args.optimizer,
            "schedule": args.schedule, "weight_decay": args.weight_decay, "device": args.device}


def check_output(path: str) -> Path:
    out = Path(path)
    if out.suffix != ".safetensors":
        raise UsageError(f"--output {out} must end in .safetensors")
    return out


def run(args: argparse.Namespace) -> int:
    from ..checkpoint import package_versions, save_checkpoint
    from ..models.zoo import get_model
    from ..training.train import evaluate, train

    out = check_output(args.output)
    if args.epochs < 0:
        raise UsageError(f"--epochs must be >= 0, got {args.epochs}")
    name, (X, y), (Xt, yt) = load_data(args)
    model = get_model(args.model, num_classes=10, input_shape=INPUT_SHAPES[name], rng=args.seed)
    kw = train_kwargs(args)
    res = train(model, X, y, epochs=args.epochs, rng=args.seed, progress=not args.quiet, **kw)
    acc = evaluate(model, Xt, yt, device=args.device)
    manifest = {"command": "prunegraph train", "dataset": name, "seed": args.seed, "method": "dense",
                "epochs": args.epochs, "training": {k: v for k, v in kw.items() if k != "device"},
                "accuracy_dense": acc, "accuracy": acc, "train_seconds": res.seconds,
                "final_train_loss": res.losses[-1] if res.losses else None, "versions": package_versions()}
    man = save_checkpoint(model, out, manifest=manifest)
    print(f"{out}: {args.model} on {name}, test accuracy {acc:.4f} ({res.seconds:.1f} s); manifest {man}",
          file=sys.stdout)
    return 0
