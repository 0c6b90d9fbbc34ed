"""prunegraph: network science for pruned neural networks.

Pruned networks become weighted graphs (units are nodes, surviving weights are edges),
their degree distributions are fitted for power laws by the Clauset–Shalizi–Newman method
and read against random-pruning nulls, and the fitted exponents drive a preferential-
attachment growth scheduler for continual learning.

The top-level names are imported lazily so that ``import prunegraph`` is cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    # input side
    "load": "prunegraph.loading",  # module is not `load.py`: a submodule import would shadow the function
    "stream_layers": "prunegraph.loading",
    # prunegraph.connectome is the module, so its loader is exported under another name
    "load_connectome": "prunegraph.connectome",
    "LayerGraph": "prunegraph.graph",
    "NetworkGraph": "prunegraph.graph",
    "DegreeSequence": "prunegraph.degrees",
    # fitting
    "fit_power_law": "prunegraph.fit",
    "PowerLawFit": "prunegraph.fit",
    "compare_distributions": "prunegraph.fit",
    "LikelihoodRatio": "prunegraph.fit",
    # errors
    "PruneGraphError": "prunegraph.errors",
    "InputError": "prunegraph.errors",
    "UsageError": "prunegraph.errors",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(_EXPORTS[name])
        return getattr(module, name)
    raise AttributeError(f"module 'prunegraph' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
