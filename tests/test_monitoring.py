"""The monitoring report and the monitor command: checks against thresholds, JSON, and exit codes."""

from __future__ import annotations

import json

import pytest

from retention import monitoring
from retention.cli import main
from retention.errors import DataError


def test_a_check_is_crossed_on_the_worrying_side_only():
    assert monitoring.check("a.b", 0.3, 0.2, "drift").crossed
    assert not monitoring.check("a.b", 0.2, 0.2, "drift").crossed
    assert monitoring.check("a.b", 0.5, 0.6, "low AUC", above=False).crossed
    unknown = monitoring.check("a.b", float("nan"), 0.2, "drift")
    assert unknown.value is None and not unknown.crossed
    assert not monitoring.check("a.b", None, 0.2, "drift").crossed


def test_thresholds_parse_by_name_and_refuse_what_is_not_name_equals_number():
    assert monitoring.parse_thresholds(["psi=0.25", " stale_days = 7"]) == {"psi": 0.25, "stale_days": 7.0}
    for bad in ("psi", "psi=high", "=3"):
        with pytest.raises(DataError, match="NAME=NUMBER"):
            monitoring.parse_thresholds([bad])


@pytest.fixture
def probe_section(monkeypatch):
    """One registered section whose check compares the warehouse's order count with a threshold."""
    registry = monitoring.Registry("monitoring section")

    def orders(con, thresholds):
        count = con.execute("SELECT count(*) FROM orders").fetchone()[0]
        limit = thresholds.get("max_orders", 1e9)
        return monitoring.Section(
            "probe", "Probe", {"orders": count}, (monitoring.check("probe.orders", count, limit, "too many"),)
        )

    registry.add("probe", orders)
    monkeypatch.setattr(monitoring, "SECTIONS", registry)
    monkeypatch.setattr(monitoring, "SECTION_MODULES", ())
    monkeypatch.setattr(monitoring, "threshold_defaults", lambda: {"max_orders": 1e9})


def test_monitor_writes_the_report_and_fails_only_when_asked(sample_db, tmp_path, capsys, probe_section):
    out = tmp_path / "report.json"
    assert main(["monitor", "--db", sample_db, "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    orders = report["sections"]["probe"]["numbers"]["orders"]
    assert orders > 0 and report["crossed"] == []
    below = f"max_orders={orders - 1}"
    assert main(["monitor", "--db", sample_db, "--out", str(out), "--threshold", below]) == 0
    assert json.loads(out.read_text())["crossed"] == ["probe.orders"]
    assert "crossed: probe.orders" in capsys.readouterr().err
    assert main(["monitor", "--db", sample_db, "--out", str(out), "--threshold", below, "--fail-on"]) == 1
    assert (
        main(["monitor", "--db", sample_db, "--out", str(out), "--threshold", below, "--fail-on", "probe.orders"]) == 1
    )
    assert main(["monitor", "--db", sample_db, "--out", str(out), "--fail-on"]) == 0
    assert main(["monitor", "--db", sample_db, "--out", str(out), "--fail-on", "probe.nope"]) == 2
    assert "unknown check(s) ['probe.nope']" in capsys.readouterr().err
    assert main(["monitor", "--db", sample_db, "--threshold", "max_order=3"]) == 2
    assert "unknown threshold(s) ['max_order']; the thresholds are ['max_orders']" in capsys.readouterr().err


def test_every_threshold_name_is_one_sections_and_the_names_do_not_collide():
    defaults = monitoring.threshold_defaults()
    per_module = [monitoring.importlib.import_module(m).DEFAULTS for m in monitoring.SECTION_MODULES]
    assert sum(len(d) for d in per_module) == len(defaults)
    assert {"stale_days", "risk_psi", "roc_auc", "net_return"} <= set(defaults)
