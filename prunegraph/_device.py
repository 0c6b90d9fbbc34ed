"""Device choice: CUDA when present, CPU otherwise (the only module that decides it)."""

from __future__ import annotations


def default_device(device: str | None = None):
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
