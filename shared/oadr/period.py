"""A span of time given by its start and length (the xcal:properties block of WS-Calendar)."""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.oadr.common import OadrModel


class Period(OadrModel):
    """A report interval, or one window of an opt's availability schedule."""

    dtstart: datetime
    duration: timedelta
