"""The synthetic shop: a deterministic generator of users, products, orders, events and ratings.

:func:`generate` simulates a small online shop week by week with numpy (vectorised
over users; the only Python loops run over weeks, categories and promotions):

* products belong to a category and a brand; each has a hidden *taste vector*
  drawn around its category's centre, a popularity and a price;
* users sign up over the whole window (more each month), have a hidden taste
  vector, a base order rate, a channel and a country;
* each week an active user orders at their base rate times the day's seasonality
  (weekday, November/December peak, January dip) and promotions (site-wide
  discounts); items are chosen by a softmax of taste affinity plus popularity;
* a purchased item is returned more often, and rated lower, when it fits the
  user's taste badly;
* each week an active user may start to *drift* with a hazard that grows with the
  gap since their last order, low ratings, returns, discount-only buying and
  the acquisition channel, and falls with the number of past orders. A drifting
  user orders less and browses without buying; most drifting users then churn
  and stop ordering for good.

The output is deterministic: the same arguments give equal frames. ``sample_data/``
holds the export for :data:`SAMPLE_PARAMS`; its README documents the model. The words that
name products live in :mod:`retention.sample.words`; writing frames to Parquet and loading
them into a warehouse is :mod:`retention.bootstrap`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from retention import schema
from retention.bootstrap import canonical_frame
from retention.sample import arrays, text
from retention.sample.words import CATEGORIES, STYLE_WORDS

SAMPLE_PARAMS: dict[str, int] = dict(users=5000, months=24, seed=7)
DEFAULT_END = "2026-06-30"
TASTE_DIM = 8

EVENT_SESSION_START = "session_start"
EVENT_VIEW = "view"
EVENT_ADD_TO_CART = "add_to_cart"
EVENT_TYPES = (EVENT_SESSION_START, EVENT_VIEW, EVENT_ADD_TO_CART)

RETURN_PREFIX = "C"


CHANNELS = ("organic", "paid_search", "social", "email", "referral")
CHANNEL_WEIGHTS = (0.36, 0.22, 0.17, 0.12, 0.13)
COUNTRIES = ("UK", "DE", "FR", "NL", "IE", "ES", "US", "IT", "BE", "SE")
COUNTRY_WEIGHTS = (0.56, 0.10, 0.08, 0.06, 0.05, 0.04, 0.04, 0.03, 0.02, 0.02)
FIRST_NAMES = (
    "Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Mia", "Leo", "Freya", "Arthur", "Lily", "Oscar",
    "Sophie", "Harry", "Grace", "Jack", "Emma", "Lukas", "Chloe", "Louis", "Anna", "Finn", "Elsa", "Sean",
)  # fmt: skip
PHONE_SHARE = 0.7
CONSENT_WEIGHTS = (0.55, 0.30, 0.15)  # SMS consent yes, no, unknown

# Order intensity multipliers: by month (January dip, November/December peak), by weekday (Monday first).
MONTH_FACTOR = np.array([0.70, 0.85, 0.95, 0.95, 1.0, 0.95, 0.90, 0.92, 1.0, 1.05, 1.50, 1.70])
WEEKDAY_FACTOR = np.array([1.05, 1.0, 1.0, 1.05, 0.90, 0.85, 1.15])
HOUR_WEIGHTS = np.array(
    [
        1,
        0.6,
        0.3,
        0.2,
        0.2,
        0.3,
        0.8,
        1.6,
        2.4,
        3.0,
        3.4,
        3.6,
        4.2,
        4.0,
        3.6,
        3.4,
        3.4,
        3.8,
        4.4,
        5.2,
        5.6,
        5.0,
        3.6,
        2.0,
    ]
)

# Site-wide promotions each year: (name, month, first day, days, discount). Every order placed during one
# gets the discount; outside promotions a few orders use a voucher.
PROMOTIONS = (
    ("january_sale", 1, 2, 10, 0.20),
    ("spring_sale", 3, 18, 7, 0.15),
    ("summer_sale", 7, 1, 9, 0.20),
    ("black_friday", 11, 24, 8, 0.25),
)
VOUCHER_DISCOUNT = 0.10

# Churn hazard: logit of the weekly probability that an active user starts to drift.
HAZARD_BASE = -5.2
HAZARD_GAP = 0.55  # per log(1 + weeks since the last order, or since signup)
HAZARD_ORDERS = -0.45  # per log(1 + past orders)
HAZARD_LOW_RATING = 1.1  # per rating of 1 or 2 given (up to 3)
HAZARD_RETURN = 1.0  # per returned order line (up to 3)
HAZARD_DISCOUNT_SHARE = 1.1  # times the share of the user's orders that had a discount
FIRST_ORDER_P = {"organic": 0.55, "paid_search": 0.45, "social": 0.40, "email": 0.60, "referral": 0.60}
HAZARD_CHANNEL = {"organic": -0.15, "paid_search": 0.6, "social": 0.55, "email": -0.5, "referral": -0.05}
DRIFT_TO_CHURN = 0.20  # weekly probability that a drifting user churns for good
DRIFT_RECOVERY = 0.06  # weekly probability that a drifting user becomes active again
DRIFT_ORDER_FACTOR = 0.25
BROWSE_RATE = {"active": 0.10, "drifting": 0.80, "churned": 0.01}  # sessions without a purchase per week

TASTE_WEIGHT = 2.0  # softmax weight of user-taste x item-taste in item choice
BROWSE_TASTE_WEIGHT = 1.4
LINES_PER_ORDER = np.array([0.50, 0.28, 0.14, 0.08])  # 1..4 lines
QUANTITY = np.array([0.62, 0.24, 0.09, 0.03, 0.01, 0.01])  # 1..6 units
TOP_K = 6  # items ranked per order: the lines, then items viewed but not bought
# One product per USERS_PER_PRODUCT users, within these bounds: every order and browsing session ranks the
# whole catalogue, so a bounded catalogue keeps the simulation's time linear in users (the default 20,000
# users are the first to reach the top).
USERS_PER_PRODUCT = 20
MIN_PRODUCTS, MAX_PRODUCTS = 200, 1000

_STATE_ACTIVE, _STATE_DRIFTING, _STATE_CHURNED = 1, 2, 3
_MICROSECONDS = 1_000_000


def catalogue_size(users: int) -> int:
    """Number of products in a shop of ``users`` users: one per :data:`USERS_PER_PRODUCT`, 200 to 1,000."""
    return min(max(MIN_PRODUCTS, users // USERS_PER_PRODUCT), MAX_PRODUCTS)


def _timestamps(day0: np.datetime64, seconds: np.ndarray) -> np.ndarray:
    """``day0`` plus whole ``seconds``, as ``datetime64[us]`` (the canonical unit, so no later copy)."""
    return day0.astype("datetime64[us]") + (np.asarray(seconds, dtype=np.int64) * _MICROSECONDS).astype(
        "timedelta64[us]"
    )


def _window(months: int, end: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First day and last day (inclusive) of the ``months`` months ending at ``end``."""
    last = pd.Timestamp(end).normalize()
    first = (last + pd.Timedelta(days=1)) - pd.DateOffset(months=months)
    return pd.Timestamp(first), last


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pd.Series:
    return prefix + pd.Series(numbers, dtype="int64").astype(str).str.zfill(width)


def _pick(words: list[str], index: np.ndarray) -> np.ndarray:
    return np.asarray(words, dtype=object)[index]


def _title_case(words: list[str]) -> list[str]:
    """Each word's first letter in capitals, the rest kept ("USB-C charger" -> "USB-C Charger")."""
    return [" ".join(part[:1].upper() + part[1:] for part in word.split(" ")) for word in words]


def _products(rng: np.random.Generator, n_products: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """The catalogue, the categories' taste centres, the items' taste vectors and log-popularity."""
    names = list(CATEGORIES)
    n_cat = len(names)
    centres = rng.normal(0.0, 1.0, size=(n_cat, TASTE_DIM))
    centres *= 1.7 / np.linalg.norm(centres, axis=1, keepdims=True)
    cat = np.sort(np.concatenate([np.arange(n_cat), rng.integers(n_cat, size=n_products - n_cat)]))  # none empty
    taste = centres[cat] + rng.normal(0.0, 0.55, size=(n_products, TASTE_DIM))
    log_pop = rng.normal(0.0, 1.0, size=n_products)

    title = np.empty(n_products, dtype=object)
    description = np.empty(n_products, dtype=object)
    brand = np.empty(n_products, dtype=object)
    price = np.empty(n_products)
    strongest = np.argsort(-np.abs(taste), axis=1)[:, :2]
    sign = np.take_along_axis(taste, strongest, axis=1) < 0
    style = np.asarray(STYLE_WORDS, dtype=object)
    capital = np.asarray([[word.capitalize() for word in pair] for pair in STYLE_WORDS], dtype=object)
    style1, style2 = capital[strongest[:, 0], sign[:, 0].astype(int)], style[strongest[:, 1], sign[:, 1].astype(int)]
    article = np.where(pd.Series(style2).str[0].isin(list("aeiou")).to_numpy(), "An", "A").astype(object)
    for k, name in enumerate(names):
        spec = CATEGORIES[name]
        rows = np.flatnonzero(cat == k)
        n = len(rows)
        noun_at = rng.integers(len(spec["nouns"]), size=n)
        adjective_at = rng.integers(len(spec["adjectives"]), size=n)
        noun, adjective = _pick(spec["nouns"], noun_at), _pick(spec["adjectives"], adjective_at)
        brand_k = _pick(spec["brands"], rng.integers(len(spec["brands"]), size=n))
        feature = _pick(spec["features"], rng.integers(len(spec["features"]), size=n))
        use = _pick(spec["uses"], rng.integers(len(spec["uses"]), size=n))
        raw_price = spec["price"] * np.exp(rng.normal(0.0, 0.45, size=n))
        brand[rows] = brand_k
        title[rows] = brand_k + " " + _pick(_title_case(spec["adjectives"]), adjective_at) + " "
        title[rows] += _pick(_title_case(spec["nouns"]), noun_at)
        description[rows] = (
            style1[rows]
            + " "
            + adjective
            + " "
            + noun
            + " by "
            + brand_k
            + ". "
            + article[rows]
            + " "
            + style2[rows]
            + " "
            + name
            + " pick: "
            + feature
            + ", ideal for "
            + use
            + "."
        )
        price[rows] = np.maximum(np.round(raw_price) - 0.01, 0.99)
    width = max(4, len(str(n_products)))
    frame = pd.DataFrame(
        {
            "item_id": _ids("p", np.arange(1, n_products + 1), width),
            "title": pd.Series(title, dtype="str"),
            "category": pd.Series(np.asarray(names, dtype=object)[cat], dtype="str"),
            "brand": pd.Series(brand, dtype="str"),
            "price": price,
            "description": pd.Series(description, dtype="str"),
        }
    )
    return frame, centres, taste, log_pop


def _daily_intensity(days: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per day: order intensity of ordinary users, of deal seekers, and the promotion discount (0 = none)."""
    season = MONTH_FACTOR[days.month - 1] * WEEKDAY_FACTOR[days.dayofweek]
    promo = np.zeros(len(days))
    for year in range(days[0].year, days[-1].year + 1):
        for _, month, first_day, n_days, discount in PROMOTIONS:
            start = pd.Timestamp(year=year, month=month, day=first_day)
            inside = (days >= start) & (days < start + pd.Timedelta(days=n_days))
            promo[inside] = discount
    regular = season * np.where(promo > 0, 1.6, 1.0)
    deal = season * np.where(promo > 0, 4.0, 0.45)
    # Normalised so that a user's base rate is their mean orders per week.
    return regular / (regular.mean() * 7), deal / (deal.mean() * 7), promo


def _seconds_into_day(rng: np.random.Generator, n: int) -> np.ndarray:
    hour = rng.choice(24, size=n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    return hour * 3600 + rng.integers(0, 3600, size=n)


@dataclass(frozen=True)
class _Population:
    """The users' observable attributes and hidden traits, one array element per user (ordered by signup)."""

    signup_sec: np.ndarray  # seconds since the window's first day
    channel: np.ndarray  # index into CHANNELS
    country: np.ndarray  # index into COUNTRIES
    taste: np.ndarray  # (users, TASTE_DIM)
    affinity_mean: np.ndarray  # mean and sd of the user's affinity over the catalogue
    affinity_sd: np.ndarray
    base_rate: np.ndarray  # orders per week while active
    deal_seeker: np.ndarray  # buys mostly during promotions
    rating_propensity: np.ndarray  # chance of rating a purchased item
    first_order_p: np.ndarray  # chance of ordering right after signing up
    hazard_channel: np.ndarray  # the channel's term of the churn hazard


def _population(
    rng: np.random.Generator, users: int, n_days: int, centres: np.ndarray, item_taste: np.ndarray
) -> _Population:
    # Sign-ups grow exponentially over the window (the last month has ~3x the first month's).
    growth = np.log(3.0) / n_days
    signup_sec = np.log1p(rng.random(users) * np.expm1(growth * n_days)) / growth * 86400
    signup_sec = np.sort(np.minimum(signup_sec.astype(np.int64), n_days * 86400 - 3600))
    channel = rng.choice(len(CHANNELS), size=users, p=CHANNEL_WEIGHTS)
    country = rng.choice(len(COUNTRIES), size=users, p=COUNTRY_WEIGHTS)
    # Taste: near the centre of a favourite category, often with a second category mixed in.
    primary = rng.integers(len(CATEGORIES), size=users)
    secondary = rng.integers(len(CATEGORIES), size=users)
    has_secondary = rng.random(users) < 0.6
    taste = (
        0.9 * centres[primary]
        + np.where(has_secondary[:, None], 0.5, 0.0) * centres[secondary]
        + rng.normal(0.0, 0.45, size=(users, TASTE_DIM))
    )
    item_cov = np.cov(item_taste, rowvar=False)
    return _Population(
        signup_sec=signup_sec,
        channel=channel,
        country=country,
        taste=taste,
        affinity_mean=taste @ item_taste.mean(axis=0),
        affinity_sd=np.sqrt(np.einsum("ij,jk,ik->i", taste, item_cov, taste)),
        base_rate=np.exp(rng.normal(np.log(0.16), 0.7, size=users)),
        deal_seeker=rng.random(users) < 0.2,
        rating_propensity=rng.beta(3.0, 4.0, size=users),
        first_order_p=np.array([FIRST_ORDER_P[c] for c in CHANNELS])[channel],
        hazard_channel=np.array([HAZARD_CHANNEL[c] for c in CHANNELS])[channel],
    )


def _simulate(
    rng: np.random.Generator,
    people: _Population,
    item_taste: np.ndarray,
    log_pop: np.ndarray,
    days: pd.DatetimeIndex,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Run the shop week by week.

    Returns the orders (per order: user, second, discount, line count, ranked items, count of
    items only viewed) with their lines (item, quantity, returned, rated, rating, delays), and
    the sessions without a purchase: arrays ``week``, ``user`` and ``count`` (at least 1), by week then user.
    """
    # Imported here, not at the top: scipy takes longer to load than the CLI takes to start without it.
    from scipy.special import expit

    users = len(people.signup_sec)
    n_days = len(days)
    n_weeks = -(-n_days // 7)
    signup_week = people.signup_sec // (7 * 86400)
    regular, deal, promo = _daily_intensity(days)
    day_index = np.arange(n_days)
    regular_week = np.bincount(day_index // 7, weights=regular, minlength=n_weeks)
    deal_week = np.bincount(day_index // 7, weights=deal, minlength=n_weeks)
    order_factor = np.array([0.0, 1.0, DRIFT_ORDER_FACTOR, 0.0])  # by state
    browse_rate = np.array([0.0, BROWSE_RATE["active"], BROWSE_RATE["drifting"], BROWSE_RATE["churned"]])

    state = np.zeros(users, dtype=np.int8)  # 0 = not signed up yet
    n_orders = np.zeros(users)
    n_discounted = np.zeros(users)
    n_low = np.zeros(users)
    n_returns = np.zeros(users)
    last_week = signup_week.astype(float)  # of the last order, or of signing up
    parts: dict[str, list[np.ndarray]] = {}
    browse: dict[str, list[np.ndarray]] = {"user": [], "week": [], "count": []}  # sessions without a purchase
    for week in range(n_weeks):
        # State transitions at the start of the week.
        joined = signup_week == week
        active = state == _STATE_ACTIVE
        drifting = state == _STATE_DRIFTING
        draw = rng.random(users)
        logit = (
            HAZARD_BASE
            + HAZARD_GAP * np.log1p(np.maximum(week - last_week, 0))
            + HAZARD_ORDERS * np.log1p(n_orders)
            + HAZARD_LOW_RATING * np.minimum(n_low, 3)
            + HAZARD_RETURN * np.minimum(n_returns, 3)
            + HAZARD_DISCOUNT_SHARE * n_discounted / np.maximum(n_orders, 1)
            + people.hazard_channel
        )
        state[active & (draw < expit(logit))] = _STATE_DRIFTING
        state[drifting & (draw < DRIFT_TO_CHURN)] = _STATE_CHURNED
        state[drifting & (draw > 1 - DRIFT_RECOVERY)] = _STATE_ACTIVE
        state[joined] = _STATE_ACTIVE

        # Orders of users who joined before this week (on days weighted by season and promotions),
        # and first orders shortly after signing up.
        rate = people.base_rate * np.where(people.deal_seeker, deal_week[week], regular_week[week])
        rate = np.where(joined, 0.0, rate * order_factor[state])
        count = np.minimum(rng.poisson(rate), 3)
        first = joined & (rng.random(users) < people.first_order_p)
        old_user = np.repeat(np.arange(users), count)
        week_days = day_index[week * 7 : week * 7 + 7]
        cum = np.stack([np.cumsum(regular[week_days]), np.cumsum(deal[week_days])])
        cum_u = cum[people.deal_seeker[old_user].astype(int)]
        pick = (cum_u < rng.random(len(old_user))[:, None] * cum_u[:, -1:]).sum(axis=1)
        old_sec = week_days[pick] * 86400 + _seconds_into_day(rng, len(old_user))
        new_user = np.flatnonzero(first)
        new_sec = people.signup_sec[new_user] + 2700 + rng.exponential(7200, size=len(new_user)).astype(np.int64)
        keep = new_sec < n_days * 86400
        o_user = np.concatenate([old_user, new_user[keep]])
        o_sec = np.concatenate([old_sec, new_sec[keep]]).astype(np.int64)
        sessions = rng.poisson(browse_rate[state])
        browsing = np.flatnonzero(sessions)
        browse["user"].append(browsing)
        browse["week"].append(np.full(len(browsing), week))
        browse["count"].append(sessions[browsing])

        # Discounts, lines and items; returns and ratings feed back into the churn state.
        o_promo = promo[o_sec // 86400]
        voucher = rng.random(len(o_user)) < np.where(people.deal_seeker[o_user], 0.30, 0.05)
        o_disc = np.where(
            o_promo > 0,
            np.round(o_promo + rng.choice([-0.05, 0.0, 0.05], size=len(o_user)), 2),
            np.where(voucher, VOUCHER_DISCOUNT, 0.0),
        )
        n_lines = 1 + rng.choice(4, size=len(o_user), p=LINES_PER_ORDER)
        ranked = arrays.choose_items(rng, people.taste, o_user, item_taste, log_pop, TASTE_WEIGHT, TOP_K)
        n_extra = np.minimum(rng.poisson(1.0, size=len(o_user)), TOP_K - n_lines)
        line_order = np.repeat(np.arange(len(o_user)), n_lines)
        line_item = ranked[line_order, arrays.positions(n_lines)]
        line_user = o_user[line_order]
        affinity = np.einsum("ij,ij->i", people.taste[line_user], item_taste[line_item])
        z = (affinity - people.affinity_mean[line_user]) / people.affinity_sd[line_user]
        returned = rng.random(len(line_order)) < expit(-1.2 - 1.3 * z)
        rated = rng.random(len(line_order)) < people.rating_propensity[line_user]
        rating = np.clip(np.round(2.0 + 0.9 * z + rng.normal(0.0, 0.7, size=len(z)) - 1.5 * returned), 1, 5)
        quantity = 1 + rng.choice(len(QUANTITY), size=len(line_order), p=QUANTITY)
        for name, values in (
            ("user", o_user),
            ("sec", o_sec),
            ("discount", o_disc),
            ("n_lines", n_lines),
            ("ranked", ranked),
            ("n_extra", n_extra),
            ("item", line_item),
            ("quantity", quantity),
            ("returned", returned),
            ("rated", rated),
            ("rating", rating),
            ("return_delay", rng.integers(3 * 86400, 25 * 86400, size=len(line_order))),
            ("rating_delay", rng.integers(2 * 86400, 12 * 86400, size=len(line_order))),
        ):
            parts.setdefault(name, []).append(values)
        n_orders += np.bincount(o_user, minlength=users)
        n_discounted += np.bincount(o_user, weights=(o_disc > 0).astype(float), minlength=users)
        n_returns += np.bincount(line_user, weights=returned.astype(float), minlength=users)
        n_low += np.bincount(line_user, weights=(rated & (rating <= 2)).astype(float), minlength=users)
        last_week[o_user] = week
    return {name: np.concatenate(values) for name, values in parts.items()}, {
        name: np.concatenate(values) for name, values in browse.items()
    }


def generate(users: int = 20000, months: int = 24, seed: int = 7, end: str = DEFAULT_END) -> dict[str, pd.DataFrame]:
    """Simulate the shop and return its canonical tables.

    Parameters
    ----------
    users
        Number of users who sign up during the window.
    months
        Length of the window in months; it ends on ``end`` (inclusive).
    seed
        Seed of the random generator: equal arguments give equal frames.
    end
        Last day of the window (a constant default, never the clock).

    Returns
    -------
    dict
        Frames keyed ``users``, ``products``, ``orders``, ``events`` and ``ratings`` with exactly the
        columns of :data:`retention.schema.CANONICAL_COLUMNS` (ids are strings, timestamps
        ``datetime64[us]`` with whole seconds, all inside the window). ``orders`` holds one row per order
        line: ``quantity`` 1-6, or negative on a return line whose ``order_id`` is ``"C"`` + the original
        order's id; ``discount`` is the share off the list price in [0, 0.3]. ``events`` holds
        ``session_start``, ``view`` and ``add_to_cart``; a purchase's session ends before its order.
        ``ratings`` are 1-5, at most one per user and item.
    """
    return dict(tables(users, months, seed, end))


def tables(
    users: int = 20000, months: int = 24, seed: int = 7, end: str = DEFAULT_END
) -> Iterator[tuple[str, pd.DataFrame]]:
    """The frames of :func:`generate` (equal to them), one ``(table, frame)`` pair at a time in schema order.

    Each table is computed only when the previous one has been taken, and the generator keeps no
    reference to a frame it has handed out, nor to the arrays it was made from once they are no longer
    needed: a consumer that writes each frame and drops it (:func:`retention.bootstrap.load_frames`)
    holds one large table at a time, never the whole shop. The arguments are checked at once.
    """
    if users < 1:
        raise ValueError(f"users must be at least 1, got {users}")
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    return _tables(users, months, seed, end)


def _frame(table: str, columns: dict) -> pd.DataFrame:
    """The canonical frame of ``columns`` (name -> values), emptying ``columns`` so only the frame holds them."""
    frame = canonical_frame(table, pd.DataFrame(columns))
    columns.clear()
    return frame


def _contacts(users: int, seed: int) -> dict[str, object]:
    """Customers' ``first_name``, ``phone`` (fictional UK mobile numbers, ``+44 7700 900001`` on; missing for a
    share of :data:`PHONE_SHARE`'s complement) and ``sms_consent`` (yes / no / unknown by :data:`CONSENT_WEIGHTS`
    among those with a phone, unknown without one), drawn from their own random stream so that they change no
    other column of the shop."""
    rng = np.random.default_rng([seed, 1])
    names = text.take(FIRST_NAMES, rng.integers(len(FIRST_NAMES), size=users))
    has_phone = rng.random(users) < PHONE_SHARE
    numbers = text.numbered(900000 + np.arange(1, users + 1), "+44 7700 ")
    consent = rng.choice(3, size=users, p=CONSENT_WEIGHTS)
    return {
        "first_name": text.column(names),
        "phone": text.column(text.take(numbers, np.where(has_phone, np.arange(users), -1))),
        "sms_consent": pd.arrays.BooleanArray(consent == 0, mask=(consent == 2) | ~has_phone),
    }


def _tables(users: int, months: int, seed: int, end: str) -> Iterator[tuple[str, pd.DataFrame]]:
    rng = np.random.default_rng(seed)
    first_day, last_day = _window(months, end)
    days = pd.date_range(first_day, last_day, freq="D")
    n_days = len(days)
    day0 = first_day.to_datetime64().astype("datetime64[s]")

    products, centres, item_taste, log_pop = _products(rng, catalogue_size(users))
    people = _population(rng, users, n_days, centres, item_taste)
    n_products, list_price = len(products), products["price"].to_numpy()
    user_ids = text.numbered(np.arange(1, users + 1), "u", max(5, len(str(users))))
    item_ids = pa.array(products["item_id"].tolist(), type=pa.large_string())
    users_frame = {
        "user_id": text.column(user_ids),
        "signup_ts": _timestamps(day0, people.signup_sec),
        "country": text.column(text.take(COUNTRIES, people.country)),
        "channel": text.column(text.take(CHANNELS, people.channel)),
        "email": text.column(text.numbered(np.arange(1, users + 1), "user", suffix="@example.com")),
    }
    users_frame.update(_contacts(users, seed))
    yield schema.USERS, _frame(schema.USERS, users_frame)
    yield schema.PRODUCTS, canonical_frame(schema.PRODUCTS, products)
    del products
    sim, browse = _simulate(rng, people, item_taste, log_pop, days)

    o_user, o_sec = sim["user"], sim["sec"]
    n_ord = len(o_user)
    line_order = np.repeat(np.arange(n_ord), sim["n_lines"])
    line_user, line_item, line_sec = o_user[line_order], sim["item"], o_sec[line_order]
    # Orders: numbered in time order; a return is a line of order "C<id>" with negative quantity.
    order_number = np.empty(n_ord, dtype=np.int64)
    order_number[np.lexsort((o_user, o_sec))] = 100001 + np.arange(n_ord)
    line_number = order_number[line_order]
    line_disc = sim["discount"][line_order]
    unit_price = np.round(list_price[line_item] * (1 - line_disc), 2)
    quantity = sim["quantity"].astype(float)
    ret_sec = line_sec + sim["return_delay"]
    ret = sim["returned"] & (ret_sec < n_days * 86400)
    number = np.concatenate([line_number, line_number[ret]])
    is_return = np.concatenate([np.zeros(len(line_number), dtype=bool), np.ones(int(ret.sum()), dtype=bool)])
    o_item = np.concatenate([line_item, line_item[ret]])
    o_ts = np.concatenate([line_sec, ret_sec[ret]])
    by = arrays.sort_order_lines(o_ts, number, is_return, o_item)
    orders = {
        "order_id": text.column(text.numbered(number[by], RETURN_PREFIX, prefixed=is_return[by])),
        "user_id": text.column(text.take(user_ids, np.concatenate([line_user, line_user[ret]])[by])),
        "item_id": text.column(text.take(item_ids, o_item[by])),
        "ts": _timestamps(day0, o_ts[by]),
        "quantity": np.concatenate([quantity, -quantity[ret]])[by],
        "unit_price": np.concatenate([unit_price, unit_price[ret]])[by],
        "discount": np.concatenate([line_disc, line_disc[ret]])[by],
    }
    del number, is_return, o_item, o_ts, by

    # Ratings: a few days after the order; the latest per user and item.
    r_sec = line_sec + sim["rating_delay"]
    r_keep = np.flatnonzero(sim["rated"] & (r_sec < n_days * 86400))
    r_user, r_item, r_sec = line_user[r_keep], line_item[r_keep], r_sec[r_keep]
    by = np.lexsort((r_item, r_user, r_sec))
    pair = (r_user * n_products + r_item)[by]
    _, last_from_end = np.unique(pair[::-1], return_index=True)
    latest = by[np.sort(len(pair) - 1 - last_from_end)]
    ratings = {
        "user_id": text.column(text.take(user_ids, r_user[latest])),
        "item_id": text.column(text.take(item_ids, r_item[latest])),
        "rating": sim["rating"][r_keep][latest].astype(float),
        "ts": _timestamps(day0, r_sec[latest]),
    }

    # The order-line arrays are dropped before the events are simulated: only what _events reads is kept.
    del o_user, o_sec, order_number, line_order, line_user, line_item, line_sec, line_number, line_disc
    del unit_price, quantity, ret_sec, ret, r_sec, r_keep, r_user, r_item, by, pair, last_from_end, latest
    yield schema.ORDERS, _frame(schema.ORDERS, orders)
    sim = {name: sim[name] for name in ("user", "sec", "n_lines", "n_extra", "ranked")}
    ev = _events(rng, people, sim, browse, item_taste, log_pop, n_days)
    del sim, browse
    events = {  # each array dropped once its column is made
        "user_id": text.column(text.take(user_ids, ev.pop("user"))),
        "ts": _timestamps(day0, ev.pop("sec")),
        "event_type": text.column(text.take(EVENT_TYPES, ev.pop("type"))),
        "item_id": text.column(text.take(item_ids, ev.pop("item"))),
        "session_id": text.column(text.numbered(ev.pop("session"), "s", ev["session_width"])),
    }
    yield schema.EVENTS, _frame(schema.EVENTS, events)
    yield schema.RATINGS, _frame(schema.RATINGS, ratings)


def _events(
    rng: np.random.Generator,
    people: _Population,
    sim: dict[str, np.ndarray],
    browse: dict[str, np.ndarray],
    item_taste: np.ndarray,
    log_pop: np.ndarray,
    n_days: int,
) -> dict[str, np.ndarray]:
    """Sessions before each order and sessions without a purchase, as event arrays sorted by time.

    Returns arrays ``user`` (index), ``sec`` (seconds since the first day), ``type`` (index into
    EVENT_TYPES), ``item`` (index, -1 for session_start) and ``session`` (number, from 1 in order of the
    sessions' start), and ``session_width`` (the digits a session id is zero-padded to).
    """
    start, view, cart = (EVENT_TYPES.index(name) for name in (EVENT_SESSION_START, EVENT_VIEW, EVENT_ADD_TO_CART))
    o_user, o_sec, n_lines, n_extra, ranked = sim["user"], sim["sec"], sim["n_lines"], sim["n_extra"], sim["ranked"]
    n_ord = len(o_user)
    # Sessions and positions within them are counted in int32 (half the memory of ~50M events) while they fit.
    index = np.int32 if n_ord + int(browse["count"].sum()) + len(people.signup_sec) < 2**31 else np.int64

    # Purchase sessions: session_start, views of items not bought, then per line: view, [view], add_to_cart.
    second_view = rng.random(int(n_lines.sum())) < 0.35
    line_order = np.repeat(np.arange(n_ord), n_lines)
    per_line = 2 + second_view
    line_events = np.bincount(line_order, weights=per_line, minlength=n_ord).astype(np.int64)
    p_count = 1 + n_extra + line_events
    p_start = np.cumsum(p_count) - p_count
    p_type = np.full(int(p_count.sum()), view, dtype=np.int8)
    p_item = np.empty(len(p_type), dtype=np.int32)
    p_type[p_start] = start
    p_item[p_start] = -1
    extra_order = np.repeat(np.arange(n_ord), n_extra)
    p_item[p_start[extra_order] + 1 + arrays.positions(n_extra)] = ranked[
        extra_order, n_lines[extra_order] + arrays.positions(n_extra)
    ]
    line_offset = np.cumsum(per_line) - per_line - np.repeat(np.cumsum(line_events) - line_events, n_lines)
    line_first = p_start[line_order] + 1 + n_extra[line_order] + line_offset
    line_item = ranked[line_order, arrays.positions(n_lines)]
    p_item[line_first] = line_item
    again = np.flatnonzero(second_view)
    p_item[line_first[again] + 1] = line_item[again]
    line_cart = line_first + per_line - 1
    p_type[line_cart] = cart
    p_item[line_cart] = line_item
    p_session = np.repeat(np.arange(n_ord, dtype=index), p_count)
    p_pos = arrays.positions(p_count, index)
    duration = rng.integers(180, 2400, size=n_ord)  # seconds from session start to the order
    before = p_pos / p_count[p_session]  # the share of the session still to come, then its seconds: in place
    np.subtract(1, before, out=before)
    before *= duration[p_session]
    p_sec = o_sec[p_session] - np.ceil(before, out=before).astype(np.int64)
    del before

    # Sessions without a purchase: while browsing (by week and state), and after signing up without ordering.
    users = len(people.signup_sec)
    b_user = np.repeat(browse["user"], browse["count"])
    b_week = np.repeat(browse["week"], browse["count"])
    b_sec = (b_week * 7 + rng.integers(0, 7, size=len(b_user))) * 86400 + _seconds_into_day(rng, len(b_user))
    first_order = np.full(users, np.iinfo(np.int64).max)
    np.minimum.at(first_order, o_user, o_sec)
    welcome = np.flatnonzero((first_order > people.signup_sec + 86400) & (rng.random(users) < 0.7))
    b_user = np.concatenate([b_user, welcome])
    b_sec = np.concatenate([b_sec, people.signup_sec[welcome] + rng.integers(60, 1800, size=len(welcome))])
    keep = (b_sec >= people.signup_sec[b_user]) & (b_sec < n_days * 86400 - 3600)
    b_user, b_sec = b_user[keep], b_sec[keep]
    n_b = len(b_user)
    n_views = np.minimum(1 + rng.poisson(1.5, size=n_b), TOP_K)
    carted = rng.random(n_b) < 0.2  # an abandoned cart: the first item viewed
    seen = arrays.choose_items(rng, people.taste, b_user, item_taste, log_pop, BROWSE_TASTE_WEIGHT, TOP_K)
    b_count = 1 + n_views + carted
    b_session = np.repeat(np.arange(n_b, dtype=index), b_count)
    b_pos = arrays.positions(b_count, index)
    is_cart = (b_pos == b_count[b_session] - 1) & carted[b_session]
    b_type = np.select([b_pos == 0, is_cart], [start, cart], view).astype(np.int8)
    b_item = np.select(
        [b_pos == 0, is_cart], [-1, seen[b_session, 0]], seen[b_session, np.clip(b_pos - 1, 0, TOP_K - 1)]
    ).astype(np.int32)
    gaps = np.where(b_pos == 0, 0, rng.integers(5, 240, size=len(b_session)))
    elapsed = np.cumsum(gaps)
    b_first = np.cumsum(b_count) - b_count
    b_ev_sec = b_sec[b_session] + elapsed - elapsed[b_first[b_session]]

    # Session ids follow the sessions' start times.
    start_sec = np.concatenate([p_sec[p_start], b_sec])
    number = np.empty(len(start_sec), dtype=np.int64)
    number[np.lexsort((np.concatenate([o_user, b_user]), start_sec))] = np.arange(1, len(start_sec) + 1)

    # Each column is put in order and its parts dropped before the next: a million users make ~50M events.
    session = np.concatenate([p_session, n_ord + b_session])
    sec = np.concatenate([p_sec, b_ev_sec])
    del p_sec, b_ev_sec, gaps, elapsed, is_cart
    order = arrays.sort_events(sec, number[session], np.concatenate([p_pos, b_pos]))
    del p_pos, b_pos
    out = {"sec": sec[order], "session_width": max(7, len(str(len(start_sec))))}
    del sec
    out["session"] = number[session[order]]
    del session
    out["user"] = np.concatenate([o_user.astype(np.int32)[p_session], b_user.astype(np.int32)[b_session]])[order]
    del p_session, b_session
    out["type"] = np.concatenate([p_type, b_type])[order]
    del p_type, b_type
    out["item"] = np.concatenate([p_item, b_item])[order]
    return out
