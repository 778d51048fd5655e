"""Report data stored without a lane (before lanes existed, or by an older report_svc during a rolling upgrade)
is given the lane of its VEN and published like the rest, once, on that lane's partition."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import asyncpg

from report_svc.ven_reports.publishing.lanes import lane_of
from report_svc.ven_reports.publishing.record_encoding import seq_of
from shared import topics
from shared.contract.reports import ReportData
from shared.settings import VtnSettings
from tests.stack import RunningVtn, find_on_topic

LANES = VtnSettings.model_fields["topic_partitions"].default  # the test stack keeps the default


async def test_rows_stored_without_a_lane_get_their_vens_lane_and_are_published_once(
    vtn: RunningVtn, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    ven_ids = [unique("laneless-ven") for _ in range(6)]
    moment = datetime.now(UTC).replace(microsecond=0)
    seqs = await db.fetch(
        "INSERT INTO report_data (ven_id, report_request_id, r_id, dtstart, report_specifier_id, value)"
        " SELECT v, 'rr-laneless', 'power', $2, 'spec', 1.5 FROM unnest($1::text[]) AS v RETURNING seq, ven_id",
        ven_ids,
        moment,
    )
    assert len(seqs) == len(ven_ids)

    wanted = set(ven_ids)
    found = await find_on_topic(
        vtn.kafka_bootstrap,
        topics.REPORT_DATA,
        lambda e: isinstance(e.payload, ReportData) and e.payload.ven_id in wanted,
        timeout=30,
    )
    assert sorted(e.payload.ven_id for e in found) == sorted(ven_ids)  # type: ignore[union-attr]
    assert sorted(seq_of(e.message_id) or 0 for e in found) == sorted(row["seq"] for row in seqs)
    rows = await db.fetch("SELECT ven_id, lane, published FROM report_data WHERE ven_id = ANY($1::text[])", ven_ids)
    assert all(row["published"] and row["lane"] == lane_of(row["ven_id"], LANES) for row in rows)
