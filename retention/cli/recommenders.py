"""``recommenders compare`` (offline evaluation of several models), ``promote`` and ``demote`` (what the service
serves: :mod:`retention.cli._promotion`) and ``recommend`` (one user's top-K)."""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from retention import jobs, warehouse
from retention.cli import _promotion as promotion
from retention.cli._common import (
    add_db_argument,
    add_engine_arguments,
    date_text,
    lazy_import,
    out_file,
    real_number,
    whole_number,
    write_table,
)
from retention.errors import DataError

if TYPE_CHECKING:
    from retention.recommend.job import Reading

recommend = lazy_import("retention.recommend")

FEEDBACK_SOURCES = ("purchases", "views", "carts", "ratings", "combined")  # retention.recommend.feedback.SOURCES
STRATIFIED_TEST_SHARE = 0.25  # retention.recommend.stratified.TEST_SHARE, as Microsoft Recommenders' split
TIME_TEST_SHARE = 0.2


def add_feedback_arguments(parser: argparse.ArgumentParser) -> None:
    """``--feedback`` and ``--weights``: the feedback source the models learn from."""
    parser.add_argument(
        "--feedback",
        choices=FEEDBACK_SOURCES,
        default=None,
        help="what the models learn from: purchases, product views, add-to-carts, ratings, or a weighted "
        "combination of views, add-to-carts and purchases (default: the source with the most rows)",
    )
    parser.add_argument(
        "--weights",
        default=None,
        metavar="KEY=W,...",
        help="weights of --feedback combined, e.g. view=1,add_to_cart=3,purchase=5 (the default); a key left "
        "out weighs 0",
    )


def parse_weights(text: str | None) -> tuple[tuple[str, float], ...] | None:
    """``view=1,add_to_cart=3`` as ``(("view", 1.0), ("add_to_cart", 3.0))``; None stays None (keys and values
    are checked by the feedback module later)."""
    if text is None:
        return None
    pairs = []
    for pair in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = pair.partition("=")
        try:
            weight = float(value)
        except ValueError:
            weight = None
        if not sep or weight is None:
            raise DataError(f"--weights {pair!r} must look like KEY=NUMBER, e.g. view=1,add_to_cart=3,purchase=5")
        pairs.append((key.strip(), weight))
    return tuple(pairs)


def feedback_choice(args: argparse.Namespace) -> tuple[str | None, tuple[tuple[str, float], ...] | None]:
    """The ``--feedback`` source and ``--weights``, checked before any work starts.

    Raises
    ------
    DataError
        Weights without ``--feedback combined``, or bad weights.
    """
    from retention.recommend import feedback  # pandas and DuckDB only, no model library

    weights = parse_weights(args.weights)
    if weights is not None and args.feedback != "combined":
        raise DataError("--weights applies only to --feedback combined")
    kind, checked = feedback.checked_choice(args.feedback, weights)
    return kind, (checked or None)


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
        'goes to stderr and into the JSON list as {"model": NAME, "skipped": REASON}. Each record names the '
        "feedback source its run used (and the combined source's weights). With --lake the feedback is read from "
        "a Parquet lake, on DuckDB or (--engine spark) on Spark, where Spark MLlib's ALS (mllib_als) is offered "
        "too; the runs are saved to --db all the same.",
    )
    add_db_argument(compare)
    add_engine_arguments(compare)
    compare.add_argument(
        "--models",
        default=None,
        help="comma-separated model names (default: the models marked default in `recommenders models`)",
    )
    add_split_arguments(compare)
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

    search = commands.add_parser(
        "search",
        help="search one model's hyperparameters on one split and print the trials as JSON",
        description="Tries settings of one model on one split (grid: every combination, 3 values per numeric "
        "range; random: the defaults, then seeded draws), within a budget in runs and optionally minutes, and "
        "saves the best setting as a run named '<model> · tuned' with its model fitted on all feedback. Ranges "
        "default to a quarter to four times each default (a tenth to ten times, in log scale, for learning rates "
        "and regularisation) within the parameter's bounds, every value of a choice; seeds stay at their default. "
        "Recorded as a job (kind 'recommender_search'); progress goes to stderr.",
    )
    add_db_argument(search)
    search.add_argument("--model", required=True, help="model name, e.g. svd")
    search.add_argument(
        "--strategy", choices=["random", "grid"], default="random", help="random (default) or grid search"
    )
    search.add_argument("--runs", type=whole_number(1), default=10, help="at most this many trials (default: 10)")
    search.add_argument(
        "--minutes", type=float, default=None, help="start no trial after this many minutes (default: no limit)"
    )
    search.add_argument(
        "--metric", default="ndcg_at_k", help="metric to maximise (minimised for rmse, mae...; default: ndcg_at_k)"
    )
    add_split_arguments(search)
    search.add_argument("--search-seed", type=int, default=0, help="seed of the random draws and grid sample")
    search.add_argument(
        "--range",
        action="append",
        default=[],
        dest="ranges",
        metavar="NAME=LOW:HIGH|NAME=V1,V2",
        help="the values to try for a hyperparameter, e.g. n_factors=10:100 or biased=true,false or n_epochs=20 "
        "(repeatable; parameters not named get the default range)",
    )
    search.add_argument("--name", default=None, help="name of the saved run (default: '<model label> · tuned')")
    search.add_argument("--out", type=out_file, default=None, help="write the JSON to this file instead of stdout")
    search.add_argument("--no-save", action="store_true", help="only print the trials; save no run")
    search.set_defaults(handler=run_search)
    catalogue = commands.add_parser(
        "models",
        help="list the models: name, family, default or not, what each does and its hyperparameters",
        description="Every model `compare`, `search` and the page can train, with each hyperparameter's default, "
        "range and meaning. The models marked default are what `compare` trains without --models.",
    )
    catalogue.add_argument("--json", action="store_true", help="print JSON instead of text")
    catalogue.set_defaults(handler=run_models)
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
    promotion.add_commands(commands)

    single = subparsers.add_parser("recommend", help="print one user's top-K recommendations with titles")
    add_db_argument(single)
    single.add_argument("--model", default="svd", help="model name (default: svd)")
    single.add_argument("--user", required=True, action="append", help="user id (repeatable)")
    single.add_argument("--k", type=whole_number(1), default=10, help="how many items (default: 10)")
    single.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="hyperparameter override")
    add_feedback_arguments(single)
    single.add_argument("--out", type=out_file, default=None, help="write CSV to this file instead of stdout")
    single.set_defaults(handler=run_recommend)


def add_split_arguments(parser: argparse.ArgumentParser) -> None:
    """K, the feedback and the split every model (or trial) is evaluated on: kind, test share, folds, cutoff, seed
    and mode."""
    parser.add_argument(
        "--k", type=whole_number(1), default=10, help="list length of the ranking metrics (default: 10)"
    )
    parser.add_argument(
        "--split",
        choices=["time", "random", "stratified"],
        default="time",
        help="time-based (default), random k-fold, or stratified: each customer's feedback split at random, "
        "--test-share of it to test (as Microsoft Recommenders' python_stratified_split)",
    )
    parser.add_argument(
        "--test-share",
        type=real_number(0, 1, above_low=True),
        default=None,
        help=f"time split: share of feedback events after the default cutoff (default: {TIME_TEST_SHARE}); "
        f"stratified split: each customer's share of rows in test (default: {STRATIFIED_TEST_SHARE})",
    )
    parser.add_argument("--folds", type=whole_number(2), default=5, help="folds of the random split (default: 5)")
    parser.add_argument(
        "--cutoff",
        type=date_text,
        default=None,
        help="time split: first test timestamp (default: 80%% of events before)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the random splits (default: 0)")
    add_feedback_arguments(parser)
    parser.add_argument(
        "--mode",
        choices=["discovery", "repeat"],
        default="discovery",
        help="discovery (default): past items excluded from lists and from the truth; repeat: past items may be "
        "recommended and count as hits (buy again)",
    )


def split_query(args: argparse.Namespace, kind: str | None, weights: tuple | None) -> object:
    """The :class:`~retention.recommend.SplitQuery` the split arguments describe, on feedback ``kind`` with
    ``weights`` (see :func:`feedback_choice`)."""
    share = args.test_share or (STRATIFIED_TEST_SHARE if args.split == "stratified" else TIME_TEST_SHARE)
    return recommend.SplitQuery(
        args.split,
        cutoff=args.cutoff,
        test_share=share,
        folds=args.folds,
        seed=args.seed,
        mode=args.mode,
        feedback=kind,
        weights=weights,
    )


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


def run_models(args: argparse.Namespace) -> int:
    catalogue = recommend.model_catalogue()
    if args.json:
        print(json.dumps(catalogue, indent=2))
        return 0
    for model in catalogue:
        marks = ", ".join(
            filter(None, [model["family"], "default" if model["default"] else "", model["slow"] and "slow"])
        )
        print(f"{model['name']}: {model['label']} ({marks})\n    {model['description']}")
        for param in model["params"]:
            allowed = ", ".join(param["choices"]) if param["choices"] else f"{param['low']} to {param['high']}"
            print(f"    --param {model['name']}.{param['name']}={param['default']}  ({allowed}) {param['help']}")
    return 0


def run_compare(args: argparse.Namespace) -> int:
    from retention.recommend import spark_models  # here, not at the top: it imports the model libraries

    if args.engine == "spark" and args.lake is None:
        raise DataError(
            "--engine spark reads a lake: give --lake DIR (write one with `python -m retention lake export`)"
        )
    names = None if args.models is None else [name.strip() for name in args.models.split(",") if name.strip()]
    if args.engine != "spark" and names and spark_models.NAME in names:
        raise DataError(
            f"{spark_models.NAME} (Spark MLlib's ALS) runs only on the Spark engine: add --engine spark --lake DIR"
        )
    if args.lake is not None:
        from retention.engines import lake

        lake.read_manifest(Path(args.lake))  # a lake that is missing or lacks a column: refused before any job
    with spark_models.offered() if args.engine == "spark" else contextlib.nullcontext():
        return compare_models(args, recommend.default_models() if names is None else names)


def compare_models(args: argparse.Namespace, names: list[str]) -> int:
    """``recommenders compare`` of the models ``names`` (the registry offering what the engine runs)."""
    if not names:
        raise DataError("--models is empty; name at least one model")
    overrides = parse_overrides(args.param, names)
    for name in names:
        recommend.resolve_params(name, overrides[name])
    kind, weights = feedback_choice(args)
    from retention.recommend import job  # here, not at the top: it imports the model libraries

    path = warehouse.resolve_db_path(args.db)
    query = split_query(args, kind, weights)
    reading = engine_reading(args, path)
    training = jobs.run(
        path,
        job.KIND,
        job.job_params(overrides, query, args.k) | read_from(args),
        lambda progress: job.train(path, overrides, query, args.k, progress, save=not args.no_save, reading=reading),
        started_by="cli",
        describe=job.job_result,
        echo=jobs.printer(),
    )
    comparison = training.comparison
    for name, reason in comparison.skipped.items():
        print(f"skipped {name}: {reason}", file=sys.stderr)
    records = compared_records(path, training)
    records |= {name: {"model": name, "skipped": reason} for name, reason in comparison.skipped.items()}
    write_json([records[name] for name in names if name in records], args.out, f"{len(comparison.results)} results")
    return 0


def engine_reading(args: argparse.Namespace, path: str) -> Reading:
    """Where ``compare`` reads its feedback: the warehouse at ``path``, or the lake ``--lake`` on ``--engine``
    (its runs then record the lake's feedback version)."""
    from retention import engines
    from retention.recommend import choice, job

    if args.lake is None:
        return job.warehouse_reading(path)
    return job.Reading(
        functools.partial(engines.source, args.engine, lake_dir=args.lake, master=args.spark_master),
        lambda con: choice.lake_feedback_version(args.lake),
    )


def read_from(args: argparse.Namespace) -> dict[str, str]:
    """What the job records of where its feedback was read: ``engine`` and ``lake`` (nothing for the warehouse)."""
    return {} if args.lake is None else {"engine": args.engine, "lake": str(Path(args.lake).resolve())}


def write_json(value: object, out: str | None, what: str) -> None:
    """``value`` as indented JSON to the file ``out`` (saying so on stderr), or to stdout."""
    text = json.dumps(value, indent=2)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text + "\n")
        print(f"wrote {what} to {out}", file=sys.stderr)
    else:
        print(text)


def run_search(args: argparse.Namespace) -> int:
    from retention.recommend import search  # here, not at the top: it imports the model libraries

    recommend.MODELS.get_or_raise(args.model)
    query = search.SearchQuery(
        args.model,
        strategy=args.strategy,
        runs=args.runs,
        minutes=args.minutes,
        metric=args.metric,
        k=args.k,
        seed=args.search_seed,
        ranges=tuple(search.parse_range(args.model, text) for text in args.ranges),
    ).checked()
    path = warehouse.resolve_db_path(args.db)
    split = split_query(args, *feedback_choice(args))
    found = jobs.run(
        path,
        search.KIND,
        search.job_params(query, split),
        lambda progress: search.run_search(path, query, split, progress, save=not args.no_save, name=args.name),
        started_by="cli",
        describe=search.job_result,
        echo=jobs.printer(),
    )
    result = search.job_result(found)
    if found.run_id is not None:
        print(f"saved the best setting as run #{found.run_id}", file=sys.stderr)
    write_json(result, args.out, f"{len(result['trials'])} trials")
    return 0


def fed(split: dict) -> dict[str, object]:
    """What a result's record says of its feedback: ``feedback`` (the source) and, for the combined source,
    ``weights``."""
    return {"feedback": split["feedback"], **({"weights": split["weights"]} if split.get("weights") else {})}


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
        records[result.model] = {"name": name, "run_id": run_id, **recommend.as_record(result), **fed(result.split)}
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
    kind, weights = feedback_choice(args)
    con = warehouse.connect(args.db)
    try:
        check_users(con, args.user)
        recommender = recommend.fit_recommender(con, args.model, overrides, kind, weights)
        table = recommend.recommend(con, recommender, args.user, k=args.k)
    finally:
        con.close()
    write_table(table, args.out)
    return 0
