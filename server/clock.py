"""Local time of the bureau. Storage is UTC (server.db.utcnow); people see Asia/Shanghai."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_today() -> dt.date:
    """Today's date in the bureau's zone (a credential 'valid today' means today in China)."""
    return dt.datetime.now(SHANGHAI).date()
