"""XML mapping of emix:itemBase units; each unit element lives in the power or the oadr namespace."""

from __future__ import annotations

from decimal import Decimal
from typing import cast, get_args

from lxml import etree

from shared.oadr.units import ItemBase, ItemName, PowerAttributes, SiScaleCode
from shared.oadr_xml.namespaces import OADR, POWER, SISCALE, q
from shared.oadr_xml.tree import add, child, required_text
from shared.oadr_xml.values import format_bool, parse_bool, parse_float

_POWER_NAMESPACE_ITEMS = frozenset(
    {"powerReal", "powerReactive", "powerApparent", "energyReal", "energyReactive", "energyApparent", "voltage"}
)
_NAMESPACE_OF: dict[str, str] = {name: POWER if name in _POWER_NAMESPACE_ITEMS else OADR for name in get_args(ItemName)}
_NAME_OF: dict[str, str] = {q(namespace, name): name for name, namespace in _NAMESPACE_OF.items()}

SI_SCALE_CODE = q(SISCALE, "siScaleCode")
PULSE_FACTOR = q(OADR, "pulseFactor")
POWER_ATTRIBUTES = q(POWER, "powerAttributes")


def _format_decimal(value: float) -> str:
    """xs:decimal has no exponent form, so 1e-05 must be written 0.00001."""
    return format(Decimal(repr(value)), "f")


def parse_item_base(parent: etree._Element) -> ItemBase | None:
    """The unit among the children of `parent`, or None when it carries none the model knows."""
    for element in parent:
        name = _NAME_OF.get(element.tag) if isinstance(element.tag, str) else None
        if name is not None:
            return _parse_item(element, name)
    return None


def _parse_item(element: etree._Element, name: str) -> ItemBase:
    namespace = _NAMESPACE_OF[name]
    scale = child(element, SI_SCALE_CODE)
    pulse_factor = child(element, PULSE_FACTOR)
    attributes = child(element, POWER_ATTRIBUTES)
    return ItemBase(
        name=cast(ItemName, name),
        description=required_text(element, q(namespace, "itemDescription")),
        units=required_text(element, q(namespace, "itemUnits")),
        si_scale_code=None if scale is None else cast(SiScaleCode, (scale.text or "").strip()),
        pulse_factor=None if pulse_factor is None else parse_float(pulse_factor.text or ""),
        power_attributes=None if attributes is None else _parse_power_attributes(attributes),
    )


def _parse_power_attributes(element: etree._Element) -> PowerAttributes:
    return PowerAttributes(
        hertz=parse_float(required_text(element, q(POWER, "hertz"))),
        voltage=parse_float(required_text(element, q(POWER, "voltage"))),
        ac=parse_bool(required_text(element, q(POWER, "ac"))),
    )


def add_item_base(parent: etree._Element, item: ItemBase) -> None:
    namespace = _NAMESPACE_OF[item.name]
    element = add(parent, q(namespace, item.name))
    add(element, q(namespace, "itemDescription"), item.description)
    add(element, q(namespace, "itemUnits"), item.units)
    if item.pulse_factor is not None:
        add(element, PULSE_FACTOR, repr(item.pulse_factor))
    if item.si_scale_code is not None:
        add(element, SI_SCALE_CODE, item.si_scale_code)
    if item.power_attributes is not None:
        attributes = add(element, POWER_ATTRIBUTES)
        add(attributes, q(POWER, "hertz"), _format_decimal(item.power_attributes.hertz))
        add(attributes, q(POWER, "voltage"), _format_decimal(item.power_attributes.voltage))
        add(attributes, q(POWER, "ac"), format_bool(item.power_attributes.ac))
