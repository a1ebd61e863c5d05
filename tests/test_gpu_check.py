"""The one-command GPU check, on its CPU path: it runs its steps and prints one table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_gpu_check_runs_its_cpu_path_and_writes_the_table():
    done = subprocess.run([sys.executable, "scripts/gpu_check.py", "--device", "cpu", "--steps", "env,serving",
                           "--serving-items", "5000", "--budget", "300"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "| env " in done.stdout and "torch / CUDA / GPU" in done.stdout
    rows = json.loads((ROOT / "build" / "gpu-check" / "report.json").read_text())
    serving = [r for r in rows if r["step"] == "serving"]
    assert len(serving) >= 8 and all(r["status"] == "ok" for r in serving), serving  # 4 indexes x their efforts
    assert any("recall 1.000" in r["value"] for r in serving)  # the exact index, at least


def test_unknown_steps_are_refused():
    done = subprocess.run([sys.executable, "scripts/gpu_check.py", "--steps", "env,warp"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "unknown step(s) ['warp']" in done.stderr
