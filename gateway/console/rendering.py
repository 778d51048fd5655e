"""Renders the console's pages: Jinja2 templates (autoescaped) with what every page shows, the static
files, and the browser libraries installed from the npm registry at build time (never from a CDN)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from gateway.console.roles import Principal, Role

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
NODE_MODULES = HERE / "node_modules"
# What /console/vendor/<name> serves: files of the npm packages in package.json (`npm ci` installs them).
VENDOR_FILES = {"chart.umd.min.js": NODE_MODULES / "chart.js" / "dist" / "chart.umd.min.js"}


def missing_vendor_files() -> list[str]:
    return [name for name, path in VENDOR_FILES.items() if not path.is_file()]


def when(value: datetime | None) -> str:
    """A timestamp as the console shows it: UTC, to the second."""
    if value is None:
        return "never"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(value: timedelta | None) -> str:
    """A duration as people say it: "90 s", "15 min", "1 h 30 min"; 0 is "until cancelled"."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0 (open-ended)"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else "", f"{secs} s" if secs else ""]
    return " ".join(p for p in parts if p)


class Pages:
    def __init__(self) -> None:
        self._templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
        self._templates.env.filters["when"] = when
        self._templates.env.filters["duration"] = duration
        if missing := missing_vendor_files():
            log.warning(
                "console libraries missing: run `npm ci` in gateway/console (the devstack and the image do)",
                extra={"action": "console_assets_missing", "files": missing},
            )

    def render(
        self, request: Request, template: str, principal: Principal | None, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        context.update(
            principal=principal,
            csrf_token=principal.session_csrf if principal else None,
            can_change=principal is not None and principal.role.allows(Role.OPERATOR),
            is_admin=principal is not None and principal.role is Role.ADMIN,
        )
        return self._templates.TemplateResponse(request, template, context, status_code=status_code)
