"""Simulating a campaign as a job (see :mod:`retention.jobs`): its kind, parameters, the work with its progress,
and the result it records.

The Campaigns page runs the simulation (the Monte Carlo of the planned members and the comparison of every
targeting strategy across campaign sizes) as a job of the server, and ``campaign simulate`` records its run the
same way. The parameters are the config and the data version the audience is read at, so a finished job of the
same parameters is the simulation of the warehouse as it is: a reload, a second browser or a restarted server
shows its result from the job's row without simulating again.

The result holds the summary, the break-even uplifts and the strategy comparison (a few dozen rows), and of the
per-draw totals only the net value, to the cent: it is all the page's histogram reads, and the other metrics'
draws would make the row five times larger (10,000 draws of net value are about 100 kB of JSON).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pandas as pd

from retention import jobs, warehouse
from retention.campaigns.audience import describe_scoring, select_audience
from retention.campaigns.config import CampaignConfig, config_to_dict
from retention.campaigns.plan import plan_members
from retention.campaigns.simulate import Simulation, simulate
from retention.campaigns.strategies import compare_strategies

KIND = "campaign_simulation"
KEPT_DRAWS = ["net_value"]


@dataclass(frozen=True)
class SimulationRun:
    """What the simulation job computes.

    audience: customers in the audience; members: customers planned (arms and control); scoring: the churn
    scoring the audience comes from, in words (see :func:`~retention.campaigns.audience.describe_scoring`); simulation: see
    :class:`~retention.campaigns.simulate.Simulation` (read back from a job's row, its ``draws`` hold only
    ``net_value``); comparison: see :func:`~retention.campaigns.strategies.compare_strategies`.
    """

    audience: int
    members: int
    scoring: str
    simulation: Simulation
    comparison: pd.DataFrame


def job_params(config: CampaignConfig, data_version: str) -> dict[str, object]:
    """The job's parameters: the config (its JSON form) and the ``data_version`` the audience is read at."""
    return {"config": config_to_dict(config), "data_version": data_version}


def run_simulation(path: str | os.PathLike, config: CampaignConfig, progress: jobs.Progress) -> SimulationRun:
    """Select the audience, plan the members, simulate them (one step per arm) and every targeting strategy
    across campaign sizes. The warehouse is read first, in a session closed before the simulation."""
    progress(0.0, "Selecting the audience")
    with warehouse.session(path) as con:
        audience = select_audience(con, config.audience)
    members = plan_members(audience, config)

    def simulated(done: int, total: int) -> None:
        progress(0.1 + 0.4 * done / total, f"Simulated arm {done} of {total} ({config.draws:,} draws)")

    simulation = simulate(members, config, progress=simulated)
    progress(0.5, "Comparing the targeting strategies across campaign sizes")
    comparison = compare_strategies(audience, config)
    return SimulationRun(len(audience), len(members), describe_scoring(audience), simulation, comparison)


def job_result(run: SimulationRun) -> dict[str, object]:
    """What a simulation job records (see the module docstring)."""
    return {
        "audience": int(run.audience),
        "members": int(run.members),
        "scoring": run.scoring,
        "summary": jobs.frame_json(run.simulation.summary),
        "break_even": jobs.frame_json(run.simulation.break_even),
        "draws": {column: run.simulation.draws[column].round(2).tolist() for column in KEPT_DRAWS},
        "comparison": jobs.frame_json(run.comparison),
    }


def from_result(result: dict[str, Any]) -> SimulationRun:
    """The :class:`SimulationRun` a job recorded (see :func:`job_result`)."""
    simulation = Simulation(
        summary=jobs.json_frame(result["summary"]),
        break_even=jobs.json_frame(result["break_even"]),
        draws=pd.DataFrame(result["draws"], dtype="float64"),
    )
    return SimulationRun(
        int(result["audience"]),
        int(result["members"]),
        result["scoring"],
        simulation,
        jobs.json_frame(result["comparison"]),
    )
