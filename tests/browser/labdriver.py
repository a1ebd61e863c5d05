"""Drive widget notebooks in a real JupyterLab with headless Debian Chromium.

Two halves:

* :class:`LabServer` starts a private JupyterLab (random port, random token, isolated
  config/settings/workspace folders, log file) and stops it cleanly, kernels included.
* Page helpers (plain functions over a Playwright ``Page``) open a notebook, run all its
  cells, wait for the kernel, find ipywidgets sliders by their description, move them, and
  read rendered widget text, for example::

      run_notebook_in_lab(page, lab, "notebooks/03_fusion.ipynb")
      before = text_of(page, widget_by_class(page, "mmrec-metrics"))
      move_slider(page, "α", steps=+3)
      after, seconds = wait_for_text_change(page, widget_by_class(page, "mmrec-metrics"), before)

Nothing here downloads anything; Chromium must already be installed
(``scripts/ensure_chromium.sh``).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:  # playwright is imported lazily so that a missing install skips cleanly
    from playwright.sync_api import Browser, Locator, Page, Playwright

REPO_ROOT: Path = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR: Path = REPO_ROOT / "test-artifacts" / "browser"

#: Chromium binary; Debian's package by default, overridable for other systems.
CHROMIUM_BIN: str = os.environ.get("MMREC_CHROMIUM", "/usr/bin/chromium")

#: Flags known to work for Debian Chromium here. Playwright itself adds ``--headless`` and a
#: fresh, empty ``--user-data-dir`` per launch (it refuses one passed in ``args``). The
#: background-networking flags stop Chromium from flooding a closed network.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

# JupyterLab user settings written for every test server: no news/update requests, no
# autosave (a test run must never rewrite a committed notebook), every cell attached to the
# DOM (no virtual scrolling), and the default kernel started without a dialog.
LAB_USER_SETTINGS: dict[str, dict[str, Any]] = {
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {
        "windowingMode": "none",
        "autoStartDefaultKernel": True,
    },
}


class LabError(RuntimeError):
    """JupyterLab (server or front end) did not do what a helper waited for."""


class NotebookError(AssertionError):
    """A notebook run in JupyterLab produced error outputs."""

    def __init__(self, path: str, errors: list[dict[str, Any]]) -> None:
        self.path = path
        self.errors = errors
        lines = [f"{len(errors)} cell(s) raised in {path}:"]
        for err in errors:
            lines.append(f"--- cell {err['cell']}: {err['ename']}: {err['evalue']}")
            lines.append(_strip_ansi("\n".join(err.get("traceback", []))))
        super().__init__("\n".join(lines))


def _strip_ansi(text: str) -> str:
    """Remove terminal colour codes (tracebacks from IPython carry them)."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def free_port() -> int:
    """Ask the OS for a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _descendants(pid: int) -> list[int]:
    """Process ids of all live descendants of ``pid`` (Linux ``/proc``; empty elsewhere)."""
    parent_of: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces/parentheses, so split after ')'.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1:
            parent_of[int(entry.name)] = int(fields[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        kids = [child for child, ppid in parent_of.items() if ppid == parent]
        found.extend(kids)
        frontier.extend(kids)
    return found


# --------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------


@dataclass
class LabServer:
    """A private JupyterLab server for one test session.

    Use :meth:`start` / :meth:`stop` (the ``lab`` fixture does). ``url`` has no trailing
    slash; ``token`` authenticates both the REST API and the browser (``?token=``).
    """

    root_dir: Path = REPO_ROOT
    log_path: Path = ARTIFACTS_DIR / "jupyterlab.log"
    startup_timeout: float = 120.0
    port: int = 0
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    startup_seconds: float = float("nan")
    proc: subprocess.Popen[bytes] | None = None
    _state_dir: Path | None = None
    _log_file: Any = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:43123``."""
        return f"http://127.0.0.1:{self.port}"

    def lab_url(self, path: str | None = None) -> str:
        """Browser URL that opens JupyterLab (on ``path`` when given) in a fresh workspace."""
        route = "/lab" if path is None else "/lab/tree/" + urllib.parse.quote(path)
        return f"{self.url}{route}?reset&token={self.token}"

    def relpath(self, path: str | os.PathLike[str]) -> str:
        """``path`` as JupyterLab names it: relative to the server root, with ``/``."""
        p = Path(path)
        if p.is_absolute():
            p = p.resolve().relative_to(self.root_dir.resolve())
        return p.as_posix()

    # -- life cycle ----------------------------------------------------------------------

    def command(self) -> list[str]:
        """The command line that starts the server (jupyter_server 2.x option names)."""
        assert self._state_dir is not None
        cmd = [
            sys.executable, "-m", "jupyter", "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            "--ServerApp.terminals_enabled=False",
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp for the helpers
            f"--LabApp.user_settings_dir={self._state_dir / 'settings'}",
            f"--LabApp.workspaces_dir={self._state_dir / 'workspaces'}",
            "--LabApp.news_url=None",
            "--LabApp.extension_manager=readonly",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        return cmd

    def _env(self) -> dict[str, str]:
        """Environment with Jupyter config/data/runtime folders isolated from the user's."""
        assert self._state_dir is not None
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(self._state_dir / "config"),
            JUPYTER_DATA_DIR=str(self._state_dir / "data"),
            JUPYTER_RUNTIME_DIR=str(self._state_dir / "runtime"),
            JUPYTER_PLATFORM_DIRS="1",
            PYDEVD_DISABLE_FILE_VALIDATION="1",
            PYTHONUNBUFFERED="1",
        )
        return env

    def _write_settings(self) -> None:
        assert self._state_dir is not None
        for plugin, values in LAB_USER_SETTINGS.items():
            target = self._state_dir / "settings" / f"{plugin}.jupyterlab-settings"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values, indent=2))

    def start(self, attempts: int = 3) -> "LabServer":
        """Start the server and block until ``/api/status`` answers.

        Retries on a fresh port when the chosen one got taken between probing and binding.
        """
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._state_dir = Path(tempfile.mkdtemp(prefix="mmrec-lab-"))
        for sub in ("config", "data", "runtime", "workspaces"):
            (self._state_dir / sub).mkdir()
        self._write_settings()
        self._log_file = open(self.log_path, "wb")
        last_error: Exception | None = None
        for _ in range(attempts):
            self.port = free_port()
            self._log_file.write(f"$ {' '.join(self.command())}\n".encode())
            self._log_file.flush()
            t0 = time.monotonic()
            self.proc = subprocess.Popen(
                self.command(),
                cwd=self.root_dir,
                env=self._env(),
                stdout=self._log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group, signalled as a whole
            )
            try:
                self._wait_until_up(t0)
                self.startup_seconds = time.monotonic() - t0
                return self
            except LabError as exc:
                last_error = exc
                self._terminate_process()
                if "already in use" not in self.log_tail():
                    break
        self.stop()
        raise LabError(f"JupyterLab did not start: {last_error}\n--- log tail ---\n{self.log_tail()}")

    def _wait_until_up(self, t0: float) -> None:
        assert self.proc is not None
        deadline = t0 + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise LabError(f"server exited with code {self.proc.returncode}")
            try:
                self.api("GET", "/api/status", timeout=2.0)
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                time.sleep(0.1)
        raise LabError(f"no answer on {self.url} within {self.startup_timeout:.0f}s")

    def api(self, method: str, route: str, timeout: float = 10.0) -> Any:
        """Call the server's REST API with the token; returns decoded JSON (or None)."""
        req = urllib.request.Request(
            self.url + route,
            method=method,
            headers={"Authorization": f"token {self.token}"},
            data=b"" if method in {"POST", "PUT", "PATCH"} else None,
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def settings(self, plugin_id: str) -> dict[str, Any]:
        """The effective JupyterLab settings of a plugin, e.g. ``"@jupyterlab/docmanager-extension:plugin"``."""
        return dict(self.api("GET", "/lab/api/settings/" + plugin_id)["settings"])

    def shutdown_kernels(self) -> int:
        """Shut down every running kernel (via the REST API); returns how many there were."""
        if self.proc is None or self.proc.poll() is not None:
            return 0
        kernels = self.api("GET", "/api/kernels")
        for kernel in kernels:
            try:
                self.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=30.0)
            except urllib.error.HTTPError as exc:  # already gone
                if exc.code != 404:
                    raise
        return len(kernels)

    def stop(self, timeout: float = 15.0) -> None:
        """Shut kernels down, ask the server to exit, then terminate/kill if it lingers."""
        try:
            if self.proc is not None and self.proc.poll() is None:
                try:
                    self.shutdown_kernels()
                    self.api("POST", "/api/shutdown", timeout=timeout)
                    self.proc.wait(timeout=timeout)
                except (OSError, urllib.error.URLError, subprocess.TimeoutExpired):
                    pass
            self._terminate_process(timeout)
        finally:
            if self._log_file is not None and not self._log_file.closed:
                self._log_file.close()
            if self._state_dir is not None:
                shutil.rmtree(self._state_dir, ignore_errors=True)
                self._state_dir = None

    def _terminate_process(self, timeout: float = 15.0) -> None:
        """SIGTERM the server's process group, SIGKILL it after ``timeout`` seconds.

        Kernels run in sessions of their own (jupyter_client starts them so), so the
        server's descendants are noted first and any left alive afterwards are killed.
        """
        proc = self.proc
        if proc is None:
            return
        children = _descendants(proc.pid) if proc.poll() is None else []
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if proc.poll() is not None:
                break
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                continue
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of the server log."""
        if self._log_file is not None and not self._log_file.closed:
            self._log_file.flush()
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


# --------------------------------------------------------------------------------------
# The browser
# --------------------------------------------------------------------------------------


def chromium_available() -> bool:
    """True when the Chromium binary the tests use exists and is executable."""
    return os.access(CHROMIUM_BIN, os.X_OK)


def launch_chromium(playwright: Playwright, extra_args: Sequence[str] = ()) -> Browser:
    """Launch Debian's Chromium headless through Playwright (no Playwright browser download)."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM_BIN,
        headless=True,
        args=[*CHROMIUM_ARGS, *extra_args],
        timeout=60_000,
    )


# --------------------------------------------------------------------------------------
# Notebook helpers (all take a Playwright Page showing the lab)
# --------------------------------------------------------------------------------------

_JS_CURRENT_NOTEBOOK = """
(path) => {
  const app = window.jupyterapp;
  if (!app || !app.shell) return null;
  const w = app.shell.currentWidget;
  if (!w || !w.content || !w.sessionContext || !w.context) return null;
  if (path !== null && w.context.path !== path) return null;
  return w;
}
"""

_JS_KERNEL_IDLE = f"""
(path) => {{
  const w = ({_JS_CURRENT_NOTEBOOK})(path);
  const kernel = w && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}}
"""


def open_notebook(page: Page, lab: LabServer, path: str, timeout: float = 120.0) -> None:
    """Open ``path`` (relative to the lab root) in JupyterLab and wait for an idle kernel."""
    path = lab.relpath(path)
    if not (lab.root_dir / path).is_file():
        raise FileNotFoundError(lab.root_dir / path)
    page.goto(lab.lab_url(path), timeout=timeout * 1000)
    page.wait_for_function("() => !!window.jupyterapp", timeout=timeout * 1000)
    page.evaluate("() => window.jupyterapp.restored")
    page.wait_for_function(
        f"(path) => !!({_JS_CURRENT_NOTEBOOK})(path)", arg=path, timeout=timeout * 1000
    )
    page.evaluate(
        f"async (path) => {{ const w = ({_JS_CURRENT_NOTEBOOK})(path);"
        " await w.context.ready; await w.sessionContext.ready; }",
        path,
    )
    wait_for_kernel_idle(page, timeout=timeout)


def wait_for_kernel_idle(page: Page, timeout: float = 60.0) -> None:
    """Wait until the current notebook's kernel is connected and idle."""
    page.wait_for_function(_JS_KERNEL_IDLE, arg=None, timeout=timeout * 1000, polling=100)


def run_all_cells(page: Page, timeout: float = 300.0, allow_errors: bool = False) -> list[dict[str, Any]]:
    """Run every cell of the current notebook (JupyterLab command ``notebook:run-all-cells``).

    Waits until the command finished, the kernel is idle and every non-empty code cell has
    an execution count (no ``[*]``/``[ ]`` prompt left). Returns the error outputs found;
    raises :class:`NotebookError` when there are some and ``allow_errors`` is false.
    """
    page.evaluate(
        f"""() => {{
          const w = ({_JS_CURRENT_NOTEBOOK})(null);
          window.__mmrecRun = {{done: false, ok: null, error: null, path: w.context.path}};
          window.jupyterapp.commands.execute('notebook:run-all-cells').then(
            (ok) => {{ window.__mmrecRun.ok = ok; window.__mmrecRun.done = true; }},
            (err) => {{ window.__mmrecRun.error = String(err); window.__mmrecRun.done = true; }});
        }}"""
    )
    page.wait_for_function(
        "() => window.__mmrecRun && window.__mmrecRun.done", timeout=timeout * 1000, polling=100
    )
    wait_for_kernel_idle(page, timeout=timeout)
    state = page.evaluate(
        f"""() => {{
          const w = ({_JS_CURRENT_NOTEBOOK})(null);
          const cells = [];
          w.content.widgets.forEach((cell, i) => {{
            const m = cell.model;
            if (m.type !== 'code') return;
            cells.push({{index: i, empty: m.sharedModel.getSource().trim() === '',
                         count: m.executionCount, outputs: m.outputs.toJSON()}});
          }});
          return {{run: window.__mmrecRun, cells}};
        }}"""
    )
    run, cells = state["run"], state["cells"]
    if run.get("error"):
        raise LabError(f"notebook:run-all-cells failed: {run['error']}")
    errors = [
        {"cell": c["index"], **{k: out.get(k) for k in ("ename", "evalue", "traceback")}}
        for c in cells
        for out in c["outputs"]
        if out.get("output_type") == "error"
    ]
    if errors and not allow_errors:
        raise NotebookError(run["path"], errors)
    if not errors:
        missing = [c["index"] for c in cells if not c["empty"] and c["count"] is None]
        if missing:
            raise LabError(f"cells {missing} of {run['path']} were not executed")
    return errors


def run_notebook_in_lab(
    page: Page,
    lab: LabServer,
    path: str,
    timeout: float = 300.0,
    allow_errors: bool = False,
) -> list[dict[str, Any]]:
    """Open ``path`` in JupyterLab, run all cells, wait until done; see :func:`run_all_cells`.

    ``path`` is relative to the lab root (the repository root), e.g.
    ``"notebooks/03_fusion.ipynb"``. The notebook is never saved (autosave is off in the
    test lab), so running a committed notebook leaves its file untouched.
    """
    open_notebook(page, lab, path, timeout=min(timeout, 120.0))
    return run_all_cells(page, timeout=timeout, allow_errors=allow_errors)


# -- widgets ---------------------------------------------------------------------------

_SLIDER_SELECTOR = ".widget-slider"


def slider(page: Page, description: str, timeout: float = 30.0) -> Locator:
    """The ipywidgets slider (Int/Float, horizontal or vertical) labelled ``description``.

    Matches the label text exactly (surrounding whitespace ignored), e.g. ``"α"`` or
    ``"alpha"``; waits until exactly one such slider is rendered.
    """
    label = page.locator(
        "label.widget-label", has_text=re.compile(r"^\s*" + re.escape(description) + r"\s*$")
    )
    loc = page.locator(_SLIDER_SELECTOR).filter(has=label)
    deadline = time.monotonic() + timeout
    while True:
        n = loc.count()
        if n == 1:
            return loc
        if n > 1:
            raise LabError(f"{n} sliders are labelled {description!r}; descriptions must be unique")
        if time.monotonic() > deadline:
            found = page.locator(f"{_SLIDER_SELECTOR} label.widget-label").all_inner_texts()
            raise LabError(f"no slider labelled {description!r} within {timeout:.0f}s; found {found}")
        page.wait_for_timeout(100)


def slider_value(page: Page, description: str) -> str:
    """The slider's readout text as displayed (e.g. ``"0.50"``)."""
    return slider(page, description).locator(".widget-readout").inner_text().strip()


def move_slider(page: Page, description: str, steps: int, timeout: float = 5.0) -> str:
    """Move a slider by ``steps`` steps with the arrow keys (negative: to the left).

    Focuses the slider handle, presses ArrowRight/ArrowLeft ``abs(steps)`` times, and waits
    until the readout changed. Returns the new readout text.
    """
    if steps == 0:
        raise ValueError("steps must not be 0")
    s = slider(page, description)
    before = s.locator(".widget-readout").inner_text().strip()
    handle = s.locator(".noUi-handle")
    handle.focus()
    key = "ArrowRight" if steps > 0 else "ArrowLeft"
    for _ in range(abs(steps)):
        handle.press(key)
    return _wait_readout_change(s, before, description, timeout)


def drag_slider(page: Page, description: str, fraction: float, timeout: float = 5.0) -> str:
    """Drag a horizontal slider's handle with the mouse to ``fraction`` (0..1) of its track.

    Returns the new readout text (waits until it changed).
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("fraction must lie in [0, 1]")
    s = slider(page, description)
    before = s.locator(".widget-readout").inner_text().strip()
    handle_box = s.locator(".noUi-handle").bounding_box()
    track_box = s.locator(".noUi-target").bounding_box()
    if handle_box is None or track_box is None:
        raise LabError(f"slider {description!r} is not visible")
    page.mouse.move(handle_box["x"] + handle_box["width"] / 2, handle_box["y"] + handle_box["height"] / 2)
    page.mouse.down()
    target_x = track_box["x"] + fraction * track_box["width"]
    page.mouse.move(target_x, track_box["y"] + track_box["height"] / 2, steps=8)
    page.mouse.up()
    return _wait_readout_change(s, before, description, timeout)


def set_slider(page: Page, description: str, value: float | int, timeout: float = 5.0) -> str:
    """Type ``value`` into the slider's editable readout and press Enter; returns the readout."""
    s = slider(page, description)
    before = s.locator(".widget-readout").inner_text().strip()
    readout = s.locator(".widget-readout")
    readout.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(str(value))
    page.keyboard.press("Enter")
    return _wait_readout_change(s, before, description, timeout)


def _wait_readout_change(s: Locator, before: str, description: str, timeout: float) -> str:
    readout = s.locator(".widget-readout")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = readout.inner_text().strip()
        if now != before:
            return now
        s.page.wait_for_timeout(20)
    raise LabError(f"slider {description!r} readout stayed at {before!r} for {timeout}s")


def widget_by_class(page: Page, css_class: str) -> Locator:
    """The widget tagged in Python with ``widget.add_class(css_class)`` (e.g. ``"mmrec-topk"``)."""
    return page.locator("." + css_class.lstrip("."))


def _as_locator(page: Page, target: str | Locator) -> Locator:
    return page.locator(target) if isinstance(target, str) else target


def text_of(page: Page, target: str | Locator, timeout: float = 30.0) -> str:
    """Rendered text of one element (CSS/Playwright selector or Locator), once visible."""
    loc = _as_locator(page, target)
    loc.wait_for(state="visible", timeout=timeout * 1000)
    return loc.inner_text()


def wait_for_text_change(
    page: Page, target: str | Locator, old: str, timeout: float = 1.0
) -> tuple[str, float]:
    """Wait until the element's text differs from ``old``; returns (new text, seconds waited).

    Polls in the page every 20 ms, so the measured time is close to what a reader sees.
    Raises :class:`LabError` when the text did not change within ``timeout`` seconds.
    """
    handle = _as_locator(page, target).element_handle(timeout=timeout * 1000)
    t0 = time.monotonic()
    try:
        page.wait_for_function(
            "([el, old]) => el.innerText !== old", arg=[handle, old], timeout=timeout * 1000, polling=20
        )
    except Exception as exc:  # playwright TimeoutError
        raise LabError(f"text stayed {old!r} for {timeout}s") from exc
    return handle.inner_text(), time.monotonic() - t0


def wait_for_text(page: Page, target: str | Locator, expected: str, timeout: float = 5.0) -> float:
    """Wait until the element's text (stripped) equals ``expected``; returns seconds waited."""
    handle = _as_locator(page, target).element_handle(timeout=timeout * 1000)
    t0 = time.monotonic()
    try:
        page.wait_for_function(
            "([el, want]) => el.innerText.trim() === want",
            arg=[handle, expected.strip()],
            timeout=timeout * 1000,
            polling=20,
        )
    except Exception as exc:  # playwright TimeoutError
        raise LabError(
            f"text is {handle.inner_text()!r}, not {expected!r}, after {timeout}s"
        ) from exc
    return time.monotonic() - t0


def screenshot(page: Page, name: str, target: str | Locator | None = None) -> Path:
    """Save a PNG of the page (or of one element) as ``test-artifacts/browser/<name>.png``."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS_DIR / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    if target is None:
        page.screenshot(path=str(path))
    else:
        _as_locator(page, target).screenshot(path=str(path))
    return path
