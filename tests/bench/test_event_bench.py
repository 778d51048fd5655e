"""The event benchmark's pure parts: the event it creates is valid, who is in which event, what a VEN must
hold for a phase to have reached it, the tables read right (the fleet partly on 2.0a against the all-2.0b
one), and the share of 2.0a VENs is checked."""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from types import SimpleNamespace

import pytest

from bench.event_bench import (
    CLIENT_LABEL,
    PhaseRun,
    Shape,
    _phase,
    expectation,
    membership,
    share,
    summary,
    table,
    vtn_event,
)
from bench.event_bench import Target as BenchTarget
from bench.event_vens import HeldEvent
from event_svc.validation import validate_event
from shared.oadr.target import Target


def test_the_benchmark_event_is_a_valid_event_for_every_ven() -> None:
    command = vtn_event("bench-event", Target(ven_ids=("ven-1", "ven-2")))
    validate_event(command.active_period, command.signals, command.baseline, command.targets)
    assert command.targets.ven_ids == ("ven-1", "ven-2") and command.event_id == "bench-event"


def test_one_event_is_for_every_ven_and_several_are_spread_over_the_groups() -> None:
    one = Shape(vens=5, poll_seconds=1, events=1, groups=10, phases=("create",), timeout=1)
    assert all(membership(one, i) == [0] for i in range(5))
    program = Shape(vens=1000, poll_seconds=1, events=100, groups=10, phases=("create",), timeout=1)
    assert membership(program, 3) == list(range(3, 100, 10))
    assert sum(len(membership(program, i)) for i in range(1000)) == 10_000


def test_a_phase_reached_a_ven_once_it_holds_every_event_at_the_phases_version() -> None:
    created, modified = expectation("create", {"a", "b"}), expectation("modify", {"a"})
    cancelled = expectation("cancel", {"a"})
    assert not created({"a": HeldEvent(0, "far")})
    assert created({"a": HeldEvent(0, "far"), "b": HeldEvent(0, "far"), "c": HeldEvent(0, "far")})
    assert not modified({"a": HeldEvent(0, "far")}) and modified({"a": HeldEvent(1, "far")})
    assert not cancelled({"a": HeldEvent(2, "far")}) and cancelled({"a": HeldEvent(2, "cancelled")})


def run(target: str, phase: str, received: float | None, answered: float | None) -> PhaseRun:
    errors = {"http_503": 1} if received else {}
    spread = {"first_delivered_seconds": received / 4, "median_delivered_seconds": received / 2} if received else {}
    return PhaseRun(target, phase, 10, 1, 1.0, 0.01, 10, 10, 10, received, answered, errors, **spread)


def test_the_front_process_memory_and_the_vens_own_cpu_are_shown_beside_the_times() -> None:
    vtn = dataclasses.replace(
        run("this VTN", "create", 1.0, 2.0),
        memory_mb={"gateway": 120.4, "kafka": 900.0},
        cpu_seconds={"gateway": 2.0, CLIENT_LABEL: 1.5},
        phase_seconds=3.0,
    )
    openleadr = dataclasses.replace(run("OpenLEADR", "create", 2.0, 4.0), memory_mb={"bench.openleadr_event_vtn": 80.0})
    assert table([openleadr, vtn]).splitlines()[3].endswith("| http_503 1 | 120 | 50 |")
    assert table([openleadr, vtn]).splitlines()[2].endswith("| http_503 1 | 80 | 0 |")


def test_the_tables_give_ratios_against_the_first_target_phase_by_phase() -> None:
    runs = [
        run("OpenLEADR", "create", 2.0, 4.0),
        run("this VTN", "create", 1.0, 2.0),
        run("broken", "create", None, None),
    ]
    lines = table(runs).splitlines()
    assert lines[0].startswith("| target | phase | VENs")
    assert lines[3] == (
        "| this VTN | create | 10 | 1 | 1 | 0.01 | 0.25 / 0.50 | 1.00 | 2.00 | 0.50 | 0.50 | 10 | 10/10 | http_503 1 "
        "| 0 | 0 |"
    )
    assert lines[4].endswith("| - / - | - | - | - | - | 10 | 10/10 | 0 | 0 | 0 |")
    rounds = [[run("OpenLEADR", "create", 2.0, 4.0), run("this VTN", "create", r, 2 * r)] for r in (1.0, 3.0, 2.0)]
    assert summary(rounds).splitlines()[1] == (
        "create, this VTN: median all received 2.00 s, all answers 4.00 s over 3 round(s); "
        "÷ OpenLEADR: received 1.00, answers 1.00"
    )


def test_the_mixed_fleet_is_compared_with_the_all_2_0b_fleet_of_the_same_phase() -> None:
    runs = [run("this VTN", "create", 1.0, 2.0), run("this VTN (50% on 2.0a)", "create", 1.1, 2.2)]
    assert (
        table(runs)
        .splitlines()[3]
        .startswith("| this VTN (50% on 2.0a) | create | 10 | 1 | 1 | 0.01 | 0.28 / 0.55 | 1.10 | 2.20 | 1.10 | 1.10 |")
    )


def test_a_share_of_the_fleet_on_2_0a_is_above_0_and_at_most_1() -> None:
    assert share("0.5") == 0.5
    for wrong in ("0", "1.5"):
        with pytest.raises(argparse.ArgumentTypeError):
            share(wrong)


async def test_the_benchmarks_own_cpu_is_counted_once_even_when_the_targets_processes_name_it() -> None:
    """The simulated VENs run in the benchmark's process: its CPU is one entry of the phase's per-process CPU,
    the one the VENs' own share is read from, and never added again through the target's process list."""

    async def trigger(_: str, __: dict[str, list[str]]) -> None:
        # The VENs' work during the phase, on this process's CPU: a quarter second by the precise process clock,
        # which the tick-counted figures read at least 0.2 s of.
        until = time.process_time() + 0.25
        while time.process_time() < until:
            pass

    async def answers(_: str, __: set[str]) -> tuple[int, float]:
        return 1, time.time()

    target = BenchTarget("this VTN", "http://127.0.0.1:1", trigger, answers, lambda e, _: e, lambda: [os.getpid()])
    shape = Shape(vens=1, poll_seconds=1, events=1, groups=1, phases=("create",), timeout=1)
    before = os.times()
    ven = SimpleNamespace(
        ven_id="ven-1", expect=lambda _: None, poll_errors={}, answer_errors=0, tracking=SimpleNamespace(met_at=0.0)
    )
    ven.tracking.met_at = time.time()
    run = await _phase(target, shape, "create", [ven], [["event"]], {"event": ["ven-1"]})  # type: ignore[list-item]
    after = os.times()
    used = after.user + after.system - before.user - before.system
    assert set(run.cpu_seconds) == {CLIENT_LABEL}
    assert 0.2 <= run.cpu_seconds[CLIENT_LABEL] <= used + 0.02
    assert run.client_cpu_seconds == run.cpu_seconds[CLIENT_LABEL]
