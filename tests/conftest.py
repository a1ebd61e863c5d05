"""Shared fixtures: the sample catalog (loaded once) and a tiny generated catalog."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MMREC_QUICK", "1")
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def one_thread():
    """Small batches on a shared CPU run fastest on one thread (see ``encoders.polite_threads``)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def sample():
    """The cleaned sample catalog and its report."""
    from mmrec_tutorial.data import load_sample

    return load_sample()


@pytest.fixture(scope="session")
def tiny_catalog_dir(tmp_path_factory) -> Path:
    """A small generated catalog (40 items, 30 users) with every kind of dirt planted."""
    from mmrec_tutorial.data.generator import CatalogConfig, generate_catalog

    out = tmp_path_factory.mktemp("tiny")
    generate_catalog(out, CatalogConfig(n_items=60, n_users=30, mean_interactions=12, min_interactions=4, seed=7),
                     overwrite=True, progress=False)
    return out
