"""Recording key results inside a notebook so that tools can read them back.

``record("ndcg@20", 0.1234)`` shows a small line in the notebook *and* stores the value in
the cell output under the MIME type ``application/vnd.mmrec.metric+json``. The run command
(``mmrec-tutorial run``) and the tests read those outputs back with ``read_records``, so the
summary never prints a number the notebook did not compute.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MIME = "application/vnd.mmrec.metric+json"


def record(name: str, value: Any) -> None:
    """Show ``name = value`` and store it as a machine-readable output of the current cell."""
    from IPython.display import display

    if hasattr(value, "item"):
        value = value.item()
    text = f"{name} = {value:.4f}" if isinstance(value, float) else f"{name} = {value}"
    display({MIME: {"name": name, "value": value}, "text/plain": text}, raw=True)


def read_records(notebook: str | Path | dict) -> dict[str, Any]:
    """All values recorded with ``record`` in an executed notebook (file path or parsed JSON)."""
    nb = json.loads(Path(notebook).read_text()) if not isinstance(notebook, dict) else notebook
    out: dict[str, Any] = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if MIME in data:
                payload = data[MIME]
                if isinstance(payload, str):
                    payload = json.loads(payload)
                out[payload["name"]] = payload["value"]
    return out
