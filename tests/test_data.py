"""Data: the idx reader, Fashion-MNIST location rules, digits split, task streams."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from prunegraph.errors import InputError, UsageError
from prunegraph.models import data as D

REAL_FMNIST = Path(D.FMNIST_DEFAULT_DIR)
HAVE_FMNIST = (REAL_FMNIST / "t10k-labels-idx1-ubyte.gz").is_file()


def idx_bytes(arr: np.ndarray) -> bytes:
    """A literal idx encoder, written independently of the reader."""
    codes = {np.dtype("uint8"): 0x08, np.dtype("int8"): 0x09, np.dtype("int16"): 0x0B,
             np.dtype("int32"): 0x0C, np.dtype("float32"): 0x0D, np.dtype("float64"): 0x0E}
    head = bytes([0, 0, codes[arr.dtype], arr.ndim]) + b"".join(struct.pack(">I", d) for d in arr.shape)
    return head + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("arr", [
    np.arange(24, dtype=np.uint8).reshape(2, 3, 4),
    np.array([-5, 0, 7, 2**30], dtype=np.int32),
    np.array([[1.5, -2.25], [1e-3, 3e5]], dtype=np.float64),
    np.array([[-1, 300]], dtype=np.int16),
    np.array([0.5, -0.25], dtype=np.float32),
    np.array([-128, 127], dtype=np.int8),
], ids=["u8-3d", "i32", "f64", "i16", "f32", "i8"])
def test_read_idx_roundtrip(tmp_path, arr, compress):
    raw = idx_bytes(arr)
    p = tmp_path / "a.idx"
    p.write_bytes(gzip.compress(raw) if compress else raw)
    got = D.read_idx(p)
    assert got.dtype == arr.dtype and got.shape == arr.shape
    np.testing.assert_array_equal(got, arr)


def test_read_idx_hand_checked(tmp_path):
    # 2 big-endian int16 values 0x0102 = 258 and 0xFFFE = -2
    p = tmp_path / "h.idx"
    p.write_bytes(bytes([0, 0, 0x0B, 1, 0, 0, 0, 2, 0x01, 0x02, 0xFF, 0xFE]))
    assert D.read_idx(p).tolist() == [258, -2]


@pytest.mark.parametrize("raw, match", [
    (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "not an idx file"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "unknown idx type code 0x07"),
    (b"\x00\x00\x08\x02\x00\x00\x00\x01", "header truncated"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x03\x05\x06", "truncated or damaged"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x01\x05\x06", "truncated or damaged"),
    (b"\x1f\x8b\x08\x00garbage", "corrupt gzip"),
])
def test_read_idx_bad_files(tmp_path, raw, match):
    p = tmp_path / "bad.idx"
    p.write_bytes(raw)
    with pytest.raises(InputError, match=match) as info:
        D.read_idx(p)
    assert str(p) in str(info.value) and "\n" not in str(info.value)


def test_read_idx_missing(tmp_path):
    with pytest.raises(InputError, match="no such idx file"):
        D.read_idx(tmp_path / "nope.gz")


def make_fake_fmnist(root: Path, n_train=12, n_test=5, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        img = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        lab = rng.integers(0, 10, size=n).astype(np.uint8)
        (root / f"{split}-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(img)))
        (root / f"{split}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(lab)))
        arrays[split] = (img, lab)
    return arrays


def test_fashion_mnist_from_directory_and_env(tmp_path, monkeypatch):
    arrays = make_fake_fmnist(tmp_path)
    X, y = D.load_fashion_mnist(tmp_path, split="train")
    img, lab = arrays["train"]
    assert X.shape == (12, 1, 28, 28) and X.dtype == torch.float32 and y.dtype == torch.int64
    np.testing.assert_allclose(X[:, 0].numpy(), img / 255.0, rtol=0, atol=1e-7)
    np.testing.assert_array_equal(y.numpy(), lab)
    monkeypatch.setenv(D.FMNIST_ENV, str(tmp_path))
    Xt, yt = D.load_fashion_mnist(split="test")
    np.testing.assert_array_equal(yt.numpy(), arrays["t10k"][1])


def test_fashion_mnist_missing_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv(D.FMNIST_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(InputError, match="apt-get install dataset-fashion-mnist"):
        D.load_fashion_mnist()
    with pytest.raises(InputError, match="apt-get install dataset-fashion-mnist"):
        D.load_fashion_mnist(tmp_path)  # directory exists, files do not


def test_fashion_mnist_mismatched_files(tmp_path):
    make_fake_fmnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros(3, np.uint8))))
    with pytest.raises(InputError, match="do not belong together"):
        D.load_fashion_mnist(tmp_path, split="train")


def test_fashion_mnist_bad_split():
    with pytest.raises(UsageError, match="split"):
        D.load_fashion_mnist(split="validation")


@pytest.mark.skipif(not HAVE_FMNIST, reason="Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
def test_real_fashion_mnist():
    X, y = D.load_fashion_mnist(REAL_FMNIST, split="test")
    assert X.shape == (10_000, 1, 28, 28) and y.shape == (10_000,)
    assert float(X.min()) == 0.0 and float(X.max()) == 1.0
    # published facts: 1000 test images per class; the first test images are
    # ankle boot (9), pullover (2), trouser (1), trouser (1), shirt (6)
    assert torch.bincount(y).tolist() == [1000] * 10
    assert y[:5].tolist() == [9, 2, 1, 1, 6]
    ytr = D.read_idx(REAL_FMNIST / "train-labels-idx1-ubyte.gz")
    assert ytr.shape == (60_000,) and np.bincount(ytr).tolist() == [6000] * 10


def test_digits_split_is_a_stratified_partition():
    from sklearn.datasets import load_digits as sk

    bunch = sk()
    Xtr, ytr = D.load_digits(split="train", rng=0)
    Xte, yte = D.load_digits(split="test", rng=0)
    Xall, yall = D.load_digits(split="all")
    assert Xtr.shape[1:] == (1, 8, 8) and len(ytr) + len(yte) == 1797
    assert float(Xall.max()) == 1.0 and float(Xall.min()) == 0.0
    np.testing.assert_allclose(Xall[:, 0].numpy() * 16, bunch.images, atol=1e-5)
    # every test image is one of the digits and no image is in both halves
    rows = {r.tobytes() for r in (Xtr.flatten(1).numpy() * 16).round().astype(np.int8)}
    assert sum(r.tobytes() in rows for r in (Xte.flatten(1).numpy() * 16).round().astype(np.int8)) <= 5
    # stratified: each class holds out round(0.25 * n_c)
    for c in range(10):
        n_c = int((bunch.target == c).sum())
        assert int((yte == c).sum()) == round(0.25 * n_c)


def test_digits_seeded():
    a = D.load_digits(split="test", rng=1)[1]
    b = D.load_digits(split="test", rng=1)[1]
    X0 = D.load_digits(split="test", rng=0)[0]
    X1 = D.load_digits(split="test", rng=1)[0]
    assert torch.equal(a, b) and not torch.equal(X0, X1)


@pytest.mark.parametrize("bad", [dict(split="dev"), dict(test_fraction=1.0)])
def test_digits_bad_arguments(bad):
    with pytest.raises(UsageError):
        D.load_digits(**bad)


def small_tensors(n_classes=10, n=200, seed=0):
    g = torch.Generator().manual_seed(seed)
    Xtr = torch.rand(n, 1, 4, 4, generator=g)
    ytr = torch.arange(n) % n_classes
    Xte = torch.rand(n // 2, 1, 4, 4, generator=g)
    yte = torch.arange(n // 2) % n_classes
    return (Xtr, ytr), (Xte, yte)


def test_split_stream():
    tasks = D.task_stream("digits", stream_type="split", n_tasks=5, rng=0)
    assert [t.task_id for t in tasks] == list(range(5))
    assert [t.classes for t in tasks] == [(0, 1), (2, 3), (4, 5), (6, 7), (8, 9)]
    Xtr, ytr = D.load_digits(split="train", rng=0)
    assert sum(len(t.train[1]) for t in tasks) == len(ytr)
    for t in tasks:
        assert set(t.train[1].tolist()) == set(t.classes) == set(t.test[1].tolist())
        assert t.stream_type == "split" and t.permutation is None
        assert t.to_dict()["n_train"] == len(t.train[1])
    local = D.task_stream("digits", stream_type="split", n_tasks=5, rng=0, labels="local")
    for t, tl in zip(tasks, local):
        assert set(tl.train[1].tolist()) == {0, 1}
        assert torch.equal(tl.train[1], t.train[1] - t.classes[0])
        assert torch.equal(tl.train[0], t.train[0])


def test_split_stream_shuffled_is_seeded():
    data = small_tensors()
    a = D.task_stream(data, stream_type="split", n_tasks=3, classes_per_task=3, shuffle_classes=True, rng=5)
    b = D.task_stream(data, stream_type="split", n_tasks=3, classes_per_task=3, shuffle_classes=True, rng=5)
    assert [t.classes for t in a] == [t.classes for t in b]
    used = [c for t in a for c in t.classes]
    assert len(used) == len(set(used)) == 9
    others = {tuple(t.classes for t in D.task_stream(data, stream_type="split", n_tasks=3, classes_per_task=3,
                                                     shuffle_classes=True, rng=s)) for s in range(6)}
    assert len(others) > 1


def test_permuted_stream():
    data = small_tensors()
    tasks = D.task_stream(data, stream_type="permuted", n_tasks=4, rng=3)
    (Xtr, ytr), (Xte, yte) = data
    assert tasks[0].permutation is None and torch.equal(tasks[0].train[0], Xtr)
    perms = [t.permutation for t in tasks[1:]]
    for t, p in zip(tasks[1:], perms):
        assert sorted(p.tolist()) == list(range(16))
        torch.testing.assert_close(t.train[0].flatten(1), Xtr.flatten(1)[:, p])
        torch.testing.assert_close(t.test[0].flatten(1), Xte.flatten(1)[:, p])
        assert torch.equal(t.train[1], ytr) and t.classes == tuple(range(10))
    assert not torch.equal(perms[0], perms[1])
    again = D.task_stream(data, stream_type="permuted", n_tasks=4, rng=3)
    assert all(torch.equal(a.permutation, b.permutation) for a, b in zip(tasks[1:], again[1:]))
    first = D.task_stream(data, stream_type="permuted", n_tasks=2, rng=3, permute_first=True)
    assert first[0].permutation is not None


def test_stream_subsample():
    tasks = D.task_stream(small_tensors(), stream_type="permuted", n_tasks=2, n_train=30, n_test=10, rng=0)
    assert [len(t.train[1]) for t in tasks] == [30, 30] and len(tasks[0].test[1]) == 10


@pytest.mark.parametrize("kwargs, match", [
    (dict(stream_type="rotated"), "stream_type"),
    (dict(n_tasks=0), "n_tasks"),
    (dict(n_tasks=11), "cannot split"),
    (dict(labels="both"), "labels"),
])
def test_stream_errors(kwargs, match):
    with pytest.raises(UsageError, match=match):
        D.task_stream(small_tensors(), **kwargs)


def test_unknown_dataset():
    with pytest.raises(UsageError, match="unknown data set"):
        D.task_stream("cifar100")
