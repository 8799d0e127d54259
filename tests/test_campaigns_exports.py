"""Export presets and channels: exact headers, offer codes, SMS consent, the suppression list, the CLI flags."""

from __future__ import annotations

import csv
import json
import shutil

import pandas as pd
import pytest
from test_campaigns_fixtures import basic_config

from retention import campaigns, warehouse
from retention.campaigns import presets
from retention.campaigns.config import parse_config
from retention.cli import main
from retention.errors import DataError

ID_HEADER = {"plain": "user_id", "klaviyo": "External ID", "mailchimp": "Customer ID", "braze": "external_id"}
EMAIL_HEADER = {"plain": "email", "klaviyo": "Email", "mailchimp": "Email Address", "braze": "email"}
PHONE_HEADER = {"plain": "phone", "klaviyo": "Phone Number", "mailchimp": "Phone Number", "braze": "phone"}
PLAIN = [
    "user_id",
    "arm",
    "risk",
    "reasons",
    "offer_code",
    "recommended_items",
    "recommendation_mode",
    "scores_as_of",
    "score_horizon_days",
    "scores_model_version",
]


@pytest.fixture
def con(scored_con):
    return scored_con


def three_channels() -> dict:
    """An email arm with a discount, an SMS arm with a discount and an on-site arm without one."""
    return basic_config(
        arms=[
            {"name": "mail", "template": "discount_email", "uplift": [0.02, 0.05, 0.1]},
            {"name": "text", "template": "sms_discount", "uplift": [0.02, 0.05, 0.1]},
            {"name": "site", "template": "onsite_offer", "discount_share": 0.0, "uplift": [0.0, 0.02, 0.05]},
        ]
    )


def give_phones(con, *, consent: bool) -> None:
    """Every other customer gets a phone; with ``consent``, a third of them consent, a third refuse, a third are
    unknown (NULL); without, no consent is known at all."""
    con.execute(
        "UPDATE users SET first_name = 'Ann ' || user_id, phone = CASE WHEN hash(user_id) % 2 = 0 THEN '+44 7700 ' || user_id END"
    )
    con.execute(
        "UPDATE users SET sms_consent = CASE WHEN $consent THEN "
        "CASE hash(user_id) % 3 WHEN 0 THEN true WHEN 1 THEN false END END",
        {"consent": consent},
    )


def members(con, campaign_id: int) -> pd.DataFrame:
    return con.execute(
        "SELECT m.user_id, m.arm, u.email, u.phone, u.sms_consent FROM campaign_members m "
        "LEFT JOIN users u USING (user_id) WHERE campaign_id = ?",
        [campaign_id],
    ).df()


# ---- headers ----


def test_every_preset_has_its_tools_headers_exactly(con):
    give_phones(con, consent=False)
    launched = campaigns.launch(con, parse_config(three_channels()))
    expected = {
        ("plain", False): {"mail": PLAIN, "text": PLAIN, "site": PLAIN},
        ("plain", True): {
            "mail": [*PLAIN, "first_name", "email"],
            "text": [*PLAIN, "first_name", "phone"],
            "site": PLAIN,
        },
        ("klaviyo", False): dict.fromkeys(
            ("mail", "text", "site"), ["External ID", "Campaign Arm", "Offer Code", "Recommended Items"]
        ),
        ("klaviyo", True): {
            "mail": ["Email", "First Name", "External ID", "Campaign Arm", "Offer Code", "Recommended Items"],
            "text": ["Phone Number", "First Name", "External ID", "Campaign Arm", "Offer Code", "Recommended Items"],
            "site": ["External ID", "Campaign Arm", "Offer Code", "Recommended Items"],
        },
        ("mailchimp", False): dict.fromkeys(
            ("mail", "text", "site"), ["Customer ID", "Tags", "Offer Code", "Recommended Items"]
        ),
        ("mailchimp", True): {
            "mail": ["Email Address", "First Name", "Customer ID", "Tags", "Offer Code", "Recommended Items"],
            "text": ["Phone Number", "First Name", "Customer ID", "Tags", "Offer Code", "Recommended Items"],
            "site": ["Customer ID", "Tags", "Offer Code", "Recommended Items"],
        },
        ("braze", False): dict.fromkeys(
            ("mail", "text", "site"), ["external_id", "campaign_arm", "offer_code", "recommended_items"]
        ),
        ("braze", True): {
            "mail": ["external_id", "email", "first_name", "campaign_arm", "offer_code", "recommended_items"],
            "text": ["external_id", "phone", "first_name", "campaign_arm", "offer_code", "recommended_items"],
            "site": ["external_id", "campaign_arm", "offer_code", "recommended_items"],
        },
    }
    assert list(presets.PRESETS) == ["plain", "klaviyo", "mailchimp", "braze"]
    for (preset, contact), headers in expected.items():
        frames = campaigns.arm_exports(con, launched.campaign_id, preset=preset, include_contact=contact)
        assert {arm: frame.columns.tolist() for arm, frame in frames.items()} == headers, (preset, contact)
        channels = {"mail": "email", "text": "sms", "site": "onsite"}
        assert all(presets.header(preset, channels[arm], contact) == cols for arm, cols in headers.items())
    # The same rows in every layout; contact fields are the member's own.
    plain = campaigns.arm_exports(con, launched.campaign_id, include_contact=True)
    braze = campaigns.arm_exports(con, launched.campaign_id, preset="braze", include_contact=True)
    for arm in plain:
        assert braze[arm]["external_id"].tolist() == plain[arm]["user_id"].tolist()
        assert braze[arm]["offer_code"].tolist() == plain[arm]["offer_code"].tolist()
        assert (braze[arm]["campaign_arm"] == arm).all()
    stored = members(con, launched.campaign_id).set_index("user_id")
    mail = plain["mail"].set_index("user_id")
    assert mail["email"].tolist() == stored.loc[mail.index, "email"].tolist()
    assert mail["first_name"].tolist() == [f"Ann {user}" for user in mail.index]
    with pytest.raises(DataError, match="export preset 'hubspot' is not one of plain, klaviyo, mailchimp, braze"):
        campaigns.arm_exports(con, launched.campaign_id, preset="hubspot")


def test_tools_list_the_items_titles_and_plain_keeps_their_ids(con):
    from retention.recommend import evaluate, runs

    run_id = runs.save_run(con, evaluate.evaluate_model("popularity", evaluate.time_split(con), k=5))
    data = basic_config()
    data["arms"][1]["recommender_run"] = run_id
    launched = campaigns.launch(con, parse_config(data))
    plain = campaigns.arm_exports(con, launched.campaign_id, k=3)["recs"]
    klaviyo = campaigns.arm_exports(con, launched.campaign_id, preset="klaviyo", k=3)["recs"]
    titles = dict(con.execute("SELECT item_id, title FROM products").fetchall())
    first = plain["recommended_items"].iloc[0].split("; ")
    ids = [entry.rsplit(" (", 1)[1].rstrip(")") for entry in first]
    assert len(ids) == 3
    assert klaviyo["Recommended Items"].iloc[0] == "; ".join(titles[item] for item in ids)
    assert (klaviyo["Offer Code"] == "").all()  # the recommendations arm gives no discount


# ---- offer codes ----


def test_offer_codes_are_unique_per_member_and_only_where_the_arm_discounts(con):
    launched = campaigns.launch(con, parse_config(basic_config()))  # discount: 10% off; recs: no discount
    frames = campaigns.arm_exports(con, launched.campaign_id, preset="mailchimp")
    discount, recs = frames["discount"], frames["recs"]
    assert len(discount) > 50
    assert discount["Offer Code"].str.fullmatch(r"DISCOUNT-[2-9A-HJKMNP-Z]{8}").all()
    assert discount["Offer Code"].is_unique
    assert (recs["Offer Code"] == "").all()
    # The codes are stored at launch: every download gives the same codes to the same customers.
    again = campaigns.arm_exports(con, launched.campaign_id, preset="klaviyo")["discount"]
    assert dict(zip(again["External ID"], again["Offer Code"], strict=True)) == dict(
        zip(discount["Customer ID"], discount["Offer Code"], strict=True)
    )
    stored = con.execute(
        "SELECT count(*), count(offer_code), count(DISTINCT offer_code) FROM campaign_members "
        "WHERE campaign_id = ? AND arm = 'discount'",
        [launched.campaign_id],
    ).fetchone()
    assert stored[0] == stored[1] == stored[2]
    assert con.execute("SELECT count(offer_code) FROM campaign_members WHERE arm <> 'discount'").fetchone()[0] == 0


def test_two_arms_with_one_prefix_never_share_a_code(monkeypatch):
    import random

    from retention.campaigns import offers

    # A pool barely larger than the campaign: repeats are drawn often, within an arm and across the two arms.
    pool = [f"{n:08d}" for n in range(4100)]
    draws = random.Random(3)
    monkeypatch.setattr(offers, "_draw", lambda count: [draws.choice(pool) for _ in range(count)])
    config = parse_config(
        basic_config(
            arms=[
                {"name": "win_back", "template": "discount_email", "uplift": [0.0, 0.05, 0.1]},
                {"name": "winback", "template": "free_shipping", "uplift": [0.0, 0.05, 0.1]},
                {"name": "recs", "template": "recommendations_email", "uplift": [0.0, 0.03, 0.06]},
            ]
        )
    )
    members = pd.DataFrame({"arm": ["win_back"] * 2000 + ["winback"] * 2000 + ["recs"] * 50 + ["control"] * 50})
    codes = offers.offer_codes(members, config)
    given = codes[members["arm"].isin(["win_back", "winback"])]
    assert given.str.startswith("WINBACK-").all() and given.is_unique and len(given) == 4000
    assert codes[members["arm"].isin(["recs", "control"])].isna().all()


# ---- channels ----


def test_sms_arm_takes_only_customers_with_a_phone_who_consented(con):
    give_phones(con, consent=True)
    launched = campaigns.launch(con, parse_config(three_channels()))
    stored = members(con, launched.campaign_id)
    texted = stored[stored["arm"] == "text"]
    expected = texted[texted["phone"].notna() & (texted["sms_consent"] == True)]  # noqa: E712 (NULL is not consent)
    assert 0 < len(expected) < len(texted)
    for preset in presets.PRESETS:
        frame = campaigns.arm_exports(con, launched.campaign_id, preset=preset, include_contact=True)["text"]
        assert sorted(frame[ID_HEADER[preset]]) == sorted(expected["user_id"]), preset
        assert frame[PHONE_HEADER[preset]].tolist() == [f"+44 7700 {user}" for user in frame[ID_HEADER[preset]]]
        assert EMAIL_HEADER[preset] not in frame.columns
    # Email and on-site arms are not limited by phone or consent.
    frames = campaigns.arm_exports(con, launched.campaign_id)
    for arm in ("mail", "site"):
        assert sorted(frames[arm]["user_id"]) == sorted(stored.loc[stored["arm"] == arm, "user_id"])


def test_without_consent_data_every_customer_with_a_phone_is_texted(con):
    give_phones(con, consent=False)
    launched = campaigns.launch(con, parse_config(three_channels()))
    stored = members(con, launched.campaign_id)
    texted = stored[(stored["arm"] == "text") & stored["phone"].notna()]
    frame = campaigns.arm_exports(con, launched.campaign_id, preset="braze")["text"]
    assert sorted(frame["external_id"]) == sorted(texted["user_id"])


def test_an_sms_arm_without_any_phone_is_refused_with_what_to_do(con):
    con.execute("UPDATE users SET phone = CASE WHEN user_id = 'u00001' THEN '  ' END")  # blank is no phone
    launched = campaigns.launch(con, parse_config(three_channels()))
    with pytest.raises(DataError, match="arm 'text' is an SMS arm, but no customer has a phone number: import users"):
        campaigns.arm_exports(con, launched.campaign_id)


def test_contact_fields_appear_only_when_asked(con, tmp_path):
    give_phones(con, consent=False)
    launched = campaigns.launch(con, parse_config(three_channels()))
    for preset in presets.PRESETS:
        written = campaigns.write_exports(con, launched.campaign_id, tmp_path / preset, preset=preset)
        text = "".join(path.read_text() for path in written)
        assert "@" not in text and "+44 7700" not in text and "Ann " not in text, preset
        with_contact = campaigns.write_exports(
            con, launched.campaign_id, tmp_path / f"{preset}-contact", preset=preset, include_contact=True
        )
        site = next(path for path in with_contact if "_site" in path.name).read_text()
        assert "@" not in site and "+44" not in site  # on-site arms carry ids only
        mail = next(path for path in with_contact if "_mail" in path.name).read_text()
        assert "@" in mail and "+44" not in mail


# ---- the suppression list ----


def suppress(con, kind: str, value: str) -> None:
    con.execute(
        "INSERT INTO suppression_list VALUES (?, ?, 'unsubscribed', 'test', TIMESTAMP '2026-07-01 00:00:00')",
        [kind, value],
    )


def test_a_suppressed_customer_never_appears_in_any_export_of_any_preset(con, tmp_path):
    give_phones(con, consent=False)
    config = parse_config(three_channels())
    audience = campaigns.select_audience(con, config.audience).sort_values("user_id")
    before_by_id, before_by_email = audience["user_id"].iloc[:6].tolist(), audience["user_id"].iloc[6:12].tolist()
    for user in before_by_id:
        suppress(con, "user_id", user)
    for user in before_by_email:
        email = con.execute("SELECT email FROM users WHERE user_id = ?", [user]).fetchone()[0]
        suppress(con, "email", email.strip().lower())
    launched = campaigns.launch(con, config)
    stored = members(con, launched.campaign_id)
    treated = stored[(stored["arm"] != "control") & ~stored["user_id"].isin(before_by_id + before_by_email)]
    treated = treated.sort_values("user_id")
    # Listed after the launch: one treated member of each arm by id, another by an email written differently in
    # the shop's data (listed trimmed and lower-case).
    after_by_id = treated.groupby("arm")["user_id"].first().tolist()
    after_by_email = treated.groupby("arm")["user_id"].last().tolist()
    assert len(after_by_id) == len(after_by_email) == 3
    for user in after_by_id:
        suppress(con, "user_id", user)
    for user in after_by_email:
        con.execute("UPDATE users SET email = ' Mixed.' || user_id || '@Example.COM ' WHERE user_id = ?", [user])
        suppress(con, "email", f"mixed.{user}@example.com".lower())
    suppressed = set(before_by_id + before_by_email + after_by_id + after_by_email)
    everyone_else = set(stored.loc[stored["arm"] != "control", "user_id"]) - suppressed
    for preset in presets.PRESETS:
        for contact in (False, True):
            folder = tmp_path / f"{preset}-{contact}"
            for path in campaigns.write_exports(
                con, launched.campaign_id, folder, preset=preset, include_contact=contact
            ):
                rows = list(csv.DictReader(path.read_text().splitlines()))
                assert not {row[ID_HEADER[preset]] for row in rows} & suppressed, (preset, contact, path.name)
                assert "mixed." not in path.read_text().lower()
            exported = set().union(
                *(
                    set(frame[ID_HEADER[preset]])
                    for frame in campaigns.arm_exports(
                        con, launched.campaign_id, preset=preset, include_contact=contact
                    ).values()
                )
            )
            texted_without_phone = set(stored.loc[(stored["arm"] == "text") & stored["phone"].isna(), "user_id"])
            assert exported == everyone_else - texted_without_phone, (preset, contact)


# ---- the CLI ----


def test_cli_writes_a_preset_with_contact_fields_and_keeps_include_email(scored_db, tmp_path, capsys):
    path = str(tmp_path / "cli.duckdb")
    shutil.copy(scored_db, path)
    config = tmp_path / "campaign.json"
    config.write_text(json.dumps(basic_config()))
    out = tmp_path / "klaviyo"
    args = ["campaign", "launch", "--db", path, "--config", str(config), "--out-dir", str(out)]
    assert main([*args, "--preset", "klaviyo", "--include-contact"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["campaign_1_discount_klaviyo.csv", "campaign_1_recs_klaviyo.csv"]
    rows = list(csv.DictReader((out / "campaign_1_discount_klaviyo.csv").read_text().splitlines()))
    assert list(rows[0]) == ["Email", "First Name", "External ID", "Campaign Arm", "Offer Code", "Recommended Items"]
    assert all("@" in row["Email"] and row["Offer Code"].startswith("DISCOUNT-") for row in rows)
    assert "imports a list by email" not in capsys.readouterr().err
    mailchimp = tmp_path / "mailchimp"
    assert (
        main(["campaign", "export", "--db", path, "--id", "1", "--out-dir", str(mailchimp), "--preset", "mailchimp"])
        == 0
    )
    assert "note: Mailchimp imports a list by email address or phone number: include the contact fields" in (
        capsys.readouterr().err
    )
    plain = tmp_path / "plain"
    assert main(["campaign", "export", "--db", path, "--id", "1", "--out-dir", str(plain), "--include-email"]) == 0
    header = (plain / "campaign_1_discount.csv").read_text().splitlines()[0]
    assert header == ",".join([*PLAIN, "first_name", "email"])
    braze = tmp_path / "braze"
    assert main(["campaign", "export", "--db", path, "--id", "1", "--out-dir", str(braze), "--preset", "braze"]) == 0
    assert (braze / "campaign_1_recs_braze.csv").read_text().splitlines()[0] == (
        "external_id,campaign_arm,offer_code,recommended_items"
    )
    capsys.readouterr()
    assert main(["campaign", "export", "--db", path, "--id", "1", "--out-dir", str(braze), "--preset", "x"]) == 2
    err = capsys.readouterr().err
    assert "export preset 'x' is not one of plain, klaviyo, mailchimp, braze" in err and "Traceback" not in err
    # A bad preset is refused before a launch writes anything.
    other = tmp_path / "other.json"
    other.write_text(json.dumps(basic_config(name="Other", audience={"min_risk": 0.05})))
    launch = ["campaign", "launch", "--db", path, "--config", str(other), "--out-dir", str(out), "--preset", "x"]
    assert main(launch) == 2
    with warehouse.session(path) as check:
        assert check.execute("SELECT count(*) FROM campaigns").fetchone()[0] == 1
