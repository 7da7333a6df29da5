"""The one iCalendar builder: every .ics the app serves or attaches comes from here.

``build_calendar`` turns a ``CalendarInfo`` and ``CalendarEntry`` items into
RFC 5545 bytes with the ``icalendar`` library (which escapes text, folds lines
at 75 octets without splitting a UTF-8 character, and ends lines with CRLF).
``event_entry`` and ``session_entry`` say how an event, or a session chosen by
a person, looks in a calendar: plain-text description with the event page's
address, full address as LOCATION, STATUS and SEQUENCE.

No ORGANIZER or ATTENDEE is ever written: with them, clients offer to send
replies to the organiser. Entries carry no private link, so a public feed
never leaks one.

Everything an entry says comes from the data (DTSTAMP is the last change, not
the time of the build): the same data always gives the same bytes, which is
what lets the feeds' ETag be computed from the data alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from icalendar import Calendar, Timezone, vDuration
from icalendar import Event as VEvent

from eventsapp.catalog.vocabulary import EventKind, EventStatus
from eventsapp.links import absolute_url

PRODID = "-//eventsapp//Agenda de l'ESS//FR"
# How often subscribed clients should fetch a feed again (RFC 7986, and
# Outlook's older X-PUBLISHED-TTL).
REFRESH_INTERVAL = timedelta(hours=1)
CONFIRMED = "CONFIRMED"
TENTATIVE = "TENTATIVE"
CANCELLED = "CANCELLED"
_SLUG_PLACEHOLDER = "slug-placeholder-0"


@dataclass(frozen=True)
class CalendarInfo:
    """What a whole calendar says about itself."""

    name: str
    description: str
    # The site's time zone (X-WR-TIMEZONE); each event keeps its own TZID.
    timezone: str


@dataclass(frozen=True)
class CalendarEntry:
    """One VEVENT. Times are aware (UTC); they are written in ``timezone``."""

    uid: str
    sequence: int
    summary: str
    description: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    location: str
    url: str
    categories: tuple[str, ...]
    status: str
    created: datetime
    last_modified: datetime
    geo: tuple[float, float] | None = None


class EventLike(Protocol):
    """The columns of an event an entry reads: an ``Event`` or a result row."""

    id: int
    slug: str
    title: str
    summary: str
    description: str
    kind: EventKind
    status: EventStatus
    venue_name: str
    venue_address: str
    venue_postcode: str
    commune: str
    latitude: float | None
    longitude: float | None
    online_url: str | None
    starts_at: datetime
    ends_at: datetime
    timezone: str
    sequence: int
    accessibility_info: str
    cancellation_reason: str
    created_at: datetime
    updated_at: datetime


# Entries ----------------------------------------------------------------------


def uid_domain() -> str:
    """The right-hand side of every UID: ``ICAL_UID_DOMAIN``, else the host of
    ``PUBLIC_URL``. UIDs must never change, so set it before going public if
    the address may change."""
    config = current_app.config
    return config.get("ICAL_UID_DOMAIN") or urlsplit(config["PUBLIC_URL"]).hostname or "eventsapp.localhost"


class EntryContext:
    """What every entry of one calendar shares, looked up once: the event
    pages' URL pattern, the UIDs' domain, the French texts and the kinds'
    labels. Binding the URL map and translating for each of 2,000 events
    would cost more than the rest of an entry."""

    def __init__(self) -> None:
        self._url_template = absolute_url("catalog.event_page", slug=_SLUG_PLACEHOLDER)
        self.uid_domain = uid_domain()
        # Translated once, filled in per event with %.
        self.cancelled_summary = _("Annulé : %(title)s")
        self.cancelled_notice = _("Événement annulé.")
        self.organised_by = _("Organisé par %(name)s")
        self.online = _("En ligne : %(url)s")
        self.accessibility = _("Accessibilité : %(info)s")
        self.page = _("Page de l'événement : %(url)s")
        self.session_of = _("Atelier de « %(title)s ».")
        self.kind_labels = {kind: str(kind.label) for kind in EventKind}

    def event_url(self, slug: str) -> str:
        # Slugs are URL-safe by construction (SlugConverter): no quoting needed.
        return self._url_template.replace(_SLUG_PLACEHOLDER, slug)


def status_for(event: EventLike, tentative: bool = False) -> str:
    """CANCELLED for a cancelled event, TENTATIVE for a place not confirmed
    yet (waiting list, or e-mail confirmation awaited), else CONFIRMED."""
    if event.status == EventStatus.CANCELLED:
        return CANCELLED
    return TENTATIVE if tentative else CONFIRMED


def event_location(event: EventLike, online: str | None = None) -> str:
    """The full address on one line ("Cinéma Le Vox, 12 rue de la Paix, 53000
    Laval"), or the online address of an event without a venue."""
    town = " ".join(part for part in (event.venue_postcode, event.commune) if part)
    parts = [part for part in (event.venue_name, event.venue_address, town) if part]
    if not parts and event.online_url:
        return (online or _("En ligne : %(url)s")) % {"url": event.online_url}
    return ", ".join(parts)


def _description(
    event: EventLike, url: str, organisation_name: str | None, texts: EntryContext, extra: Sequence[str] = ()
) -> str:
    """Plain text: cancellation first, then the event's own words, practical
    details and the page's address (clients show no HTML)."""
    blocks: list[str] = []
    if event.status == EventStatus.CANCELLED:
        reason = (event.cancellation_reason or "").strip()
        blocks.append(texts.cancelled_notice + (f" {reason}" if reason else ""))
    blocks.extend(extra)
    blocks.extend(text.strip() for text in (event.summary, event.description) if text and text.strip())
    if organisation_name:
        blocks.append(texts.organised_by % {"name": organisation_name})
    if event.online_url and (event.venue_name or event.venue_address or event.commune):
        blocks.append(texts.online % {"url": event.online_url})
    if event.accessibility_info and event.accessibility_info.strip():
        blocks.append(texts.accessibility % {"info": event.accessibility_info.strip()})
    blocks.append(texts.page % {"url": url})
    return "\n\n".join(blocks)


def _summary(title: str, event: EventLike, texts: EntryContext) -> str:
    # Some clients hide STATUS: the title says it too.
    return texts.cancelled_summary % {"title": title} if event.status == EventStatus.CANCELLED else title


def _geo(event: EventLike) -> tuple[float, float] | None:
    if event.latitude is None or event.longitude is None:
        return None
    return (event.latitude, event.longitude)


def event_entry(
    event: EventLike,
    context: EntryContext,
    *,
    organisation_name: str | None = None,
    tentative: bool = False,
    last_modified: datetime | None = None,
) -> CalendarEntry:
    """The VEVENT of a whole event; ``tentative`` for a person whose place is
    not confirmed (waiting list); ``last_modified`` when more than the event
    changed (the person's registration)."""
    url = context.event_url(event.slug)
    return CalendarEntry(
        uid=f"event-{event.id}@{context.uid_domain}",
        sequence=event.sequence or 0,
        summary=_summary(event.title, event, context),
        description=_description(event, url, organisation_name, context),
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        timezone=event.timezone,
        location=event_location(event, context.online),
        url=url,
        categories=(context.kind_labels[EventKind(event.kind)],),
        status=status_for(event, tentative),
        created=event.created_at,
        last_modified=max(event.updated_at, last_modified or event.updated_at),
        geo=_geo(event),
    )


class SessionLike(Protocol):
    id: int
    title: str
    description: str
    location: str
    starts_at: datetime
    ends_at: datetime


def session_entry(
    event: EventLike,
    session: SessionLike,
    context: EntryContext,
    *,
    organisation_name: str | None = None,
    tentative: bool = False,
    last_modified: datetime | None = None,
) -> CalendarEntry:
    """The VEVENT of a session (atelier, créneau) a person chose."""
    url = context.event_url(event.slug)
    location = event_location(event, context.online)
    if session.location:
        location = f"{session.location}, {location}" if location else session.location
    part_of = context.session_of % {"title": event.title}
    extra = [part_of, session.description.strip()] if session.description else [part_of]
    return CalendarEntry(
        uid=f"session-{session.id}@{context.uid_domain}",
        sequence=event.sequence or 0,
        summary=_summary(f"{session.title} – {event.title}", event, context),
        description=_description(event, url, organisation_name, context, extra),
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        timezone=event.timezone,
        location=location,
        url=url,
        categories=(context.kind_labels[EventKind(event.kind)],),
        status=status_for(event, tentative),
        created=event.created_at,
        last_modified=max(event.updated_at, last_modified or event.updated_at),
        geo=_geo(event),
    )


# Calendars --------------------------------------------------------------------


@lru_cache(maxsize=64)
def _vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """The VTIMEZONE of ``tzid`` from zoneinfo, with every transition (summer
    and winter time) between those years. Kept: it only depends on its
    arguments, and building it walks the zone's transitions."""
    return Timezone.from_tzid(tzid, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1))


def _timezones(info: CalendarInfo, entries: Sequence[CalendarEntry]) -> list[Timezone]:
    """One VTIMEZONE per zone used, covering the years of the entries (from the
    year before, so a client's view of the weeks before is right too)."""
    if entries:
        first = min(entry.starts_at for entry in entries).year - 1
        last = max(entry.ends_at for entry in entries).year + 1
    else:
        first = datetime.now(UTC).year - 1
        last = first + 2
    zones = {entry.timezone for entry in entries} or {info.timezone}
    return [_vtimezone(zone, first, last) for zone in sorted(zones)]


def _duration(value: timedelta) -> vDuration:
    duration = vDuration(value)
    duration.params["VALUE"] = "DURATION"
    return duration


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _vevent(entry: CalendarEntry) -> VEvent:
    zone = _zone(entry.timezone)
    vevent = VEvent()
    vevent.add("uid", entry.uid)
    vevent.add("dtstamp", entry.last_modified.astimezone(UTC))
    vevent.add("dtstart", entry.starts_at.astimezone(zone))
    vevent.add("dtend", entry.ends_at.astimezone(zone))
    vevent.add("sequence", entry.sequence)
    vevent.add("summary", entry.summary)
    vevent.add("description", entry.description)
    if entry.location:
        vevent.add("location", entry.location)
    if entry.geo is not None:
        vevent.add("geo", entry.geo)
    vevent.add("url", entry.url)
    if entry.categories:
        vevent.add("categories", list(entry.categories))
    vevent.add("status", entry.status)
    vevent.add("created", entry.created.astimezone(UTC))
    vevent.add("last-modified", entry.last_modified.astimezone(UTC))
    return vevent


def build_calendar(info: CalendarInfo, entries: Iterable[CalendarEntry]) -> bytes:
    """The iCalendar bytes (UTF-8, CRLF, folded) of ``entries`` under ``info``."""
    entries = list(entries)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", info.name)
    calendar.add("x-wr-caldesc", info.description)
    calendar.add("x-wr-timezone", info.timezone)
    calendar.add("refresh-interval", _duration(REFRESH_INTERVAL))
    calendar.add("x-published-ttl", _duration(REFRESH_INTERVAL))
    for timezone in _timezones(info, entries):
        calendar.add_component(timezone)
    for entry in entries:
        calendar.add_component(_vevent(entry))
    return calendar.to_ical()


def calendar_filename(stem: str) -> str:
    """A safe ``.ics`` file name from a slug-like stem."""
    cleaned = "".join(char if char.isalnum() or char in "-_" else "-" for char in stem)
    return f"{cleaned.strip('-') or 'agenda'}.ics"
