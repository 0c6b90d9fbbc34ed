"""Experiment recipes built from :mod:`.train` and :mod:`.prune`, shared by ``prunegraph prune``
and ``scripts/make_reference_checkpoints.py``.

* :func:`prune_and_retrain` — one pruning method by name (``magnitude``, ``global``,
  ``structured``, ``random``, ``imp``) followed by the retraining policy: iterative magnitude
  pruning (Han, Pool, Tran & Dally 2015) retrains inside its rounds; every other method is
  retrained afterwards for ``retrain_epochs`` with the seed ``rng + 1``.
* :func:`random_twin` — the null model of a pruned network: the same dense trained weights,
  masked uniformly at random with exactly the pruned model's per-layer kept counts
  (:func:`~prunegraph.training.prune.random_prune_like`) and retrained for as many epochs.
* :func:`round_summaries` and :func:`pruning_manifest` — the facts every pruned checkpoint's
  manifest records (accuracies, IMP rounds, package versions).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from .._rng import as_seed
from ..errors import UsageError
from ..models.zoo import ZooModel
from . import prune as P
from .train import evaluate, train

#: pruning methods :func:`prune_and_retrain` knows
METHODS = ("magnitude", "global", "structured", "random", "imp")


@dataclass(frozen=True)
class PruneOutcome:
    """What :func:`prune_and_retrain` did: the pruning report, method facts for the manifest
    (``rounds``, ``prune_fraction``, ``epochs_per_round`` for IMP) and the training seconds."""

    report: P.PruneReport
    details: dict = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(frozen=True)
class TwinResult:
    """A random twin (:func:`random_twin`): the model, its pruning report, test accuracy before
    and after retraining (None without ``eval_data``) and the seconds spent."""

    model: nn.Module
    report: P.PruneReport
    accuracy_before_retraining: float | None
    accuracy: float | None
    seconds: float


def round_summaries(imp: P.IMPResult) -> list[dict[str, Any]]:
    """Per IMP round its number, overall density and accuracy (the manifest's ``rounds``)."""
    return [{k: r[k] for k in ("round", "overall_density", "accuracy")} for r in imp.rounds]


def prune_and_retrain(model: nn.Module, X: torch.Tensor, y: torch.Tensor, *, method: str,
                      density: float | Mapping[str, float] | None, reference: nn.Module | None = None,
                      rng: np.random.Generator | int = 0, retrain_epochs: int = 0, prune_fraction: float = 0.2,
                      epochs_per_round: int = 1, eval_data=None, progress: bool = False,
                      **retrain_kw) -> PruneOutcome:
    """Prune ``model`` in place by ``method`` and retrain it.

    Parameters
    ----------
    model : nn.Module
        Trained zoo model, pruned in place.
    X, y : torch.Tensor
        Training data for retraining.
    method : {"magnitude", "global", "structured", "random", "imp"}
        ``magnitude``/``global``: :func:`~prunegraph.training.prune.magnitude_prune` per layer /
        over all layers; ``structured``: :func:`~prunegraph.training.prune.structured_prune`;
        ``random``: :func:`~prunegraph.training.prune.random_prune_like` at ``reference``'s
        per-layer kept counts, or at ``density`` in every layer; ``imp``:
        :func:`~prunegraph.training.prune.iterative_magnitude_prune` (``final_epochs =
        retrain_epochs``).
    density : float or mapping, optional
        Target density (kept share); may be None only for ``random`` with a ``reference``.
    reference : nn.Module, optional
        Pruned model whose per-layer kept counts ``random`` copies.
    rng : Generator or int
        Seed of the pruning (random masks, IMP); retraining after a one-shot method uses ``rng + 1``
        (a Generator gives one int seed first, :func:`prunegraph._rng.as_seed`).
    retrain_epochs : int
        Epochs of retraining after pruning (IMP: after its last round).
    prune_fraction, epochs_per_round : float, int
        IMP only: share of the remaining weights pruned per round, retraining epochs per round.
    eval_data : (X, y), optional
        IMP only: test data whose accuracy each round records.
    **retrain_kw
        Passed to :func:`~prunegraph.training.train.train` (``lr``, ``batch_size``, ``schedule``, ...).

    Returns
    -------
    PruneOutcome

    Examples
    --------
    >>> from prunegraph.models.zoo import get_model
    >>> from prunegraph.models.data import load_digits
    >>> X, y = load_digits(split="train", rng=0)
    >>> m = get_model("lenet300", input_shape=(1, 8, 8), rng=0)
    >>> out = prune_and_retrain(m, X, y, method="magnitude", density=0.1, retrain_epochs=0)
    >>> round(out.report.overall_density, 2)
    0.1
    """
    if method not in METHODS:
        raise UsageError(f"method={method!r}: unknown; choose from {', '.join(METHODS)}")
    rng = as_seed(rng)
    details: dict[str, Any] = {}
    seconds = 0.0
    if method == "random" and reference is not None:
        rep = P.random_prune_like(model, reference, rng=rng)
    elif density is None:
        raise UsageError("prune_and_retrain: give density (or, for method='random', a reference model)")
    elif method in ("magnitude", "global"):
        rep = P.magnitude_prune(model, density=density, scope="layer" if method == "magnitude" else "global")
    elif method == "structured":
        rep = P.structured_prune(model, density=density)
    elif method == "random":
        per_layer = density if isinstance(density, Mapping) else {k: density for k in P.layer_densities(model)}
        rep = P.random_prune_like(model, per_layer, rng=rng)
    else:  # imp
        imp = P.iterative_magnitude_prune(
            model, X, y, density=density, prune_fraction=prune_fraction,
            epochs_per_round=epochs_per_round, final_epochs=retrain_epochs, rng=rng,
            progress=progress, eval_data=eval_data, **retrain_kw)
        rep = imp.report
        seconds += imp.seconds
        details["rounds"] = round_summaries(imp)
        details["prune_fraction"] = prune_fraction
        details["epochs_per_round"] = epochs_per_round
    if method != "imp" and retrain_epochs > 0:
        res = train(model, X, y, epochs=retrain_epochs, rng=rng + 1, progress=progress, **retrain_kw)
        seconds += res.seconds
    return PruneOutcome(rep, details, seconds)


def random_twin(pruned: ZooModel, dense_state: Mapping[str, torch.Tensor], X: torch.Tensor, y: torch.Tensor,
                *, epochs: int, rng: np.random.Generator | int, eval_data=None,
                device: str | torch.device | None = None, **train_kw) -> TwinResult:
    """The random-pruning twin of ``pruned``: ``dense_state`` masked uniformly at random with
    exactly ``pruned``'s per-layer kept counts (seed ``rng``), retrained ``epochs`` epochs (seed
    ``rng + 1``) — the null model a pruned network's degrees are read against.

    Examples
    --------
    >>> import copy
    >>> from prunegraph.models.zoo import get_model
    >>> from prunegraph.models.data import load_digits
    >>> X, y = load_digits(split="train", rng=0)
    >>> m = get_model("lenet300", input_shape=(1, 8, 8), rng=0)
    >>> dense = copy.deepcopy(m.state_dict())
    >>> _ = P.magnitude_prune(m, density=0.1)
    >>> tw = random_twin(m, dense, X, y, epochs=0, rng=2)
    >>> P.layer_counts(tw.model) == P.layer_counts(m)
    True
    """
    from ..models.zoo import get_model

    rng = as_seed(rng)
    twin = get_model(pruned.zoo_name, num_classes=int(pruned.num_classes), input_shape=tuple(pruned.input_shape))
    twin.load_state_dict(dense_state)
    rep = P.random_prune_like(twin, pruned, rng=rng)
    t0 = time.perf_counter()
    before = evaluate(twin, *eval_data, device=device) if eval_data is not None else None
    train(twin, X, y, epochs=epochs, rng=rng + 1, device=device, **train_kw)
    after = evaluate(twin, *eval_data, device=device) if eval_data is not None else None
    return TwinResult(twin, rep, before, after, time.perf_counter() - t0)


def pruning_manifest(*, accuracy_dense: float, accuracy: float, **facts: Any) -> dict[str, Any]:
    """A pruned checkpoint's manifest: ``facts`` plus ``accuracy_dense``, ``accuracy`` (and its
    alias ``accuracy_pruned``) and the :func:`~prunegraph.checkpoint.package_versions`.

    Examples
    --------
    >>> man = pruning_manifest(accuracy_dense=0.9, accuracy=0.88, method="imp")
    >>> man["accuracy_pruned"], sorted(man["versions"])[:2]
    (0.88, ['numpy', 'prunegraph'])
    """
    from ..checkpoint import package_versions

    return {**facts, "accuracy_dense": accuracy_dense, "accuracy": accuracy, "accuracy_pruned": accuracy,
            "versions": package_versions()}


__all__ = ["METHODS", "PruneOutcome", "TwinResult", "prune_and_retrain", "random_twin", "round_summaries",
           "pruning_manifest"]
