"""The public iCalendar endpoints: one event's file, the campaign, organiser
and filtered feeds. Each is parsed back with ``icalendar``; the feed window,
cancelled events, HTTP validators (304 without building anything), caching
headers, and the links on the public pages."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from eventsapp.calendars import service as calendar_service
from eventsapp.calendars import validators
from eventsapp.catalog.service import cancel_event, update_event
from eventsapp.catalog.vocabulary import EventKind, EventStatus
from eventsapp.db import now_utc
from tests.factories import CampaignFactory, EventFactory, OrganisationFactory, RegistrationFactory, in_days

ICS_TYPE = "text/calendar; charset=utf-8"


def get_calendar(client, url: str, **headers: str) -> tuple[Calendar, object]:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == ICS_TYPE
    return Calendar.from_ical(response.data), response


def uids(calendar: Calendar) -> set[str]:
    return {str(vevent["UID"]) for vevent in calendar.walk("VEVENT")}


def vevent_of(calendar: Calendar, event) -> object:
    matches = [
        vevent for vevent in calendar.walk("VEVENT") if str(vevent["UID"]).startswith(f"event-{event.id}@")
    ]
    assert len(matches) == 1
    return matches[0]


def uid(event) -> str:
    return f"event-{event.id}@127.0.0.1"


# One event ---------------------------------------------------------------------


def test_an_event_file_has_every_field(client):
    starts_at = datetime(2030, 11, 19, 17, 30, tzinfo=UTC)  # 18:30 in Paris
    event = EventFactory(
        title="Ciné-débat « Demain », suivi d'un échange",
        slug="cine-debat-demain-laval",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        latitude=48.0707,
        longitude=-0.7734,
        organisation__name="Club ESS de Laval",
        accessibility_info="Salle accessible en fauteuil roulant.",
    )
    calendar, response = get_calendar(client, f"/events/{event.slug}.ics")
    assert response.headers["Content-Disposition"] == 'attachment; filename="cine-debat-demain-laval.ics"'
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == event.title
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    vevent = vevent_of(calendar, event)
    page_url = f"http://127.0.0.1:5000/events/{event.slug}"
    assert str(vevent["UID"]) == uid(event)
    assert "DTSTART;TZID=Europe/Paris:20301119T183000" in response.get_data(as_text=True)
    assert vevent.decoded("DTSTART").astimezone(UTC) == starts_at
    assert vevent.decoded("DTEND").astimezone(UTC) == starts_at + timedelta(hours=2)
    assert str(vevent["SUMMARY"]) == event.title
    description = str(vevent["DESCRIPTION"])
    assert event.summary in description
    assert "Entrée libre." in description
    assert "Organisé par Club ESS de Laval" in description
    assert "Accessibilité : Salle accessible en fauteuil roulant." in description
    assert f"Page de l'événement : {page_url}" in description
    assert "<" not in description  # plain text
    assert str(vevent["LOCATION"]) == "Cinéma Le Vox, 12 rue de la Paix, 53000 Laval"
    assert (vevent["GEO"].latitude, vevent["GEO"].longitude) == pytest.approx((48.0707, -0.7734))
    assert str(vevent["URL"]) == page_url
    assert [str(category) for category in vevent["CATEGORIES"].cats] == ["Ciné-débat"]
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert vevent["SEQUENCE"] == 0
    assert vevent.decoded("CREATED") == event.created_at.replace(microsecond=0)
    assert vevent.decoded("LAST-MODIFIED") == event.updated_at.replace(microsecond=0)
    assert vevent.decoded("DTSTAMP") == event.updated_at.replace(microsecond=0)
    assert "ORGANIZER" not in vevent and "ATTENDEE" not in vevent


def test_an_online_event_without_venue_gives_its_address_as_location(client):
    event = EventFactory(
        venue_name="",
        venue_address="",
        venue_postcode="",
        commune="",
        online_url="https://visio.exemple.org/1",
    )
    calendar, _response = get_calendar(client, f"/events/{event.slug}.ics")
    vevent = vevent_of(calendar, event)
    assert str(vevent["LOCATION"]) == "En ligne : https://visio.exemple.org/1"
    assert "GEO" not in vevent


@pytest.mark.parametrize("status", [EventStatus.DRAFT, EventStatus.SUBMITTED])
def test_an_event_that_is_not_public_has_no_file(client, status):
    event = EventFactory(status=status)
    assert client.get(f"/events/{event.slug}.ics").status_code == 404


def test_unknown_feeds_are_404(client):
    assert client.get("/events/inconnu.ics").status_code == 404
    assert client.get("/campaigns/inconnue.ics").status_code == 404
    assert client.get("/organisations/inconnue.ics").status_code == 404


# Feeds and their window ------------------------------------------------------------


def test_a_campaign_feed_holds_the_campaigns_public_events_of_the_window(client):
    campaign = CampaignFactory(name="Mois de l'ESS 2030", slug="mois-fenetre")
    now = now_utc()
    upcoming = EventFactory(campaign=campaign)
    ended_recently = EventFactory(
        campaign=campaign, starts_at=in_days(-10), ends_at=in_days(-10) + timedelta(hours=2)
    )
    ended_long_ago = EventFactory(
        campaign=campaign, starts_at=in_days(-40), ends_at=in_days(-40) + timedelta(hours=2)
    )
    draft = EventFactory(campaign=campaign, status=EventStatus.DRAFT)
    cancelled_recently = EventFactory(
        campaign=campaign, status=EventStatus.CANCELLED, cancelled_at=now - timedelta(days=5)
    )
    cancelled_long_ago = EventFactory(
        campaign=campaign, status=EventStatus.CANCELLED, cancelled_at=now - timedelta(days=31)
    )
    other_campaign = EventFactory(campaign=CampaignFactory())
    no_campaign = EventFactory()

    calendar, response = get_calendar(client, "/campaigns/mois-fenetre.ics")
    assert response.headers["Content-Disposition"] == 'attachment; filename="mois-fenetre.ics"'
    assert str(calendar["X-WR-CALNAME"]) == "Mois de l'ESS 2030"
    assert uids(calendar) == {uid(upcoming), uid(ended_recently), uid(cancelled_recently)}
    assert str(vevent_of(calendar, cancelled_recently)["STATUS"]) == "CANCELLED"
    for absent in (ended_long_ago, draft, cancelled_long_ago, other_campaign, no_campaign):
        assert uid(absent) not in uids(calendar)


def test_an_organisation_feed_holds_the_organisers_events(client):
    organisation = OrganisationFactory(name="Coopérative Oxalis", slug="cooperative-oxalis")
    own = [
        EventFactory(organisation=organisation),
        EventFactory(organisation=organisation, campaign=CampaignFactory()),
    ]
    EventFactory()  # someone else's
    calendar, _response = get_calendar(client, "/organisations/cooperative-oxalis.ics")
    assert str(calendar["X-WR-CALNAME"]) == "Coopérative Oxalis"
    assert uids(calendar) == {uid(event) for event in own}


def test_any_agenda_filter_is_a_feed(client):
    laval = EventFactory(department="53", kind=EventKind.CINE_DEBAT)
    mayenne_visit = EventFactory(department="53", kind=EventKind.VISITE)
    nantes = EventFactory(department="44", kind=EventKind.CINE_DEBAT, commune="Nantes")
    calendar, response = get_calendar(client, "/calendar.ics?department=53&kind=cine-debat&utm_source=x")
    assert uids(calendar) == {uid(laval)}
    assert str(calendar["X-WR-CALNAME"]) == "Agenda de l'ESS – Ciné-débat – Mayenne (53)"
    assert response.headers["Content-Disposition"] == 'attachment; filename="agenda-ess.ics"'
    everything, _response = get_calendar(client, "/calendar.ics")
    assert {uid(laval), uid(mayenne_visit), uid(nantes)} <= uids(everything)


def test_a_free_text_filter_is_a_feed_too(client):
    """``q`` as on the agenda: words of the event's text or its organiser's name."""
    ecossolies = OrganisationFactory(name="Les Écossolies")
    by_ecossolies = EventFactory(organisation=ecossolies, title="Forum des possibles")
    zanzibar = EventFactory(title="Ciné-débat « Zanzibar »")
    EventFactory(title="Visite de la recyclerie")
    calendar, _response = get_calendar(client, "/calendar.ics?q=ecossolies")
    assert uids(calendar) == {uid(by_ecossolies)}
    calendar, _response = get_calendar(client, "/calendar.ics?q=Zanzibar+cine")
    assert uids(calendar) == {uid(zanzibar)}


def test_a_filter_the_agenda_would_drop_is_refused_with_a_french_message(client):
    EventFactory(department="53")
    response = client.get("/calendar.ics?department=999&kind=cine-debat")
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "n'est pas un numéro de département connu" in response.get_data(as_text=True)
    # The page number means nothing to a feed: ignored, not refused.
    assert client.get("/calendar.ics?page=abc").status_code == 200


def test_public_feeds_carry_no_private_link(client):
    campaign = CampaignFactory(slug="campagne-privee")
    event = EventFactory(campaign=campaign)
    RegistrationFactory(event=event)
    for url in (f"/events/{event.slug}.ics", "/campaigns/campagne-privee.ics", "/calendar.ics"):
        body = client.get(url).get_data(as_text=True)
        assert "/registrations/" not in body and "/me/" not in body
        assert "@exemple.fr" not in body  # no registrant's address


# Changes ---------------------------------------------------------------------------


def test_a_moved_event_keeps_its_uid_with_a_higher_sequence(client):
    event = EventFactory()
    before, _response = get_calendar(client, f"/events/{event.slug}.ics")
    update_event(
        event, starts_at=event.starts_at + timedelta(days=1), ends_at=event.ends_at + timedelta(days=1)
    )
    after, _response = get_calendar(client, f"/events/{event.slug}.ics")
    old, new = vevent_of(before, event), vevent_of(after, event)
    assert str(new["UID"]) == str(old["UID"]) == uid(event)
    assert new["SEQUENCE"] > old["SEQUENCE"]
    assert new.decoded("DTSTART") == old.decoded("DTSTART") + timedelta(days=1)

    update_event(event, venue_name="Salle des fêtes", venue_address="1 place de la Mairie")
    moved, _response = get_calendar(client, f"/events/{event.slug}.ics")
    assert vevent_of(moved, event)["SEQUENCE"] > new["SEQUENCE"]
    assert str(vevent_of(moved, event)["LOCATION"]).startswith("Salle des fêtes, 1 place de la Mairie")


def test_a_cancelled_event_is_cancelled_in_every_feed(client):
    campaign = CampaignFactory(slug="mois-annule")
    event = EventFactory(campaign=campaign, department="53", organisation__slug="asso-annule")
    cancel_event(event, "Intempéries : la salle est inondée.")
    for url in (
        f"/events/{event.slug}.ics",
        "/campaigns/mois-annule.ics",
        "/organisations/asso-annule.ics",
        "/calendar.ics?department=53",
    ):
        calendar, _response = get_calendar(client, url)
        vevent = vevent_of(calendar, event)
        assert str(vevent["STATUS"]) == "CANCELLED", url
        assert vevent["SEQUENCE"] == 1
        assert str(vevent["SUMMARY"]).startswith("Annulé : ")
        assert "Intempéries : la salle est inondée." in str(vevent["DESCRIPTION"])


# HTTP ------------------------------------------------------------------------------


def test_validators_and_caching_headers(client):
    event = EventFactory(campaign=CampaignFactory(slug="mois-http"))
    response = client.get("/campaigns/mois-http.ics")
    assert response.status_code == 200
    assert response.headers["ETag"].startswith('"') and len(response.headers["ETag"]) > 10
    assert response.last_modified == event.updated_at.replace(microsecond=0)
    assert response.headers["Cache-Control"] == "public, max-age=300"


def test_a_conditional_request_is_answered_304_without_building_the_feed(client, monkeypatch, count_queries):
    EventFactory(campaign=CampaignFactory(slug="mois-304"))
    first = client.get("/campaigns/mois-304.ics")
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]

    def no_build(*_args, **_kwargs):
        raise AssertionError("a conditional request must not build the feed")

    monkeypatch.setattr(validators, "build_calendar", no_build)
    monkeypatch.setattr(calendar_service, "_public_entries", no_build)
    with count_queries() as counter:
        not_modified = client.get("/campaigns/mois-304.ics", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.data == b""
    assert not_modified.headers["ETag"] == etag
    # The campaign (404 or name) and the feed's aggregate: nothing else.
    assert counter.count == 2, counter.statements

    since = client.get("/campaigns/mois-304.ics", headers={"If-Modified-Since": last_modified})
    assert since.status_code == 304
    # Another feed has another ETag: it must be built (and here cannot be).
    with pytest.raises(AssertionError, match="must not build"):
        client.get("/calendar.ics?department=53", headers={"If-None-Match": etag})


def test_a_change_to_an_event_in_the_feed_changes_its_etag(client):
    campaign = CampaignFactory(slug="mois-etag")
    event = EventFactory(campaign=campaign)
    outside = EventFactory()
    etag = client.get("/campaigns/mois-etag.ics").headers["ETag"]

    update_event(outside, title="Un autre événement, ailleurs")
    assert client.get("/campaigns/mois-etag.ics", headers={"If-None-Match": etag}).status_code == 304

    update_event(event, title="Nouveau titre")
    changed = client.get("/campaigns/mois-etag.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert "Nouveau titre" in changed.get_data(as_text=True)

    etag = changed.headers["ETag"]
    EventFactory(campaign=campaign)  # an event enters the feed
    assert client.get("/campaigns/mois-etag.ics", headers={"If-None-Match": etag}).status_code == 200


def test_head_requests_get_the_headers(client):
    event = EventFactory()
    response = client.head(f"/events/{event.slug}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == ICS_TYPE
    assert "ETag" in response.headers


# Links on the pages ------------------------------------------------------------------


def test_the_event_page_offers_to_add_the_event_and_to_follow_its_organiser(client):
    campaign = CampaignFactory(slug="mois-liens", name="Mois des liens")
    event = EventFactory(campaign=campaign, organisation__slug="club-ess-laval")
    page = html.unescape(client.get(f"/events/{event.slug}").get_data(as_text=True))
    assert "Ajouter à mon agenda" in page
    assert f'href="http://127.0.0.1:5000/events/{event.slug}.ics"' in page
    assert "https://calendar.google.com/calendar/render?action=TEMPLATE" in page
    assert "https://outlook.live.com/calendar/0/deeplink/compose?" in page
    assert "webcal://127.0.0.1:5000/organisations/club-ess-laval.ics" in page
    assert "webcal://127.0.0.1:5000/campaigns/mois-liens.ics" in page
    assert "cid=webcal%3A%2F%2F127.0.0.1%3A5000%2Forganisations%2Fclub-ess-laval.ics" in page
    assert "S'abonner" in page


def test_a_cancelled_event_page_offers_no_add_to_calendar(client):
    event = EventFactory(status=EventStatus.CANCELLED, cancelled_at=now_utc())
    page = html.unescape(client.get(f"/events/{event.slug}").get_data(as_text=True))
    assert "Ajouter à mon agenda" not in page


def test_the_agenda_offers_its_filters_as_a_feed(client):
    EventFactory(department="53")
    page = html.unescape(client.get("/events/?department=53&kind=cine-debat&page=1").get_data(as_text=True))
    assert "S'abonner à cette sélection" in page
    assert "webcal://127.0.0.1:5000/calendar.ics?department=53&kind=cine-debat" in page
    assert (
        "https://outlook.live.com/calendar/0/addfromweb?url=http%3A%2F%2F127.0.0.1%3A5000%2Fcalendar.ics"
        in page
    )
    plain = html.unescape(client.get("/").get_data(as_text=True))
    assert "S'abonner à cet agenda" in plain
    assert "webcal://127.0.0.1:5000/calendar.ics" in plain


def test_the_campaign_page_offers_its_feed(client):
    CampaignFactory(slug="mois-page", name="Mois de la page")
    page = html.unescape(client.get("/campaigns/mois-page").get_data(as_text=True))
    assert "S'abonner à l'agenda de « Mois de la page »" in page
    assert "webcal://127.0.0.1:5000/campaigns/mois-page.ics" in page


def test_the_feed_links_of_the_pages_work(client):
    campaign = CampaignFactory(slug="mois-suivi")
    event = EventFactory(campaign=campaign, department="53", kind=EventKind.CINE_DEBAT)
    for url in (
        f"/events/{event.slug}.ics",
        "/campaigns/mois-suivi.ics",
        f"/organisations/{event.organisation.slug}.ics",
        "/calendar.ics?department=53&kind=cine-debat",
    ):
        calendar, _response = get_calendar(client, url)
        assert uid(event) in uids(calendar), url
