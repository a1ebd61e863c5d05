"""Data: the synthetic catalog generator, loading/validation/cleaning, splits and datasets."""

from .catalog import (Catalog, CatalogError, CleaningReport, Problem, RawCatalog, clean_catalog, load_catalog,
                      read_catalog, validate_catalog)
from .datasets import BPRTriples, UserSequences
from .generator import CatalogConfig, DirtSpec, generate_catalog
from .media import read_image, read_wav
from .splits import (TEST, TRAIN, VALID, Split, UserItemSets, cold_start_split, random_split, temporal_split,
                     with_cold_items)
from .paths import sample_data_dir

__all__ = ["Catalog", "CatalogError", "CleaningReport", "Problem", "RawCatalog", "clean_catalog", "load_catalog",
           "read_catalog", "validate_catalog", "BPRTriples", "UserSequences", "CatalogConfig", "DirtSpec",
           "generate_catalog", "read_image", "read_wav", "TEST", "TRAIN", "VALID", "Split", "UserItemSets",
           "cold_start_split", "random_split", "temporal_split", "with_cold_items", "sample_data_dir", "load_sample"]


def load_sample(check_media: bool = True) -> tuple[Catalog, CleaningReport]:
    """Load and clean the course's sample catalog (``data_samples/``)."""
    return load_catalog(sample_data_dir(), check_media=check_media)
