"""The named SQL files, written in DuckDB's dialect, translated for Spark SQL with SQLGlot.

One definition runs on both engines: :func:`spark_statements` parses a file's text as DuckDB
SQL, binds its parameters, rewrites the few DuckDB functions whose meaning SQLGlot does not
carry over (below), and writes each statement as Spark SQL. Translation is checked, not
trusted: ``tests/test_engines.py`` runs every file the Spark engine uses on both engines and
compares the results.

Rewrites (DuckDB meaning -> Spark expression):

* ``date_diff('day' | 'week' | 'month' | 'second', a, b)``: DuckDB counts day and month
  boundaries crossed, whole weeks (7 days) and second boundaries; Spark's ``DATEDIFF(unit, ...)``
  counts complete units, which differs for a 31 January to 1 February month. Written as
  day-number, month-number and epoch-second differences.
* ``quantile_cont(x, q)``: Spark's ``percentile(x, q)`` (both interpolate between the two nearest
  values; Spark's ``percentile_cont`` takes the ``WITHIN GROUP`` form only).
* ``to_days(n)``, ``to_months(n)``: day-time and year-month intervals (``make_dt_interval``,
  ``make_ym_interval``).
* ``quantile_disc(x, q)``: Spark's ``percentile_disc(q) WITHIN GROUP (ORDER BY x)`` (the same rule: the first
  value whose cumulative share reaches ``q``), which SQLGlot writes as an approximate percentile; numbers only
  on Spark, so a timestamp goes through ``epoch_us`` (``unix_micros``) and back (``make_timestamp``).
* ``round(x, n)``: DuckDB rounds the exact binary value of ``x`` half away from zero, Spark
  the shortest decimal text of ``x`` half up (2.675 is 2.67 in DuckDB, 2.68 in Spark); written
  as DuckDB computes it, in exact DOUBLE arithmetic (the warehouse has no DECIMAL column and
  decimal literals are read as DOUBLE, so ``x`` is a DOUBLE or a whole number).
* Smaller ones: DuckDB's whole-row reference (``SELECT users AS row FROM users``) as ``STRUCT(*)``;
  ``query_table('t')`` as the table ``t``; ``list_extract`` as ``element_at`` (both count from 1);
  ``temp.`` prefixes dropped; decimal literals as DOUBLE (DuckDB computes ``x / 86400.0`` in DOUBLE,
  Spark in DECIMAL).
* ``hash(...)`` has no Spark twin: a seeded sample hashes with ``md5``, which both engines compute
  alike (``churn_features.sql``).

Parameters are bound as typed literal nodes of the syntax tree (``exp.convert``), never joined
as text: Spark's own parameter markers cannot stand where DuckDB allows them (a ``date_trunc``
or ``date_diff`` unit), and the literal form makes those units plain keywords again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd
import sqlglot
from sqlglot import exp

READ = "duckdb"
WRITE = "spark"


class UntranslatableSQL(ValueError):
    """A statement that has no Spark translation (a DuckDB-only function or statement kind)."""


def _literal(value: object) -> exp.Expression:
    """``value`` as a typed SQL literal node (dates, timestamps, numbers, text, booleans, lists, NULL)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, (list, tuple, np.ndarray)):
        return exp.Array(expressions=[_literal(item) for item in value])
    if isinstance(value, dt.datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), exp.DataType.build("TIMESTAMP"))
    return exp.convert(value)


def bind(tree: exp.Expression, params: Mapping[str, object] | Sequence[object] | None) -> exp.Expression:
    """``tree`` with each ``$name`` (or ``?``, in order) replaced by its value as a literal node."""
    if not params:
        return tree
    positional = iter(params) if not isinstance(params, Mapping) else None

    def replace(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Placeholder):
            return node
        if positional is not None:
            return _literal(next(positional))
        if node.name not in params:
            raise KeyError(f"parameter ${node.name} was not given")
        return _literal(params[node.name])

    return tree.transform(replace)


def _day_number(node: exp.Expression) -> exp.Expression:
    return exp.func("UNIX_DATE", exp.cast(node.copy(), exp.DataType.build("DATE")))


def _month_number(node: exp.Expression) -> exp.Expression:
    year = exp.func("YEAR", node.copy())
    month = exp.func("MONTH", node.copy())
    return exp.Paren(this=exp.Add(this=exp.Mul(this=year, expression=exp.Literal.number(12)), expression=month))


def _epoch_second(node: exp.Expression) -> exp.Expression:
    return exp.func("UNIX_SECONDS", exp.cast(node.copy(), exp.DataType.build("TIMESTAMP")))


_DIFFERENCES = {"DAY": _day_number, "MONTH": _month_number, "SECOND": _epoch_second}


def _date_diff(node: exp.DateDiff) -> exp.Expression:
    """DuckDB's ``date_diff(unit, start, end)`` as a difference of day, month or second numbers."""
    unit = (node.unit.name if node.unit is not None else "DAY").upper()
    start, end = node.expression, node.this
    if unit == "WEEK":
        days = exp.Sub(this=_day_number(end), expression=_day_number(start))
        return exp.IntDiv(this=exp.Paren(this=days), expression=exp.Literal.number(7))
    if unit not in _DIFFERENCES:
        raise UntranslatableSQL(f"date_diff with unit {unit!r} has no translation for Spark")
    number = _DIFFERENCES[unit]
    return exp.Paren(this=exp.Sub(this=number(end), expression=number(start)))


_SPLIT = 134217729.0  # 2**27 + 1: Veltkamp's constant, splitting a DOUBLE into two halves of 26 bits
_MAX_ROUND_PLACES = 15
# x * 10^n as the exact sum s + e of two DOUBLEs (Dekker's product, with 10^n = ph + pl split in Python), then
# rounded half away from zero by the sign of (s - floor(s) - 0.5) + e, which both sides compute exactly.
_ROUND_TEMPLATE = """
ELEMENT_AT(TRANSFORM(ARRAY(CAST(round_value AS DOUBLE)), round_x -> ELEMENT_AT(TRANSFORM(
    ARRAY(ABS(round_x)), round_a -> IF(
        round_a * {p} >= CAST(4503599627370496 AS DOUBLE),
        round_x,
        SIGN(round_x) * (FLOOR(round_a * {p}) + IF(
            ((round_a * {p} - FLOOR(round_a * {p})) - CAST(0.5 AS DOUBLE))
            + (((({h} * {ph} - round_a * {p}) + {h} * {pl}) + {l} * {ph}) + {l} * {pl}) >= 0, 1, 0
        )) / {p}
    )), 1)), 1)
"""


def _split(value: float) -> tuple[float, float]:
    top = _SPLIT * value
    high = top - (top - value)
    return high, value - high


@lru_cache(maxsize=_MAX_ROUND_PLACES + 1)
def _round_template(places: int) -> exp.Expression:
    power = 10.0**places
    high, low = _split(power)
    double = "CAST({} AS DOUBLE)".format
    text = _ROUND_TEMPLATE.format(
        p=double(repr(power)),
        ph=double(repr(high)),
        pl=double(repr(low)),
        h=f"({double(_SPLIT)} * round_a - ({double(_SPLIT)} * round_a - round_a))",
        l=f"(round_a - ({double(_SPLIT)} * round_a - ({double(_SPLIT)} * round_a - round_a)))",
    )
    return sqlglot.parse_one(text, read=WRITE)


def _round(node: exp.Round) -> exp.Expression:
    """DuckDB's ``round(x, n)`` of a DOUBLE: the exact binary value of ``x`` rounded half away from zero to ``n``
    places (Spark rounds the shortest decimal text of ``x`` half up: 2.675 is 2.67 in DuckDB, 2.68 in Spark)."""
    places = node.args.get("decimals")
    if places is None:
        return node  # to a whole number both engines round alike
    if not (places.is_int and 0 <= int(places.name) <= _MAX_ROUND_PLACES):
        raise UntranslatableSQL(f"round to {places.sql()} places has no translation for Spark (0 to 15 places do)")
    value = node.this.transform(_rewrite)
    return _round_template(int(places.name)).transform(
        lambda part: value.copy() if isinstance(part, exp.Column) and part.name == "round_value" else part
    )


def _is_whole_row(node: exp.Expression) -> bool:
    """Whether ``node`` is DuckDB's whole-row reference: a bare column named as the only table it selects from
    (``SELECT users AS row FROM users``), a struct of every column."""
    if not isinstance(node, exp.Column) or node.table:
        return False
    select = node.find_ancestor(exp.Select)
    source = select.args.get("from_") if select else None
    return (
        bool(source)
        and isinstance(source.this, exp.Table)
        and source.this.name == node.name
        and not select.args.get("joins")
    )


def _percentile_disc(node: exp.PercentileDisc) -> exp.Expression:
    """DuckDB's ``quantile_disc(x, q)`` as Spark's ``percentile_disc(q) WITHIN GROUP (ORDER BY x)``."""
    ordered = exp.Ordered(this=node.this.copy().transform(_rewrite), nulls_first=True)
    percentile = exp.Anonymous(this="PERCENTILE_DISC", expressions=[node.expression.copy().transform(_rewrite)])
    return exp.WithinGroup(this=percentile, expression=exp.Order(expressions=[ordered]))


def _rewrite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous) and node.this.name.upper() == "QUERY_TABLE":
        return exp.to_table(node.this.expressions[0].name)  # the table named by a (bound, checked) string
    if isinstance(node, exp.Table) and node.db.lower() == "temp":
        node.set("db", None)  # Spark's temporary views have no schema to name
        return node
    if isinstance(node, exp.Literal) and node.is_number and any(mark in node.this for mark in ".eE"):
        return exp.cast(node, exp.DataType.build("DOUBLE"))  # DuckDB computes with DOUBLE, Spark with DECIMAL
    if isinstance(node, exp.DateDiff):
        return _date_diff(node)
    if isinstance(node, exp.PercentileDisc) and not isinstance(node.parent, exp.WithinGroup):
        return _percentile_disc(node)
    if isinstance(node, exp.Anonymous) and node.name.upper() == "EPOCH_US":
        return exp.func("UNIX_MICROS", exp.cast(node.expressions[0].copy(), exp.DataType.build("TIMESTAMP")))
    if isinstance(node, exp.Round):
        return _round(node)
    if isinstance(node, exp.PercentileCont) and node.expression is not None:  # quantile_cont(x, q)
        return exp.func("PERCENTILE", node.this.transform(_rewrite), node.expression.transform(_rewrite))
    if isinstance(node, exp.Alias) and _is_whole_row(node.this):
        return exp.alias_(exp.func("STRUCT", exp.Star()), node.alias)
    if isinstance(node, exp.ToDays):
        return exp.func("MAKE_DT_INTERVAL", node.this)
    if isinstance(node, exp.Anonymous) and node.name.upper() == "LIST_EXTRACT":
        return exp.func("ELEMENT_AT", *node.expressions)  # both count from 1
    if isinstance(node, exp.Anonymous) and node.name.upper() == "TO_MONTHS":
        return exp.func("MAKE_YM_INTERVAL", exp.Literal.number(0), *node.expressions)
    return node


def spark_statements(sql: str, params: Mapping[str, object] | Sequence[object] | None = None) -> list[exp.Expression]:
    """The statements of ``sql`` (DuckDB dialect), parameters bound and rewritten for Spark, as syntax trees.

    Write each with ``tree.sql(dialect="spark")``. Raises :class:`UntranslatableSQL` for what has no translation.
    """
    trees = []
    for tree in _parsed(sql):
        bound = bind(tree.copy(), params)
        # Reparse the bound text, so that units given as parameters ($grain) become the keywords they name.
        reparsed = sqlglot.parse_one(bound.sql(dialect=READ), read=READ)
        trees.append(reparsed.transform(_rewrite))
    return trees


@lru_cache(maxsize=512)
def _parsed(sql: str) -> tuple[exp.Expression, ...]:
    try:
        return tuple(tree for tree in sqlglot.parse(sql, read=READ) if tree is not None)
    except sqlglot.errors.ParseError as exc:
        raise UntranslatableSQL(f"SQLGlot cannot read this SQL: {exc}") from exc


def to_spark_sql(tree: exp.Expression) -> str:
    """One translated statement as Spark SQL text."""
    return tree.sql(dialect=WRITE)
