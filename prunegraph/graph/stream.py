"""Layer-at-a-time building: :class:`StreamPlan` holds the joined layout and builds each layer only
when iterated (:func:`stream_plan`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .model import LayerGraph, NetworkGraph


@dataclass(frozen=True)
class _LayerSpec:
    name: str
    layer_type: str
    mats: Any
    in_space: str
    out_space: str
    in_offset: int
    out_offset: int
    param: str
    binary: bool
    wiring: str = "traced"

    def build(self) -> LayerGraph:
        w, m = self.mats() if callable(self.mats) else self.mats
        return LayerGraph(self.name, self.layer_type, w, m, self.in_space, self.out_space,
                          self.in_offset, self.out_offset, self.param, self.binary, self.wiring)

    def build_degrees(self, *, strengths: bool = False, edges: bool = False):
        """The layer's degrees, counted block by block from the checkpoint
        (:class:`~prunegraph.degrees.CountedLayer`) when its weight is read lazily; otherwise
        the built :class:`LayerGraph` (which has every degree too).  ``strengths``: also its
        strengths, summed in float64 in a second pass over the blocks, and with ``edges`` its
        edge weights for a weighted null (:func:`~prunegraph.graph.matrices._lazy_strengths`)."""
        if not hasattr(self.mats, "counts"):
            return self.build()
        from ..degrees import CountedLayer
        from .matrices import regular_from_counts

        c = self.mats.counts(nm=self.binary and self.layer_type == "linear")
        st = self.mats.strengths(c, edges=edges) if strengths else None
        n_out, n_in = len(c.in_degree), len(c.out_degree)
        self_map = self.in_space == self.out_space and self.in_offset == self.out_offset and n_in == n_out
        return CountedLayer(self.name, self.layer_type, self.in_space, self.out_space, int(self.in_offset),
                            int(self.out_offset), n_in, n_out, n_edges=c.n_edges, in_degree=c.in_degree,
                            out_degree=c.out_degree,
                            regular=regular_from_counts(c.n_edges, n_out, n_in, binary=self.binary,
                                                        layer_type=self.layer_type, nm=c.nm),
                            wiring=self.wiring, loops=not self_map or c.diagonal, param=self.param,
                            binary=self.binary, raw_nonzero=c.raw_nonzero,
                            in_strength=None if st is None else st.in_strength,
                            out_strength=None if st is None else st.out_strength,
                            edge_weights=None if st is None else st.weights,
                            edge_multiplicity=None if st is None else st.multiplicity)


@dataclass(frozen=True)
class StreamPlan:
    """The joined layout of a network whose layers are built one at a time.

    Iterating yields each :class:`LayerGraph` in dataflow order, built only when reached; a
    layer is not kept by the plan, so at most one layer's unit-level matrices are alive at
    once (plus whatever the caller keeps).  ``spaces``, ``source`` and ``notes`` are those the
    same source gives in :class:`NetworkGraph`.

    Examples
    --------
    >>> import torch
    >>> sd = {"a.weight": torch.ones(4, 3), "b.weight": torch.ones(2, 4)}
    >>> plan = stream_plan(sd)
    >>> [lg.n_edges for lg in plan], plan.spaces
    ([12, 8], {'input': 3, 'a': 4, 'b': 2})
    """

    specs: tuple
    spaces: dict
    source: str = ""
    notes: tuple[str, ...] = ()
    residuals: tuple[tuple[str, str], ...] = ()

    @property
    def layer_names(self) -> list[str]:
        return [s.name for s in self.specs]

    def __len__(self) -> int:
        return len(self.specs)

    def __iter__(self):
        for spec in self.specs:
            yield spec.build()

    def iter_degrees(self, *, strengths: bool = False, edges: bool = False):
        """Each layer's degrees (and ``strengths``, float64; with ``edges`` its edge weights),
        read block by block from the checkpoint without building its matrices
        (:meth:`_LayerSpec.build_degrees`); in order, like iteration."""
        for spec in self.specs:
            yield spec.build_degrees(strengths=strengths, edges=edges)

    @classmethod
    def from_network(cls, net: NetworkGraph) -> StreamPlan:
        """The plan of an already built network: its layers handed out from memory, in order."""
        specs = tuple(_LayerSpec(lg.name, lg.layer_type, (lg.weight, lg.multiplicity), lg.in_space, lg.out_space,
                                 lg.in_offset, lg.out_offset, lg.param, lg.binary, lg.wiring)
                      for lg in net.layers)
        return cls(specs, dict(net.spaces), net.source, net.notes, net.residuals)

    def to_network(self) -> NetworkGraph:
        """Build every layer and return the whole :class:`NetworkGraph` (holds all matrices)."""
        return NetworkGraph(tuple(self), dict(self.spaces), self.source, self.notes, self.residuals)


def stream_plan(state_dict: Mapping[str, Any], *, source: str = "state_dict", arch: Any = None) -> StreamPlan:
    """Plan a bare state_dict's layers (as :func:`graph_from_state_dict`) without building them.

    Values may be tensors or :class:`LazyWeight` (read a block of rows at a time when the
    layer is built).  Joins and notes are decided from names and shapes only.
    """
    from .chain import _plan_state_dict  # chain -> trace -> stream: import on call
    from .trace import _Builder

    b = _Builder(source, lazy=True)
    _plan_state_dict(state_dict, b, arch=arch)
    return b.plan()
