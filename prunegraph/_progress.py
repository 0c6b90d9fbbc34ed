"""Progress display: a tqdm bar on stderr when enabled, nothing otherwise.

Library functions take ``progress: bool = False`` and pass it here; the CLI turns it on
(off with ``--quiet``).  Library code never prints; tqdm writes to stderr only when asked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")


def progress(iterable: Iterable[T], *, desc: str = "", total: int | None = None,
             enabled: bool = False) -> Iterable[T]:
    """Wrap ``iterable`` in a tqdm bar when ``enabled``; return it unchanged otherwise."""
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, leave=False, dynamic_ncols=True)
