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
"""

from __future__ import annotations

import argparse
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


def main(argv: list[str] | None = None) -> int:
    """Train one zoo model data-parallel and print its test metrics from rank 0."""
    import torch.distributed as dist  # noqa: PLC0415

    from .data.adapters import load_dataset  # noqa: PLC0415
    from .evaluation import evaluate_trained, item_features, make_split  # noqa: PLC0415
    from .models.zoo import CONTENT_MODELS, build_model, default_config  # noqa: PLC0415
    from .train import TrainConfig, fit, save_checkpoint  # noqa: PLC0415

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="sample")
    parser.add_argument("--model", default="bpr")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None, help="the global batch (all processes together)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backend", default=None, help="gloo or nccl (default: nccl on CUDA, else gloo)")
    parser.add_argument("--save", default=None, help="rank 0 saves the trained model's state here")
    args = parser.parse_args(argv)
    rank, world, device = init_process_group(args.backend)
    try:
        ds = load_dataset(args.data)
        split = make_split(ds, "auto", args.seed, 0.1)
        torch.manual_seed(args.seed)
        content = item_features(ds, None, device, None, False, False) if args.model in CONTENT_MODELS else None
        model = build_model(args.model, ds.n_users, ds.n_items, content)
        cfg = {**default_config(args.model), **({"epochs": args.epochs} if args.epochs else {}),
               **({"batch_size": args.batch_size} if args.batch_size else {})}
        result = fit(model, split, TrainConfig(**cfg, seed=args.seed, device=device, progress=False))
        if rank == 0:
            test = evaluate_trained(result.model, split).mean()
            print(f"{world} processes ({device.type}): {args.model} on {args.data}, best epoch {result.best_epoch}, "
                  f"{result.seconds:.1f} s; test recall@20 {test['recall@20']:.4f}, ndcg@20 {test['ndcg@20']:.4f}")
            if args.save:
                save_checkpoint(result.model, args.save)
    finally:
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
