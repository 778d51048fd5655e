"""Counting what came out: every acknowledged record looked up in PostgreSQL and on its Kafka topic.

- oadr.report.data.v1: exactly once. One record per (VEN, reportRequestID, rID, dtstart); a second record
  for the same key is a double, whatever its message id.
- oadr.event.responses.v1: at-least-once with an idempotent consumer. A record is the VEN's answer for
  (event, modification): applying it twice changes nothing, and a relay that republishes sends the same
  message id again. Doubles are counted and reported, split into republished (same message id) and
  repeated (another message id: the VTN handled the answer twice, e.g. a VEN's resend after a lost reply).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import asyncpg
from aiokafka import TopicPartition

from report_svc.ven_reports.publishing.record_encoding import seq_of
from shared import topics
from shared.bus import clients
from shared.bus.connection import KafkaConnection
from shared.contract.envelope import Envelope
from shared.contract.events import EventResponseFact
from shared.contract.reports import ReportData
from tests.faults.fleet import EventAnswer, ReportInterval


@dataclass
class TopicCounts:
    event_answers: dict[EventAnswer, list[str]]  # key -> message ids of its records
    report_intervals: dict[ReportInterval, list[str]]
    report_order_breaks: list[str]  # VENs whose records are split over partitions or out of their stored order


@dataclass(frozen=True)
class Audit:
    acknowledged: int
    missing_in_db: int
    missing_on_topic: int
    doubled_in_db: int
    doubled_on_topic: int  # records beyond the first for a key
    republished: int  # of those, the same message id again

    @property
    def lost(self) -> int:
        return self.missing_in_db + self.missing_on_topic

    def __add__(self, other: Audit) -> Audit:
        return Audit(*(a + b for a, b in zip(self.__dict__.values(), other.__dict__.values(), strict=True)))


async def read_topics(bootstrap: str) -> TopicCounts:
    """Every record of the two topics, from the beginning to their current end."""
    consumer = clients.consumer(KafkaConnection(bootstrap), group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions: list[TopicPartition] = []
        for topic in (topics.EVENT_RESPONSES, topics.REPORT_DATA):
            for _ in range(50):
                await consumer._client.force_metadata_update()  # noqa: SLF001 - topics we do not subscribe to
                found = consumer.partitions_for_topic(topic)
                if found:
                    partitions += [TopicPartition(topic, p) for p in sorted(found)]
                    break
                await asyncio.sleep(0.2)
            else:
                raise AssertionError(f"topic {topic} has no partitions")
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        answers: dict[EventAnswer, list[str]] = defaultdict(list)
        intervals: dict[ReportInterval, list[str]] = defaultdict(list)
        rows_of_ven: dict[str, list[tuple[int, int]]] = defaultdict(list)  # (partition, row seq) in topic order
        remaining = {tp for tp in partitions if ends[tp] > 0}
        deadline = time.monotonic() + 60
        while remaining and time.monotonic() < deadline:
            batches = await consumer.getmany(*remaining, timeout_ms=500)
            for tp, records in batches.items():
                for record in records:
                    envelope = Envelope.from_bytes(record.value or b"")
                    payload = envelope.payload
                    if isinstance(payload, EventResponseFact):
                        key_a = (payload.ven_id, payload.event_id, payload.modification_number, payload.opt_type)
                        answers[key_a].append(envelope.message_id)
                    elif isinstance(payload, ReportData):
                        key_r = (payload.ven_id, payload.report_request_id, payload.r_id, payload.dtstart)
                        intervals[key_r].append(envelope.message_id)
                        rows_of_ven[payload.ven_id].append((tp.partition, seq_of(envelope.message_id) or -1))
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        if remaining:
            raise AssertionError(f"could not read {sorted(map(str, remaining))} to the end")
        return TopicCounts(dict(answers), dict(intervals), _order_breaks(rows_of_ven))
    finally:
        await consumer.stop()


def _order_breaks(rows_of_ven: dict[str, list[tuple[int, int]]]) -> list[str]:
    """A VEN's records must all be on one partition, in the order they were stored (their row numbers)."""
    breaks = []
    for ven_id, rows in rows_of_ven.items():
        seqs = [seq for _, seq in rows]
        if len({partition for partition, _ in rows}) != 1 or seqs != sorted(seqs):
            breaks.append(ven_id)
    return breaks


async def stored_answers(conn: asyncpg.Connection, event_ids: Iterable[str]) -> dict[tuple[str, str], tuple[int, str]]:
    rows = await conn.fetch(
        "SELECT ven_id, event_id, modification_number, opt_type FROM event_responses WHERE event_id = ANY($1::text[])",
        list(event_ids),
    )
    return {(r["ven_id"], r["event_id"]): (r["modification_number"], r["opt_type"]) for r in rows}


async def stored_intervals(conn: asyncpg.Connection, ven_ids: Iterable[str]) -> Counter[ReportInterval]:
    rows = await conn.fetch(
        "SELECT ven_id, report_request_id, r_id, dtstart FROM report_data WHERE ven_id = ANY($1::text[])", list(ven_ids)
    )
    return Counter((r["ven_id"], r["report_request_id"], r["r_id"], r["dtstart"]) for r in rows)


def _topic_counts(
    expected: Iterable[tuple[object, ...]], found: dict[tuple[object, ...], list[str]]
) -> tuple[int, int, int]:
    missing = doubled = republished = 0
    for key in expected:
        ids = found.get(key, [])
        if not ids:
            missing += 1
        doubled += max(0, len(ids) - 1)
        republished += len(ids) - len(set(ids))
    return missing, doubled, republished


async def audit(
    conn: asyncpg.Connection, bootstrap: str, answers: set[EventAnswer], intervals: set[ReportInterval], timeout: float
) -> tuple[Audit, Audit]:
    """(event answers, report intervals) audits; waits up to `timeout` s for the relays to publish everything."""
    deadline = time.monotonic() + timeout
    while True:
        counts = await read_topics(bootstrap)
        a_missing, a_doubled, a_again = _topic_counts(answers, counts.event_answers)  # type: ignore[arg-type]
        r_missing, r_doubled, r_again = _topic_counts(intervals, counts.report_intervals)  # type: ignore[arg-type]
        if (a_missing == 0 and r_missing == 0) or time.monotonic() > deadline:
            break
        await asyncio.sleep(1)
    stored = await stored_answers(conn, {event_id for _, event_id, _, _ in answers})
    stored_r = await stored_intervals(conn, {ven_id for ven_id, _, _, _ in intervals})
    answers_missing_db = sum(1 for v, e, m, o in answers if stored.get((v, e)) != (m, o))
    intervals_missing_db = sum(1 for key in intervals if stored_r[key] == 0)
    intervals_doubled_db = sum(max(0, stored_r[key] - 1) for key in intervals)
    return (
        Audit(len(answers), answers_missing_db, a_missing, 0, a_doubled, a_again),
        Audit(len(intervals), intervals_missing_db, r_missing, intervals_doubled_db, r_doubled, r_again),
    )
