"""Figures a student can read: no text in the package's figures below 9 pt."""

from __future__ import annotations

import re
from pathlib import Path

FIGURE_CODE = [*Path(__file__).resolve().parents[1].glob("mmrec_tutorial/viz/*.py"),
               *Path(__file__).resolve().parents[1].glob("mmrec_tutorial/widgets/*.py")]


def test_no_font_below_nine_points():
    small = [f"{path.name}:{n}: {line.strip()}" for path in FIGURE_CODE
             for n, line in enumerate(path.read_text().splitlines(), 1)
             for size in re.findall(r"(?:fontsize|labelsize)=([0-9.]+)", line) if float(size) < 9]
    assert not small, "fonts below 9 pt:\n" + "\n".join(small)
