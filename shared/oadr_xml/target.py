"""XML mapping of ei:EiTargetType (eiTarget, reportSubject, reportDataSource, oadrDeviceClass)."""

from __future__ import annotations

from lxml import etree

from shared.oadr.target import Target
from shared.oadr_xml.namespaces import EI, POWER, q
from shared.oadr_xml.tree import add, texts_of

END_DEVICE_ASSET = q(POWER, "endDeviceAsset")
MRID = q(POWER, "mrid")
GROUP_ID = q(EI, "groupID")
RESOURCE_ID = q(EI, "resourceID")
VEN_ID = q(EI, "venID")
PARTY_ID = q(EI, "partyID")


def parse_target(element: etree._Element) -> Target:
    """Read an element of type ei:EiTargetType; elements the model does not hold are ignored."""
    return Target(
        end_device_assets=tuple(
            (mrid.text or "").strip() for asset in element.iterfind(END_DEVICE_ASSET) for mrid in asset.iterfind(MRID)
        ),
        group_ids=texts_of(element, GROUP_ID),
        resource_ids=texts_of(element, RESOURCE_ID),
        ven_ids=texts_of(element, VEN_ID),
        party_ids=texts_of(element, PARTY_ID),
    )


def add_target(parent: etree._Element, qname: str, target: Target) -> etree._Element:
    """Append `target` as element `qname`, children in the order the XSD sequence requires."""
    element = add(parent, qname)
    for mrid in target.end_device_assets:
        add(add(element, END_DEVICE_ASSET), MRID, mrid)
    for group_id in target.group_ids:
        add(element, GROUP_ID, group_id)
    for resource_id in target.resource_ids:
        add(element, RESOURCE_ID, resource_id)
    for ven_id in target.ven_ids:
        add(element, VEN_ID, ven_id)
    for party_id in target.party_ids:
        add(element, PARTY_ID, party_id)
    return element
