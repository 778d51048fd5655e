"""The VTN's signature on what it sends over XMPP: the document is put in the XMPP form first, and the
signature is written in that form too (gateway.xmpp.wire_form says why), so that it still verifies after
the XMPP server has rewritten the stanza."""

from __future__ import annotations

from datetime import datetime

from gateway.security.signatures import MessageSigner
from gateway.xmpp.wire_form import xmpp_form


class XmppFormSigner(MessageSigner):
    def __init__(self, cert_pem: bytes, key_pem: bytes, passphrase: str | None = None, prefixed: bool = False) -> None:
        super().__init__(cert_pem, key_pem, passphrase, prefixed=False)

    def sign(self, body: bytes, now: datetime | None = None) -> bytes:
        return super().sign(xmpp_form(body), now)
