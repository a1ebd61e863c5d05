"""What the sample benchmarks share: the device options and a catalog with its encoded features."""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from mmrec_tutorial.data import load_catalog, load_sample
from mmrec_tutorial.device import pick_device
from mmrec_tutorial.encoders import encode_catalog


def add_device_options(parser: argparse.ArgumentParser, threads: int | None = 1) -> None:
    """``--device`` (auto, cpu, cuda, mps) and ``--threads`` (torch CPU threads; default ``threads``,
    ``None`` = torch's choice)."""
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=threads,
                        help=f"torch CPU threads (default: {threads or 'torch decides'})")


def sample_with_features(args: argparse.Namespace, quick: bool = True, catalog_dir: Path | None = None):
    """Apply the device options, load the sample (or the catalog in ``catalog_dir``) and encode its
    items (from the cache when notebook 02 has run): ``(device, catalog, encoded)``."""
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    catalog, _ = load_sample() if catalog_dir is None else load_catalog(catalog_dir)
    encoded = encode_catalog(catalog.items, catalog.root, quick=quick, device=device, progress=False)
    return device, catalog, encoded
