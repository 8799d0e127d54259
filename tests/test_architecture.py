"""The architecture rules of the README, checked on the syntax trees of the project's own code.

Each test walks the ``ast`` of the files a rule covers and lists every place that breaks it as
``path:line: what``, so a failure says where to look:

- the library (``retention/``) imports Streamlit only in ``retention/ui/``;
- pages (``pages/`` and the router ``app.py``) hold no logic: no DuckDB import, no SQL text, no pandas
  grouping, no cursor or ``.execute`` calls;
- only ``retention/warehouse.py`` opens DuckDB (``duckdb.connect``);
- the library's SQL lives in ``retention/sql/*.sql``: no SQL statement in a Python string outside
  ``warehouse.py`` (docstrings are prose and are not checked);
- no library module is over 700 lines.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "retention"
WAREHOUSE = LIBRARY / "warehouse.py"
UI = LIBRARY / "ui"
PAGES = sorted((ROOT / "pages").glob("*.py")) + [ROOT / "app.py"]
LIBRARY_FILES = sorted(LIBRARY.rglob("*.py"))
MAX_MODULE_LINES = 700

PAGE_GROUPING = {"groupby", "pivot_table", "agg"}
PAGE_DATABASE_CALLS = {"cursor", "execute"}

# A SQL statement: its keywords in capitals, as this project writes SQL, anywhere in a string ...
_STATEMENT = (
    r"\bSELECT\b[\s\S]*?\bFROM\b"
    r"|\bINSERT\s+(?:OR\s+\w+\s+)?INTO\b"
    r"|\bUPDATE\s+[\w.\"]+\s+SET\b"
    r"|\bDELETE\s+FROM\b"
    r"|\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:TEMP|TEMPORARY|UNIQUE)\s+)?(?:TABLE|VIEW|SEQUENCE|INDEX|MACRO|SCHEMA)\b"
    r"|\bDROP\s+(?:TABLE|VIEW|SEQUENCE|INDEX|MACRO|SCHEMA)\b"
    r"|\bALTER\s+TABLE\b"
)
# ... or a string that starts with a statement keyword in capitals (SELECT 1, SET SESSION ..., PRAGMA ...) ...
SQL_KEYWORD_FIRST = re.compile(
    r"^(?:\s|\()*(?:SELECT|WITH|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|SET|PRAGMA|DESCRIBE|COPY|ATTACH)\s"
)
SQL_ANYWHERE = re.compile(_STATEMENT)
# ... or in lower case when the string starts with a statement's first keyword and reads as code: several lines,
# or a placeholder, star, bracket or semicolon ("Select a model from the list" is a label, not SQL).
SQL_AT_START = re.compile(
    r"^(?:\s|\(|--[^\n]*\n)*(?:SELECT|WITH|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER)\b", re.IGNORECASE
)
SQL_ANY_CASE = re.compile(_STATEMENT, re.IGNORECASE)
CODE_MARKS = re.compile(r"[\n$?*(;]")


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _imported_modules(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """``(line, module)`` for every import in the tree, lazy imports inside functions included."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def _imports(tree: ast.AST, package: str) -> list[int]:
    """Lines that import ``package`` or one of its submodules."""
    return [line for line, module in _imported_modules(tree) if module == package or module.startswith(package + ".")]


def _docstrings(tree: ast.AST) -> set[int]:
    """``id()`` of the string nodes that are docstrings (of the module, a class or a function)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant | ast.JoinedStr):
                found.add(id(first.value))
    return found


def _strings(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """``(line, text)`` of every string literal that is not a docstring; an f-string's text has ``?`` where
    its values go, so that SQL built with an f-string is still seen as SQL."""
    docstrings = _docstrings(tree)
    inside_fstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            inside_fstrings.update(id(value) for value in node.values)
            if id(node) not in docstrings:
                text = "".join(value.value if isinstance(value, ast.Constant) else "?" for value in node.values)
                yield node.lineno, text
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and id(node) not in inside_fstrings
        ):
            yield node.lineno, node.value


def looks_like_sql(text: str) -> bool:
    """Whether a string literal reads as a SQL statement (SELECT ... FROM, INSERT INTO, CREATE TABLE, SET ...)."""
    if SQL_ANYWHERE.search(text) or SQL_KEYWORD_FIRST.match(text):
        return True
    return bool(SQL_AT_START.match(text) and CODE_MARKS.search(text.strip()) and SQL_ANY_CASE.search(text))


def _sql_literals(path: Path) -> list[str]:
    return [
        f"{_relative(path)}:{line}: SQL text {text.strip()[:60]!r}"
        for line, text in sorted(_strings(_tree(path)))
        if looks_like_sql(text)
    ]


def _method_calls(tree: ast.AST, names: set[str]) -> Iterator[tuple[int, str]]:
    """``(line, name)`` of every call ``<anything>.<name>(...)`` with ``name`` in ``names``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names:
            yield node.lineno, node.func.attr


def _duckdb_connects(tree: ast.AST) -> list[int]:
    """Lines that call ``duckdb.connect`` under any alias, or import ``connect`` from duckdb."""
    aliases = {"duckdb"}
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases.update(alias.asname or alias.name for alias in node.names if alias.name == "duckdb")
        elif isinstance(node, ast.ImportFrom) and node.module == "duckdb":
            lines.extend(node.lineno for alias in node.names if alias.name == "connect")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "connect"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in aliases
        ):
            lines.append(node.lineno)
    return sorted(lines)


def _report(violations: list[str]) -> str:
    return f"{len(violations)} violation(s):\n" + "\n".join(violations)


# The detectors, on literal snippets: the rules are only as good as what they recognise.


@pytest.mark.parametrize(
    "text",
    [
        "SELECT count(*) FROM orders",
        "\n    SELECT user_id,\n           ts\n    FROM orders WHERE ts < $as_of\n",
        "select * from orders",
        "  -- the latest scores\n  with latest as (select 1) select * from latest",
        "INSERT INTO scores VALUES (?, ?)",
        "UPDATE campaigns SET status = 'done'",
        "DELETE FROM model_runs WHERE run_id = ?",
        "CREATE OR REPLACE TEMP TABLE rollup_touched (user_id VARCHAR)",
        "CREATE TABLE IF NOT EXISTS x (a INT)",
        "DROP TABLE IF EXISTS temp.ingest_stage",
        "(SELECT 1 FROM orders)",
        "SELECT try_strptime('', $fmt)",
        "SET SESSION preserve_insertion_order = true",
    ],
)
def test_sql_statements_are_recognised(text):
    assert looks_like_sql(text)


@pytest.mark.parametrize(
    "text",
    [
        "Select a model from the list below.",
        "customers who bought from the shop",
        "Choose which users to delete from the campaign",
        "create a table of scores",
        "updated",
        "SETTINGS",
        "SHAP contributions of every row",
        "orders",
        "",
    ],
)
def test_prose_is_not_sql(text):
    assert not looks_like_sql(text)


def test_sql_in_an_fstring_is_recognised_and_docstrings_are_not():
    tree = ast.parse(
        'def f(table):\n    """SELECT a FROM b, as prose."""\n    return f"SELECT count(*) FROM {table}"\n'
    )
    assert [(line, looks_like_sql(text)) for line, text in _strings(tree)] == [(3, True)]


def test_duckdb_connect_is_found_under_an_alias_and_as_a_name():
    tree = ast.parse("import duckdb as db\nfrom duckdb import connect\ndb.connect()\nother.connect()\n")
    assert _duckdb_connects(tree) == [2, 3]


# The rules, on the project.


def test_library_imports_streamlit_only_in_ui():
    violations = [
        f"{_relative(path)}:{line}: imports streamlit"
        for path in LIBRARY_FILES
        if UI not in path.parents
        for line in _imports(_tree(path), "streamlit")
    ]
    assert not violations, _report(violations)


def test_pages_do_not_import_duckdb():
    violations = [
        f"{_relative(path)}:{line}: imports duckdb" for path in PAGES for line in _imports(_tree(path), "duckdb")
    ]
    assert not violations, _report(violations)


def test_pages_hold_no_sql_text():
    violations = [violation for path in PAGES for violation in _sql_literals(path)]
    assert not violations, _report(violations)


def test_pages_do_no_pandas_grouping():
    violations = [
        f"{_relative(path)}:{line}: calls .{name}(...)"
        for path in PAGES
        for line, name in _method_calls(_tree(path), PAGE_GROUPING)
    ]
    assert not violations, _report(violations)


def test_pages_open_no_cursor_and_execute_nothing():
    violations = [
        f"{_relative(path)}:{line}: calls .{name}(...)"
        for path in PAGES
        for line, name in _method_calls(_tree(path), PAGE_DATABASE_CALLS)
    ]
    assert not violations, _report(violations)


def test_only_the_warehouse_opens_duckdb():
    violations = [
        f"{_relative(path)}:{line}: calls duckdb.connect"
        for path in [*LIBRARY_FILES, *PAGES]
        if path != WAREHOUSE
        for line in _duckdb_connects(_tree(path))
    ]
    assert not violations, _report(violations)


def test_library_sql_lives_in_sql_files():
    violations = [violation for path in LIBRARY_FILES if path != WAREHOUSE for violation in _sql_literals(path)]
    assert not violations, _report(violations)


def test_no_library_module_is_over_700_lines():
    violations = [
        f"{_relative(path)}: {lines} lines"
        for path in LIBRARY_FILES
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert not violations, _report(violations)


def test_the_rules_see_the_whole_project():
    """Guards the globs: a moved folder must not turn every rule into a check of nothing."""
    assert WAREHOUSE in LIBRARY_FILES and UI / "common.py" in LIBRARY_FILES
    assert ROOT / "pages" / "overview.py" in PAGES and ROOT / "app.py" in PAGES
