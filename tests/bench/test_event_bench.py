"""The event benchmark's pure parts: the event it creates is valid, and the table reads right."""

from __future__ import annotations

from bench.event_bench import EventRun, table, vtn_event
from event_svc.validation import validate_event


def test_the_benchmark_event_is_a_valid_event_for_every_ven() -> None:
    command = vtn_event(["ven-1", "ven-2"], "bench-event")
    validate_event(command.active_period, command.signals, command.baseline, command.targets)
    assert command.targets.ven_ids == ("ven-1", "ven-2") and command.event_id == "bench-event"


def test_the_table_gives_ratios_against_openleadr_and_dashes_for_unfinished_runs() -> None:
    runs = [
        EventRun("OpenLEADR", 10, 10, 10, 2.0, 4.0, 0),
        EventRun("this VTN", 10, 10, 10, 1.0, 2.0, 0),
        EventRun("broken", 10, 3, 3, None, None, 5),
    ]
    lines = table(runs).splitlines()
    assert (
        lines[0].startswith("| target | VENs | all received")
        and lines[2] == "| OpenLEADR | 10 | 2.00 | 4.00 | 1.00 | 10 | 10 | 0 |"
    )
    assert lines[3] == "| this VTN | 10 | 1.00 | 2.00 | 0.50 | 10 | 10 | 0 |"
    assert lines[4] == "| broken | 10 | - | - | - | 3 | 3 | 5 |"
