"""Checkpoint files: the only module that reads or writes them.

* :func:`read_checkpoint` — any checkpoint as a :class:`Checkpoint` (tensors, metadata,
  source, format): ``.safetensors`` read with safetensors; ``.pt``/``.pth``/``.bin`` state_dicts
  and checkpoint dicts (the state_dict under any key, e.g. ``state_dict``, ``model_state``,
  ``ema``, nested) read with ``torch.load(weights_only=True)``, which never runs pickled code (a
  fully pickled model is refused, naming the classes it would import and saying how to save a
  state_dict; a TorchScript archive is refused with the same advice); Hugging Face sharded
  checkpoints (an index file or their folder; :func:`checkpoint_files`), with the
  ``config.json`` beside them read as JSON; wrapper prefixes (``module.``, ``_orig_mod.``,
  ``model.``) removed in every format.
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
import logging
import os
import pickle
import re
import warnings
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ._io import atomic_path, write_json
from .errors import InputError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    from .models.zoo import ZooModel

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
#: entries of a checkpoint dict that may hold the state_dict, tried in order (then any key)
STATE_KEYS = ("state_dict", "model_state_dict", "model", "net", "network")
#: metadata: the key (dotted path) of a checkpoint dict the state_dict was read from
META_STATE_KEY = "prunegraph_state_key"
#: metadata: wrapper prefixes removed from every key (``module.``, ``_orig_mod.``, ``model.``)
META_PREFIX = "prunegraph_stripped_prefix"
#: metadata: the parsed Hugging Face ``config.json`` found beside the weights
META_HF_CONFIG = "hf_config"
#: metadata: number of shards read (Hugging Face sharded checkpoints)
META_SHARDS = "prunegraph_shards"
#: wrapper prefixes removed when every key has them (DataParallel/DDP, torch.compile, Lightning ...)
WRAPPER_PREFIXES = ("module.", "_orig_mod.", "model.")
#: file format note written into every manifest
PRUNED_CHECKPOINT_FORMAT = ("safetensors; pruned parameters stored in torch.nn.utils.prune format: "
                     "<p>_orig (float32, already zero where pruned) and <p>_mask (float32 0/1)")


@dataclass(frozen=True)
class Checkpoint:
    """What a checkpoint file holds.

    Attributes
    ----------
    tensors : dict of str to torch.Tensor
        The state_dict (non-tensor entries dropped, wrapper prefixes removed).
    metadata : dict
        safetensors header metadata, or the :data:`MODEL_META_KEYS` of a checkpoint dict; plus
        :data:`META_STATE_KEY` (where in a checkpoint dict the state_dict was found),
        :data:`META_PREFIX` (prefixes removed), :data:`META_HF_CONFIG` (a ``config.json`` beside
        the weights) and :data:`META_SHARDS` (number of shards read).
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
    """Read a checkpoint into a :class:`Checkpoint` without running pickled code.

    ``path`` may be a weight file, a Hugging Face index (``*.index.json``) or a folder
    (:func:`checkpoint_files`).  ``.safetensors`` files are read with safetensors (metadata = its
    header metadata); anything else with ``torch.load(weights_only=True)``; in a checkpoint dict
    the state_dict is found under ``state_dict`` / ``model_state_dict`` / ``model`` ... or else
    under whichever key (at any depth, optimizer states skipped) holds the most tensors, and
    :data:`META_STATE_KEY` says which; wrapper prefixes every key shares are removed.

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
        Missing, truncated or unknown file; a fully pickled model; a TorchScript archive; one
        shard of a sharded checkpoint; no tensors inside.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file; give a .pt/.pth state_dict, a .safetensors file, a Hugging "
                         f"Face index (model.safetensors.index.json) or a checkpoint folder")
    files, meta = checkpoint_files(p)
    if len(files) == 1 and not p.name.endswith(".index.json"):
        ck = _read_file(files[0])
        one, stripped = strip_prefixes(ck.tensors)
        return Checkpoint(one, {**meta, **ck.metadata, **stripped}, str(p), ck.format)
    sd: dict[str, torch.Tensor] = {}
    fmt = "safetensors"
    for f in files:
        part = _read_file(f)
        sd.update(part.tensors)
        fmt = part.format
    sd, stripped = strip_prefixes(sd)
    return Checkpoint(sd, {**meta, **stripped}, str(p), fmt)


_SHARD = re.compile(r"^(.*)-(\d{5})-of-(\d{5})\.(safetensors|bin|pt)$")


def checkpoint_files(path: str | os.PathLike) -> tuple[list[Path], dict[str, Any]]:
    """The weight files a checkpoint path stands for, and metadata found beside them.

    A folder resolves to its Hugging Face index (``model.safetensors.index.json`` /
    ``pytorch_model.bin.index.json``), its ``model.safetensors`` / ``pytorch_model.bin``, or its
    one weight file; an index to its shards, in order.  A ``config.json`` beside the weights is
    read as JSON (nothing imported) into ``meta[META_HF_CONFIG]``.

    Raises
    ------
    InputError
        One shard of a sharded checkpoint (read alone it would give part of the layers); a
        folder without exactly one checkpoint; an index naming missing shards.

    Examples
    --------
    >>> import tempfile, pathlib, torch
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> torch.save({"w": torch.ones(1)}, d / "pytorch_model.bin")
    >>> [f.name for f in checkpoint_files(d)[0]]
    ['pytorch_model.bin']
    """
    p = Path(path)
    if p.is_dir():
        names = ("model.safetensors.index.json", "pytorch_model.bin.index.json", "model.safetensors",
                 "pytorch_model.bin")
        found = next((p / n for n in names if (p / n).is_file()), None)
        if found is None:
            cands = sorted(f for f in p.iterdir() if f.suffix in (".safetensors", ".pt", ".pth", ".bin")
                           or f.name.endswith(".index.json"))
            idx = [f for f in cands if f.name.endswith(".index.json")]
            if len(idx) == 1 or len(cands) == 1:
                found = (idx or cands)[0]
            else:
                if not cands:
                    raise InputError(f"{p}: a folder with no checkpoint in it (no .safetensors, .pt, .pth, "
                                     ".bin or .index.json file); give the path of a checkpoint file")
                listing = ", ".join(f.name for f in cands[:6]) + (", …" if len(cands) > 6 else "")
                raise InputError(f"{p}: a folder with {len(cands)} checkpoint files ({listing}) and no "
                                 "index file joining them; name one of them")
        p = found
    if p.suffix.lower() == ".json" and not p.name.endswith(".index.json"):
        _refuse_json(p)  # a manifest or a config: point to the weights beside it
    meta: dict[str, Any] = {}
    cfg = p.parent / "config.json"
    if cfg.is_file():
        try:
            conf = json.loads(cfg.read_text())
            if isinstance(conf, dict) and conf.get("model_type"):
                meta[META_HF_CONFIG] = conf
        except (OSError, ValueError):
            warnings.warn(f"{cfg}: not readable JSON; ignored", stacklevel=2)
    if p.name.endswith(".index.json"):
        try:
            shards = list(dict.fromkeys(json.loads(p.read_text())["weight_map"].values()))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            raise InputError(f"{p}: not a Hugging Face index (a JSON object with a 'weight_map' of "
                             f"tensor name -> shard file); give the shards' folder or a weight file") from None
        files = [p.parent / s for s in shards]
        missing = [f.name for f in files if not f.is_file()]
        if missing:
            raise InputError(f"{p}: shard(s) {', '.join(missing[:3])} missing beside the index; "
                             f"download every shard the index names")
        meta[META_SHARDS] = len(files)
        return files, meta
    m = _SHARD.match(p.name)
    if m and int(m.group(3)) > 1:
        index = sorted(f.name for f in p.parent.glob("*.index.json"))
        hint = f"give the index ({index[0]}) or the folder" if index else "give the folder holding every shard"
        raise InputError(f"{p}: shard {int(m.group(2))} of {int(m.group(3))} of a sharded checkpoint; read "
                         f"alone it would give part of the layers; {hint}")
    return [p], meta


def _read_file(p: Path) -> Checkpoint:
    """One weight file (safetensors, or torch.load(weights_only=True))."""
    if p.is_dir():
        raise InputError(f"{p}: is a directory inside a checkpoint; give a weight file")
    with open(p, "rb") as fh:
        head = fh.read(16)
    if p.suffix == ".safetensors" or (len(head) >= 9 and head[8:9] == b"{" and p.suffix not in (".pt", ".pth")):
        sd, meta = _read_safetensors(p)
        return Checkpoint(sd, meta, str(p), "safetensors")
    _refuse_torchscript(p)
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
        _log.debug("%s: torch.load failed: %s", p, msg)
        raise InputError(f"{p}: not a torch checkpoint ({_file_kind(head)}); "
                         f"{_CHECKPOINT_HINT}") from None
    except (RuntimeError, EOFError, KeyError, ValueError, zipfile.BadZipFile, OSError, IndexError,
            AttributeError, TypeError) as exc:
        _log.debug("%s: torch.load failed: %r", p, exc)  # the internal detail, for -vv only
        raise InputError(f"{p}: not a readable torch checkpoint ({_file_kind(head)}, or a truncated "
                         f"one); {_CHECKPOINT_HINT}") from None
    return from_mapping(obj, str(p), format="torch")


def _refuse_torchscript(p: Path) -> None:
    """A TorchScript archive holds code (``code/``, ``constants.pkl``); it is never loaded here."""
    if not zipfile.is_zipfile(p):
        return
    try:
        with zipfile.ZipFile(p) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, OSError):
        return
    if any(n.endswith("/constants.pkl") or "/code/__torch__" in n for n in names):
        raise InputError(f"{p}: a TorchScript archive (torch.jit.save): it holds code, which prunegraph "
                         f"never runs; in an environment you trust, save its weights with "
                         f"torch.save(torch.jit.load(path).state_dict(), 'weights.pt') and pass that file "
                         f"(with --model for the architecture)")


def strip_prefixes(sd: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Remove the wrapper prefixes every key shares (:data:`WRAPPER_PREFIXES`, in any nesting).

    Returns the renamed mapping and ``{META_PREFIX: "<removed>"}`` (empty when none was).

    Examples
    --------
    >>> strip_prefixes({"_orig_mod.module.fc.weight": 1})
    ({'fc.weight': 1}, {'prunegraph_stripped_prefix': '_orig_mod.module.'})
    """
    sd = dict(sd)
    removed = []
    while sd:
        pre = next((p for p in WRAPPER_PREFIXES if all(k.startswith(p) for k in sd)), None)
        if pre is None:
            break
        sd = {k[len(pre):]: v for k, v in sd.items()}
        removed.append(pre)
    return sd, ({META_PREFIX: "".join(removed)} if removed else {})


def _find_state(obj: Any, path: str = "", depth: int = 0) -> tuple[Mapping | None, str, int]:
    """The mapping holding the most tensors anywhere in a checkpoint dict (optimizer states skipped)."""
    if not isinstance(obj, Mapping) or depth > 4:
        return None, path, 0
    n = sum(1 for k, v in obj.items() if isinstance(k, str) and isinstance(v, torch.Tensor))
    best: tuple[Mapping | None, str, int] = (obj, path, n) if n else (None, path, 0)
    for k, v in obj.items():
        if not isinstance(k, str) or not isinstance(v, Mapping) or "optim" in k.lower() or k == "scheduler":
            continue
        sub = _find_state(v, f"{path}.{k}" if path else k, depth + 1)
        if sub[2] > best[2]:
            best = sub
    return best


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


_log = logging.getLogger(__name__)

_CHECKPOINT_HINT = ("give a .safetensors file or a .pt/.pth saved with "
                    "torch.save(model.state_dict(), path)")


def _refuse_json(p: Path) -> None:
    """A ``.json`` path: point to the checkpoint beside it (a manifest is not a checkpoint)."""
    if p.name == "config.json":
        raise InputError(f"{p}: is a model configuration, not a checkpoint; pass the folder "
                         f"{p.parent} (the config beside the weights is read) or its weight file")
    for suffix in (".safetensors", ".pt", ".pth"):
        beside = p.with_suffix(suffix)
        if beside.is_file():
            raise InputError(f"{p}: is the JSON manifest that describes a checkpoint, not the "
                             f"checkpoint; pass {beside} instead")
    raise InputError(f"{p}: a JSON file is not a checkpoint; pass the .safetensors or .pt/.pth "
                     "file it describes")


def _file_kind(head: bytes) -> str:
    """What the first bytes of a file look like, in words (for error messages)."""
    if head.startswith(b"PK"):
        return "a zip archive that torch cannot read as a checkpoint"
    if head[:1] == b"\x80":
        return "a pickle stream torch cannot read"
    if head.startswith(b"\x89PNG") or head[:3] == b"\xff\xd8\xff":
        return "an image"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return "an unknown binary format"
    if not text:
        return "an empty file"
    if text.lstrip()[:1] in ("{", "["):
        return "a JSON file"
    return "a text file" if text.isprintable() or "\n" in text else "an unknown format"


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
    ``model`` ..., else under any key, :data:`META_STATE_KEY`), as a :class:`Checkpoint`:
    non-tensor entries dropped, wrapper prefixes removed (:func:`strip_prefixes`), the
    prunegraph metadata keys (:data:`MODEL_META_KEYS`) kept.

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
        inner, where = None, ""
        for key in STATE_KEYS:  # the usual names first
            cand = obj.get(key)
            if isinstance(cand, Mapping) and any(isinstance(v, torch.Tensor) for v in cand.values()):
                inner, where = cand, key
                break
        if inner is None:  # else the largest dict of tensors under any key (ema, model_state, ...)
            inner, where, _ = _find_state(obj)
        if inner is not None and inner is not obj:
            meta[META_STATE_KEY] = where
            obj = inner
        sd = {k: v for k, v in obj.items() if isinstance(k, str) and isinstance(v, torch.Tensor)}
    else:
        sd = {}
    if not sd:
        kind = type(obj).__name__
        keys = ", ".join(list(map(str, obj.keys()))[:6]) if isinstance(obj, Mapping) else kind
        raise InputError(f"{source}: no tensors found (top level: {keys}); save a state_dict, or a dict "
                         f"with it under 'state_dict' or 'model_state_dict'")
    sd, stripped = strip_prefixes(sd)
    return Checkpoint(sd, {**meta, **stripped}, source, format)


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


def safetensors_source(files: Path | Sequence[Path], name: str | None = None,
                       meta: Mapping[str, Any] | None = None) -> TensorSource:
    """A :class:`TensorSource` reading one ``.safetensors`` file, or the shards of one checkpoint,
    slice by slice (headers read now; wrapper prefixes removed as in :func:`read_checkpoint`)."""
    from safetensors import safe_open

    files = [Path(files)] if isinstance(files, (str, os.PathLike)) else [Path(f) for f in files]
    shapes, dtypes, where = {}, {}, {}
    file_meta: dict[str, Any] = {}
    for p in files:
        try:
            with safe_open(str(p), framework="pt", device="cpu") as f:
                file_meta.update(dict(f.metadata() or {}))
                for k in f.keys():
                    sl = f.get_slice(k)
                    shapes[k] = tuple(int(s) for s in sl.get_shape())
                    dtypes[k] = _ST_DTYPES.get(sl.get_dtype(), torch.uint8)
                    where[k] = p
        except Exception as exc:  # SafetensorError and friends
            raise InputError(f"{p}: not a readable safetensors file, truncated or corrupt "
                             f"({_first_sentence(str(exc)) or type(exc).__name__}); "
                             f"re-save it with safetensors.torch.save_file") from None
    original, stripped = strip_prefixes({k: k for k in shapes})  # new name -> key in the file
    shapes = {k: shapes[v] for k, v in original.items()}
    dtypes = {k: dtypes[v] for k, v in original.items()}

    def rows(key: str, r0: int, r1: int) -> torch.Tensor:
        # open per block: the file mapping (and its resident pages) is released after each read
        fk = original[key]
        p = where[fk]
        try:
            with safe_open(str(p), framework="pt", device="cpu") as f:
                if not shapes[key]:
                    return f.get_tensor(fk)
                return f.get_slice(fk)[r0:r1]
        except Exception as exc:
            raise InputError(f"{p}: tensor {fk} could not be read ({_first_sentence(str(exc))}); "
                             f"the file is truncated or corrupt, re-save it") from None

    return TensorSource(name or str(files[0]), shapes, dtypes, rows, {**file_meta, **(meta or {}), **stripped})


def tensor_shapes(path: str | os.PathLike) -> dict[str, tuple[int, ...]]:
    """Shape of every tensor of a checkpoint file (a ``.safetensors`` header only is read).

    Examples
    --------
    >>> import tempfile, pathlib, torch
    >>> from safetensors.torch import save_file
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.safetensors"
    >>> save_file({"conv.weight": torch.ones(6, 1, 5, 5)}, str(p))
    >>> tensor_shapes(p)
    {'conv.weight': (6, 1, 5, 5)}
    """
    p = Path(path)
    if p.suffix == ".safetensors" and p.is_file():
        return dict(safetensors_source(p).shapes)
    return {k: tuple(v.shape) for k, v in read_checkpoint(p).tensors.items()}


def memory_source(ck: Checkpoint) -> TensorSource:
    """A :class:`TensorSource` over tensors already in memory."""
    sd, meta, name = ck.tensors, ck.metadata, ck.source
    return TensorSource(name, {k: tuple(v.shape) for k, v in sd.items()}, {k: v.dtype for k, v in sd.items()},
                         lambda k, a, b: sd[k] if sd[k].ndim == 0 else sd[k][a:b], meta)


# --------------------------------------------------------------------------- shipped reference checkpoints
#: environment variable naming another folder of reference checkpoints
DATA_DIR_ENV = "PRUNEGRAPH_DATA_DIR"


def _shipped_reference_dir() -> Path:
    """The package-data folder of the reference checkpoints, wherever the package is installed."""
    from importlib.resources import files

    return Path(str(files("prunegraph") / "_data" / "reference"))


def reference_checkpoints() -> list[Path]:
    """The reference checkpoints shipped with the package (``prunegraph/_data/reference``, found
    with :mod:`importlib.resources`, so any install has them), sorted; ``$PRUNEGRAPH_DATA_DIR``
    names another folder instead.

    Examples
    --------
    >>> [p.name for p in reference_checkpoints()][:1]
    ['lenet300_digits_imp.safetensors']
    """
    root = Path(os.environ[DATA_DIR_ENV]) if os.environ.get(DATA_DIR_ENV) else _shipped_reference_dir()
    found = sorted(root.glob("*.safetensors"))
    if not found:
        raise UsageError(f"no reference checkpoints in {root}; reinstall prunegraph, set {DATA_DIR_ENV}, "
                         "or name a checkpoint: prunegraph fit PATH")
    return found


def display_source(source: str | os.PathLike) -> str:
    """How a checkpoint's path is shown to a person: a shipped reference checkpoint as
    ``prunegraph/_data/reference/NAME`` wherever the package is installed, a file under the
    working directory relative to it, anything else (other paths, ``connectome:NAME``) as given.

    Examples
    --------
    >>> display_source(reference_checkpoints()[0])
    'prunegraph/_data/reference/lenet300_digits_imp.safetensors'
    >>> display_source("connectome:white1986")
    'connectome:white1986'
    """
    text = str(source)
    if ":" in text and not Path(text).exists():
        return text
    path = Path(text).resolve()
    if path.parent == _shipped_reference_dir().resolve():
        return f"prunegraph/_data/reference/{path.name}"
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return text


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


def save_checkpoint(model: ZooModel, path: str | os.PathLike, *, manifest: Mapping[str, Any] | None = None) -> Path:
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
    model : ZooModel
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


def load_checkpoint(path: str | os.PathLike, *, verify: bool = True) -> tuple[ZooModel, dict]:
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
    for _k, (mod, p) in layers.items():  # refresh the derived weight from the loaded orig * mask
        if hasattr(mod, p + "_mask"):
            setattr(mod, p, getattr(mod, p + "_orig") * getattr(mod, p + "_mask"))
    model.eval()
    return model, manifest


__all__ = ["Checkpoint", "read_checkpoint", "from_mapping", "TensorSource", "safetensors_source", "tensor_shapes",
           "memory_source", "save_checkpoint", "load_checkpoint", "manifest_path", "file_sha256",
           "package_versions", "reference_checkpoints", "META_MODEL", "META_INPUT_SHAPE", "META_NUM_CLASSES",
           "META_MANIFEST",
           "MODEL_META_KEYS", "STATE_KEYS", "PRUNED_CHECKPOINT_FORMAT", "checkpoint_files", "strip_prefixes",
           "META_STATE_KEY", "META_PREFIX", "META_HF_CONFIG", "META_SHARDS", "WRAPPER_PREFIXES"]
