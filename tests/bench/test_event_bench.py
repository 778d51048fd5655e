"""The event benchmark's pure parts: the event it creates is valid, the table reads right, and the comparison
of a fleet half on 2.0a with an all-2.0b one is summed up by its medians."""

from __future__ import annotations

import argparse

import pytest

from bench.event_bench import EventRun, profile_a_summary, share, table, vtn_event
from event_svc.validation import validate_event


def test_the_benchmark_event_is_a_valid_event_for_every_ven() -> None:
    command = vtn_event(["ven-1", "ven-2"], "bench-event")
    validate_event(command.active_period, command.signals, command.baseline, command.targets)
    assert command.targets.ven_ids == ("ven-1", "ven-2") and command.event_id == "bench-event"


def test_the_table_gives_ratios_against_the_first_row_and_dashes_for_unfinished_runs() -> None:
    runs = [
        EventRun("OpenLEADR", 10, 10, 10, 2.0, 4.0, 0),
        EventRun("this VTN", 10, 10, 10, 1.0, 2.0, 0, 3.25),
        EventRun("broken", 10, 3, 3, None, None, 5),
    ]
    lines = table(runs).splitlines()
    assert lines[0].startswith("| target | VENs | all received") and "÷ OpenLEADR" in lines[0]
    assert lines[2] == "| OpenLEADR | 10 | 2.00 | 4.00 | 1.00 | 10 | 10 | 0 | - |"
    assert lines[3] == "| this VTN | 10 | 1.00 | 2.00 | 0.50 | 10 | 10 | 0 | 3.25 |"
    assert lines[4] == "| broken | 10 | - | - | - | 3 | 3 | 5 | - |"


def test_the_profile_a_comparison_is_the_median_of_each_round_s_ratio() -> None:
    def run(answered: float | None, cpu: float) -> EventRun:
        return EventRun("x", 10, 10, 10, 1.0, answered, 0, cpu)

    pairs = [(run(2.0, 10.0), run(2.2, 9.0)), (run(2.0, 10.0), run(1.8, 11.0)), (run(2.0, 10.0), run(2.0, 10.0))]
    assert profile_a_summary(pairs).endswith("time to all answers 1.00, stack CPU 1.00")
    unfinished = profile_a_summary([*pairs[:2], (run(None, 90.0), run(2.0, 1.0))])
    assert "the 2 of 3 round(s)" in unfinished and unfinished.endswith("time to all answers 1.00, stack CPU 1.00")


def test_a_share_is_between_zero_and_one() -> None:
    assert share("0.5") == 0.5
    with pytest.raises(argparse.ArgumentTypeError):
        share("1.5")
