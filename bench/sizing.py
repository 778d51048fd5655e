"""How many of each process a fleet needs: the sizing guide's calculator (docs/sizing.md).

    python -m bench.sizing --vens 100000 --poll-seconds 10 --report-seconds 60
    python -m bench.sizing --vens 10000 --poll-seconds 10 --check event-bench.json

From what each kind of message costs each process (measured by `python -m bench.sizing_measure`, kept in
bench/sizing_costs.json), the message rates a fleet makes, and three moments (steady polling and reporting;
a dispatch reaching the fleet within one poll interval; every VEN registering again after an outage), it
prints the CPU cores each process needs, the instances of each service, Kafka's partitions and PostgreSQL's
load. `--check FILE` compares its prediction with a run of `python -m bench.event_bench --json FILE`.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.sizing_measure import DEFAULT_COSTS

SERVICES = ("gateway", "registration_svc", "event_svc", "report_svc", "presence_svc")
SHARED = ("kafka", "postgres")
POOL_CONNECTIONS = 10  # VTN_DATABASE_POOL_MAX's default: each instance opens at most this many


@dataclass(frozen=True)
class Fleet:
    vens: int
    poll_seconds: float
    report_seconds: float  # 0: no VEN reports
    reporting_share: float = 1.0
    intervals_per_report: int = 1
    dispatch_share: float = 1.0  # of the fleet one dispatch reaches
    answers: bool = True  # the events require oadrCreatedEvent
    cache_seconds: float = 60.0  # VTN_POLL_CACHE_TTL_SECONDS
    storm_minutes: float = 30.0  # every VEN registers again within this long after an outage
    instance_share: float = 0.6  # of one core an instance of a service should use at its peak


@dataclass(frozen=True)
class Costs:
    """CPU milliseconds per message by process label, PostgreSQL transactions per message, idle CPU."""

    cpu_ms: dict[str, dict[str, float]]
    transactions: dict[str, float]
    idle_cores: dict[str, float]
    source: str

    @classmethod
    def load(cls, path: Path) -> Costs:
        data: dict[str, Any] = json.loads(path.read_text())
        phases = data["phases"]
        return cls(
            cpu_ms={name: dict(phase["cpu_ms"]) for name, phase in phases.items()},
            transactions={name: float(phase["pg_transactions"]) for name, phase in phases.items()},
            idle_cores={label: percent / 100 for label, percent in data["idle_cpu_percent"].items()},
            source=f"{data['command']} on {data['measured_on']} ({data['machine']}, {data['vens']} VENs)",
        )


def rates(fleet: Fleet) -> dict[str, dict[str, float]]:
    """Messages per second of each kind, at each moment."""
    polls = fleet.vens / fleet.poll_seconds
    # A VEN's cached answer expires every cache_seconds: its next poll goes to registration_svc.
    polls_per_entry = max(1, math.ceil(fleet.cache_seconds / fleet.poll_seconds)) if fleet.cache_seconds > 0 else 1
    forwarded = polls / polls_per_entry
    reporting = fleet.vens * fleet.reporting_share * fleet.intervals_per_report
    reports = reporting / fleet.report_seconds if fleet.report_seconds else 0.0
    steady = {"poll_cached": polls - forwarded, "poll_forwarded": forwarded, "report_interval": reports}
    reached = fleet.vens * fleet.dispatch_share / fleet.poll_seconds  # every VEN reached within one poll interval
    dispatch = {**steady, "event_delivery": reached, "event_answer": reached if fleet.answers else 0.0}
    storm = {**steady, "registration": fleet.vens / (fleet.storm_minutes * 60)}
    return {"steady": steady, "dispatch": dispatch, "storm": storm}


def cores(costs: Costs, load: dict[str, float]) -> dict[str, float]:
    """CPU cores each process label needs for `load` (messages per second by kind), idle CPU included."""
    labels = set(costs.idle_cores) | {label for by_label in costs.cpu_ms.values() for label in by_label}
    return {
        label: costs.idle_cores.get(label, 0.0)
        + sum(per_second * costs.cpu_ms.get(kind, {}).get(label, 0.0) / 1000 for kind, per_second in load.items())
        for label in sorted(labels)
    }


def transactions(costs: Costs, load: dict[str, float]) -> float:
    return sum(per_second * costs.transactions.get(kind, 0.0) for kind, per_second in load.items())


@dataclass(frozen=True)
class Plan:
    moments: dict[str, dict[str, float]]  # moment -> label -> cores
    instances: dict[str, int]
    partitions: int
    transactions_per_second: dict[str, float]
    rates: dict[str, dict[str, float]]


def plan(fleet: Fleet, costs: Costs) -> Plan:
    load = rates(fleet)
    moments = {moment: cores(costs, by_kind) for moment, by_kind in load.items()}
    instances = {
        service: max(1, math.ceil(max(m.get(service, 0.0) for m in moments.values()) / fleet.instance_share))
        for service in SERVICES
    }
    # Each partition is read by one instance of a service: no more instances than partitions, and twice
    # as many partitions leaves room to add instances without repartitioning (which reorders VENs' records).
    partitions = max(4, 2 ** math.ceil(math.log2(2 * max(instances.values()))))
    return Plan(
        moments=moments,
        instances=instances,
        partitions=partitions,
        transactions_per_second={moment: transactions(costs, by_kind) for moment, by_kind in load.items()},
        rates=load,
    )


def report(fleet: Fleet, costs: Costs, result: Plan) -> str:
    steady, dispatch, storm = (result.rates[m] for m in ("steady", "dispatch", "storm"))
    lines = [
        f"Fleet: {fleet.vens:,} VENs polling every {fleet.poll_seconds:g} s"
        + (
            f", {fleet.reporting_share:.0%} of them reporting {fleet.intervals_per_report} interval(s) every "
            f"{fleet.report_seconds:g} s"
            if fleet.report_seconds
            else ", no reports"
        ),
        f"Messages per second: {steady['poll_cached']:,.0f} polls answered from the cache, "
        f"{steady['poll_forwarded']:,.0f} forwarded, {steady['report_interval']:,.0f} report intervals; "
        f"during a dispatch {dispatch['event_delivery']:,.0f} event sets delivered and "
        f"{dispatch['event_answer']:,.0f} answers; during a registration storm {storm['registration']:,.1f} "
        "registrations",
        "",
        "| process | steady (cores) | during a dispatch | during a registration storm | instances |",
        "|---|---:|---:|---:|---:|",
    ]
    for label in (*SERVICES, *SHARED):
        row = [result.moments[m].get(label, 0.0) for m in ("steady", "dispatch", "storm")]
        count = str(result.instances[label]) if label in result.instances else "-"
        lines.append(f"| {label} | {row[0]:.2f} | {row[1]:.2f} | {row[2]:.2f} | {count} |")
    total = [sum(result.moments[m].values()) for m in ("steady", "dispatch", "storm")]
    lines.append(f"| **total** | {total[0]:.2f} | {total[1]:.2f} | {total[2]:.2f} | |")
    connections = sum(result.instances.values()) * POOL_CONNECTIONS
    tps = result.transactions_per_second
    lines += [
        "",
        f"Kafka: {result.partitions} partitions per topic (VTN_TOPIC_PARTITIONS), one reply partition per gateway "
        f"instance (VTN_REPLY_PARTITIONS >= {result.instances['gateway']}).",
        f"PostgreSQL: {tps['steady']:,.0f} transactions/s steady, {tps['dispatch']:,.0f} during a dispatch, "
        f"{tps['storm']:,.0f} during a registration storm; up to {connections} connections "
        f"({POOL_CONNECTIONS} per instance).",
        "",
        "Assumptions: the costs of " + costs.source + "; a service instance is one Python process, so it uses "
        f"at most one core and is planned at {fleet.instance_share:.0%} of one; every VEN's cached poll answer "
        f"expires after {fleet.cache_seconds:g} s; a dispatch reaches {fleet.dispatch_share:.0%} of the fleet "
        f"within one poll interval{' and each VEN answers it' if fleet.answers else ''}; after an outage every VEN "
        f"registers again within {fleet.storm_minutes:g} minutes. Kafka and PostgreSQL run on cores of their "
        "own; their figures are for the VTN's load alone (replication, backups and other users come on top).",
    ]
    return "\n".join(lines)


def check(costs: Costs, path: Path, phase: str = "create") -> str:
    """Predicted against measured CPU seconds per process for one phase of `bench.event_bench --json`:
    the plain polling over as long as the phase took, and what the phase added."""
    rounds = json.loads(path.read_text())
    run = next(r for runs in rounds for r in runs if r["target"] == "this VTN" and r["phase"] == phase)
    fleet = Fleet(vens=run["vens"], poll_seconds=run["poll_seconds"], report_seconds=0)
    seconds = run["call_seconds"] + max(run["delivered_seconds"] or 0, run["answered_seconds"] or 0)
    steady = rates(fleet)["steady"]
    predicted_polling = {label: c * seconds for label, c in cores(costs, steady).items()}
    added = {"event_delivery": run["vens"] * run["events"], "event_answer": run["answers"]}
    predicted_added = {
        label: sum(count * costs.cpu_ms.get(kind, {}).get(label, 0.0) / 1000 for kind, count in added.items())
        for label in predicted_polling
    }
    lines = [
        f"{run['vens']:,} VENs polling every {run['poll_seconds']:g} s, phase {phase!r} ({seconds:.1f} s): "
        "CPU seconds per process, predicted / measured",
        "",
        "| process | plain polling, predicted | measured | the phase's own work, predicted | measured |",
        "|---|---:|---:|---:|---:|",
    ]
    for label in (*SERVICES, *SHARED):
        measured_polling = run["idle_cpu_seconds"].get(label, 0.0)
        measured_added = run["cpu_seconds"].get(label, 0.0) - measured_polling
        lines.append(
            f"| {label} | {predicted_polling.get(label, 0.0):.2f} | {measured_polling:.2f} "
            f"| {predicted_added.get(label, 0.0):.2f} | {measured_added:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sizing", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--vens", type=int, required=True)
    parser.add_argument("--poll-seconds", type=float, default=10.0)
    parser.add_argument("--report-seconds", type=float, default=0.0, help="each VEN reports this often (0: never)")
    parser.add_argument("--reporting-share", type=float, default=1.0, help="of the VENs, those that report")
    parser.add_argument("--intervals-per-report", type=int, default=1)
    parser.add_argument("--dispatch-share", type=float, default=1.0, help="of the VENs, those a dispatch reaches")
    parser.add_argument("--no-answers", action="store_true", help="events need no oadrCreatedEvent")
    parser.add_argument("--cache-seconds", type=float, default=60.0, help="VTN_POLL_CACHE_TTL_SECONDS")
    parser.add_argument("--storm-minutes", type=float, default=30.0, help="every VEN registers again within")
    parser.add_argument("--instance-share", type=float, default=0.6, help="of one core, per service instance")
    parser.add_argument("--costs", type=Path, default=DEFAULT_COSTS, help="from python -m bench.sizing_measure")
    parser.add_argument("--check", type=Path, default=None, help="a `python -m bench.event_bench --json` file")
    arguments = parser.parse_args(argv)
    costs = Costs.load(arguments.costs)
    if arguments.check is not None:
        print(check(costs, arguments.check))
        return 0
    fleet = Fleet(
        vens=arguments.vens,
        poll_seconds=arguments.poll_seconds,
        report_seconds=arguments.report_seconds,
        reporting_share=arguments.reporting_share,
        intervals_per_report=arguments.intervals_per_report,
        dispatch_share=arguments.dispatch_share,
        answers=not arguments.no_answers,
        cache_seconds=arguments.cache_seconds,
        storm_minutes=arguments.storm_minutes,
        instance_share=arguments.instance_share,
    )
    print(report(fleet, costs, plan(fleet, costs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
