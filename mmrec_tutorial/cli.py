"""The ``mmrec-tutorial`` command: generate data, run the notebooks, check a catalog."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _generate(args: argparse.Namespace) -> int:
    from .data.generator import CatalogConfig, DirtSpec, generate_catalog

    given = ("n_items", "n_users", "mean_interactions", "min_interactions", "seed")
    sizes = {name: getattr(args, name) for name in given if getattr(args, name) is not None}  # else: the sample's
    cfg = CatalogConfig(**sizes, dirt=None if args.clean else DirtSpec())
    counts = generate_catalog(args.out, cfg, overwrite=args.overwrite)
    print(f"wrote {args.out}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


def _check(args: argparse.Namespace) -> int:
    from .data.catalog import CatalogError, load_catalog

    try:
        catalog, report = load_catalog(args.data)
    except CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report)
    if args.verbose:
        print(report.to_frame().to_string())
    return 0


def _run(args: argparse.Namespace) -> int:
    from .runner import format_summary, list_notebooks, run_notebooks

    notebooks = [Path(n) for n in args.notebooks] if args.notebooks else list_notebooks()
    runs = run_notebooks(args.out, notebooks, quick=not args.full, inplace=args.inplace)
    print(format_summary(runs))
    if not args.inplace:
        print(f"\nexecuted notebooks are in {args.out}/")
    return 0 if all(r.status == "ok" for r in runs) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mmrec-tutorial", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate-data", help="write a synthetic multimodal catalog (the sample, or a bigger one)")
    gen.add_argument("--out", default="data_samples", help="folder to write (default: data_samples)")
    # defaults (None): those of data.generator.CatalogConfig, i.e. the sample's
    gen.add_argument("--n-items", type=int, help="number of items (default: as for data_samples/)")
    gen.add_argument("--n-users", type=int, help="number of users (default: as for data_samples/)")
    gen.add_argument("--mean-interactions", type=float, help="mean interactions per user (default: as for data_samples/)")
    gen.add_argument("--min-interactions", type=int, help="fewest interactions per user (default: as for data_samples/)")
    gen.add_argument("--seed", type=int, help="random seed (default: as for data_samples/)")
    gen.add_argument("--clean", action="store_true", help="plant no dirty records")
    gen.add_argument("--overwrite", action="store_true", help="replace the catalog files in a non-empty folder")
    gen.set_defaults(func=_generate)

    chk = sub.add_parser("check-data", help="validate and clean a catalog folder, print the report")
    chk.add_argument("data", help="catalog folder (items.csv, users.csv, interactions.csv, media)")
    chk.add_argument("-v", "--verbose", action="store_true", help="list every problem")
    chk.set_defaults(func=_check)

    run = sub.add_parser("run", help="execute the notebooks headless with papermill and print a summary")
    run.add_argument("notebooks", nargs="*", help="notebooks to run (default: all in notebooks/)")
    run.add_argument("--out", default="build/tutorial", help="where executed copies go (default: build/tutorial)")
    run.add_argument("--full", action="store_true", help="QUICK off: full sizes (for a GPU or a patient CPU)")
    run.add_argument("--inplace", action="store_true", help="write outputs back into notebooks/ (maintainers)")
    run.set_defaults(func=_run)
    __import__("mmrec_tutorial.cli_evaluate", fromlist=["add_evaluate_parser"]).add_evaluate_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
