"""Dataset specs, one string for the CLI and the notebooks' ``DATASET`` parameter.

=============================  ==============================================================
spec                           dataset
=============================  ==============================================================
``sample``                     the course's sample catalog (``data_samples/``)
``catalog:<folder>``           a catalog of the course's format (e.g. from ``generate-data``)
``mmrec:<folder>[#<name>]``    an MMRec folder (``<name>.inter`` + ``<modality>_feat.npy``);
                               ``;<modality>=<file>`` (repeatable) names the feature files
``lfm2k[:<folder>]``           Last.fm 2K with text and audio features (see ``lfm2k.py``)
``movielens-100k[:<folder>]``  MovieLens 100K: the unpacked ``ml-100k/``, else the cache
``movielens-1m[:<folder>]``    MovieLens 1M: the unpacked ``ml-1m/``, else the cache
=============================  ==============================================================

Without a folder, Last.fm 2K is looked up in ``$MMREC_DATA_DIR/lfm2k`` and then in the dataset
cache, and MovieLens in the cache; either is downloaded there (checked against its published
checksum) when ``download`` is allowed.
"""

from __future__ import annotations

from pathlib import Path

from ..catalog import load_catalog
from ..paths import sample_data_dir
from .base import RecDataset, from_catalog
from .download import ensure_archive
from .lfm2k import load_lfm2k
from .mmrec import load_mmrec
from .movielens import load_movielens

KINDS = ("sample", "catalog", "mmrec", "lfm2k", "movielens-100k", "movielens-1m")


def parse_spec(spec: str) -> tuple[str, str | None]:
    """``"mmrec:/data/baby"`` -> ``("mmrec", "/data/baby")``; checks the kind."""
    kind, sep, arg = spec.strip().partition(":")
    kind = kind.lower()
    if kind not in KINDS:
        raise ValueError(f"unknown dataset spec {spec!r}; use one of: sample, catalog:<folder>, "
                         "mmrec:<folder>[#<name>][;<modality>=<file>...], lfm2k[:<folder>], "
                         "movielens-100k[:<folder>], movielens-1m[:<folder>]")
    if kind in ("catalog", "mmrec") and not arg:
        raise ValueError(f"dataset spec {spec!r} needs a folder: {kind}:<folder>")
    if kind == "sample" and arg:
        raise ValueError("the spec 'sample' takes no folder; use catalog:<folder> for another catalog")
    return kind, (arg or None) if sep else None


def _mmrec_parts(arg: str) -> tuple[str, str | None, dict[str, str] | None]:
    """``"<folder>#<name>;text=a.npy;audio=b.npy"`` -> ``(folder, name, {"text": "a.npy", "audio": "b.npy"})``."""
    head, *pairs = arg.split(";")
    folder, _, name = head.partition("#")
    files = {}
    for pair in pairs:
        modality, sep, file = pair.partition("=")
        if not sep or not modality.strip() or not file.strip():
            raise ValueError(f"mmrec spec part {pair!r}: expected <modality>=<file>, e.g. audio=vggish.npy")
        files[modality.strip()] = file.strip()
    return folder, name or None, files or None


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
        return load_mmrec(*_mmrec_parts(arg))  # type: ignore[arg-type]
    if kind == "lfm2k":
        return load_lfm2k(arg, cache_dir, download=download)
    variant = kind.split("-")[1]
    folder = Path(arg) if arg else ensure_archive(kind, cache_dir, download=download)
    return load_movielens(folder, variant)
