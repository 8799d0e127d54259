"""The HTTP API, served for real: ``python -m retention serve`` under uvicorn in a subprocess on a free port,
against a copy of the sample warehouse and hand-written snapshots whose answers are known (tests/serve_snapshots.py).
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from serve_snapshots import COLD_START, item_list, point_current, write_snapshot
from served_app import ROOT, free_port, stop

from retention import warehouse
from retention.serve import KEYS, keys, serving_folder
from retention.serve.app import MAX_BODY_BYTES, MAX_EVENT_LINES, NO_SNAPSHOT, create_app

USERS = [f"u{n}" for n in range(1, 41)]
MEMBERS = [
    (7, "u1", "control", None, []),
    (7, "u2", "discount", "email", ["A9", "B4"]),
]


def retention_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "retention", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


@contextlib.contextmanager
def running_service(db: str, inbox: Path, log: Path) -> Iterator[str]:
    """``python -m retention serve`` on a free port; yields its base URL once /healthz answers."""
    port = free_port()
    with open(log, "w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "retention", "serve", "--db", db, "--port", str(port), "--inbox", str(inbox)],
            cwd=ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, Path(log).read_text()
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the service did not start"
                time.sleep(0.2)
        yield url
    finally:
        stop(process)


@pytest.fixture(scope="module")
def served(sample_db, tmp_path_factory) -> Iterator[dict]:
    """The service over a warehouse copy with snapshot ``v1`` published and a key made by the CLI."""
    folder = tmp_path_factory.mktemp("served")
    db = str(folder / "shop.duckdb")
    shutil.copy(sample_db, db)
    write_snapshot(serving_folder(db), "v1", USERS, members=MEMBERS, risk_users=USERS[:30])
    created = retention_cli("api-key", "create", "--name", "storefront", "--db", db)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    inbox = folder / "inbox"
    log = folder / "serve.log"
    headers = {"Authorization": f"Bearer {key}"}
    with running_service(db, inbox, log) as url, httpx.Client(base_url=url, headers=headers, timeout=10) as client:
        yield {"db": db, "url": url, "key": key, "client": client, "inbox": inbox, "log": log}


def test_keys_are_kept_only_as_salted_hashes(served):
    with warehouse.session(served["db"]) as con:
        stored = warehouse.query(con, "serve_key_list")
    record = stored.iloc[0]
    assert record["prefix"] == served["key"][:8]
    assert record["key_hash"] == keys.hash_key(served["key"], record["salt"])
    assert served["key"] not in (serving_folder(served["db"]) / KEYS).read_text()
    assert served["key"] not in Path(served["log"]).read_text()


def test_recommendations_of_a_known_customer(served):
    answer = served["client"].get("/v1/customers/u5/recommendations", params={"k": 4})
    assert answer.status_code == 200
    body = answer.json()
    assert body["source"] == "model"
    assert body["run_id"] == 1
    assert [item["item_id"] for item in body["items"]] == item_list("v1", "u5", 4)
    assert [item["rank"] for item in body["items"]] == [1, 2, 3, 4]
    assert [item["score"] for item in body["items"]] == [10.0, 9.0, 8.0, 7.0]
    assert body["items"][0]["title"] == "Title v1-u5-1"


def test_an_unknown_customer_gets_the_cold_start_list(served):
    body = served["client"].get("/v1/customers/nobody/recommendations").json()
    assert body["source"] == "cold_start"
    assert [(item["item_id"], item["title"]) for item in body["items"]] == COLD_START


@pytest.mark.parametrize("k", [0, 51, "ten"])
def test_k_out_of_range_is_refused(served, k):
    assert served["client"].get("/v1/customers/u5/recommendations", params={"k": k}).status_code == 422


def test_risk_of_a_scored_customer_in_words_without_email(served):
    answer = served["client"].get("/v1/customers/u3/risk")
    assert answer.status_code == 200
    body = answer.json()
    assert body["risk"] == pytest.approx(0.25 + 2 / 100)
    assert body["value"] == pytest.approx(102.0)
    assert body["horizon_days"] == 60
    assert body["model_version"] == "churn-v3"
    assert body["as_of"].startswith("2026-11-01")
    assert body["reasons"] == ["long gap since the last order", "fewer orders than usual"]
    assert "email" not in answer.text


def test_risk_of_an_unscored_customer_is_404_with_a_message(served):
    answer = served["client"].get("/v1/customers/u35/risk")
    assert answer.status_code == 404
    assert "u35" in answer.json()["detail"] and "not scored" in answer.json()["detail"]


def test_campaign_arms_control_included(served):
    control = served["client"].get("/v1/campaigns/7/customers/u1").json()
    assert (control["arm"], control["contact"], control["recommended_items"]) == ("control", False, [])
    treated = served["client"].get("/v1/campaigns/7/customers/u2").json()
    assert (treated["arm"], treated["channel"], treated["contact"]) == ("discount", "email", True)
    assert treated["recommended_items"] == ["A9", "B4"]
    assert served["client"].get("/v1/campaigns/7/customers/u3").status_code == 404
    assert served["client"].get("/v1/campaigns/8/customers/u1").status_code == 404


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"X-API-Key": "wrong"}, {"Authorization": "Basic abc"}],
    ids=["none", "bad-bearer", "bad-header", "basic"],
)
def test_requests_without_a_valid_key_get_401(served, headers):
    answer = httpx.get(f"{served['url']}/v1/customers/u5/recommendations", headers=headers)
    assert answer.status_code == 401
    assert "API key" in answer.json()["detail"]


def test_the_x_api_key_header_works_too(served):
    answer = httpx.get(f"{served['url']}/v1/customers/u5/risk", headers={"X-API-Key": served["key"]})
    assert answer.status_code == 200


def test_a_revoked_key_is_refused_without_a_restart(served):
    created = retention_cli("api-key", "create", "--name", "support desk", "--db", served["db"])
    second = created.stdout.strip()
    url = f"{served['url']}/v1/customers/u5/risk"
    assert httpx.get(url, headers={"X-API-Key": second}).status_code == 200
    listed = pd.read_csv(io.StringIO(retention_cli("api-key", "list", "--db", served["db"]).stdout))
    key_id = int(listed.loc[listed["name"] == "support desk", "key_id"].iloc[0])
    assert listed["revoked_at"].isna().all()
    assert retention_cli("api-key", "revoke", str(key_id), "--db", served["db"]).returncode == 0
    assert httpx.get(url, headers={"X-API-Key": second}).status_code == 401
    assert httpx.get(url, headers={"X-API-Key": served["key"]}).status_code == 200
    again = retention_cli("api-key", "revoke", str(key_id), "--db", served["db"])
    assert again.returncode == 2 and "no valid key has the id" in again.stderr


def test_healthz_and_metrics_need_no_key(served):
    health = httpx.get(f"{served['url']}/healthz")
    assert health.json() == {"status": "ok", "snapshot": "v1", "run_id": 1}
    served["client"].get("/v1/customers/u5/recommendations")
    metrics = httpx.get(f"{served['url']}/metrics").text
    line = next(
        text
        for text in metrics.splitlines()
        if text.startswith(
            'retention_requests_total{endpoint="/v1/customers/{customer_id}/recommendations",method="GET",status="200"}'
        )
    )
    assert int(line.split()[-1]) >= 1
    assert 'retention_served_info{run_id="1",model="item_knn"' in metrics
    age = float(next(t for t in metrics.splitlines() if t.startswith("retention_data_age_seconds")).split()[-1])
    expected = (pd.Timestamp.now("UTC") - pd.Timestamp("2026-10-31T18:00:00", tz="UTC")).total_seconds()
    assert age == pytest.approx(expected, abs=60)
    assert (
        'retention_request_seconds_bucket{endpoint="/v1/customers/{customer_id}/recommendations",le="+Inf"}' in metrics
    )


def inbox_files(inbox: Path) -> list[Path]:
    return sorted(inbox.glob("events-*.csv")) if inbox.exists() else []


def test_valid_events_become_one_inbox_file(served):
    before = inbox_files(served["inbox"])
    lines = [
        {"user_id": "u1", "ts": "2026-11-30T10:00:00", "event_type": "view", "item_id": "A1", "session_id": "s1"},
        {"user_id": "u2", "ts": "2026-11-30T10:05:00+01:00", "event_type": "add_to_cart"},
    ]
    body = "\n".join(json.dumps(line) for line in lines) + "\n"
    answer = served["client"].post("/v1/events", content=body)
    assert answer.status_code == 202, answer.text
    assert answer.json()["accepted"] == 2
    new = [path for path in inbox_files(served["inbox"]) if path not in before]
    assert [path.name for path in new] == [answer.json()["file"]]
    written = pd.read_csv(new[0], dtype=str, keep_default_na=False)
    assert written["user_id"].tolist() == ["u1", "u2"]
    assert written["ts"].tolist() == ["2026-11-30 10:00:00", "2026-11-30 09:05:00"]
    assert written["item_id"].tolist() == ["A1", ""]


def test_malformed_events_are_refused_whole(served):
    before = inbox_files(served["inbox"])
    body = "\n".join(
        [
            json.dumps({"user_id": "u1", "ts": "2026-11-30T10:00:00", "event_type": "view"}),
            "{not json",
            json.dumps({"user_id": "", "ts": "yesterday", "event_type": "view"}),
            json.dumps({"user_id": "u1", "ts": "2026-11-30T10:00:00", "event_type": "view", "emial": "x"}),
        ]
    )
    answer = served["client"].post("/v1/events", content=body)
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert [error["line"] for error in errors] == [2, 3, 4]
    assert "not JSON" in errors[0]["error"]
    assert "user_id" in errors[1]["error"] and "ts" in errors[1]["error"]
    assert "emial" in errors[2]["error"]
    assert inbox_files(served["inbox"]) == before


def test_oversized_bodies_and_too_many_lines_get_413(served):
    before = inbox_files(served["inbox"])
    line = json.dumps({"user_id": "u1", "ts": "2026-11-30T10:00:00", "event_type": "view"}) + "\n"
    too_big = line * (MAX_BODY_BYTES // len(line) + 1)
    assert served["client"].post("/v1/events", content=too_big).status_code == 413
    short = '{"a":1}\n' * (MAX_EVENT_LINES + 1)
    assert len(short) < MAX_BODY_BYTES
    answer = served["client"].post("/v1/events", content=short)
    assert answer.status_code == 413 and "10,000" in answer.json()["detail"]
    assert inbox_files(served["inbox"]) == before


def test_a_promotion_under_load_is_seen_whole(served):
    """Requests in a loop while snapshot v2 is published: every list is wholly v1's or wholly v2's."""
    serving = serving_folder(served["db"])
    write_snapshot(serving, "v2", USERS, run_id=2, members=MEMBERS, publish=False)
    seen: list[tuple[str, ...]] = []
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(base_url=served["url"], headers={"X-API-Key": served["key"]}) as client:
            while not stop.is_set():
                items = client.get("/v1/customers/u7/recommendations").json()["items"]
                seen.append(tuple(item["item_id"] for item in items))

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    point_current(serving, "v2")
    deadline = time.monotonic() + 15
    while not (seen and seen[-1] == tuple(item_list("v2", "u7", 10))) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)
    stop.set()
    for thread in threads:
        thread.join()
    whole = {tuple(item_list("v1", "u7", 10)), tuple(item_list("v2", "u7", 10))}
    assert set(seen) == whole
    first_new = seen.index(tuple(item_list("v2", "u7", 10)))
    assert seen[0] == tuple(item_list("v1", "u7", 10)) and first_new > 0
    assert httpx.get(f"{served['url']}/healthz").json() == {"status": "ok", "snapshot": "v2", "run_id": 2}


def test_no_snapshot_yet_answers_503(tmp_path):
    serving = tmp_path / "shop.duckdb.serving"
    serving.mkdir()
    record = keys.KeyRecord(1, "t", "abcdefgh", keys.hash_key("secret-key", "salt"), "salt", False)
    (serving / KEYS).write_text(json.dumps([record.__dict__]))
    client = TestClient(create_app(serving))
    answer = client.get("/v1/customers/u1/recommendations", headers={"X-API-Key": "secret-key"})
    assert answer.status_code == 503 and answer.json()["detail"] == NO_SNAPSHOT
    assert client.get("/healthz").json() == {"status": "ok", "snapshot": None, "run_id": None}
    no_inbox = client.post("/v1/events", content="{}", headers={"X-API-Key": "secret-key"})
    assert no_inbox.status_code == 503 and "--inbox" in no_inbox.json()["detail"]


def test_a_refresh_runs_beside_the_service_and_imports_posted_events(served):
    """The service holds no lock on the warehouse: a CLI refresh imports the posted events while it serves."""
    event = {"user_id": "api-user-1", "ts": "2026-11-30T11:00:00", "event_type": "view", "item_id": "A1"}
    assert served["client"].post("/v1/events", content=json.dumps(event)).status_code == 202
    waiting = inbox_files(served["inbox"])
    rows = sum(len(pd.read_csv(path)) for path in waiting)
    refreshed = retention_cli("refresh", "--db", served["db"], "--inbox", str(served["inbox"]))
    assert refreshed.returncode == 0, refreshed.stdout + refreshed.stderr
    assert f"loaded {len(waiting)} file(s), {rows} rows" in refreshed.stdout
    with warehouse.session(served["db"]) as con:
        count = con.execute("SELECT count(*) FROM events WHERE user_id = 'api-user-1'").fetchone()[0]
    assert count == 1
    assert not inbox_files(served["inbox"])
    assert served["client"].get("/v1/customers/u5/recommendations").status_code == 200


def test_the_openapi_page_documents_every_endpoint_and_the_key(served):
    document = httpx.get(f"{served['url']}/openapi.json").json()
    assert set(document["paths"]) >= {
        "/v1/customers/{customer_id}/recommendations",
        "/v1/customers/{customer_id}/risk",
        "/v1/campaigns/{campaign_id}/customers/{customer_id}",
        "/v1/events",
        "/healthz",
        "/metrics",
    }
    operation = document["paths"]["/v1/customers/{customer_id}/recommendations"]["get"]
    assert operation["security"] == [{"bearer": []}, {"apiKey": []}]
    assert "security" not in document["paths"]["/healthz"]["get"]
    assert httpx.get(f"{served['url']}/docs").status_code == 200


def test_every_endpoint_against_a_promoted_run_of_the_sample_warehouse(scored_db, tmp_path):
    """The real publisher: a saved run promoted by the CLI, served, checked against its snapshot and the warehouse."""
    from retention.recommend import evaluate, runs

    db = str(tmp_path / "shop.duckdb")
    shutil.copy(scored_db, db)
    with warehouse.session(db, write=True) as con:
        run_id = runs.save_run(con, evaluate.evaluate_model("popularity", evaluate.time_split(con), k=5))
    assert retention_cli("recommenders", "promote", str(run_id), "--k", "5", "--db", db).returncode == 0
    key = retention_cli("api-key", "create", "--name", "storefront", "--db", db).stdout.strip()
    with warehouse.session(db) as con:
        scores = con.execute("SELECT user_id, risk FROM scores ORDER BY user_id").df()
    serving = serving_folder(db)
    published = pd.read_parquet(serving / (serving / "CURRENT").read_text().strip() / "recommendations.parquet")
    known = published["user_id"].iloc[0]
    expected = published[published["user_id"] == known].sort_values("rank")["item_id"].tolist()
    headers = {"Authorization": f"Bearer {key}"}
    with running_service(db, tmp_path / "inbox", tmp_path / "serve.log") as url:
        body = httpx.get(f"{url}/v1/customers/{known}/recommendations", params={"k": 5}, headers=headers).json()
        assert body["source"] == "model" and body["run_id"] == run_id
        assert [item["item_id"] for item in body["items"]] == expected
        unknown = httpx.get(f"{url}/v1/customers/not-a-customer/recommendations", headers=headers).json()
        assert unknown["source"] == "cold_start" and len(unknown["items"]) == 5
        scored = scores["user_id"].iloc[0]
        risk = httpx.get(f"{url}/v1/customers/{scored}/risk", headers=headers)
        assert risk.json()["risk"] == pytest.approx(scores["risk"].iloc[0])
        assert "@" not in risk.text
