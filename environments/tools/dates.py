"""Calendar arithmetic for the ``date_add``, ``date_diff`` and ``weekday`` tools.

Dates are ISO ``YYYY-MM-DD`` strings in the proleptic Gregorian calendar. Adding months or years
keeps the day of the month and clamps it to the target month's length, the way people (and
billing systems) count: 2024-01-31 + 1 month = 2024-02-29 (leap year), 2023-01-31 + 1 month =
2023-02-28, 2024-02-29 + 1 year = 2025-02-28. Days are added after months.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

__all__ = ["DateError", "add", "diff", "parse_date", "weekday"]

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# fixed English names: calendar.day_name follows the process locale
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class DateError(ValueError):
    """A date is malformed or out of range."""


def parse_date(text: str) -> dt.date:
    """Parse an ISO date (``YYYY-MM-DD``)."""
    if not _ISO.match(text.strip()):
        raise DateError(f"{text!r} is not an ISO date (YYYY-MM-DD)")
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise DateError(f"{text!r} is not a valid date: {exc}") from None


def add(date: str, days: int = 0, months: int = 0, years: int = 0) -> str:
    """``date`` plus years, months (clamped to the month's end), then days.

    >>> add("2024-01-31", months=1)
    '2024-02-29'
    >>> add("2023-12-20", days=45)
    '2024-02-03'
    """
    start = parse_date(date)
    total_months = start.year * 12 + (start.month - 1) + months + 12 * years
    year, month = divmod(total_months, 12)
    if not 1 <= year <= 9999:
        raise DateError("the result is outside the years 1..9999")
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    try:
        result = dt.date(year, month + 1, day) + dt.timedelta(days=days)
    except OverflowError:
        raise DateError("the result is outside the years 1..9999") from None
    return result.isoformat()


def diff(start: str, end: str) -> int:
    """Days from ``start`` to ``end`` (negative when ``end`` is earlier).

    >>> diff("2024-02-01", "2024-03-01")
    29
    """
    return (parse_date(end) - parse_date(start)).days


def weekday(date: str) -> str:
    """English weekday name of ``date``.

    >>> weekday("2024-02-29")
    'Thursday'
    """
    return _WEEKDAYS[parse_date(date).weekday()]
