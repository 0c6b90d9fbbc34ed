#!/usr/bin/env python3
"""Regenerate the reference checkpoints shipped as package data in ``prunegraph/_data/reference/``
(and ``data/README.md``, which describes them).

For each reference network:

1. train the dense zoo model (SGD + Nesterov momentum, cosine learning rate, seeded);
2. prune it by iterative magnitude pruning with retraining (Han et al. 2015) to per-layer
   target densities in the spirit of Han et al.'s Table 1 (the output layer and first
   convolution kept denser), 30 % of the remaining weights per round, 2 retraining epochs per
   round and 5 more after the last;
3. build the random-pruned twin: the same dense trained weights, masked uniformly at random
   with exactly the IMP model's per-layer kept counts, retrained for the same number of epochs
   as the IMP model — the null model every analysis is read against;
4. save each as safetensors (torch.nn.utils.prune format) + JSON manifest with accuracies,
   densities, seeds, timings and package versions, and write ``data/README.md``.

Usage::

    python scripts/make_reference_checkpoints.py              # all, into prunegraph/_data/reference/
    python scripts/make_reference_checkpoints.py --only lenet300_digits --out /tmp/ref
    python scripts/make_reference_checkpoints.py --readme-only    # data/README.md from the manifests

Uses one CPU thread by default (more threads thrash on a shared 2-core machine); the compute
time of each model is recorded in its manifests and summed in data/README.md.
Results are deterministic for a given machine, thread count and torch version; other setups
may differ in the last digits of the accuracies.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
#: where the reference checkpoints are shipped (package data)
SHIPPED = ROOT / "prunegraph" / "_data" / "reference"
sys.path.insert(0, str(ROOT))

from prunegraph import checkpoint as C  # noqa: E402
from prunegraph._io import write_text  # noqa: E402
from prunegraph.models.data import load_dataset  # noqa: E402
from prunegraph.models.zoo import get_model  # noqa: E402
from prunegraph.training import prune as P  # noqa: E402
from prunegraph.training.recipes import pruning_manifest, random_twin, round_summaries  # noqa: E402
from prunegraph.training.train import evaluate, train  # noqa: E402

log = logging.getLogger("make_reference_checkpoints")

#: name -> recipe. Densities per layer: IMP targets (kept share of each weight matrix).
RECIPES = {
    "lenet300_fmnist": dict(
        model="lenet300", dataset="fashion_mnist", input_shape=(1, 28, 28), seed=0,
        dense=dict(epochs=20, lr=0.05, batch_size=128, schedule="cosine"),
        targets={"fc1": 0.08, "fc2": 0.09, "fc3": 0.26},
        retrain=dict(lr=0.01, batch_size=128, schedule="constant"),
    ),
    "lenet5_fmnist": dict(
        model="lenet5", dataset="fashion_mnist", input_shape=(1, 28, 28), seed=0,
        dense=dict(epochs=15, lr=0.05, batch_size=128, schedule="cosine"),
        targets={"conv1": 0.66, "conv2": 0.12, "fc1": 0.08, "fc2": 0.12, "fc3": 0.25},
        retrain=dict(lr=0.01, batch_size=128, schedule="constant"),
    ),
    "lenet300_digits": dict(
        model="lenet300", dataset="digits", input_shape=(1, 8, 8), seed=0,
        dense=dict(epochs=60, lr=0.05, batch_size=32, schedule="cosine"),
        targets={"fc1": 0.08, "fc2": 0.09, "fc3": 0.26},
        retrain=dict(lr=0.01, batch_size=32, schedule="constant"),
    ),
}
IMP = dict(prune_fraction=0.3, epochs_per_round=2, final_epochs=5)


def make(name: str, recipe: dict, out: Path) -> None:
    """Train, IMP-prune and random-prune one reference model; write both checkpoints."""
    seed = recipe["seed"]
    torch.manual_seed(seed)
    X, y = load_dataset(recipe["dataset"], split="train", rng=seed)
    Xt, yt = load_dataset(recipe["dataset"], split="test", rng=seed)
    t0 = time.perf_counter()
    model = get_model(recipe["model"], input_shape=recipe["input_shape"], rng=seed)
    dense_res = train(model, X, y, rng=seed, device="cpu", **recipe["dense"])
    acc_dense = evaluate(model, Xt, yt, device="cpu")
    dense_seconds = time.perf_counter() - t0
    log.info("%s: dense accuracy %.4f (%.0f s)", name, acc_dense, dense_seconds)
    dense_state = copy.deepcopy(model.state_dict())

    # --- iterative magnitude pruning
    imp = P.iterative_magnitude_prune(model, X, y, density=recipe["targets"], rng=seed + 1, device="cpu",
                                      eval_data=(Xt, yt), **IMP, **recipe["retrain"])
    acc_imp = evaluate(model, Xt, yt, device="cpu")
    retrain_epochs = len(imp.rounds) * IMP["epochs_per_round"] + IMP["final_epochs"]
    common = {"script": "scripts/make_reference_checkpoints.py", "recipe": name, "dataset": recipe["dataset"],
              "seed": seed, "dense_training": {**recipe["dense"], "optimizer": "sgd", "momentum": 0.9,
                                               "final_train_loss": dense_res.losses[-1]},
              "dense_seconds": dense_seconds, "torch_threads": torch.get_num_threads()}
    imp_path = out / f"{name}_imp.safetensors"
    C.save_checkpoint(model, imp_path, manifest=pruning_manifest(
        **common, accuracy_dense=acc_dense, accuracy=acc_imp, method="iterative_magnitude_pruning",
        reference="Han, Pool, Tran & Dally 2015, Learning both weights and connections",
        target_densities=recipe["targets"], imp={**IMP, "retrain": recipe["retrain"]},
        rounds=round_summaries(imp), retrain_epochs_total=retrain_epochs, prune_seconds=imp.seconds))
    log.info("%s: IMP density %.4f accuracy %.4f (%.0f s)", name, imp.report.overall_density, acc_imp, imp.seconds)

    # --- random twin at identical per-layer kept counts, same retraining budget
    twin = random_twin(model, dense_state, X, y, epochs=retrain_epochs, rng=seed + 2, eval_data=(Xt, yt),
                       device="cpu", **recipe["retrain"])
    assert twin.report.kept == imp.report.kept
    rnd_path = out / f"{name}_random.safetensors"
    C.save_checkpoint(twin.model, rnd_path, manifest=pruning_manifest(
        **common, accuracy_dense=acc_dense, accuracy=twin.accuracy, method="random_prune_like",
        like={"file": imp_path.name, "sha256": C.file_sha256(imp_path)},
        note="dense trained weights, uniformly random masks with the IMP model's per-layer kept counts, "
             "retrained for as many epochs as the IMP model",
        retrain=recipe["retrain"], retrain_epochs_total=retrain_epochs,
        accuracy_before_retraining=twin.accuracy_before_retraining, prune_seconds=twin.seconds))
    log.info("%s: random twin accuracy %.4f", name, twin.accuracy)
    log.info("%s: done in %.0f s", name, time.perf_counter() - t0)


README_HEAD = """\
# Reference checkpoints

Pruned networks shipped with prunegraph; `prunegraph fit` analyses them when given no argument.
All are regenerated by `python scripts/make_reference_checkpoints.py` (this README included).

**Where.** The files live in [`prunegraph/_data/reference/`](../prunegraph/_data/reference/), as
package data, so every install (not only an editable one) has them;
`prunegraph.checkpoint.reference_checkpoints()` lists them. This folder holds only this README.

**Format.** safetensors, written by `prunegraph.checkpoint.save_checkpoint`: every pruned weight is
stored in the `torch.nn.utils.prune` format as `<layer>.weight_orig` (float32, already zero where
pruned) and `<layer>.weight_mask` (float32 0/1); biases are kept and unpruned. Metadata:
`prunegraph_model`, `prunegraph_input_shape`, `prunegraph_num_classes`, `prunegraph_manifest`.
Load with `prunegraph.checkpoint.load_checkpoint(path)` or `prunegraph.load(path)`. Beside each file,
`<stem>.json` is its manifest: how it was made, test accuracy dense and pruned, per-layer
densities, seed, package versions, and the file's sha256.

**Recipe.** Dense training (SGD, Nesterov momentum 0.9, cosine learning rate), then iterative
magnitude pruning with retraining (Han et al. 2015; 30 % of the remaining weights per round,
2 retraining epochs per round at lr 0.01, 5 more after the last) to per-layer targets in the
spirit of Han et al.'s Table 1. The *random twin* takes the same dense weights, masks them
uniformly at random with exactly the IMP model's per-layer kept counts, and retrains for the
same number of epochs: the null model. Test accuracy is on the Fashion-MNIST test set (10 000
images) or the held-out quarter of scikit-learn's digits (450 images, stratified, seed 0).

| file | model | data | method | density | test acc. dense | test acc. pruned | size |
|---|---|---|---|---|---|---|---|
"""


def write_readme(out: Path, readme: Path) -> None:
    """Write ``readme`` from the manifests found in ``out`` (so it always matches the files)."""
    lines = [README_HEAD]
    total = 0.0
    for name in RECIPES:
        for kind, label in (("imp", "IMP"), ("random", "random twin")):
            path = out / f"{name}_{kind}.safetensors"
            if not path.exists():
                continue
            man = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
            total += man["prune_seconds"] + (man["dense_seconds"] if kind == "imp" else 0.0)
            lines.append(f"| `{path.name}` | {man['model']} | {man['dataset']} | {label} | "
                         f"{man['overall_density']:.4f} | {100 * man['accuracy_dense']:.2f} % | "
                         f"{100 * man['accuracy']:.2f} % | {path.stat().st_size / 1e6:.2f} MB |\n")
            threads, version = man["torch_threads"], man["versions"]["torch"]
    lines.append("\nPer-layer densities and the accuracy after every IMP round are in each manifest. "
                 f"Compute time of the whole set: {total:.0f} s ({total / 60:.1f} min) on {threads} CPU thread(s) "
                 f"(shared 2-core machine), torch {version}.\n")
    write_text(readme, "".join(lines))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(SHIPPED), help="output directory (default prunegraph/_data/reference/; "
                    "its README goes to data/README.md, elsewhere into the directory)")
    ap.add_argument("--only", choices=sorted(RECIPES), action="append", help="make only this recipe (repeatable)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch CPU threads (default 1: on shared cores more threads thrash)")
    ap.add_argument("--readme-only", action="store_true", help="only rewrite README.md from the manifests")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    log.setLevel(logging.INFO)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    t0 = time.perf_counter()
    if not args.readme_only:
        for name in args.only or list(RECIPES):
            make(name, RECIPES[name], out)
    write_readme(out, ROOT / "data" / "README.md" if out.resolve() == SHIPPED.resolve() else out / "README.md")
    log.info("all done in %.0f s", time.perf_counter() - t0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
