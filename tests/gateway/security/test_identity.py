"""Where the sender's certificate comes from, and whose venIDs it may use."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from devstack.certs import Issued
from gateway.security.forwarded_certificates import ForwardedCertificates
from gateway.security.identity import ClientIdentity, IdentityRefused
from gateway.security.replay import MemoryNonceStore, PostgresNonceStore, ReplayGuard, ReplayRefused
from gateway.security.tls import client_verifying_context
from gateway.security.ven_identity import CachedFingerprints, check_claim
from shared.oadr.registration import CreatePartyRegistration, Poll, QueryRegistration


def scope(client: str, header: bytes | None = None, tls_pem: str | None = None) -> dict[str, object]:
    headers = [(b"ssl-client-cert", header)] if header is not None else []
    extensions = {"tls": {"client_cert_chain": [tls_pem]}} if tls_pem else {}
    return {"client": (client, 4000), "headers": headers, "extensions": extensions}


def behind(proxies: list[str], certs: dict[str, Issued]) -> ClientIdentity:
    ca_file = certs["ca"].cert_path
    verifier = ForwardedCertificates.for_ca_file(
        ca_file, client_verifying_context(ca_file), accept_seconds=60, max_entries=100
    )
    return ClientIdentity(proxies, forwarded=verifier)


def test_proxy_header_is_used_only_from_a_trusted_proxy(dev_certs: dict[str, Issued]) -> None:
    pem = dev_certs["ven1"].cert_path.read_text()
    identify = behind(["10.0.0.0/8"], dev_certs)
    assert identify(scope("10.1.2.3", quote(pem).encode())).fingerprint == dev_certs["ven1"].fingerprint
    with pytest.raises(IdentityRefused):
        identify(scope("192.168.1.1", quote(pem).encode()))


def test_proxy_mode_is_off_by_default(dev_certs: dict[str, Issued]) -> None:
    pem = dev_certs["ven1"].cert_path.read_text()
    with pytest.raises(IdentityRefused):
        ClientIdentity()(scope("10.1.2.3", quote(pem).encode()))
    assert ClientIdentity()(scope("10.1.2.3")).fingerprint is None


def test_a_header_cannot_override_the_tls_certificate(dev_certs: dict[str, Issued]) -> None:
    own, other = dev_certs["ven1"].cert_path.read_text(), dev_certs["ven2"].cert_path.read_text()
    identify = behind(["127.0.0.1/32"], dev_certs)
    assert identify(scope("127.0.0.1", tls_pem=own)).fingerprint == dev_certs["ven1"].fingerprint
    with pytest.raises(IdentityRefused):
        identify(scope("127.0.0.1", quote(other).encode(), tls_pem=own))


def test_a_garbage_header_is_refused(dev_certs: dict[str, Issued]) -> None:
    with pytest.raises(IdentityRefused) as refused:
        behind(["127.0.0.1"], dev_certs)(scope("127.0.0.1", b"not a certificate"))
    assert refused.value.reason == "forwarded_certificate_unreadable"


def test_claims() -> None:
    poll = Poll(ven_id="v1")
    assert check_claim(poll, "AA", "AA") is None
    assert check_claim(poll, "AA", "BB") is not None
    assert check_claim(poll, "AA", None) is not None
    assert check_claim(QueryRegistration(request_id="r"), "AA", None) is None
    registration = CreatePartyRegistration(
        request_id="r",
        ven_id="v1",
        profile_name="2.0b",
        transport_name="simpleHttp",
        report_only=False,
        xml_signature=True,
        http_pull_model=True,
    )
    assert check_claim(registration, "AA", None) is None
    assert check_claim(registration, "AA", "BB") is not None


class CountingSource:
    def __init__(self) -> None:
        self.bound: dict[str, str] = {}
        self.calls = 0

    async def fingerprint_of(self, ven_id: str) -> str | None:
        self.calls += 1
        return self.bound.get(ven_id)


async def test_bindings_are_cached_until_invalidated_and_unbound_never() -> None:
    source = CountingSource()
    cache = CachedFingerprints(source, ttl_seconds=60)
    assert await cache.fingerprint_of("v1") is None
    source.bound["v1"] = "AA"
    assert await cache.fingerprint_of("v1") == "AA"
    assert await cache.fingerprint_of("v1") == "AA"
    assert source.calls == 2
    source.bound["v1"] = "BB"
    cache.invalidate("v1")
    assert await cache.fingerprint_of("v1") == "BB"


async def test_replay_guard_refuses_a_reused_nonce_and_stale_or_future_timestamps() -> None:
    guard = ReplayGuard(MemoryNonceStore(), max_age_seconds=30)
    now = datetime.now(UTC)
    await guard.admit("AA", "n1", now)
    await guard.admit("BB", "n1", now)  # nonces are per signer
    with pytest.raises(ReplayRefused, match="replay"):
        await guard.admit("AA", "n1", now)
    with pytest.raises(ReplayRefused, match="ago"):
        await guard.admit("AA", "n2", now - timedelta(seconds=31))
    with pytest.raises(ReplayRefused, match="future"):
        await guard.admit("AA", "n3", now + timedelta(seconds=31))


async def test_memory_nonce_store_is_bounded() -> None:
    store = MemoryNonceStore(max_entries=2)
    later = datetime.now(UTC) + timedelta(minutes=1)
    for nonce in ("a", "b", "c"):
        assert await store.first_use("AA", nonce, later)
    assert len(store._seen) == 2


class _FakeConnection:
    def __init__(self, calls: list[int], known: set[tuple[str, str]], fail: bool) -> None:
        self._calls, self._known, self._fail = calls, known, fail

    async def fetch(
        self, _query: str, signers: list[str], nonces: list[str], _expiry: list[datetime]
    ) -> list[dict[str, str]]:
        await asyncio.sleep(0.01)
        if self._fail:
            raise OSError("database unreachable")
        self._calls.append(len(nonces))
        new = [(s, n) for s, n in zip(signers, nonces, strict=True) if (s, n) not in self._known]
        self._known.update(new)
        return [{"signer": s, "nonce": n} for s, n in new]


class _FakePool:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[int] = []
        self.known: set[tuple[str, str]] = set()
        self.fail = fail

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[_FakeConnection]:
        yield _FakeConnection(self.calls, self.known, self.fail)


async def test_postgres_nonce_store_writes_concurrent_nonces_together_and_refuses_repeats() -> None:
    pool = _FakePool()
    store = PostgresNonceStore(pool)  # type: ignore[arg-type]
    later = datetime.now(UTC) + timedelta(minutes=1)
    results = await asyncio.gather(*(store.first_use("AA", n, later) for n in ["a", "b", "a", "c", "d"]))
    assert results == [True, True, False, True, True]  # the second "a" in the same batch is a replay
    assert pool.calls == [4]  # one INSERT for the four that arrived together
    first = asyncio.ensure_future(store.first_use("AA", "e", later))
    await asyncio.sleep(0.001)  # its INSERT is in flight: the next ones wait and go together
    assert await asyncio.gather(first, *(store.first_use("AA", n, later) for n in "fgh")) == [True] * 4
    assert pool.calls == [4, 1, 3]
    assert not await store.first_use("AA", "b", later)
    assert await store.first_use("BB", "b", later)  # nonces are per signer


async def test_postgres_nonce_store_failure_reaches_every_waiting_message() -> None:
    store = PostgresNonceStore(_FakePool(fail=True))  # type: ignore[arg-type]
    later = datetime.now(UTC) + timedelta(minutes=1)
    results = await asyncio.gather(*(store.first_use("AA", n, later) for n in "xyz"), return_exceptions=True)
    assert all(isinstance(r, OSError) for r in results)
