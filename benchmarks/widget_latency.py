"""Latency of one fusion-weight widget update on the sample catalog (issue 4; target: < 50 ms).

    python benchmarks/widget_latency.py                 # QUICK features, 200 updates
    python benchmarks/widget_latency.py --updates 500 --threads 1

What is timed, per update (random weights on the simplex, a random test user, K = 10):

* ``fusion_view``: the numbers — the weighted sum of the three precomputed (n_users, n_items)
  score matrices, the user's masked top-K, Recall@20 and NDCG@20 over all test users;
* ``widget.update``: the whole slider callback — ``fusion_view`` plus rendering the top-K list
  (titles and cover thumbnails, hits marked), the metric readout and the dot on the surface.

Both on score matrices of the two kinds notebook 03 builds: late fusion of three
single-modality models (``late_fusion_lab``) and a feature-level weighted-sum model
(``weight_lab``). The models train for a few epochs only: latency does not depend on their
quality. Thumbnails are read once per item and cached, so the first update that shows an item
pays for its PNG; the report gives the median, the 95th percentile and the maximum.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from mmrec_tutorial.data import TEST, load_sample, random_split
from mmrec_tutorial.device import describe_device, seed_everything
from mmrec_tutorial.encoders import encode_catalog
from mmrec_tutorial.fusion import simplex_grid
from mmrec_tutorial.models.fused import FusedRecommender
from mmrec_tutorial.train import TrainConfig, fit
from mmrec_tutorial.widgets.fusion import FusionWeightsWidget, fusion_view, late_fusion_lab, metric_surface, weight_lab


def timings(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(name: str, ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=20)
    return f"{name:<34} median {statistics.median(ms):6.2f} ms   p95 {q[-1]:6.2f} ms   max {max(ms):6.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--full", action="store_true", help="full (not QUICK) encoder settings")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    seed_everything(0)
    catalog, _ = load_sample()
    split = random_split(catalog.interactions, catalog.n_users, catalog.n_items, seed=0)
    feats = encode_catalog(catalog.items, catalog.root, quick=not args.full, progress=False)
    cfg = TrainConfig(epochs=args.epochs, batch_size=2048, lr=4e-3, progress=False, device="cpu")

    def model(mods, kind="sum"):
        m = FusedRecommender(catalog.n_users, catalog.n_items, feats.select(mods), fusion=kind, dim=32)
        fit(m, split, cfg)
        return m

    labs = {"late fusion of single models": late_fusion_lab({m: model([m]) for m in feats.features}, split, TEST),
            "feature-level weighted sum": weight_lab(model(list(feats.features)), split, TEST)}
    print(f"device: {describe_device('cpu')}; catalog: {catalog.n_users} users x {catalog.n_items} items; "
          f"{args.updates} updates each")
    gen = torch.Generator().manual_seed(0)
    grid = simplex_grid(0.1)
    for name, lab in labs.items():
        weights = torch.distributions.Dirichlet(torch.ones(3)).sample((args.updates,))
        users = lab.eval_users[torch.randint(len(lab.eval_users), (args.updates,), generator=gen)]
        it = iter(range(10**9))

        def one_view():
            i = next(it) % args.updates
            fusion_view(lab, weights[i].tolist(), int(users[i]), k=10, metric_k=20)

        start = time.perf_counter()
        widget = FusionWeightsWidget(lab, catalog, users=lab.eval_users.tolist(), k=10, metric_k=20,
                                     surface=(grid, metric_surface(lab, grid, 20)))
        build_ms = (time.perf_counter() - start) * 1000
        it2 = iter(range(10**9))

        def one_update():
            i = next(it2) % args.updates
            widget.set(weights=[round(w, 2) for w in weights[i].tolist()], user=int(users[i]))

        print(f"\n{name}  (widget built in {build_ms:.0f} ms, incl. the metric surface on {len(grid)} points)")
        print(summary("fusion_view (numbers only)", timings(one_view, args.updates)))
        print(summary("widget.update (numbers + HTML)", timings(one_update, args.updates)))


if __name__ == "__main__":
    main()
