"""The sizing calculator's arithmetic: message rates of a fleet, cores per process, instances, partitions,
and the check of a prediction against an event benchmark run."""

from __future__ import annotations

import json
from pathlib import Path

from bench.sizing import Costs, Fleet, check, plan, rates, report
from bench.sizing_measure import DEFAULT_COSTS

COSTS = Costs(
    cpu_ms={
        "poll_cached": {"gateway": 0.2, "kafka": 0.01},
        "poll_forwarded": {"gateway": 1.0, "registration_svc": 0.5, "kafka": 0.5, "postgres": 0.2},
        "registration": {"gateway": 2.0, "registration_svc": 2.0, "postgres": 1.0},
        "event_delivery": {"gateway": 0.3, "event_svc": 0.1, "registration_svc": 0.1, "kafka": 0.2},
        "event_answer": {"gateway": 0.5, "event_svc": 0.3, "kafka": 0.3, "postgres": 0.1},
        "report_interval": {"gateway": 0.6, "report_svc": 0.3, "kafka": 0.2, "postgres": 0.1},
    },
    transactions={"poll_forwarded": 0.0, "registration": 3.0, "event_answer": 0.01, "report_interval": 0.01},
    idle_cores={"kafka": 0.1},
    source="test costs",
)


def test_a_fleet_makes_polls_forwarded_once_per_cache_lifetime_reports_and_a_dispatch_in_one_poll_interval() -> None:
    load = rates(Fleet(vens=60_000, poll_seconds=10, report_seconds=60, cache_seconds=60, storm_minutes=10))
    assert load["steady"] == {"poll_cached": 5_000, "poll_forwarded": 1_000, "report_interval": 1_000}
    assert load["dispatch"]["event_delivery"] == load["dispatch"]["event_answer"] == 6_000
    assert load["storm"]["registration"] == 100
    assert rates(Fleet(vens=100, poll_seconds=1, report_seconds=0, answers=False))["dispatch"]["event_answer"] == 0


def test_cores_follow_the_costs_and_instances_keep_each_under_its_share_of_a_core() -> None:
    fleet = Fleet(vens=60_000, poll_seconds=10, report_seconds=60, instance_share=0.5)
    result = plan(fleet, COSTS)
    # steady: 5,000 cached polls x 0.2 ms + 1,000 forwarded x 1.0 ms + 1,000 intervals x 0.6 ms
    assert round(result.moments["steady"]["gateway"], 3) == 2.6
    assert round(result.moments["dispatch"]["gateway"], 3) == 2.6 + 6.0 * 0.8
    assert result.instances["gateway"] == 15  # 7.4 cores at the dispatch / half a core each
    assert result.partitions == 32  # twice the most instances, a power of two
    assert round(result.transactions_per_second["dispatch"], 1) == 10 + 60
    assert "| gateway | 2.60 | 7.40 |" in report(fleet, COSTS, result)


def test_the_measured_costs_shipped_load_and_plan() -> None:
    costs = Costs.load(DEFAULT_COSTS)
    result = plan(Fleet(vens=100_000, poll_seconds=10, report_seconds=60), costs)
    assert all(count >= 1 for count in result.instances.values()) and result.partitions >= 4
    assert set(costs.cpu_ms) >= {"poll_cached", "poll_forwarded", "registration", "event_delivery", "event_answer"}


def test_a_check_compares_a_benchmark_phase_with_the_prediction(tmp_path: Path) -> None:
    run = {
        "target": "this VTN",
        "phase": "create",
        "vens": 1000,
        "events": 1,
        "poll_seconds": 1.0,
        "call_seconds": 0.5,
        "delivered_seconds": 1.0,
        "answered_seconds": 1.5,
        "answers": 1000,
        "cpu_seconds": {"gateway": 1.5, "event_svc": 0.6},
        "idle_cpu_seconds": {"gateway": 0.4},
    }
    path = tmp_path / "run.json"
    path.write_text(json.dumps([[run]]))
    lines = check(COSTS, path).splitlines()
    gateway = next(line for line in lines if line.startswith("| gateway |"))
    # polling: 1,000 polls/s for 2 s, 983 cached x 0.2 ms + 17 forwarded x 1 ms; the phase: 1,000 x (0.3 + 0.5) ms
    assert gateway == "| gateway | 0.43 | 0.40 | 0.80 | 1.10 |"
