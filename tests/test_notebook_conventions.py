"""Every notebook follows the course conventions: Colab badge to its own path, a guarded set-up
cell that does nothing off Colab, a tagged parameters cell with QUICK/DEVICE/SEED, committed
outputs without errors or machine paths, and a GPU request where the notebook benefits."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
GPU_NOTEBOOKS = {"02", "03", "04", "05", "06"}


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def _src(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_colab_badge_points_at_own_path(path):
    first = _load(path)["cells"][0]
    assert first["cell_type"] == "markdown"
    badge = re.search(r"colab\.research\.google\.com/github/[^)]+/blob/main/(notebooks/[^)]+\.ipynb)", _src(first))
    assert badge and badge.group(1) == f"notebooks/{path.name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_setup_cell_only_acts_on_colab(path):
    setup = _load(path)["cells"][1]
    source = _src(setup)
    assert setup["cell_type"] == "code" and 'if "google.colab" in sys.modules:' in source
    body = source.split('if "google.colab" in sys.modules:')[0]
    assert "pip" not in body and "subprocess.run" not in body  # nothing runs outside the guard
    namespace: dict = {}
    exec(compile(source, str(path), "exec"), namespace)  # off Colab it must do nothing (and not fail)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell(path):
    cells = [c for c in _load(path)["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1
    source = _src(cells[0])
    for name in ("QUICK", "DEVICE", "SEED"):
        assert re.search(rf"^{name} = ", source, re.M), name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_outputs_are_clean(path):
    nb = _load(path)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c.get("execution_count") for c in code[2:]), "commit the notebook executed (mmrec-tutorial run --inplace)"
    text = json.dumps([c.get("outputs", []) for c in code])
    assert '"output_type": "error"' not in text
    assert not re.search(r"(?<![\w.])/(tmp|root|work|home|usr|opt)/", text), "absolute machine paths in outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_gpu_accelerator_requested_where_useful(path):
    meta = _load(path)["metadata"]
    if path.name[:2] in GPU_NOTEBOOKS:
        assert meta.get("accelerator") == "GPU"
    assert meta["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_committed_parameter_forces_a_mode(path):
    """nbval runs the committed notebooks with MMREC_QUICK=1; papermill's injected cell (``QUICK =
    False`` from a full run committed in place, or ``QUICK = True``) would pin every later run to
    that mode. ``mmrec-tutorial run --inplace`` drops it."""
    injected = [c for c in _load(path)["cells"] if "injected-parameters" in c.get("metadata", {}).get("tags", [])]
    assert not any(re.search(r"^QUICK = False", _src(c), re.M) for c in injected)
    assert not injected, "re-run: mmrec-tutorial run --inplace " + path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_progress_bars_are_committed(path):
    """Neither a progress bar in the outputs nor one left in the widget state of an earlier run."""
    nb = _load(path)
    state = nb["metadata"].get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    assert not [m for m in state.values() if "Progress" in m["model_name"]], "stale progress bars in widget state"
    text = json.dumps([c.get("outputs", []) for c in nb["cells"] if c["cell_type"] == "code"])
    assert not re.search(r"\d+%\|", text) and "it/s]" not in text, "a progress bar in the outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_teaching_scaffolding(path):
    """Objectives up front; exercises, their solutions and references at the end."""
    markdown = [_src(c) for c in _load(path)["cells"] if c["cell_type"] == "markdown"]
    assert "## What you will learn" in "\n".join(markdown[:3]), "objectives belong at the top"
    tail = "\n".join(markdown[-4:])
    for heading in ("## Exercises", "Solutions", "## References"):
        assert heading in tail, f"{heading!r} missing at the end of {path.name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_solutions_are_cells_that_run(path):
    """Worked solutions are code cells after the "Solutions" heading (nbval executes them), not
    prose hidden in a ``<details>`` block that nothing checks."""
    cells = _load(path)["cells"]
    start = next(k for k, c in enumerate(cells) if c["cell_type"] == "markdown" and "## Solutions" in _src(c))
    assert any(c["cell_type"] == "code" for c in cells[start + 1:]), f"{path.name}: no solution cell after the heading"
    assert not any("<details>" in _src(c) for c in cells if c["cell_type"] == "markdown"), f"{path.name}: hidden solutions"
