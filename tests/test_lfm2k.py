"""Last.fm 2K: pinned files fetched one by one (checked), a local copy found through
MMREC_DATA_DIR, and the real dataset read as the course reads every dataset.

The real-data tests need the files (``python3 tasks.py test`` points MMREC_DATA_DIR at
``../shared/data`` when that folder exists); without them they skip with a message.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from mmrec_tutorial.data.adapters import (FILE_SETS, DatasetUnavailableError, FileSet, ensure_files, load_dataset,
                                          parse_spec)
from mmrec_tutorial.data.adapters.download import local_copy


def _real_lfm2k() -> Path:
    folder = local_copy("lfm2k")
    if folder is None:
        pytest.skip("Last.fm 2K not found: set MMREC_DATA_DIR to a folder holding lfm2k/ (the test command does "
                    "when ../shared/data exists)")
    return folder


def _tiny_set(tmp_path: Path) -> FileSet:
    server = tmp_path / "server"
    server.mkdir()
    files = {}
    for name, text in (("a.txt", "alpha"), ("b.txt", "beta")):
        (server / name).write_text(text)
        files[name] = (name, "sha256:" + hashlib.sha256(text.encode()).hexdigest())
    return FileSet(server.as_uri() + "/", files, "test data")


def test_ensure_files_downloads_each_file_once_and_checks_it(tmp_path, monkeypatch):
    monkeypatch.delenv("MMREC_DATA_DIR", raising=False)
    monkeypatch.setitem(FILE_SETS, "tiny", _tiny_set(tmp_path))
    with pytest.raises(DatasetUnavailableError, match="put a.txt, b.txt into"):
        ensure_files("tiny", tmp_path / "cache", download=False)
    folder = ensure_files("tiny", tmp_path / "cache")
    assert folder == tmp_path / "cache" / "tiny" and (folder / "b.txt").read_text() == "beta"
    (folder / "a.txt").write_text("tampered")
    with pytest.raises(Exception, match="sha256"):
        ensure_files("tiny", tmp_path / "cache", download=False)


def test_a_local_copy_under_mmrec_data_dir_is_used_and_checked(tmp_path, monkeypatch):
    spec = _tiny_set(tmp_path)
    monkeypatch.setitem(FILE_SETS, "tiny", spec)
    copy = tmp_path / "shared" / "tiny"
    copy.mkdir(parents=True)
    for name in spec.files:
        (copy / name).write_bytes((tmp_path / "server" / name).read_bytes())
    monkeypatch.setenv("MMREC_DATA_DIR", str(tmp_path / "shared"))
    assert ensure_files("tiny", tmp_path / "cache", download=False) == copy
    assert not (tmp_path / "cache").exists()  # nothing copied, nothing downloaded


def test_lfm2k_offline_without_a_copy_says_where_to_put_which_file(tmp_path, monkeypatch):
    monkeypatch.delenv("MMREC_DATA_DIR", raising=False)
    with pytest.raises(DatasetUnavailableError) as info:
        load_dataset("lfm2k", cache_dir=tmp_path, download=False)
    message = str(info.value)
    assert "lfm2k.inter" in message and "vggish.npy" in message and str(tmp_path / "lfm2k") in message
    assert parse_spec("lfm2k") == ("lfm2k", None) and parse_spec("lfm2k:/x") == ("lfm2k", "/x")


def test_lfm2k_real_files():
    folder = _real_lfm2k()
    ds = load_dataset("lfm2k", download=False)
    assert ds.root == folder
    assert (ds.n_users, ds.n_items, len(ds.interactions)) == (1858, 1425, 56345)
    assert ds.given_split().sizes() == {"train": 44327, "valid": 4799, "test": 7219}
    assert {m: tuple(f.shape) for m, f in ds.content.features.items()} == {"text": (1425, 384), "vggish": (1425, 128),
                                                                    "whisper": (1425, 512)}
    assert all(f.dtype.is_floating_point and f.dtype.itemsize == 4 for f in ds.content.features.values())  # float64 read as 32
    assert ds.items["title"].str.len().gt(0).all() and ds.items["has_text"].all()
    first = ds.items.iloc[0]
    assert first["description"].startswith("Tags: ") and first["text"].startswith(first["title"] + ". ")
    assert len(set(ds.items["item_id"])) == 1425


def test_mmrec_spec_with_explicit_feature_files():
    folder = _real_lfm2k()
    ds = load_dataset(f"mmrec:{folder}#lfm2k;audio=whisper.npy")
    assert list(ds.content.features) == ["audio"] and ds.content.features["audio"].shape == (1425, 512)
    with pytest.raises(ValueError, match="<modality>=<file>"):
        load_dataset(f"mmrec:{folder}#lfm2k;whisper.npy")
    np.testing.assert_array_equal(ds.content.features["audio"].numpy(),
                                  np.load(folder / "whisper.npy").astype(np.float32))
