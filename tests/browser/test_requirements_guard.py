"""The browser tests skip without Chromium, and fail instead when CI demands them.

Runs pytest in a subprocess on the probe tests with ``MMREC_CHROMIUM`` pointing nowhere;
no browser or JupyterLab is started, so this check runs everywhere (it is not marked
``browser``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PROBE_TESTS = "tests/browser/test_probe_notebook.py"


def _run_probe_tests(require: bool) -> subprocess.CompletedProcess[str]:
    """Run the probe tests with a missing Chromium; ``require`` sets MMREC_REQUIRE_BROWSER."""
    env = {k: v for k, v in os.environ.items() if k != "MMREC_REQUIRE_BROWSER"}
    env["MMREC_CHROMIUM"] = "/nonexistent/chromium"
    if require:
        env["MMREC_REQUIRE_BROWSER"] = "1"
    # No third-party plugins and no addopts: nbval alone costs seconds of imports here, and
    # the guard needs nothing but this folder's conftest.
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", PROBE_TESTS, "-q", "-rs", "-o", "addopts=",
         "-p", "no:cacheprovider"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_chromium_skips_with_reason() -> None:
    """Without MMREC_REQUIRE_BROWSER the browser tests skip and say how to get Chromium."""
    res = _run_probe_tests(require=False)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "passed" not in out and "failed" not in out and " skipped" in out, out
    assert "Chromium not found at /nonexistent/chromium" in out, out
    assert "scripts/ensure_chromium.sh" in out, out


def test_missing_chromium_fails_when_required() -> None:
    """With MMREC_REQUIRE_BROWSER set the same run fails instead of skipping."""
    res = _run_probe_tests(require=True)
    out = res.stdout + res.stderr
    assert res.returncode != 0, out
    assert "MMREC_REQUIRE_BROWSER is set but Chromium not found" in out, out
    assert " skipped" not in out, out
