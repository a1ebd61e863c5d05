"""Recording results in notebooks, the papermill runner (with parameters) and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from mmrec_tutorial.cli import main
from mmrec_tutorial.course.records import MIME, read_records
from mmrec_tutorial.course.runner import format_summary, list_notebooks, run_notebooks

REPO = Path(__file__).resolve().parents[1]


def test_read_records_from_outputs():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("display_data", data={MIME: {"name": "ndcg@20", "value": 0.25},
                                                                 "text/plain": "ndcg@20 = 0.2500"})]
    nb.cells = [cell]
    assert read_records(json.loads(nbformat.writes(nb))) == {"ndcg@20": 0.25}


def test_notebooks_are_listed_in_order():
    names = [p.name for p in list_notebooks()]
    assert names[:2] == ["00_overview_and_setup.ipynb", "01_data_preparation.ipynb"]
    assert names == sorted(names)


@pytest.mark.slow
def test_papermill_runs_a_notebook_with_parameters(tmp_path):
    source = REPO / "notebooks" / "01_data_preparation.ipynb"
    runs = run_notebooks(tmp_path, [source], quick=True, parameters={"SEED": 3})
    assert runs[0].status == "ok", runs[0].status
    executed = nbformat.read(tmp_path / source.name, as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "SEED = 3" in injected[0].source and "QUICK = True" in injected[0].source
    assert runs[0].records["interactions"] == 27091
    assert "01_data_preparation.ipynb  ok" in format_summary(runs)


def test_failed_notebook_is_reported_not_raised(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("QUICK = None", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("raise RuntimeError('boom')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "99_broken.ipynb"
    nbformat.write(nb, path)
    runs = run_notebooks(tmp_path / "out", [path])
    assert runs[0].status.startswith("failed") and "boom" in runs[0].status
    assert "FAILED" in format_summary(runs)
    assert not (tmp_path / "out" / "99_broken.ipynb").exists()  # a failed run never takes the final name
    assert (tmp_path / "out" / "99_broken.failed.ipynb").exists() and "99_broken.failed.ipynb" in runs[0].status
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["99_broken.failed.ipynb"]


def test_ctrl_c_stops_the_run_prints_the_summary_and_leaves_no_half_notebook(tmp_path, monkeypatch, capsys):
    import papermill

    calls = []

    def execute(source, target, **kwargs):
        calls.append(source)
        if len(calls) == 1:
            Path(target).write_text(Path(source).read_text())  # the first notebook "runs"
            return
        Path(target).write_text("{half")  # the second is cut off by Ctrl-C mid-way
        raise KeyboardInterrupt

    monkeypatch.setattr(papermill, "execute_notebook", execute)
    paths = []
    for name in ("01_first.ipynb", "02_second.ipynb", "03_third.ipynb"):
        nb = nbformat.v4.new_notebook()
        nbformat.write(nb, tmp_path / name)
        paths.append(str(tmp_path / name))
    out = tmp_path / "out"
    assert main(["run", "--out", str(out), *paths]) == 130
    printed = capsys.readouterr().out
    status = {line.split()[0]: line.split()[1] for line in printed.splitlines() if line.startswith("0")}
    assert status == {"01_first.ipynb": "ok", "02_second.ipynb": "STOP"}, printed
    assert "interrupted (Ctrl-C)" in printed
    assert sorted(p.name for p in out.iterdir()) == ["01_first.ipynb"]  # no half-executed copy under any name
    assert len(calls) == 2


def test_cli_generate_and_check(tmp_path, capsys):
    out = tmp_path / "cat"
    assert main(["generate-data", "--out", str(out), "--n-items", "40", "--n-users", "25",
                 "--mean-interactions", "10"]) == 0
    assert "wrote" in capsys.readouterr().out
    assert main(["check-data", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "interactions.csv:" in printed and "kept" in printed
    assert main(["check-data", str(tmp_path / "missing")]) == 2
    assert "catalog folder not found" in capsys.readouterr().err
    assert main(["generate-data", "--out", str(out), "--n-items", "40", "--n-users", "25"]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and str(out) in err and "Traceback" not in err


@pytest.mark.sample_bytes
def test_cli_generate_data_with_no_options_reproduces_the_sample(tmp_path):
    """The data card's command (`generate-data --out data_samples`) rebuilds the sample exactly."""
    assert main(["generate-data", "--out", str(tmp_path / "s")]) == 0
    for name in ("items.csv", "users.csv", "interactions.csv"):
        assert (tmp_path / "s" / name).read_bytes() == (REPO / "data_samples" / name).read_bytes(), name


def test_widget_state_keeps_only_what_the_outputs_display():
    """Stale models (closed progress bars of earlier runs) go; a displayed widget keeps the models
    it refers to; a notebook that displays no widget keeps no widget state."""
    import nbformat

    from mmrec_tutorial.course.runner import WIDGET_STATE, WIDGET_VIEW, prune_widget_state

    def model(name, child=None):
        return {"model_name": name, "state": {"children": [f"IPY_MODEL_{child}"] if child else []}}

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("box")
    cell.outputs = [nbformat.v4.new_output("display_data", data={WIDGET_VIEW: {"model_id": "aa01"}})]
    nb.cells = [cell]
    nb.metadata["widgets"] = {WIDGET_STATE: {"state": {"aa01": model("VBoxModel", "bb02"), "bb02": model("FloatSliderModel"),
                                                      "cc03": model("FloatProgressModel")}}}
    prune_widget_state(nb)
    assert set(nb.metadata["widgets"][WIDGET_STATE]["state"]) == {"aa01", "bb02"}
    nb.cells[0].outputs = []
    prune_widget_state(nb)
    assert "widgets" not in nb.metadata
