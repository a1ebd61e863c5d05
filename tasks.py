#!/usr/bin/env python3
"""Set up and run the course, or its tests, with nothing but Python 3.10+ and pip.

    python3 tasks.py tutorial   # make .venv, install, execute every notebook, print a summary
    python3 tasks.py test       # make .venv, install with test extras, run the whole test suite
    python3 tasks.py lab        # make .venv and open JupyterLab on notebooks/
    python3 tasks.py gpu-check  # on a lent GPU machine: the GPU-vs-CPU table (scripts/gpu_check.py)
    python3 tasks.py test-oldest  # .venv-oldest with the oldest supported versions: unit tests + notebook 03

The virtual environment lives in ./.venv and is refreshed when pyproject.toml changes.
Extra arguments after `test` go to pytest (e.g. `python3 tasks.py test -k metrics`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
#: The oldest versions pyproject.toml's lower bounds promise, installed by `test-oldest`.
OLDEST = ROOT / ".ci" / "oldest-versions.txt"


def sh(*cmd: str | Path, env: dict | None = None) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, env=env)


def ensure_venv(extras: str, venv: Path = VENV, constraints: Path | None = None) -> Path:
    """Create ``venv`` and install the package with ``extras`` (pinned by ``constraints`` if given)
    unless already done for this pyproject and constraints file; returns the venv's python."""
    py = venv / PY.relative_to(VENV)
    stamp = venv / f".installed-{extras}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()
                            + (constraints.read_bytes() if constraints else b"")).hexdigest()
    if stamp.exists() and stamp.read_text() == digest and py.exists():
        return py
    start = time.perf_counter()
    if not py.exists():
        sh(sys.executable, "-m", "venv", venv)
    sh(py, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    sh(py, "-m", "pip", "install", "--quiet", "-e", f".[{extras}]", *(("-c", constraints) if constraints else ()))
    stamp.write_text(digest)
    print(f"environment ready in {time.perf_counter() - start:.0f} s", flush=True)
    return py


def tutorial(args: list[str]) -> None:
    ensure_venv("lab")
    sh(BIN / "mmrec-tutorial", "run", "--out", "build/tutorial", *args)
    print("\nTo explore interactively: python3 tasks.py lab")


def lab(args: list[str]) -> None:
    ensure_venv("lab")
    sh(BIN / "jupyter", "lab", "notebooks", *args)


def _test_env() -> dict[str, str]:
    """The environment both test commands run in: QUICK, one thread, the real data when present."""
    env = dict(os.environ, MMREC_QUICK="1", PYTHONHASHSEED="0")
    shared_data = ROOT.parent / "shared" / "data"
    if shared_data.is_dir():  # local copies of the real datasets (never committed): the real-data tests run
        env.setdefault("MMREC_DATA_DIR", str(shared_data))
    # Small models run several times slower with two OpenMP threads than with one on a 2-core
    # machine that is doing anything else; the notebooks' time budgets are measured on one.
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def test(args: list[str]) -> None:
    ensure_venv("dev")
    env = _test_env()
    browser = ROOT / "scripts" / "ensure_chromium.sh"
    if browser.exists() and shutil.which("bash") and os.environ.get("MMREC_SKIP_BROWSER") != "1":
        # Installs Debian's Chromium when missing (root + apt-get), so the browser tests can run.
        subprocess.run(["bash", str(browser)], cwd=ROOT, check=False)
        if Path("/usr/bin/chromium").exists():
            env["MMREC_REQUIRE_BROWSER"] = "1"
    sh(PY, "-m", "pytest", "tests", "--nbval-lax", "--nbval-current-env",
       "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "notebooks", *args, env=env)


def test_oldest(args: list[str]) -> None:
    """The unit tests and notebook 03 (training, fusion, widgets) on the oldest supported versions."""
    py = ensure_venv("dev", ROOT / ".venv-oldest", OLDEST)
    env = _test_env()
    sh(py, "-m", "pip", "freeze", "--exclude-editable", env=env)
    sh(py, "-m", "pytest", "tests", "-m", "not browser", "--nbval-lax", "--nbval-current-env",
       "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "notebooks/03_fusion.ipynb", *args, env=env)


def gpu_check(args: list[str]) -> None:
    """No .venv here: a lent GPU machine has its own torch and no package registry."""
    sh(sys.executable, ROOT / "scripts" / "gpu_check.py", *args)


def main() -> None:
    commands = {"tutorial": tutorial, "test": test, "lab": lab, "gpu-check": gpu_check, "test-oldest": test_oldest}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        raise SystemExit(2)
    try:
        commands[sys.argv[1]](sys.argv[2:])
    except subprocess.CalledProcessError as exc:
        raise SystemExit(exc.returncode) from None


if __name__ == "__main__":
    main()
