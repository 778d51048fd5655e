from datetime import UTC, datetime, timedelta

import pytest

from shared.oadr_xml.errors import SchemaViolation
from shared.oadr_xml.values import format_datetime, format_duration, parse_datetime, parse_duration


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("PT10S", timedelta(seconds=10)),
        ("PT1M", timedelta(minutes=1)),
        ("PT1H30M", timedelta(hours=1, minutes=30)),
        ("P1DT2H", timedelta(days=1, hours=2)),
        ("P1W", timedelta(weeks=1)),
        ("PT0S", timedelta(0)),
        ("-PT5M", timedelta(minutes=-5)),
        ("PT0.5S", timedelta(milliseconds=500)),
    ],
)
def test_durations_parse_and_render_back(text: str, value: timedelta) -> None:
    assert parse_duration(text) == value
    assert parse_duration(format_duration(value)) == value


@pytest.mark.parametrize("text", ["", "10S", "P1Y", "PTxS", "PT1H2"])
def test_impossible_durations_are_refused(text: str) -> None:
    with pytest.raises(SchemaViolation):
        parse_duration(text)


@pytest.mark.parametrize("text", ["P", "PT", "-P"])
def test_an_empty_duration_is_zero_as_the_schema_and_openleadr_have_it(text: str) -> None:
    assert parse_duration(text) == timedelta(0)


def test_datetimes_are_utc_with_z() -> None:
    value = parse_datetime("2026-11-27T10:00:00+02:00")
    assert value == datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    assert format_datetime(value) == "2026-11-27T08:00:00Z"
    assert parse_datetime("2026-11-27T08:00:00Z") == value
    assert format_datetime(datetime(2026, 1, 1, 0, 0, 0, 123000, tzinfo=UTC)) == "2026-01-01T00:00:00.123Z"
