"""Failures of the bus, as seen by callers.

    BusError
    ├── BusUnavailable    Kafka cannot be reached or refused the record: retriable
    └── ReplyTimeout      no reply arrived in time: retriable (the request may still be processed,
                          which is why services are idempotent)
"""

from __future__ import annotations


class BusError(Exception):
    retriable: bool = True


class BusUnavailable(BusError):
    pass


class ReplyTimeout(BusError):
    pass
