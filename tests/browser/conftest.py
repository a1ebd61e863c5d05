"""Fixtures for the real-browser tests: a private JupyterLab and headless Debian Chromium.

* ``lab`` (session): a :class:`labdriver.LabServer` on a random port with a random token,
  rooted at the repository; log in ``test-artifacts/browser/jupyterlab.log``.
* ``chromium_browser`` (session): Debian's ``/usr/bin/chromium`` driven by Playwright.
* ``page`` (per test): a fresh browser context and page; its console log goes to
  ``test-artifacts/browser/<test>.console.log``, a failing test leaves
  ``<test>.failure.png``, and the kernels it started are shut down afterwards.
* ``lab_tmp_dir`` (per test): an empty folder under the lab root for generated notebooks.

When Chromium (or playwright) is missing the tests skip with the reason, unless the
environment variable ``MMREC_REQUIRE_BROWSER`` is set (to anything but ``""``/``0``), in
which case they fail: CI sets it after ``scripts/ensure_chromium.sh``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import labdriver  # noqa: E402

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


def _browser_required() -> bool:
    """True when CI demands the browser tests run (MMREC_REQUIRE_BROWSER set)."""
    return os.environ.get("MMREC_REQUIRE_BROWSER", "") not in ("", "0")


def _missing_requirement() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright (python) is not installed: pip install 'mmrec-tutorial[dev]'"
    if not labdriver.chromium_available():
        return (
            f"Chromium not found at {labdriver.CHROMIUM_BIN}: run scripts/ensure_chromium.sh "
            "(or set MMREC_CHROMIUM to a Chromium binary)"
        )
    return None


@pytest.fixture(scope="session")
def browser_requirements() -> None:
    """Skip (or, with MMREC_REQUIRE_BROWSER, fail) when Chromium/playwright are missing."""
    reason = _missing_requirement()
    if reason is None:
        return
    if _browser_required():
        pytest.fail(f"MMREC_REQUIRE_BROWSER is set but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def lab(browser_requirements: None) -> Iterator[labdriver.LabServer]:
    """A private JupyterLab rooted at the repository, stopped (kernels too) at the end."""
    server = labdriver.LabServer().start()
    print(f"\nJupyterLab up on {server.url} in {server.startup_seconds:.1f}s", file=sys.stderr)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def chromium_browser(browser_requirements: None) -> Iterator["Browser"]:
    """Headless Debian Chromium, launched once per session through Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = labdriver.launch_chromium(pw)
        try:
            yield browser
        finally:
            browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    """Remember each phase's report on the item so ``page`` can see whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def page(
    request: pytest.FixtureRequest, chromium_browser: "Browser", lab: labdriver.LabServer
) -> Iterator["Page"]:
    """A fresh page (1280x900) in its own browser context; artefacts saved per test."""
    labdriver.ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    name = request.node.name
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    pg = context.new_page()
    lines: list[str] = []
    t0 = time.monotonic()
    pg.on("console", lambda m: lines.append(f"{time.monotonic() - t0:8.2f} {m.type}: {m.text}"))
    pg.on("pageerror", lambda e: lines.append(f"{time.monotonic() - t0:8.2f} PAGEERROR: {e}"))
    try:
        yield pg
    finally:
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            try:
                labdriver.screenshot(pg, f"{name}.failure")
            except Exception as exc:  # the page may be gone; keep the original failure
                lines.append(f"(failure screenshot failed: {exc})")
        (labdriver.ARTIFACTS_DIR / f"{name}.console.log").write_text("\n".join(lines) + "\n")
        context.close()
        lab.shutdown_kernels()


@pytest.fixture
def lab_tmp_dir(lab: labdriver.LabServer) -> Iterator[Path]:
    """An empty folder under the lab root (``test-artifacts/browser/tmp-*``), removed after."""
    labdriver.ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="tmp-", dir=labdriver.ARTIFACTS_DIR))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
