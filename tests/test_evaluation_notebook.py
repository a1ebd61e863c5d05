"""Regression guard: the metrics that the committed, executed notebook 06 recorded.

``mmrec-tutorial run --full --inplace notebooks/06_end_to_end.ipynb`` (CPU) stores its key numbers
with ``course.records.record``; this test reads them back and checks them against the values of the run
that was reviewed, with a tolerance, so that a change that quietly degrades the pipeline cannot
be committed together with its re-executed notebook unnoticed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mmrec_tutorial.course.records import read_records

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "06_end_to_end.ipynb"
#: Test-set Recall@20 / NDCG@20 (all test interactions) of the reviewed full run on the sample.
EXPECTED = {"recall@20/popularity": 0.0788, "ndcg@20/popularity": 0.0494,
            "recall@20/bpr": 0.1715, "ndcg@20/bpr": 0.1165,
            "recall@20/vbpr": 0.2091, "ndcg@20/vbpr": 0.1451,
            "recall@20/crossmodal": 0.1917, "ndcg@20/crossmodal": 0.1334,
            "recall@20/crossmodal-deepmf": 0.1805, "ndcg@20/crossmodal-deepmf": 0.1288,
            "recall@20/crossmodal-transformer": 0.1931, "ndcg@20/crossmodal-transformer": 0.1314}
TOLERANCE = 0.02


@pytest.fixture(scope="module")
def records():
    return read_records(NOTEBOOK)


def test_the_committed_run_is_on_the_sample(records):
    assert records.get("dataset") == "sample"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_recorded_metrics_match_the_reviewed_run(records, name):
    assert name in records, f"{name} not recorded; re-run: mmrec-tutorial run --inplace {NOTEBOOK.name}"
    assert records[name] == pytest.approx(EXPECTED[name], abs=TOLERANCE)


def test_the_ordering_the_course_teaches_holds(records):
    assert records["recall@20/vbpr"] > records["recall@20/bpr"] > records["recall@20/popularity"]
    assert records["recall@20/crossmodal"] > records["recall@20/bpr"]
