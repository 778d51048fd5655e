"""The `on_request_report` handler of the VTN-report integration tests: a price sampled every granularity
(its value is the minute of the hour, so tests can recompute it), a price tier that changes every 4 s (for
on-change requests) and the VTN's status."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any


def price_at(moment: datetime) -> float:
    return float(moment.minute) + moment.second / 100


def tier_at(moment: datetime) -> float:
    return float(moment.second // 4)


def on_request_report(r_id: str, date_from: datetime, date_to: datetime, sampling_interval: timedelta) -> Any:
    if r_id == "vtn-status":
        return {"online": True, "manual_override": False}
    if r_id == "tier":
        return tier_at(date_to)
    if sampling_interval <= timedelta(0):
        return price_at(date_to)
    samples = []
    moment = date_from
    while moment < date_to:
        samples.append((moment, price_at(moment)))
        moment += sampling_interval
    return samples
