"""A campaign's configuration: frozen dataclasses, the rules they keep, and their JSON form.

A :class:`CampaignConfig` is immutable and hashable (tuples, not lists), so the
app passes it as it is, even as the key of its caches; JSON appears only at the
edges: the ``campaigns.config`` column and the CLI's config files. One set of
rules, :func:`check_config`, validates a config whether it was parsed from JSON
(:func:`parse_config`) or built from the app's widgets.

The JSON form (what ``campaign simulate --config FILE.json`` reads)::

    {
      "name": "Win back June",
      "horizon_days": 30,                 # retention = a purchase within this many days of launch
      "holdout_share": 0.1,               # share of members kept as the never-contacted control
      "audience": {"min_risk": 0.5, "top_n": null, "countries": ["UK"], "channels": [],
                   "cohort": "2024-01", "min_value": null, "max_value": null,
                   "scores_as_of": null, "exclude_campaigns": [], "rfm_segments": ["At risk"],
                   "contacted_within_days": 14, "bought_within_days": 7,
                   "exclude_nonpositive_revenue": true, "lapsed_days": 365, "rank_by": "risk"},
      "arms": [{"name": "discount", "template": "discount_email", "channel": "email",
                "cost_per_contact": 0.05, "discount_share": 0.1,
                "uplift": {"low": 0.02, "likely": 0.05, "high": 0.1},
                "share": 1, "recommender_run": null}],
      "targeting": {"strategy": "top_n_incremental", "top_n": 2000, "budget": 500},
      "simulation": {"draws": 10000, "seed": 0}
    }

Uplift is the share of would-be churners a treatment keeps: a member with churn
risk ``p`` stays with probability ``1 - p`` untreated and ``1 - p * (1 - uplift)``
treated.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import ClassVar, TypeVar

from retention import rfm
from retention.campaigns.targeting import STRATEGIES
from retention.campaigns.templates import ARM_TEMPLATES
from retention.errors import DataError
from retention.registry import Registry

T = TypeVar("T")

CONTROL = "control"
ARM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
COHORT = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MAX_DRAWS = 100_000
CHANNELS = ("email", "sms", "onsite")
RANK_BY = ("risk", "expected_loss")


class ConfigError(DataError):
    """A campaign configuration is malformed; the message names the field."""


@dataclass(frozen=True)
class Uplift:
    """Assumed uplift range: shares of would-be churners kept, 0 <= low <= likely <= high <= 1."""

    KEYS: ClassVar[tuple[str, str, str]] = ("low", "likely", "high")

    low: float
    likely: float
    high: float

    @property
    def mean(self) -> float:
        """Mean of the triangular distribution the simulation draws from."""
        return (self.low + self.likely + self.high) / 3


@dataclass(frozen=True)
class Arm:
    """One treatment.

    share: relative weight of the arm among the treated members (normalised
    over arms); cost_per_contact in currency; discount_share in [0, 1);
    channel: how members are reached, one of :data:`CHANNELS` ('email', 'sms', 'onsite').
    """

    name: str
    template: str
    cost_per_contact: float
    discount_share: float
    uplift: Uplift
    share: float = 1.0
    recommender_run: int | None = None
    channel: str = "email"

    @property
    def label(self) -> str:
        return ARM_TEMPLATES[self.template].label

    @property
    def needs_recommendations(self) -> bool:
        return ARM_TEMPLATES[self.template].needs_recommendations


@dataclass(frozen=True)
class Audience:
    """Who may be targeted; every filter left empty (None or ()) does not filter.

    min_risk: churn risk at least this, in [0, 1]; top_n: keep the N riskiest
    after the other filters; cohort: month of the first purchase, "YYYY-MM";
    min_value / max_value: band of the scores' value (net revenue in the 12
    months up to their as_of); scores_as_of: which scoring run (None = the
    latest: the newest as_of); exclude_campaigns: ids whose members are left out; allow_overlap: also take
    members of campaigns whose measurement window is still open (by default they are left out, holdout
    members above all: contacting them would spoil that campaign's measurement); rfm_segments: RFM segment names
    (:data:`retention.rfm.SEGMENTS`) at the newest order's day, as the Segments page shows them by default.

    Exclusions (None or False: not applied): contacted_within_days: leave out customers who were members of
    another campaign's treated arm launched within this many days (a frequency cap across campaigns);
    bought_within_days: leave out customers who bought within this many days of the scores' as_of;
    exclude_nonpositive_revenue: leave out customers whose net revenue to date is zero or negative;
    lapsed_days: leave out customers inactive longer than this many days (lost rather than at risk).
    The suppression list always applies. rank_by: order of the audience, and so which customers ``top_n``
    keeps: 'risk' (churn probability) or 'expected_loss' (risk times expected value).
    user_ids: only these customers (an audience handed over from a cohort cell, a segment or the At-risk list;
    empty = no such limit).
    """

    min_risk: float | None = None
    top_n: int | None = None
    countries: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    cohort: str | None = None
    min_value: float | None = None
    max_value: float | None = None
    scores_as_of: dt.date | None = None
    exclude_campaigns: tuple[int, ...] = ()
    allow_overlap: bool = False
    rfm_segments: tuple[str, ...] = ()
    contacted_within_days: int | None = None
    bought_within_days: int | None = None
    exclude_nonpositive_revenue: bool = False
    lapsed_days: int | None = None
    rank_by: str = "risk"
    user_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Targeting:
    """Which audience members become campaign members: a strategy name from the registry, N and a budget cap."""

    strategy: str = "everyone"
    top_n: int | None = None
    budget: float | None = None


@dataclass(frozen=True)
class CampaignConfig:
    """Everything needed to simulate and launch a campaign."""

    name: str
    arms: tuple[Arm, ...]
    audience: Audience = field(default_factory=Audience)
    targeting: Targeting = field(default_factory=Targeting)
    holdout_share: float = 0.1
    horizon_days: int = 30
    draws: int = 10_000
    seed: int = 0
    parent_id: int | None = None
    wave: int = 1

    def arm(self, name: str) -> Arm:
        for arm in self.arms:
            if arm.name == name:
                return arm
        raise ConfigError(f"campaign {self.name!r} has no arm named {name!r}; its arms are {self.arm_names}")

    @property
    def arm_names(self) -> list[str]:
        return [arm.name for arm in self.arms]

    def shares(self) -> dict[str, float]:
        """Share of members per arm, control first; the values sum to 1."""
        weights = sum(arm.share for arm in self.arms)
        treated = 1.0 - self.holdout_share
        return {CONTROL: self.holdout_share} | {arm.name: treated * arm.share / weights for arm in self.arms}


def _number(value: object, where: str, *, low: float | None = None, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where} must be a number, got {value!r}")
    if low is not None and value < low:
        raise ConfigError(f"{where} must be at least {low}, got {value!r}")
    if high is not None and value > high:
        raise ConfigError(f"{where} must be at most {high}, got {value!r}")
    return float(value)


def _optional_number(value: object, where: str, **bounds: float) -> float | None:
    return None if value is None else _number(value, where, **bounds)


def _integer(value: object, where: str, *, low: int | None = 1, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where} must be a whole number, got {value!r}")
    return int(_number(value, where, low=low, high=high))


def _optional_integer(value: object, where: str, **bounds: int) -> int | None:
    return None if value is None else _integer(value, where, **bounds)


def _flag(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false, got {value!r}")
    return value


def _strings(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings, got {value!r}")
    return tuple(value)


def _mapping(value: object, where: str, allowed: set[str]) -> Mapping:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} must be an object, got {value!r}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ConfigError(f"{where} has unknown field(s) {unknown}; allowed: {sorted(allowed)}")
    return value


def _registered(registry: Registry[T], name: object, where: str) -> T:
    """The entry ``name`` of ``registry``; a ConfigError naming ``where`` and the choices when there is none."""
    try:
        return registry.get_or_raise(name)  # type: ignore[arg-type]
    except DataError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def check_uplift(uplift: Uplift, where: str) -> Uplift:
    """``uplift`` if 0 <= low <= likely <= high <= 1, else a ConfigError naming ``where``."""
    low, likely, high = (_number(getattr(uplift, key), f"{where}.{key}", low=0.0, high=1.0) for key in Uplift.KEYS)
    if not low <= likely <= high:
        raise ConfigError(f"{where} must satisfy low <= likely <= high, got {low}, {likely}, {high}")
    return uplift


def check_arm(arm: Arm, index: int) -> Arm:
    """``arm`` if its name, template, costs, uplift, share and recommender run are valid, else a ConfigError."""
    if not isinstance(arm.name, str) or not ARM_NAME.match(arm.name):
        raise ConfigError(
            f"arms[{index}].name must be 1-40 letters, digits, '_' or '-' starting with a letter or digit, "
            f"got {arm.name!r}"
        )
    if arm.name == CONTROL:
        raise ConfigError(f"arms[{index}].name may not be {CONTROL!r}: that name is the holdout")
    where = f"arm {arm.name!r}"
    _registered(ARM_TEMPLATES, arm.template, where)
    _number(arm.cost_per_contact, f"{where} cost_per_contact", low=0.0)
    _number(arm.discount_share, f"{where} discount_share", low=0.0, high=0.95)
    check_uplift(arm.uplift, f"{where} uplift")
    _number(arm.share, f"{where} share", low=0.0)
    _optional_integer(arm.recommender_run, f"{where} recommender_run")
    if arm.channel not in CHANNELS:
        raise ConfigError(f"{where} channel must be one of {list(CHANNELS)}, got {arm.channel!r}")
    return arm


def check_config(config: CampaignConfig) -> CampaignConfig:
    """``config`` if every field is in range and the parts agree, else a ConfigError naming the field.

    The one set of rules for configs from a file (:func:`parse_config` calls it) and configs built in the app
    from widgets (which give the right types, but not necessarily a valid campaign).

    Raises
    ------
    ConfigError
        A field is out of range or the parts disagree (a budget below one contact, a top-N strategy
        without N); the message names the field.
    """
    if not isinstance(config.name, str) or not config.name.strip():
        raise ConfigError("the campaign needs a name (a non-empty string)")
    if not config.arms:
        raise ConfigError("the campaign needs at least one arm in 'arms'")
    for index, arm in enumerate(config.arms):
        check_arm(arm, index)
    names = config.arm_names
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ConfigError(f"arm names must be unique; repeated: {duplicated}")
    if sum(arm.share for arm in config.arms) <= 0:
        raise ConfigError("at least one arm needs a share above 0")

    audience = config.audience
    if audience.cohort is not None and (not isinstance(audience.cohort, str) or not COHORT.match(audience.cohort)):
        raise ConfigError(f"audience.cohort must be a month 'YYYY-MM', got {audience.cohort!r}")
    _optional_number(audience.min_risk, "audience.min_risk", low=0.0, high=1.0)
    _optional_integer(audience.top_n, "audience.top_n")
    _optional_number(audience.min_value, "audience.min_value")
    _optional_number(audience.max_value, "audience.max_value")
    for campaign_id in audience.exclude_campaigns:
        _integer(campaign_id, "audience.exclude_campaigns[]")
    try:
        rfm.check_segments(audience.rfm_segments)
    except DataError as exc:
        raise ConfigError(f"audience.rfm_segments: {exc}") from None
    for name in ("contacted_within_days", "bought_within_days", "lapsed_days"):
        _optional_integer(getattr(audience, name), f"audience.{name}", low=1, high=3650)
    _flag(audience.exclude_nonpositive_revenue, "audience.exclude_nonpositive_revenue")
    if audience.rank_by not in RANK_BY:
        raise ConfigError(f"audience.rank_by must be one of {list(RANK_BY)}, got {audience.rank_by!r}")
    if audience.min_value is not None and audience.max_value is not None and audience.min_value > audience.max_value:
        raise ConfigError(f"audience.min_value {audience.min_value} is above audience.max_value {audience.max_value}")

    targeting = config.targeting
    chosen = _registered(STRATEGIES, targeting.strategy, "targeting.strategy")
    if chosen.needs_n and targeting.top_n is None:
        raise ConfigError(f"targeting.strategy {targeting.strategy!r} needs targeting.top_n (how many members)")
    _optional_integer(targeting.top_n, "targeting.top_n")
    budget = _optional_number(targeting.budget, "targeting.budget", low=0.0)
    cheapest = min(arm.cost_per_contact for arm in config.arms)
    if budget is not None and (budget <= 0 or budget < cheapest):
        raise ConfigError(
            f"targeting.budget {budget:g} is below the cost of one contact ({cheapest:g}); raise it or remove the cap"
        )

    _number(config.holdout_share, "holdout_share", low=0.01, high=0.9)
    _integer(config.horizon_days, "horizon_days", low=1, high=365)
    _integer(config.draws, "simulation.draws", low=100, high=MAX_DRAWS)
    _integer(config.seed, "simulation.seed", low=0)
    _optional_integer(config.parent_id, "parent_id")
    _integer(config.wave, "wave")
    return config


def check_references(config: CampaignConfig, *, campaign_ids: Collection[int], run_ids: Collection[int]) -> list[str]:
    """Check what ``config`` names in the warehouse: the campaigns it excludes and its arms' recommender runs.

    ``campaign_ids`` are the warehouse's campaigns, ``run_ids`` its saved recommender runs. Returns notes for
    the user (a recommendations arm without a run while no run is saved: its export carries no items).

    Raises
    ------
    ConfigError
        ``audience.exclude_campaigns`` names a campaign that does not exist; an arm names a run that is not
        saved; a recommendations arm names no run although saved runs exist to choose from.
    """
    unknown = sorted(set(config.audience.exclude_campaigns) - set(campaign_ids))
    if unknown:
        known = sorted(campaign_ids)
        raise ConfigError(
            f"audience.exclude_campaigns names campaign(s) {unknown} that do not exist; known ids: {known or 'none yet'}"
        )
    notes = []
    for arm in config.arms:
        if arm.recommender_run is not None and arm.recommender_run not in run_ids:
            raise ConfigError(
                f"arm {arm.name!r} names recommender run {arm.recommender_run}, which is not saved; saved runs: "
                f"{sorted(run_ids) or 'none yet'}"
            )
        if arm.needs_recommendations and arm.recommender_run is None:
            if run_ids:
                raise ConfigError(
                    f"arm {arm.name!r} sends recommendations ({arm.template}) but names no recommender_run; "
                    f"choose one of the saved runs {sorted(run_ids)}"
                )
            notes.append(
                f"arm {arm.name!r} sends recommendations but no recommender run is saved: its export carries no "
                "recommended items (save a run on the Recommenders page first to include them)"
            )
    return notes


def parse_uplift(value: object, where: str) -> Uplift:
    """An uplift range from ``{"low", "likely", "high"}`` or ``[low, likely, high]`` (not yet checked)."""
    if value is None:
        raise ConfigError(
            f"{where} is missing: state the assumed uplift as "
            '{"low": 0.02, "likely": 0.05, "high": 0.1} (share of would-be churners the treatment keeps)'
        )
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ConfigError(f"{where} is a single number ({value!r}); give a range: low, likely and high")
    if isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != 3:
            raise ConfigError(f"{where} must list three numbers (low, likely, high), got {value!r}")
        value = dict(zip(Uplift.KEYS, value, strict=True))
    fields = _mapping(value, where, set(Uplift.KEYS))
    missing = [key for key in Uplift.KEYS if key not in fields]
    if missing:
        raise ConfigError(f"{where} lacks {missing}; give low, likely and high")
    return Uplift(*(_number(fields[key], f"{where}.{key}") for key in Uplift.KEYS))


def parse_arm(value: object, index: int) -> Arm:
    """One arm (not yet checked); the template fills in costs the arm leaves out."""
    where = f"arms[{index}]"
    fields = _mapping(
        value,
        where,
        {"name", "template", "channel", "cost_per_contact", "discount_share", "uplift", "share", "recommender_run"},
    )
    name = fields.get("name")
    if not isinstance(name, str) or not ARM_NAME.match(name):
        raise ConfigError(
            f"{where}.name must be 1-40 letters, digits, '_' or '-' starting with a letter or digit, got {name!r}"
        )
    where = f"arm {name!r}"
    template_name = fields.get("template", "custom")
    template = _registered(ARM_TEMPLATES, template_name, where)
    return Arm(
        name=name,
        template=template_name,
        cost_per_contact=_number(
            fields.get("cost_per_contact", template.cost_per_contact), f"{where} cost_per_contact"
        ),
        discount_share=_number(fields.get("discount_share", template.discount_share), f"{where} discount_share"),
        uplift=parse_uplift(fields.get("uplift"), f"{where} uplift"),
        share=_number(fields.get("share", 1.0), f"{where} share"),
        recommender_run=_optional_integer(fields.get("recommender_run"), f"{where} recommender_run"),
        channel=fields.get("channel", template.channel),
    )


def parse_config(data: object) -> CampaignConfig:
    """Validate a campaign configuration (the JSON form, already decoded): types here, then :func:`check_config`.

    Raises
    ------
    ConfigError
        A field is missing, unknown, of the wrong type or out of range; the
        message names it.
    """
    top = _mapping(
        data,
        "the campaign config",
        {"name", "arms", "audience", "targeting", "holdout_share", "horizon_days", "simulation", "parent_id", "wave"},
    )
    name = top.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError("the campaign needs a name (a non-empty string)")
    raw_arms = top.get("arms")
    if not isinstance(raw_arms, Sequence) or isinstance(raw_arms, str) or not raw_arms:
        raise ConfigError("the campaign needs at least one arm in 'arms'")
    arms = tuple(parse_arm(arm, index) for index, arm in enumerate(raw_arms))

    raw_audience = _mapping(
        top.get("audience"),
        "audience",
        {
            "min_risk",
            "top_n",
            "countries",
            "channels",
            "cohort",
            "min_value",
            "max_value",
            "scores_as_of",
            "exclude_campaigns",
            "allow_overlap",
            "rfm_segments",
            "contacted_within_days",
            "bought_within_days",
            "exclude_nonpositive_revenue",
            "lapsed_days",
            "rank_by",
            "user_ids",
        },
    )
    as_of = raw_audience.get("scores_as_of")
    if as_of is not None:
        try:
            as_of = dt.date.fromisoformat(str(as_of))
        except ValueError:
            raise ConfigError(f"audience.scores_as_of must be a date 'YYYY-MM-DD', got {as_of!r}") from None
    excluded = raw_audience.get("exclude_campaigns") or []
    if not isinstance(excluded, Sequence) or isinstance(excluded, str):
        raise ConfigError(f"audience.exclude_campaigns must be a list of campaign ids, got {excluded!r}")
    audience = Audience(
        min_risk=_optional_number(raw_audience.get("min_risk"), "audience.min_risk"),
        top_n=_optional_integer(raw_audience.get("top_n"), "audience.top_n"),
        countries=_strings(raw_audience.get("countries"), "audience.countries"),
        channels=_strings(raw_audience.get("channels"), "audience.channels"),
        cohort=raw_audience.get("cohort"),
        min_value=_optional_number(raw_audience.get("min_value"), "audience.min_value"),
        max_value=_optional_number(raw_audience.get("max_value"), "audience.max_value"),
        scores_as_of=as_of,
        exclude_campaigns=tuple(_integer(v, "audience.exclude_campaigns[]") for v in excluded),
        allow_overlap=_flag(raw_audience.get("allow_overlap", False), "audience.allow_overlap"),
        rfm_segments=_strings(raw_audience.get("rfm_segments"), "audience.rfm_segments"),
        contacted_within_days=_optional_integer(
            raw_audience.get("contacted_within_days"), "audience.contacted_within_days"
        ),
        bought_within_days=_optional_integer(raw_audience.get("bought_within_days"), "audience.bought_within_days"),
        exclude_nonpositive_revenue=_flag(
            raw_audience.get("exclude_nonpositive_revenue", False), "audience.exclude_nonpositive_revenue"
        ),
        lapsed_days=_optional_integer(raw_audience.get("lapsed_days"), "audience.lapsed_days"),
        rank_by=raw_audience.get("rank_by", "risk"),
        user_ids=_strings(raw_audience.get("user_ids"), "audience.user_ids"),
    )

    raw_targeting = _mapping(top.get("targeting"), "targeting", {"strategy", "top_n", "budget"})
    targeting = Targeting(
        strategy=raw_targeting.get("strategy", "everyone"),
        top_n=_optional_integer(raw_targeting.get("top_n"), "targeting.top_n"),
        budget=_optional_number(raw_targeting.get("budget"), "targeting.budget"),
    )

    simulation = _mapping(top.get("simulation"), "simulation", {"draws", "seed"})
    return check_config(
        CampaignConfig(
            name=name.strip(),
            arms=arms,
            audience=audience,
            targeting=targeting,
            holdout_share=_number(top.get("holdout_share", 0.1), "holdout_share"),
            horizon_days=_integer(top.get("horizon_days", 30), "horizon_days", low=None),
            draws=_integer(simulation.get("draws", 10_000), "simulation.draws", low=None),
            seed=_integer(simulation.get("seed", 0), "simulation.seed", low=None),
            parent_id=_optional_integer(top.get("parent_id"), "parent_id"),
            wave=_integer(top.get("wave", 1), "wave"),
        )
    )


def config_to_dict(config: CampaignConfig) -> dict:
    """The JSON form of ``config`` (``parse_config(config_to_dict(c)) == c``)."""
    audience = asdict(config.audience)
    audience["countries"] = list(config.audience.countries)
    audience["channels"] = list(config.audience.channels)
    audience["exclude_campaigns"] = list(config.audience.exclude_campaigns)
    audience["rfm_segments"] = list(config.audience.rfm_segments)
    audience["user_ids"] = list(config.audience.user_ids)
    if config.audience.scores_as_of is not None:
        audience["scores_as_of"] = config.audience.scores_as_of.isoformat()
    return {
        "name": config.name,
        "horizon_days": config.horizon_days,
        "holdout_share": config.holdout_share,
        "audience": audience,
        "arms": [asdict(arm) for arm in config.arms],
        "targeting": asdict(config.targeting),
        "simulation": {"draws": config.draws, "seed": config.seed},
        "parent_id": config.parent_id,
        "wave": config.wave,
    }


def config_to_json(config: CampaignConfig) -> str:
    """Canonical JSON of ``config`` (sorted keys), as stored in ``campaigns.config``."""
    return json.dumps(config_to_dict(config), sort_keys=True)


def load_config(path: str | Path) -> CampaignConfig:
    """Read and validate a campaign configuration file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"campaign config file {str(path)!r} does not exist")
    try:
        data = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"campaign config file {str(path)!r} is not valid JSON: {exc}") from None
    return parse_config(data)


def with_shares(config: CampaignConfig, shares: Mapping[str, float]) -> CampaignConfig:
    """A copy of ``config`` whose arms take the given relative shares (arms not named keep theirs)."""
    unknown = sorted(set(shares) - set(config.arm_names))
    if unknown:
        raise ConfigError(f"no arm named {unknown} in campaign {config.name!r}; its arms are {config.arm_names}")
    arms = tuple(
        replace(arm, share=_number(shares.get(arm.name, arm.share), f"share of arm {arm.name!r}", low=0.0))
        for arm in config.arms
    )
    if sum(arm.share for arm in arms) <= 0:
        raise ConfigError("at least one arm needs a share above 0")
    return replace(config, arms=arms)
