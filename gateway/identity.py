"""What the gateway knows about the sender of a request.

With plain HTTP, only the peer address. The TLS client certificate (and its OpenADR fingerprint) will be
read here from the ASGI `tls` extension when the gateway terminates HTTPS.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from shared.contract.ven_traffic import RequestContext


def request_context(scope: MutableMapping[str, Any]) -> RequestContext:
    client = scope.get("client")
    remote_addr = f"{client[0]}:{client[1]}" if client else None
    return RequestContext(remote_addr=remote_addr, fingerprint=None, signed=False)
