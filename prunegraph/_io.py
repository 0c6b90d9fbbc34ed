"""Atomic output: every file prunegraph writes goes to a temporary name, then is renamed.

A run interrupted mid-write therefore leaves the previous file intact (``os.replace`` is
atomic on POSIX and Windows when source and target are on the same file system, which is
guaranteed here because the temporary file is created in the target's directory).
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import InputError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    Use it for writers that want a file name (``savefig``, ``safetensors.save_file``).
    On error the temporary file is removed and ``path`` is untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> target.read_text()
    'hello'
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
    except OSError as exc:  # an unwritable or impossible place: one line naming the target
        raise InputError(f"{path}: cannot write there ({exc.strerror or exc}); give a path in a writable "
                         f"folder") from None
    os.close(fd)
    tmp_path = Path(tmp)
    # mkstemp makes a private (0600) file; give the output the mode a plain open() would,
    # or keep the mode of the file being replaced
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp_path, mode)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:  # flush to disk before the rename
            os.fsync(fh.fileno())
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def check_writable(path: str | os.PathLike, *, flag: str, folder: bool = False,
                   fix: str = "give a path in a writable folder") -> Path:
    """Make sure now, before any work, that an output can be written at ``path`` later: the
    folder it goes in (``path`` itself with ``folder``) is made, as the writers make it, and a
    nameless file is created in it and dropped.  Otherwise one :class:`InputError` line naming
    ``flag``, ``path`` and ``fix``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> check_writable(pathlib.Path(tempfile.mkdtemp()) / "new" / "r.json", flag="--json").parent.is_dir()
    True
    >>> check_writable("/proc/x/r.json", flag="--json")
    Traceback (most recent call last):
    ...
    prunegraph.errors.InputError: --json /proc/x/r.json: cannot write there (...); give a path in a writable folder
    """
    path = Path(path)
    where = path if folder else path.parent
    if not folder and path.is_dir():
        raise InputError(f"{flag} {path}: is a folder; give a file path (e.g. {path / 'out'}{path.suffix})")
    try:
        where.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        what = "cannot create the folder" if folder else "cannot write there"
        raise InputError(f"{flag} {path}: {what} ({exc.strerror or exc}); {fix}") from None
    try:
        with tempfile.TemporaryFile(dir=where):
            pass
    except OSError as exc:
        raise InputError(f"{flag} {path}: cannot write there ({exc.strerror or exc}); {fix}") from None
    return path


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


#: a JSON list of scalars (numbers, null, true, false) as ``json.dumps(indent=2)`` spreads it
#: over lines; JSON strings hold no raw newline, so only real lists match
_SCALAR_LIST = re.compile(r"\[\n[\s0-9eE+.,a-z-]*?\]")


def dumps_json(obj: Any, *, inline_lists: bool = False) -> str:
    """Deterministic JSON: sorted keys, two-space indent, trailing newline, no NaN literals.

    The package's one JSON encoder: every JSON file and every JSON string embedded in a
    checkpoint goes through it. Beyond JSON's own types it writes numpy scalars and arrays,
    torch tensors (as nested lists), paths (as strings), enums (their value), records with a
    ``to_dict()`` method and other dataclasses (``dataclasses.asdict``). ``inline_lists``
    writes each list of scalars on one line (long curves and kernels: a third of the size).

    Examples
    --------
    >>> import numpy as np
    >>> print(dumps_json({"b": np.float32(0.5), "a": np.arange(2)}), end="")
    {
      "a": [
        0,
        1
      ],
      "b": 0.5
    }
    >>> print(dumps_json({"a": [[0, 1.5], ["x"]], "b": "[0,\\n1]"}, inline_lists=True), end="")
    {
      "a": [
        [0, 1.5],
        [
          "x"
        ]
      ],
      "b": "[0,\\n1]"
    }
    """
    text = json.dumps(obj, indent=2, sort_keys=True, allow_nan=False, default=_json_default) + "\n"
    if inline_lists:
        text = _SCALAR_LIST.sub(
            lambda m: "[" + ", ".join(v.strip() for v in m.group(0)[1:-1].split(",")) + "]", text)
    return text


def write_json(path: str | os.PathLike, obj: Any, *, inline_lists: bool = False) -> Path:
    """Write ``obj`` as deterministic JSON to ``path`` atomically; gzip when it ends in ``.gz``.

    The gzip stream carries no time stamp, so the same object gives the same bytes.
    """
    text = dumps_json(obj, inline_lists=inline_lists)
    if str(path).endswith(".gz"):
        import gzip

        return write_bytes(path, gzip.compress(text.encode("utf-8"), mtime=0))
    return write_text(path, text)


def _json_default(obj: Any) -> Any:
    """The package's one JSON encoder hook: numpy scalars and arrays, paths, records."""
    import numpy as np  # a dependency of the package; imported here to keep _io light

    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, enum.Enum):
        return obj.value
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if type(obj).__module__.startswith("torch") and hasattr(obj, "tolist"):  # a tensor, without importing torch
        return obj.tolist()
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")
