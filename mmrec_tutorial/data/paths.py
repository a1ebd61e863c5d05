"""Where the course's files live: the sample catalog and the cache folder."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
REPO_DIR = PACKAGE_DIR.parent


def inside_folder(root: str | Path, relative: str | Path) -> Path | None:
    """``root / relative`` resolved (symlinks followed), or ``None`` when that leads outside ``root``
    (an absolute path, ``..`` steps, or a symlink out of it). Nothing is opened; the file need not
    exist."""
    base = Path(root).resolve()
    try:
        target = (base / Path(relative)).resolve()
    except (ValueError, OSError):  # an embedded NUL byte, a symlink loop: not a usable path
        return None
    return target if target == base or base in target.parents else None


def sample_data_dir() -> Path:
    """The sample catalog folder: ``$MMREC_SAMPLE_DIR`` if set, else the repository's ``data_samples/``.
    (``$MMREC_DATA_DIR`` is where local copies of *real* datasets live, see ``adapters.download``.)

    Raises ``FileNotFoundError`` with what to do when neither exists (e.g. a pip install without
    the repository).
    """
    env = os.environ.get("MMREC_SAMPLE_DIR")
    candidates = [Path(env)] if env else [REPO_DIR / "data_samples", Path.cwd() / "data_samples",
                                          Path.cwd().parent / "data_samples"]
    for path in candidates:
        if (path / "items.csv").exists():
            return path
    raise FileNotFoundError(
        "sample catalog not found (looked in " + ", ".join(str(p) for p in candidates) + "). "
        "Run `mmrec-tutorial generate-data --out data_samples` or set MMREC_SAMPLE_DIR.")
