"""The ei:EiTargetType: which VENs, groups, resources, parties or device classes something is about."""

from __future__ import annotations

from shared.oadr.common import OadrModel


class Target(OadrModel):
    """An eiTarget (also reportSubject, reportDataSource and oadrDeviceClass, which share its type).

    `end_device_assets` holds the power:endDeviceAsset mRIDs, the only element the spec uses for a
    device class (e.g. "Thermostat"). The market-location elements of the type (pnode, serviceArea, ...)
    are not used by OpenADR 2.0b VENs and are not modelled.
    """

    ven_ids: tuple[str, ...] = ()
    group_ids: tuple[str, ...] = ()
    resource_ids: tuple[str, ...] = ()
    party_ids: tuple[str, ...] = ()
    end_device_assets: tuple[str, ...] = ()
