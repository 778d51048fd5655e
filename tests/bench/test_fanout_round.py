"""The fan-out round benchmark's pure parts: its three changes are valid event commands for the VENs, in
order, and its table reads right."""

from __future__ import annotations

from bench.fanout_round import PHASES, changes, table
from event_svc.validation import validate_event
from shared.contract.events import CancelEvent, CreateEvent, ModifyEvent


def test_a_round_creates_an_event_for_the_vens_then_modifies_and_cancels_it() -> None:
    created, modified, cancelled = changes("round-1", ("ven-1", "ven-2"))
    assert isinstance(created, CreateEvent) and created.targets.ven_ids == ("ven-1", "ven-2")
    validate_event(created.active_period, created.signals, created.baseline, created.targets)
    assert isinstance(modified, ModifyEvent) and modified.signals is not None
    assert modified.signals[0].intervals[0].payload != created.signals[0].intervals[0].payload
    assert isinstance(cancelled, CancelEvent)
    assert {c.event_id for c in (created, modified, cancelled)} == {"round-1"}


def test_the_table_gives_each_changes_round_cpu_and_the_rest() -> None:
    medians = {phase: {"round": 100.0, "cpu": 40.0, "rest": 60.0} for phase in PHASES}
    lines = table(1000, medians).splitlines()
    assert lines[0].startswith("| 1000 VENs, one event | fan-out round, ms")
    assert lines[2:] == ["| create | 100 | 40 | 60 |", "| modify | 100 | 40 | 60 |", "| cancel | 100 | 40 | 60 |"]
