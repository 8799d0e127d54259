"""Which saved run recommends to real customers: each run's mode, and the run a campaign uses by default.

A run's lists follow the mode it was evaluated in (its split's ``mode``; runs saved before modes were kept are
``discovery``): a discovery run never lists what a customer already bought, a repeat-aware run may ("buy
again"). Which suits a campaign depends on its purpose, and the measurements say which does better on this shop:
on Online Retail a customer's own most-bought items score NDCG@10 about 0.35 when repeats count, the best
discovery model about 0.09. So the default (:func:`default_run`) is the best run of the better mode.

A run is *comparable* in the lab's sense (:mod:`retention.recommend.board`): evaluated on the feedback the warehouse
holds now (its ``data_version`` is :func:`feedback_version`), at K = 10 (NDCG@10 is what the default compares) and on
the same split as the other candidates. The split is the one of the newest run that qualifies otherwise (the
comparison trained last), compared without its mode, so that discovery and repeat-aware runs of one split compete.
A random run, a run on other feedback (out of date), at another K or on another split is never the default: it is
offered with a warning saying why (:func:`run_options`).

Random is the only baseline never chosen: its lists are noise. The other baselines (the most popular items, a
customer's own most-bought items) are real lists a customer can act on; when one of them scores best, the lab's
verdict is that no model beats it, and it is the right thing to send.

Light on purpose: it reads the runs table, never a model library, so the Campaigns page can label runs cheaply.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pandas as pd

from retention import warehouse
from retention.recommend import runs
from retention.recommend.board import COUNT_KEYS, split_words
from retention.recommend.modes import MODE_NAMES, run_mode

COMPARED_K = 10
NEVER_DEFAULT = ("random",)  # the floor every model must clear: never what a campaign should send
OPTION_COLUMNS = ("run_id", "name", "model", "mode", "ndcg_at_k", "k", "current", "warning", "label", "default")


def feedback_version(con: duckdb.DuckDBPyConnection) -> str:
    """A fingerprint of the feedback and products every recommender is fitted on (see :mod:`retention.recommend.saved`)."""
    return warehouse.imports_version(con, ("orders", "events", "ratings", "products"))


LAKE_FEEDBACK_TABLES = ("orders", "events", "ratings", "products", "non_products")


def lake_feedback_version(lake_dir: str | os.PathLike) -> str:
    """The feedback version of runs trained on a lake (``--lake DIR``), the same whichever engine read it.

    A lake exported by ``lake export`` whose feedback files are unchanged since carries the feedback version of
    the warehouse it came from: its runs are current there, and the app serves that warehouse's customers from
    them. Any other lake gives ``lake-`` and a fingerprint of its feedback files (names, sizes, modification
    times), which never equals a warehouse's :func:`feedback_version`: such runs are listed as trained on other
    feedback and never serve customers."""
    from retention.engines import lake

    fingerprint = lake.files_fingerprint(Path(lake_dir), LAKE_FEEDBACK_TABLES)
    exported = lake.exported_from(Path(lake_dir))
    if exported.get("feedback_fingerprint") == fingerprint and exported.get("feedback_version"):
        return exported["feedback_version"]
    return f"lake-{fingerprint}"


def run_options(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every saved run as a choice for recommending to real customers, the default first, then the comparable runs
    by NDCG@10, then the others (newest first).

    Returns
    -------
    DataFrame
        ``run_id`` (int), ``name``, ``model``, ``mode`` ('discovery' or 'repeat'), ``ndcg_at_k`` (float, NaN when
        not measured), ``k`` (int), ``current`` (bool: evaluated on the feedback the warehouse holds now),
        ``warning`` (why it should not be used, in words; None for a comparable run), ``label`` ("#12 EASE ·
        repeat-aware · NDCG@10 0.271", with "(not comparable)" for a run with a warning) and ``default`` (bool:
        the run :func:`default_run` picks; at most one).
    """
    table = runs.list_runs(con)
    if table.empty:
        return pd.DataFrame(columns=list(OPTION_COLUMNS))
    table = table.assign(
        mode=[run_mode(split) for split in table["split"]],
        current=(table["data_version"] == feedback_version(con)).fillna(False).astype(bool),
        compared_split=[_compared_split(split) for split in table["split"]],
    )
    table["warning"] = [_warning(row) for row in table.itertuples()]
    table["warning"] = _other_splits(table)
    best = _default(table)
    table["default"] = table["run_id"] == best
    table["label"] = [_label(row) for row in table.itertuples()]
    comparable = table["warning"].isna()
    table = table.assign(_rank=(~table["default"]).astype(int) + (~comparable).astype(int))
    order = table.sort_values(["_rank", "ndcg_at_k", "run_id"], ascending=[True, False, False], na_position="last")
    return order[list(OPTION_COLUMNS)].reset_index(drop=True)


def default_run(con: duckdb.DuckDBPyConnection) -> int | None:
    """The run a campaign recommends with unless told otherwise: among comparable runs (see the module docstring)
    that are not random, the best by NDCG@10 of the mode whose best run scores higher; None when no run is
    comparable."""
    options = run_options(con)
    chosen = options.loc[options["default"], "run_id"]
    return None if chosen.empty else int(chosen.iloc[0])


def _warning(row: object) -> str | None:
    if row.model in NEVER_DEFAULT:
        return "random lists: a baseline for comparison, not for customers"
    if not row.current:
        return "evaluated on other feedback than the warehouse holds now: its scores no longer compare"
    if row.k != COMPARED_K:
        return f"evaluated at K = {row.k}: its NDCG does not compare with NDCG@{COMPARED_K}"
    if pd.isna(row.ndcg_at_k):
        return "no NDCG measured"
    return None


def _compared_split(split: str | None) -> str:
    """The split a run was evaluated on as the default compares it: its description without counts and mode."""
    described = json.loads(split) if isinstance(split, str) else {}
    return json.dumps(
        {key: value for key, value in described.items() if key not in (*COUNT_KEYS, "mode")}, sort_keys=True
    )


def _other_splits(table: pd.DataFrame) -> pd.Series:
    """``warning`` with runs that qualify but were evaluated on another split than the newest qualifying run's
    flagged: their NDCG does not compare with the candidates'."""
    warning = table["warning"].copy()
    qualifying = table[warning.isna()]
    if qualifying.empty:
        return warning
    newest = qualifying.sort_values("run_id", ascending=False).iloc[0]
    words = split_words(json.loads(newest["split"]) if isinstance(newest["split"], str) else {})
    other = warning.isna() & (table["compared_split"] != newest["compared_split"])
    warning[other] = (
        f"evaluated on another split than the newest comparison ({words}, run #{newest['run_id']}): its NDCG does not compare"
    )
    return warning


def _default(table: pd.DataFrame) -> int | None:
    """The run id :func:`default_run` picks from ``run_options``' columns, before labels."""
    comparable = table[table["warning"].isna()]  # the best overall is the best of the better mode
    if comparable.empty:
        return None
    return int(comparable.sort_values(["ndcg_at_k", "run_id"], ascending=False)["run_id"].iloc[0])


def _label(row: object) -> str:
    ndcg = "NDCG not measured" if pd.isna(row.ndcg_at_k) else f"NDCG@{row.k} {row.ndcg_at_k:.3f}"
    label = f"#{row.run_id} {row.name} · {MODE_NAMES[row.mode]} · {ndcg}"
    return label + (" (not comparable)" if isinstance(row.warning, str) else "")
