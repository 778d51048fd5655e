"""The event benchmark's pure parts: the event it creates is valid, the table reads right (the fleet partly on
2.0a against the all-2.0b one), and the share of 2.0a VENs is checked."""

from __future__ import annotations

import argparse

import pytest

from bench.event_bench import PULL_TARGET, EventRun, Fleet, share, table, vtn_event
from event_svc.validation import validate_event


def test_the_benchmark_event_is_a_valid_event_for_every_ven() -> None:
    command = vtn_event(["ven-1", "ven-2"], "bench-event")
    validate_event(command.active_period, command.signals, command.baseline, command.targets)
    assert command.targets.ven_ids == ("ven-1", "ven-2") and command.event_id == "bench-event"


def test_the_table_gives_ratios_against_openleadr_and_this_vtns_pull_run_and_dashes_for_unfinished_runs() -> None:
    runs = [
        EventRun("OpenLEADR (pull)", 10, 10, 10, 2.0, 4.0, 0),
        EventRun("this VTN (pull, 1 poll/s)", 10, 10, 10, 1.0, 2.0, 0),
        EventRun("this VTN (push)", 10, 10, 10, 0.1, 0.5, 0),
        EventRun("this VTN (push)", 10, 3, 3, None, None, 5, phase="modify"),
    ]
    lines = table(runs).splitlines()
    assert lines[0].startswith("| target | phase | VENs | all received")
    assert lines[2] == "| OpenLEADR (pull) | create | 10 | 2.00 | 4.00 | 1.00 | - | 10 | 10 | 0 |"
    assert lines[3] == "| this VTN (pull, 1 poll/s) | create | 10 | 1.00 | 2.00 | 0.50 | 1.00 | 10 | 10 | 0 |"
    assert lines[4] == "| this VTN (push) | create | 10 | 0.10 | 0.50 | 0.12 | 0.25 | 10 | 10 | 0 |"
    assert lines[5] == "| this VTN (push) | modify | 10 | - | - | - | - | 3 | 3 | 5 |"


def test_a_ven_answers_each_event_modification_once() -> None:
    fleet = Fleet()
    assert fleet.saw("v1", [("e", 0)]) == [("e", 0)]
    assert fleet.saw("v1", [("e", 0), ("e", 1)]) == [("e", 1)]
    assert fleet.saw("v2", [("e", 1)]) == [("e", 1)]
    assert sorted(fleet.received[("e", 1)]) == ["v1", "v2"]


def test_the_mixed_fleet_is_compared_with_the_all_2_0b_pull_fleet_of_the_same_phase() -> None:
    runs = [
        EventRun(PULL_TARGET, 10, 10, 10, 1.0, 2.0, 0),
        EventRun("this VTN (pull, 50% on 2.0a)", 10, 10, 10, 1.1, 2.2, 0),
    ]
    assert table(runs).splitlines()[3] == "| this VTN (pull, 50% on 2.0a) | create | 10 | 1.10 | 2.20 | 1.10 | 1.10 | 10 | 10 | 0 |"


def test_a_share_of_the_fleet_on_2_0a_is_above_0_and_at_most_1() -> None:
    assert share("0.5") == 0.5
    for wrong in ("0", "1.5"):
        with pytest.raises(argparse.ArgumentTypeError):
            share(wrong)
