"""Per-weight task ownership (PackNet-style bookkeeping) for continual learning.

Every parameter entry has an owner: a task id ``>= 0`` or ``-1`` (free). The ownership of
parameter ``<p>`` is stored beside it as the integer tensor ``<p>_owner`` (docs/api.md), so
``prunegraph.load(checkpoint, task=t)`` sees exactly the weights task ``t`` uses: those with
``0 <= owner <= t`` (earlier tasks' weights are reused in the forward pass).

Rules (Mallya & Lazebnik, PackNet, CVPR 2018, with growth instead of a dense start):

* Prunable weights (``nn.Linear`` and ungrouped ``nn.Conv1d/2d/3d`` weights) are owned per
  *edge*: a unit pair (j, i), i.e. a row/column entry of a Linear weight or a whole kernel
  ``W[j, i, ...]`` of a convolution. Task t trains only the edges it owns.
* The head layer is the last prunable ``nn.Linear``; a task may grow edges only into its own
  output units (rows), so a shared output layer with disjoint rows acts as one head per task.
* Other parameter entries (biases, normalisation) are trained by the first task that may use
  them and frozen afterwards: hidden biases and normalisation parameters by task 0, head-bias
  entries by the task whose output unit they belong to. Normalisation running statistics are
  frozen after task 0 (those modules run in eval mode for later tasks).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..errors import InputError, UsageError

__all__ = ["FREE", "OWNER_SUFFIX", "Ownership", "PrunableLayer", "prunable_layers",
           "edge_masks_from_owners"]

FREE = -1
OWNER_SUFFIX = "_owner"


@dataclass(frozen=True)
class PrunableLayer:
    """A layer whose weight edges are owned: module path, module, parameter name, head flag."""

    name: str
    module: nn.Module
    param: str          # e.g. "fc1.weight"
    is_head: bool

    @property
    def shape(self) -> tuple[int, int]:
        """(out_units, in_units) of the edge grid."""
        w = self.module.weight
        assert isinstance(w, torch.Tensor)
        return int(w.shape[0]), int(w.shape[1])

    def to_dict(self) -> dict:
        """JSON-ready summary."""
        return {"name": self.name, "param": self.param, "is_head": self.is_head,
                "out_units": self.shape[0], "in_units": self.shape[1]}


def prunable_layers(model: nn.Module) -> list[PrunableLayer]:
    """Linear and ungrouped convolution layers of ``model`` in module order; the last Linear is the head.

    Examples
    --------
    >>> from torch import nn
    >>> m = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    >>> [(l.name, l.is_head) for l in prunable_layers(m)]
    [('0', False), ('2', True)]
    """
    found: list[tuple[str, nn.Module]] = []
    for name, mod in model.named_modules():
        if isinstance(mod, nn.Linear):
            found.append((name, mod))
        elif isinstance(mod, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            if mod.groups != 1:
                raise UsageError(f"layer {name}: grouped convolution (groups={mod.groups}) is not "
                                 "supported by the continual driver; use a model without groups")
            found.append((name, mod))
        elif isinstance(mod, (nn.RNNBase, nn.Embedding)):
            raise UsageError(f"layer {name}: {type(mod).__name__} is not supported by the "
                             "continual driver; use lenet300, lenet5, vgg_small or resnet_small")
    linear = [i for i, (_, m) in enumerate(found) if isinstance(m, nn.Linear)]
    if not linear:
        raise UsageError("model has no nn.Linear layer to serve as the task head")
    head = linear[-1]
    return [PrunableLayer(n, m, f"{n}.weight" if n else "weight", i == head)
            for i, (n, m) in enumerate(found)]


def _edge_view(t: torch.Tensor) -> torch.Tensor:
    """Reduce a weight-shaped tensor to the [out, in] edge grid (any over kernel dims)."""
    return t if t.dim() == 2 else t.flatten(2).amax(dim=2)


def _expand(edge: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Broadcast an [out, in] grid to a weight's shape."""
    if like.dim() == 2:
        return edge
    return edge.reshape(edge.shape + (1,) * (like.dim() - 2)).expand_as(like)


def edge_masks_from_owners(owners: Mapping[str, torch.Tensor], params: Sequence[str], *,
                           upto: int, since: int = 0) -> dict[str, np.ndarray]:
    """Boolean [out, in] edge masks of edges with ``since <= owner <= upto`` for each weight.

    Examples
    --------
    >>> import torch
    >>> own = {"fc.weight_owner": torch.tensor([[0, 1], [-1, 2]])}
    >>> edge_masks_from_owners(own, ["fc.weight"], upto=1)["fc.weight"].astype(int).tolist()
    [[1, 1], [0, 0]]
    """
    out = {}
    for p in params:
        key = p + OWNER_SUFFIX
        if key not in owners:
            raise InputError(f"checkpoint has no ownership buffer {key!r}; is it a continual run "
                             "checkpoint (prunegraph continual --checkpoint)?")
        o = owners[key]
        o = o if o.dim() == 2 else o.flatten(2).amax(dim=2)
        out[p] = ((o >= since) & (o <= upto)).cpu().numpy()
    return out


class Ownership:
    """Owner tensors of all parameters of a model, and the masks derived from them.

    Parameters
    ----------
    model : nn.Module
        Its parameters are zeroed where no task owns them yet (free prunable edges).
    head_units : sequence of sequence of int
        Output units (rows of the head layer) of each task.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> m = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 4))
    >>> own = Ownership(m, head_units=[[0, 1], [2, 3]])
    >>> own.owner["0.weight"].unique().tolist()
    [-1]
    """

    def __init__(self, model: nn.Module, head_units: Sequence[Sequence[int]]):
        self.model = model
        self.layers = prunable_layers(model)
        self.head_units = [list(map(int, u)) for u in head_units]
        params = dict(model.named_parameters())
        self.params = params
        self.weight_names = [lay.param for lay in self.layers]
        head = next(lay for lay in self.layers if lay.is_head)
        self.head = head
        n_out = head.shape[0]
        for t, units in enumerate(self.head_units):
            if not units or min(units) < 0 or max(units) >= n_out:
                raise UsageError(f"task {t}: head units {units} outside the head layer "
                                 f"{head.name} with {n_out} outputs; build the model with more classes")
        self.owner: dict[str, torch.Tensor] = {
            n: torch.full(p.shape, FREE, dtype=torch.int64, device=p.device) for n, p in params.items()}

    # ------------------------------------------------------------------ masks
    def edge_owner(self, param: str) -> torch.Tensor:
        """[out, in] owner grid of a prunable weight (kernel entries share one owner)."""
        o = self.owner[param]
        return o if o.dim() == 2 else o.flatten(2)[:, :, 0]

    def visible(self, name: str, task: int) -> torch.Tensor:
        """Bool mask of entries task ``task`` sees: ``0 <= owner <= task``."""
        o = self.owner[name]
        return (o >= 0) & (o <= task)

    def region(self, layer: PrunableLayer, task: int) -> torch.Tensor:
        """[out, in] bool: edge positions task ``task`` may grow into (head: its rows only)."""
        out_u, in_u = layer.shape
        dev = self.owner[layer.param].device
        if not layer.is_head:
            return torch.ones(out_u, in_u, dtype=torch.bool, device=dev)
        r = torch.zeros(out_u, in_u, dtype=torch.bool, device=dev)
        r[self.head_units[task]] = True
        return r

    def free_edges(self, layer: PrunableLayer, task: int) -> torch.Tensor:
        """[out, in] bool: free positions inside the task's region."""
        return (self.edge_owner(layer.param) == FREE) & self.region(layer, task)

    def assign_edges(self, layer: PrunableLayer, edges: torch.Tensor, task: int) -> None:
        """Give the [out, in] positions ``edges`` (bool) to ``task``; they must be free."""
        eo = self.edge_owner(layer.param)
        if bool((edges & (eo != FREE)).any()):
            raise RuntimeError(f"layer {layer.name}: growth into owned positions (bug)")
        o = self.owner[layer.param]
        o[_expand(edges, o)] = task

    def release_edges(self, layer: PrunableLayer, edges: torch.Tensor) -> None:
        """Mark [out, in] positions free again and zero their weights."""
        o = self.owner[layer.param]
        full = _expand(edges, o)
        o[full] = FREE
        with torch.no_grad():
            self.params[layer.param][full] = 0.0

    def trainable(self, task: int) -> dict[str, torch.Tensor]:
        """Bool mask per parameter of the entries task ``task`` trains.

        Prunable weights: edges owned by ``task``. Other entries: free entries that the task may
        claim (head-bias rows of its units; everything else only at task 0).
        """
        out = {}
        head_bias = self.head.name + ".bias" if self.head.name else "bias"
        for n, o in self.owner.items():
            if n in self.weight_names:
                out[n] = o == task
            elif n == head_bias:
                m = torch.zeros_like(o, dtype=torch.bool)
                m[self.head_units[task]] = True
                out[n] = m & (o == FREE) | (o == task)
            else:
                out[n] = (o == FREE) | (o == task) if task == 0 else torch.zeros_like(o, dtype=torch.bool)
        return out

    def claim_trained(self, task: int) -> None:
        """After training: non-weight entries the task trained become owned by it."""
        for n, m in self.trainable(task).items():
            if n not in self.weight_names:
                self.owner[n][m] = task

    def apply_visibility(self, task: int) -> None:
        """Zero every parameter entry that ``task`` neither sees nor trains (in place)."""
        tr = self.trainable(task)
        with torch.no_grad():
            for n, p in self.params.items():
                keep = self.visible(n, task) | tr[n]
                p.mul_(keep.to(p.dtype))

    @contextlib.contextmanager
    def view(self, task: int) -> Iterator[None]:
        """Temporarily show the network as task ``task`` sees it (``0 <= owner <= task``)."""
        saved = {n: p.detach().clone() for n, p in self.params.items()}
        try:
            with torch.no_grad():
                for n, p in self.params.items():
                    p.mul_(self.visible(n, task).to(p.dtype))
            yield
        finally:
            with torch.no_grad():
                for n, p in self.params.items():
                    p.copy_(saved[n])

    def edge_counts(self, n_tasks: int) -> dict[str, list[int]]:
        """{layer param: [edges owned by task 0, 1, ...]} (unit-pair edges)."""
        out = {}
        for layer in self.layers:
            eo = self.edge_owner(layer.param)
            out[layer.param] = [int((eo == t).sum()) for t in range(n_tasks)]
        return out

    def edge_masks(self, *, upto: int, since: int = 0) -> dict[str, np.ndarray]:
        """[out, in] bool masks of edges with ``since <= owner <= upto`` per prunable layer."""
        return edge_masks_from_owners(self.state_entries(), self.weight_names, upto=upto, since=since)

    # ------------------------------------------------------------------ storage
    def state_entries(self) -> dict[str, torch.Tensor]:
        """``{"<p>_owner": int64 tensor}`` for every parameter (the checkpoint format)."""
        return {n + OWNER_SUFFIX: o for n, o in self.owner.items()}

    def load_entries(self, entries: Mapping[str, torch.Tensor]) -> None:
        """Restore owners from ``state_entries()`` output (shapes must match)."""
        for n, o in self.owner.items():
            key = n + OWNER_SUFFIX
            if key not in entries:
                raise InputError(f"checkpoint lacks ownership buffer {key!r}; it was not written "
                                 "by this model/configuration")
            src = entries[key]
            if tuple(src.shape) != tuple(o.shape):
                raise InputError(f"ownership buffer {key!r} has shape {tuple(src.shape)}, model "
                                 f"needs {tuple(o.shape)}; resume with the same model and benchmark")
            o.copy_(src.to(o.device, torch.int64))
