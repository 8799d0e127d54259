"""Mapping an import file's columns onto a table's canonical columns.

A canonical column takes the file column the user mapped to it, else the file column whose name
equals it or one of its :data:`SYNONYMS` (ignoring case, spaces and punctuation). An orders file may
also map products and users columns (:func:`targets`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence

from retention import schema
from retention.errors import DataError

# Other names under which a canonical column is commonly found, compared after lower-casing
# and dropping everything but letters and digits ("Customer ID" -> "customerid").
SYNONYMS: dict[str, tuple[str, ...]] = {
    "user_id": (
        "customerid",
        "customer",
        "custid",
        "userid",
        "user",
        "clientid",
        "client",
        "memberid",
        "accountid",
        "visitorid",
        "buyerid",
    ),
    "order_id": (
        "invoiceno",
        "invoice",
        "invoiceid",
        "invoicenumber",
        "orderid",
        "orderno",
        "ordernumber",
        "order",
        "transactionid",
        "transaction",
    ),
    "item_id": (
        "stockcode",
        "itemid",
        "item",
        "productid",
        "product",
        "sku",
        "productcode",
        "itemcode",
        "articleid",
        "movieid",
        "asin",
    ),
    "ts": (
        "ts",
        "timestamp",
        "invoicedate",
        "orderdate",
        "eventtime",
        "datetime",
        "date",
        "time",
        "createdat",
        "eventdate",
    ),
    "quantity": ("quantity", "qty", "units", "unitssold"),
    "unit_price": ("unitprice", "price", "unitcost", "priceeach"),
    "discount": ("discount", "discountrate", "discountpct"),
    "title": ("title", "description", "name", "productname", "itemname"),
    "description": ("description", "details", "longdescription"),
    "price": ("price", "unitprice", "listprice"),
    "category": ("category", "categoryname", "department", "genre", "genres"),
    "brand": ("brand", "manufacturer", "vendor"),
    "signup_ts": ("signupts", "signupdate", "signedup", "createdat", "registered", "registrationdate", "firstseen"),
    "country": ("country", "countrycode", "region"),
    "channel": ("channel", "acquisitionchannel", "source", "utmsource"),
    "email": ("email", "emailaddress", "mail"),
    "first_name": ("firstname", "givenname", "forename", "fname"),
    "phone": ("phone", "phonenumber", "mobile", "mobilephone", "mobilenumber", "telephone", "tel"),
    "sms_consent": ("smsconsent", "smsoptin", "smsmarketingconsent", "acceptssmsmarketing", "smssubscribed"),
    "event_type": ("eventtype", "event", "eventname", "type", "action"),
    "session_id": ("sessionid", "session"),
    "rating": ("rating", "score", "stars", "overall"),
}


class MappingError(DataError):
    """A refusal whose message is the same for the app and the CLI; ``cli_hint`` is the option that fixes it
    (``--map user_id=COLUMN``), which the CLI adds and the app, whose widgets the message names, leaves out."""

    def __init__(self, message: str, *, cli_hint: str) -> None:
        super().__init__(message)
        self.cli_hint = cli_hint


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def guess_mapping(table: str, columns: Sequence[str]) -> dict[str, str | None]:
    """Guess which file column holds each column of ``table`` and each column it can also fill, by name.

    A target column is matched, in this order, by a column of the same name ignoring
    case and punctuation (``User ID`` -> ``user_id``), by a known synonym in
    :data:`SYNONYMS` (``CustomerID`` -> ``user_id``, ``InvoiceNo`` -> ``order_id``,
    ``StockCode`` -> ``item_id``, ``InvoiceDate`` -> ``ts``, ``UnitPrice`` ->
    ``unit_price``), then by close spelling. A file column is used for one target at most.
    A file with a description column but no title column gives the description as the title
    (``Description`` -> ``title``). The columns of other tables that an import of ``table``
    can fill (:data:`retention.schema.ALSO_FILLS`: ``Country`` -> ``country`` for an orders
    file) are guessed after the table's own, from the file columns those left.

    Returns
    -------
    dict
        Every target of :func:`targets` (in that order) -> file column name, or None.
    """
    guess: dict[str, str | None] = {}
    used: set[str] = set()
    own = list(canonical(table))
    for group in (own, [target for target in targets(table) if target not in own]):
        guess.update(_guess_names(group, columns, used))
    return guess


def _guess_names(wanted: Sequence[str], columns: Sequence[str], used: set[str]) -> dict[str, str | None]:
    """:func:`guess_mapping` for the target columns ``wanted``, from the file columns not in ``used`` (updated)."""
    squashed = {column: _squash(column) for column in columns}
    guess: dict[str, str | None] = dict.fromkeys(wanted)

    def take(target: str, source: str) -> None:
        guess[target] = source
        used.add(source)

    for target in wanted:  # exact names first, so a real "description" column is not taken as a title
        for column in columns:
            if column not in used and squashed[column] == _squash(target):
                take(target, column)
                break
    unguessed = [target for target in wanted if guess[target] is None]
    for target, column in _by_synonym(unguessed, [c for c in columns if c not in used]).items():
        take(target, column)
    for target in wanted:
        if guess[target] is not None:
            continue
        free = {squashed[c]: c for c in columns if c not in used and squashed[c]}
        names = (_squash(target), *SYNONYMS.get(target, ()))
        for name in names:
            close = difflib.get_close_matches(name, list(free), n=1, cutoff=0.85)
            if close:
                take(target, free[close[0]])
                break
    if "title" in guess and guess["title"] is None and guess.get("description") is not None:
        # A product is shown by its title: a file with only a description gives it as the title.
        guess["title"], guess["description"] = guess["description"], None
    return guess


def targets(table: str) -> dict[str, str]:
    """The columns an import of ``table`` can map, each with the table it goes to.

    The table's own columns first (table order), then those of other tables that its file can
    fill (:data:`retention.schema.ALSO_FILLS`): for orders, the products columns title, category,
    brand, price, description and the users columns signup_ts, country, channel, email, first_name, phone,
    sms_consent.
    """
    found = dict.fromkeys(canonical(table), table)
    for other, columns in schema.ALSO_FILLS.get(table, {}).items():
        found.update(dict.fromkeys(columns, other))
    return found


def unused_columns(columns: Sequence[str], resolved: Mapping[str, str | None]) -> list[str]:
    """The file's columns that ``resolved`` (target -> file column) takes nowhere, in file order."""
    taken = {source for source in resolved.values() if source}
    return [column for column in columns if column not in taken]


def canonical(table: str) -> dict[str, str]:
    if table not in schema.CANONICAL_COLUMNS:
        raise DataError(f"cannot import into {table!r}: choose one of {', '.join(schema.IMPORTABLE_TABLES)}")
    return schema.CANONICAL_COLUMNS[table]


def resolve_mapping(
    table: str, columns: Sequence[str], mapping: Mapping[str, str | None] | None = None
) -> dict[str, str]:
    """Target column -> file column for one import; targets without a source are left out.

    ``mapping`` wins; a canonical column of ``table`` it does not mention is taken from the
    file column of the same name, ignoring case, unless ``mapping`` already uses that file
    column, else from a column named by one of its :data:`SYNONYMS` (``InvoiceNo`` -> ``order_id``,
    as :func:`guess_mapping` guesses them for the Data page; close spellings are not taken unasked).
    The columns of other tables an import can fill (:func:`targets`) are taken only when ``mapping``
    names them, never by name alone: filling users or products is asked for.
    A mapping value of None or ``""`` leaves the column unmapped.

    Raises
    ------
    DataError
        ``mapping`` names a target the import does not have (the message lists those it
        has) or a column the file does not have, or one file column for two targets, or a required column of the table
        (``schema.REQUIRED_COLUMNS``) has no source, or the file looks meant for another table
        (users or products would get nothing but the id from a file carrying every required column of
        another table: an orders file imported into users).
    """
    own = canonical(table)
    allowed = targets(table)
    mapping = dict(mapping or {})
    listing = ", ".join(repr(c) for c in columns)
    resolved: dict[str, str] = {}
    for target, source in mapping.items():
        if target not in allowed:
            also = "".join(
                f"; to fill {other} too: {', '.join(names)}"
                for other, names in schema.ALSO_FILLS.get(table, {}).items()
            )
            raise DataError(f"{table} has no column {target!r}; its columns are {', '.join(own)}{also}")
        if source in (None, ""):
            continue
        if source not in columns:
            raise DataError(f"the mapping {target}={source} names no column of the file; its columns are {listing}")
        resolved[target] = source
    twice = [source for source in dict.fromkeys(resolved.values()) if list(resolved.values()).count(source) > 1]
    if twice:
        both = [target for target, source in resolved.items() if source == twice[0]]
        raise DataError(
            f"the file's column {twice[0]!r} is mapped to {' and '.join(both)}: a column can fill one of them only"
        )
    # A file column that the mapping already uses is not taken a second time by name: with
    # title=Description, the file's "Description" does not also become the description.
    by_lower: dict[str, str] = {}
    for column in columns:
        if column not in resolved.values():
            by_lower.setdefault(column.strip().lower(), column)
    for target in own:
        if target not in mapping and target in by_lower:
            resolved[target] = by_lower[target]
            by_lower.pop(target)
    named = dict(resolved)  # a synonym alone does not make a file of orders a file of products (unit_price)
    free = [column for column in columns if column in by_lower.values()]
    unasked = [target for target in own if target not in mapping and target not in resolved]
    resolved.update(_by_synonym(unasked, free))
    for other, names in schema.ALSO_FILLS.get(table, {}).items():
        key = schema.KEYED_TABLES[other]
        filling = [name for name in names if name in resolved]
        if filling and key not in resolved:
            raise DataError(
                f"{', '.join(filling)} would fill {other}, which needs the file's {key!r} column: map a column to "
                f"{key} too, or leave {', '.join(filling)} unmapped"
            )
    for target in schema.REQUIRED_COLUMNS[table]:
        if target not in resolved:
            raise MappingError(
                f"{table} needs a column {target!r} and the file has none: map one of the file's columns to "
                f"{target}; they are {listing}",
                cli_hint=f"--map {target}=COLUMN",
            )
    _refuse_other_tables_file(table, columns, named)
    return {target: resolved[target] for target in allowed if target in resolved}


def _by_synonym(wanted: Sequence[str], columns: Sequence[str]) -> dict[str, str]:
    """Target -> file column for the targets in ``wanted`` that a column of ``columns`` names by one of their
    :data:`SYNONYMS` (after :func:`_squash`); each column is taken once, synonyms in their listed order."""
    found: dict[str, str] = {}
    squashed = {column: _squash(column) for column in columns}
    for target in wanted:
        for synonym in SYNONYMS.get(target, ()):
            match = next((c for c in columns if c not in found.values() and squashed[c] == synonym), None)
            if match is not None:
                found[target] = match
                break
    return found


def _refuse_other_tables_file(table: str, columns: Sequence[str], resolved: Mapping[str, str]) -> None:
    """Refuse a file meant for another table: users or products mapping nothing but the id, from a file that
    carries every required column of an appended table by name (an orders file imported into users)."""
    key = schema.KEYED_TABLES.get(table)
    if key is None or set(resolved) != {key}:
        return
    names = {column.strip().lower() for column in columns}
    for other in schema.APPENDED_TABLES:  # orders, events, ratings: their required columns mark their files
        required = schema.REQUIRED_COLUMNS[other]
        if all(name in names for name in required):
            wanted = [name for name in canonical(table) if name != key]
            raise MappingError(
                f"this looks like a file of {other} (it has {', '.join(required)}), not of {table}: {table} needs "
                f"a column besides {key!r} and the file has none of {', '.join(repr(n) for n in wanted)}; import it "
                f"into {other}, or map a file column to one of them",
                cli_hint=f"--map {wanted[0]}=COLUMN",
            )
