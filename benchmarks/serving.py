"""Exact vs approximate top-20 retrieval with FAISS at catalog scale (issue: retrieval at scale).

    python benchmarks/serving.py                      # 100k and 1M items, 1,000 queries
    python benchmarks/serving.py --items 100000 --queries 500
    python benchmarks/serving.py --items 1000000 --threads 1 --index hnsw   # one index kind

Item and user vectors come from ``serving.clustered_vectors`` (64-d, 1,000 overlapping tastes
shared by items and users, popularity norms): a synthetic stand-in for a trained model's vectors
at a size no course dataset has.
For every index and search effort: build seconds, index MiB, recall@20 against exact top-20
(batched torch scoring, ``serving.exact_top_k``), milliseconds for the whole query batch, queries
per second and the speed-up over exact scoring. FAISS uses its default OpenMP threads (or
``--threads``); torch the same number, so both sides get the same cores.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
import torch

from mmrec_tutorial.serving import (build_index, clustered_vectors, exact_top_k, index_bytes, overlap_recall, search,
                                    set_search_effort, timed)

SETTINGS = {"flat": [{}], "ivf-flat": [{"nprobe": p} for p in (8, 32, 128)],
            "ivf-pq": [{"nprobe": p} for p in (32, 128)], "hnsw": [{"ef_search": e} for e in (64, 96, 128, 256, 1024)]}


def run(n_items: int, n_queries: int, k: int = 20, kinds: list[str] | None = None) -> pd.DataFrame:
    items = clustered_vectors(n_items, seed=0)
    queries = clustered_vectors(n_queries, seed=1)
    exact, exact_s = timed(exact_top_k, queries, items, k, repeat=2)
    rows = [{"items": n_items, "index": "exact (torch)", "effort": "", "build s": 0.0,
             "MiB": items.nbytes / 2**20, "recall@20": 1.0, "batch ms": 1000 * exact_s,
             "QPS": n_queries / exact_s, "speed-up": 1.0}]
    for kind, efforts in SETTINGS.items():
        if kinds and kind not in kinds:
            continue
        start = time.perf_counter()
        index = build_index(items, kind)
        build_s = time.perf_counter() - start
        for effort in efforts:
            set_search_effort(index, **effort)
            found, seconds = timed(search, index, queries, k, repeat=2)
            rows.append({"items": n_items, "index": kind, "effort": ", ".join(f"{a}={b}" for a, b in effort.items()),
                         "build s": build_s, "MiB": index_bytes(index) / 2**20,
                         "recall@20": overlap_recall(found, exact), "batch ms": 1000 * seconds,
                         "QPS": n_queries / seconds, "speed-up": exact_s / seconds})
            print(rows[-1], flush=True)
        del index
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=None, help="FAISS and torch threads (default: FAISS's)")
    parser.add_argument("--index", nargs="+", choices=list(SETTINGS), help="only these index kinds (default: all)")
    args = parser.parse_args()
    import faiss  # noqa: PLC0415

    if args.threads:
        faiss.omp_set_num_threads(args.threads)
    torch.set_num_threads(faiss.omp_get_max_threads())
    print(f"faiss {faiss.__version__}, {faiss.omp_get_max_threads()} threads; torch {torch.__version__}")
    table = pd.concat([run(n, args.queries, kinds=args.index) for n in args.items], ignore_index=True)
    print(table.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
