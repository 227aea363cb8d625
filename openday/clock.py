"""One notion of "now" and of the campaign's time zone, so tests can move time."""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
# The days anyone can mean (a campaign, a notice, a search). Outside them a date is a typo, and
# near the ends of what datetime holds (year 1, 9999) moving it between time zones overflows.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today in China: the campaign's days are Beijing days."""
    return now().astimezone(CHINA).date()


def local(moment: datetime) -> datetime:
    return moment.astimezone(CHINA)


def china_datetime(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA)


def from_local(moment: datetime) -> datetime:
    """A naive Beijing wall-clock time (as a form's datetime-local box gives it), in UTC."""
    return moment.replace(tzinfo=CHINA).astimezone(UTC)
