"""A launched campaign's contact lists: one file per treated arm, in the layout of the tool it goes into.

Who is in an arm's file is decided here and in ``campaign_export.sql``, the same for every preset
(:mod:`retention.campaigns.presets` only names and orders the columns):

* the arm's members as launched, never the control;
* never a customer on the suppression list, by id or by email, whether listed before or after the launch;
* an SMS arm only reaches members with a phone, and once the shop's data holds any SMS consent, only those who
  consented (an unknown consent is no consent). An SMS arm when no customer has a phone is an error: there is
  no one to send to.

Contact fields (email, phone, first name) are read only when the user asks for them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from retention import export, warehouse
from retention.campaigns import presets
from retention.campaigns.config import Arm
from retention.campaigns.items import item_lists, recommendation_mode, titles
from retention.campaigns.launch import campaign_config, get_campaign
from retention.errors import DataError


def arm_exports(
    con: duckdb.DuckDBPyConnection,
    campaign_id: int,
    *,
    preset: str = presets.PRESETS.default,
    include_contact: bool = False,
    include_email: bool = False,
    k: int = 5,
) -> dict[str, pd.DataFrame]:
    """One frame per treated arm, in the layout of ``preset``; the control is never included.

    Parameters
    ----------
    preset
        A name of :data:`retention.campaigns.presets.PRESETS` ('plain', 'klaviyo', 'mailchimp', 'braze').
    include_contact
        Add the contact fields of the arm's channel (email arms: email and first name; SMS arms: phone and
        first name; on-site arms: none). ``include_email`` is the former name of this switch.
    k
        Recommended items listed per member (at most the ten stored at launch).

    Returns
    -------
    dict of str to pandas.DataFrame
        Arm name -> its rows, riskiest first. In the plain layout: ``user_id``, ``arm``, ``risk`` (in [0, 1], 4
        decimals), ``reasons`` (the churn score's reasons), ``offer_code`` (the member's code where the arm gives
        a discount, else empty), ``recommended_items`` ("title (item_id); ..." of the top ``k`` items of the arm's
        recommender run as stored at launch, computed now for campaigns launched before items were stored; empty
        when the arm has none), ``recommendation_mode`` ('discovery': only items new to the customer; 'repeat':
        may list items bought before; empty where there are no items), the scoring the audience was drawn from
        (``scores_as_of`` date, ``score_horizon_days``, ``scores_model_version``) and, when asked, the contact
        fields. The tools' layouts: see :mod:`retention.campaigns.presets`.

    Raises
    ------
    DataError
        The campaign is a draft, the preset is unknown, or an arm is SMS and no customer has a phone.
    """
    presets.PRESETS.check(preset)
    config = campaign_config(con, campaign_id)
    if get_campaign(con, campaign_id)["status"] == "draft":
        raise DataError(f"campaign {campaign_id} is a draft: launch it before exporting its members")
    contact = include_contact or include_email
    frames = {}
    for arm in config.arms:
        if arm.channel == "sms":
            _require_phones(con, arm)
        members = _arm_members(con, campaign_id, arm, include_contact=contact, k=k)
        frames[arm.name] = presets.lay_out(members, preset, arm.channel, contact)
    return frames


def _require_phones(con: duckdb.DuckDBPyConnection, arm: Arm) -> None:
    phones = int(warehouse.query(con, "campaign_contact_fields")["phones"].iloc[0])
    if phones == 0:
        raise DataError(
            f"arm {arm.name!r} is an SMS arm, but no customer has a phone number: import users with a phone "
            "column (and an sms_consent column) on the Data page, or make it an email arm"
        )


def _arm_members(
    con: duckdb.DuckDBPyConnection, campaign_id: int, arm: Arm, *, include_contact: bool, k: int
) -> pd.DataFrame:
    """The rows of one arm with every field a preset may lay out: the plain columns (contact fields None unless
    asked for) and ``item_titles`` ("title; ...", the recommended items' titles)."""
    frame = warehouse.query(
        con,
        "campaign_export",
        {"campaign_id": int(campaign_id), "arm": arm.name, "channel": arm.channel, "include_contact": include_contact},
        parts={"suppressed": "suppressed_users"},
    )
    if frame["recommended_items"].isna().any():  # launched before the items were stored
        lists = item_lists(con, arm.recommender_run, frame["user_id"], k=k)
        frame["recommended_items"] = lists.map("; ".join).astype("string")
        frame["recommendation_mode"] = recommendation_mode(con, arm.recommender_run, frame["recommended_items"])
    else:
        lists = pd.Series([list(stored)[:k] for stored in frame["recommended_items"]], index=frame.index, dtype=object)
        frame["recommended_items"] = lists.map("; ".join).astype("string")
        frame["recommendation_mode"] = frame["recommendation_mode"].astype("string").fillna("")
    frame["item_titles"] = lists.map(titles).astype("string")
    frame["offer_code"] = frame["offer_code"].astype("string").fillna("")
    frame["risk"] = frame["risk"].astype(float).round(4) + 0.0  # for people: no 16 decimals, no -0.0
    frame["scores_as_of"] = pd.to_datetime(frame["scores_as_of"]).dt.date
    return frame


def write_exports(
    con: duckdb.DuckDBPyConnection,
    campaign_id: int,
    out_dir: str | Path,
    *,
    preset: str = presets.PRESETS.default,
    include_contact: bool = False,
    include_email: bool = False,
) -> list[Path]:
    """Write one file per treated arm into ``out_dir`` (formula-safe), named by
    :func:`retention.campaigns.presets.file_name` (``campaign_<id>_<arm>.csv`` in the plain layout); returns
    the files. The arguments are those of :func:`arm_exports`."""
    frames = arm_exports(con, campaign_id, preset=preset, include_contact=include_contact or include_email)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for arm, frame in frames.items():
        path = folder / presets.file_name(campaign_id, arm, preset)
        export.write_csv(frame, path)
        written.append(path)
    return written
