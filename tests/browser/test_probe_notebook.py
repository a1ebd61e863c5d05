"""Prove the browser harness on a small generated widget notebook.

The probe notebook has a FloatSlider "alpha", an IntSlider "δ" and an HTML output tagged
``mmrec-probe`` showing ``score = alpha·δ``, recomputed by the kernel on every change: the
same shape as the course's fusion sliders (03) and δ-mix slider (04).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from labdriver import (
    LabError,
    LabServer,
    NotebookError,
    drag_slider,
    move_slider,
    run_notebook_in_lab,
    screenshot,
    set_slider,
    slider,
    slider_value,
    text_of,
    wait_for_text,
    wait_for_text_change,
    widget_by_class,
)

pytestmark = pytest.mark.browser

PROBE_SETUP = "import ipywidgets as W\nfrom IPython.display import display"
PROBE_WIDGETS = '''\
alpha = W.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.1, description="alpha")
delta = W.IntSlider(value=2, min=1, max=5, description="δ")
out = W.HTML()
out.add_class("mmrec-probe")

def score(a: float, d: int) -> float:
    return a * d

def render(change=None):
    out.value = f"<b>score</b> = {score(alpha.value, delta.value):.4f}"

alpha.observe(render, names="value")
delta.observe(render, names="value")
render()
display(W.VBox([alpha, delta, out]))'''


def write_notebook(path: Path, *sources: str) -> Path:
    """Write an nbformat-4 notebook of code cells (python3 kernel) to ``path``.

    Plain JSON on purpose: importing nbformat costs seconds (jsonschema) on a small machine.
    """
    cells = [
        {"cell_type": "code", "execution_count": None, "id": f"cell-{i}", "metadata": {},
         "outputs": [], "source": src}
        for i, src in enumerate(sources)
    ]
    nb = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def test_slider_moves_recompute_output(page, lab: LabServer, lab_tmp_dir: Path) -> None:
    """Run all cells, move sliders by keyboard, drag and typing; the output follows in < 1 s."""
    nb = write_notebook(lab_tmp_dir / "probe.ipynb", PROBE_SETUP, PROBE_WIDGETS)
    t_start = time.monotonic()
    assert run_notebook_in_lab(page, lab, lab.relpath(nb)) == []
    print(f"open + run all: {time.monotonic() - t_start:.1f}s")

    out = widget_by_class(page, "mmrec-probe")
    assert text_of(page, out) == "score = 1.0000"
    assert slider_value(page, "alpha") == "0.50"
    assert slider_value(page, "δ") == "2"
    screenshot(page, "probe-before")

    # One keyboard step: the kernel recomputes and the page shows it within a second.
    t0 = time.monotonic()
    assert move_slider(page, "alpha", steps=+1) == "0.60"
    new_text, _ = wait_for_text_change(page, out, "score = 1.0000", timeout=1.0)
    latency = time.monotonic() - t0
    print(f"slider -> rendered text latency: {latency * 1000:.0f} ms")
    assert new_text == "score = 1.2000"
    assert latency < 1.0

    # More steps, both directions, and the exact value each time.
    assert move_slider(page, "alpha", steps=+3) == "0.90"
    wait_for_text(page, out, "score = 1.8000", timeout=1.0)
    assert move_slider(page, "alpha", steps=-1) == "0.80"
    wait_for_text(page, out, "score = 1.6000", timeout=1.0)

    # A mouse drag to the end of the IntSlider's track, then a typed value.
    assert drag_slider(page, "δ", 1.0) == "5"
    wait_for_text(page, out, "score = 4.0000", timeout=1.0)
    assert set_slider(page, "alpha", 0.3) == "0.30"
    wait_for_text(page, out, "score = 1.5000", timeout=1.0)
    screenshot(page, "probe-after")
    screenshot(page, "probe-widgets", slider(page, "alpha").locator("xpath=.."))

    with pytest.raises(LabError, match="no slider labelled 'beta'"):
        slider(page, "beta", timeout=0.5)


def test_run_all_reports_cell_errors(page, lab: LabServer, lab_tmp_dir: Path) -> None:
    """A raising cell makes run_notebook_in_lab fail with the cell's traceback."""
    nb = write_notebook(
        lab_tmp_dir / "broken.ipynb",
        "x = 1",
        "raise ValueError('probe failure ' + str(x))",
        "y = 2",
    )
    with pytest.raises(NotebookError) as info:
        run_notebook_in_lab(page, lab, lab.relpath(nb))
    assert [(e["cell"], e["ename"], e["evalue"]) for e in info.value.errors] == [
        (1, "ValueError", "probe failure 1")
    ]
    assert "probe failure 1" in str(info.value)


def test_lab_settings_keep_committed_notebooks_untouched(lab: LabServer) -> None:
    """The test lab really loaded its settings: no autosave, no virtual scrolling, no news."""
    assert lab.settings("@jupyterlab/docmanager-extension:plugin")["autosave"] is False
    tracker = lab.settings("@jupyterlab/notebook-extension:tracker")
    assert (tracker["windowingMode"], tracker["autoStartDefaultKernel"]) == ("none", True)
    assert lab.settings("@jupyterlab/apputils-extension:notification")["fetchNews"] == "false"
