"""One notion of "now" and of the campaign's time zone, so tests can move time."""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today in China: the campaign's days are Beijing days."""
    return now().astimezone(CHINA).date()


def local(moment: datetime) -> datetime:
    return moment.astimezone(CHINA)


def china_datetime(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA)
