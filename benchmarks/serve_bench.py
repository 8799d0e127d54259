"""Throughput and latency of ``GET /v1/customers/{id}/recommendations`` over 1M customers, beside the stack's floor.

It writes a synthetic serving folder straight with numpy and pyarrow (``--customers`` customers, ``--k`` items each,
a cold-start list, empty risk and campaign tables, one API key), starts ``python -m retention serve`` on it, and
beside it a bare FastAPI app under uvicorn whose one endpoint returns a constant list of the same size and shape
(the floor: what FastAPI, uvicorn and JSON cost on this machine). A bounded asyncio loop of httpx clients
(``--concurrency`` requests in flight, each for a random known customer, with the key) loads each server for
``--seconds`` in all, in ``--rounds`` short rounds that alternate between the two servers (so that other work on
a shared machine falls on both alike), from this same machine. It reports requests per second and
p50/p99 latency (ms, from send to full body) of each, and the ratio; the issue's goal is at least half the floor's
throughput with p99 under 20 ms. Load generator and server share the machine's cores, so the figures are a floor
for both. Run: ``.venv/bin/python benchmarks/serve_bench.py [--customers 1000000] [--seconds 10] [--out f.json]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retention.serve import CURRENT, KEYS, serving_folder  # noqa: E402
from retention.serve.keys import KeyRecord, hash_key  # noqa: E402

BENCH_KEY = "bench-key-not-secret"
SEED = 17


def customer_id(number: int) -> str:
    return f"c{number:07d}"


def write_serving_folder(folder: Path, customers: int, k: int, items: int = 50_000) -> None:
    """A snapshot of ``customers`` customers with ``k`` random items each, and ``keys.json`` with one key."""
    rng = np.random.default_rng(SEED)
    snapshot = folder / "bench"
    snapshot.mkdir(parents=True)
    users = np.repeat(np.array([customer_id(n) for n in range(customers)], dtype=object), k)
    item_numbers = rng.integers(0, items, size=customers * k)
    item_ids = np.char.add("I", item_numbers.astype(str)).astype(object)
    recommendations = pa.table(
        {
            "user_id": users,
            "rank": np.tile(np.arange(1, k + 1, dtype=np.int64), customers),
            "item_id": item_ids,
            "title": np.char.add("Product ", item_numbers.astype(str)).astype(object),
            "score": np.tile(np.linspace(1.0, 0.1, k), customers),
        }
    )
    pq.write_table(recommendations, snapshot / "recommendations.parquet")
    pq.write_table(
        pa.table({"rank": list(range(1, k + 1)), "item_id": [f"P{n}" for n in range(k)], "title": ["Popular"] * k}),
        snapshot / "cold_start.parquet",
    )
    risk = {"user_id": [], "as_of": [], "horizon_days": [], "model_version": [], "risk": [], "value": []}
    risk_schema = pa.schema(
        [("user_id", pa.string()), ("as_of", pa.timestamp("us")), ("horizon_days", pa.int64())]
        + [("model_version", pa.string()), ("risk", pa.float64()), ("value", pa.float64())]
        + [("reasons", pa.list_(pa.string()))]
    )
    pq.write_table(pa.table({**risk, "reasons": []}, schema=risk_schema), snapshot / "risk.parquet")
    campaign_schema = pa.schema(
        [("campaign_id", pa.int64()), ("user_id", pa.string()), ("arm", pa.string()), ("channel", pa.string())]
        + [("recommended_items", pa.list_(pa.string()))]
    )
    pq.write_table(campaign_schema.empty_table(), snapshot / "campaigns.parquet")
    manifest = {"run_id": 1, "model": "synthetic", "k": k, "promoted_at": None, "scores_as_of": None}
    (snapshot / "manifest.json").write_text(json.dumps({**manifest, "data_as_of": None, "created_at": None}))
    (folder / CURRENT).write_text("bench\n")
    record = KeyRecord(1, "bench", BENCH_KEY[:8], hash_key(BENCH_KEY, "salt"), "salt", False)
    (folder / KEYS).write_text(json.dumps([record.__dict__]))


def floor_app(k: int):
    """A bare FastAPI app: one endpoint returning a constant list shaped as the service's answer."""
    from fastapi import FastAPI

    app = FastAPI()
    items = [{"rank": r, "item_id": f"I{r}", "title": f"Product {r}", "score": 1.0 - r / 100} for r in range(1, k + 1)]
    answer = {"customer_id": "c0000001", "source": "model", "run_id": 1, "items": items}

    @app.get("/v1/customers/{customer_id}/recommendations")
    async def recommendations(customer_id: str) -> dict:
        return answer

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    return app


def start(command: list[str], port: int, timeout: float = 600) -> subprocess.Popen:
    """Start a server process and wait until ``/healthz`` answers on ``port``."""
    import httpx

    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.5)
    process.kill()
    raise TimeoutError(f"no answer on port {port} within {timeout} s")


async def load(url: str, customers: int, concurrency: int, seconds: float, warmup: float) -> tuple[list[float], int]:
    """``concurrency`` loops of requests for random customers for ``seconds`` (after ``warmup``); the latencies in
    seconds of the answers that came back whole, and the number of failures."""
    import httpx

    rng = np.random.default_rng(SEED)
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": BENCH_KEY}, limits=limits) as client:
        started = time.perf_counter()
        measure_from = started + warmup
        stop_at = measure_from + seconds

        async def worker() -> None:
            nonlocal failures
            while (now := time.perf_counter()) < stop_at:
                customer = customer_id(int(rng.integers(customers)))
                response = await client.get(f"/v1/customers/{customer}/recommendations")
                done = time.perf_counter()
                if now >= measure_from:
                    if response.status_code == 200 and response.json()["items"]:
                        latencies.append(done - now)
                    else:
                        failures += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, failures


def figures(latencies: list[float], failures: int, seconds: float) -> dict:
    milliseconds = np.array(latencies) * 1000
    return {
        "requests": len(latencies),
        "failures": failures,
        "requests_per_second": round(len(latencies) / seconds, 1),
        "p50_ms": round(float(np.percentile(milliseconds, 50)), 2),
        "p99_ms": round(float(np.percentile(milliseconds, 99)), 2),
    }


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure(servers: dict[str, list[str]], args: argparse.Namespace) -> dict:
    """Start every server, then load them in turn, ``--rounds`` short rounds each, interleaved: on a shared machine
    a burst of other work then falls on both sides alike rather than on one whole measurement."""
    ports = {name: free_port() for name in servers}
    processes, ready = {}, {}
    try:
        for name, command in servers.items():
            started = time.perf_counter()
            processes[name] = start([*command, "--port", str(ports[name])], ports[name])
            ready[name] = round(time.perf_counter() - started, 1)
        seen = {name: ([], 0) for name in servers}
        per_round = args.seconds / args.rounds
        for _ in range(args.rounds):
            for name in servers:
                url = f"http://127.0.0.1:{ports[name]}"
                latencies, failures = asyncio.run(load(url, args.customers, args.concurrency, per_round, 0.5))
                seen[name] = (seen[name][0] + latencies, seen[name][1] + failures)
    finally:
        for process in processes.values():
            process.terminate()
            process.wait(timeout=30)
    return {name: {**figures(*seen[name], args.seconds), "ready_seconds": ready[name]} for name in servers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per server (default: 5)")
    parser.add_argument("--out", default=None)
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)  # be the floor server on --port
    parser.add_argument("--port", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        import uvicorn

        uvicorn.run(floor_app(args.k), host="127.0.0.1", port=args.port, log_level="warning", access_log=False)
        return
    with tempfile.TemporaryDirectory() as temporary:
        db = Path(temporary) / "bench.duckdb"
        written = time.perf_counter()
        write_serving_folder(serving_folder(db), args.customers, args.k)
        print(f"serving folder of {args.customers:,} customers written in {time.perf_counter() - written:.1f} s")
        measured = measure(
            {
                "floor": [sys.executable, __file__, "--k", str(args.k), "--floor"],
                "service": [sys.executable, "-m", "retention", "serve", "--db", str(db)],
            },
            args,
        )
    floor, service = measured["floor"], measured["service"]
    summary = {
        "customers": args.customers,
        "k": args.k,
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "cpus": os.cpu_count(),
        "floor": floor,
        "service": service,
        "throughput_ratio": round(service["requests_per_second"] / floor["requests_per_second"], 2),
    }
    print(json.dumps(summary, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
