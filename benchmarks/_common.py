"""What the sample benchmarks share: the device options and the sample with its encoded features."""

from __future__ import annotations

import argparse

import torch

from mmrec_tutorial.data import load_sample
from mmrec_tutorial.device import pick_device
from mmrec_tutorial.encoders import encode_catalog


def add_device_options(parser: argparse.ArgumentParser) -> None:
    """``--device`` (auto, cpu, cuda, mps) and ``--threads`` (torch CPU threads, default 1)."""
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")


def sample_with_features(args: argparse.Namespace):
    """Apply the device options and load the sample and its QUICK-encoded features (from the cache
    when notebook 02 has run): ``(device, catalog, encoded)``."""
    torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    catalog, _ = load_sample()
    encoded = encode_catalog(catalog.items, catalog.root, quick=True, device=device, progress=False)
    return device, catalog, encoded
