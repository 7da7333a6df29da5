"""Links people click to subscribe to a feed or add one event to their calendar.

``webcal://`` opens the feed in the system's calendar app (Apple Calendar,
Outlook, Thunderbird); Google Agenda and Outlook on the web each have their
own "add by URL" and "new event" addresses. Every link is absolute under
``PUBLIC_URL``: a calendar service fetches the feed from outside.

Templates get these through the globals registered by the calendars
blueprint, so the cached public pages need no change of their views.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask_babel import gettext as _

from eventsapp.calendars.ical import event_location
from eventsapp.calendars.service import filtered_feed_title
from eventsapp.catalog.filters import AgendaFilters
from eventsapp.catalog.models import Campaign, Event
from eventsapp.links import absolute_url

GOOGLE_CALENDAR = "https://calendar.google.com/calendar/render"
OUTLOOK_ADD_FROM_WEB = "https://outlook.live.com/calendar/0/addfromweb"
OUTLOOK_COMPOSE = "https://outlook.live.com/calendar/0/deeplink/compose"
# Google and Outlook cut long texts in their URLs; the .ics has everything.
MAX_DETAILS = 800


@dataclass(frozen=True)
class SubscriptionLinks:
    """Ways to subscribe to one feed."""

    name: str
    ics: str
    webcal: str
    google: str
    outlook: str


@dataclass(frozen=True)
class AddEventLinks:
    """Ways to add one event to a calendar."""

    ics: str
    google: str
    outlook: str


def webcal_url(url: str) -> str:
    """``url`` with the ``webcal`` scheme (``webcal://host/path.ics``)."""
    parts = urlsplit(url)
    return urlunsplit(("webcal", *parts[1:]))


def subscription_links(feed_url: str, name: str) -> SubscriptionLinks:
    """The links to subscribe to the feed at ``feed_url`` (absolute)."""
    webcal = webcal_url(feed_url)
    return SubscriptionLinks(
        name=name,
        ics=feed_url,
        webcal=webcal,
        # Google takes the webcal address as the calendar id to add.
        google=f"{GOOGLE_CALENDAR}?{urlencode({'cid': webcal})}",
        outlook=f"{OUTLOOK_ADD_FROM_WEB}?{urlencode({'url': feed_url, 'name': name})}",
    )


def _utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _details(event: Event, page_url: str) -> str:
    text = (event.summary or "").strip()
    if len(text) > MAX_DETAILS:
        text = text[: MAX_DETAILS - 1] + "…"
    return f"{text}\n\n{page_url}" if text else page_url


def add_event_links(event: Event) -> AddEventLinks:
    """The .ics of ``event`` and Google's and Outlook's "new event" forms,
    filled in (UTC times: both services show them in the person's zone)."""
    page_url = absolute_url("catalog.event_page", slug=event.slug)
    details = _details(event, page_url)
    location = event_location(event)
    google = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": f"{_utc_stamp(event.starts_at)}/{_utc_stamp(event.ends_at)}",
        "details": details,
        "location": location,
        "ctz": event.timezone,
    }
    outlook = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event.title,
        "startdt": event.starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "enddt": event.ends_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "body": details,
        "location": location,
    }
    return AddEventLinks(
        ics=absolute_url("calendars.event_file", slug=event.slug),
        google=f"{GOOGLE_CALENDAR}?{urlencode(google)}",
        outlook=f"{OUTLOOK_COMPOSE}?{urlencode(outlook)}",
    )


def campaign_subscription(campaign: Campaign) -> SubscriptionLinks:
    """Subscribe to a campaign's feed."""
    return subscription_links(absolute_url("calendars.campaign_feed", slug=campaign.slug), campaign.name)


def organisation_subscription(event: Event) -> SubscriptionLinks:
    """Subscribe to the feed of ``event``'s organiser."""
    organisation = event.organisation
    return subscription_links(
        absolute_url("calendars.organisation_feed", slug=organisation.slug), organisation.name
    )


def agenda_subscription(filters: AgendaFilters) -> SubscriptionLinks:
    """Subscribe to the agenda as narrowed by ``filters`` (``/calendar.ics?…``)."""
    url = absolute_url("calendars.filtered_feed", **filters.query_args())
    return subscription_links(url, filtered_feed_title(filters))


def personal_subscription(feed_url: str) -> SubscriptionLinks:
    """Subscribe to a person's own feed."""
    return subscription_links(feed_url, _("Mes inscriptions"))
