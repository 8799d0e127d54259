"""The command line as a whole: every command is registered, and building the parser stays light."""

import subprocess
import sys

from retention import cli


def test_every_command_is_registered():
    subparsers = next(action for action in cli.build_parser()._actions if action.dest == "command")
    assert {
        "info",
        "init",
        "sample",
        "import",
        "cohorts",
        "forecast",
        "at-risk",
        "recommenders",
        "recommend",
        "campaign",
    } <= set(subparsers.choices)


# Libraries that take seconds to import: the model libraries, the service's, and Spark with the SQL translator.
HEAVY_LIBRARIES = (
    *("sklearn", "shap", "surprise", "prophet"),
    *("fastapi", "uvicorn", "pydantic"),
    *("pyspark", "py4j", "sqlglot", "retention.engines.spark"),
)


def test_building_the_parser_imports_no_heavy_library():
    code = (
        "import sys; from retention.cli import build_parser; build_parser(); "
        f"print(sorted(name for name in {HEAVY_LIBRARIES!r} if name in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_info_prints_tables_and_schema_version(sample_db, capsys):
    assert cli.main(["info", "--db", sample_db]) == 0
    out = capsys.readouterr().out
    assert f"warehouse: {sample_db}" in out
    assert "orders" in out and "ratings" in out
    assert "holds the synthetic sample shop: 600 users" in out and "sample --remove" in out


def test_info_on_an_empty_warehouse_shows_zero_rows_without_the_sample(tmp_path, capsys):
    db = str(tmp_path / "new.duckdb")
    assert cli.main(["init", "--db", db, "--empty"]) == 0
    capsys.readouterr()
    assert cli.main(["info", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "sample shop" not in out
    assert [line.split()[1] for line in out.splitlines()[2:]] == ["0"] * 5


def test_info_on_a_mistyped_path_says_so_and_creates_nothing(tmp_path, capsys):
    """info only reads: a path that does not exist is an error (exit 2), never a new, empty warehouse."""
    db = tmp_path / "mistyped" / "path.duckdb"
    assert cli.main(["info", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "does not exist" in err and "Traceback" not in err
    assert not db.exists() and not db.parent.exists()


def test_db_at_a_csv_file_is_refused_and_the_file_left_alone(tmp_path, capsys):
    data = tmp_path / "orders.csv"
    data.write_text("order_id,user_id,ts\no1,u1,2024-01-01\n")
    before = data.read_bytes()
    assert cli.main(["import", "orders", str(data), "--db", str(data)]) == 2
    err = capsys.readouterr().err
    assert "is not a Retention Studio warehouse (a DuckDB file)" in err and "Traceback" not in err
    assert data.read_bytes() == before


def test_user_errors_exit_2_without_traceback(tmp_path, capsys):
    assert cli.main(["cohorts", "--db", str(tmp_path / "empty.duckdb"), "--by", "email"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
