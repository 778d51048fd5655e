"""The enqueue benchmark's event set: a valid 2.0b oadrDistributeEvent of one day-ahead price event, of a kind
handed out in notices (so every set takes the path being measured)."""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree

from bench.enqueue_ab import event_set
from shared.db.pending import HANDOUT_TYPES
from shared.oadr_xml.codec import render
from tests.conftest import assert_valid


def test_the_benchmark_set_is_a_valid_day_ahead_price_event_handed_out_in_notices(
    official_schema: etree.XMLSchema,
) -> None:
    distribute = event_set("ven-1", datetime(2026, 12, 6, 10, 30, tzinfo=UTC))
    [event] = distribute.events
    assert len(event.signals[0].intervals) == 24 and distribute.message_type in HANDOUT_TYPES
    assert_valid(official_schema, render(distribute))
