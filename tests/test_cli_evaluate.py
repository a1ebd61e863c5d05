"""``mmrec-tutorial evaluate`` end to end on the fixture datasets (tiny, so it takes seconds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmrec_tutorial.cli import main

FIXTURES = Path(__file__).resolve().parent / "fixtures"


pytestmark = pytest.mark.usefixtures("one_thread")  # conftest: small models run fastest on one thread


def test_evaluate_on_an_mmrec_folder_writes_markdown_and_json(tmp_path, capsys):
    md, js = tmp_path / "out" / "table.md", tmp_path / "table.json"
    code = main(["evaluate", "--data", f"mmrec:{FIXTURES / 'mmrec' / 'tiny'}", "--models", "popularity,bpr,vbpr",
                 "--epochs", "3", "--n-boot", "50", "--no-progress", "--device", "cpu",
                 "--markdown", str(md), "--json", str(js)])
    out = capsys.readouterr().out
    assert code == 0
    assert "tiny: 20 users, 15 items, 100 interactions; features: text (15, 8), image (15, 6)" in out
    assert "published split" in out and "protocol:" in out
    rows = json.loads(js.read_text())["rows"]
    assert [(r["model"], r["subset"]) for r in rows] == [("popularity", "all"), ("bpr", "all"), ("vbpr", "all")]
    assert all(0 <= r["recall@20"] <= 1 and r["users"] == 20 for r in rows)
    assert md.read_text().startswith("| model | subset | users |")


def test_evaluate_on_movielens_files_with_cold_rows(tmp_path, capsys):
    code = main(["evaluate", "--data", f"movielens-100k:{FIXTURES / 'ml-100k'}", "--models", "popularity,bpr",
                 "--split", "warm+cold", "--cold-frac", "0.2", "--epochs", "2", "--n-boot", "20", "--no-progress",
                 "--device", "cpu", "--json", str(tmp_path / "t.json")])
    assert code == 0
    rows = json.loads((tmp_path / "t.json").read_text())["rows"]
    assert {(r["model"], r["subset"]) for r in rows} == {(m, s) for m in ("popularity", "bpr")
                                                         for s in ("all", "warm", "cold")}
    cold = next(r for r in rows if r["model"] == "popularity" and r["subset"] == "cold")
    assert cold["recall@20"] == 0.0  # popularity cannot rank items nobody used in training
    assert "movielens-100k: 24 users, 36 items" in capsys.readouterr().out


def test_evaluate_skips_content_models_without_content_and_fails_clearly(tmp_path, capsys):
    folder = tmp_path / "idonly"
    folder.mkdir()
    (folder / "idonly.inter").write_text((FIXTURES / "mmrec" / "tiny" / "tiny.inter").read_text())
    assert main(["evaluate", "--data", f"mmrec:{folder}", "--models", "bpr,vbpr", "--epochs", "1", "--n-boot", "10",
                 "--no-progress", "--device", "cpu"]) == 0
    assert "note: vbpr skipped: idonly has no item content features" in capsys.readouterr().out
    assert main(["evaluate", "--data", f"mmrec:{tmp_path / 'absent'}", "--no-progress"]) == 2
    assert "error:" in capsys.readouterr().err
    assert main(["evaluate", "--data", "movielens-1m", "--cache-dir", str(tmp_path), "--no-download",
                 "--models", "bpr"]) == 2
    assert "put ml-1m.zip" in capsys.readouterr().err


def test_unknown_model_names_are_refused(capsys):
    with pytest.raises(SystemExit):
        main(["evaluate", "--models", "bpr,nonsense"])
    assert "unknown model(s) nonsense" in capsys.readouterr().err
