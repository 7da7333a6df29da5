"""The public agenda: filters one by one and combined, pagination, bad values,
what is hidden, what each entry shows, and a constant number of queries."""

from datetime import UTC, datetime, timedelta

import pytest

from eventsapp.catalog.vocabulary import Audience, EventKind, EventStatus
from eventsapp.db import now_utc
from eventsapp.registrations.models import RegistrationStatus
from tests.factories import (
    CampaignFactory,
    EventFactory,
    OrganisationFactory,
    RegistrationFactory,
    in_days,
)


def page_text(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def paris(year, month, day, hour, minute=0) -> datetime:
    """A Europe/Paris wall-clock time in November-ish (UTC+1) as UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC) - timedelta(hours=1)


def test_lists_published_upcoming_events_only(client):
    EventFactory(title="Publié à venir")
    EventFactory(title="Brouillon", status=EventStatus.DRAFT)
    EventFactory(title="Soumis", status=EventStatus.SUBMITTED)
    EventFactory(title="Annulé", status=EventStatus.CANCELLED)
    EventFactory(title="Déjà passé", starts_at=in_days(-3), ends_at=in_days(-3) + timedelta(hours=2))
    html = page_text(client, "/events/")
    assert "Publié à venir" in html
    for hidden in ("Brouillon", "Soumis", "Annulé", "Déjà passé"):
        assert hidden not in html
    assert page_text(client, "/") == html


def test_an_event_under_way_is_still_listed(client):
    # Real offsets from now (in_days pins the hour: start and end could meet).
    started = now_utc() - timedelta(hours=2)
    EventFactory(title="Salon en cours", starts_at=started, ends_at=started + timedelta(hours=6))
    assert "Salon en cours" in page_text(client, "/")


def test_events_are_in_date_order(client):
    EventFactory(title="Le troisième", starts_at=in_days(30))
    EventFactory(title="Le premier", starts_at=in_days(2))
    EventFactory(title="Le deuxième", starts_at=in_days(9))
    html = page_text(client, "/")
    assert html.index("Le premier") < html.index("Le deuxième") < html.index("Le troisième")


def test_entry_shows_french_date_place_kind_organiser_and_seats(client):
    organisation = OrganisationFactory(name="APESS 53")
    EventFactory(
        title="Ciné-débat Laval",
        organisation=organisation,
        starts_at=paris(2030, 11, 19, 18, 30),
        ends_at=paris(2030, 11, 19, 21),
        capacity=50,
        commune="Laval",
        department="53",
    )
    html = page_text(client, "/?from=2030-11-01")
    assert "mardi 19 novembre 2030, 18 h 30" in html
    assert "Laval (53 – Mayenne)" in html
    assert "Ciné-débat" in html
    assert "APESS 53" in html
    assert "50 places restantes" in html


def test_seats_left_full_and_waiting_list(client):
    open_event = EventFactory(title="Places restantes", capacity=10)
    RegistrationFactory.create_batch(2, event=open_event, seats=3)
    RegistrationFactory(event=open_event, status=RegistrationStatus.CANCELLED, seats=4)
    full = EventFactory(title="Complet sans liste", capacity=2, waitlist_enabled=False)
    RegistrationFactory(event=full, seats=2)
    waitlist = EventFactory(title="Complet avec liste", capacity=1, waitlist_enabled=True)
    RegistrationFactory(event=waitlist)
    RegistrationFactory(event=waitlist, status=RegistrationStatus.WAITLISTED, waitlist_position=1)
    EventFactory(title="Entrée libre", registration_required=False)
    html = page_text(client, "/")
    assert "4 places restantes" in html
    assert "Complet</p>" in html
    assert "Complet – liste d&#39;attente ouverte" in html
    assert "Entrée libre, sans inscription" in html


@pytest.fixture
def varied_events():
    """Events that differ on exactly one filter each from the "reference" one."""
    mois = CampaignFactory(slug="mois-ess-test", name="Mois de l'ESS test")
    other = CampaignFactory(slug="salon-test", name="Salon test")
    cnoir = OrganisationFactory(name="Coopérative du Chat Noir")
    common = dict(starts_at=paris(2030, 11, 10, 18), ends_at=paris(2030, 11, 10, 20))
    events = {
        "reference": EventFactory(
            title="Référence",
            campaign=mois,
            department="53",
            commune="Laval",
            kind=EventKind.CINE_DEBAT,
            audiences=[Audience.GRAND_PUBLIC],
            **common,
        ),
        "other-campaign": EventFactory(title="Autre campagne", campaign=other, **common),
        "no-campaign": EventFactory(title="Hors campagne", **common),
        "other-department": EventFactory(
            title="Autre département", campaign=mois, department="72", commune="Le Mans", **common
        ),
        "other-commune": EventFactory(
            title="Autre commune", campaign=mois, commune="Château-Gontier", **common
        ),
        "other-kind": EventFactory(title="Autre type", campaign=mois, kind=EventKind.VISITE, **common),
        "other-audience": EventFactory(
            title="Autre public", campaign=mois, audiences=[Audience.SCOLAIRES], **common
        ),
        "organiser-match": EventFactory(title="Rencontre", organisation=cnoir, campaign=mois, **common),
        "later": EventFactory(
            title="Plus tard", campaign=mois, starts_at=paris(2030, 12, 5, 18), ends_at=paris(2030, 12, 5, 20)
        ),
    }
    return events


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("campaign=mois-ess-test", {"Référence", "Autre département", "Autre commune", "Autre type",
                                     "Autre public", "Rencontre", "Plus tard"}),
        ("department=72", {"Autre département"}),
        ("commune=Château-Gontier", {"Autre commune"}),
        ("commune=laval", None),  # case-blind: everything in Laval
        ("kind=visite", {"Autre type"}),
        ("audience=scolaires", {"Autre public"}),
        ("from=2030-12-01", {"Plus tard"}),
        ("to=2030-11-30", None),
        ("q=chat+noir", {"Rencontre"}),
        ("q=R%C3%A9f%C3%A9rence", {"Référence"}),
        ("campaign=mois-ess-test&department=53&kind=cine-debat&audience=grand-public", {"Référence"}),
        ("department=53&kind=visite&from=2030-11-01&to=2030-11-30", {"Autre type"}),
    ],
)  # fmt: skip
def test_filters(client, varied_events, query, expected):
    html = page_text(client, f"/events/?{query}")
    titles = {event.title for event in varied_events.values() if event.title in html}
    if query == "commune=laval":
        expected = {e.title for e in varied_events.values() if e.commune == "Laval"}
    if query == "to=2030-11-30":
        expected = {e.title for e in varied_events.values()} - {"Plus tard"}
    assert titles == expected


def test_date_filters_use_whole_local_days(client):
    # 23:30 in Paris on 17 November is 22:30 UTC: still the 17th for the person.
    EventFactory(title="Fin de soirée", starts_at=paris(2030, 11, 17, 23, 30), ends_at=paris(2030, 11, 18, 1))
    assert "Fin de soirée" in page_text(client, "/?from=2030-11-17&to=2030-11-17")
    assert "Fin de soirée" not in page_text(client, "/?from=2030-11-16&to=2030-11-16")
    # Ends after midnight: it still shows when searching from the 18th.
    assert "Fin de soirée" in page_text(client, "/?from=2030-11-18&to=2030-11-18")


def test_free_text_is_not_a_like_pattern(client):
    EventFactory(title="Atelier 100% récup")
    EventFactory(title="Atelier réparation")
    html = page_text(client, "/?q=100%25")
    assert "Atelier 100% récup" in html
    assert "Atelier réparation" not in html


def test_pagination_keeps_filters(client, app):
    for day in range(25):
        EventFactory(title=f"Événement numéro {day:02d}", starts_at=in_days(day + 1), department="45")
    EventFactory(title="Ailleurs", department="18")
    first = page_text(client, "/?department=45")
    assert "25 événements" in first
    assert "Événement numéro 00" in first and "Événement numéro 19" in first
    assert "Événement numéro 20" not in first
    assert 'href="/?department=45&amp;page=2"' in first
    second = page_text(client, "/?department=45&page=2")
    assert "Événement numéro 20" in second and "Événement numéro 24" in second
    assert "Événement numéro 19" not in second
    assert "Ailleurs" not in second
    beyond = page_text(client, "/?department=45&page=9")
    assert "Aucun événement ne correspond à ces critères." in beyond


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-13-45", "La date « 2026-13-45 » (du) n&#39;est pas valide"),
        ("to=demain", "La date « demain » (au) n&#39;est pas valide"),
        ("department=999", "« 999 » n&#39;est pas un numéro de département connu"),
        ("kind=bal-masque", "Le type d&#39;événement « bal-masque » n&#39;existe pas"),
        ("audience=martiens", "Le public « martiens » n&#39;existe pas"),
        ("campaign=inconnue", "La campagne « inconnue » n&#39;existe pas"),
        ("page=abc", "Le numéro de page « abc » n&#39;est pas valide"),
        ("page=0", "Le numéro de page « 0 » n&#39;est pas valide"),
        ("page=99999999999999999999", "n&#39;est pas valide"),
        ("from=2030-12-01&to=2030-11-01", "les deux dates ont été inversées"),
    ],
)
def test_bad_filter_values_give_a_french_message_not_an_error(client, query, message):
    EventFactory(title="Toujours affiché")
    response = client.get(f"/events/?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html
    assert 'role="alert"' in html


def test_a_bad_filter_is_dropped_and_the_others_still_apply(client):
    EventFactory(title="En Mayenne", department="53")
    EventFactory(title="En Sarthe", department="72")
    html = page_text(client, "/?department=53&kind=nimporte")
    assert "En Mayenne" in html and "En Sarthe" not in html


def test_department_codes_are_normalised(client):
    EventFactory(title="À Ajaccio", department="2A", commune="Ajaccio")
    EventFactory(title="À Bourg", department="01", commune="Bourg-en-Bresse")
    assert "À Ajaccio" in page_text(client, "/?department=2a")
    assert "À Bourg" in page_text(client, "/?department=1")


def test_the_form_shows_the_current_filters(client):
    CampaignFactory(slug="mois-ess-form", name="Mois form")
    html = page_text(client, "/?department=53&kind=cine-debat&campaign=mois-ess-form&q=film")
    assert '<option value="53" selected>' in html
    assert '<option value="cine-debat" selected>' in html
    assert '<option value="mois-ess-form" selected>' in html
    assert 'value="film"' in html


def test_listing_costs_a_constant_number_of_queries(client, count_queries):
    campaign = CampaignFactory()

    def queries_for_listing() -> int:
        with count_queries() as counter:
            page_text(client, f"/?campaign={campaign.slug}")
        return counter.count

    organisation = OrganisationFactory()
    EventFactory(campaign=campaign, organisation=organisation)
    few = queries_for_listing()
    for index in range(19):
        event = EventFactory(
            campaign=campaign, organisation=OrganisationFactory(), starts_at=in_days(index + 2)
        )
        RegistrationFactory(event=event)
    many = queries_for_listing()
    assert few == many
    assert many <= 5


def test_each_bad_value_is_tied_to_its_field(client):
    html = page_text(client, "/?department=999&from=hier&kind=bal")
    for name in ("department", "from", "kind"):
        assert f'id="f-{name}-erreur"' in html
        assert f'href="#f-{name}"' in html
    assert 'aria-invalid="true" aria-describedby="f-department-erreur"' in html
    assert 'aria-describedby="f-dates-aide f-from-erreur" aria-invalid="true"' in html
    assert 'id="f-to-erreur"' not in html


@pytest.mark.parametrize(
    "query",
    [
        "q=%00",
        "q=caf%C3%A9%00bar",
        "commune=Laval%00",
        "department=%00",
        "from=2030-11-01%00",
        "q=" + "x" * 5000,
        "department=53&department=72",
        "kind=%F0%9F%8E%AC",
        "page=-1",
        "page=%C2%B2",
        "from=%EF%BC%92%EF%BC%90%EF%BC%93%EF%BC%90-11-01",
        "to=9999-12-31",
        "from=0001-01-01",
        "from=1999-12-31&to=2101-01-01",
        "page=" + "9" * 5000,
    ],
)
def test_hostile_query_strings_never_fail(client, query):
    EventFactory(title="Toujours là", commune="Laval")
    response = client.get(f"/events/?{query}")
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/events/%00", "/campaigns/%00", "/events/un.point", "/events/a%2Fb"])
def test_impossible_slugs_are_a_404(client, path):
    assert client.get(path).status_code == 404


def test_dates_out_of_range_are_explained(client):
    html = page_text(client, "/?to=9999-12-31")
    assert "La date « 9999-12-31 » (au) n&#39;est pas valide" in html


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("q=ecole", True),
        ("q=%C3%89COLE", True),
        ("q=ciné+école", True),
        ("q=oeuvre", True),  # the organiser's name, "Œuvre" with its ligature
        ("q=ecole+piscine", False),  # every word must match
        ("commune=chateau-gontier", True),
        ("commune=CH%C3%82TEAU+GONTIER", True),
        ("commune=chateau", False),  # a commune is matched whole
    ],
)
def test_search_and_commune_ignore_accents_case_and_punctuation(client, query, found):
    organisation = OrganisationFactory(name="L'Œuvre coopérative")
    EventFactory(title="Ciné-débat à l'École", commune="Château-Gontier", organisation=organisation)
    assert ("Ciné-débat à l&#39;École" in page_text(client, f"/?{query}")) is found


def test_renaming_keeps_the_folded_copies_in_step(client, db_session):
    event = EventFactory(title="Ancien titre", commune="Laval")
    assert "Ancien titre" in page_text(client, "/?q=ancien")
    event.title = "Découverte"
    event.commune = "Évron"
    db_session.flush()
    html = page_text(client, "/?q=decouverte&commune=evron")
    assert "Découverte" in html
