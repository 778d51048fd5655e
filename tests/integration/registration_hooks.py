"""An OpenLEADR-style registration handler, loaded by name like an operator's would be."""

from __future__ import annotations

from typing import Any


async def on_create_party_registration(registration_info: dict[str, Any]) -> tuple[str, str] | bool:
    name = registration_info["ven_name"]
    if name == "refuse-me":
        return False
    return f"ven-for-{name}", f"reg-for-{name}"
