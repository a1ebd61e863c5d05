"""Executing the course notebooks headless with papermill, and summarising the runs."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import time
from pathlib import Path

from ..data.paths import REPO_DIR
from .records import read_records

NOTEBOOK_DIR = REPO_DIR / "notebooks"


@dataclasses.dataclass
class NotebookRun:
    """How one notebook run went."""

    notebook: str
    status: str  # "ok" or "failed: <error>"
    seconds: float
    records: dict


def list_notebooks(directory: Path = NOTEBOOK_DIR) -> list[Path]:
    """The course notebooks in order (numbered file names ``NN_*.ipynb``)."""
    return sorted(p for p in directory.glob("[0-9][0-9]_*.ipynb"))


def run_notebooks(out_dir: str | Path, notebooks: list[Path] | None = None, quick: bool = True,
                  parameters: dict | None = None, inplace: bool = False, timeout: int = 1800) -> list[NotebookRun]:
    """Execute each notebook with papermill (working directory ``notebooks/``) and collect a summary.

    ``QUICK`` and any ``parameters`` are injected into the notebook's ``parameters`` cell.
    With ``inplace`` the executed notebook replaces the source (how the committed outputs are made).
    Each notebook is executed into a temporary file next to its target and renamed only when it
    ran to the end: a failed run is kept as ``<out_dir>/<name>.failed.ipynb`` (for the traceback)
    and never replaces anything. Ctrl-C stops the run: the notebook under way is marked
    ``interrupted`` (its partial copy deleted) and the runs so far are returned.
    """
    import papermill as pm

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    runs = []
    env_quick = os.environ.get("MMREC_QUICK")
    os.environ["MMREC_QUICK"] = "1" if quick else "0"
    try:
        for path in notebooks or list_notebooks():
            target = path if inplace else out / path.name
            partial = target.with_name(f".{target.stem}.partial.ipynb")
            start = time.perf_counter()
            try:
                pm.execute_notebook(str(path), str(partial), parameters={"QUICK": quick, **(parameters or {})},
                                    cwd=str(path.parent), kernel_name="python3", progress_bar=False,
                                    execution_timeout=timeout)
                status = "ok"
            except KeyboardInterrupt:
                partial.unlink(missing_ok=True)
                runs.append(NotebookRun(path.name, "interrupted", time.perf_counter() - start, {}))
                break
            except Exception as exc:  # papermill raises PapermillExecutionError with the cell's traceback
                status = f"failed: {type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"
            seconds = time.perf_counter() - start
            records = read_records(partial) if partial.exists() else {}
            if status == "ok":
                _tidy_executed(partial, drop_injected=inplace)
                os.replace(partial, target)
            elif partial.exists():
                failed = out / f"{path.stem}.failed.ipynb"
                os.replace(partial, failed)
                status += f" (executed copy: {failed})"
            runs.append(NotebookRun(path.name, status, seconds, records))
    finally:
        if env_quick is None:
            os.environ.pop("MMREC_QUICK", None)
        else:
            os.environ["MMREC_QUICK"] = env_quick
    return runs


def _tidy_executed(path: Path, drop_injected: bool) -> None:
    """Tidy an executed notebook before it replaces anything.

    - Widget state is kept only for the widgets its outputs display (and the models those refer
      to): papermill carries the source's ``metadata.widgets`` over and the kernel adds every
      widget it ever made, so without this a notebook keeps the closed progress bars of earlier
      runs. No displayed widget: no widget state.
    - With ``drop_injected`` (a notebook committed in place), papermill's injected-parameters cell
      goes: a committed ``QUICK = False`` would make nbval (and readers re-running it) redo the
      full run; the parameters stay recorded in the notebook's papermill metadata.
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
    if drop_injected:
        nb.cells = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    prune_widget_state(nb)
    path.write_text(nbformat.writes(nb))


WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def prune_widget_state(nb) -> None:
    """Keep in ``nb.metadata.widgets`` only the models that a displayed widget needs: the ones its
    outputs show and, transitively, those their state names (``IPY_MODEL_<id>``)."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    wanted = [o["data"][WIDGET_VIEW]["model_id"] for c in nb.cells for o in c.get("outputs", [])
              if WIDGET_VIEW in o.get("data", {})]
    keep: set[str] = set()
    while wanted:
        model = wanted.pop()
        if model in keep or model not in state:
            continue
        keep.add(model)
        wanted += re.findall(r"IPY_MODEL_([0-9a-f]+)", json.dumps(state[model]))
    if keep:
        nb.metadata["widgets"][WIDGET_STATE]["state"] = {k: v for k, v in state.items() if k in keep}
    else:
        nb.metadata.pop("widgets", None)


def format_summary(runs: list[NotebookRun]) -> str:
    """A plain-text table: notebook, status, seconds, key metrics."""
    width = max([len(r.notebook) for r in runs] + [8])
    lines = [f"{'notebook':<{width}}  {'status':<6}  {'seconds':>7}  key results", "-" * (width + 40)]
    for r in runs:
        keys = ", ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.records.items())
        status = {"ok": "ok", "interrupted": "STOP"}.get(r.status, "FAILED")
        lines.append(f"{r.notebook:<{width}}  {status:<6}  {r.seconds:7.1f}  {keys}")
        if r.status not in ("ok", "interrupted"):
            lines.append(f"{'':<{width}}  {r.status}")
        if r.status == "interrupted":
            lines.append(f"{'':<{width}}  interrupted (Ctrl-C): this notebook and the ones after it did not run")
    return "\n".join(lines)
