"""RFC 3339 date-times as sortable UTC instants, and Graph's way of writing "now".

Stored events keep the text the client sent; filters and ``$orderby`` compare instants. An
instant is an integer count of 100 ns ticks since 1970-01-01T00:00:00Z (Graph writes up to 7
fractional digits), computed with integer calendar arithmetic rather than ``datetime``:
``0001-01-01T00:00:00+23:59`` is a valid RFC 3339 value whose UTC instant falls before year 1,
where ``datetime.astimezone`` overflows. Years 0000-9999 fit a signed 64-bit SQLite integer.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

TICKS_PER_SECOND = 10_000_000
_PATTERN = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?([Zz]|[+-]\d{2}:\d{2})?")


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 in the proleptic Gregorian calendar (any year, year 0 included)."""
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def to_ticks(text: str, *, assume_utc: bool = False) -> int | None:
    """The UTC instant of an RFC 3339 date-time, in 100 ns ticks; None when ``text`` is not one.

    Without an offset the value is refused unless ``assume_utc`` (filter literals may omit it).
    Digits past the seventh fractional one are dropped, as Graph keeps seven.
    """
    match = _PATTERN.fullmatch(text.strip())
    if not match:
        return None
    year, month, day, hour, minute = (int(match.group(i)) for i in range(1, 6))
    second = int(match.group(6) or 0)
    fraction = (match.group(7) or "")[:7].ljust(7, "0")
    zone = match.group(8)
    if zone is None and not assume_utc:
        return None
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59 and second <= 60):
        return None
    offset = 0
    if zone and zone not in "Zz":
        sign = -1 if zone[0] == "-" else 1
        offset_hours, offset_minutes = int(zone[1:3]), int(zone[4:6])
        if offset_hours > 23 or offset_minutes > 59:
            return None
        offset = sign * (offset_hours * 3600 + offset_minutes * 60)
    seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset
    return seconds * TICKS_PER_SECOND + int(fraction)


def now_text() -> str:
    """The current UTC time as Graph writes it: seven fractional digits and ``Z``."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}0Z"
