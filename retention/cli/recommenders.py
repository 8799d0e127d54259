"""``recommenders compare`` (offline evaluation of several models) and ``recommend`` (one user's top-K)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from retention import jobs, warehouse
from retention.cli._common import add_db_argument, date_text, lazy_import, out_file, whole_number, write_table
from retention.errors import DataError

recommend = lazy_import("retention.recommend")

DEFAULT_MODELS = "svd,knn_baseline,content,popularity"


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    group = subparsers.add_parser("recommenders", help="train and compare recommender models")
    commands = group.add_subparsers(dest="recommenders_command", required=True, metavar="SUBCOMMAND")
    compare = commands.add_parser(
        "compare",
        help="evaluate models on the same split and print (or write) their metrics as JSON",
        description="Every run is also saved in the model_runs table, with its model fitted on all feedback (so "
        "that recommending with the run later loads it); the work is recorded as a job (kind 'recommenders') and "
        "its progress goes to stderr. An unknown model name is refused with the list. "
        "A model that cannot run on this data (the content model without product text) is skipped: the reason "
        'goes to stderr and into the JSON list as {"model": NAME, "skipped": REASON}.',
    )
    add_db_argument(compare)
    compare.add_argument(
        "--models", default=DEFAULT_MODELS, help=f"comma-separated model names (default: {DEFAULT_MODELS})"
    )
    compare.add_argument(
        "--k", type=whole_number(1), default=10, help="list length of the ranking metrics (default: 10)"
    )
    compare.add_argument(
        "--split", choices=["time", "random"], default="time", help="time-based (default) or random k-fold"
    )
    compare.add_argument("--folds", type=whole_number(2), default=5, help="folds of the random split (default: 5)")
    compare.add_argument(
        "--cutoff",
        type=date_text,
        default=None,
        help="time split: first test timestamp (default: 80%% of events before)",
    )
    compare.add_argument("--seed", type=int, default=0, help="seed of the random split (default: 0)")
    compare.add_argument(
        "--mode",
        choices=["discovery", "repeat"],
        default="discovery",
        help="discovery (default): past items excluded from lists and from the truth; repeat: past items may be "
        "recommended and count as hits (buy again)",
    )
    compare.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="MODEL.NAME=VALUE",
        help="override a hyperparameter, e.g. svd.n_factors=20 (repeatable)",
    )
    compare.add_argument(
        "--out", type=out_file, default=None, help="write the JSON list to this file instead of stdout"
    )
    compare.add_argument(
        "--no-save",
        action="store_true",
        help="do not record the runs in model_runs (nor fit their models on all feedback)",
    )
    compare.set_defaults(handler=run_compare)

    listing = commands.add_parser(
        "runs",
        help="print the saved runs of one comparable group with their 95%% intervals and the verdicts",
        description="Runs are comparable only when they share the data, the split, K, the feedback source and the "
        "mode. This lists one such group (default: the newest run's), best NDCG first, each ranking metric with "
        "its 95%% bootstrap interval over customers, and the chosen run compared with the best baseline and the "
        "runner-up by a paired test over customers.",
    )
    add_db_argument(listing)
    listing.add_argument(
        "--group", type=whole_number(1), default=None, metavar="RUN_ID", help="list the group of this run instead"
    )
    listing.add_argument("--json", action="store_true", help="print JSON (runs with intervals and slices, verdicts)")
    listing.set_defaults(handler=run_runs)

    single = subparsers.add_parser("recommend", help="print one user's top-K recommendations with titles")
    add_db_argument(single)
    single.add_argument("--model", default="svd", help="model name (default: svd)")
    single.add_argument("--user", required=True, action="append", help="user id (repeatable)")
    single.add_argument("--k", type=whole_number(1), default=10, help="how many items (default: 10)")
    single.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="hyperparameter override")
    single.add_argument("--out", type=out_file, default=None, help="write CSV to this file instead of stdout")
    single.set_defaults(handler=run_recommend)


def parse_overrides(pairs: list[str], models: list[str]) -> dict[str, dict[str, str]]:
    """``MODEL.NAME=VALUE`` strings as ``{model: {name: value}}`` (values are validated by the registry later)."""
    overrides: dict[str, dict[str, str]] = {model: {} for model in models}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        model, dot, name = key.partition(".")
        if not sep or not dot:
            raise DataError(f"--param {pair!r} must look like MODEL.NAME=VALUE, e.g. svd.n_factors=20")
        if model not in overrides:
            raise DataError(f"--param {pair!r} names model {model!r}, which is not in --models")
        overrides[model][name] = value
    return overrides


def run_compare(args: argparse.Namespace) -> int:
    names = [name.strip() for name in args.models.split(",") if name.strip()]
    if not names:
        raise DataError("--models is empty; name at least one model")
    overrides = parse_overrides(args.param, names)
    for name in names:
        recommend.resolve_params(name, overrides[name])
    from retention.recommend import job  # here, not at the top: it imports the model libraries

    path = warehouse.resolve_db_path(args.db)
    query = recommend.SplitQuery(args.split, cutoff=args.cutoff, folds=args.folds, seed=args.seed, mode=args.mode)
    training = jobs.run(
        path,
        job.KIND,
        job.job_params(overrides, query, args.k),
        lambda progress: job.train(path, overrides, query, args.k, progress, save=not args.no_save),
        started_by="cli",
        describe=job.job_result,
        echo=jobs.printer(),
    )
    comparison = training.comparison
    for name, reason in comparison.skipped.items():
        print(f"skipped {name}: {reason}", file=sys.stderr)
    records = compared_records(path, training)
    records |= {name: {"model": name, "skipped": reason} for name, reason in comparison.skipped.items()}
    text = json.dumps([records[name] for name in names if name in records], indent=2)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
        print(f"wrote {len(comparison.results)} results to {args.out}", file=sys.stderr)
    else:
        print(text)
    return 0


def compared_records(path: str, training) -> dict[str, dict]:
    """Model -> its JSON record: :func:`retention.recommend.as_record` with ``name``, ``run_id`` (None when not
    saved), ``slices`` and ``verdicts`` (the chosen run's comparisons with the best baseline and the runner-up; the
    other records have none). The verdicts also go to stderr."""
    from retention.recommend import board, runs  # here: with the model libraries, imported by the training

    results = training.comparison.results
    with warehouse.session(path) as con:
        saved = runs.list_runs(con).set_index("run_id") if training.run_ids else None
        slices = [runs.run_slices(con, result.user_metrics) for result in results]
    ids = training.run_ids or [None] * len(results)
    names = [
        result.model if run_id is None else str(saved.loc[run_id, "name"])
        for result, run_id in zip(results, ids, strict=True)
    ]
    verdicts = board.result_verdicts(results, names, runs.families())
    records = {}
    for result, run_id, name, sliced in zip(results, ids, names, slices, strict=True):
        chosen = [verdict.as_record() for verdict in verdicts if verdict.chosen == name]
        records[result.model] = {"name": name, "run_id": run_id, **recommend.as_record(result)}
        records[result.model] |= {"slices": sliced, "verdicts": chosen}
    for verdict in verdicts:
        print(verdict.sentence, file=sys.stderr)
    return records


def run_runs(args: argparse.Namespace) -> int:
    with warehouse.session(warehouse.resolve_db_path(args.db)) as con:
        from retention.recommend import runs  # listing needs no model library; the verdicts read the registry

        report = runs.group_report(con, args.group)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(report["group"])
    print(runs_table(report["runs"]).to_string(index=False))
    for verdict in report["verdicts"]:
        print(verdict["sentence"])
    if report["other_groups"]:
        print(f"{len(report['other_groups'])} other group(s): " + "; ".join(report["other_groups"]))
    return 0


def runs_table(records: list[dict]) -> pd.DataFrame:
    """The runs as text columns: name, model, each ranking metric with its interval, fit seconds."""
    from retention.recommend.board import metric_words
    from retention.recommend.metrics import RANKING_METRICS

    def shown(record: dict, metric: str) -> str:
        value, interval = record[metric], record["intervals"].get(metric)
        if value is None:
            return "–"
        return f"{value:.3f}" + (f" ({interval[0]:.3f}–{interval[1]:.3f})" if interval else "")

    return pd.DataFrame(
        {
            "run": [record["name"] for record in records],
            "model": [record["model"] for record in records],
            **{
                metric_words(metric, records[0]["k"]): [shown(record, metric) for record in records]
                for metric in RANKING_METRICS
            },
            "fit s": [f"{record['fit_seconds']:.1f}" for record in records],
        }
    )


def check_users(con, user_ids: list[str]) -> None:
    """Refuse, before any model is trained, ids that no users row, order, event or rating of the warehouse has."""
    known = set(warehouse.query(con, "known_users", {"user_ids": list(user_ids)})["user_id"])
    unknown = [user for user in dict.fromkeys(user_ids) if user not in known]
    if unknown:
        listed = ", ".join(repr(user) for user in unknown[:5]) + (" ..." if len(unknown) > 5 else "")
        which = f"customer with the id {listed}" if len(unknown) == 1 else f"customers with the ids {listed}"
        raise DataError(f"no {which} in the warehouse (no users row, order, event or rating); check the --user value")


def run_recommend(args: argparse.Namespace) -> int:
    overrides = parse_overrides([f"{args.model}.{pair}" for pair in args.param], [args.model])[args.model]
    recommend.resolve_params(args.model, overrides)
    con = warehouse.connect(args.db)
    try:
        check_users(con, args.user)
        recommender = recommend.fit_recommender(con, args.model, overrides)
        table = recommend.recommend(con, recommender, args.user, k=args.k)
    finally:
        con.close()
    write_table(table, args.out)
    return 0
