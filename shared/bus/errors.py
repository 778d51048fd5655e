"""Failures of the bus, as seen by callers.

BusError
├── BusUnavailable    Kafka cannot be reached or refused the record: retriable
├── RecordTooLarge    the record is bigger than Kafka takes: not retriable (sending it again fails again)
└── ReplyTimeout      no reply arrived in time: retriable (the request may still be processed,
                      which is why services are idempotent)
"""

from __future__ import annotations


class BusError(Exception):
    retriable: bool = True


class BusUnavailable(BusError):
    pass


class RecordTooLarge(BusError):
    retriable = False


class ReplyTimeout(BusError):
    pass
