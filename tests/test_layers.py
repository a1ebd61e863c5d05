"""The package's import layers (DESIGN.md §2): every import points down, nothing points up.

Each top-level module or package of ``mmrec_tutorial`` has a layer; a file may import from its own
unit or from a lower layer only, at module level or inside a function. The launchers (``cli`` and
``python -m mmrec_tutorial.distributed``) sit on top.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mmrec_tutorial"
LAYERS = {
    "device": 0, "data": 1, "metrics": 2, "encoders": 3, "fusion": 3, "crossmodal": 4, "models": 5,
    "distributed": 6, "train": 7, "evaluation": 8, "serving": 8, "viz": 9, "course": 9, "widgets": 10,
    "cli": 11, "distributed.__main__": 11, "__init__": 12,
}


def _unit(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return "distributed.__main__" if parts == ("distributed", "__main__") else parts[0]


def _imported_units(path: Path):
    """``(line, unit)`` for every import of another part of the package in ``path``."""
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    here = parts[:-1]  # the package the file is in (a module's own folder; an __init__'s package)
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                names = (node.module or "").split(".")
                if names[0] != "mmrec_tutorial":
                    continue
                target = names[1:]
            else:
                target = here[:len(here) - (node.level - 1)] + ((node.module or "").split(".") if node.module else [])
            if target:
                yield node.lineno, target[0]
            else:  # `from . import x` at the package root
                for alias in node.names:
                    yield node.lineno, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("mmrec_tutorial."):
                    yield node.lineno, alias.name.split(".")[1]


def test_every_unit_has_a_layer():
    units = {_unit(p) for p in PACKAGE.rglob("*.py")}
    assert units <= set(LAYERS), f"give these a layer: {sorted(units - set(LAYERS))}"


def test_imports_point_down():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        unit = _unit(path)
        for line, target in _imported_units(path):
            if target == unit.split(".")[0] or target == "__version__":
                continue
            if LAYERS.get(target, -1) >= LAYERS[unit]:
                upward.append(f"{path.relative_to(PACKAGE)}:{line} ({unit}) imports {target}")
    assert not upward, "imports that point up or sideways:\n" + "\n".join(upward)
