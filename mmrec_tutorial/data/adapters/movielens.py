"""MovieLens 100K and 1M in their original file formats, as implicit feedback with text items.

- 100K: ``u.data`` (tab-separated ``user item rating timestamp``, no header) and ``u.item``
  (pipe-separated, latin-1: ``id|title|release date|video release date|IMDb URL|`` then 19 genre
  flags in the order of :data:`GENRES_100K`).
- 1M: ``ratings.dat`` (``UserID::MovieID::Rating::Timestamp``) and ``movies.dat``
  (``MovieID::Title::Genres``, genres joined by ``|``, latin-1).

Every rating is an interaction (``min_rating`` can keep only the high ones). Item text is the
title and the description "Genres: <g1>, <g2>." for the text encoder; movies nobody rated stay in the catalog as
cold items. Users and items get contiguous indices in the order of their original ids.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..modalities import item_text
from .base import DatasetFormatError, DatasetUnavailableError, RecDataset, keep_first_pairs
from .download import ensure_archive

GENRES_100K = ("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
               "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller",
               "War", "Western")
VARIANT_FILES = {"100k": ("u.data", "u.item"), "1m": ("ratings.dat", "movies.dat")}


def file_encoding(path: Path) -> str:
    """``"utf-8"`` when the file has non-ASCII bytes that decode as UTF-8 (a re-saved copy: latin-1
    text almost never does), else ``"latin-1"``, the encoding GroupLens publishes."""
    data = path.read_bytes()
    if data.isascii():
        return "latin-1"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


def _read(path: Path, sep: str, names: list[str], what: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, sep=sep, names=names, header=None, encoding=file_encoding(path),
                            engine="c" if len(sep) == 1 else "python", quoting=3, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise DatasetFormatError(f"{path}: empty file") from None
    except pd.errors.ParserError as exc:
        raise DatasetFormatError(f"{path}: cannot parse as {what} ({exc})") from exc
    if frame.empty:
        raise DatasetFormatError(f"{path}: empty file")
    return frame


def _ints(frame: pd.DataFrame, cols: list[str], path: Path) -> pd.DataFrame:
    for col in cols:
        values = pd.to_numeric(frame[col], errors="coerce")
        if values.isna().any():
            row = int(np.flatnonzero(values.isna().to_numpy())[0]) + 1
            raise DatasetFormatError(f"{path}: line {row}: {col} {frame[col].iloc[row - 1]!r} is not a number; "
                                     "is this the right file for this MovieLens variant?")
        frame[col] = values.astype(np.int64)
    return frame


def read_ratings(path: Path, variant: str) -> pd.DataFrame:
    """Ratings as columns user, item, rating, timestamp (original ids, integers)."""
    cols = ["user", "item", "rating", "timestamp"]
    if variant == "100k":
        return _ints(_read(path, "\t", cols, "u.data"), cols, path)
    # "a::b::c::d" read fast with the C parser as "a", "", "b", "", ... (ratings hold no other colons)
    frame = _read(path, ":", ["user", "_1", "item", "_2", "rating", "_3", "timestamp"], "ratings.dat")
    return _ints(frame[cols].copy(), cols, path)


def read_movies(path: Path, variant: str) -> pd.DataFrame:
    """Movies as columns item (original id), title, genres (a list of names)."""
    if variant == "100k":
        names = ["item", "title", "release", "video_release", "url", *GENRES_100K]
        frame = _ints(_read(path, "|", names, "u.item"), ["item"], path)
        flags = frame[list(GENRES_100K)].apply(pd.to_numeric, errors="coerce").fillna(0).astype(int).to_numpy()
        genres = [[g for g, f in zip(GENRES_100K, row) if f] for row in flags]
    else:
        frame = _ints(_read(path, "::", ["item", "title", "genres"], "movies.dat"), ["item"], path)
        genres = [[g for g in str(s).split("|") if g] for s in frame["genres"]]
    return pd.DataFrame({"item": frame["item"].to_numpy(), "title": frame["title"].str.strip().to_numpy(),
                         "genres": genres})


def title_and_description(title: str, genres: list[str]) -> tuple[str, str]:
    """The title (``""`` for MovieLens' "unknown") and the description ``"Genres: a, b."``
    (``""`` without genres); the text encoder reads "<title>. <description>"."""
    title = "" if not title or title == "unknown" else title
    description = "Genres: " + ", ".join(genres) + "." if genres and genres != ["unknown"] else ""
    return title, description


def load_movielens(folder: str | Path | None = None, variant: str = "100k", min_rating: int = 0,
                   cache_dir: str | Path | None = None, download: bool = True) -> RecDataset:
    """Load MovieLens ``variant`` ("100k" or "1m") from ``folder`` (the unpacked ``ml-100k/`` or
    ``ml-1m/``), or, with ``folder=None``, from the dataset cache, downloading it if allowed."""
    if variant not in VARIANT_FILES:
        raise ValueError(f"variant must be one of {tuple(VARIANT_FILES)}, got {variant!r}")
    if folder is None:
        folder = ensure_archive(f"movielens-{variant}", cache_dir, download=download)
    folder = Path(folder)
    ratings_file, movies_file = (folder / f for f in VARIANT_FILES[variant])
    for path in (ratings_file, movies_file):
        if not path.is_file():
            raise DatasetUnavailableError(
                f"{path}: not found. Unpack ml-{variant}.zip from https://grouplens.org/datasets/movielens/ so "
                f"that {folder} holds {' and '.join(VARIANT_FILES[variant])}.")
    ratings = read_ratings(ratings_file, variant)
    movies = read_movies(movies_file, variant)
    notes: list[str] = [f"{path.name} is UTF-8, not the latin-1 GroupLens publishes: read as UTF-8"
                        for path in (ratings_file, movies_file) if file_encoding(path) == "utf-8"]
    unknown = ~ratings["item"].isin(movies["item"])
    if unknown.any():
        raise DatasetFormatError(f"{ratings_file}: {int(unknown.sum())} ratings of movies not in {movies_file.name} "
                                 f"(e.g. id {int(ratings['item'][unknown].iloc[0])})")
    if min_rating:
        kept = ratings["rating"] >= min_rating
        notes.append(f"kept {int(kept.sum())} of {len(ratings)} ratings with rating >= {min_rating}")
        ratings = ratings[kept]
    movies = movies.sort_values("item", ignore_index=True)
    users = np.sort(ratings["user"].unique())
    inter = pd.DataFrame({"user_idx": np.searchsorted(users, ratings["user"].to_numpy()),
                          "item_idx": np.searchsorted(movies["item"].to_numpy(), ratings["item"].to_numpy()),
                          "rating": ratings["rating"].to_numpy(), "timestamp": ratings["timestamp"].to_numpy()})
    inter = keep_first_pairs(inter.sort_values(["user_idx", "timestamp"], kind="stable", ignore_index=True), notes,
                             ratings_file.name)
    parts = [title_and_description(t, g) for t, g in zip(movies["title"], movies["genres"])]
    texts = [item_text(t, d) for t, d in parts]
    items = pd.DataFrame({"item_idx": np.arange(len(movies)), "item_id": movies["item"].astype(str),
                          "title": [t for t, _ in parts], "description": [d for _, d in parts], "text": texts,
                          "image": None, "audio": None, "has_text": [t is not None for t in texts],
                          "has_image": False, "has_audio": False, "genres": movies["genres"]})
    return RecDataset(f"movielens-{variant}", len(users), len(movies), inter, items, root=folder,
                      source=f"MovieLens {variant.upper()} ({ratings_file.name}, {movies_file.name})", notes=notes)
