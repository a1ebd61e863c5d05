"""Dataset adapters: MMRec and MovieLens formats on fixture files, specs, downloads and checksums."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from mmrec_tutorial.data import TEST, random_split
from mmrec_tutorial.data.adapters import (ARCHIVES, Archive, ChecksumError, DatasetFormatError,
                                          DatasetUnavailableError, ensure_archive, fetch, load_dataset, load_mmrec,
                                          load_movielens, parse_spec, verify_checksum)
from mmrec_tutorial.data.adapters import download as download_module

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINI_ZIP_SHA256 = "3b039cea6b40cc74ec04e4076e38ada1638b89c9115aceff6dc4d476ece8fa63"
MINI_ZIP_MD5 = "bb803455ab3fe01fcc9f3ac747aa8285"


def test_mmrec_folder_loads_with_its_split_and_features():
    ds = load_mmrec(FIXTURES / "mmrec" / "tiny")
    assert (ds.name, ds.n_users, ds.n_items) == ("tiny", 20, 15)
    assert len(ds.interactions) == 100 and set(ds.interactions["x_label"]) == {0, 1, 2}
    assert ds.content.features["text"].shape == (15, 8) and ds.content.features["image"].shape == (15, 6)
    assert ds.content.features["text"].dtype == torch.float32
    assert not ds.content.masks["image"][3] and ds.content.masks["image"].sum() == 14 and ds.content.masks["text"].all()
    assert ds.items["item_id"].iloc[2] == "B000000002"  # from i_id_mapping.csv
    split = ds.given_split()
    assert split.sizes() == {"train": 60, "valid": 20, "test": 20}
    assert split.sets(TEST).n_items == 15


def test_mmrec_without_image_features_and_bad_files(tmp_path):
    folder = tmp_path / "baby"
    shutil.copytree(FIXTURES / "mmrec" / "tiny", folder)
    (folder / "image_feat.npy").unlink()
    (folder / "tiny.inter").rename(folder / "baby.inter")
    ds = load_dataset(f"mmrec:{folder}")
    assert ds.name == "baby" and set(ds.content.features) == {"text"}
    np.save(folder / "text_feat.npy", np.zeros((4, 8), np.float32))  # fewer rows than items
    with pytest.raises(DatasetFormatError, match="one row per itemID"):
        load_mmrec(folder)
    (folder / "baby.inter").write_text("userID\titemID\trating\ttimestamp\tx_label\n0\t1\t5\t1\t7\n")
    with pytest.raises(DatasetFormatError, match="x_label must be 0/1/2"):
        load_mmrec(folder)
    (folder / "baby.inter").write_text("user,item\n0,1\n")
    with pytest.raises(DatasetFormatError, match="missing column"):
        load_mmrec(folder)
    with pytest.raises(DatasetUnavailableError, match="MMRec"):
        load_mmrec(tmp_path / "absent")


def test_movielens_100k_original_format():
    ds = load_movielens(FIXTURES / "ml-100k", "100k")
    assert (ds.n_users, ds.n_items, len(ds.interactions)) == (24, 36, 24 * 9)
    items = ds.items.set_index("item_id")
    assert items.loc["12", "title"] == "Misérables, Les (1995)"  # latin-1 decoded
    assert items.loc["2", "text"] == "Movie Number 2 (1992). Genres: Animation, Drama."
    assert items.loc["2", "description"] == "Genres: Animation, Drama."
    assert pd.isna(items.loc["7", "text"]) and not items.loc["7", "has_text"]  # "unknown", no genre
    assert ds.items["has_image"].sum() == 0
    rated = set(ds.interactions["item_idx"])
    assert int(items.loc["36", "item_idx"]) not in rated  # never rated: a cold item, kept
    assert ds.interactions["user_idx"].max() == 23 and ds.interactions["item_idx"].max() < 36
    split = random_split(ds.interactions, ds.n_users, ds.n_items, seed=0)
    assert split.sizes()["test"] > 0


def test_movielens_1m_original_format_and_min_rating():
    ds = load_dataset(f"movielens-1m:{FIXTURES / 'ml-1m'}")
    assert (ds.n_users, ds.n_items, len(ds.interactions)) == (18, 24, 18 * 7)
    titles = ds.items.set_index("item_id")["title"]
    assert titles["3"] == "Star Wars: Episode IV - A New Hope (1977)" and titles["5"] == "Amélie (2001)"
    assert ds.items.set_index("item_id").loc["4", "text"] == "Film 4 (1998). Genres: Comedy."
    high = load_movielens(FIXTURES / "ml-1m", "1m", min_rating=4)
    assert 0 < len(high.interactions) < len(ds.interactions) and (high.interactions["rating"] >= 4).all()


def test_movielens_wrong_files_fail_clearly(tmp_path):
    with pytest.raises(DatasetUnavailableError, match="u.data"):
        load_movielens(tmp_path, "100k")
    shutil.copy(FIXTURES / "ml-1m" / "ratings.dat", tmp_path / "u.data")
    shutil.copy(FIXTURES / "ml-100k" / "u.item", tmp_path / "u.item")
    with pytest.raises(DatasetFormatError, match="not a number"):
        load_movielens(tmp_path, "100k")


def test_specs():
    assert parse_spec("sample") == ("sample", None)
    assert parse_spec("mmrec:/x/baby") == ("mmrec", "/x/baby")
    assert parse_spec("movielens-100k") == ("movielens-100k", None)
    for bad, message in (("netflix", "unknown dataset spec"), ("mmrec", "needs a folder"), ("sample:/x", "no folder")):
        with pytest.raises(ValueError, match=message):
            parse_spec(bad)


def test_sample_spec_gives_the_catalog():
    ds = load_dataset("sample", check_media=False)
    assert (ds.n_users, ds.n_items) == (700, 600) and ds.catalog is not None
    assert ds.items["has_image"].sum() > 500 and not ds.has_given_split


def test_checksums_are_verified():
    verify_checksum(FIXTURES / "ml-100k-mini.zip", f"sha256:{MINI_ZIP_SHA256}")
    verify_checksum(FIXTURES / "ml-100k-mini.zip", f"md5:{MINI_ZIP_MD5}")
    with pytest.raises(ChecksumError, match="expected"):
        verify_checksum(FIXTURES / "ml-100k-mini.zip", "md5:" + "0" * 32)
    with pytest.raises(ValueError, match="md5:<hex>"):
        verify_checksum(FIXTURES / "ml-100k-mini.zip", "crc32:1234")


def test_fetch_downloads_verifies_and_refuses_a_wrong_archive(tmp_path):
    url = (FIXTURES / "ml-100k-mini.zip").as_uri()  # a local "server"
    dest = fetch(url, f"md5:{MINI_ZIP_MD5}", tmp_path / "cache" / "ml-100k.zip")
    assert dest.read_bytes() == (FIXTURES / "ml-100k-mini.zip").read_bytes()
    other = tmp_path / "other.zip"
    with pytest.raises(ChecksumError):
        fetch(url, "md5:" + "0" * 32, other)
    assert not other.exists() and not other.with_name("other.zip.part").exists()  # nothing half-done kept
    dest.write_bytes(b"damaged")  # a damaged file in the cache is detected, not used
    with pytest.raises(ChecksumError):
        fetch(url, f"md5:{MINI_ZIP_MD5}", dest)


def test_offline_download_fails_with_where_to_put_the_file(tmp_path):
    with pytest.raises(DatasetUnavailableError) as info:
        fetch("http://127.0.0.1:9/ml-100k.zip", f"md5:{MINI_ZIP_MD5}", tmp_path / "ml-100k.zip", timeout=5)
    assert str(tmp_path / "ml-100k.zip") in str(info.value) and "Without internet" in str(info.value)
    with pytest.raises(DatasetUnavailableError, match="put ml-100k.zip"):
        load_dataset("movielens-100k", cache_dir=tmp_path, download=False)


def test_ensure_archive_unpacks_a_verified_zip_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setitem(ARCHIVES, "movielens-100k", Archive((FIXTURES / "ml-100k-mini.zip").as_uri(),
                                                            f"sha256:{MINI_ZIP_SHA256}", "ml-100k",
                                                            ("u.data", "u.item")))
    folder = ensure_archive("movielens-100k", tmp_path)
    assert folder == tmp_path / "ml-100k" and (folder / "u.item").is_file()
    ds = load_dataset("movielens-100k", cache_dir=tmp_path, download=False)  # now found in the cache
    assert ds.n_items == 36
    assert download_module.dataset_cache_dir(tmp_path) == tmp_path


def test_default_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MMREC_CACHE_DIR", str(tmp_path))
    assert download_module.dataset_cache_dir() == tmp_path / "datasets"
