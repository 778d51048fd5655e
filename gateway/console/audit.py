"""The audit trail: every change made on the admin port (the admin API and the console alike), with who made
it and how it ended, as a row of `operator_audit` and a record on `oadr.operator.audit.v1` written in one
transaction (the record through the outbox, so it reaches Kafka even if Kafka is down at that moment).

`AuditTrail` wraps the admin app: for each request that changes something (any method but GET, HEAD and
OPTIONS) made by an authenticated principal it keeps the request body the app read and the status it
answered, then records them. Unauthenticated attempts are logged only, so that nobody can fill the table
without a credential. Secrets are never recorded: fields named like a token or password are left out, and
the sign-in form not at all.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote

import asyncpg
from pydantic import BaseModel

from gateway.console.roles import SAFE_METHODS, Principal
from gateway.metrics import ASGIApp
from shared import topics
from shared.contract.audit import OperatorAction
from shared.contract.envelope import Envelope, utcnow
from shared.db import outbox
from shared.db.outbox import OutboxRelay
from shared.health import Receive, Scope, Send

log = logging.getLogger(__name__)

MAX_DETAIL_BYTES = 16 * 1024
SECRET_FIELDS = ("token", "password", "secret", "csrf")
BODILESS_PATHS = frozenset({"/console/sign-in"})
TARGET_PARAMS = ("ven_id", "event_id", "report_request_id", "name")


class AuditEntry(BaseModel):
    """One row of the trail as the console and `GET /api/v1/audit` show it."""

    id: int
    occurred_at: str
    actor: str
    role: str
    via: str
    action: str
    target: str | None
    status: int
    detail: dict[str, Any] | None


def without_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: without_secrets(v) for k, v in value.items() if not any(word in str(k).lower() for word in SECRET_FIELDS)
        }
    if isinstance(value, list):
        return [without_secrets(v) for v in value]
    return value


def detail_of(path: str, body: bytes, query: Mapping[str, str]) -> dict[str, Any] | None:
    """What the request asked for: its JSON body and query parameters, secrets left out."""
    detail: dict[str, Any] = {}
    if query:
        detail["query"] = dict(query)
    if body and path not in BODILESS_PATHS and len(body) <= MAX_DETAIL_BYTES:
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if parsed is not None:
            detail["body"] = parsed
    cleaned = without_secrets(detail)
    return cleaned or None


def target_of(path_params: Mapping[str, Any]) -> str | None:
    """The VEN, event, report request or operator a route names (`ven_id=...`), e.g. "ven_id=ven-1"."""
    named = [f"{p}={path_params[p]}" for p in TARGET_PARAMS if p in path_params]
    return " ".join(named) or None


def route_of(path: str, path_params: Mapping[str, Any]) -> str:
    """The route a path took, its parameters named: "/api/v1/vens/v1/memberships" -> "/api/v1/vens/{ven_id}/memberships"."""
    names = {str(value): name for name, value in path_params.items()}
    return "/".join(f"{{{names[unquote(part)]}}}" if unquote(part) in names else part for part in path.split("/"))


class AuditRecorder:
    def __init__(self, pool: asyncpg.Pool, relay: OutboxRelay) -> None:
        self._pool = pool
        self._relay = relay

    async def record(self, action: OperatorAction) -> None:
        envelope = Envelope(payload=action)
        log.info(
            "operator change",
            extra={
                "action": "operator_change",
                "actor": action.actor,
                "role": action.role,
                "change": action.action,
                "target": action.target,
                "status": action.status,
            },
        )
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute(
                    """
                    INSERT INTO operator_audit (message_id, occurred_at, actor, role, via, action, target, status, detail)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)
                    """,
                    envelope.message_id, action.occurred_at, action.actor, action.role, action.via, action.action,
                    action.target, action.status, json.dumps(action.detail) if action.detail is not None else None,
                )  # fmt: skip
                await outbox.add(conn, topics.OPERATOR_AUDIT, envelope)
        except (OSError, asyncpg.PostgresError) as exc:
            # The change itself happened; the log line above keeps the trail until the database is back.
            log.error("audit record not stored", extra={"action": "audit_failed", "error": repr(exc)})
            return
        self._relay.wake()

    async def entries(self, limit: int, before_id: int | None, actor: str | None) -> list[AuditEntry]:
        rows = await self._pool.fetch(
            """
            SELECT id, occurred_at, actor, role, via, action, target, status, detail FROM operator_audit
            WHERE ($2::bigint IS NULL OR id < $2) AND ($3::text IS NULL OR actor = $3)
            ORDER BY id DESC LIMIT $1
            """,
            limit,
            before_id,
            actor,
        )
        return [
            AuditEntry(
                **{**dict(row), "occurred_at": row["occurred_at"].isoformat(),
                   "detail": json.loads(row["detail"]) if row["detail"] is not None else None}
            )
            for row in rows
        ]  # fmt: skip


class AuditTrail:
    """ASGI middleware around the admin app (see the module doc)."""

    def __init__(self, app: ASGIApp, recorder: AuditRecorder) -> None:
        self._app = app
        self._recorder = recorder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"].upper() in SAFE_METHODS:
            await self._app(scope, receive, send)
            return
        scope.setdefault("state", {})
        body = bytearray()
        answered: list[int] = []

        async def reading() -> Any:
            message = await receive()
            if message["type"] == "http.request" and len(body) <= MAX_DETAIL_BYTES:
                body.extend(message.get("body", b""))
            return message

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                answered.append(int(message["status"]))
            await send(message)

        try:
            await self._app(scope, reading, sending)
        finally:
            principal = scope["state"].get("principal")
            if isinstance(principal, Principal) and answered:
                await self._record(scope, principal, answered[0], bytes(body))
            elif answered:
                log.info(
                    "unauthenticated change refused",
                    extra={"action": "change_refused", "path": scope.get("path"), "status": answered[0]},
                )

    async def _record(self, scope: Scope, principal: Principal, status: int, body: bytes) -> None:
        path = route_of(scope.get("path", ""), scope.get("path_params") or {})
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
        await self._recorder.record(
            OperatorAction(
                actor=principal.name,
                role=principal.role.value,
                via=principal.via,
                action=f"{scope['method'].upper()} {path}",
                target=target_of(scope.get("path_params") or {}),
                status=status,
                detail=detail_of(scope.get("path", ""), body, query),
                occurred_at=utcnow(),
            )
        )
