"""What signing and verifying cost per message, OpenLEADR's way and this VTN's, in one run on one core.

    python -m bench.signature_costs [--messages 300]

Makes throwaway development certificates (RSA-2048 for the VEN and the VTN, OpenLEADR's usual set-up),
then times, per message: OpenLEADR signing an answer (`create_message` with cert/key, which reloads and
re-validates the key every time) and verifying a signed poll (`validate_xml_signature`); this VTN signing an
answer (`MessageSigner`, key loaded once, template + cached digest) and admitting a signed poll through the
gateway's whole security layer (`MessageSecurity.admit`: XSD-valid document in, signature verified, signer =
TLS peer, signed bytes = shown message, replay guard, venID binding). The last column is the ceiling in signed
polls per second per core that these costs alone allow (sign + verify, nothing else).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree
from openleadr.messaging import create_message, validate_xml_signature

from devstack.certs import generate
from gateway.security.message_security import Admitted, MessageSecurity, SecurityPolicy
from gateway.security.replay import MemoryNonceStore, ReplayGuard
from gateway.security.signatures import MessageSigner
from shared.contract.ven_traffic import RequestContext
from shared.oadr.common import EiResponse
from shared.oadr.registration import Response
from shared.oadr_xml.codec import decode, encode
from shared.oadr_xml.schema import load_schema


class _Bindings:
    def __init__(self, bindings: dict[str, str]) -> None:
        self._bindings = bindings

    async def fingerprint_of(self, ven_id: str) -> str | None:
        return self._bindings.get(ven_id)


def _per_message_ms(action: Callable[[], object], count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        action()
    return (time.perf_counter() - started) / count * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300, help="messages per measurement (default 300)")
    args = parser.parse_args()
    count = args.messages
    with tempfile.TemporaryDirectory() as directory:
        certs = generate(Path(directory), ["ven1"])
        ven, vtn = certs["ven1"], certs["vtn-rsa"]
        ven_cert, ven_key = ven.cert_path.read_bytes(), ven.key_path.read_bytes()
        vtn_cert, vtn_key = vtn.cert_path.read_bytes(), vtn.key_path.read_bytes()
        schema = load_schema(None)
        response = {"response_code": 200, "response_description": "OK", "request_id": None}

        # VEN polls signed in the same shape as OpenLEADR's client signs them, but with a key loaded once,
        # so that a batch is made well inside OpenLEADR's 5 s replay window.
        ven_signer = MessageSigner(ven_cert, ven_key)
        unsigned_poll = create_message("oadrPoll", ven_id="v1").encode()
        openleadr_sign = _per_message_ms(
            lambda: create_message("oadrResponse", cert=vtn_cert, key=vtn_key, response=response, ven_id="v1"),
            max(count // 10, 10),
        )
        openleadr_polls_iter = iter([etree.fromstring(ven_signer.sign(unsigned_poll)) for _ in range(count)])
        openleadr_verify = _per_message_ms(lambda: validate_xml_signature(next(openleadr_polls_iter)), count)

        signer = MessageSigner(vtn_cert, vtn_key)
        answer = encode(Response(response=EiResponse(), ven_id="v1"))
        our_sign = _per_message_ms(lambda: signer.sign(answer), count)
        security = MessageSecurity(
            SecurityPolicy(require_client_certificate=True, verify_signatures=True, require_signatures=True),
            schema,
            ReplayGuard(MemoryNonceStore(), max_age_seconds=300),
            _Bindings({"v1": ven.fingerprint}),
        )
        documents = iter([decode(ven_signer.sign(unsigned_poll), schema) for _ in range(count)])
        context = RequestContext(fingerprint=ven.fingerprint)
        loop = asyncio.new_event_loop()

        def admit() -> None:
            assert isinstance(loop.run_until_complete(security.admit(next(documents), context)), Admitted)

        our_verify = _per_message_ms(admit, count)
        loop.close()

    print("| who | sign an answer, ms | verify a signed poll, ms | signed polls/s per core (sign + verify only) |")
    print("|---|---:|---:|---:|")
    for who, sign, verify in (
        ("OpenLEADR 0.5.36", openleadr_sign, openleadr_verify),
        ("this VTN", our_sign, our_verify),
    ):
        print(f"| {who} | {sign:.2f} | {verify:.2f} | {1000 / (sign + verify):.0f} |")
    print(
        f"\nratio: {(openleadr_sign + openleadr_verify) / (our_sign + our_verify):.1f}x fewer milliseconds per signed poll"
    )


if __name__ == "__main__":
    main()
