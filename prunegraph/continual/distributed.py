"""Multi-process helpers for continual runs launched by ``torchrun``.

Each rank trains on its slice of every mini-batch; gradients are summed with ``all_reduce``
(the full-batch gradient, as DDP computes it); growth is decided on rank 0 and broadcast; rank 0
writes checkpoint and results.

Device and backend (:func:`select_device`, :func:`select_backend`): under ``torchrun`` on CUDA
every rank takes ``cuda:$LOCAL_RANK`` (and ``torch.cuda.set_device`` it) with the ``nccl``
backend; on the CPU the backend is ``gloo``. :func:`set_deterministic` turns on the
deterministic flags torch has (``torch.use_deterministic_algorithms(True, warn_only=True)``,
cuDNN deterministic and no benchmark, ``CUBLAS_WORKSPACE_CONFIG=:4096:8``). What that buys on a
GPU is in docs/continual.md (GPUs): the same process on the same GPU model, driver and
torch version repeats a run bit for bit; across GPU models or versions, and between a GPU and
the CPU, results differ in the last bits (different kernels and reduction orders); a
``world_size`` change alters the order of the gradient sum (all-reduce), so DDP runs agree with
single-process runs only up to float rounding.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import torch

from .._device import default_device

__all__ = ["Dist", "select_device", "select_backend", "set_deterministic"]


def select_device(requested: str | None, *, env: Mapping[str, str] | None = None,
                  cuda_available: bool | None = None) -> torch.device:
    """Device of this process: ``requested``, else ``cuda:$LOCAL_RANK`` under torchrun on CUDA.

    A bare ``"cuda"`` under torchrun also becomes ``cuda:$LOCAL_RANK`` (otherwise every rank
    would share ``cuda:0``).

    Examples
    --------
    >>> select_device(None, env={"WORLD_SIZE": "2", "LOCAL_RANK": "1"}, cuda_available=True)
    device(type='cuda', index=1)
    >>> select_device(None, env={}, cuda_available=False)
    device(type='cpu')
    """
    env = os.environ if env is None else env
    cuda = torch.cuda.is_available() if cuda_available is None else cuda_available
    launched = int(env.get("WORLD_SIZE", "1")) > 1
    local = int(env.get("LOCAL_RANK", "0"))
    if requested is None:
        if not cuda:
            return torch.device("cpu")
        return torch.device("cuda", local if launched else 0)
    dev = default_device(requested)
    if dev.type == "cuda" and dev.index is None:
        return torch.device("cuda", local if launched else 0)
    return dev


def select_backend(device: torch.device) -> str:
    """``nccl`` for CUDA devices, ``gloo`` otherwise.

    Examples
    --------
    >>> select_backend(torch.device("cpu")), select_backend(torch.device("cuda", 0))
    ('gloo', 'nccl')
    """
    return "nccl" if device.type == "cuda" else "gloo"


def set_deterministic(device: torch.device) -> dict:
    """Switch on torch's deterministic flags for a CUDA ``device``; returns what was set.

    The CPU kernels used here are deterministic already, so nothing is changed for the CPU
    (the process-wide flag would also affect unrelated code).

    Examples
    --------
    >>> set_deterministic(torch.device("cpu"))
    {}
    """
    if device.type != "cuda":
        return {}
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    return {"use_deterministic_algorithms": True, "cudnn_deterministic": True,
            "cudnn_benchmark": False, "CUBLAS_WORKSPACE_CONFIG": os.environ["CUBLAS_WORKSPACE_CONFIG"]}


class Dist:
    """torch.distributed state (world size 1 when not launched by torchrun).

    Parameters
    ----------
    device : torch.device
        This process's device (:func:`select_device`); CUDA devices are made current.
    """

    def __init__(self, device: torch.device):
        self.world, self.rank, self.active = 1, 0, False
        self.device = device
        ws = int(os.environ.get("WORLD_SIZE", "1"))
        if device.type == "cuda":
            torch.cuda.set_device(device)
        if ws > 1 and torch.distributed.is_available():
            import torch.distributed as dist

            if not dist.is_initialized():
                dist.init_process_group(select_backend(device))
            self.world, self.rank, self.active = dist.get_world_size(), dist.get_rank(), True

    def broadcast(self, tensors) -> None:
        """Copy rank 0's ``tensors`` (in place) to every rank."""
        if self.active:
            import torch.distributed as dist

            for t in tensors:
                dist.broadcast(t, src=0)

    def all_reduce_grads(self, params) -> None:
        """Sum the gradients of ``params`` over ranks (missing gradients count as zero)."""
        if self.active:
            import torch.distributed as dist

            for p in params:
                if p.grad is None:
                    p.grad = torch.zeros_like(p)
                dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)

    def check_same(self, tensors, what: str) -> None:
        """Raise if the ranks disagree on ``tensors`` (a checksum compared by all_reduce)."""
        if not self.active:
            return
        import torch.distributed as dist

        total = torch.zeros(1, dtype=torch.float64, device=self.device)
        for i, t in enumerate(tensors):
            flat = t.detach().to(self.device).double().flatten()
            w = (1 + (torch.arange(flat.numel(), device=self.device) % 97)).double()
            total += (flat * w).sum() * (i + 1)
        lo, hi = total.clone(), total.clone()
        dist.all_reduce(lo, op=dist.ReduceOp.MIN)
        dist.all_reduce(hi, op=dist.ReduceOp.MAX)
        if float(lo) != float(hi):
            raise RuntimeError(f"ranks disagree on {what} (checksums {float(lo)} vs {float(hi)})")

    def barrier(self) -> None:
        """Wait for every rank."""
        if self.active:
            import torch.distributed as dist

            dist.barrier()
