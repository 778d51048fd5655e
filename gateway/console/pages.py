"""The console's pages, rendered on the server from the same queries the admin API answers (queries.py).

Pages only read. Every change (an event, memberships, a report request, a registration) is a form that the
console's script sends to the admin API with the session's CSRF token, so each action has one code path,
the API's, and the API's validation messages show in place.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from gateway.console.access import Authenticator, SignInRequired, require_page
from gateway.console.audit import AuditRecorder
from gateway.console.fleet_feed import FleetFeed
from gateway.console.queries import ServiceQueries
from gateway.console.rendering import STATIC_DIR, VENDOR_FILES, Pages
from gateway.console.roles import Principal, Role
from gateway.console.sign_in import SIGN_IN_PATH
from shared.contract.events import EventView
from shared.contract.operator import ListVens
from shared.oadr.event import EventStatus
from shared.oadr.signal import SignalName, SignalType

VENS_PER_PAGE = 50
AUDIT_PER_PAGE = 100
EVENT_STATUSES = [s.value for s in EventStatus]
# The schema's signal names and types, for the event form's choices (extension names "x-..." via the API).
SIGNAL_NAMES = [n.value for n in SignalName]
SIGNAL_TYPES = [t.value for t in SignalType]
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


def _tri_state(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def answer_counts(view: EventView) -> dict[str, int]:
    """How many targeted VENs opted in, opted out, or have not answered."""
    counted = Counter(a.opt_type or "none" for a in view.answers)
    return {"optIn": counted.get("optIn", 0), "optOut": counted.get("optOut", 0), "none": counted.get("none", 0)}


def pages_router(
    authenticator: Authenticator, queries: ServiceQueries, feed: FleetFeed, recorder: AuditRecorder, pages: Pages
) -> APIRouter:
    signed_in = Depends(require_page(authenticator))

    class PageRoute(APIRoute):
        """A page that cannot be had says why on a page (sign-in, 404, a service that did not answer)."""

        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def handle(request: Request) -> Response:
                try:
                    return await handler(request)
                except SignInRequired:
                    return RedirectResponse(SIGN_IN_PATH, 303)
                except HTTPException as exc:
                    principal = getattr(request.state, "principal", None)
                    return pages.render(
                        request,
                        "error.html",
                        principal,
                        exc.status_code,
                        status_code_shown=exc.status_code,
                        detail=exc.detail,
                    )

            return handle

    router = APIRouter(prefix="/console", include_in_schema=False, route_class=PageRoute)

    @router.get("")
    async def home() -> Response:
        return RedirectResponse("/console/fleet", 303)

    @router.get("/fleet")
    async def fleet(request: Request, principal: Principal = signed_in) -> Response:
        return pages.render(request, "fleet.html", principal, nav="fleet", fleet=feed.summary())

    @router.get("/vens")
    async def vens(
        request: Request,
        principal: Principal = signed_in,
        q: Annotated[str | None, Query(max_length=256)] = None,
        registered: Annotated[str | None, Query(pattern="^(|yes|no)$")] = None,
        online: Annotated[str | None, Query(pattern="^(|yes|no)$")] = None,
        profile: Annotated[str | None, Query(max_length=64)] = None,
        transport: Annotated[str | None, Query(max_length=64)] = None,
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    ) -> Response:
        query = ListVens(
            search=q.strip() or None if q else None,
            registered=_tri_state(registered),
            online=_tri_state(online),
            profile_name=profile or None,
            transport_name=transport or None,
            limit=VENS_PER_PAGE + 1,
            offset=(page - 1) * VENS_PER_PAGE,
        )
        found = await queries.vens(query)
        filters = {"q": q or "", "registered": registered or "", "online": online or "", "profile": profile or "",
                   "transport": transport or ""}  # fmt: skip
        return pages.render(
            request, "vens.html", principal, nav="vens", vens=found[:VENS_PER_PAGE], page=page,
            has_next=len(found) > VENS_PER_PAGE, filters=filters, fleet=feed.summary(),
        )  # fmt: skip

    @router.get("/vens/{ven_id}")
    async def ven(request: Request, ven_id: str, principal: Principal = signed_in) -> Response:
        found = await queries.ven(ven_id)
        if found is None:
            raise HTTPException(404, f"no VEN {ven_id!r}")
        history, memberships, events, available, requests = await asyncio.gather(
            queries.presence_history(ven_id, 20),
            queries.memberships(ven_id),
            queries.events(ven_id=ven_id, limit=50),
            queries.available_reports(ven_id),
            queries.report_requests(ven_id),
        )
        answers = {
            e.event.descriptor.event_id: next((a for a in e.answers if a.ven_id == ven_id), None) for e in events
        }
        return pages.render(
            request, "ven.html", principal, nav="vens", ven=found, history=history.changes, memberships=memberships,
            events=events, answers=answers, available=available, requests=requests,
        )  # fmt: skip

    @router.get("/events")
    async def events(
        request: Request,
        principal: Principal = signed_in,
        status: Annotated[str | None, Query(pattern="^(|" + "|".join(EVENT_STATUSES) + ")$")] = None,
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    ) -> Response:
        chosen = EventStatus(status) if status else None
        found = await queries.events(event_status=chosen, limit=VENS_PER_PAGE + 1, offset=(page - 1) * VENS_PER_PAGE)
        return pages.render(
            request, "events.html", principal, nav="events", events=found[:VENS_PER_PAGE], status=status or "",
            statuses=EVENT_STATUSES, page=page, has_next=len(found) > VENS_PER_PAGE,
            counts={e.event.descriptor.event_id: answer_counts(e) for e in found},
        )  # fmt: skip

    @router.get("/events/new")
    async def new_event(
        request: Request, principal: Principal = signed_in, ven: Annotated[str | None, Query(max_length=256)] = None
    ) -> Response:
        if not principal.role.allows(Role.OPERATOR):
            raise HTTPException(403, "viewers cannot create events")
        start = (datetime.now(UTC) + timedelta(minutes=5)).replace(second=0, microsecond=0)
        return pages.render(
            request, "event_form.html", principal, nav="events", view=None, start=start, ven=ven or "",
            signal_names=SIGNAL_NAMES, signal_types=SIGNAL_TYPES,
        )  # fmt: skip

    async def event_or_404(event_id: str) -> EventView:
        view = await queries.event(event_id)
        if view is None:
            raise HTTPException(404, f"no event {event_id!r}")
        return view

    @router.get("/events/{event_id}")
    async def event(request: Request, event_id: str, principal: Principal = signed_in) -> Response:
        view = await event_or_404(event_id)
        return pages.render(request, "event.html", principal, nav="events", view=view, counts=answer_counts(view))

    @router.get("/events/{event_id}/edit")
    async def edit_event(request: Request, event_id: str, principal: Principal = signed_in) -> Response:
        if not principal.role.allows(Role.OPERATOR):
            raise HTTPException(403, "viewers cannot change events")
        view = await event_or_404(event_id)
        return pages.render(
            request, "event_form.html", principal, nav="events", view=view, start=view.event.active_period.dtstart,
            ven="", signal_names=SIGNAL_NAMES, signal_types=SIGNAL_TYPES,
        )  # fmt: skip

    @router.get("/audit")
    async def audit(
        request: Request,
        principal: Principal = signed_in,
        before: Annotated[int | None, Query(ge=1)] = None,
        actor: Annotated[str | None, Query(max_length=64)] = None,
    ) -> Response:
        entries = await recorder.entries(AUDIT_PER_PAGE + 1, before, actor or None)
        older = entries[AUDIT_PER_PAGE - 1].id if len(entries) > AUDIT_PER_PAGE else None
        return pages.render(
            request,
            "audit.html",
            principal,
            nav="audit",
            entries=entries[:AUDIT_PER_PAGE],
            older=older,
            actor=actor or "",
        )

    @router.get("/operators")
    async def operators(request: Request, principal: Principal = signed_in) -> Response:
        if principal.role is not Role.ADMIN:
            raise HTTPException(403, "only the admin manages operators")
        found = await authenticator.store.active_operators()
        return pages.render(request, "operators.html", principal, nav="operators", operators=found)

    @router.get("/static/{name}")
    async def static(name: str) -> Response:
        path = STATIC_DIR / name
        if "/" in name or path.suffix not in STATIC_TYPES or not path.is_file():
            raise HTTPException(404, "no such file")
        return FileResponse(path, media_type=STATIC_TYPES[path.suffix], headers={"Cache-Control": "no-cache"})

    @router.get("/vendor/{name}")
    async def vendor(name: str) -> Response:
        path = VENDOR_FILES.get(name)
        if path is None or not path.is_file():
            raise HTTPException(404, "no such file (run `npm ci` in gateway/console)")
        return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})

    return router
