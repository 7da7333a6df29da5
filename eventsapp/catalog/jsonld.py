"""schema.org ``Event`` JSON-LD for an event page, read by search engines."""

from __future__ import annotations

from typing import Any

from flask import url_for

from eventsapp.catalog.availability import Availability
from eventsapp.catalog.models import Event
from eventsapp.catalog.vocabulary import EventStatus
from eventsapp.templating import safe_url
from eventsapp.territories.departments import department_name


def _place(event: Event) -> dict[str, Any]:
    place: dict[str, Any] = {
        "@type": "Place",
        "name": event.venue_name or event.commune,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": event.venue_address,
            "postalCode": event.venue_postcode,
            "addressLocality": event.commune,
            "addressRegion": department_name(event.department),
            "addressCountry": "FR",
        },
    }
    if event.latitude is not None and event.longitude is not None:
        place["geo"] = {"@type": "GeoCoordinates", "latitude": event.latitude, "longitude": event.longitude}
    return place


def event_json_ld(event: Event, availability: Availability) -> dict[str, Any]:
    """The JSON-LD object describing ``event`` (times with their UTC offset)."""
    zone = event.zone
    page_url = url_for("catalog.event_page", slug=event.slug, _external=True)
    has_place = bool(event.venue_name or event.venue_address or event.commune)
    online_url = safe_url(event.online_url)
    if online_url and has_place:
        mode = "MixedEventAttendanceMode"
    elif online_url:
        mode = "OnlineEventAttendanceMode"
    else:
        mode = "OfflineEventAttendanceMode"
    locations: list[dict[str, Any]] = []
    if has_place:
        locations.append(_place(event))
    if online_url:
        locations.append({"@type": "VirtualLocation", "url": online_url})

    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "description": event.summary or event.description[:500],
        "url": page_url,
        "startDate": event.starts_at.astimezone(zone).isoformat(),
        "endDate": event.ends_at.astimezone(zone).isoformat(),
        "eventStatus": "https://schema.org/"
        + ("EventCancelled" if event.status == EventStatus.CANCELLED else "EventScheduled"),
        "eventAttendanceMode": f"https://schema.org/{mode}",
        "organizer": {
            "@type": "Organization",
            "name": event.organisation.name,
        },
        "inLanguage": "fr",
    }
    if locations:
        data["location"] = locations[0] if len(locations) == 1 else locations
    website = safe_url(event.organisation.website)
    if website:
        data["organizer"]["url"] = website
    if event.is_free or event.registration_required:
        if availability.state in ("open", "free-entry"):
            stock = "InStock"
        elif availability.state == "not-open":
            stock = "PreOrder"
        else:
            stock = "SoldOut"
        data["offers"] = {
            "@type": "Offer",
            "price": 0 if event.is_free else None,
            "priceCurrency": "EUR",
            "url": page_url,
            "availability": f"https://schema.org/{stock}",
        }
        if availability.opens_at:
            data["offers"]["validFrom"] = availability.opens_at.astimezone(zone).isoformat()
        if not event.is_free:
            data["offers"].pop("price")
    if event.audiences:
        data["audience"] = [{"@type": "Audience", "audienceType": a.label} for a in event.audiences]
    return data
