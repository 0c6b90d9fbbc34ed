"""Continual checkpoints: weights, ``<p>_owner`` buffers and a JSON manifest in one file.

Written atomically (safetensors, :func:`prunegraph._io.atomic_path`) after every task and read
through the project's one checkpoint reader (:func:`prunegraph.loading.read_checkpoint`:
safetensors or ``torch.load(weights_only=True)``, never pickle). The manifest (format
:data:`CHECKPOINT_FORMAT`) holds the config, the accuracy matrix, the per-task records and the
RNG scheme, so ``--resume`` continues exactly as the uninterrupted run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import torch

from .._io import atomic_path, dumps_json
from ..errors import InputError

__all__ = ["CHECKPOINT_FORMAT", "save_run", "load_checkpoint_manifest"]

CHECKPOINT_FORMAT = "prunegraph-continual/1"


def save_run(path: str | os.PathLike, tensors: Mapping[str, torch.Tensor], manifest: dict, *,
             model: str, input_shape, num_classes: int) -> Path:
    """Write ``tensors`` (weights and owners) with ``manifest`` in the metadata, atomically.

    Examples
    --------
    >>> import tempfile, torch
    >>> p = Path(tempfile.mkdtemp()) / "r.safetensors"
    >>> _ = save_run(p, {"w": torch.zeros(2)}, {"format": CHECKPOINT_FORMAT}, model="m",
    ...              input_shape=[1], num_classes=2)
    >>> load_checkpoint_manifest(p)[0]["format"]
    'prunegraph-continual/1'
    """
    from safetensors.torch import save_file

    from ..checkpoint import META_INPUT_SHAPE, META_MANIFEST, META_MODEL, META_NUM_CLASSES

    path = Path(path)
    data = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    meta = {META_MODEL: model,
            META_INPUT_SHAPE: dumps_json(list(input_shape)).strip(),
            META_NUM_CLASSES: str(int(num_classes)),
            META_MANIFEST: dumps_json(manifest, inline_lists=True)}
    with atomic_path(path) as tmp:
        save_file(data, str(tmp), metadata=meta)
    return path


def load_checkpoint_manifest(path: str | os.PathLike) -> tuple[dict, dict[str, torch.Tensor]]:
    """Read a continual checkpoint: (manifest dict, tensors incl. ``<p>_owner``).

    Raises :class:`prunegraph.errors.InputError` for files that prunegraph continual did not
    write.

    Examples
    --------
    >>> load_checkpoint_manifest("missing.safetensors")  # doctest: +SKIP
    """
    from ..checkpoint import META_MANIFEST, read_checkpoint

    path = Path(path)
    ck = read_checkpoint(path)  # the one reader: safetensors or weights_only, never pickle
    tensors, meta = ck.tensors, ck.metadata
    if META_MANIFEST not in meta:
        raise InputError(f"{path}: no prunegraph manifest in the metadata; it was not written by "
                         "prunegraph continual")
    man = json.loads(meta[META_MANIFEST])
    if man.get("format") != CHECKPOINT_FORMAT:
        raise InputError(f"{path}: checkpoint format {man.get('format')!r}, expected {CHECKPOINT_FORMAT!r}")
    return man, tensors
