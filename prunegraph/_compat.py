"""Deprecated names kept working for one release (0.1 -> 0.2), each with a :class:`DeprecationWarning`.

The 0.2 names say what they mean: ``layer_type`` (linear, conv, ...), ``degree_kind`` (in, out,
total, strength), ``stream_type`` (split, permuted).  The helpers here map an old keyword
argument, attribute or module-level name onto its new one.

Examples
--------
>>> import warnings
>>> @renamed_kwargs(kind="layer_type")
... def f(*, layer_type="linear"):
...     return layer_type
>>> with warnings.catch_warnings(record=True) as w:
...     warnings.simplefilter("always")
...     f(kind="conv"), w[0].category.__name__
('conv', 'DeprecationWarning')
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def warn_renamed(old: str, new: str, *, stacklevel: int = 3) -> None:
    """Warn that ``old`` is deprecated in favour of ``new`` (removed in the next release)."""
    warnings.warn(f"{old} is deprecated and will be removed in prunegraph 0.3; use {new}",
                  DeprecationWarning, stacklevel=stacklevel)


def renamed_kwargs(**old_to_new: str) -> Callable[[F], F]:
    """Decorator: accept each old keyword argument as its new name, with a DeprecationWarning.

    Passing both the old and the new name is a :class:`TypeError`, as any duplicate argument."""
    def wrap(func: F) -> F:
        @functools.wraps(func)
        def inner(*args: Any, **kwargs: Any) -> Any:
            for old, new in old_to_new.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{func.__qualname__}() got both {old}= (deprecated) and {new}=")
                    warn_renamed(f"{func.__qualname__}({old}=...)", f"{new}=...")
                    kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)
        return inner  # type: ignore[return-value]
    return wrap


def renamed_attribute(new: str, old: str) -> property:
    """A read-only property ``old`` that returns attribute ``new`` with a DeprecationWarning."""
    def get(self: Any) -> Any:
        warn_renamed(f"{type(self).__name__}.{old}", f".{new}")
        return getattr(self, new)
    return property(get, doc=f"Deprecated alias of :attr:`{new}`.")


def module_aliases(module: str, aliases: dict[str, tuple[str, Any]]) -> Callable[[str], Any]:
    """A module ``__getattr__`` serving deprecated names: ``old -> (new name, value)``."""
    def __getattr__(name: str) -> Any:
        if name in aliases:
            new, value = aliases[name]
            warn_renamed(f"{module}.{name}", f"{module}.{new}")
            return value
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    return __getattr__
