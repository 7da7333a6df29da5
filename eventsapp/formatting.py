"""Dates and times shown in the event's time zone, in the reader's language.

French typography writes times as "18 h 30" (and "18 h" on the hour), which no
CLDR pattern gives, so French gets its own time pattern; other locales use
Babel's defaults.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.dates import format_time as babel_format_time
from flask_babel import get_locale


def _locale_name() -> str:
    locale = get_locale()
    return str(locale) if locale else "fr"


def local_time(moment: datetime, zone: str | ZoneInfo) -> datetime:
    """``moment`` (aware) seen in ``zone``."""
    return moment.astimezone(zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone))


def format_day(moment: datetime, zone: str | ZoneInfo) -> str:
    """ "mardi 17 novembre 2026"."""
    return _format_date(local_time(moment, zone).date(), _locale_name())


# A worker composing thousands of reminders writes the same few dates.
@lru_cache(maxsize=2048)
def _format_date(day: date, locale: str) -> str:
    if locale.startswith("fr"):
        # French writes the first of the month as an ordinal: "1er janvier".
        ordinal = "1er" if day.day == 1 else str(day.day)
        weekday = babel_format_date(day, format="EEEE", locale=locale)
        month = babel_format_date(day, format="MMMM", locale=locale)
        return f"{weekday} {ordinal} {month} {day.year}"
    return babel_format_date(day, format="full", locale=locale)


def format_clock(moment: datetime, zone: str | ZoneInfo) -> str:
    """ "18 h 30", "9 h"; Babel's short time outside French."""
    local = local_time(moment, zone)
    locale = _locale_name()
    if locale.startswith("fr"):
        return f"{local.hour} h" if local.minute == 0 else f"{local.hour} h {local.minute:02d}"
    return babel_format_time(local.time(), format="short", locale=locale)


def format_moment(moment: datetime, zone: str | ZoneInfo) -> str:
    """ "mardi 17 novembre 2026, 18 h 30"."""
    return f"{format_day(moment, zone)}, {format_clock(moment, zone)}"


def format_span(starts_at: datetime, ends_at: datetime, zone: str | ZoneInfo) -> str:
    """ "mardi 17 novembre 2026, 18 h 30 – 21 h", or both full moments when the
    event runs over several days."""
    if local_time(starts_at, zone).date() == local_time(ends_at, zone).date():
        return f"{format_moment(starts_at, zone)} – {format_clock(ends_at, zone)}"
    return f"{format_moment(starts_at, zone)} – {format_moment(ends_at, zone)}"
