"""Build course notebooks with the standard header, so every notebook starts the same way.

Usage (in a throwaway script or a REPL)::

    from mmrec_tutorial.course.template import md, code, build
    build("03_fusion", "Fusion of modalities", "One paragraph ...", [md("..."), code("...")], gpu=True)

``build`` writes ``notebooks/<name>.ipynb`` (unexecuted) with: a title cell with an "Open in
Colab" badge pointing at the notebook's own path, the guarded Colab set-up cell, and the tagged
``parameters`` cell (``QUICK``, ``DEVICE``, ``SEED`` plus any extra ``params``). Execute it with
``mmrec-tutorial run --inplace notebooks/<name>.ipynb`` to store outputs reproducibly.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from ..data.paths import REPO_DIR

REPO_URL = "https://github.com/mmrec-tutorial/mmrec-tutorial"
COLAB_URL = "https://colab.research.google.com/github/mmrec-tutorial/mmrec-tutorial/blob/main/notebooks/{name}.ipynb"
NOTEBOOKS = REPO_DIR / "notebooks"

SETUP = f'''# Set-up: on Colab, fetch the course and install it; anywhere else this cell does nothing.
import os, subprocess, sys
if "google.colab" in sys.modules:
    if not os.path.isdir("/content/mmrec-tutorial"):
        subprocess.run(["git", "clone", "--depth", "1", "{REPO_URL}", "/content/mmrec-tutorial"], check=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", "/content/mmrec-tutorial"], check=True)
    os.chdir("/content/mmrec-tutorial/notebooks")'''


def md(source: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(source.strip("\n"))


def code(source: str, *tags: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source.strip("\n"))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def header(name: str, title: str, summary: str, params: str = "") -> list[nbformat.NotebookNode]:
    badge = f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({COLAB_URL.format(name=name)})"
    parameters = ("# Parameters (papermill can override them). QUICK=None means: read MMREC_QUICK.\n"
                  "QUICK = None\nDEVICE = \"auto\"  # \"auto\" picks CUDA, then MPS, then CPU\nSEED = 0")
    if params:
        parameters += "\n" + params.strip("\n")
    return [md(f"# {title}\n\n{badge}\n\n{summary}"), code(SETUP), code(parameters, "parameters")]


def build(name: str, title: str, summary: str, cells: list[nbformat.NotebookNode], params: str = "",
          gpu: bool = False) -> Path:
    """Write ``notebooks/<name>.ipynb`` with the standard header followed by ``cells``."""
    nb = nbformat.v4.new_notebook()
    nb.cells = header(name, title, summary, params) + cells
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["colab"] = {"provenance": []}
    if gpu:
        nb.metadata["accelerator"] = "GPU"
        nb.metadata["colab"]["gpuType"] = "T4"
    path = NOTEBOOKS / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path
