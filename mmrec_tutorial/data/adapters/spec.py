"""Dataset specs, one string for the CLI and the notebooks' ``DATASET`` parameter.

=============================  ==============================================================
spec                           dataset
=============================  ==============================================================
``sample``                     the course's sample catalog (``data_samples/``)
``catalog:<folder>``           a catalog of the course's format (e.g. from ``generate-data``)
``mmrec:<folder>[#<name>]``    an MMRec folder (``<name>.inter`` + ``*_feat.npy``)
``movielens-100k[:<folder>]``  MovieLens 100K: the unpacked ``ml-100k/``, else the cache
``movielens-1m[:<folder>]``    MovieLens 1M: the unpacked ``ml-1m/``, else the cache
=============================  ==============================================================

Without a folder, MovieLens is looked up in the dataset cache and downloaded there (checked
against its published checksum) when ``download`` is allowed.
"""

from __future__ import annotations

from pathlib import Path

from ..catalog import load_catalog
from ..paths import sample_data_dir
from .base import RecDataset, from_catalog
from .download import ensure_archive
from .mmrec import load_mmrec
from .movielens import load_movielens

KINDS = ("sample", "catalog", "mmrec", "movielens-100k", "movielens-1m")


def parse_spec(spec: str) -> tuple[str, str | None]:
    """``"mmrec:/data/baby"`` -> ``("mmrec", "/data/baby")``; checks the kind."""
    kind, sep, arg = spec.strip().partition(":")
    kind = kind.lower()
    if kind not in KINDS:
        raise ValueError(f"unknown dataset spec {spec!r}; use one of: sample, catalog:<folder>, "
                         "mmrec:<folder>[#<name>], movielens-100k[:<folder>], movielens-1m[:<folder>]")
    if kind in ("catalog", "mmrec") and not arg:
        raise ValueError(f"dataset spec {spec!r} needs a folder: {kind}:<folder>")
    if kind == "sample" and arg:
        raise ValueError("the spec 'sample' takes no folder; use catalog:<folder> for another catalog")
    return kind, (arg or None) if sep else None


def load_dataset(spec: str, cache_dir: str | Path | None = None, download: bool = True,
                 check_media: bool = True) -> RecDataset:
    """Load the dataset a spec names (see the module docstring).

    Raises :class:`~.base.DatasetUnavailableError` (files absent, download impossible) or
    :class:`~.base.DatasetFormatError` (files malformed) with a message that says what to do.
    """
    kind, arg = parse_spec(spec)
    if kind == "sample":
        return from_catalog(load_catalog(sample_data_dir(), check_media=check_media)[0], "sample")
    if kind == "catalog":
        folder = Path(arg)  # type: ignore[arg-type]
        return from_catalog(load_catalog(folder, check_media=check_media)[0], folder.name)
    if kind == "mmrec":
        folder, _, name = arg.partition("#")  # type: ignore[union-attr]
        return load_mmrec(folder, name or None)
    variant = kind.split("-")[1]
    folder = Path(arg) if arg else ensure_archive(kind, cache_dir, download=download)
    return load_movielens(folder, variant)
