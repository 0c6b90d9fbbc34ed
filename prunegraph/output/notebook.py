"""The set-up every analysis notebook starts with: pick the setting, seed, threads, display.

The notebooks (``notebooks/NN_*.py``) take a papermill parameter ``SIZE`` ("small": the CI
setting, "full": the committed outputs) and a ``SEED``; :func:`notebook_setup` checks the one,
applies the other and returns the chosen setting, so that no notebook repeats these lines.
"""

from __future__ import annotations

from typing import Any

__all__ = ["notebook_setup"]


def notebook_setup(settings: dict[str, dict], size: str, *, seed: int = 0, threads: int = 1) -> dict[str, Any]:
    """Return ``settings[size]`` after seeding torch, setting its threads and pandas' display.

    Parameters
    ----------
    settings : dict
        Setting name (``"small"``, ``"full"``) -> parameters.
    size : str
        The chosen setting (the notebook's ``SIZE`` parameter).
    seed : int
        ``torch.manual_seed`` (the notebooks seed numpy generators from it themselves).
    threads : int
        ``torch.set_num_threads``: one thread is faster than oversubscribed cores on a shared CPU.

    Raises
    ------
    ValueError
        ``size`` is not one of the settings (papermill passes parameters through unchecked).

    Examples
    --------
    >>> notebook_setup({"small": {"n": 1}, "full": {"n": 9}}, "small")
    {'n': 1}
    >>> notebook_setup({"small": {}}, "huge")
    Traceback (most recent call last):
    ...
    ValueError: SIZE='huge': use 'small' (papermill -p SIZE small)
    """
    if size not in settings:
        raise ValueError(f"SIZE={size!r}: use {' or '.join(map(repr, settings))} (papermill -p SIZE small)")
    import pandas as pd
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    pd.set_option("display.precision", 3, "display.width", 200, "display.max_columns", 30,
                  "display.max_rows", 200)
    return dict(settings[size])
