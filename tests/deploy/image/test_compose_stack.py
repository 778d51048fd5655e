"""The VTN as docker compose runs it from the built image, reached like a VEN and an operator would.

Run by `make image-test` (devstack/image_test.py), which starts the stack in production mode and sets
VTN_IMAGE_TEST_*; the first test runs on a fresh stack, the second after `docker compose down` and `up`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
from openleadr import OpenADRClient

from shared.fingerprints import fingerprint_of_pem
from tests.interop.test_openleadr_ven import retry_while_unavailable
from tests.waiting import until

URL = os.environ.get("VTN_IMAGE_TEST_URL", "")
ADMIN_URL = os.environ.get("VTN_IMAGE_TEST_ADMIN_URL", "")
STATE = Path(os.environ.get("VTN_IMAGE_TEST_STATE", "."))
CERTS = STATE / "certs"
VEN_NAME = os.environ.get("VTN_IMAGE_TEST_VEN", "image-test-ven")
REGISTERED = STATE / "registered-ven.json"


def _admin() -> httpx.AsyncClient:
    token = os.environ["VTN_ADMIN_TOKEN"]
    return httpx.AsyncClient(base_url=ADMIN_URL, headers={"Authorization": f"Bearer {token}"}, timeout=10)


async def test_an_openleadr_ven_registers_and_polls_over_https_and_the_admin_api_lists_it() -> None:
    vtn_certificate = (CERTS / "vtn-rsa.crt").read_text()
    client = OpenADRClient(
        ven_name=VEN_NAME,
        vtn_url=URL,
        cert=str(CERTS / f"{VEN_NAME}.crt"),
        key=str(CERTS / f"{VEN_NAME}.key"),
        ca_file=str(CERTS / "ca.crt"),
        vtn_fingerprint=fingerprint_of_pem(vtn_certificate),
        show_fingerprint=False,
    )
    answered: list[Any] = []
    original_poll = client.poll

    async def recording_poll() -> Any:
        result = await original_poll()
        answered.append(result[0])
        return result

    client.poll = recording_poll  # type: ignore[method-assign]
    await client.run()
    try:
        await until(lambda: client.registration_id is not None, 60, "registration over HTTPS")
        await until(lambda: len(answered) >= 2, 60, "two polls answered")
    finally:
        await client.stop()
    async with _admin() as admin:
        answer = await admin.get(f"/vens/{client.ven_id}")
        assert answer.status_code == 200, answer.text
        assert answer.json()["ven_name"] == VEN_NAME
        assert (await admin.get("/vens", headers={"Authorization": "Bearer wrong"})).status_code == 401
    REGISTERED.write_text(json.dumps({"ven_id": client.ven_id, "registration_id": client.registration_id}))


async def test_the_registration_survives_docker_compose_down_and_up() -> None:
    """Kafka's and PostgreSQL's data are in named volumes: `down` without -v keeps them."""
    registered = json.loads(REGISTERED.read_text())
    async with _admin() as admin:
        answer = await retry_while_unavailable(lambda: admin.get(f"/vens/{registered['ven_id']}"), timeout=60)
    assert answer.status_code == 200, answer.text
    view = answer.json()
    assert view["ven_name"] == VEN_NAME
    assert view["registration_id"] == registered["registration_id"]
