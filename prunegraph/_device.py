"""Device choice: CUDA when present, CPU otherwise (the only module that decides it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import torch


def default_device(device: str | torch.device | None = None) -> torch.device:
    """Return ``torch.device(device)``, or CUDA when available and ``device`` is None.

    Examples
    --------
    >>> default_device("cpu").type
    'cpu'
    """
    import torch

    if device is not None:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
