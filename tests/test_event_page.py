"""Event and campaign pages: what a visitor reads, JSON-LD, and what stays private."""

import json
import re
from datetime import UTC, date, datetime

import pytest

from eventsapp.catalog.vocabulary import Audience, EventKind, EventStatus
from tests.factories import (
    CampaignFactory,
    EventFactory,
    OrganisationFactory,
    RegistrationFactory,
    SessionFactory,
)


def json_ld(html: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match, "no JSON-LD block"
    return json.loads(match.group(1))


@pytest.fixture
def journee():
    event = EventFactory(
        title="Journée de l'ESS en Sarthe",
        slug="journee-ess-sarthe",
        kind=EventKind.FORUM,
        venue_name="Abbaye de l'Épau",
        venue_address="Route de Changé",
        venue_postcode="72530",
        commune="Yvré-l'Évêque",
        department="72",
        latitude=47.9869,
        longitude=0.2275,
        starts_at=datetime(2030, 11, 19, 8, 0, tzinfo=UTC),
        ends_at=datetime(2030, 11, 19, 16, 30, tzinfo=UTC),
        capacity=250,
        max_seats_per_registration=5,
        accessibility_info="Accessible en fauteuil roulant ; boucle magnétique en plénière.",
        audiences=[Audience.PROFESSIONNELS, Audience.ELUS],
        description="Premier paragraphe.\n\nSecond </script> paragraphe.",
    )
    SessionFactory(event=event, title="Plénière d'ouverture", capacity=None,
                   starts_at=datetime(2030, 11, 19, 8, 0, tzinfo=UTC),
                   ends_at=datetime(2030, 11, 19, 9, 30, tzinfo=UTC))  # fmt: skip
    workshop = SessionFactory(event=event, title="Atelier financement", capacity=40,
                              starts_at=datetime(2030, 11, 19, 10, 0, tzinfo=UTC),
                              ends_at=datetime(2030, 11, 19, 12, 0, tzinfo=UTC))  # fmt: skip
    registration = RegistrationFactory(event=event, seats=3)
    registration.sessions.append(workshop)
    return event


def test_event_page_shows_what_a_visitor_needs(client, journee):
    response = client.get("/events/journee-ess-sarthe")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1" in html and "Journée de l&#39;ESS en Sarthe" in html
    assert "mardi 19 novembre 2030, 9 h – 17 h 30" in html
    assert "Abbaye de l&#39;Épau" in html and "72530 Yvré-l&#39;Évêque (Sarthe)" in html
    assert "https://www.openstreetmap.org/?mlat=47.9869&amp;mlon=0.2275" in html
    assert "Accessible en fauteuil roulant" in html
    assert "Plénière d&#39;ouverture" in html and "Atelier financement" in html
    assert "37 places restantes" in html  # the workshop: 40 - 3
    assert "247 places restantes" in html  # the event: 250 - 3
    assert "jusqu'à 5 places" in html
    assert "Gratuit" in html
    assert "Professionnel·les de l&#39;ESS" in html
    assert journee.organisation.name in html


def test_json_ld_names_the_right_place_and_time(client, journee):
    data = json_ld(client.get("/events/journee-ess-sarthe").get_data(as_text=True))
    assert data["@type"] == "Event"
    assert data["name"] == "Journée de l'ESS en Sarthe"
    assert data["startDate"] == "2030-11-19T09:00:00+01:00"
    assert data["endDate"] == "2030-11-19T17:30:00+01:00"
    assert data["eventStatus"] == "https://schema.org/EventScheduled"
    assert data["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    location = data["location"]
    assert location["name"] == "Abbaye de l'Épau"
    assert location["address"]["addressLocality"] == "Yvré-l'Évêque"
    assert location["address"]["postalCode"] == "72530"
    assert location["address"]["addressRegion"] == "Sarthe"
    assert location["geo"] == {"@type": "GeoCoordinates", "latitude": 47.9869, "longitude": 0.2275}
    assert data["organizer"]["name"] == journee.organisation.name
    assert data["url"].endswith("/events/journee-ess-sarthe")
    assert data["offers"]["price"] == 0 and data["offers"]["availability"].endswith("InStock")


def test_json_ld_cannot_break_out_of_its_script(client, journee):
    journee.summary = "Attention </script><script>alert(1)</script>"
    html = client.get("/events/journee-ess-sarthe").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert json_ld(html)["description"].startswith("Attention </script>")


def test_summer_event_has_the_summer_offset(client):
    EventFactory(slug="ete", starts_at=datetime(2030, 6, 20, 16, 0, tzinfo=UTC),
                 ends_at=datetime(2030, 6, 20, 18, 0, tzinfo=UTC))  # fmt: skip
    data = json_ld(client.get("/events/ete").get_data(as_text=True))
    assert data["startDate"] == "2030-06-20T18:00:00+02:00"


def test_online_event_json_ld(client):
    EventFactory(slug="webinaire", venue_name="", venue_address="", commune="", venue_postcode="",
                 online_url="https://visio.exemple.org/ess")  # fmt: skip
    data = json_ld(client.get("/events/webinaire").get_data(as_text=True))
    assert data["eventAttendanceMode"].endswith("OnlineEventAttendanceMode")
    assert data["location"] == {"@type": "VirtualLocation", "url": "https://visio.exemple.org/ess"}


@pytest.mark.parametrize("status", [EventStatus.DRAFT, EventStatus.SUBMITTED])
def test_drafts_and_submitted_events_are_not_public(client, status):
    EventFactory(slug="pas-encore", status=status)
    response = client.get("/events/pas-encore")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


def test_unknown_event_is_a_french_404(client):
    response = client.get("/events/nexiste-pas")
    assert response.status_code == 404
    assert "n&#39;existe pas" in response.get_data(as_text=True)


def test_cancelled_event_page_says_so(client):
    EventFactory(slug="annule", status=EventStatus.CANCELLED, cancellation_reason="Salle indisponible.")
    html = client.get("/events/annule").get_data(as_text=True)
    assert "Cet événement est annulé." in html and "Salle indisponible." in html
    assert json_ld(html)["eventStatus"] == "https://schema.org/EventCancelled"


def test_campaign_page_lists_its_events_with_filters(client):
    campaign = CampaignFactory(slug="mois-ess-2030", name="Mois de l'ESS 2030",
                               description="Le temps fort de l'ESS.")  # fmt: skip
    EventFactory(title="Dans la campagne à Laval", campaign=campaign, department="53")
    EventFactory(title="Dans la campagne au Mans", campaign=campaign, department="72")
    EventFactory(title="Hors campagne")
    EventFactory(title="Brouillon de campagne", campaign=campaign, status=EventStatus.DRAFT)
    html = client.get("/campaigns/mois-ess-2030").get_data(as_text=True)
    assert "Mois de l&#39;ESS 2030" in html and "Le temps fort de l&#39;ESS." in html
    assert "Dans la campagne à Laval" in html and "Dans la campagne au Mans" in html
    assert "Hors campagne" not in html and "Brouillon de campagne" not in html
    filtered = client.get("/campaigns/mois-ess-2030?department=72").get_data(as_text=True)
    assert "Dans la campagne au Mans" in filtered and "Dans la campagne à Laval" not in filtered


def test_unknown_campaign_is_a_404(client):
    assert client.get("/campaigns/inconnue").status_code == 404


def test_organiser_text_is_escaped_everywhere(client):
    event = EventFactory(slug="xss", venue_name="<b>Salle</b>", cancellation_reason="<i>raison</i>")
    SessionFactory(event=event, title="<script>alert(1)</script>", location="<img src=x>")
    html = client.get("/events/xss").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert "<img src=x>" not in html and "&lt;img src=x&gt;" in html
    assert "<b>Salle</b>" not in html


def test_script_urls_are_never_links(client):
    organisation = OrganisationFactory(website="javascript:alert(1)")
    EventFactory(slug="piege", organisation=organisation, online_url="JavaScript:alert(2)")
    html = client.get("/events/piege").get_data(as_text=True)
    assert "javascript:" not in html.lower()
    data = json_ld(html)
    assert "url" not in data["organizer"]
    assert data["eventAttendanceMode"].endswith("OfflineEventAttendanceMode")


def test_registration_not_yet_open_is_a_pre_order(client):
    opens = datetime(2030, 10, 1, 8, 0, tzinfo=UTC)
    EventFactory(slug="bientot", starts_at=datetime(2030, 11, 5, 17, 0, tzinfo=UTC),
                 ends_at=datetime(2030, 11, 5, 19, 0, tzinfo=UTC), registration_opens_at=opens)  # fmt: skip
    html = client.get("/events/bientot").get_data(as_text=True)
    assert "Inscriptions bientôt ouvertes" in html
    offers = json_ld(html)["offers"]
    assert offers["availability"] == "https://schema.org/PreOrder"
    assert offers["validFrom"] == "2030-10-01T10:00:00+02:00"


def test_event_without_any_place_has_no_location(client):
    EventFactory(slug="nulle-part", venue_name="", venue_address="", commune="", venue_postcode="")
    assert "location" not in json_ld(client.get("/events/nulle-part").get_data(as_text=True))


def test_windows_line_endings_still_make_paragraphs(client):
    EventFactory(slug="crlf", description="Premier.\r\n\r\nSecond.")
    html = client.get("/events/crlf").get_data(as_text=True)
    assert "<p>Premier.</p><p>Second.</p>" in html


def test_a_finished_campaign_shows_its_whole_programme(client):
    campaign = CampaignFactory(slug="mois-ess-2020", starts_on=date(2020, 11, 1), ends_on=date(2020, 11, 30))
    EventFactory(title="Ciné-débat de 2020", campaign=campaign,
                 starts_at=datetime(2020, 11, 17, 17, 30, tzinfo=UTC),
                 ends_at=datetime(2020, 11, 17, 20, 0, tzinfo=UTC))  # fmt: skip
    html = client.get("/campaigns/mois-ess-2020").get_data(as_text=True)
    assert "Ciné-débat de 2020" in html
    assert "Terminé" in html
