"""The supervisor's restart decisions as pure code: exponential backoff, the end of a series, the crash-loop limit."""

from __future__ import annotations

import pytest

from devstack.restart_policy import CrashRecord, GiveUp, Restart, RestartPolicy, after_crash

POLICY = RestartPolicy(first_delay=1.0, factor=2.0, max_delay=30.0, crash_loop_limit=5, stable_after=60.0)


def crash_series(policy: RestartPolicy, runs: list[float]) -> list[Restart | GiveUp]:
    record = CrashRecord()
    decisions: list[Restart | GiveUp] = []
    for ran_for in runs:
        decision = after_crash(policy, record, ran_for)
        decisions.append(decision)
        record = decision.record
    return decisions


def test_each_quick_crash_in_a_row_doubles_the_wait() -> None:
    decisions = crash_series(POLICY, [0.5, 2.0, 3.0, 10.0])
    assert [d.delay for d in decisions if isinstance(d, Restart)] == [1.0, 2.0, 4.0, 8.0]
    assert [d.record for d in decisions] == [CrashRecord(crashes=n, in_a_row=n) for n in range(1, 5)]


def test_the_wait_never_exceeds_the_maximum() -> None:
    policy = RestartPolicy(first_delay=1.0, factor=3.0, max_delay=10.0, crash_loop_limit=10, stable_after=60.0)
    assert [policy.delay(n) for n in range(1, 6)] == [1.0, 3.0, 9.0, 10.0, 10.0]


def test_the_crash_loop_limit_gives_up_on_that_many_quick_crashes_in_a_row() -> None:
    decisions = crash_series(POLICY, [1.0] * 5)
    assert all(isinstance(d, Restart) for d in decisions[:4])
    assert decisions[4] == GiveUp(CrashRecord(crashes=5, in_a_row=5))


def test_a_run_that_lasted_ends_the_series_and_the_wait_starts_over() -> None:
    decisions = crash_series(POLICY, [1.0, 1.0, 1.0, 1.0, 60.0, 1.0, 1.0, 1.0])
    assert all(isinstance(d, Restart) for d in decisions), "a stable run between crashes means no crash loop"
    assert decisions[4] == Restart(CrashRecord(crashes=5, in_a_row=1), delay=1.0)
    assert decisions[-1] == Restart(CrashRecord(crashes=8, in_a_row=4), delay=8.0)


def test_a_process_that_crashes_after_each_long_run_is_restarted_forever_and_counted() -> None:
    decisions = crash_series(POLICY, [120.0] * 50)
    assert all(isinstance(d, Restart) and d.delay == 1.0 for d in decisions)
    assert decisions[-1].record == CrashRecord(crashes=50, in_a_row=1)


def test_a_limit_of_one_gives_up_on_the_first_crash() -> None:
    policy = RestartPolicy(crash_loop_limit=1)
    assert isinstance(after_crash(policy, CrashRecord(), 0.0), GiveUp)


@pytest.mark.parametrize(
    "settings",
    [
        {"first_delay": -1.0},
        {"factor": 0.5},
        {"first_delay": 10.0, "max_delay": 5.0},
        {"crash_loop_limit": 0},
        {"stable_after": 0.0},
    ],
)
def test_a_policy_that_makes_no_sense_is_refused(settings: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RestartPolicy(**settings)  # type: ignore[arg-type]


def test_delay_counts_crashes_from_one() -> None:
    with pytest.raises(ValueError):
        POLICY.delay(0)
