"""METADATA reports a VEN might offer, shared by the report_svc tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.oadr.report_parts import Report, ReportDescription, ReportName, SamplingRate
from shared.oadr.target import Target
from shared.oadr.units import ItemBase, PowerAttributes

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
POWER = ItemBase(
    name="powerReal",
    description="RealPower",
    units="W",
    si_scale_code="k",
    power_attributes=PowerAttributes(hertz=50, voltage=230, ac=True),
)
ENERGY = ItemBase(name="energyReal", description="RealEnergy", units="Wh", si_scale_code="k")
VOLTAGE = ItemBase(name="voltage", description="Voltage", units="V", si_scale_code="none")


def description(
    r_id: str,
    item_base: ItemBase | None,
    low: timedelta = timedelta(seconds=10),
    high: timedelta = timedelta(hours=1),
    on_change: bool = False,
    report_type: str = "reading",
    reading_type: str = "Direct Read",
) -> ReportDescription:
    return ReportDescription(
        r_id=r_id,
        report_data_source=Target(resource_ids=(f"resource-{r_id}",)),
        report_type=report_type,
        item_base=item_base,
        reading_type=reading_type,
        sampling_rate=SamplingRate(min_period=low, max_period=high, on_change=on_change),
    )


USAGE = Report(
    report_specifier_id="usage-spec",
    report_name=ReportName.METADATA_TELEMETRY_USAGE,
    created_date_time=NOW,
    duration=timedelta(hours=1),
    descriptions=(
        description("power", POWER, timedelta(minutes=1), timedelta(minutes=15)),
        description("voltage", VOLTAGE, timedelta(seconds=30), timedelta(minutes=5)),
    ),
)
STATUS = Report(
    report_specifier_id="status-spec",
    report_name=ReportName.METADATA_TELEMETRY_STATUS,
    created_date_time=NOW,
    descriptions=(
        description(
            "status",
            None,
            timedelta(seconds=10),
            timedelta(minutes=10),
            on_change=True,
            report_type="x-resourceStatus",
            reading_type="x-notApplicable",
        ),
    ),
)
HISTORY = Report(
    report_specifier_id="history-spec",
    report_name=ReportName.METADATA_HISTORY_USAGE,
    created_date_time=NOW,
    descriptions=(description("energy", ENERGY, timedelta(minutes=15), timedelta(minutes=15), reading_type="Net"),),
)
OFFERED = (USAGE, STATUS, HISTORY)
