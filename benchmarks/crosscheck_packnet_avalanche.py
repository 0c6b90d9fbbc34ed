"""Cross-check prunegraph's PackNet against Avalanche's (issue 14, deliverable 4).

Same stream, same network, same initial weights, same prune ratio, optimiser, batch size and
epochs on both sides, several seeds:

* **prunegraph**: ``run_continual`` with ``growth="packnet"`` (every free weight of the task's
  region trained), ``budget="share"`` with ``share = head_density = 1 - prune_proportion``
  (a task keeps that share of the free weights of every layer, by magnitude), one prune round,
  ``epochs`` then ``retrain_epochs`` with no step floors (epoch-based, as Avalanche).
* **Avalanche** (``avalanche-lib``, run by ``_avalanche_packnet_worker.py`` in an isolated
  venv): ``avalanche.training.supervised.PackNet`` on ``avalanche.models.PackNetModel``,
  ``train_epochs = epochs + retrain_epochs``, ``post_prune_epochs = retrain_epochs``. Its
  model is the same LeNet-300-100 (``nn.Sequential``) loaded with the prunegraph run's initial
  weights; the only adapter is the task-incremental reading of the 10-unit output layer
  (logits outside the task's classes set to -inf, as prunegraph's per-task heads).

Data: the prunegraph split-digits stream (sklearn digits, 5 tasks of 2 classes), handed to
Avalanche as tensors (``benchmark_from_datasets`` of tensor datasets with task labels), so
nothing is downloaded. Reported per seed and side: accuracy on every task after the last
(``final_row``), ACC, kept weights per task and layer; then paired differences (prunegraph −
Avalanche) over seeds with a Student-t 95 % interval.

Set-up (``--setup``, or automatically when the venv is missing) creates the venv at
``--venv`` (default ``/work/venvs/avalanche``; never the project's environment: Avalanche
pulls ~60 packages) with ``pip install torch==2.14.1 torchvision==0.29.1`` (PyPI's
torchvision does not import beside torch 2.13.0; pip takes these from the machine's local
wheel store) then ``pip install avalanche-lib`` (0.6.0 when this was written).

    OMP_NUM_THREADS=1 nice -n 19 python benchmarks/crosscheck_packnet_avalanche.py \
        --seeds 0 1 2 --json benchmarks/results/crosscheck_packnet_avalanche.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from prunegraph.continual import ContinualConfig, run_continual
from prunegraph.continual.metrics import mean_ci, paired_differences

HERE = Path(__file__).resolve().parent
WORKER = HERE / "_avalanche_packnet_worker.py"


def setup_venv(venv: Path) -> Path:
    """Create the isolated venv with torch 2.14.1, torchvision 0.29.1 and avalanche-lib."""
    py = venv / "bin" / "python"
    if py.exists() and subprocess.run([str(py), "-c", "import avalanche"],
                                      capture_output=True).returncode == 0:
        return py
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(py), "-m", "pip", "install", "-q"]
    subprocess.run(pip + ["torch==2.14.1", "torchvision==0.29.1"], check=True)
    subprocess.run(pip + ["avalanche-lib"], check=True)
    return py


def base_config(args, seed: int) -> ContinualConfig:
    keep = 1.0 - args.prune_proportion
    return ContinualConfig(
        benchmark=args.benchmark, model="lenet300", n_tasks=5, growth="packnet", first="dense",
        budget="share", share=keep, head_density=keep, min_fanin=0.0,
        epochs=args.epochs, retrain_epochs=args.retrain_epochs, min_steps=0, retrain_min_steps=0,
        prune_iterations=1, optimizer="sgd", lr=args.lr, batch_size=args.batch_size,
        eval_every=10**6, eval_dense=0, scratch_reference=False, attachment_bootstrap=0,
        seed=seed)


def export(cfg: ContinualConfig, folder: Path, args) -> tuple[Path, Path]:
    """The stream and initial weights of the prunegraph run, for the Avalanche side."""
    from prunegraph.continual.driver import _build_stream, _unit_labels
    from prunegraph.models.zoo import get_model

    stream = _build_stream(cfg)
    model = get_model(cfg.model, num_classes=stream.num_classes, input_shape=stream.input_shape,
                      rng=cfg.seed)
    blob = {}
    for i, name in enumerate(("fc1", "fc2", "fc3")):
        lin = getattr(model, name)
        blob[f"init.{i}.weight"] = lin.weight.detach().clone()
        blob[f"init.{i}.bias"] = lin.bias.detach().clone()
    for t, task in enumerate(stream.tasks):
        (Xtr, ytr), (Xte, yte) = task.train, task.test
        blob[f"task{t}.Xtr"], blob[f"task{t}.Xte"] = Xtr.float(), Xte.float()
        blob[f"task{t}.ytr"] = _unit_labels(stream, t, ytr, cfg).long()
        blob[f"task{t}.yte"] = _unit_labels(stream, t, yte, cfg).long()
    spec = {"n_tasks": cfg.n_tasks, "head_units": [list(map(int, u)) for u in stream.head_units],
            "num_classes": stream.num_classes, "seed": cfg.seed, "lr": cfg.lr,
            "batch_size": cfg.batch_size, "prune_proportion": args.prune_proportion,
            "train_epochs": cfg.epochs + cfg.retrain_epochs,
            "post_prune_epochs": cfg.retrain_epochs,
            "layer_sizes": [model.fc1.in_features, model.fc1.out_features,
                            model.fc2.out_features, model.fc3.out_features]}
    tp, sp = folder / f"stream{cfg.seed}.pt", folder / f"spec{cfg.seed}.json"
    torch.save(blob, tp)
    sp.write_text(json.dumps(spec), encoding="utf-8")
    return sp, tp


def run_ours(cfg: ContinualConfig) -> dict:
    t0 = time.perf_counter()
    d = run_continual(cfg, device="cpu").to_dict()
    layers = list(d["edges_per_task"])
    return {"final_row": d["R"][-1], "ACC": d["metrics"]["ACC"],
            "R_lower": [r[:t + 1] for t, r in enumerate(d["R"][1:])],
            "kept_per_task": [[d["edges_per_task"][k][t] for k in layers]
                              for t in range(cfg.n_tasks)],
            "layers": layers,
            "steps_per_task": [r["compute"]["steps"] for r in d["tasks"]],
            "seconds": time.perf_counter() - t0}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--benchmark", default="split-digits", choices=["split-digits", "permuted-digits"],
                    help="split: 5 tasks of 2 classes; permuted: 5 pixel permutations of all 10 "
                         "classes, one 10-unit head per task")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--prune-proportion", type=float, default=0.5)
    ap.add_argument("--epochs", type=int, default=30, help="training epochs before the cut")
    ap.add_argument("--retrain-epochs", type=int, default=10, help="epochs after the cut")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--venv", type=Path, default=Path("/work/venvs/avalanche"))
    ap.add_argument("--setup", action="store_true", help="only create the venv")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    py = setup_venv(args.venv)
    if args.setup:
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            cfg = base_config(args, seed)
            ours = run_ours(cfg)
            spec, tensors = export(cfg, Path(tmp), args)
            out = Path(tmp) / f"aval{seed}.json"
            t0 = time.perf_counter()
            env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
            proc = subprocess.run([str(py), str(WORKER), str(spec), str(tensors), str(out)],
                                  capture_output=True, text=True, env=env)
            if proc.returncode:
                print(proc.stderr[-3000:], file=sys.stderr)
                return 1
            aval = json.loads(out.read_text(encoding="utf-8"))
            aval["seconds"] = time.perf_counter() - t0
            rows.append({"seed": seed, "prunegraph": ours, "avalanche": aval})
            print(f"seed {seed}: ACC prunegraph {ours['ACC']:.4f}  avalanche {aval['ACC']:.4f}  "
                  f"final rows {[round(x, 3) for x in ours['final_row']]} vs "
                  f"{[round(x, 3) for x in aval['final_row']]}", flush=True)
    acc_p = [r["prunegraph"]["ACC"] for r in rows]
    acc_a = [r["avalanche"]["ACC"] for r in rows]
    T = len(rows[0]["prunegraph"]["final_row"])
    per_task = {f"task{j}": {
        "prunegraph": mean_ci([r["prunegraph"]["final_row"][j] for r in rows]),
        "avalanche": mean_ci([r["avalanche"]["final_row"][j] for r in rows]),
        "paired": paired_differences([r["prunegraph"]["final_row"][j] for r in rows],
                                     [r["avalanche"]["final_row"][j] for r in rows])}
        for j in range(T)}
    summary = {"ACC": {"prunegraph": mean_ci(acc_p), "avalanche": mean_ci(acc_a),
                       "paired": paired_differences(acc_p, acc_a)},
               "final_row": per_task}
    print(f"ACC over {len(rows)} seeds: prunegraph {mean_ci(acc_p)['mean']:.4f}, avalanche "
          f"{mean_ci(acc_a)['mean']:.4f}; paired difference {summary['ACC']['paired']}")
    lay = rows[0]["prunegraph"]["layers"]
    for t in range(T):
        print(f"task {t}: kept weights per layer {lay}: prunegraph "
              f"{rows[0]['prunegraph']['kept_per_task'][t]}, avalanche "
              f"{rows[0]['avalanche']['kept_per_task'][t]} (seed {rows[0]['seed']})")
    if args.json:
        from prunegraph._io import write_json

        write_json(args.json, {"settings": {k: (str(v) if isinstance(v, Path) else v)
                                            for k, v in vars(args).items()},
                               "config_seed0": base_config(args, args.seeds[0]).to_dict(),
                               "runs": rows, "summary": summary})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
