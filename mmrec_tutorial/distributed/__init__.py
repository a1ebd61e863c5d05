"""Data-parallel training with ``torch.distributed``: the one training loop on several processes.

Launch with ``torchrun`` (it sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and the rendezvous):

    torchrun --standalone --nproc_per_node=2 -m mmrec_tutorial.distributed --data sample --model bpr
    torchrun --standalone --nproc_per_node=4 -m mmrec_tutorial.distributed --data lfm2k --model lightgcn  # 4 GPUs

Every process loads the same data, builds the same model from the same seed and draws the same
global batches; :func:`shard` gives each its contiguous share of every batch, and
DistributedDataParallel (:func:`wrap`) all-reduces the gradients after each backward pass, so all
processes take the same optimiser step: that of one process on the whole batch, up to the order of
floating-point sums. Backend: ``gloo`` on CPU, ``nccl`` on CUDA (one GPU per process). Validation
runs on every process (same parameters, same decision to stop); rank 0 prints and saves.

This package holds the helpers the training loop uses (below ``train`` in the layering); its
``__main__`` is the launcher above, which sits on top like ``cli``.
"""

from __future__ import annotations

import os

import torch
from torch import nn


def rank_and_world() -> tuple[int, int]:
    """``(rank, world size)`` of this process; ``(0, 1)`` outside a process group."""
    import torch.distributed as dist  # noqa: PLC0415

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def shard(batch: list[torch.Tensor] | tuple[torch.Tensor, ...], rank: int, world: int) -> list[torch.Tensor]:
    """This process's contiguous share of every tensor of ``batch`` (first dimension ``b``):
    ``torch.tensor_split`` into ``world`` parts (sizes differ by at most one), part ``rank``."""
    if world == 1:
        return list(batch)
    return [torch.tensor_split(t, world)[rank] for t in batch]


def wrap(module: nn.Module, device: torch.device) -> nn.Module:
    """``module`` in DistributedDataParallel (parameters broadcast from rank 0 once; buffers such
    as a graph are rebuilt by every process, so they are not broadcast)."""
    from torch.nn.parallel import DistributedDataParallel  # noqa: PLC0415

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=ids, broadcast_buffers=False, find_unused_parameters=True)


def init_process_group(backend: str | None = None) -> tuple[int, int, torch.device]:
    """Join the process group that ``torchrun`` describes in the environment: ``(rank, world, device)``
    (``cuda:LOCAL_RANK`` with NCCL when CUDA is there, else the CPU with gloo)."""
    import torch.distributed as dist  # noqa: PLC0415

    cuda = torch.cuda.is_available() and backend != "gloo"
    dist.init_process_group(backend or ("nccl" if cuda else "gloo"))
    local = int(os.environ.get("LOCAL_RANK", 0))
    device = torch.device(f"cuda:{local}") if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    return dist.get_rank(), dist.get_world_size(), device
