"""Checkpoint files: the only module that reads or writes them.

* :func:`read_checkpoint` — any checkpoint file as a :class:`Checkpoint` (tensors, metadata,
  source, format): ``.safetensors`` read with safetensors; ``.pt``/``.pth`` state_dicts and
  checkpoint dicts (``state_dict`` / ``model_state_dict`` / ``model``) read with
  ``torch.load(weights_only=True)``, which never runs pickled code (a fully pickled model is
  refused, naming the classes it would import and saying how to save a state_dict).
  :func:`from_mapping` gives the same record for a state_dict already in memory.
* :func:`safetensors_source` / :func:`memory_source` — a :class:`TensorSource`: shapes and
  dtypes now, row slices on demand (layer-at-a-time building, :func:`prunegraph.stream_layers`).
* :func:`save_checkpoint` / :func:`load_checkpoint` — a zoo model (pruned in
  :mod:`torch.nn.utils.prune` form) as safetensors plus a JSON manifest ``<stem>.json`` beside
  it (:func:`manifest_path`) with the file's :func:`file_sha256` and :func:`package_versions`.

Metadata keys of a prunegraph safetensors header are :data:`META_MODEL`,
:data:`META_INPUT_SHAPE` (JSON list), :data:`META_NUM_CLASSES` and :data:`META_MANIFEST` (JSON).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from ._io import atomic_path, write_json
from .errors import InputError, UsageError

#: safetensors metadata: the zoo model name (:func:`prunegraph.models.zoo.get_model`)
META_MODEL = "prunegraph_model"
#: safetensors metadata: per-sample input shape, a JSON list of ints
META_INPUT_SHAPE = "prunegraph_input_shape"
#: safetensors metadata: number of classes, an integer as text
META_NUM_CLASSES = "prunegraph_num_classes"
#: safetensors metadata: the manifest, JSON
META_MANIFEST = "prunegraph_manifest"
#: metadata naming a zoo model to trace (also read from the top level of a checkpoint dict)
MODEL_META_KEYS = (META_MODEL, META_INPUT_SHAPE, META_NUM_CLASSES)
#: entries of a checkpoint dict that may hold the state_dict, tried in order
STATE_KEYS = ("state_dict", "model_state_dict", "model", "net", "network")
#: file format note written into every manifest
PRUNED_CHECKPOINT_FORMAT = ("safetensors; pruned parameters stored in torch.nn.utils.prune format: "
                     "<p>_orig (float32, already zero where pruned) and <p>_mask (float32 0/1)")


@dataclass(frozen=True)
class Checkpoint:
    """What a checkpoint file holds.

    Attributes
    ----------
    tensors : dict of str to torch.Tensor
        The state_dict (non-tensor entries dropped, a DataParallel ``module.`` prefix removed).
    metadata : dict
        safetensors header metadata, or the :data:`MODEL_META_KEYS` of a checkpoint dict.
    source : str
        The path read (or ``"state_dict"`` for one in memory).
    format : str
        ``"safetensors"``, ``"torch"`` (``torch.load(weights_only=True)``) or ``"state_dict"``.
    """

    tensors: dict
    metadata: dict
    source: str
    format: str


# --------------------------------------------------------------------------- reading
def read_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint file into a :class:`Checkpoint` without running pickled code.

    ``.safetensors`` files are read with safetensors (metadata = its header metadata);
    anything else with ``torch.load(weights_only=True)``; a checkpoint dict's ``state_dict`` /
    ``model_state_dict`` / ``model`` entry is taken, and a ``module.`` prefix (DataParallel) is
    removed.

    Examples
    --------
    >>> import tempfile, pathlib, torch
    >>> from safetensors.torch import save_file
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.safetensors"
    >>> save_file({"fc.weight": torch.ones(2, 3)}, str(p), metadata={META_MODEL: "lenet300"})
    >>> ck = read_checkpoint(p)
    >>> ck.format, list(ck.tensors), ck.metadata[META_MODEL]
    ('safetensors', ['fc.weight'], 'lenet300')

    Raises
    ------
    InputError
        Missing, truncated or unknown file; a fully pickled model; no tensors inside.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file; give a .pt/.pth state_dict or a .safetensors file")
    if p.is_dir():
        raise InputError(f"{p}: is a directory; give a .pt/.pth state_dict or a .safetensors file")
    with open(p, "rb") as fh:
        head = fh.read(16)
    if p.suffix == ".safetensors" or (len(head) >= 9 and head[8:9] == b"{" and p.suffix not in (".pt", ".pth")):
        sd, meta = _read_safetensors(p)
        return Checkpoint(sd, meta, str(p), "safetensors")
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            obj = torch.load(p, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        msg = str(exc)
        found = re.search(r"GLOBAL ([\w.]+)", msg)
        if not found and head[:1] == b"\x80":  # a plain pickle stream: name its imports, run nothing
            globs = _pickle_globals(p)
            found = re.search(r"(.+)", globs[0]) if globs else None
        if found:
            raise InputError(f"{p}: holds pickled Python objects ({found.group(1)}), e.g. a fully pickled "
                             f"model, which are never unpickled (that could run code); save the weights "
                             f"instead: torch.save(model.state_dict(), path)") from None
        detail = re.search(r"WeightsUnpickler error:\s*([^\n]+)", msg)
        raise InputError(f"{p}: not a readable torch checkpoint "
                         f"({_first_sentence(detail.group(1) if detail else msg)}); "
                         f"re-save it with torch.save(model.state_dict(), path)") from None
    except (RuntimeError, EOFError, KeyError, ValueError, zipfile.BadZipFile, OSError, IndexError,
            AttributeError, TypeError) as exc:
        raise InputError(f"{p}: not a readable torch checkpoint, truncated or of an unknown format "
                         f"({type(exc).__name__}: {_first_sentence(str(exc))}); "
                         f"re-save it with torch.save(model.state_dict(), path)") from None
    return from_mapping(obj, str(p), format="torch")


def _pickle_globals(path: Path, limit: int = 1 << 20) -> list[str]:
    """Module.name of every class/function a plain pickle stream would import, found by reading
    its opcodes with :mod:`pickletools` (nothing is executed)."""
    import io
    import pickletools

    with open(path, "rb") as fh:
        data = fh.read(limit)
    found: list[str] = []
    strings: list[str] = []
    try:
        for op, arg, _ in pickletools.genops(io.BytesIO(data)):
            if op.name in ("GLOBAL", "INST") and isinstance(arg, str):
                found.append(arg.replace(" ", "."))
            elif op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8"):
                strings.append(str(arg))
            elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
                found.append(f"{strings[-2]}.{strings[-1]}")
    except Exception:  # truncated or not a pickle: report what was seen so far
        pass
    return found


def _first_sentence(text: str) -> str:
    line = (text.strip().splitlines() or [""])[0]
    return line.split(". ")[0][:120]


def _read_safetensors(p: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    try:
        from safetensors import safe_open

        with safe_open(str(p), framework="pt", device="cpu") as f:
            meta = dict(f.metadata() or {})
            sd = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as exc:  # SafetensorError and friends
        raise InputError(f"{p}: not a readable safetensors file, truncated or corrupt "
                         f"({_first_sentence(str(exc)) or type(exc).__name__}); "
                         f"re-save it with safetensors.torch.save_file") from None
    return sd, meta


def from_mapping(obj: Any, source: str = "state_dict", *, format: str = "state_dict") -> Checkpoint:
    """A state_dict, or a checkpoint dict holding one (``state_dict`` / ``model_state_dict`` /
    ``model`` ...), as a :class:`Checkpoint`: non-tensor entries dropped, a ``module.`` prefix
    (DataParallel) removed, the prunegraph metadata keys (:data:`MODEL_META_KEYS`) kept.

    Examples
    --------
    >>> import torch
    >>> ck = from_mapping({"state_dict": {"module.fc.weight": torch.ones(2, 2)}, "epoch": 3})
    >>> list(ck.tensors), ck.format
    (['fc.weight'], 'state_dict')
    """
    meta: dict[str, Any] = {}
    if isinstance(obj, Mapping):
        meta = {k: obj[k] for k in MODEL_META_KEYS if k in obj}
        for key in STATE_KEYS:
            inner = obj.get(key)
            if isinstance(inner, Mapping) and any(isinstance(v, torch.Tensor) for v in inner.values()):
                obj = inner
                break
        sd = {k: v for k, v in obj.items() if isinstance(k, str) and isinstance(v, torch.Tensor)}
    else:
        sd = {}
    if not sd:
        kind = type(obj).__name__
        keys = ", ".join(list(map(str, obj.keys()))[:6]) if isinstance(obj, Mapping) else kind
        raise InputError(f"{source}: no tensors found (top level: {keys}); save a state_dict, or a dict "
                         f"with it under 'state_dict' or 'model_state_dict'")
    if all(k.startswith("module.") for k in sd):
        sd = {k[len("module."):]: v for k, v in sd.items()}
    return Checkpoint(sd, meta, source, format)


# --------------------------------------------------------------------------- reading by slices
_ST_DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
              "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
              "U8": torch.uint8, "BOOL": torch.bool}


class TensorSource:
    """Shapes, dtypes and row slices of a checkpoint's tensors, read on demand."""

    def __init__(self, name: str, shapes: dict, dtypes: dict, rows: Callable[[str, int, int], torch.Tensor],
                 meta: dict):
        self.name, self.shapes, self.dtypes, self._rows, self.meta = name, shapes, dtypes, rows, meta

    def rows(self, key: str, r0: int, r1: int) -> torch.Tensor:
        return self._rows(key, r0, r1)


def safetensors_source(p: Path) -> TensorSource:
    """A :class:`TensorSource` reading a ``.safetensors`` file slice by slice (header read now)."""
    from safetensors import safe_open

    def opened():
        return safe_open(str(p), framework="pt", device="cpu")

    try:
        with opened() as f:
            meta = dict(f.metadata() or {})
            shapes, dtypes = {}, {}
            for k in f.keys():
                sl = f.get_slice(k)
                shapes[k] = tuple(int(s) for s in sl.get_shape())
                dtypes[k] = _ST_DTYPES.get(sl.get_dtype(), torch.uint8)
    except Exception as exc:  # SafetensorError and friends
        raise InputError(f"{p}: not a readable safetensors file, truncated or corrupt "
                         f"({_first_sentence(str(exc)) or type(exc).__name__}); "
                         f"re-save it with safetensors.torch.save_file") from None

    def rows(key: str, r0: int, r1: int) -> torch.Tensor:
        # open per block: the file mapping (and its resident pages) is released after each read
        try:
            with opened() as f:
                if not shapes[key]:
                    return f.get_tensor(key)
                return f.get_slice(key)[r0:r1]
        except Exception as exc:
            raise InputError(f"{p}: tensor {key} could not be read ({_first_sentence(str(exc))}); "
                             f"the file is truncated or corrupt, re-save it") from None

    return TensorSource(str(p), shapes, dtypes, rows, meta)


def memory_source(ck: Checkpoint) -> TensorSource:
    """A :class:`TensorSource` over tensors already in memory."""
    sd, meta, name = ck.tensors, ck.metadata, ck.source
    return TensorSource(name, {k: tuple(v.shape) for k, v in sd.items()}, {k: v.dtype for k, v in sd.items()},
                         lambda k, a, b: sd[k] if sd[k].ndim == 0 else sd[k][a:b], meta)


# --------------------------------------------------------------------------- shipped reference checkpoints
#: environment variable naming another folder of reference checkpoints
DATA_DIR_ENV = "PRUNEGRAPH_DATA_DIR"


def reference_checkpoints() -> list[Path]:
    """The reference checkpoints shipped with the package (``prunegraph/_data/reference``, found
    with :mod:`importlib.resources`, so any install has them), sorted; ``$PRUNEGRAPH_DATA_DIR``
    names another folder instead.

    Examples
    --------
    >>> [p.name for p in reference_checkpoints()][:1]
    ['lenet300_digits_imp.safetensors']
    """
    if os.environ.get(DATA_DIR_ENV):
        root = Path(os.environ[DATA_DIR_ENV])
    else:
        from importlib.resources import files

        root = Path(str(files("prunegraph") / "_data" / "reference"))
    found = sorted(root.glob("*.safetensors"))
    if not found:
        raise UsageError(f"no reference checkpoints in {root}; reinstall prunegraph, set {DATA_DIR_ENV}, "
                         "or name a checkpoint: prunegraph fit PATH")
    return found


# --------------------------------------------------------------------------- pruned zoo models
def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def package_versions() -> dict[str, str]:
    """Versions of prunegraph, Python, torch, numpy, safetensors (for manifests)."""
    import platform

    import safetensors

    from . import __version__

    return {"prunegraph": __version__, "python": platform.python_version(), "torch": torch.__version__,
            "numpy": np.__version__, "safetensors": safetensors.__version__}


def manifest_path(path: Path) -> Path:
    """The JSON manifest beside a checkpoint: ``<stem>.json``."""
    return path.with_suffix(".json")


def save_checkpoint(model: nn.Module, path: str | os.PathLike, *, manifest: Mapping[str, Any] | None = None) -> Path:
    """Write a zoo model (pruned or not) as safetensors plus a JSON manifest beside it.

    The ``.safetensors`` file holds the state dict — pruned parameters as ``<p>_orig`` (zeroed
    where pruned) and ``<p>_mask`` (float32 0/1), i.e. the :mod:`torch.nn.utils.prune` format —
    and metadata ``prunegraph_model``, ``prunegraph_input_shape`` (JSON list),
    ``prunegraph_num_classes`` and ``prunegraph_manifest`` (JSON). The manifest file
    ``<stem>.json`` repeats the manifest and adds ``file``, ``sha256``, ``format``, ``model``,
    ``input_shape``, ``num_classes``, ``densities`` and ``overall_density`` computed from the
    model. Both writes are atomic.

    Parameters
    ----------
    model : nn.Module
        A model from :func:`prunegraph.models.zoo.get_model` (needs ``zoo_name``, ``input_shape``,
        ``num_classes``).
    path : path-like
        Target ``.safetensors`` file.
    manifest : mapping, optional
        JSON-ready facts about how the model was made (method, accuracies, seed...).

    Returns
    -------
    Path
        The manifest path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from prunegraph.models.zoo import get_model
    >>> m = get_model("lenet300", input_shape=(1, 8, 8), rng=0)
    >>> from prunegraph.training.prune import layer_densities, magnitude_prune
    >>> _ = magnitude_prune(m, density=0.2)
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.safetensors"
    >>> _ = save_checkpoint(m, p, manifest={"method": "magnitude"})
    >>> m2, man = load_checkpoint(p)
    >>> layer_densities(m2) == layer_densities(m), man["method"]
    (True, 'magnitude')
    """
    from safetensors.torch import save_file

    from .training.prune import _report

    for attr in ("zoo_name", "input_shape", "num_classes"):
        if not hasattr(model, attr):
            raise UsageError(f"save_checkpoint: model has no {attr!r}; build it with prunegraph.models.zoo.get_model")
    path = Path(path)
    if path.suffix != ".safetensors":
        raise UsageError(f"save_checkpoint: {path} must end in .safetensors")
    manifest = dict(manifest or {})
    state = {k: v.detach().to("cpu").contiguous().clone() for k, v in model.state_dict().items()}
    for k in list(state):
        if k.endswith("_orig") and k[:-5] + "_mask" in state:
            state[k] = state[k] * (state[k[:-5] + "_mask"] != 0)
    rep = _report(model, "saved")
    info = {"model": model.zoo_name, "input_shape": list(model.input_shape),
            "num_classes": int(model.num_classes), "format": PRUNED_CHECKPOINT_FORMAT,
            "densities": rep.densities, "overall_density": rep.overall_density}
    full = {**manifest, **info}
    meta = {META_MODEL: model.zoo_name,
            META_INPUT_SHAPE: json.dumps(list(model.input_shape)),
            META_NUM_CLASSES: str(int(model.num_classes)),
            META_MANIFEST: json.dumps(full, sort_keys=True)}
    with atomic_path(path) as tmp:
        save_file(state, str(tmp), metadata=meta)
    return write_json(manifest_path(path), {**full, "file": path.name, "sha256": file_sha256(path)})


def load_checkpoint(path: str | os.PathLike, *, verify: bool = True) -> tuple[nn.Module, dict]:
    """Rebuild a zoo model from a prunegraph ``.safetensors`` checkpoint (no pickle).

    Parameters
    ----------
    path : path-like
    verify : bool
        If the manifest ``<stem>.json`` exists and records a sha256, check it (InputError on
        mismatch).

    Returns
    -------
    (nn.Module, dict)
        The model in eval mode, pruned layers in :mod:`torch.nn.utils.prune` form, and the
        manifest (the ``.json`` beside the file when present, else the embedded one).

    Raises
    ------
    InputError
        Not a readable safetensors file, no prunegraph metadata, or tensors that do not fit.
    """
    from torch.nn.utils import prune as tprune

    from .models.zoo import get_model
    from .training.prune import _layers

    path = Path(path)
    ck = read_checkpoint(path)
    state, meta = ck.tensors, ck.metadata  # the one reader: safetensors or weights_only, never pickle
    if META_MODEL not in meta:
        raise InputError(f"{path}: no prunegraph_model metadata; load it with prunegraph.load(..., model=NAME) instead")
    try:
        shape = tuple(json.loads(meta[META_INPUT_SHAPE]))
        num_classes = int(meta[META_NUM_CLASSES])
        manifest = json.loads(meta.get(META_MANIFEST, "{}"))
    except (KeyError, ValueError) as exc:
        raise InputError(f"{path}: bad prunegraph metadata ({exc}); re-save with save_checkpoint") from None
    side = manifest_path(path)
    if side.is_file():
        try:
            side_manifest = json.loads(side.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise InputError(f"{side}: manifest is not valid JSON ({exc}); regenerate it") from None
        if verify and side_manifest.get("sha256") and side_manifest["sha256"] != file_sha256(path):
            raise InputError(f"{path}: sha256 differs from its manifest {side.name}; the file was changed "
                             "or the manifest is stale")
        manifest = side_manifest
    model = get_model(meta[META_MODEL], num_classes=num_classes, input_shape=shape)
    layers = _layers(model)
    for k in state:
        if k.endswith("_mask") and k[:-5] + "_orig" in state:
            key = k[:-5]
            if key not in layers:
                raise InputError(f"{path}: pruned tensor {key} is not a prunable layer of "
                                 f"{meta['prunegraph_model']}; the file does not match its metadata")
            mod, p = layers[key]
            tprune.identity(mod, p)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        raise InputError(f"{path}: tensors do not fit model {meta['prunegraph_model']} "
                         f"({' '.join(first[:2])[:300]})") from None
    for k, (mod, p) in layers.items():  # refresh the derived weight from the loaded orig * mask
        if hasattr(mod, p + "_mask"):
            setattr(mod, p, getattr(mod, p + "_orig") * getattr(mod, p + "_mask"))
    model.eval()
    return model, manifest


__all__ = ["Checkpoint", "read_checkpoint", "from_mapping", "TensorSource", "safetensors_source",
           "memory_source", "save_checkpoint", "load_checkpoint", "manifest_path", "file_sha256",
           "package_versions", "reference_checkpoints", "META_MODEL", "META_INPUT_SHAPE", "META_NUM_CLASSES", "META_MANIFEST",
           "MODEL_META_KEYS", "STATE_KEYS", "PRUNED_CHECKPOINT_FORMAT"]
