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
holds the export for :data:`SAMPLE_PARAMS`; its README documents the model.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from retention import rollups, schema, warehouse
from retention.errors import DataError

SAMPLE_DIR = Path(__file__).parent.parent / "sample_data"
SAMPLE_PARAMS: dict[str, int] = dict(users=5000, months=24, seed=7)
DEFAULT_END = "2026-06-30"
TASTE_DIM = 8

EVENT_SESSION_START = "session_start"
EVENT_VIEW = "view"
EVENT_ADD_TO_CART = "add_to_cart"
EVENT_TYPES = (EVENT_SESSION_START, EVENT_VIEW, EVENT_ADD_TO_CART)

RETURN_PREFIX = "C"

# category -> median price, nouns, materials/colours (title adjectives), brands, feature phrases, uses.
CATEGORIES: dict[str, dict] = {
    "home": dict(
        price=24.0,
        nouns=["cushion", "throw", "lamp", "vase", "candle", "mirror", "rug", "clock", "frame"],
        adjectives=["linen", "velvet", "oak", "ceramic", "woven", "brass", "cotton", "marble"],
        brands=["Hearthwell", "Nestory", "Loomcraft", "Casaluna"],
        features=["soft furnishing", "living room accent", "cosy home decor", "hand finished detail"],
        uses=["the living room", "the bedroom", "a reading nook", "a housewarming gift"],
    ),
    "kitchen": dict(
        price=22.0,
        nouns=["saucepan", "knife", "chopping board", "teapot", "mixing bowl", "mug", "skillet", "grater"],
        adjectives=["stainless", "cast iron", "bamboo", "enamel", "copper", "stoneware", "non-stick", "glass"],
        brands=["Panforte", "Kitchwise", "Copperleaf", "Emberpot"],
        features=["dishwasher safe cookware", "oven safe to 220C", "chef grade kitchen tool", "easy clean surface"],
        uses=["everyday cooking", "baking weekends", "dinner parties", "a first kitchen"],
    ),
    "garden": dict(
        price=28.0,
        nouns=["trowel", "planter", "hose", "bird feeder", "pruner", "seed tray", "watering can", "lantern"],
        adjectives=["galvanised", "terracotta", "weatherproof", "steel", "recycled", "rattan", "cedar", "solar"],
        brands=["Greenfold", "Potting Shed", "Bloomery", "Fernwick"],
        features=["outdoor garden tool", "frost resistant build", "for beds and borders", "patio planting"],
        uses=["the allotment", "balcony gardens", "spring planting", "the patio"],
    ),
    "toys": dict(
        price=18.0,
        nouns=["puzzle", "building set", "plush bear", "train set", "board game", "kite", "doll", "robot kit"],
        adjectives=["wooden", "colourful", "magnetic", "musical", "glow", "giant", "mini", "classic"],
        brands=["Tumbletop", "Playnest", "Jigglewood", "Marvelkin"],
        features=["kids play time toy", "safe for ages 3+", "family game night", "imaginative play"],
        uses=["rainy days", "birthday presents", "family evenings", "the playroom"],
    ),
    "stationery": dict(
        price=8.0,
        nouns=["notebook", "fountain pen", "planner", "sketchbook", "pencil set", "washi tape", "envelope set"],
        adjectives=["dotted", "leather", "recycled paper", "pastel", "A5", "gel", "kraft", "hardback"],
        brands=["Inkwell & Co", "Paperlark", "Quillby", "Notewise"],
        features=["smooth writing paper", "desk and office stationery", "journaling essential", "acid free pages"],
        uses=["journaling", "the home office", "back to school", "letter writing"],
    ),
    "beauty": dict(
        price=15.0,
        nouns=["face serum", "hand cream", "lip balm", "shampoo", "body wash", "face mask", "nail polish"],
        adjectives=["vegan", "rose", "shea", "vitamin C", "fragrance free", "argan", "matte", "hydrating"],
        brands=["Glowlane", "Petalist", "Dewdrop", "Skinsmith"],
        features=["gentle skincare formula", "dermatologist tested", "cruelty free beauty", "daily self care"],
        uses=["morning routines", "sensitive skin", "pamper evenings", "travel bags"],
    ),
    "sports": dict(
        price=32.0,
        nouns=["yoga mat", "dumbbell", "running belt", "water bottle", "resistance band", "football", "racket"],
        adjectives=["lightweight", "grip", "insulated", "carbon", "adjustable", "breathable", "pro", "foldable"],
        brands=["Strideline", "Peakform", "Fitforge", "Sprintly"],
        features=["gym and fitness gear", "sweat resistant", "for training and workouts", "outdoor running"],
        uses=["home workouts", "marathon training", "the gym", "weekend matches"],
    ),
    "electronics": dict(
        price=55.0,
        nouns=["headphones", "charger", "speaker", "smart plug", "keyboard", "webcam", "power bank", "mouse"],
        adjectives=["wireless", "bluetooth", "USB-C", "noise cancelling", "fast charge", "ergonomic", "HD"],
        brands=["Voltbay", "Circuitry", "Audiora", "Pixelon"],
        features=["rechargeable battery gadget", "plug and play setup", "tech accessory", "long battery life"],
        uses=["working from home", "commuting", "gaming setups", "travel"],
    ),
    "books": dict(
        price=12.0,
        nouns=["novel", "cookbook", "atlas", "poetry collection", "biography", "crime thriller", "field guide"],
        adjectives=["paperback", "illustrated", "hardcover", "signed", "bestselling", "pocket", "annotated"],
        brands=["Foxglove Press", "Larkspur Books", "Inkhorn", "Pagewright"],
        features=["page turning read", "a book for the shelf", "award winning author", "chapters to savour"],
        uses=["book clubs", "holiday reading", "bedtime reading", "curious minds"],
    ),
    "pets": dict(
        price=14.0,
        nouns=["dog bed", "cat toy", "lead", "feeding bowl", "scratching post", "pet shampoo", "chew treat"],
        adjectives=["orthopaedic", "catnip", "reflective", "slow feed", "natural", "waterproof", "chunky"],
        brands=["Pawsome", "Whiskerly", "Barkside", "Furrow"],
        features=["for dogs and cats", "vet approved pet care", "durable chew proof", "happy pets"],
        uses=["puppies", "indoor cats", "long walks", "senior dogs"],
    ),
    "fashion": dict(
        price=28.0,
        nouns=["scarf", "beanie", "tote bag", "socks", "gloves", "belt", "sunglasses", "wallet"],
        adjectives=["wool", "cashmere", "denim", "knitted", "leather", "striped", "organic cotton", "silk"],
        brands=["Threadmere", "Northcoat", "Stitchwell", "Velour Lane"],
        features=["wardrobe staple accessory", "fits true to size", "seasonal style", "made to last"],
        uses=["winter days", "city weekends", "gifting", "everyday outfits"],
    ),
    "food": dict(
        price=9.0,
        nouns=["coffee beans", "loose leaf tea", "chocolate bar", "olive oil", "granola", "hot sauce", "honey"],
        adjectives=["single origin", "organic", "dark", "extra virgin", "smoked", "raw", "spiced", "artisan"],
        brands=["Grindhouse", "Hillside Pantry", "Cocoa Row", "Saltmarsh"],
        features=["small batch pantry treat", "ethically sourced", "gourmet flavour", "store cupboard staple"],
        uses=["breakfast", "foodie gifts", "afternoon tea", "the pantry"],
    ),
}

# One pair of style words per taste dimension: descriptions name the item's two strongest dimensions,
# so words carry taste beyond the category.
STYLE_WORDS = [
    ("minimalist", "ornate"),
    ("bold", "understated"),
    ("eco", "luxury"),
    ("compact", "generous"),
    ("vintage", "modern"),
    ("playful", "elegant"),
    ("rugged", "delicate"),
    ("everyday", "statement"),
]

CHANNELS = ("organic", "paid_search", "social", "email", "referral")
CHANNEL_WEIGHTS = (0.36, 0.22, 0.17, 0.12, 0.13)
COUNTRIES = ("UK", "DE", "FR", "NL", "IE", "ES", "US", "IT", "BE", "SE")
COUNTRY_WEIGHTS = (0.56, 0.10, 0.08, 0.06, 0.05, 0.04, 0.04, 0.03, 0.02, 0.02)

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

_STATE_ACTIVE, _STATE_DRIFTING, _STATE_CHURNED = 1, 2, 3
_SECOND = np.timedelta64(1, "s")


def _window(months: int, end: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First day and last day (inclusive) of the ``months`` months ending at ``end``."""
    last = pd.Timestamp(end).normalize()
    first = (last + pd.Timedelta(days=1)) - pd.DateOffset(months=months)
    return pd.Timestamp(first), last


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pd.Series:
    return prefix + pd.Series(numbers, dtype="int64").astype(str).str.zfill(width)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


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


def _choose_items(
    rng: np.random.Generator,
    user_taste: np.ndarray,
    item_taste: np.ndarray,
    log_pop: np.ndarray,
    weight: float,
    k: int,
    chunk: int = 2048,
) -> np.ndarray:
    """For each row of ``user_taste``: ``k`` distinct items drawn without replacement from
    softmax(weight * taste affinity + log popularity), best first (Gumbel top-k)."""
    n = len(user_taste)
    out = np.empty((n, k), dtype=np.int64)
    item_weighted = weight * item_taste.T  # (TASTE_DIM, items)
    for lo in range(0, n, chunk):
        hi = min(lo + chunk, n)
        # The affinity as a sum over taste dimensions rather than a BLAS product: no threads, and
        # bit-identical results on every CPU, which keeps the committed sample reproducible.
        scores = np.add.outer(np.zeros(hi - lo), log_pop)
        term = np.empty_like(scores)
        for dim in range(item_weighted.shape[0]):
            np.multiply(user_taste[lo:hi, dim : dim + 1], item_weighted[dim], out=term)
            scores += term
        scores -= np.log(rng.standard_exponential(size=scores.shape))  # Gumbel noise, cheaper than rng.gumbel
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
        out[lo:hi] = np.take_along_axis(top, order, axis=1)
    return out


def _seconds_into_day(rng: np.random.Generator, n: int) -> np.ndarray:
    hour = rng.choice(24, size=n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    return hour * 3600 + rng.integers(0, 3600, size=n)


def _positions(counts: np.ndarray) -> np.ndarray:
    """0, 1, ..., c-1 for each count c, concatenated."""
    total = int(counts.sum())
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total) - starts


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
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Run the shop week by week.

    Returns the orders (per order: user, second, discount, line count, ranked items, count of
    items only viewed) with their lines (item, quantity, returned, rated, rating, delays), and
    the number of sessions without a purchase per (week, user).
    """
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
    browse = np.zeros((n_weeks, users), dtype=np.int64)
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
        state[active & (draw < _sigmoid(logit))] = _STATE_DRIFTING
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
        browse[week] = rng.poisson(browse_rate[state])

        # Discounts, lines and items; returns and ratings feed back into the churn state.
        o_promo = promo[o_sec // 86400]
        voucher = rng.random(len(o_user)) < np.where(people.deal_seeker[o_user], 0.30, 0.05)
        o_disc = np.where(
            o_promo > 0,
            np.round(o_promo + rng.choice([-0.05, 0.0, 0.05], size=len(o_user)), 2),
            np.where(voucher, VOUCHER_DISCOUNT, 0.0),
        )
        n_lines = 1 + rng.choice(4, size=len(o_user), p=LINES_PER_ORDER)
        ranked = _choose_items(rng, people.taste[o_user], item_taste, log_pop, TASTE_WEIGHT, TOP_K)
        n_extra = np.minimum(rng.poisson(1.0, size=len(o_user)), TOP_K - n_lines)
        line_order = np.repeat(np.arange(len(o_user)), n_lines)
        line_item = ranked[line_order, _positions(n_lines)]
        line_user = o_user[line_order]
        affinity = np.einsum("ij,ij->i", people.taste[line_user], item_taste[line_item])
        z = (affinity - people.affinity_mean[line_user]) / people.affinity_sd[line_user]
        returned = rng.random(len(line_order)) < _sigmoid(-1.2 - 1.3 * z)
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
    return {name: np.concatenate(values) for name, values in parts.items()}, browse


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
    if users < 1:
        raise ValueError(f"users must be at least 1, got {users}")
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    rng = np.random.default_rng(seed)
    first_day, last_day = _window(months, end)
    days = pd.date_range(first_day, last_day, freq="D")
    n_days = len(days)
    day0 = first_day.to_datetime64().astype("datetime64[s]")

    products, centres, item_taste, log_pop = _products(rng, max(200, users // 20))
    people = _population(rng, users, n_days, centres, item_taste)
    sim, browse = _simulate(rng, people, item_taste, log_pop, days)

    user_ids = _ids("u", np.arange(1, users + 1), max(5, len(str(users)))).to_numpy(dtype=object)
    item_ids = products["item_id"].to_numpy(dtype=object)
    o_user, o_sec = sim["user"], sim["sec"]
    n_ord = len(o_user)
    line_order = np.repeat(np.arange(n_ord), sim["n_lines"])
    line_user, line_item, line_sec = o_user[line_order], sim["item"], o_sec[line_order]

    # Orders: numbered in time order; a return is a line of order "C<id>" with negative quantity.
    order_number = np.empty(n_ord, dtype=np.int64)
    order_number[np.lexsort((o_user, o_sec))] = 100001 + np.arange(n_ord)
    line_order_id = pd.Series(order_number[line_order]).astype(str).to_numpy(dtype=object)
    line_disc = sim["discount"][line_order]
    unit_price = np.round(products["price"].to_numpy()[line_item] * (1 - line_disc), 2)
    quantity = sim["quantity"].astype(float)
    ret_sec = line_sec + sim["return_delay"]
    ret = sim["returned"] & (ret_sec < n_days * 86400)
    orders = pd.DataFrame(
        {
            "order_id": np.concatenate([line_order_id, RETURN_PREFIX + line_order_id[ret]]),
            "user_id": user_ids[np.concatenate([line_user, line_user[ret]])],
            "item_id": item_ids[np.concatenate([line_item, line_item[ret]])],
            "ts": day0 + np.concatenate([line_sec, ret_sec[ret]]) * _SECOND,
            "quantity": np.concatenate([quantity, -quantity[ret]]),
            "unit_price": np.concatenate([unit_price, unit_price[ret]]),
            "discount": np.concatenate([line_disc, line_disc[ret]]),
        }
    ).sort_values(["ts", "order_id", "item_id"], kind="stable")

    # Ratings: a few days after the order; the latest per user and item.
    r_sec = line_sec + sim["rating_delay"]
    r_keep = sim["rated"] & (r_sec < n_days * 86400)
    ratings = pd.DataFrame(
        {
            "user_id": user_ids[line_user[r_keep]],
            "item_id": item_ids[line_item[r_keep]],
            "rating": sim["rating"][r_keep].astype(float),
            "ts": day0 + r_sec[r_keep] * _SECOND,
        }
    ).sort_values(["ts", "user_id", "item_id"], kind="stable")
    ratings = ratings.drop_duplicates(["user_id", "item_id"], keep="last")

    ev = _events(rng, people, sim, browse, item_taste, log_pop, n_days)
    events = pd.DataFrame(
        {
            "user_id": user_ids[ev["user"]],
            "ts": day0 + ev["sec"] * _SECOND,
            "event_type": np.asarray(EVENT_TYPES, dtype=object)[ev["type"]],
            "item_id": np.where(ev["item"] >= 0, item_ids[np.maximum(ev["item"], 0)], None),
            "session_id": ev["session"],
        }
    )
    users_frame = pd.DataFrame(
        {
            "user_id": user_ids,
            "signup_ts": day0 + people.signup_sec * _SECOND,
            "country": np.asarray(COUNTRIES, dtype=object)[people.country],
            "channel": np.asarray(CHANNELS, dtype=object)[people.channel],
            "email": "user" + pd.Series(np.arange(1, users + 1)).astype(str) + "@example.com",
        }
    )
    frames = {
        schema.USERS: users_frame,
        schema.PRODUCTS: products,
        schema.ORDERS: orders,
        schema.EVENTS: events,
        schema.RATINGS: ratings,
    }
    return {table: _canonical(table, frame) for table, frame in frames.items()}


def _events(
    rng: np.random.Generator,
    people: _Population,
    sim: dict[str, np.ndarray],
    browse: np.ndarray,
    item_taste: np.ndarray,
    log_pop: np.ndarray,
    n_days: int,
) -> dict[str, np.ndarray]:
    """Sessions before each order and sessions without a purchase, as event arrays sorted by time.

    Returns arrays ``user`` (index), ``sec`` (seconds since the first day), ``type`` (index into
    EVENT_TYPES), ``item`` (index, -1 for session_start) and ``session`` (id).
    """
    start, view, cart = (EVENT_TYPES.index(name) for name in (EVENT_SESSION_START, EVENT_VIEW, EVENT_ADD_TO_CART))
    o_user, o_sec, n_lines, n_extra, ranked = sim["user"], sim["sec"], sim["n_lines"], sim["n_extra"], sim["ranked"]
    n_ord = len(o_user)

    # Purchase sessions: session_start, views of items not bought, then per line: view, [view], add_to_cart.
    second_view = rng.random(int(n_lines.sum())) < 0.35
    line_order = np.repeat(np.arange(n_ord), n_lines)
    per_line = 2 + second_view
    line_events = np.bincount(line_order, weights=per_line, minlength=n_ord).astype(np.int64)
    p_count = 1 + n_extra + line_events
    p_start = np.cumsum(p_count) - p_count
    p_type = np.full(int(p_count.sum()), view, dtype=np.int64)
    p_item = np.empty(len(p_type), dtype=np.int64)
    p_type[p_start] = start
    p_item[p_start] = -1
    extra_order = np.repeat(np.arange(n_ord), n_extra)
    p_item[p_start[extra_order] + 1 + _positions(n_extra)] = ranked[
        extra_order, n_lines[extra_order] + _positions(n_extra)
    ]
    line_offset = np.cumsum(per_line) - per_line - np.repeat(np.cumsum(line_events) - line_events, n_lines)
    line_first = p_start[line_order] + 1 + n_extra[line_order] + line_offset
    line_item = ranked[line_order, _positions(n_lines)]
    p_item[line_first] = line_item
    again = np.flatnonzero(second_view)
    p_item[line_first[again] + 1] = line_item[again]
    line_cart = line_first + per_line - 1
    p_type[line_cart] = cart
    p_item[line_cart] = line_item
    p_session = np.repeat(np.arange(n_ord), p_count)
    p_pos = _positions(p_count)
    duration = rng.integers(180, 2400, size=n_ord)  # seconds from session start to the order
    p_sec = o_sec[p_session] - np.ceil(duration[p_session] * (1 - p_pos / p_count[p_session])).astype(np.int64)

    # Sessions without a purchase: while browsing (by week and state), and after signing up without ordering.
    n_weeks, users = browse.shape
    counts = browse.ravel()
    b_user = np.repeat(np.tile(np.arange(users), n_weeks), counts)
    b_week = np.repeat(np.repeat(np.arange(n_weeks), users), counts)
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
    seen = _choose_items(rng, people.taste[b_user], item_taste, log_pop, BROWSE_TASTE_WEIGHT, TOP_K)
    b_count = 1 + n_views + carted
    b_session = np.repeat(np.arange(n_b), b_count)
    b_pos = _positions(b_count)
    is_cart = (b_pos == b_count[b_session] - 1) & carted[b_session]
    b_type = np.select([b_pos == 0, is_cart], [start, cart], view)
    b_item = np.select(
        [b_pos == 0, is_cart], [-1, seen[b_session, 0]], seen[b_session, np.clip(b_pos - 1, 0, TOP_K - 1)]
    )
    gaps = np.where(b_pos == 0, 0, rng.integers(5, 240, size=len(b_session)))
    elapsed = np.cumsum(gaps)
    b_first = np.cumsum(b_count) - b_count
    b_ev_sec = b_sec[b_session] + elapsed - elapsed[b_first[b_session]]

    # Session ids follow the sessions' start times.
    start_sec = np.concatenate([p_sec[p_start], b_sec])
    number = np.empty(len(start_sec), dtype=np.int64)
    number[np.lexsort((np.concatenate([o_user, b_user]), start_sec))] = np.arange(1, len(start_sec) + 1)
    session_ids = _ids("s", number, max(7, len(str(len(start_sec))))).to_numpy(dtype=object)

    session = np.concatenate([p_session, n_ord + b_session])
    sec = np.concatenate([p_sec, b_ev_sec])
    order = np.lexsort((np.concatenate([p_pos, b_pos]), number[session], sec))
    return {
        "user": np.concatenate([o_user[p_session], b_user[b_session]])[order],
        "sec": sec[order],
        "type": np.concatenate([p_type, b_type])[order],
        "item": np.concatenate([p_item, b_item])[order],
        "session": session_ids[session[order]],
    }


def _canonical(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with exactly the canonical columns: strings as ``str``, timestamps as ``datetime64[us]``.

    A missing optional column is filled with its default from ``schema.COLUMN_DEFAULTS``, else left empty.
    """
    out = {}
    for column, sql_type in schema.CANONICAL_COLUMNS[table].items():
        if column in frame.columns:
            values = frame[column]
        else:
            values = pd.Series(schema.COLUMN_DEFAULTS.get(table, {}).get(column), index=frame.index, dtype=object)
        if sql_type == "VARCHAR":
            out[column] = pd.Series(values, dtype="str").reset_index(drop=True)
        elif sql_type == "TIMESTAMP":
            out[column] = pd.Series(values).astype("datetime64[us]").reset_index(drop=True)
        else:
            out[column] = pd.Series(values, dtype="float64").reset_index(drop=True)
    return pd.DataFrame(out)


def write_parquet(frames: dict[str, pd.DataFrame], folder: str | os.PathLike) -> dict[str, Path]:
    """Write each frame to ``folder/<table>.parquet`` (zstd); returns table -> file written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for table, frame in frames.items():
        path = folder / f"{table}.parquet"
        frame.to_parquet(path, index=False, compression="zstd", compression_level=19)
        written[table] = path
    return written


def read_parquet(folder: str | os.PathLike) -> dict[str, pd.DataFrame]:
    """Read ``folder/<table>.parquet`` for every canonical table, with the canonical columns and dtypes.

    Raises
    ------
    DataError
        A table's file is missing or lacks a canonical column.
    """
    folder = Path(folder)
    frames = {}
    for table, columns in schema.CANONICAL_COLUMNS.items():
        path = folder / f"{table}.parquet"
        if not path.is_file():
            raise DataError(f"sample file {str(path)!r} does not exist")
        frame = pd.read_parquet(path)
        missing = [column for column in columns if column not in frame.columns]
        if missing:
            raise DataError(f"{str(path)!r} lacks the column(s) {', '.join(missing)}")
        frames[table] = _canonical(table, frame)
    return frames


def frame_sha256(frame: pd.DataFrame) -> str:
    """A SHA-256 of a frame's column names and values (row order matters, the index does not)."""
    digest = hashlib.sha256(",".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def load_frames(con: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame], source: str) -> None:
    """Insert the canonical frames into an empty warehouse in one transaction.

    ``frames`` maps canonical table names to frames; tables may be left out, and so may optional
    columns (they get their default or NULL). Each frame becomes one import batch
    (``import_batches`` row with the frame's SHA-256 and ``source`` as source name); its rows carry
    that ``batch_id``. The rollups are refreshed inside the same transaction, so either everything
    is loaded or nothing is.

    Raises
    ------
    DataError
        The warehouse already holds orders or any other canonical rows (the sample loads only
        into an empty warehouse), or a frame is not a canonical table or lacks a required column.
    """
    for table, frame in frames.items():
        if table not in schema.CANONICAL_COLUMNS:
            raise DataError(f"{table!r} is not a canonical table")
        missing = [column for column in schema.REQUIRED_COLUMNS[table] if column not in frame.columns]
        if missing:
            raise DataError(f"frame {table!r} lacks the required column(s) {', '.join(missing)}")
    view = "_sample_frame"
    try:
        with warehouse.transaction(con):
            filled = {table: warehouse.row_count(con, table) for table in schema.CANONICAL_COLUMNS}
            filled = {table: rows for table, rows in filled.items() if rows}
            if filled:
                held = ", ".join(f"{rows} {table}" for table, rows in filled.items())
                raise DataError(
                    f"the warehouse already holds {held}; sample data loads only into an empty "
                    "warehouse (choose a new --db file)"
                )
            for table in schema.CANONICAL_COLUMNS:
                if table not in frames:
                    continue
                frame = _canonical(table, frames[table])
                batch_id = warehouse.new_batch_id(con)
                warehouse.record_batch(
                    con,
                    batch_id=batch_id,
                    table=table,
                    source_name=source,
                    sha256=frame_sha256(frame),
                    rows_read=len(frame),
                    rows_loaded=len(frame),
                    rows_rejected=0,
                )
                # Identifiers come from schema.CANONICAL_COLUMNS only; the batch id is a bound parameter.
                columns = ", ".join(f'"{column}"' for column in schema.CANONICAL_COLUMNS[table])
                con.register(view, frame)
                con.execute(
                    f'INSERT INTO "{table}" ({columns}, batch_id) SELECT {columns}, $batch_id FROM {view}',
                    {"batch_id": batch_id},
                )
            rollups.refresh(con)
    finally:
        # After the commit or the rollback: inside an aborted transaction this would raise.
        with contextlib.suppress(duckdb.Error):
            con.unregister(view)


def build_warehouse(db_path: str | os.PathLike, folder: str | os.PathLike = SAMPLE_DIR) -> Path:
    """Create the warehouse file ``db_path`` from the parquet sample in ``folder``.

    The file is built under a temporary name and linked into place when complete, so a
    half-built warehouse is never seen and a file built meanwhile by someone else is never
    overwritten.

    Raises
    ------
    DataError
        ``db_path`` already exists (or appeared while building), or the sample files are missing.
    """
    path = Path(db_path)
    if path.exists():
        raise DataError(f"warehouse file {str(path)!r} already exists; the sample builds only a new file")
    frames = read_parquet(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.building-{os.getpid()}-{threading.get_ident()}")
    for leftover in (partial, partial.with_name(partial.name + ".wal")):
        leftover.unlink(missing_ok=True)
    try:
        con = warehouse.connect(partial)
        try:
            load_frames(con, frames, source=f"parquet sample {Path(folder).name}/")
        finally:
            con.close()
        try:
            os.link(partial, path)  # fails if the file exists, unlike a rename
        except FileExistsError:
            raise DataError(f"warehouse file {str(path)!r} appeared while the sample was being built") from None
        except OSError:  # a file system without hard links
            if path.exists():
                raise DataError(f"warehouse file {str(path)!r} appeared while the sample was being built") from None
            os.replace(partial, path)
    finally:
        for leftover in (partial, partial.with_name(partial.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return path


def ensure_default_warehouse(db_path: str | os.PathLike | None = None) -> Path:
    """The warehouse path (see :func:`retention.warehouse.resolve_db_path`), built from
    ``sample_data/`` first if the file does not exist yet."""
    path = warehouse.resolve_db_path(db_path)
    if not path.exists():
        try:
            build_warehouse(path)
        except DataError:
            if not path.exists():
                raise
            # Another process or thread built it first.
    return path
