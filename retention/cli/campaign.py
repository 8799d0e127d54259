"""``campaign simulate|launch|export|measure|next-wave|list|close``: retention campaigns from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from retention import engines, jobs, warehouse
from retention.cli._common import add_db_argument, add_engine_arguments, lazy_import, out_dir, out_file, write_table
from retention.errors import DataError, system_error_message

if TYPE_CHECKING:
    import pandas as pd

    from retention.campaigns import CampaignConfig

campaigns = lazy_import("retention.campaigns")
campaign_config = lazy_import("retention.campaigns.config")
campaign_measure = lazy_import("retention.campaigns.measure")
export_presets = lazy_import("retention.campaigns.presets")


def _campaign_id(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a campaign id is a whole number, got {text!r}") from None


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("campaign", help="simulate, launch, measure and list retention campaigns")
    commands = parser.add_subparsers(dest="campaign_command", required=True, metavar="ACTION")

    simulate = commands.add_parser("simulate", help="Monte Carlo of a campaign config before launching it")
    add_db_argument(simulate)
    simulate.add_argument("--config", required=True, metavar="FILE.json", help="campaign configuration")
    simulate.add_argument(
        "--out", type=out_file, default=None, metavar="FILE.csv", help="write the summary here (default: stdout)"
    )
    simulate.set_defaults(handler=run_simulate)

    launch = commands.add_parser("launch", help="write the campaign and its members in one transaction; export per arm")
    add_db_argument(launch)
    launch.add_argument("--config", required=True, metavar="FILE.json", help="campaign configuration")
    launch.add_argument(
        "--idempotency-key",
        default=None,
        metavar="K",
        help="a launch with a key already used returns that campaign (default: a digest of the config and scores)",
    )
    launch.add_argument(
        "--out-dir", type=out_dir, default=None, metavar="DIR", help="write campaign_<id>_<arm>.csv per treated arm"
    )
    _add_export_options(launch)
    launch.add_argument(
        "--allow-overlap",
        action="store_true",
        help="also take members of campaigns still being measured (left out by default: it spoils their holdout)",
    )
    launch.set_defaults(handler=run_launch)

    exporting = commands.add_parser(
        "export", help="write a launched campaign's campaign_<id>_<arm>.csv files again (e.g. after a failed export)"
    )
    add_db_argument(exporting)
    exporting.add_argument("--id", required=True, type=_campaign_id, help="campaign id")
    exporting.add_argument("--out-dir", required=True, type=out_dir, metavar="DIR", help="folder for the files")
    _add_export_options(exporting)
    exporting.set_defaults(handler=run_export)

    measure = commands.add_parser(
        "measure",
        help="each arm against control, and the next wave's proposed split",
        description=(
            "Each arm against the control, on the orders after the launch. With --lake, the campaign, its members "
            "and their orders are read from the lake, and the join runs on --engine (duckdb or spark); the statistics "
            "run here either way. A complete window is recorded in --db, when that warehouse holds the same "
            "campaign (same id, name, idempotency key and start); the lake is never written."
        ),
    )
    add_db_argument(measure)
    add_engine_arguments(measure)
    measure.add_argument("--id", required=True, type=_campaign_id, help="campaign id")
    measure.add_argument(
        "--out", type=out_file, default=None, metavar="FILE.csv", help="write the results here (default: stdout)"
    )
    measure.set_defaults(handler=run_measure)

    wave = commands.add_parser(
        "next-wave", help="write the next wave's config with the Thompson-sampling split (edit it, then launch it)"
    )
    add_db_argument(wave)
    wave.add_argument("--id", required=True, type=_campaign_id, help="the measured campaign")
    wave.add_argument(
        "--out", required=True, type=out_file, metavar="FILE.json", help="where to write the next wave's config"
    )
    wave.set_defaults(handler=run_next_wave)

    listing = commands.add_parser("list", help="every campaign with its status")
    add_db_argument(listing)
    listing.add_argument(
        "--out", type=out_file, default=None, metavar="FILE.csv", help="write the list here (default: stdout)"
    )
    listing.set_defaults(handler=run_list)

    close = commands.add_parser("close", help="close a campaign")
    add_db_argument(close)
    close.add_argument("--id", required=True, type=_campaign_id, help="campaign id")
    close.set_defaults(handler=run_close)


def _add_export_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--preset",
        default="plain",
        metavar="NAME",
        help="column layout of the files: plain (default), klaviyo, mailchimp or braze",
    )
    parser.add_argument(
        "--include-contact",
        "--include-email",
        dest="include_contact",
        action="store_true",
        help="add the contact fields of each arm's channel (email or phone, and first name) to the exports",
    )


def _connect(args: argparse.Namespace):
    return warehouse.connect(warehouse.resolve_db_path(args.db))


def _check_references(con, config) -> None:
    """Refuse a config naming campaigns or recommender runs the warehouse lacks, before any work; print its notes."""
    notes = campaign_config.check_references(
        config,
        campaign_ids=list(warehouse.query(con, "campaign_ids")["ids"].iloc[0]),
        run_ids=set(warehouse.query(con, "recommend_list_runs")["run_id"].astype(int)),
    )
    for note in notes:
        print(f"note: {note}", file=sys.stderr)


def run_simulate(args: argparse.Namespace) -> int:
    from retention.campaigns import simulation_job

    config = campaigns.load_config(args.config)
    path = warehouse.resolve_db_path(args.db)
    warehouse.prepare(path)
    with warehouse.session(path) as con:
        _check_references(con, config)
        version = warehouse.data_version(con)
    # Recorded as a job, like the app's simulation (the strategy comparison included); progress goes to stderr.
    run = jobs.run(
        path,
        simulation_job.KIND,
        simulation_job.job_params(config, version),
        lambda progress: simulation_job.run_simulation(path, config, progress),
        describe=simulation_job.job_result,
        echo=jobs.printer(),
    )
    print(
        f"campaign {config.name!r}: {run.audience:,} in the audience, {run.members:,} members "
        f"({config.draws:,} draws; medians with 90% intervals). {run.scoring}",
        file=sys.stderr,
    )
    write_table(campaigns.summary_table(run.simulation), args.out)
    return 0


def run_launch(args: argparse.Namespace) -> int:
    config = campaigns.load_config(args.config)
    if args.out_dir:
        export_presets.PRESETS.check(args.preset)  # before anything is written
    if args.allow_overlap:
        config = campaigns.allowing_overlap(config)
    if config.audience.allow_overlap:
        print(f"warning: {campaigns.OVERLAP_WARNING}", file=sys.stderr)
    con = _connect(args)
    try:
        _check_references(con, config)
        result = campaigns.launch(con, config, idempotency_key=args.idempotency_key)
        verb = "launched" if result.created else "already launched with this idempotency key:"
        print(f"{verb} campaign {result.campaign_id} ({config.name!r}), key {result.idempotency_key}")
        print(result.arm_counts.to_string(index=False))
        if result.overlap_note:
            verb = "taken in anyway" if config.audience.allow_overlap else "left out"
            print(f"{result.overlap_note}; {verb}", file=sys.stderr)
        if args.out_dir:
            _export(con, result.campaign_id, args)
    finally:
        con.close()
    return 0


def run_export(args: argparse.Namespace) -> int:
    con = _connect(args)
    try:
        campaigns.get_campaign(con, args.id)  # an unknown id is refused with a sentence
        _export(con, args.id, args)
    finally:
        con.close()
    return 0


def _export(con, campaign_id: int, args: argparse.Namespace) -> None:
    """Write the campaign's exports into ``args.out_dir`` in the layout ``args.preset``; a failure says that the
    campaign stands and how to write them again."""
    try:
        written = campaigns.write_exports(
            con, campaign_id, args.out_dir, preset=args.preset, include_contact=args.include_contact
        )
    except (OSError, DataError) as exc:
        reason = system_error_message(exc) if isinstance(exc, OSError) else str(exc)
        raise DataError(
            f"campaign {campaign_id} is launched, but its exports were not written: {reason}; "
            f"write them with `python -m retention campaign export --id {campaign_id} --out-dir DIR`"
        ) from exc
    for path in written:
        print(f"wrote {path}")
    if note := export_presets.contact_note(args.preset, args.include_contact):
        print(f"note: {note} (--include-contact)", file=sys.stderr)


def _print_split(split: pd.DataFrame, config: CampaignConfig) -> None:
    """The next wave's split, one line per arm named by its label: "next wave: 10% discount email (discount): ..."."""
    labels = campaigns.plan.arm_labels(config)
    for arm, line in zip(split["arm"], split["reasoning"], strict=True):
        label = labels.get(arm, arm)
        named = label if label == arm else f"{label} ({arm})"
        print(f"next wave: {named}: {line}", file=sys.stderr)


def run_measure(args: argparse.Namespace) -> int:
    if args.lake is None and args.engine == engines.DUCKDB:
        con = _connect(args)
        try:
            measurement = campaigns.measure(con, args.id)
            campaign = campaigns.get_campaign(con, args.id)
            note = _record(con, measurement, campaign)
        finally:
            con.close()
    else:
        with engines.source(args.engine, db=args.db, lake_dir=args.lake, master=args.spark_master) as lake_con:
            measurement = campaigns.measure(lake_con, args.id)
            campaign = campaigns.get_campaign(lake_con, args.id)
        note = _record_from_lake(args.db, measurement, campaign)
    config = campaigns.parse_config(json.loads(campaign["config"]))
    split = campaigns.bandit.thompson_split(measurement.table, holdout_share=config.holdout_share)
    print(f"campaign {args.id}: orders through {measurement.through:%Y-%m-%d %H:%M}; {note}", file=sys.stderr)
    _print_split(split, config)
    write_table(campaigns.plan.labelled(measurement.table, config), args.out)
    return 0


def _unrecorded(measurement: campaigns.Measurement, campaign: pd.Series) -> str | None:
    """Why the measurement is not recorded (an incomplete window, a campaign neither launched nor measured)."""
    if not measurement.complete:
        days = int(campaign["horizon_days"])
        return f"window incomplete ({measurement.observed_days:.1f} of {days} days observed): not recorded"
    if not campaigns.recordable(measurement, campaign["status"]):
        return f"window complete, but the campaign is {campaign['status']}: not recorded"
    return None


def _record(con, measurement: campaigns.Measurement, campaign: pd.Series, where: str = "") -> str:
    """Record a complete window of a launched or measured campaign; the note saying whether it was."""
    if reason := _unrecorded(measurement, campaign):
        return reason
    campaigns.record(con, measurement)
    return f"window complete: recorded{where}, status measured"


def _record_from_lake(db: str | None, measurement: campaigns.Measurement, campaign: pd.Series) -> str:
    """Record a measurement made on a lake in the warehouse file, when that holds the same campaign."""
    if not measurement.complete:
        return _unrecorded(measurement, campaign)
    path = warehouse.resolve_db_path(db)
    if not path.exists():
        return f"window complete: not recorded, there is no warehouse file {str(path)!r} (--db) to record it in"
    with warehouse.session(path, write=True) as con:
        if difference := campaign_measure.stored_difference(con, campaign):
            return f"window complete: not recorded in {str(path)!r}: {difference}"
        return _record(con, measurement, campaigns.get_campaign(con, measurement.campaign_id), f" in {str(path)!r}")


def run_next_wave(args: argparse.Namespace) -> int:
    con = _connect(args)
    try:
        measurement = campaigns.measure(con, args.id)
        config = campaigns.campaign_config(con, args.id)
    finally:
        con.close()
    split = campaigns.bandit.thompson_split(measurement.table, holdout_share=config.holdout_share)
    wave = campaigns.bandit.next_wave_config(config, args.id, dict(zip(split["arm"], split["share"], strict=True)))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(campaigns.config_to_dict(wave), indent=2) + "\n")
    _print_split(split, config)
    print(f"wrote {args.out}: {wave.name!r}; review it, then `campaign launch --config {args.out}`")
    return 0


def run_list(args: argparse.Namespace) -> int:
    con = _connect(args)
    try:
        frame = campaigns.list_campaigns(con)
    finally:
        con.close()
    if frame.empty:
        print("no campaigns yet", file=sys.stderr)
    write_table(frame, args.out)
    return 0


def run_close(args: argparse.Namespace) -> int:
    con = _connect(args)
    try:
        campaigns.close(con, args.id)
    finally:
        con.close()
    print(f"closed campaign {args.id}")
    return 0


def run_simulate_response(args: argparse.Namespace) -> int:
    """``sample --simulate-campaign ID --true-uplift ARM=U,...``: append a synthetic post-launch response."""
    from retention.campaigns import response

    uplift = response.parse_true_uplift(args.true_uplift) if args.true_uplift else {}
    con = _connect(args)
    try:
        result = response.simulate_response(con, args.simulate_campaign, uplift, seed=args.seed)
    finally:
        con.close()
    print(
        f"appended {result.rows_loaded:,} post-launch order lines for campaign {args.simulate_campaign} "
        f"(import batch {result.batch_id}; {result.source_name})"
    )
    return 0
