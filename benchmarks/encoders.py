"""Benchmark the modality encoders: items per second, and cold vs cached catalog encoding.

    python benchmarks/encoders.py                      # data_samples/, current device
    python benchmarks/encoders.py --threads auto 1 2 --repeats 3
    python benchmarks/encoders.py --items 3000 --device cuda   # a generated, larger catalog

Two parts:

1. Throughput of each encoder at a few batch sizes on ``--subset`` items: median and best of
   ``--repeats`` runs after a warm-up, in items per second of wall time, plus CPU milliseconds
   per item (robust when other processes share the machine). Text (MiniLM), image
   (EfficientNet-Lite0 at each ``--image-sizes``), audio inference (GRU, MFCC) and the audio
   self-supervised training on all clips.
2. The whole catalog through ``encode_catalog``: cold (empty cache) and cached, per modality.

Wall times on a shared machine vary with the load: the script prints the load average next
to each figure and takes the median of repeats. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from mmrec_tutorial.device import describe_device, pick_device
from mmrec_tutorial.encoders import (AudioEncoder, ImageEncoder, SSLConfig, TextEncoder, encode_catalog,
                                     item_texts, load_clips)
from mmrec_tutorial.device import polite_threads
from mmrec_tutorial.encoders.image_io import to_path

ROOT = Path(__file__).resolve().parents[1]


def load_avg() -> float:
    try:
        return round(os.getloadavg()[0], 1)
    except OSError:  # pragma: no cover - not on every OS
        return float("nan")


def timed(fn: Callable[[], Any], repeats: int, sync: Callable[[], None],
          warmup: Callable[[], Any] | None = None) -> dict[str, float]:
    """Median / best wall seconds and median CPU seconds of ``repeats`` calls of ``fn``, after one
    call of ``warmup`` (a small version of ``fn``: first-call costs are not throughput)."""
    (warmup or fn)()
    sync()
    walls, cpus = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        sync()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return {"wall_median": statistics.median(walls), "wall_best": min(walls), "cpu_median": statistics.median(cpus)}


def catalog_root(args: argparse.Namespace, tmp: Path) -> Path:
    if args.items is None and (args.root / "items.csv").is_file():
        return args.root
    from mmrec_tutorial.data.generator import CatalogConfig, generate_catalog

    n = args.items or 600
    out = tmp / f"catalog_{n}"
    print(f"generating a synthetic catalog of {n} items in {out} ...", flush=True)
    generate_catalog(out, CatalogConfig(n_items=n, n_users=50), progress=False)
    return out


def throughput(items: pd.DataFrame, root: Path, device: torch.device, args: argparse.Namespace,
               sync: Callable[[], None]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    k = args.subset

    def record(encoder: str, batch: int | str, n: int, t: dict[str, float]) -> None:
        row = {"encoder": encoder, "batch": batch, "items": n,
               "items_per_s": round(n / t["wall_median"], 1), "items_per_s_best": round(n / t["wall_best"], 1),
               "cpu_ms_per_item": round(1000 * t["cpu_median"] / n, 2), "load": load_avg()}
        rows.append(row)
        print(f"  {encoder:<28} batch {str(batch):>4}: {row['items_per_s']:>8} items/s "
              f"(best {row['items_per_s_best']}, {row['cpu_ms_per_item']} CPU ms/item, load {row['load']})",
              flush=True)

    texts = [t for t in item_texts(items) if t][:k]
    text = TextEncoder(device=device)
    for bs in args.batch_sizes:
        text.batch_size = bs
        record("text MiniLM-L6", bs, len(texts), timed(lambda: text.encode(texts, progress=False), args.repeats,
                                                        sync, lambda: text.encode(texts[:bs], progress=False)))
    del text

    paths = [p for p in (to_path(v, root) for v in items["image"]) if p is not None and p.is_file()][:k]
    for size in args.image_sizes:
        image = ImageEncoder(device=device, image_size=size)
        for bs in args.batch_sizes:
            image.batch_size = bs
            record(f"image Lite0 @{size}px", bs, len(paths),
                   timed(lambda: image.encode(paths, progress=False), args.repeats, sync,
                         lambda: image.encode(paths[:bs], progress=False)))
        del image

    audio_paths = [to_path(v, root) for v in items["audio"]]
    mfcc = AudioEncoder("mfcc", device=device)
    record("audio MFCC stats (files)", "all", k,
           timed(lambda: mfcc.encode(audio_paths[:k], progress=False), args.repeats, sync))
    waves, mask, _ = load_clips(audio_paths, 8000, 1.0)
    waves = waves[mask]
    gru = AudioEncoder("gru", device=device, ssl=SSLConfig(epochs=0))
    gru.fit(waves, progress=False)
    for bs in args.batch_sizes:
        gru.batch_size = bs
        record("audio GRU inference", bs, k, timed(lambda: gru.embed(waves[:k]), args.repeats, sync))
    epochs = SSLConfig().epochs
    t = timed(lambda: AudioEncoder("gru", device=device).fit(waves, progress=False), 1, sync,
              lambda: AudioEncoder("gru", device=device, ssl=SSLConfig(epochs=1)).fit(waves[:256], progress=False))
    record(f"audio GRU SSL train {epochs} ep", SSLConfig().batch_size, len(waves), t)
    print(f"  -> SSL training on {len(waves)} clips: {t['wall_median']:.1f} s wall, {t['cpu_median']:.1f} s CPU",
          flush=True)
    return rows


def catalog_times(items: pd.DataFrame, root: Path, device: torch.device, args: argparse.Namespace,
                  tmp: Path, threads: int | None) -> list[dict[str, Any]]:
    rows = []
    for rep in range(args.repeats):
        cache = tmp / f"cache_{rep}"
        for phase in ("cold", "cached"):
            w, c = time.perf_counter(), time.process_time()
            feats = encode_catalog(items, root, device=device, cache_dir=cache, quick=args.quick, progress=False,
                                   num_threads=threads)
            wall, cpu = time.perf_counter() - w, time.process_time() - c
            per = {m: info["total_seconds"] for m, info in feats.info.items()}
            used = next(iter(feats.info.values()))["threads"]
            rows.append({"repeat": rep, "phase": phase, "items": len(items), "threads": used, "wall_s": round(wall, 2),
                         "cpu_s": round(cpu, 2), "load": load_avg(), **{f"{m}_s": s for m, s in per.items()}})
            print(f"  repeat {rep} {phase:<6}: {wall:6.2f} s wall, {cpu:6.2f} s CPU, {used} thread(s); "
                  f"per modality {per}  "
                  f"(load {load_avg()})", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT / "data_samples")
    parser.add_argument("--items", type=int, default=None, help="generate a catalog of this many items instead")
    parser.add_argument("--device", default=None)
    parser.add_argument("--threads", nargs="+", default=["auto"],
                        help="torch thread counts to try; 'auto' = encode_catalog's default (idle cores)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--subset", type=int, default=128, help="items per throughput measurement")
    parser.add_argument("--image-sizes", type=int, nargs="+", default=[224, 128])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="encode_catalog(quick=True)")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="write all figures here")
    args = parser.parse_args(argv)

    device = pick_device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    results: dict[str, Any] = {"device": describe_device(device), "torch": torch.__version__,
                               "cpu_count": os.cpu_count(), "runs": []}
    with tempfile.TemporaryDirectory(prefix="mmrec_bench_") as tmpdir:
        tmp = Path(tmpdir)
        root = catalog_root(args, tmp)
        items = pd.read_csv(root / "items.csv", dtype=str, keep_default_na=False)
        print(f"catalog: {root} ({len(items)} rows); device: {describe_device(device)}", flush=True)
        default_threads = torch.get_num_threads()
        for choice in args.threads:
            threads = None if choice == "auto" else int(choice)
            torch.set_num_threads(threads if threads is not None else polite_threads())
            print(f"\n== torch threads: {choice} ({torch.get_num_threads()}) ==", flush=True)
            run: dict[str, Any] = {"threads": choice}
            if not args.skip_throughput:
                print("throughput:", flush=True)
                run["throughput"] = throughput(items, root, device, args, sync)
            print(f"whole catalog (encode_catalog, quick={args.quick}):", flush=True)
            torch.set_num_threads(default_threads)
            run["catalog"] = catalog_times(items, root, device, args, tmp / f"t{choice}", threads)
            results["runs"].append(run)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
