"""Units of measure: the emix:itemBase elements that say what a report data point or signal counts."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from shared.oadr.common import OadrModel

ItemName = Literal[
    "powerReal",
    "powerReactive",
    "powerApparent",
    "energyReal",
    "energyReactive",
    "energyApparent",
    "voltage",
    "current",
    "frequency",
    "Therm",
    "temperature",
    "pulseCount",
    "currency",
    "currencyPerKWh",
    "currencyPerKW",
    "currencyPerThm",
    "customUnit",
]
SiScaleCode = Literal["p", "n", "micro", "m", "c", "d", "k", "M", "G", "T", "none"]

POWER_ITEMS: frozenset[str] = frozenset({"powerReal", "powerReactive", "powerApparent"})
PULSE_COUNT = "pulseCount"

# The itemDescription and itemUnits values the XSD fixes for each unit (None: free text).
_FIXED_VALUES: dict[str, tuple[frozenset[str] | None, frozenset[str] | None]] = {
    "powerReal": (frozenset({"RealPower"}), frozenset({"W", "J/s"})),
    "powerReactive": (frozenset({"ReactivePower"}), frozenset({"VAR"})),
    "powerApparent": (frozenset({"ApparentPower"}), frozenset({"VA"})),
    "energyReal": (frozenset({"RealEnergy"}), frozenset({"Wh"})),
    "energyReactive": (frozenset({"ReactiveEnergy"}), frozenset({"VARh"})),
    "energyApparent": (frozenset({"ApparentEnergy"}), frozenset({"VAh"})),
    "voltage": (frozenset({"Voltage"}), frozenset({"V"})),
    "current": (frozenset({"Current"}), frozenset({"A"})),
    "frequency": (frozenset({"Frequency"}), frozenset({"Hz"})),
    "Therm": (frozenset({"Therm"}), frozenset({"thm"})),
    "temperature": (frozenset({"temperature"}), frozenset({"celsius", "fahrenheit"})),
    "pulseCount": (frozenset({"pulse count"}), frozenset({"count"})),
    "currency": (frozenset({"currency", "currencyPerKW", "currencyPerKWh"}), None),
    "currencyPerKWh": (frozenset({"currency", "currencyPerKW", "currencyPerKWh"}), None),
    "currencyPerKW": (frozenset({"currency", "currencyPerKW", "currencyPerKWh"}), None),
    "currencyPerThm": (frozenset({"currency", "currencyPerKW", "currencyPerKWh"}), None),
    "customUnit": (None, None),
}


class PowerAttributes(OadrModel):
    """power:powerAttributes, required on every power unit."""

    hertz: float
    voltage: float
    ac: bool


class ItemBase(OadrModel):
    """One itemBase: `name` is the element name, e.g. powerReal with description RealPower, units W.

    Power units carry `power_attributes`; pulseCount carries `pulse_factor` (kWh per count) instead
    of an SI scale code; every other unit carries `si_scale_code`. The Green Button itemBase
    (oadrGBDataDescription, an Atom feed) is not modelled.
    """

    name: ItemName
    description: str
    units: str
    si_scale_code: SiScaleCode | None = None
    power_attributes: PowerAttributes | None = None
    pulse_factor: float | None = None

    @model_validator(mode="after")
    def _matches_schema(self) -> ItemBase:
        descriptions, units = _FIXED_VALUES[self.name]
        if descriptions is not None and self.description not in descriptions:
            raise ValueError(f"{self.name} needs itemDescription in {sorted(descriptions)}")
        if units is not None and self.units not in units:
            raise ValueError(f"{self.name} needs itemUnits in {sorted(units)}")
        if (self.name in POWER_ITEMS) != (self.power_attributes is not None):
            raise ValueError("power_attributes are required on power units and only there")
        if self.name == PULSE_COUNT:
            if self.pulse_factor is None or self.si_scale_code is not None:
                raise ValueError("pulseCount takes a pulse_factor and no si_scale_code")
        elif self.pulse_factor is not None or self.si_scale_code is None:
            raise ValueError(f"{self.name} takes an si_scale_code and no pulse_factor")
        return self
