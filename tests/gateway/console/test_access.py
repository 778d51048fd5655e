"""Every route of the admin port checks who is asking, server-side: the admin API and the console's own API
routes alike. No credential: 401. A viewer's change, an operator managing operators, a session's change
without its CSRF token: 403."""

from __future__ import annotations

import asyncio
import functools
import re
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gateway.admin.api import API_PREFIX, create_admin_app
from gateway.console import access, credentials
from gateway.console.access import CSRF_HEADER, SESSION_COOKIE, Authenticator, SessionPolicy, require
from gateway.console.api import console_api_router
from gateway.console.audit import AuditRecorder
from gateway.console.fleet_feed import FleetFeed
from gateway.console.queries import ServiceQueries
from gateway.console.roles import Principal, Role
from shared.contract.events import EventOutcome
from shared.contract.operator import OperatorOutcome
from tests.fakes import FakeRequester
from tests.gateway.console.fakes import MemoryOperatorStore

ADMIN_TOKEN = "bootstrap-admin-token"
SAFE = {"GET", "HEAD", "OPTIONS"}


def answer(topic: str, envelope: Any) -> Any:
    return EventOutcome(status=200, detail="OK") if "event" in topic else OperatorOutcome(status=200, detail="OK")


class World:
    def __init__(self) -> None:
        self.store = MemoryOperatorStore()
        self.authenticator = Authenticator(
            self.store, ADMIN_TOKEN, SessionPolicy(idle_seconds=600, max_seconds=3600, secure_cookie=False)
        )
        requester = FakeRequester(answer)
        router = console_api_router(
            self.authenticator, ServiceQueries(requester, 1.0), cast(FleetFeed, None), cast(AuditRecorder, None)
        )
        self.app: FastAPI = create_admin_app(requester, require(self.authenticator), 1.0, more_routes=[router])
        self.client = TestClient(self.app)

    def token_for(self, name: str, role: Role) -> str:
        issued = credentials.issue_token()
        assert asyncio.run(self.store.add_operator(issued.operator_id, name, role, issued.token_hash, "admin"))
        return issued.token

    def session_for(self, name: str, role: Role) -> tuple[str, str]:
        """(cookie value, CSRF token) of a new session."""
        session_id, principal = asyncio.run(self.authenticator.open_session(Principal(name, role, "token")))
        assert principal.session_csrf is not None
        return session_id, principal.session_csrf


@pytest.fixture
def world() -> World:
    return World()


@functools.cache
def _routes_of_a_fresh_app() -> list[tuple[str, str]]:
    paths: dict[str, Any] = World().app.openapi()["paths"]
    found = []
    for path, operations in paths.items():
        if path.startswith(API_PREFIX):
            found += [(method.upper(), re.sub(r"\{[^}]+\}", "x", path)) for method in sorted(operations)]
    return found


def api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route under /api/v1, as the OpenAPI document lists them (every app built by
    World has the same routes)."""
    return _routes_of_a_fresh_app()


def changes(app: FastAPI) -> list[tuple[str, str]]:
    return [(m, p) for m, p in api_routes(app) if m not in SAFE]


def test_the_admin_port_has_change_routes_to_check(world: World) -> None:
    assert len(changes(world.app)) >= 14
    assert ("POST", f"{API_PREFIX}/events") in changes(world.app)
    assert ("POST", f"{API_PREFIX}/operators") in changes(world.app)


def test_every_api_route_refuses_a_request_without_credentials(world: World) -> None:
    for method, path in api_routes(world.app):
        answer = world.client.request(method, path, json={})
        assert answer.status_code == 401, (method, path, answer.text)


def test_every_api_route_refuses_a_wrong_token(world: World) -> None:
    for method, path in api_routes(world.app):
        for token in ("wrong", "vtnop.nobody.secret", ADMIN_TOKEN + "x"):
            answer = world.client.request(method, path, json={}, headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 401, (method, path, answer.text)


def test_a_viewer_changes_nothing_with_a_token_or_a_session(world: World) -> None:
    token = world.token_for("vera", Role.VIEWER)
    session, csrf = world.session_for("vera", Role.VIEWER)
    for method, path in changes(world.app):
        by_token = world.client.request(method, path, json={}, headers={"Authorization": f"Bearer {token}"})
        world.client.cookies.set(SESSION_COOKIE, session)
        by_session = world.client.request(method, path, json={}, headers={CSRF_HEADER: csrf})
        world.client.cookies.clear()
        assert (by_token.status_code, by_session.status_code) == (403, 403), (method, path)


def test_a_viewer_reads(world: World) -> None:
    token = world.token_for("vera", Role.VIEWER)
    answer = world.client.get(f"{API_PREFIX}/whoami", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert answer.json() == {"name": "vera", "role": "viewer", "via": "token"}


def test_an_operator_changes_but_does_not_manage_operators(world: World) -> None:
    token = world.token_for("otto", Role.OPERATOR)
    headers = {"Authorization": f"Bearer {token}"}
    assert (
        world.client.put(f"{API_PREFIX}/vens/v1/memberships", json={"group_ids": ["g"]}, headers=headers).status_code
        == 200
    )
    for method, path in api_routes(world.app):
        if "/operators" in path:
            assert world.client.request(method, path, json={"name": "x"}, headers=headers).status_code == 403, (
                method,
                path,
            )


def test_a_session_change_without_its_csrf_token_is_refused(world: World) -> None:
    session, csrf = world.session_for("otto", Role.OPERATOR)
    world.client.cookies.set(SESSION_COOKIE, session)
    path = f"{API_PREFIX}/vens/v1/memberships"
    assert world.client.put(path, json={}).status_code == 403
    assert world.client.put(path, json={}, headers={CSRF_HEADER: "forged"}).status_code == 403
    assert world.client.put(path, json={}, headers={CSRF_HEADER: csrf}).status_code == 200
    assert world.client.get(f"{API_PREFIX}/whoami").json()["via"] == "session"


def test_the_bootstrap_token_is_the_admin_and_creates_operators_whose_token_then_works(world: World) -> None:
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    created = world.client.post(f"{API_PREFIX}/operators", json={"name": "olga", "role": "operator"}, headers=admin)
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    token = created.json()["token"]
    me = world.client.get(f"{API_PREFIX}/whoami", headers={"Authorization": f"Bearer {token}"}).json()
    assert me == {"name": "olga", "role": "operator", "via": "token"}
    again = world.client.post(f"{API_PREFIX}/operators", json={"name": "olga", "role": "viewer"}, headers=admin)
    assert again.status_code == 409
    assert (
        world.client.post(f"{API_PREFIX}/operators", json={"name": "root", "role": "admin"}, headers=admin).status_code
        == 422
    )
    assert world.client.post(f"{API_PREFIX}/operators", json={"name": "bad name!"}, headers=admin).status_code == 422


def test_a_disabled_operator_loses_token_and_sessions(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(access, "TOKEN_CACHE_SECONDS", 0.0)
    token = world.token_for("dora", Role.OPERATOR)
    headers = {"Authorization": f"Bearer {token}"}
    assert world.client.get(f"{API_PREFIX}/whoami", headers=headers).status_code == 200
    row = asyncio.run(world.store.active_operators())[0]
    session_id, _ = asyncio.run(
        world.authenticator.open_session(Principal("dora", Role.OPERATOR, "token", row.operator_id))
    )
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    assert world.client.delete(f"{API_PREFIX}/operators/dora", headers=admin).status_code == 204
    assert world.client.get(f"{API_PREFIX}/whoami", headers=headers).status_code == 401
    world.client.cookies.set(SESSION_COOKIE, session_id)
    assert world.client.get(f"{API_PREFIX}/whoami").status_code == 401


def test_sessions_expire_when_idle_and_at_their_end(world: World) -> None:
    from datetime import timedelta

    session, _ = world.session_for("ida", Role.VIEWER)
    world.client.cookies.set(SESSION_COOKIE, session)
    assert world.client.get(f"{API_PREFIX}/whoami").status_code == 200
    world.store.now += timedelta(seconds=601)  # idle longer than idle_seconds
    assert world.client.get(f"{API_PREFIX}/whoami").status_code == 401
    world.store.now -= timedelta(seconds=601)
    world.store.now += timedelta(seconds=3601)  # past max_seconds
    assert world.client.get(f"{API_PREFIX}/whoami").status_code == 401
