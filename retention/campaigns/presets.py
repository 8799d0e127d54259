"""Export presets: the column layouts of the tools a contact list goes into, in a :class:`~retention.registry.Registry`.

Every preset lays out the same rows (:func:`retention.campaigns.exports.arm_exports` chooses them: one treated
arm, the suppression list and the channel's rules applied) under the headers its tool reads on import. Contact
fields (email, phone, first name) are columns only when the user asks for them, and only those of the arm's channel
(:data:`CHANNEL_CONTACTS`): an email arm carries the email address, an SMS arm the phone number, an on-site arm ids
only. Every layout carries the arm, the member's offer code (empty for arms without a discount) and the recommended
items.

========== ============================================ =====================================================
preset     headers (contact fields in brackets)         where they come from
========== ============================================ =====================================================
plain      user_id, arm, risk, reasons, offer_code,     this app's own columns (see ``arm_exports``); the
           recommended_items, recommendation_mode,      items as "title (item_id); ..."
           scores_as_of, score_horizon_days,
           scores_model_version, [first_name, email,
           phone]
klaviyo    [Email, Phone Number, First Name],           Klaviyo's list upload: the first column is "Email" or
           External ID, Campaign Arm, Offer Code,       "Phone Number"; Klaviyo property names ("First Name",
           Recommended Items                            "External ID") map to its properties, any other header
                                                        becomes a custom property of that name
mailchimp  [Email Address, Phone Number, First Name],   Mailchimp's audience import: "Email Address" is required
           Customer ID, Tags, Offer Code,               for email contacts (an SMS phone number for SMS ones);
           Recommended Items                            each column is matched to an audience field (merge
                                                        field) on import; "Tags" tags each contact with its arm
braze      external_id, [email, phone, first_name],     Braze's user CSV import: headers must match its default
           campaign_arm, offer_code, recommended_items  attributes exactly (``external_id`` identifies the user);
                                                        other headers become custom attributes (snake_case)
========== ============================================ =====================================================

In the tools' layouts the recommended items are their titles only ("Tea pot; Mug"): what an email template shows.
A tool that identifies contacts by email or phone (Klaviyo's and Mailchimp's list imports) needs the contact fields;
without them the file updates known profiles by their id.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from retention.registry import Registry

CONTACT_FIELDS = ("email", "phone", "first_name")
"""The personal fields of an export: columns only when the user asks for contact fields."""
CHANNEL_CONTACTS: dict[str, tuple[str, ...]] = {
    "email": ("email", "first_name"),
    "sms": ("phone", "first_name"),
    "onsite": (),
}
"""Arm channel -> the contact fields its export may carry (an on-site arm is shown to logged-in customers: ids only)."""


@dataclass(frozen=True)
class Preset:
    """One tool's layout.

    label: the tool's name as the user reads it; columns: (header, field) pairs in the file's order, each field a
    column of the frames :func:`retention.campaigns.exports.arm_exports` lays out (contact fields among them are
    kept only when asked for and when the arm's channel uses them); suffix: added to the file name ("" for none);
    needs_contact: the tool's list import identifies contacts by email or phone, so a file without the contact
    fields only updates profiles it knows by their id.
    """

    label: str
    columns: tuple[tuple[str, str], ...]
    suffix: str = ""
    needs_contact: bool = False


PRESETS: Registry[Preset] = Registry("export preset")

PRESETS.add(
    "plain",
    Preset(
        "Plain (all columns)",
        tuple(
            (name, name)
            for name in (
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
                "first_name",
                "email",
                "phone",
            )
        ),
    ),
)
PRESETS.add(
    "klaviyo",
    Preset(
        "Klaviyo",
        (
            ("Email", "email"),
            ("Phone Number", "phone"),
            ("First Name", "first_name"),
            ("External ID", "user_id"),
            ("Campaign Arm", "arm"),
            ("Offer Code", "offer_code"),
            ("Recommended Items", "item_titles"),
        ),
        suffix="klaviyo",
        needs_contact=True,
    ),
)
PRESETS.add(
    "mailchimp",
    Preset(
        "Mailchimp",
        (
            ("Email Address", "email"),
            ("Phone Number", "phone"),
            ("First Name", "first_name"),
            ("Customer ID", "user_id"),
            ("Tags", "arm"),
            ("Offer Code", "offer_code"),
            ("Recommended Items", "item_titles"),
        ),
        suffix="mailchimp",
        needs_contact=True,
    ),
)
PRESETS.add(
    "braze",
    Preset(
        "Braze",
        (
            ("external_id", "user_id"),
            ("email", "email"),
            ("phone", "phone"),
            ("first_name", "first_name"),
            ("campaign_arm", "arm"),
            ("offer_code", "offer_code"),
            ("recommended_items", "item_titles"),
        ),
        suffix="braze",
    ),
)


def header(name: str, channel: str, include_contact: bool) -> list[str]:
    """The headers of preset ``name``'s file for an arm of ``channel`` ('email', 'sms' or 'onsite')."""
    return [column for column, _ in _columns(name, channel, include_contact)]


def _columns(name: str, channel: str, include_contact: bool) -> list[tuple[str, str]]:
    preset = PRESETS.get_or_raise(name)
    allowed = set(CHANNEL_CONTACTS[channel]) if include_contact else set()
    return [(column, field) for column, field in preset.columns if field not in CONTACT_FIELDS or field in allowed]


def lay_out(members: pd.DataFrame, name: str, channel: str, include_contact: bool) -> pd.DataFrame:
    """``members`` (one arm's rows, the fields of :data:`Preset.columns`) under preset ``name``'s headers, in its
    order; contact fields only with ``include_contact`` and only those of ``channel``."""
    columns = _columns(name, channel, include_contact)
    return pd.DataFrame({column: members[field] for column, field in columns}, index=members.index)


def contact_note(name: str, include_contact: bool) -> str:
    """A sentence when preset ``name``'s tool needs contact fields that are left out, else ""."""
    preset = PRESETS.get_or_raise(name)
    if include_contact or not preset.needs_contact:
        return ""
    return (
        f"{preset.label} imports a list by email address or phone number: include the contact fields for a file "
        "it can import as a list (without them the file carries ids only)"
    )


def file_name(campaign_id: int, arm: str, name: str) -> str:
    """``campaign_<id>_<arm>.csv``, with the preset's suffix before ``.csv`` (``campaign_3_discount_klaviyo.csv``)."""
    suffix = PRESETS.get_or_raise(name).suffix
    return f"campaign_{int(campaign_id)}_{arm}{'_' + suffix if suffix else ''}.csv"
