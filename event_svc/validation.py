"""Rules an event must follow before it is stored: clear errors for impossible events.

Pure: each rule returns the problems it finds as sentences; an event with none is valid. The signal rules
follow the 2.0b specification's signal table (signalName, the signalTypes it admits, and the itemBase it
needs), which is what certification tests check on every oadrDistributeEvent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from shared.oadr.event import ActivePeriod, Event
from shared.oadr.profiles import TRAITS, OadrProfile
from shared.oadr.signal import EventBaseline, EventSignal, Interval, SignalName, SignalType
from shared.oadr.target import Target

ZERO = timedelta(0)
CURRENCY_ITEMS = frozenset({"currency", "currencyPerKWh", "currencyPerKW", "currencyPerThm"})
PRICE_TYPES = frozenset({SignalType.PRICE, SignalType.PRICE_RELATIVE, SignalType.PRICE_MULTIPLIER})
LOAD_CONTROL_TYPES = frozenset(
    {
        SignalType.LOAD_CONTROL_CAPACITY,
        SignalType.LOAD_CONTROL_LEVEL_OFFSET,
        SignalType.LOAD_CONTROL_PERCENT_OFFSET,
        SignalType.LOAD_CONTROL_SETPOINT,
    }
)
SIMPLE_LEVELS = frozenset({0.0, 1.0, 2.0, 3.0})


@dataclass(frozen=True)
class SignalRule:
    """Which signalTypes a signalName admits and which itemBase names it needs (None: no itemBase allowed;
    an empty set: any or none; `required`: an itemBase must be present for these types)."""

    types: frozenset[SignalType]
    item_names: frozenset[str] | None
    required_for: frozenset[SignalType] = frozenset()


SIGNAL_RULES: dict[str, SignalRule] = {
    SignalName.SIMPLE: SignalRule(frozenset({SignalType.LEVEL}), None),
    SignalName.SIMPLE_LEGACY: SignalRule(frozenset({SignalType.LEVEL}), None),
    SignalName.ELECTRICITY_PRICE: SignalRule(PRICE_TYPES, CURRENCY_ITEMS, frozenset({SignalType.PRICE})),
    SignalName.ENERGY_PRICE: SignalRule(PRICE_TYPES, CURRENCY_ITEMS, frozenset({SignalType.PRICE})),
    SignalName.DEMAND_CHARGE: SignalRule(PRICE_TYPES, frozenset({"currencyPerKW"}), frozenset({SignalType.PRICE})),
    SignalName.BID_PRICE: SignalRule(frozenset({SignalType.PRICE}), CURRENCY_ITEMS, frozenset({SignalType.PRICE})),
    SignalName.BID_LOAD: SignalRule(
        frozenset({SignalType.SETPOINT}), frozenset({"powerReal"}), frozenset({SignalType.SETPOINT})
    ),
    SignalName.BID_ENERGY: SignalRule(
        frozenset({SignalType.SETPOINT}), frozenset({"energyReal"}), frozenset({SignalType.SETPOINT})
    ),
    SignalName.CHARGE_STATE: SignalRule(
        frozenset({SignalType.SETPOINT, SignalType.DELTA, SignalType.MULTIPLIER}),
        frozenset({"energyReal", "customUnit"}),
    ),
    SignalName.LOAD_DISPATCH: SignalRule(
        frozenset({SignalType.SETPOINT, SignalType.DELTA, SignalType.MULTIPLIER, SignalType.LEVEL}),
        frozenset({"powerReal"}),
        frozenset({SignalType.SETPOINT, SignalType.DELTA}),
    ),
    SignalName.LOAD_CONTROL: SignalRule(LOAD_CONTROL_TYPES, frozenset()),
}


class InvalidEvent(ValueError):
    """The event cannot be stored; `problems` says why, one sentence each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _interval_problems(intervals: tuple[Interval, ...], duration: timedelta, what: str) -> list[str]:
    problems: list[str] = []
    open_ended = duration == ZERO
    for position, interval in enumerate(intervals):
        last = position == len(intervals) - 1
        if interval.duration < ZERO or (interval.duration == ZERO and not (open_ended and last)):
            problems.append(f"{what}: interval {position} needs a positive duration")
    total = sum((i.duration for i in intervals), ZERO)
    if not open_ended and total != duration:
        problems.append(f"{what}: interval durations add up to {total}, not the duration {duration}")
    return problems


def signal_problems(signal: EventSignal, period: ActivePeriod) -> list[str]:
    what = f"signal {signal.signal_id!r} ({signal.signal_name})"
    problems = _interval_problems(signal.intervals, period.duration, what)
    rule = SIGNAL_RULES.get(signal.signal_name)
    if rule is None:  # an x- extension name: any type, any unit
        return problems
    if signal.signal_type not in rule.types:
        allowed = ", ".join(sorted(t.value for t in rule.types))
        problems.append(f"{what}: signalType {signal.signal_type.value} is not one of {allowed}")
    base = signal.item_base
    if rule.item_names is None and base is not None:
        problems.append(f"{what}: takes no itemBase")
    if base is not None and rule.item_names and base.name not in rule.item_names:
        problems.append(f"{what}: itemBase {base.name} is not one of {', '.join(sorted(rule.item_names))}")
    if base is None and signal.signal_type in rule.required_for:
        problems.append(
            f"{what}: signalType {signal.signal_type.value} needs an itemBase ({', '.join(sorted(rule.item_names or ()))})"
        )
    if signal.signal_name in (SignalName.SIMPLE, SignalName.SIMPLE_LEGACY):
        bad = [i.payload for i in signal.intervals if i.payload not in SIMPLE_LEVELS]
        if bad:
            problems.append(f"{what}: SIMPLE levels are 0, 1, 2 or 3, not {bad[0]}")
    return problems


def period_problems(period: ActivePeriod) -> list[str]:
    problems: list[str] = []
    if period.dtstart.tzinfo is None:
        problems.append("active period: dtstart needs a time zone (UTC)")
    for name in ("duration", "start_after", "x_ei_notification", "x_ei_ramp_up", "x_ei_recovery"):
        value = getattr(period, name)
        if value is not None and value < ZERO:
            problems.append(f"active period: {name} cannot be negative")
    return problems


def baseline_problems(baseline: EventBaseline) -> list[str]:
    what = f"baseline {baseline.baseline_id!r}"
    if baseline.duration <= ZERO:
        return [f"{what}: needs a positive duration"]
    return _interval_problems(baseline.intervals, baseline.duration, what)


def target_problems(targets: Target) -> list[str]:
    if not (targets.ven_ids or targets.group_ids or targets.resource_ids or targets.party_ids):
        return ["targets: name at least one venID, groupID, resourceID or partyID"]
    return []


def validate_event(
    period: ActivePeriod, signals: tuple[EventSignal, ...], baseline: EventBaseline | None, targets: Target
) -> None:
    """Raise InvalidEvent listing every problem; return quietly for a valid event."""
    problems = period_problems(period) + target_problems(targets)
    if not signals:
        problems.append("an event needs at least one signal")
    ids = [s.signal_id for s in signals]
    if len(set(ids)) != len(ids):
        problems.append("signalIDs must differ within an event")
    for signal in signals:
        problems += signal_problems(signal, period)
    if baseline is not None:
        problems += baseline_problems(baseline)
    if problems:
        raise InvalidEvent(problems)


def profile_problems(event: Event) -> dict[OadrProfile, list[str]]:
    """For each profile whose VENs cannot get `event`, why (shared.oadr.profiles); empty when all can."""
    return {profile: found for profile, traits in TRAITS.items() if (found := traits.event_problems(event))}


def unreachable(profile: str, problems: list[str], ven_ids: list[str], shown: int) -> str:
    """Why an event is refused: it targets VENs of `profile` (the first `shown` named) that cannot get it."""
    named = ", ".join(ven_ids[:shown]) + (" and more" if len(ven_ids) > shown else "")
    return f"the event cannot reach the OpenADR {profile} VENs it targets ({named}): {'; '.join(problems)}"
