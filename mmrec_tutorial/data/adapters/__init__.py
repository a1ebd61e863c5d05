"""Adapters for real datasets: the MMRec format, Last.fm 2K, MovieLens 100K/1M, and the course's catalogs,
all returned as a :class:`RecDataset` (interactions with contiguous indices, an items table with
text and media paths, optional precomputed features); see :func:`load_dataset` for the specs."""

from .base import DatasetFormatError, DatasetUnavailableError, RecDataset, from_catalog
from .download import (ARCHIVES, FILE_SETS, Archive, ChecksumError, FileSet, dataset_cache_dir, ensure_archive,
                       ensure_files, fetch, verify_checksum)
from .lfm2k import load_lfm2k
from .mmrec import load_mmrec
from .movielens import load_movielens
from .spec import load_dataset, parse_spec

__all__ = ["DatasetFormatError", "DatasetUnavailableError", "RecDataset", "from_catalog", "ARCHIVES", "FILE_SETS",
           "Archive", "ChecksumError", "FileSet", "dataset_cache_dir", "ensure_archive", "ensure_files", "fetch",
           "verify_checksum", "load_lfm2k", "load_mmrec", "load_movielens", "load_dataset", "parse_spec"]
