"""Bootstrap goodness-of-fit refits on a Dask distributed cluster (the only importer of dask).

The semi-parametric bootstrap dominates a big model's fit time, and its replicates are
independent: replicate ``i`` draws from its own generator spawned from one
:class:`numpy.random.SeedSequence`, so the KS distances (and every p-value, and the JSON) are
byte-identical however the replicates are split.  Inside :func:`scheduler` every bootstrap of
:func:`prunegraph.fit.fit_power_law` sends its chunks of replicates to the cluster with
``Client.map`` and gathers them in order; outside it nothing changes.

Why Dask rather than Ray: the work is a list of pure, picklable numpy chunks per fit, which
``Client.map`` / ``gather`` serve directly; ``dask.distributed`` is a pure-Python install whose
scheduler runs anywhere (``dask scheduler`` + ``dask worker tcp://host:8786`` on each machine,
each with prunegraph installed), and a :class:`~dask.distributed.LocalCluster` needs no set-up.
Ray would add its own object store and raylet daemons for no gain on this workload.

Examples
--------
>>> active_client() is None
True
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .errors import UsageError

_ACTIVE: contextvars.ContextVar = contextvars.ContextVar("prunegraph_dask_client", default=None)


def active_client():
    """The Dask client bootstraps use now (inside :func:`scheduler`), or ``None``."""
    return _ACTIVE.get()


@contextlib.contextmanager
def scheduler(address: str | None = "local", *, n_workers: int | None = None) -> Iterator[Any]:
    """Run the bootstrap refits of the enclosed fits on a Dask cluster.

    Parameters
    ----------
    address : str
        ``"local"`` (a :class:`LocalCluster` of ``n_workers`` single-threaded processes, started
        here and closed on exit) or a scheduler address such as ``"tcp://host:8786"``.
    n_workers : int, optional
        Workers of the local cluster (default: one per core).

    Yields
    ------
    dask.distributed.Client

    Raises
    ------
    UsageError
        dask.distributed not installed, or the scheduler cannot be reached.
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise UsageError("--scheduler needs dask.distributed: pip install 'dask[distributed]'") from None
    cluster = None
    try:
        if address in (None, "local"):
            cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
        else:
            client = Client(address, timeout=30)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise UsageError(f"scheduler {address!r} could not be reached ({exc}); start one with "
                         f"'dask scheduler' and 'dask worker ADDRESS', or use --scheduler local") from None
    token = _ACTIVE.set(client)
    try:
        yield client
    finally:
        _ACTIVE.reset(token)
        client.close()
        if cluster is not None:
            cluster.close()


def n_threads(client) -> int:
    """Worker threads of the cluster (how many chunks to cut the replicates into)."""
    return max(1, sum(client.nthreads().values()))


def map_ordered(fn: Callable, items: Sequence, client) -> list:
    """``[fn(x) for x in items]`` computed on the cluster, in order."""
    futures = client.map(fn, list(items), pure=False)
    return client.gather(futures)


__all__ = ["scheduler", "active_client", "map_ordered", "n_threads"]
