"""``python -m mmrec_tutorial.distributed`` (under ``torchrun``): train one zoo model data-parallel
and print its test metrics from rank 0. The package docstring explains the recipe."""

from __future__ import annotations

import argparse

import torch
import torch.distributed as dist

from ..data.adapters import load_dataset
from ..evaluation import evaluate_trained, item_features, make_split
from ..models.zoo import CONTENT_MODELS, build_model, default_config
from ..train import TrainConfig, fit, save_checkpoint
from . import __doc__ as _package_doc
from . import init_process_group


def main(argv: list[str] | None = None) -> int:
    """Train one zoo model data-parallel and print its test metrics from rank 0."""
    parser = argparse.ArgumentParser(description=_package_doc, formatter_class=argparse.RawDescriptionHelpFormatter)
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
