"""The HTTP API: recommendations, risk and campaign arms of one customer, and events into the refresh inbox.

Every answer comes from the serving snapshot (:mod:`retention.serve.snapshot`), taken once per request, so a
request answers from one snapshot whole even while a new one is published. Data endpoints need an API key
(``Authorization: Bearer KEY`` or ``X-API-Key: KEY``); ``/healthz`` and ``/metrics`` do not, as a load balancer and
Prometheus call them. No email, phone or name is ever in an answer: the snapshot's tables hold none.
"""

from __future__ import annotations

import os
import time
from datetime import UTC
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field

from retention.serve import events as posted_events
from retention.serve.keys import KeyRing
from retention.serve.metrics import RequestMetrics, gauge
from retention.serve.snapshot import NoSnapshotError, Snapshot, SnapshotWatcher

API_VERSION = "v1"
MAX_BODY_BYTES = 1024 * 1024
MAX_EVENT_LINES = 10_000
MAX_K = 50
NO_SNAPSHOT = "no snapshot yet: promote a run (python -m retention recommenders promote RUN_ID)"
UNAUTHORIZED = (
    "a valid API key is needed: send it as 'Authorization: Bearer KEY' or 'X-API-Key: KEY' "
    "(create one with python -m retention api-key create --name NAME)"
)
RISK_FIELDS = ("as_of", "horizon_days", "model_version", "risk", "value", "reasons")
MEMBER_FIELDS = ("arm", "channel", "recommended_items")
CustomerId = Annotated[str, PathParam(min_length=1, max_length=200, description="the shop's customer id")]
ListLength = Annotated[int, Query(ge=1, le=MAX_K, description="list length")]


class RecommendedItem(BaseModel):
    rank: int = Field(description="1 = first shown")
    item_id: str
    title: str
    score: float | None = Field(description="the model's score; null on the cold-start list")


class RecommendationList(BaseModel):
    customer_id: str
    source: Literal["model", "cold_start"] = Field(description="model: the promoted run knows the customer")
    run_id: int | None = Field(description="the promoted recommender run")
    items: list[RecommendedItem]


def create_app(folder: str | os.PathLike, *, inbox: str | os.PathLike | None = None) -> FastAPI:
    """The API over the serving folder ``folder`` (see :mod:`retention.serve`); ``inbox``: where posted events go
    (None: ``POST /v1/events`` answers 503)."""
    folder = Path(folder)
    watcher = SnapshotWatcher(folder)
    keyring = KeyRing(folder)
    metrics = RequestMetrics()
    app = FastAPI(
        title="Retention Studio API",
        version=API_VERSION,
        description="Recommendations, churn risk and campaign arms of a shop's customers, from the promoted "
        "snapshot; behaviour events into the next refresh. Send the key as `Authorization: Bearer KEY`.",
    )

    app.add_middleware(_KeyRequired, keyring=keyring, prefix=f"/{API_VERSION}/")
    app.add_middleware(_Measured, metrics=metrics)

    def serving() -> Snapshot | None:
        try:
            return watcher.get()
        except NoSnapshotError:
            return None

    def snapshot() -> Snapshot:
        current = serving()
        if current is None:
            raise HTTPException(503, NO_SNAPSHOT)
        return current

    serving()  # load the snapshot now rather than in the first request

    v1 = APIRouter(prefix=f"/{API_VERSION}")

    @v1.get("/customers/{customer_id}/recommendations", summary="Top-k items for one customer")
    async def recommendations(customer_id: CustomerId, k: ListLength = 10) -> RecommendationList:
        """The promoted run's top-k for a customer it knows (``source`` = ``model``); the cold-start list for one
        it does not (``source`` = ``cold_start``). Items: rank, item_id, title, score."""
        current = snapshot()
        items, source = current.recommendations(customer_id, k)
        return {
            "customer_id": customer_id,
            "source": source,
            "run_id": current.manifest.get("run_id"),
            "items": items,
        }

    @v1.get("/customers/{customer_id}/risk", summary="Latest churn risk of one customer, with reasons")
    async def risk(customer_id: CustomerId) -> dict:
        """Risk (probability of no order within ``horizon_days``), as_of, model_version, value and the reasons
        in words, from the latest scoring; 404 when the customer was not scored."""
        found = snapshot().risk(customer_id)
        if found is None:
            raise HTTPException(404, f"customer {customer_id!r} was not scored in the latest scoring")
        return {"customer_id": customer_id, **{field: found.get(field) for field in RISK_FIELDS}}

    @v1.get("/campaigns/{campaign_id}/customers/{customer_id}", summary="A customer's arm in a campaign")
    async def campaign_member(campaign_id: int, customer_id: CustomerId) -> dict:
        """The customer's arm (``control`` included: do not contact), channel and the arm's recommended items;
        404 when the customer is not in the campaign."""
        found = snapshot().campaign_member(campaign_id, customer_id)
        if found is None:
            raise HTTPException(404, f"customer {customer_id!r} is not in campaign {campaign_id}")
        member = {field: found.get(field) for field in MEMBER_FIELDS}
        return {"campaign_id": campaign_id, "customer_id": customer_id, **member, "contact": member["arm"] != "control"}

    @v1.post("/events", summary="Append behaviour events (JSON lines) to the refresh inbox", status_code=202)
    async def post_events(request: Request) -> JSONResponse:
        """Body: one JSON event a line (user_id, ts, event_type, item_id?, session_id?), at most 1 MiB and 10,000
        lines. All valid: written as one file the next refresh imports (202). Any invalid: 422 with each bad
        line's error, nothing written."""
        if inbox is None:
            raise HTTPException(503, "this service takes no events: start it with --inbox DIR")
        body = await _limited_body(request)
        lines = body.count(b"\n") + (0 if body.endswith(b"\n") or not body else 1)
        if lines > MAX_EVENT_LINES:
            raise HTTPException(413, f"{lines} lines: send at most {MAX_EVENT_LINES:,} events a request")
        accepted, errors = posted_events.parse_batch(body)
        if errors:
            detail = [{"line": error.line, "error": error.error} for error in errors[:100]]
            return JSONResponse({"detail": "no event was taken", "invalid_lines": len(errors), "errors": detail}, 422)
        if not accepted:
            raise HTTPException(422, "the body holds no event: send one JSON object a line")
        written = posted_events.write_batch(inbox, accepted)
        return JSONResponse({"accepted": len(accepted), "file": written.name}, 202)

    app.include_router(v1)
    app.openapi = lambda: _openapi_with_keys(app)

    @app.get("/healthz", summary="Liveness, and whether a snapshot serves")
    async def healthz() -> dict:
        """``snapshot``: the serving snapshot folder's name (None before any promotion); ``run_id``: the run it
        serves (None when demoted)."""
        current = serving()
        if current is None:
            return {"status": "ok", "snapshot": None, "run_id": None}
        return {"status": "ok", "snapshot": current.name, "run_id": current.manifest.get("run_id")}

    @app.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
    async def prometheus() -> PlainTextResponse:
        lines = metrics.exposition()
        current = serving()
        if current is not None:
            lines += _snapshot_gauges(current.manifest)
        return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")

    return app


def _openapi_with_keys(app: FastAPI) -> dict:
    """FastAPI's OpenAPI document with the two ways to send a key declared on every ``/v1`` operation."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer"},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        }
        for path, operations in schema["paths"].items():
            if path.startswith(f"/{API_VERSION}/"):
                for operation in operations.values():
                    operation["security"] = [{"bearer": []}, {"apiKey": []}]
        app.openapi_schema = schema
    return app.openapi_schema


class _KeyRequired:
    """ASGI middleware: a request under ``prefix`` without a valid key (``Authorization: Bearer KEY`` or
    ``X-API-Key: KEY``) is answered 401 before any route runs."""

    def __init__(self, app, keyring: KeyRing, prefix: str) -> None:
        self.app = app
        self.keyring = keyring
        self.prefix = prefix

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            key = _sent_key(scope["headers"])
            if not key or self.keyring.verify(key) is None:
                await JSONResponse({"detail": UNAUTHORIZED}, 401, {"WWW-Authenticate": "Bearer"})(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _sent_key(headers: list[tuple[bytes, bytes]]) -> str:
    """The key of ``Authorization: Bearer KEY`` or else ``X-API-Key: KEY``; empty when neither is sent."""
    bearer = api_header = ""
    for name, value in headers:
        if name == b"authorization":
            text = value.decode("latin-1")
            if text[:7].lower() == "bearer ":
                bearer = text[7:].strip()
        elif name == b"x-api-key":
            api_header = value.decode("latin-1").strip()
    return bearer or api_header


class _Measured:
    """ASGI middleware: each HTTP request's endpoint (its route template), status and seconds into ``metrics``;
    requests answered before routing (401 without a key, unknown paths) count under the endpoint ``unmatched``."""

    def __init__(self, app, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            endpoint = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.observe(endpoint, scope["method"], status, time.perf_counter() - started)


async def _limited_body(request: Request) -> bytes:
    """The request body, refused with 413 once it passes :data:`MAX_BODY_BYTES` (declared or sent)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(413, f"the body has {int(declared):,} bytes: send at most {MAX_BODY_BYTES:,}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise HTTPException(413, f"the body passes {MAX_BODY_BYTES:,} bytes: send fewer events a request")
        chunks.append(chunk)
    return b"".join(chunks)


def _snapshot_gauges(manifest: dict) -> list[str]:
    """The served run and scoring (an info gauge of value 1) and the data's age in seconds."""
    served = {
        "run_id": manifest.get("run_id"),
        "model": manifest.get("model"),
        "scores_as_of": manifest.get("scores_as_of"),
    }
    lines = gauge("retention_served_info", "The promoted recommender run and the scoring served.", 1, served)
    data_as_of = manifest.get("data_as_of")
    if data_as_of:
        newest = pd.Timestamp(data_as_of)
        newest = newest.tz_localize(UTC) if newest.tzinfo is None else newest
        age = (pd.Timestamp.now(UTC) - newest).total_seconds()
        lines += gauge("retention_data_age_seconds", "Seconds since the newest order in the served snapshot.", age)
    return lines
