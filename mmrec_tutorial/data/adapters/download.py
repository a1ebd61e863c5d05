"""Fetching dataset archives into a cache folder, with checksums, and failing clearly offline.

``fetch(url, checksum, dest)`` downloads once into ``dest`` (a temporary name, renamed only
after the checksum matched), verifies an existing file instead of downloading again, and raises
:class:`~.base.DatasetUnavailableError` with the URL and the exact place to put the file by hand
when the network is unreachable. Checksums are ``"md5:<hex>"`` or ``"sha256:<hex>"`` (the
MovieLens archives are published with MD5 sums).

The cache folder is ``cache_dir``, else ``$MMREC_CACHE_DIR/datasets``, else
``~/.cache/mmrec_tutorial/datasets`` (never a temporary folder: it survives reboots).

Datasets published as loose files rather than one archive (:data:`FILE_SETS`, e.g. Last.fm 2K at a
pinned upstream commit) are fetched file by file with :func:`ensure_files`, which first looks for
a local copy under ``$MMREC_DATA_DIR/<name>/`` (checked file by file against the same sha256).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from .base import DatasetFormatError, DatasetUnavailableError


class ChecksumError(DatasetFormatError):
    """A downloaded or provided archive does not have the published checksum."""


@dataclasses.dataclass(frozen=True)
class Archive:
    """A published dataset archive: where it lives, its checksum, and what it unpacks to."""

    url: str
    checksum: str
    folder: str  # top-level folder inside the zip
    files: tuple[str, ...]  # files the adapter needs inside ``folder``


ARCHIVES: dict[str, Archive] = {
    "movielens-100k": Archive("https://files.grouplens.org/datasets/movielens/ml-100k.zip",
                              "md5:0e33842e24a9c977be4e0107933c0723", "ml-100k", ("u.data", "u.item")),
    "movielens-1m": Archive("https://files.grouplens.org/datasets/movielens/ml-1m.zip",
                            "md5:c4d9eecfca2ab87c1945afe126590906", "ml-1m", ("ratings.dat", "movies.dat")),
}


@dataclasses.dataclass(frozen=True)
class FileSet:
    """A dataset published as separate files: ``base_url + path`` for each of ``files``
    (``{local name: (upstream path, "sha256:<hex>")}``), pinned to one upstream commit."""

    base_url: str
    files: dict[str, tuple[str, str]]
    licence: str


_LFM2K = "https://raw.githubusercontent.com/swapUniba/multimodal_ml1m_dbbook_lfm2k/e8c90c3f93ed14753fec4905d37c401de2255160/"
FILE_SETS: dict[str, FileSet] = {
    "lfm2k": FileSet(_LFM2K, {
        "lfm2k.inter": ("4_mmrec/data/lfm2k/lfm2k.inter",
                        "sha256:a555d4b0bfabe0a11d1758c667eb9a29e574a60bd563848a73f5a6fccda1b0f9"),
        "all-MiniLM-L6-v2.npy": ("4_mmrec/data/lfm2k/all-MiniLM-L6-v2.npy",
                                 "sha256:b21e98a91fc4ec11e879615f3c47b6f15bdb6e3b7c0d2a9cf0b8008ec83c46b0"),
        "vggish.npy": ("4_mmrec/data/lfm2k/vggish.npy",
                       "sha256:50dfedcc27f88929006bc4f425c94c55aa4bce177749b2f93e55fb3d8ac4018c"),
        "whisper.npy": ("4_mmrec/data/lfm2k/whisper.npy",
                        "sha256:2a2690ff74430711e5a9e22889b5b40cc1b931f6250f25501192d7d63cf98995"),
        "lfm2k_og_ids.inter": ("3_data_processing/hetrec2011-lastfm-2k/processed_data/lfm2k_og_ids.inter",
                               "sha256:59ceba4991b4769ee2cddd4f5528c1dcc3963779a8b6ab5e993e1c3cedb767a6"),
        "lfm2k_text.tsv": ("3_data_processing/hetrec2011-lastfm-2k/lfm2k_text.tsv",
                           "sha256:eeaefa481e6d0157b4c04db573203641b26dc05abe6f7d0d39c8af17ce7dedc5"),
        "artists.dat": ("3_data_processing/hetrec2011-lastfm-2k/original_data/artists.dat",
                        "sha256:c173881362c6b28551368fecb3c0be5a6a30a6cd859e1f5775413dfe46d48648"),
    }, "HetRec 2011 Last.fm 2K: non-commercial research use; multimodal features by Spillo et al. (RecSys 2025)"),
}


def dataset_cache_dir(cache_dir: str | Path | None = None) -> Path:
    """Where archives and unpacked datasets live (see the module docstring)."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    env = os.environ.get("MMREC_CACHE_DIR")
    return (Path(env).expanduser() if env else Path.home() / ".cache" / "mmrec_tutorial") / "datasets"


def file_checksum(path: str | Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file's bytes (read in 1 MiB blocks)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_checksum(path: str | Path, checksum: str) -> None:
    """Raise :class:`ChecksumError` unless ``path`` has ``checksum`` (``"md5:..."`` / ``"sha256:..."``)."""
    algorithm, _, expected = checksum.partition(":")
    if algorithm not in ("md5", "sha256") or not expected:
        raise ValueError(f"checksum must look like 'md5:<hex>' or 'sha256:<hex>', got {checksum!r}")
    actual = file_checksum(path, algorithm)
    if actual != expected.lower():
        raise ChecksumError(f"{path}: {algorithm} is {actual}, expected {expected}. The file is damaged or is not "
                            "the published archive; delete it and download it again.")


def fetch(url: str, checksum: str, dest: str | Path, timeout: float = 30.0) -> Path:
    """``dest`` with verified content: checked if present, else downloaded from ``url`` and checked."""
    dest = Path(dest)
    if dest.is_file():
        verify_checksum(dest, checksum)
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(partial, "wb") as out:
            shutil.copyfileobj(response, out)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        partial.unlink(missing_ok=True)
        raise DatasetUnavailableError(
            f"could not download {url} ({getattr(exc, 'reason', exc)}). Without internet, download it elsewhere "
            f"and put it at {dest} (it is checked against {checksum}), or unpack it and pass its folder.") from exc
    try:
        verify_checksum(partial, checksum)
    except ChecksumError:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(dest)
    return dest


def extract(archive: Path, into: Path, top: str) -> Path:
    """Unpack the ``top/`` folder of a zip into ``into`` (refusing paths that escape it) -> ``into/top``."""
    into = into.resolve()
    with zipfile.ZipFile(archive) as zf:
        for member in zf.namelist():
            target = (into / member).resolve()
            if not str(target).startswith(str(into) + os.sep):
                raise DatasetFormatError(f"{archive}: member {member!r} would unpack outside {into}")
            if member.startswith(f"{top}/"):
                zf.extract(member, into)
    return into / top


def ensure_archive(name: str, cache_dir: str | Path | None = None, download: bool = True,
                   url: str | None = None) -> Path:
    """The unpacked folder of a known archive (``ARCHIVES[name]``), fetching it if needed.

    Looks in the cache for the unpacked folder, then for the zip (verified), then downloads
    (unless ``download=False``). ``url`` overrides the published location (e.g. a mirror).
    """
    spec = ARCHIVES[name]
    root = dataset_cache_dir(cache_dir)
    folder = root / spec.folder
    if all((folder / f).is_file() for f in spec.files):
        return folder
    zip_path = root / Path(spec.url).name
    if not zip_path.is_file() and not download:
        raise DatasetUnavailableError(f"{name} is not in {root}: put {zip_path.name} ({spec.url}) there, or unpack "
                                      f"it and pass the folder ({name}:<folder>)")
    fetch(url or spec.url, spec.checksum, zip_path)
    folder = extract(zip_path, root, spec.folder)
    missing = [f for f in spec.files if not (folder / f).is_file()]
    if missing:
        raise DatasetFormatError(f"{zip_path}: the archive lacks {missing} under {spec.folder}/")
    return folder


def local_copy(name: str) -> Path | None:
    """``$MMREC_DATA_DIR/<name>`` when that variable is set and the folder holds every file of
    ``FILE_SETS[name]``, else ``None``."""
    env = os.environ.get("MMREC_DATA_DIR")
    if not env:
        return None
    folder = Path(env).expanduser() / name
    return folder if all((folder / f).is_file() for f in FILE_SETS[name].files) else None


def ensure_files(name: str, cache_dir: str | Path | None = None, download: bool = True) -> Path:
    """The folder holding every file of ``FILE_SETS[name]``, each verified against its sha256.

    Looks in ``$MMREC_DATA_DIR/<name>/`` (a local copy), then in the dataset cache, and downloads
    the missing files into the cache unless ``download=False``; offline, the error lists the
    files, their upstream addresses and where to put them.
    """
    spec = FILE_SETS[name]
    folder = local_copy(name)
    if folder is None:
        folder = dataset_cache_dir(cache_dir) / name
        missing = [f for f in spec.files if not (folder / f).is_file()]
        if missing and not download:
            raise DatasetUnavailableError(
                f"{name} is not on disk: put {', '.join(missing)} into {folder} (from {spec.base_url}<path>; "
                f"{spec.licence}), or set MMREC_DATA_DIR to a folder holding {name}/")
    for local, (path, checksum) in spec.files.items():
        try:
            fetch(spec.base_url + path, checksum, folder / local)
        except DatasetUnavailableError as exc:
            raise DatasetUnavailableError(
                f"{name}: {exc}. Offline, copy all of {', '.join(spec.files)} ({spec.licence}) into {folder}, "
                f"or set MMREC_DATA_DIR to a folder holding {name}/ with them") from exc
    return folder
