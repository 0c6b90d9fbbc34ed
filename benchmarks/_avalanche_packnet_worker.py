"""Avalanche side of ``crosscheck_packnet_avalanche.py`` (runs in the isolated venv).

Imports only torch and avalanche-lib (not prunegraph). Reads the stream, the initial weights
and the settings that the driver script wrote, trains Avalanche's ``PackNet`` strategy
(``avalanche.training.supervised.PackNet`` with ``avalanche.models.PackNetModel``) on them and
writes per-task accuracies and kept weights per task as JSON.

Usage: python _avalanche_packnet_worker.py SPEC.json TENSORS.pt OUT.json
"""

from __future__ import annotations

import json
import sys
import time

import torch
from torch import nn


def main(spec_path: str, tensors_path: str, out_path: str) -> None:
    import avalanche
    from avalanche.benchmarks.scenarios.dataset_scenario import benchmark_from_datasets
    from avalanche.benchmarks.scenarios.supervised import with_classes_timeline
    from avalanche.benchmarks.scenarios.task_aware import with_task_labels
    from avalanche.benchmarks.utils.classification_dataset import (
        _make_taskaware_tensor_classification_dataset as tensor_dataset,
    )
    from avalanche.models.packnet import PackNetModel
    from avalanche.training.determinism.rng_manager import RNGManager
    from avalanche.training.plugins import EvaluationPlugin
    from avalanche.training.supervised import PackNet

    spec = json.loads(open(spec_path, encoding="utf-8").read())
    blob = torch.load(tensors_path, weights_only=True)
    torch.set_num_threads(1)
    T = spec["n_tasks"]
    heads = spec["head_units"]
    n_out = spec["num_classes"]

    class TaskHeadPackNet(PackNetModel):
        """PackNetModel whose logits outside the task's own output units are -inf.

        The per-task-head (task-incremental) reading of one shared output layer, as in the
        prunegraph run: softmax, loss and argmax over the task's units only. Everything else
        (masks, pruning, freezing, task activation) is Avalanche's PackNetModel unchanged.
        """

        def __init__(self, net: nn.Module):
            super().__init__(net)
            mask = torch.zeros(T, n_out, dtype=torch.bool)
            for t, units in enumerate(heads):
                mask[t, units] = True
            self.register_buffer("head_mask", mask)

        def forward(self, x, task_id):
            out = super().forward(x, task_id)
            return out.masked_fill(~self.head_mask[int(task_id[0])], float("-inf"))

    sizes = spec["layer_sizes"]  # [n_in, 300, 100, n_out]
    layers: list[nn.Module] = [nn.Flatten()]
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    net = nn.Sequential(*layers)
    linears = [m for m in net if isinstance(m, nn.Linear)]
    with torch.no_grad():  # the prunegraph run's initial weights, layer by layer
        for i, lin in enumerate(linears):
            lin.weight.copy_(blob[f"init.{i}.weight"])
            lin.bias.copy_(blob[f"init.{i}.bias"])

    RNGManager.set_random_seeds(spec["seed"])
    model = TaskHeadPackNet(net)
    train = [tensor_dataset(blob[f"task{t}.Xtr"], blob[f"task{t}.ytr"], task_labels=t) for t in range(T)]
    test = [tensor_dataset(blob[f"task{t}.Xte"], blob[f"task{t}.yte"], task_labels=t) for t in range(T)]
    bm = with_task_labels(with_classes_timeline(benchmark_from_datasets(train=train, test=test)))
    opt = torch.optim.SGD(model.parameters(), lr=spec["lr"], momentum=0.9, nesterov=True)
    strategy = PackNet(model=model, optimizer=opt, post_prune_epochs=spec["post_prune_epochs"],
                       prune_proportion=spec["prune_proportion"], train_mb_size=spec["batch_size"],
                       train_epochs=spec["train_epochs"], eval_mb_size=1024, device="cpu",
                       evaluator=EvaluationPlugin(loggers=[]))

    @torch.no_grad()
    def accuracy(j: int) -> float:
        model.eval()
        X, y = blob[f"task{j}.Xte"], blob[f"task{j}.yte"]
        pred = model(X, torch.full((X.shape[0],), j, dtype=torch.long)).argmax(1)
        return float((pred == y).float().mean())

    wrapped = [m for m in model.modules() if hasattr(m, "task_index")]
    R, kept, seconds = [], [], []
    for t, exp in enumerate(bm.train_stream):
        t0 = time.perf_counter()
        strategy.train(exp)
        seconds.append(time.perf_counter() - t0)
        kept.append([int((m.task_index == t).sum()) for m in wrapped])
        R.append([accuracy(j) for j in range(t + 1)])
    out = {"avalanche_version": avalanche.__version__, "torch_version": torch.__version__,
           "R_lower": R, "final_row": R[-1], "ACC": sum(R[-1]) / T,
           "kept_per_task": kept,  # [task][layer]: weights whose task_index is the task
           "bias_trainable_after": [bool(lin.bias.requires_grad) for lin in linears],
           "steps_per_task": None, "seconds_per_task": seconds}
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=1, sort_keys=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
