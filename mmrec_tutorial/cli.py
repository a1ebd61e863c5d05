"""The ``mmrec-tutorial`` command: generate data, check a catalog, run the notebooks, evaluate models."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _number(kind: type, low: float, low_open: bool = False, high: float | None = None):
    """An argparse type: a ``kind`` (int or float) >= ``low`` (> with ``low_open``) and < ``high``."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
        if value != value or (value <= low if low_open else value < low) or (high is not None and value >= high):
            bound = f"{'>' if low_open else '>='} {low}" + (f" and < {high}" if high is not None else "")
            raise argparse.ArgumentTypeError(f"{text} is out of range: must be {bound}")
        return value
    return parse


POSITIVE_INT = _number(int, 1)
POSITIVE = _number(float, 0, low_open=True)
FRACTION = _number(float, 0, low_open=True, high=1)


def _generate(args: argparse.Namespace) -> int:
    from .data.generator import CatalogConfig, DirtSpec, generate_catalog

    given = ("n_items", "n_users", "mean_interactions", "min_interactions", "seed")
    sizes = {name: getattr(args, name) for name in given if getattr(args, name) is not None}  # else: the sample's
    cfg = CatalogConfig(**sizes, dirt=None if args.clean else DirtSpec(), media=not args.no_media)
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
    from .course.runner import format_summary, list_notebooks, run_notebooks

    notebooks = [Path(n) for n in args.notebooks] if args.notebooks else list_notebooks()
    runs = run_notebooks(args.out, notebooks, quick=not args.full, inplace=args.inplace)
    print(format_summary(runs))
    if not args.inplace:
        print(f"\nexecuted notebooks are in {args.out}/")
    if any(r.status == "interrupted" for r in runs):
        return 130  # the shell's code for "stopped by Ctrl-C"
    return 0 if all(r.status == "ok" for r in runs) else 1


EVALUATE_USAGE = """``mmrec-tutorial evaluate``: train rankers on a dataset and print the comparison table.

    mmrec-tutorial evaluate --data sample --models popularity,bpr,vbpr,fusion
    mmrec-tutorial evaluate --data lfm2k --models popularity,bpr,vbpr
    mmrec-tutorial evaluate --data mmrec:data/baby --models bpr,vbpr --markdown baby.md --json baby.json
    mmrec-tutorial evaluate --data movielens-100k:ml-100k --models bpr,deepmf --quick

It calls :func:`mmrec_tutorial.evaluation.run_experiment`, the same code path as notebook 06."""


def _models(text: str) -> list[str]:
    from .models.zoo import MODEL_NAMES

    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in MODEL_NAMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown model(s) {', '.join(unknown) or '(none)'}; "
                                         f"choose from {', '.join(MODEL_NAMES)}")
    return names


def _evaluate(args: argparse.Namespace) -> int:
    from .data.adapters import DatasetFormatError, DatasetUnavailableError
    from .data.catalog import CatalogError
    from .device import describe_device, is_quick, pick_device, polite_threads
    from .evaluation import run_experiment

    quick = args.quick or is_quick()
    import torch

    torch.set_num_threads(args.threads or polite_threads())
    try:
        device = pick_device(args.device)
        print(f"data: {args.data}; models: {', '.join(args.models)}; device: {describe_device(device)}"
              + ("; QUICK" if quick else ""), flush=True)
        exp = run_experiment(args.data, args.models, split=args.split, epochs=args.epochs, quick=quick,
                             device=device, seed=args.seed,
                             modalities=args.modalities.split(",") if args.modalities else None,
                             cache_dir=args.cache_dir, download=not args.no_download, cold_frac=args.cold_frac,
                             n_boot=args.n_boot, progress=not args.no_progress)
    except (DatasetUnavailableError, DatasetFormatError, CatalogError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    summary = exp.dataset.summary()
    print(f"{summary['dataset']}: {summary['users']} users, {summary['items']} items, "
          f"{summary['interactions']} interactions; features: "
          + (", ".join(f"{m} {tuple(f.shape)}" for m, f in exp.content.features.items()) if exp.content else "none"))
    for note in exp.notes:
        print(f"note: {note}")
    report = exp.dataset.report
    if report is not None:
        print(f"cleaning ({len(report.problems)} findings; all of them: mmrec-tutorial check-data "
              f"{exp.dataset.root} -v" + (", or the JSON's \"cleaning\"" if args.json else "") + "):")
        print(str(report))
    comp = exp.comparison
    print()
    print(comp.formatted(("recall@10", "recall@20", "ndcg@20", "precision@20", "auc")).to_string())
    print(f"\nsplit: {comp.split_name}\nprotocol: {comp.protocol}")
    meta = _run_record(args, exp, quick)
    for target, render in ((args.markdown, comp.to_markdown), (args.json, lambda: comp.to_json(meta))):
        if target:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            Path(target).write_text(render())
            print(f"wrote {target}")
    return 0


def _run_record(args: argparse.Namespace, exp, quick: bool) -> dict[str, object]:
    """What makes two ``evaluate`` runs comparable: the arguments, versions and the data's cleaning."""
    import torch

    from . import __version__

    report = exp.dataset.report
    return {"data": args.data, "models": list(args.models), "split": exp.comparison.split_name, "seed": args.seed,
            "epochs": args.epochs, "quick": quick, "cold_frac": args.cold_frac, "modalities": args.modalities,
            "mmrec_tutorial": __version__, "torch": torch.__version__, "notes": list(exp.notes),
            "cleaning": None if report is None else {
                "counts_before": report.counts_before, "counts_after": report.counts_after,
                "findings": [{k: (None if v is None or v != v else v) for k, v in row.items()}
                             for row in report.to_frame().astype(object).to_dict(orient="records")]}}


def _add_evaluate_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``evaluate`` sub-command (its usage: :data:`EVALUATE_USAGE`)."""
    from .evaluation import DEFAULT_MODELS, SPLIT_KINDS

    p = subparsers.add_parser("evaluate", help="train rankers on a dataset and print the comparison table",
                              description=EVALUATE_USAGE, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="sample",
                   help="dataset spec: sample, catalog:<folder>, mmrec:<folder>[#<name>][;<modality>=<file>], "
                        "lfm2k[:<folder>], movielens-100k[:<folder>], movielens-1m[:<folder>] (default: sample)")
    p.add_argument("--models", type=_models, default=list(DEFAULT_MODELS),
                   help=f"comma-separated model names (default: {','.join(DEFAULT_MODELS)})")
    p.add_argument("--split", choices=SPLIT_KINDS, default="auto",
                   help="auto: the dataset's own split if it has one, else random 8:1:1 with 10%% cold items")
    p.add_argument("--cold-frac", type=FRACTION, default=0.1, help="share of items held out as cold (default 0.1)")
    p.add_argument("--epochs", type=POSITIVE_INT, default=None, help="cap on training epochs (early stopping decides)")
    p.add_argument("--modalities", default=None, help="comma-separated modalities to use (default: all available)")
    p.add_argument("--quick", action="store_true", help="few epochs, quick encoders (also: MMREC_QUICK=1)")
    p.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:1, ...")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=POSITIVE_INT, default=None,
                   help="torch CPU threads (default: the cores other processes leave idle, at least 1)")
    p.add_argument("--n-boot", type=POSITIVE_INT, default=1000, help="bootstrap samples for the 95%% intervals")
    p.add_argument("--cache-dir", default=None, help="where datasets and encoded features are cached")
    p.add_argument("--no-download", action="store_true", help="never download; fail if the data are not on disk")
    p.add_argument("--markdown", default=None, help="also write the table as Markdown to this file")
    p.add_argument("--json", default=None, help="also write every number as JSON to this file")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=_evaluate)
    return p


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mmrec-tutorial", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate-data", help="write a synthetic multimodal catalog (the sample, or a bigger one)")
    gen.add_argument("--out", default="data_samples", help="folder to write (default: data_samples)")
    # defaults (None): those of data.generator.CatalogConfig, i.e. the sample's
    gen.add_argument("--n-items", type=POSITIVE_INT, help="number of items (default: as for data_samples/)")
    gen.add_argument("--n-users", type=POSITIVE_INT, help="number of users (default: as for data_samples/)")
    gen.add_argument("--mean-interactions", type=POSITIVE, help="mean interactions per user (default: as for data_samples/)")
    gen.add_argument("--min-interactions", type=POSITIVE_INT, help="fewest interactions per user (default: as for data_samples/)")
    gen.add_argument("--seed", type=int, help="random seed (default: as for data_samples/)")
    gen.add_argument("--clean", action="store_true", help="plant no dirty records")
    gen.add_argument("--no-media", action="store_true",
                     help="write no covers or previews (text and interactions only: 100k-1M item catalogs)")
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
    _add_evaluate_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; bad input ends with ``error: ...`` on stderr and exit code 2, Ctrl-C with 130,
    never with a traceback (the commands catch what they expect; this is the last line of defence)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted (Ctrl-C)", file=sys.stderr)
        return 130
    except (OSError, ValueError) as exc:  # e.g. an existing output folder, a full disk, a bad value
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
