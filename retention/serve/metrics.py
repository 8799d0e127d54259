"""Request counts and latency histograms per endpoint, written in Prometheus's text exposition format (0.0.4).

Written here rather than with ``prometheus_client``: the few series the service needs are a dozen lines, and the
service then depends only on FastAPI and uvicorn.
"""

from __future__ import annotations

import threading
from collections import defaultdict

# Seconds: the service answers from memory, so most requests fall in the first buckets.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


def _label(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class RequestMetrics:
    """Counts of requests per (endpoint, method, status) and a latency histogram per endpoint; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, int], int] = defaultdict(int)
        self._buckets: dict[str, list[int]] = {}
        self._sums: dict[str, float] = defaultdict(float)

    def observe(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        """Record one request to ``endpoint`` (its route template, e.g. ``/v1/customers/{customer_id}/risk``)."""
        with self._lock:
            self._counts[(endpoint, method, status)] += 1
            counts = self._buckets.setdefault(endpoint, [0] * (len(BUCKETS) + 1))
            for index, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[index] += 1
                    break
            else:
                counts[-1] += 1
            self._sums[endpoint] += seconds

    def exposition(self) -> list[str]:
        """The lines of ``retention_requests_total`` and ``retention_request_seconds``."""
        with self._lock:
            counts = dict(self._counts)
            buckets = {endpoint: list(values) for endpoint, values in self._buckets.items()}
            sums = dict(self._sums)
        lines = [
            "# HELP retention_requests_total Requests answered, by endpoint, method and status.",
            "# TYPE retention_requests_total counter",
        ]
        for (endpoint, method, status), count in sorted(counts.items()):
            labels = f'endpoint="{_label(endpoint)}",method="{method}",status="{status}"'
            lines.append(f"retention_requests_total{{{labels}}} {count}")
        lines += [
            "# HELP retention_request_seconds Time to answer a request, by endpoint.",
            "# TYPE retention_request_seconds histogram",
        ]
        for endpoint, values in sorted(buckets.items()):
            name = _label(endpoint)
            cumulative = 0
            for bound, count in zip((*BUCKETS, "+Inf"), values, strict=True):
                cumulative += count
                lines.append(f'retention_request_seconds_bucket{{endpoint="{name}",le="{bound}"}} {cumulative}')
            lines.append(f'retention_request_seconds_sum{{endpoint="{name}"}} {sums[endpoint]:.6f}')
            lines.append(f'retention_request_seconds_count{{endpoint="{name}"}} {cumulative}')
        return lines


def gauge(name: str, help_text: str, value: float, labels: dict[str, object] | None = None) -> list[str]:
    """The lines of one gauge with one sample."""
    text = ",".join(f'{key}="{_label(val)}"' for key, val in (labels or {}).items())
    return [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name}{{{text}}} {value:g}"]
