"""Regression guard for notebook 07: the key numbers its committed (full) run recorded.

The values are those of the reviewed full run on Last.fm 2K (``mmrec-tutorial run --full
--inplace notebooks/07_real_data.ipynb``); the test reads the committed notebook, so it needs no
data and no training, and a re-executed notebook whose numbers drift is caught.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmrec_tutorial.course.records import read_records

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "07_real_data.ipynb"
TOLERANCE = 0.01
#: Recorded by the reviewed full run (3 model seeds, the published split with 10% of the artists cold).
EXPECTED = {"BPR-MF recall@20": 0.3432, "VBPR recall@20": 0.3626, "VBPR / BPR-MF recall@20": 1.0566,
            "best content model cold recall@20": 0.2069, "BPR-MF cold recall@20": 0.0,
            "LightGCN recall@20": 0.3513, "item graph recall@20": 0.3614, "item graph cold recall@20": 0.0327}


@pytest.fixture(scope="module")
def records():
    return read_records(NOTEBOOK)


def test_the_committed_run_is_a_full_run():
    meta = json.loads(NOTEBOOK.read_text())["metadata"].get("papermill", {})
    assert meta.get("parameters", {}).get("QUICK") is False, "commit notebook 07 from a full run (--full)"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_recorded_metrics_match_the_reviewed_run(records, name):
    assert records[name] == pytest.approx(EXPECTED[name], abs=TOLERANCE)


def test_what_the_verdict_rests_on(records):
    assert records["best content model cold recall@20"] > records["BPR-MF cold recall@20"]
    assert records["BPR-MF recall@20"] > 0.25  # a converged BPR-MF on Last.fm 2K, not a toy
    assert records["LightGCN recall@20"] > records["BPR-MF recall@20"]  # the user–item graph pays here
