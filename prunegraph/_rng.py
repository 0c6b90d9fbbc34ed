"""One randomness convention for the whole package.

Every function that draws random numbers takes ``rng: Generator | int | None`` and turns it
into a :class:`numpy.random.Generator` with :func:`as_generator`:

- a ``Generator`` is used as is (the caller's stream advances),
- an ``int`` seeds a fresh stream (the same int gives the same numbers on every platform),
- ``None`` draws fresh entropy from the operating system (not reproducible).

Work that splits into named parts (one stream per layer, per task, per stage) derives a child
stream per part with :func:`child`, so a part's numbers do not depend on which other parts ran
or in which order (a process pool gives the same result as a loop). Children are numpy
``SeedSequence`` spawns: ``SeedSequence(entropy, spawn_key=keys)``, the construction numpy
documents for independent parallel streams, with each key an int or a name hashed by CRC-32.

torch code takes the same ``rng`` and gets a seeded ``torch.Generator`` from
:func:`torch_generator`; code that must hand a plain seed on (a subprocess, a file) uses
:func:`seed_int`; work handed to worker processes in numbered parts (bootstrap replicates)
takes its seed sequences from :func:`spawn_seeds`.

Two older derivations keep their own construction, because moving them onto :func:`child`
would change every number they give: ``prunegraph.continual.config.stage_rng`` seeds
``SeedSequence([seed, task, stage])`` (the task and stage are entropy words, where
:func:`child` makes them spawn keys: another stream), and ``prunegraph.analysis._stream_seed``
hashes ``SeedSequence([seed, crc32(layer + kind)])`` to one int seed per fitted sequence (its
bootstrap draws from it).  Both are deterministic and independent of order in the same way.

Examples
--------
>>> from prunegraph._rng import as_generator, child
>>> float(as_generator(0).random()) == float(as_generator(0).random())
True
>>> a, b = child(0, "fc1.weight"), child(0, "fc2.weight")
>>> float(a.random()) != float(b.random())
True
"""

from __future__ import annotations

import numbers
import zlib
from typing import TYPE_CHECKING

import numpy as np

from .errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import torch

RNG = np.random.Generator | int | None
"""The type every ``rng`` argument accepts."""

_SEED_BOUND = 2**62  # seeds handed on as plain ints stay below this (fits int64 and torch)


def _check_int(rng) -> int:
    if isinstance(rng, (bool, np.bool_)) or not isinstance(rng, numbers.Integral):
        raise InputError(f"rng must be a numpy Generator, a non-negative int or None, not "
                         f"{type(rng).__name__} {rng!r}; pass e.g. rng=0")
    if int(rng) < 0:
        raise InputError(f"rng seed must be non-negative, got {int(rng)}; pass e.g. rng=0")
    return int(rng)


def as_generator(rng: RNG = None) -> np.random.Generator:
    """The ``Generator`` behind an ``rng`` argument.

    Parameters
    ----------
    rng : Generator, int or None
        A Generator is returned unchanged; an int seeds a new one (``numpy.random.default_rng``);
        None seeds one from operating-system entropy.

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    InputError
        For anything else (a float, a bool, a negative int, a ``RandomState``).

    Examples
    --------
    >>> g = as_generator(3)
    >>> as_generator(g) is g
    True
    >>> int(as_generator(3).integers(100)) == int(as_generator(3).integers(100))
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    return np.random.default_rng(_check_int(rng))


def _key(k) -> int:
    if isinstance(k, str):
        return zlib.crc32(k.encode("utf-8"))
    return _check_int(k)


def child(rng: RNG, *keys: int | str) -> np.random.Generator:
    """An independent child stream of ``rng`` identified by ``keys``.

    The child is ``default_rng(SeedSequence(entropy, spawn_key=keys))`` where ``entropy`` is
    the int seed itself, or one draw ``rng.integers(2**63)`` when ``rng`` is a Generator (the
    parent then advances by that one draw), or fresh entropy for None. String keys are hashed
    with CRC-32 (stable across runs and platforms, unlike ``hash``). With an int seed,
    ``child(seed, i)`` is the ``i``-th ``SeedSequence(seed).spawn`` child, so existing
    ``spawn``-based code keeps its numbers.

    Parameters
    ----------
    rng : Generator, int or None
        The parent.
    *keys : int or str
        Names of the part (layer name, task index, stage, ...). No keys gives the parent's own
        root stream (``child(seed)`` equals ``as_generator(seed)``).

    Returns
    -------
    numpy.random.Generator

    Examples
    --------
    >>> import numpy as np
    >>> x = child(7, "fc1", 0).random(3)
    >>> bool(np.array_equal(x, child(7, "fc1", 0).random(3)))   # deterministic
    True
    >>> bool(np.array_equal(x, child(7, "fc1", 1).random(3)))   # another part, another stream
    False
    >>> seq = np.random.SeedSequence(7).spawn(3)[2]             # same as numpy's spawn
    >>> bool(np.array_equal(child(7, 2).random(3), np.random.default_rng(seq).random(3)))
    True
    """
    seq = np.random.SeedSequence(_entropy(rng), spawn_key=tuple(_key(k) for k in keys))
    return np.random.default_rng(seq)


def _entropy(rng: RNG) -> int | None:
    """The root entropy of ``rng``: the int itself, one ``integers(2**63)`` draw of a
    Generator, or None (operating-system entropy)."""
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(2**63))
    if rng is None:
        return None
    return _check_int(rng)


def spawn_seeds(rng: RNG, n: int) -> list[np.random.SeedSequence]:
    """``n`` independent child seed sequences of ``rng``, for work split into ``n`` numbered
    parts that may run in other processes (a bootstrap's replicates): child ``i`` is the
    seed sequence of :func:`child` ``(rng, i)`` (numpy's ``SeedSequence(entropy).spawn(n)``),
    drawing the entropy once for all ``n``.

    Examples
    --------
    >>> import numpy as np
    >>> s = spawn_seeds(5, 3)
    >>> bool(np.array_equal(np.random.default_rng(s[2]).random(2), child(5, 2).random(2)))
    True
    """
    return np.random.SeedSequence(_entropy(rng)).spawn(int(n))


def seed_int(rng: RNG = None) -> int:
    """A plain int seed in ``[0, 2**62)`` drawn from ``rng``.

    For handing a seed to something that takes only ints (a worker process, a file, torch).
    The same int ``rng`` always gives the same seed; a Generator advances by one draw.

    Examples
    --------
    >>> seed_int(0) == seed_int(0)
    True
    >>> 0 <= seed_int(None) < 2**62
    True
    """
    return int(as_generator(rng).integers(_SEED_BOUND))


def as_seed(rng: RNG = None) -> int:
    """An int seed for an ``rng`` argument: an int stays itself, a Generator or None gives
    :func:`seed_int`.

    For code whose seeds are ints by design (seeds written to a result file, ``seed + 1`` for
    a second stage): ints keep their meaning, and a Generator is accepted too.

    Examples
    --------
    >>> as_seed(7)
    7
    >>> import numpy as np
    >>> as_seed(np.random.default_rng(7)) == seed_int(7)
    True
    """
    if isinstance(rng, np.random.Generator) or rng is None:
        return seed_int(rng)
    return _check_int(rng)


def torch_generator(rng: RNG = None) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with :func:`seed_int` of ``rng``.

    Pass it as ``generator=`` to ``torch.randperm``, ``torch.rand``, ``DataLoader``... so torch
    draws never touch torch's global seed.

    Examples
    --------
    >>> import torch
    >>> a = torch.rand(2, generator=torch_generator(0))
    >>> bool(torch.equal(a, torch.rand(2, generator=torch_generator(0))))
    True
    """
    import torch

    return torch.Generator().manual_seed(seed_int(rng))
