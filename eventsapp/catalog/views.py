"""Public pages: the agenda, event pages and campaign pages."""

from __future__ import annotations

from urllib.parse import quote_plus

from flask import Blueprint, render_template, request

from eventsapp.caching import cached_public_page
from eventsapp.catalog.availability import availability_for_events, availability_for_sessions
from eventsapp.catalog.filters import AGENDA_PARAMETERS, parse_agenda_filters
from eventsapp.catalog.jsonld import event_json_ld
from eventsapp.catalog.models import Event
from eventsapp.catalog.service import (
    get_campaign,
    get_public_event,
    list_campaigns,
    search_agenda,
    search_campaign_agenda,
)
from eventsapp.catalog.vocabulary import Audience, EventKind
from eventsapp.territories.departments import DEPARTMENTS

blueprint = Blueprint("catalog", __name__)


def _filter_choices() -> dict:
    return {
        "kinds": EventKind.choices(),
        "audiences": Audience.choices(),
        "departments": sorted(DEPARTMENTS.items(), key=lambda item: item[0].zfill(3)),
    }


@blueprint.get("/")
@blueprint.get("/events/")
@cached_public_page(AGENDA_PARAMETERS)
def agenda() -> str:
    """The public agenda, narrowed by the query string's filters."""
    campaigns = list_campaigns()
    filters = parse_agenda_filters(request.args, known_campaigns={c.slug for c in campaigns})
    page = search_agenda(filters)
    return render_template(
        "catalog/agenda.html", page=page, filters=filters, campaigns=campaigns, **_filter_choices()
    )


@blueprint.get("/campaigns/<slug:slug>")
@cached_public_page(AGENDA_PARAMETERS)
def campaign_page(slug: str) -> str:
    """A campaign's description and its agenda, with the same filters."""
    campaign = get_campaign(slug)
    filters = parse_agenda_filters(request.args)
    page = search_campaign_agenda(campaign, filters)
    return render_template(
        "catalog/campaign.html", campaign=campaign, page=page, filters=filters, **_filter_choices()
    )


def openstreetmap_url(event: Event) -> str | None:
    """A map of the venue: the point when known, else a search of the address."""
    if event.latitude is not None and event.longitude is not None:
        lat, lon = event.latitude, event.longitude
        return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
    address = ", ".join(part for part in (event.venue_address, event.venue_postcode, event.commune) if part)
    return f"https://www.openstreetmap.org/search?query={quote_plus(address)}" if address else None


@blueprint.get("/events/<slug:slug>")
@cached_public_page()
def event_page(slug: str) -> str:
    """An event's public page, with its JSON-LD."""
    event = get_public_event(slug)
    availability = availability_for_events([event])[event.id]
    return render_template(
        "catalog/event.html",
        event=event,
        availability=availability,
        session_availability=availability_for_sessions(event),
        json_ld=event_json_ld(event, availability),
        map_url=openstreetmap_url(event),
    )
