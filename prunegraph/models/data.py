"""Data sets and continual-learning task streams, as plain tensors.

* :func:`load_fashion_mnist` — Fashion-MNIST (Xiao, Rasul & Vollgraf 2017) read from its
  ``idx`` ``.gz`` files with our own reader (:func:`read_idx`); nothing is downloaded. The
  directory is the ``root`` argument, else ``$PRUNEGRAPH_FMNIST_DIR``, else
  ``/usr/share/datasets/fashion-mnist`` (Debian/Ubuntu package ``dataset-fashion-mnist``).
* :func:`load_digits` — scikit-learn's bundled 8x8 digits (1797 images): needs nothing.
* :func:`task_stream` — Split (disjoint class groups, e.g. 5 tasks of 2 classes; Zenke et al.
  2017) and Permuted (one fixed pixel permutation per task; Goodfellow et al. 2013) streams for
  continual learning, deterministic under a seed, each :class:`Task` carrying its id.

Images are float32 ``[N, 1, H, W]`` scaled to ``[0, 1]``; labels are int64 ``[N]``.

Examples
--------
>>> from prunegraph.models.data import load_digits, task_stream
>>> X, y = load_digits(split="train")
>>> X.shape[1:], X.dtype, y.dtype
(torch.Size([1, 8, 8]), torch.float32, torch.int64)
>>> tasks = task_stream("digits", stream_type="split", n_tasks=5, rng=0)
>>> [t.classes for t in tasks][:2]
[(0, 1), (2, 3)]
"""

from __future__ import annotations

import functools
import gzip
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .._compat import renamed_attribute, renamed_kwargs
from .._rng import as_generator
from ..errors import InputError, UsageError

__all__ = ["read_idx", "load_fashion_mnist", "load_digits", "load_dataset", "task_stream", "Task",
           "FMNIST_DEFAULT_DIR", "FMNIST_ENV", "DATASETS"]

#: default location of the Fashion-MNIST idx files (Debian package ``dataset-fashion-mnist``)
FMNIST_DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"
#: environment variable that overrides :data:`FMNIST_DEFAULT_DIR`
FMNIST_ENV = "PRUNEGRAPH_FMNIST_DIR"
#: data set names accepted by :func:`load_dataset` and :func:`task_stream`
DATASETS = ("fashion_mnist", "digits")
_ALIASES = {"fashion_mnist": "fashion_mnist", "fashion-mnist": "fashion_mnist", "fmnist": "fashion_mnist",
            "digits": "digits"}

# idx type code -> big-endian numpy dtype
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_FMNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


# ----------------------------------------------------------------------------- idx reader
def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an ``idx`` file (plain or gzip-compressed) into a numpy array.

    The idx format (LeCun et al., MNIST): two zero bytes, a type code (0x08 uint8, 0x09 int8,
    0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), the number of dimensions ``d``, then
    ``d`` big-endian uint32 sizes, then the data in C order, big-endian.

    Parameters
    ----------
    path : path-like
        The file; gzip is recognised by its magic bytes, not its name.

    Returns
    -------
    numpy.ndarray
        Native byte order, shape from the header.

    Raises
    ------
    InputError
        Missing file, bad magic number, unknown type code, or a size that does not match the
        header (truncated or padded file).

    Examples
    --------
    >>> import tempfile, pathlib, struct
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.idx"
    >>> _ = p.write_bytes(bytes([0, 0, 0x08, 2]) + struct.pack(">II", 2, 3) + bytes(range(6)))
    >>> read_idx(p).tolist()
    [[0, 1, 2], [3, 4, 5]]
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such idx file; check the path") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror}); check permissions") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise InputError(f"{path}: corrupt gzip data ({exc}); re-install or re-copy the file") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise InputError(f"{path}: not an idx file (magic number must start with two zero bytes); "
                         "pass the MNIST-style *-idx?-ubyte[.gz] file")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_DTYPES:
        raise InputError(f"{path}: unknown idx type code 0x{code:02x}; expected one of "
                         + ", ".join(f"0x{c:02x}" for c in _IDX_DTYPES))
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise InputError(f"{path}: idx header truncated ({ndim} dimensions declared); the file is damaged")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[code])
    expected = math.prod(dims) * dtype.itemsize
    if len(raw) - header != expected:
        raise InputError(f"{path}: idx data is {len(raw) - header} bytes but the header {dims} needs "
                         f"{expected}; the file is truncated or damaged")
    arr = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return arr.astype(dtype.newbyteorder("="), copy=True)


# ----------------------------------------------------------------------------- Fashion-MNIST
def _fmnist_dir(root: str | os.PathLike | None) -> Path:
    if root is not None:
        return Path(root)
    env = os.environ.get(FMNIST_ENV)
    return Path(env) if env else Path(FMNIST_DEFAULT_DIR)


def _find(root: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem):
        if (root / name).is_file():
            return root / name
    raise InputError(
        f"Fashion-MNIST file {stem}.gz not found in {root}; run `apt-get install dataset-fashion-mnist`, "
        f"or put the four *-idx?-ubyte.gz files in a directory and pass it as root / set ${FMNIST_ENV}")


@functools.lru_cache(maxsize=4)
def _fmnist_arrays(root: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    img_stem, lab_stem = _FMNIST_FILES[split]
    img_path, lab_path = _find(Path(root), img_stem), _find(Path(root), lab_stem)
    images, labels = read_idx(img_path), read_idx(lab_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise InputError(f"{img_path}: expected uint8 images of shape [N, H, W], got "
                         f"{images.dtype} {images.shape}; is this the images file?")
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise InputError(f"{lab_path}: expected {images.shape[0]} labels, got shape {labels.shape}; "
                         "images and labels files do not belong together")
    if labels.size and int(labels.max()) > 9:
        raise InputError(f"{lab_path}: label {int(labels.max())} out of range 0..9; is this the labels file?")
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def load_fashion_mnist(root: str | os.PathLike | None = None, *,
                       split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """Fashion-MNIST as tensors: ``X`` float32 ``[N, 1, 28, 28]`` in [0, 1], ``y`` int64 ``[N]``.

    Parameters
    ----------
    root : path-like, optional
        Directory with ``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
        ``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz`` (uncompressed also read).
        Default ``$PRUNEGRAPH_FMNIST_DIR``, else ``/usr/share/datasets/fashion-mnist``.
    split : {"train", "test"}
        60 000 training or 10 000 test images.

    Raises
    ------
    InputError
        Files missing (the message says ``apt-get install dataset-fashion-mnist``) or corrupt.

    Examples
    --------
    >>> X, y = load_fashion_mnist(split="test")  # doctest: +SKIP
    >>> X.shape, y[:3].tolist()                   # doctest: +SKIP
    (torch.Size([10000, 1, 28, 28]), [9, 2, 1])
    """
    if split not in _FMNIST_FILES:
        raise UsageError(f"split must be 'train' or 'test', got {split!r}")
    root_dir = _fmnist_dir(root)
    if not root_dir.is_dir():
        raise InputError(
            f"Fashion-MNIST directory {root_dir} does not exist; run `apt-get install dataset-fashion-mnist`, "
            f"or put the four *-idx?-ubyte.gz files in a directory and pass it as root / set ${FMNIST_ENV}")
    images, labels = _fmnist_arrays(str(root_dir.resolve()), split)
    X = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    return X, y


# ----------------------------------------------------------------------------- digits
def _split_indices(y: np.ndarray, test_fraction: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Stratified, seeded split: per class, ``round(test_fraction * n_c)`` go to the test set."""
    gen = as_generator(rng)
    train, test = [], []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        idx = idx[gen.permutation(idx.size)]
        n_test = int(round(test_fraction * idx.size))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def load_digits(*, split: str = "train", test_fraction: float = 0.25,
                rng: np.random.Generator | int | None = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's bundled digits: ``X`` float32 ``[N, 1, 8, 8]`` in [0, 1], ``y`` int64.

    The 1797 images (pixel values 0..16, divided by 16) are split per class, seeded: the same
    ``rng`` and ``test_fraction`` always give the same disjoint train/test sets.

    Parameters
    ----------
    split : {"train", "test", "all"}
    test_fraction : float
        Share of each class held out for ``split="test"`` (0 < f < 1).
    rng : Generator, int or None
        Seed of the split.

    Examples
    --------
    >>> Xtr, ytr = load_digits(split="train")
    >>> Xte, yte = load_digits(split="test")
    >>> len(ytr) + len(yte)
    1797
    """
    if split not in ("train", "test", "all"):
        raise UsageError(f"split must be 'train', 'test' or 'all', got {split!r}")
    if not 0.0 < float(test_fraction) < 1.0:
        raise UsageError(f"test_fraction must lie strictly between 0 and 1, got {test_fraction}")
    from sklearn.datasets import load_digits as _sk_digits

    bunch = _sk_digits()
    images = bunch.images.astype(np.float32) / 16.0
    labels = bunch.target.astype(np.int64)
    if split != "all":
        tr, te = _split_indices(labels, float(test_fraction), rng)
        keep = tr if split == "train" else te
        images, labels = images[keep], labels[keep]
    return torch.from_numpy(np.ascontiguousarray(images)).unsqueeze(1), torch.from_numpy(labels)


def load_dataset(name: str, *, split: str = "train", root: str | os.PathLike | None = None,
                 rng: np.random.Generator | int | None = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Load a data set by name (``"fashion_mnist"``/``"fmnist"`` or ``"digits"``).

    ``root`` is used by Fashion-MNIST only, ``rng`` (the train/test split seed) by digits only.

    Examples
    --------
    >>> X, y = load_dataset("digits", split="test")
    >>> X.shape[0]
    450
    """
    key = _ALIASES.get(str(name).lower())
    if key is None:
        raise UsageError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}")
    if key == "fashion_mnist":
        return load_fashion_mnist(root, split=split)
    return load_digits(split=split, rng=rng)


# ----------------------------------------------------------------------------- task streams
@dataclass(frozen=True, eq=False)
class Task:
    """One task of a continual-learning stream.

    Attributes
    ----------
    task_id : int
        0, 1, 2, ... in stream order.
    train, test : tuple of (X, y) tensors
        ``X`` float32 ``[N, C, H, W]``, ``y`` int64; labels are global class ids unless the
        stream was built with ``labels="local"`` (then 0..len(classes)-1).
    classes : tuple of int
        Global class ids present in this task (all classes for a permuted stream).
    stream_type : str
        ``"split"`` or ``"permuted"``.
    permutation : torch.Tensor or None
        int64 ``[C*H*W]`` pixel permutation of a permuted task (``X_task.flatten(1) =
        X.flatten(1)[:, permutation]``); None for split tasks.
    """

    task_id: int
    train: tuple[torch.Tensor, torch.Tensor]
    test: tuple[torch.Tensor, torch.Tensor]
    classes: tuple[int, ...]
    stream_type: str
    permutation: torch.Tensor | None = None

    def to_local(self, y: torch.Tensor) -> torch.Tensor:
        """Map global class ids to positions in :attr:`classes` (for a per-task head).

        Examples
        --------
        >>> import torch
        >>> t = Task(1, (torch.zeros(0), torch.zeros(0)), (torch.zeros(0), torch.zeros(0)), (2, 3), "split")
        >>> t.to_local(torch.tensor([3, 2, 3])).tolist()
        [1, 0, 1]
        """
        lut = torch.full((max(self.classes) + 1,), -1, dtype=torch.int64)
        lut[list(self.classes)] = torch.arange(len(self.classes))
        if y.numel() and (int(y.min()) < 0 or int(y.max()) > max(self.classes)
                          or bool((lut[y.clamp(0, max(self.classes))] < 0).any())):
            raise UsageError(f"task {self.task_id}: labels outside its classes {self.classes}")
        return lut[y]

    def to_dict(self) -> dict:
        """JSON-ready summary (no tensors)."""
        return {"task_id": int(self.task_id), "kind": self.stream_type, "classes": [int(c) for c in self.classes],
                "n_train": int(self.train[1].shape[0]), "n_test": int(self.test[1].shape[0])}


def _subsample(X: torch.Tensor, y: torch.Tensor, n: int | None, gen: np.random.Generator):
    if n is None or n >= y.shape[0]:
        return X, y
    idx = torch.from_numpy(np.sort(gen.choice(y.shape[0], size=int(n), replace=False)))
    return X[idx], y[idx]


@renamed_kwargs(kind="stream_type")
def task_stream(dataset: str | tuple, *, stream_type: str = "split", n_tasks: int = 5,
                rng: np.random.Generator | int | None = 0, labels: str = "global",
                classes_per_task: int | None = None, shuffle_classes: bool = False,
                permute_first: bool = False, n_train: int | None = None, n_test: int | None = None,
                root: str | os.PathLike | None = None) -> list[Task]:
    """Build a Split or Permuted continual-learning stream.

    *Split* partitions the classes into ``n_tasks`` disjoint groups (sorted class order, or a
    seeded shuffle with ``shuffle_classes``), e.g. {0,1}, {2,3}, ... for 10 classes and 5 tasks
    (Split-MNIST, Zenke et al. 2017). *Permuted* applies one fixed random pixel permutation per
    task to all images (Permuted-MNIST, Goodfellow et al. 2013); task 0 keeps the original
    pixel order unless ``permute_first``.

    Parameters
    ----------
    dataset : str or ((X_train, y_train), (X_test, y_test))
        ``"fashion_mnist"`` / ``"fmnist"`` / ``"digits"``, or tensors.
    stream_type : {"split", "permuted"}
        (``kind=`` is the deprecated 0.1 name.)
    n_tasks : int
    rng : Generator, int or None
        Seed of permutations, class shuffles and subsampling (and of the digits split).
    labels : {"global", "local"}
        Keep global class ids, or remap each task's labels to 0..k-1 (per-task heads).
    classes_per_task : int, optional
        Split only; default ``n_classes // n_tasks``. Classes left over are not used.
    shuffle_classes : bool
        Split only; shuffle the class order with ``rng`` before grouping.
    permute_first : bool
        Permuted only; also permute task 0.
    n_train, n_test : int, optional
        Seeded random subsample (per task) of the training / test images.
    root : path-like, optional
        Fashion-MNIST directory (see :func:`load_fashion_mnist`).

    Returns
    -------
    list of Task

    Examples
    --------
    >>> tasks = task_stream("digits", stream_type="permuted", n_tasks=3, rng=1)
    >>> [t.task_id for t in tasks], tasks[0].permutation is None, tasks[1].permutation.shape
    ([0, 1, 2], True, torch.Size([64]))
    """
    if stream_type not in ("split", "permuted"):
        raise UsageError(f"stream_type must be 'split' or 'permuted', got {stream_type!r}")
    if labels not in ("global", "local"):
        raise UsageError(f"labels must be 'global' or 'local', got {labels!r}")
    if int(n_tasks) < 1:
        raise UsageError(f"n_tasks must be >= 1, got {n_tasks}")
    n_tasks = int(n_tasks)
    gen = as_generator(rng)
    if isinstance(dataset, str):
        split_seed = int(gen.integers(2**31)) if not isinstance(rng, (int, np.integer)) else int(rng)
        (Xtr, ytr) = load_dataset(dataset, split="train", root=root, rng=split_seed)
        (Xte, yte) = load_dataset(dataset, split="test", root=root, rng=split_seed)
    else:
        try:
            (Xtr, ytr), (Xte, yte) = dataset
        except (TypeError, ValueError):
            raise UsageError("dataset must be a name or ((X_train, y_train), (X_test, y_test))") from None
        Xtr, ytr, Xte, yte = (torch.as_tensor(a) for a in (Xtr, ytr, Xte, yte))
    all_classes = sorted(set(ytr.tolist()) | set(yte.tolist()))
    tasks: list[Task] = []
    if stream_type == "split":
        k = int(classes_per_task) if classes_per_task is not None else len(all_classes) // n_tasks
        if k < 1 or k * n_tasks > len(all_classes):
            raise UsageError(f"cannot split {len(all_classes)} classes into {n_tasks} tasks of "
                             f"{k} classes; lower n_tasks or classes_per_task")
        order = list(all_classes)
        if shuffle_classes:
            order = [order[i] for i in gen.permutation(len(order))]
        for t in range(n_tasks):
            cls = tuple(int(c) for c in order[t * k:(t + 1) * k])
            sel_tr = torch.isin(ytr, torch.tensor(cls))
            sel_te = torch.isin(yte, torch.tensor(cls))
            tr = _subsample(Xtr[sel_tr], ytr[sel_tr], n_train, gen)
            te = _subsample(Xte[sel_te], yte[sel_te], n_test, gen)
            tasks.append(Task(t, tr, te, cls, "split"))
    else:
        n_pix = math.prod(Xtr.shape[1:])
        cls = tuple(int(c) for c in all_classes)
        for t in range(n_tasks):
            if t == 0 and not permute_first:
                perm = None
            else:
                perm = torch.from_numpy(gen.permutation(n_pix).astype(np.int64))
            tr = _subsample(Xtr, ytr, n_train, gen)
            te = _subsample(Xte, yte, n_test, gen)
            if perm is not None:
                tr = (tr[0].flatten(1)[:, perm].reshape(tr[0].shape), tr[1])
                te = (te[0].flatten(1)[:, perm].reshape(te[0].shape), te[1])
            tasks.append(Task(t, tr, te, cls, "permuted", perm))
    if labels == "local":
        tasks = [Task(t.task_id, (t.train[0], t.to_local(t.train[1])), (t.test[0], t.to_local(t.test[1])),
                      t.classes, t.stream_type, t.permutation) for t in tasks]
    return tasks


# 0.1 names, kept for one release with a DeprecationWarning
Task.__init__ = renamed_kwargs(kind="stream_type")(Task.__init__)  # type: ignore[method-assign]
Task.kind = renamed_attribute("stream_type", "kind")  # type: ignore[attr-defined]
