"""One client session on the XMPP server (slixmpp), logged in with a certificate (SASL EXTERNAL).

The VTN's connector holds one, as `<its account>@<domain>/<instance>`; the test VENs hold theirs the same way.
It stays connected: a lost session is started again (with backoff) until close(); a silent server is
noticed by pings (XEP-0199). It hands on OpenADR payloads other clients send (IQ set or get whose child is
an oadrPayload) and presence, and sends IQs and waits for their answers.

    DeliveryError kinds (a failed `ask`):
        "connect"   not connected, or the recipient is not online (the server answered so)
        "timeout"   no answer in time
        "busy"      the recipient answered with a `wait` error (try again later)
        "refused"   any other error answer
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from slixmpp import ClientXMPP
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.stanza import Presence
from slixmpp.xmlstream import StanzaBase
from slixmpp.xmlstream.handler import CoroutineCallback
from slixmpp.xmlstream.matcher.base import MatcherBase

from gateway.xmpp.wire_form import PAYLOAD_TAG

log = logging.getLogger(__name__)

PING_INTERVAL_SECONDS = 30.0
PING_TIMEOUT_SECONDS = 10.0
RECONNECT_MAX_SECONDS = 30.0
_UNAVAILABLE = frozenset({"recipient-unavailable", "service-unavailable", "item-not-found", "remote-server-not-found"})


class AskFailed(Exception):
    """An IQ got no usable answer; `kind` is one of connect, timeout, busy, refused."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class StanzaAnswer:
    """How to answer an IQ: a result carrying `payload`, or an error (type, condition, text) carrying it."""

    payload: ET.Element | None
    error_type: str | None = None
    condition: str | None = None
    text: str | None = None


Handler = Callable[[str, ET.Element], Awaitable[StanzaAnswer]]
PresenceHandler = Callable[[str, bool], None]


def client_context(cert_path: str, key_path: str, ca_path: str | None, passphrase: str | None = None) -> ssl.SSLContext:
    """TLS to the XMPP server: its certificate checked against `ca_path` (and the domain), ours presented."""
    context = ssl.create_default_context(cafile=ca_path)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_path, key_path, passphrase)
    return context


class _OpenAdrRequest(MatcherBase):
    """Matches an IQ set or get whose child is an oadrPayload: a request (results travel to their askers)."""

    def __init__(self) -> None:
        super().__init__(None)

    def match(self, xml: StanzaBase) -> bool:
        element = xml.xml
        return (
            element.tag == "{jabber:client}iq"
            and element.get("type") in ("set", "get")
            and element.find(PAYLOAD_TAG) is not None
        )


class XmppConnection:
    def __init__(
        self,
        jid: str,
        server: tuple[str, int],
        context: ssl.SSLContext,
        on_payload: Handler | None = None,
        on_presence: PresenceHandler | None = None,
        send_presence: bool = True,
    ) -> None:
        self.client = ClientXMPP(jid, "", sasl_mech="EXTERNAL")
        self.client.ssl_context = context
        self.client.register_plugin("xep_0199", {"keepalive": True, "interval": PING_INTERVAL_SECONDS,
                                                 "timeout": PING_TIMEOUT_SECONDS})  # fmt: skip
        self._server = server
        self._on_payload = on_payload
        self.on_presence = on_presence  # may be set after construction, before the session starts
        # A VEN announces itself to the VTN's address only (a directed presence); None: to its contacts
        self.presence_to: str | None = None
        self._send_presence = send_presence
        self._online = asyncio.Event()
        self._closed = asyncio.Event()
        self._closing = False
        self._failures = 0
        self.auth_failed = False
        self.sessions = 0
        self.client.add_event_handler("session_start", self._started)
        self.client.add_event_handler("disconnected", self._lost)
        self.client.add_event_handler("failed_auth", self._auth_failed)
        if on_payload is not None:
            self.client.register_handler(
                CoroutineCallback("openadr-request", _OpenAdrRequest(), self._payload_received)
            )
        self.client.add_event_handler("presence_available", lambda p: self._presence(p, True))
        self.client.add_event_handler("presence_unavailable", lambda p: self._presence(p, False))

    @property
    def jid(self) -> str:
        return str(self.client.boundjid)

    @property
    def online(self) -> bool:
        return self._online.is_set()

    def start(self) -> None:
        self.client.connect(*self._server)

    async def wait_online(self, timeout: float) -> None:
        await asyncio.wait_for(self._online.wait(), timeout)

    async def closed(self) -> None:
        """Return once close() was called."""
        await self._closed.wait()

    async def close(self) -> None:
        self._closing = True
        self._closed.set()
        self._online.clear()
        if self.client.is_connected():
            await self.client.disconnect(wait=2.0)
        else:
            self.client.cancel_connection_attempt()

    def _started(self, _: object) -> None:
        self._failures = 0
        self.sessions += 1
        if self.presence_to is not None:
            self.client.send_presence(pto=self.presence_to)
        elif self._send_presence:
            self.client.send_presence()
        self._online.set()
        log.info("xmpp session started", extra={"action": "xmpp_session_started", "jid": self.jid})

    def _auth_failed(self, _: object) -> None:
        self.auth_failed = True
        log.error("the XMPP server refused the certificate", extra={"action": "xmpp_auth_failed"})

    def _lost(self, _: object) -> None:
        was_online = self._online.is_set()
        self._online.clear()
        if self._closing:
            return
        self._failures += 1
        delay = min(RECONNECT_MAX_SECONDS, 0.5 * 2 ** min(self._failures, 6))
        if was_online:
            log.warning("xmpp session lost, connecting again", extra={"action": "xmpp_session_lost"})
        asyncio.get_running_loop().call_later(delay, self._again)

    def _again(self) -> None:
        if not self._closing and not self.client.is_connected():
            self.start()

    def _presence(self, presence: Presence, available: bool) -> None:
        if self.on_presence is not None:
            self.on_presence(str(presence["from"]), available)

    async def _payload_received(self, iq: StanzaBase) -> None:
        assert self._on_payload is not None
        payload = iq.xml.find(PAYLOAD_TAG)
        assert payload is not None  # the matcher found it
        try:
            answer = await self._on_payload(str(iq["from"]), payload)
        except Exception:
            log.exception("payload handling failed", extra={"action": "xmpp_payload_failed"})
            answer = StanzaAnswer(None, "wait", "internal-server-error", "the VTN could not handle it; try again")
        reply = iq.reply(clear=True)
        if answer.error_type is None:
            if answer.payload is not None:
                reply.xml.append(answer.payload)
        else:
            reply["type"] = "error"
            reply["error"]["type"] = answer.error_type
            reply["error"]["condition"] = answer.condition or "undefined-condition"
            if answer.text:
                reply["error"]["text"] = answer.text
            if answer.payload is not None:
                reply["error"].xml.append(answer.payload)
        try:
            reply.send()
        except Exception as error:  # the session ended meanwhile: the sender asks again
            log.info("answer not sent", extra={"action": "xmpp_answer_unsent", "error": repr(error)})

    async def ask(self, to: str, payload: ET.Element, timeout: float) -> ET.Element | None:
        """Send `payload` in an IQ set to `to`; the oadrPayload of the result (None if it carried none)."""
        if not self._online.is_set():
            raise AskFailed("connect", "not connected to the XMPP server")
        iq = self.client.make_iq_set(ito=to)
        iq.xml.append(payload)
        try:
            result = await iq.send(timeout=timeout)  # type: ignore[no-untyped-call]
        except IqTimeout:
            raise AskFailed("timeout", f"no answer from {to} within {timeout:.0f} s") from None
        except IqError as error:
            condition, kind = error.condition, error.etype
            if condition in _UNAVAILABLE:
                raise AskFailed("connect", f"{to} is not online ({condition})") from None
            raise AskFailed(
                "busy" if kind == "wait" else "refused", f"{to} answered {kind}/{condition}: {error.text}"
            ) from None
        except Exception as error:  # the session ended while sending
            raise AskFailed("connect", f"not sent: {error!r}") from None
        found: ET.Element | None = result.xml.find(PAYLOAD_TAG)
        return found
