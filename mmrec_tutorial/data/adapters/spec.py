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

from collections.abc import Callable
from pathlib import Path

from ..catalog import load_catalog
from ..paths import sample_data_dir
from .base import RecDataset, from_catalog
from .download import ensure_archive
from .lfm2k import load_lfm2k
from .mmrec import load_mmrec
from .movielens import load_movielens


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


Loader = Callable[[str | None, Path | None, bool, bool], RecDataset]


def _catalog(folder: str | None, cache_dir: Path | None, download: bool, check_media: bool) -> RecDataset:
    """A catalog of the course's format (``None``: the sample), loaded and cleaned."""
    root = Path(folder) if folder is not None else sample_data_dir()
    catalog, report = load_catalog(root, check_media=check_media)
    return from_catalog(catalog, "sample" if folder is None else root.name, report)


def _movielens(variant: str) -> Loader:
    """The loader of MovieLens ``variant``: the given folder, else the cache (downloaded if allowed)."""
    def load(folder: str | None, cache_dir: Path | None, download: bool, check_media: bool) -> RecDataset:
        path = Path(folder) if folder else ensure_archive(f"movielens-{variant}", cache_dir, download=download)
        return load_movielens(path, variant)
    return load


#: Spec kind -> loader ``(folder or None, cache_dir, download, check_media) -> RecDataset``, and
#: whether the kind needs a folder. Adding a dataset is one adapter file and one entry here.
LOADERS: dict[str, tuple[Loader, bool]] = {
    "sample": (lambda f, c, d, m: _catalog(None, c, d, m), False),
    "catalog": (_catalog, True),
    "mmrec": (lambda f, c, d, m: load_mmrec(*_mmrec_parts(f)), True),  # type: ignore[arg-type]
    "lfm2k": (lambda f, c, d, m: load_lfm2k(f, c, download=d), False),
    "movielens-100k": (_movielens("100k"), False),
    "movielens-1m": (_movielens("1m"), False),
}
KINDS = tuple(LOADERS)


def parse_spec(spec: str) -> tuple[str, str | None]:
    """``"mmrec:/data/baby"`` -> ``("mmrec", "/data/baby")``; checks the kind."""
    kind, sep, arg = spec.strip().partition(":")
    kind = kind.lower()
    if kind not in KINDS:
        raise ValueError(f"unknown dataset spec {spec!r}; use one of: sample, catalog:<folder>, "
                         "mmrec:<folder>[#<name>][;<modality>=<file>...], lfm2k[:<folder>], "
                         "movielens-100k[:<folder>], movielens-1m[:<folder>]")
    if LOADERS[kind][1] and not arg:
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
    return LOADERS[kind][0](arg, None if cache_dir is None else Path(cache_dir), download, check_media)
