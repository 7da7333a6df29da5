"""The back-office in a real browser (Debian's Chromium via Playwright): an
organiser logs in, creates an event with two workshops, publishes it; a
visitor signs up for it; the organiser checks the visitor in at the door and
sees the counts change."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from werkzeug.serving import make_server

from eventsapp.accounts.models import Role
from eventsapp.db import now_utc
from eventsapp.extensions import db
from tests.accounts_support import PASSWORD, make_member
from tests.conftest import build_test_app
from tests.factories import OrganisationFactory
from tests.test_browser import browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.browser

ORGANISER = "camille.organisatrice@exemple.org"


@pytest.fixture
def live_site(tmp_path) -> Iterator[str]:
    """A live server with CSRF on, e-mails to files, one organisation and its owner."""
    app = build_test_app("sqlite", tmp_path, MAIL_BACKEND="file", EMBEDDED_MODE=True, WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = base_url
    with app.app_context():
        app.extensions["celery"].set_current()
        organisation = OrganisationFactory(name="Club ESS de Laval")
        make_member(organisation, Role.OWNER, email=ORGANISER, password=PASSWORD)
        db.session.commit()
        db.session.remove()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base_url
    server.shutdown()
    thread.join(timeout=5)


def submit(page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name).first.click()


def add_workshop(page, title: str, day: str, start: str, end: str) -> None:
    page.get_by_label("Titre de l'atelier ou du créneau").fill(title)
    page.get_by_label("Date", exact=True).fill(day)
    page.get_by_label("Heure de début").fill(start)
    page.get_by_label("Heure de fin").fill(end)
    submit(page, "Enregistrer l'atelier")
    assert page.get_by_text(title).first.is_visible()


def test_an_organiser_creates_publishes_and_checks_in_a_visitor(live_site, browser):  # noqa: F811
    base_url = live_site
    # What the phone's date and time pickers send (input type=date, type=time).
    day = (now_utc() + timedelta(days=20)).strftime("%Y-%m-%d")
    organiser = browser.new_context(locale="fr-FR").new_page()

    # Log in.
    organiser.goto(base_url + "/admin/")
    organiser.get_by_label("Adresse e-mail").fill(ORGANISER)
    organiser.get_by_label("Mot de passe").fill(PASSWORD)
    submit(organiser, "Se connecter")

    # Create the event.
    organiser.goto(base_url + "/admin/events/new")
    organiser.get_by_label("Titre", exact=True).fill("Journée de l'ESS à Laval")
    organiser.get_by_label("Type d'événement").select_option("forum")
    organiser.get_by_label("Date de début").fill(day)
    organiser.get_by_label("Heure de début").fill("09:00")
    organiser.get_by_label("Heure de fin").fill("17:00")
    organiser.get_by_label("Commune").fill("Laval")
    submit(organiser, "Créer le brouillon")

    # Two workshops, then publish.
    organiser.get_by_role("link", name="Ateliers").first.click()
    add_workshop(organiser, "Atelier financement solidaire", day, "10:00", "11:30")
    add_workshop(organiser, "Atelier coopératives", day, "14:00", "15:30")
    event_url = organiser.url.split("/sessions")[0] + "/"
    organiser.goto(event_url)
    submit(organiser, "Publier")
    assert organiser.get_by_text("Publié").first.is_visible()

    # A visitor signs up for the first workshop.
    visitor = browser.new_context(locale="fr-FR").new_page()
    visitor.goto(base_url + "/")
    visitor.get_by_role("link", name="Journée de l'ESS à Laval").click()
    visitor.get_by_role("link", name="S'inscrire").click()
    visitor.get_by_label("Prénom").fill("Dominique")
    visitor.get_by_label("Nom", exact=True).fill("Lemaire")
    visitor.get_by_label("Adresse e-mail").fill("dominique@exemple.fr")
    visitor.get_by_label("Grand public").check()
    visitor.get_by_label("Atelier financement solidaire").check()
    visitor.get_by_label("J'accepte que mes données").check()
    with visitor.expect_navigation():
        visitor.locator("form.signup-form button[type=submit]").click()
    assert visitor.locator("h1").inner_text() == "Merci !"

    # At the door: the counts before and after one tap.
    organiser.goto(event_url + "checkin")
    counts = organiser.locator("#compteurs")
    assert counts.locator("[data-count=expected]").inner_text() == "1"
    assert counts.locator("[data-count=present]").inner_text() == "0"
    organiser.get_by_label("Rechercher un nom").fill("lemai")
    submit(organiser, "Rechercher")
    submit(organiser, "Pointer LEMAIRE Dominique")
    assert counts.locator("[data-count=present]").inner_text() == "1"
    assert organiser.get_by_text("Présent·e").first.is_visible()
    submit(organiser, "Ajouter une personne : Grand public")
    assert counts.locator("[data-count=walk_ins]").inner_text() == "1"
    assert counts.locator("[data-count=total_present]").inner_text() == "2"
