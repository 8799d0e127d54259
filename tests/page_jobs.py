"""A user who waits: page tests whose page shows a job of the server (a forecast, a simulation) run it again
once the job has ended."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from retention import jobs

WAIT = 240.0


def settled(at: AppTest, path: str) -> AppTest:
    """``at`` once no job it showed runs: waits for each running job of ``path``, then reruns the page."""
    for _ in range(5):
        if not at.get("progress"):
            return at
        for job_id in jobs.recent(path).query("status == 'running'")["job_id"]:
            jobs.wait(path, int(job_id), timeout=WAIT)
        at.run()
    raise AssertionError("the page kept showing a running job")
