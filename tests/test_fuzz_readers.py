"""Property-based fuzzing of the readers: whatever the bytes, the outcome is a result (with
findings) or the reader's own clear error — never another exception.

Readers covered: the catalog CSVs (``load_catalog``), MMRec's ``.inter`` (``read_inter``), WAV
(``read_wav``) and images (``decode_image``). Each runs a bounded number of examples, so the
whole file takes well under a minute.
"""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from mmrec_tutorial.data.adapters import DatasetFormatError
from mmrec_tutorial.data.adapters.mmrec import read_inter
from mmrec_tutorial.data.catalog import CatalogError, load_catalog
from mmrec_tutorial.data.media import AudioReadError, MediaLimitError, decode_image, read_wav

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
cells = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
numbers = st.one_of(st.integers(-10**12, 10**12).map(str), st.floats(allow_nan=True).map(str),
                    st.sampled_from(["inf", "-inf", "nan", "", "1e400", "0x10", " 7 "]))


@pytest.fixture
def catalog_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "cat"
    (folder / "images").mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(folder / "images" / "a.png")
    (folder / "items.csv").write_text("item_id,title,description,category,image,audio\n"
                                      "a,A,first,book,images/a.png,\nb,B,second,book,,\n")
    (folder / "users.csv").write_text("user_id\nu1\nu2\n")
    (folder / "interactions.csv").write_text("user_id,item_id,rating,timestamp\nu1,a,1,1600000000\n")
    return folder


def _csv(rows: list[list[str]]) -> str:
    return "\n".join(",".join('"' + c.replace('"', '""') + '"' for c in row) for row in rows) + "\n"


@FUZZ
@given(rows=st.lists(st.tuples(st.sampled_from(["u1", "u2", "u3", ""]), st.sampled_from(["a", "b", "z", ""]),
                               numbers, numbers), max_size=8))
def test_interaction_rows_give_findings_or_a_catalog_error(catalog_folder, rows):
    (catalog_folder / "interactions.csv").write_text(_csv([["user_id", "item_id", "rating", "timestamp"],
                                                           *map(list, rows)]))
    catalog, report = load_catalog(catalog_folder)
    assert len(catalog.interactions) + sum(p.action == "dropped" for p in report.problems
                                           if p.file == "interactions.csv") == len(rows)


@FUZZ
@given(image=cells, audio=cells, title=cells)
def test_item_rows_with_any_media_path_give_findings(catalog_folder, image, audio, title):
    (catalog_folder / "items.csv").write_text(_csv([["item_id", "title", "description", "category", "image", "audio"],
                                                    ["a", title, "x", "book", image, audio]]))
    catalog, report = load_catalog(catalog_folder)
    for column in ("image", "audio"):
        path = catalog.items[column].iloc[0]
        assert path is None or path != path or catalog.media_path(path).is_relative_to(catalog_folder.resolve())


@FUZZ
@given(data=st.binary(max_size=300))
def test_any_bytes_as_a_catalog_csv_give_a_catalog_error_or_a_catalog(catalog_folder, data):
    (catalog_folder / "interactions.csv").write_bytes(data)
    try:
        load_catalog(catalog_folder, check_media=False)
    except CatalogError:
        pass


@FUZZ
@given(text=st.one_of(st.text(max_size=200),
                      st.lists(st.tuples(numbers, numbers, numbers, numbers, numbers), max_size=6).map(
                          lambda rows: "userID\titemID\trating\ttimestamp\tx_label\n"
                                       + "".join("\t".join(r) + "\n" for r in rows))))
def test_inter_files_give_rows_or_a_format_error(tmp_path, text):
    path = tmp_path / "x.inter"
    path.write_text(text)
    try:
        frame = read_inter(path)
    except DatasetFormatError:
        return
    assert (frame["user_idx"] >= 0).all() and frame["x_label"].isin([0, 1, 2]).all()


def _wav_bytes(channels: int, width: int, rate: int, frames: int) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as f:
        f.setnchannels(channels), f.setsampwidth(width), f.setframerate(rate)
        f.writeframes(bytes(frames * channels * width))
    return buf.getvalue()


@FUZZ
@given(header=st.builds(_wav_bytes, st.integers(1, 16), st.integers(1, 4), st.integers(1, 96000),
                        st.integers(0, 64)),
       cut=st.integers(0, 200), junk=st.binary(max_size=64))
def test_wav_bytes_give_samples_or_a_clear_error(tmp_path, header, cut, junk):
    path = tmp_path / "x.wav"
    path.write_bytes(header[: len(header) - cut] + junk if cut % 2 else header)
    try:
        samples, rate = read_wav(path)
    except (AudioReadError, MediaLimitError):
        return
    assert samples.ndim == 1 and rate > 0 and np.isfinite(samples).all()


def _png_bytes(width: int, height: int, mode: str) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (width, height)).save(buf, format="PNG")
    return buf.getvalue()


@FUZZ
@given(image=st.builds(_png_bytes, st.integers(1, 40), st.integers(1, 40), st.sampled_from(["RGB", "L", "RGBA", "P"])),
       flips=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=6), cut=st.integers(0, 80))
def test_image_bytes_give_rgb_pixels_or_a_clear_error(tmp_path, image, flips, cut):
    data = bytearray(image[: max(8, len(image) - cut)])
    for at, value in flips:
        if at < len(data):
            data[at] = value
    path = tmp_path / "x.png"
    path.write_bytes(bytes(data))
    try:
        rgb, _ = decode_image(path)
    except ValueError:  # MediaLimitError is one too
        return
    assert rgb.mode == "RGB"
