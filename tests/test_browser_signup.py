"""A person signs up in a real browser (Debian's Chromium via Playwright), reads
the e-mail in the dev mailbox, follows the private link and cancels; the
person on the waiting list is promoted and gets an e-mail too."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from eventsapp.extensions import db
from eventsapp.registrations.models import Registration, RegistrationStatus
from tests.conftest import build_test_app
from tests.factories import EventFactory
from tests.test_browser import browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def live_site(tmp_path) -> Iterator[tuple[str, object]]:
    """A live server with CSRF on, e-mails written to files (the embedded
    mode's mailbox) and one event of one seat with a waiting list."""
    app = build_test_app("sqlite", tmp_path, MAIL_BACKEND="file", EMBEDDED_MODE=True, WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = base_url
    with app.app_context():
        app.extensions["celery"].set_current()
        EventFactory(
            title="Atelier réemploi à Laval", slug="atelier-reemploi", capacity=1, waitlist_enabled=True
        )
        db.session.commit()
        db.session.remove()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base_url, app
    server.shutdown()
    thread.join(timeout=5)


def sign_up(page, base_url: str, first_name: str, email: str) -> None:
    page.goto(base_url + "/")
    page.get_by_role("link", name="Atelier réemploi à Laval").click()
    page.get_by_role("link", name="S'inscrire").or_(
        page.get_by_role("link", name="Rejoindre la liste d'attente")
    ).click()
    page.get_by_label("Prénom").fill(first_name)
    page.get_by_label("Nom", exact=True).fill("Lemaire")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Grand public").check()
    page.get_by_label("J'accepte que mes données").check()
    with page.expect_navigation():
        page.locator("form.signup-form button[type=submit]").click()
    assert page.locator("h1").inner_text() == "Merci !"


def open_mail(page, base_url: str, recipient: str, subject_word: str) -> None:
    page.goto(base_url + "/dev/mailbox")
    row = page.locator("tr", has_text=recipient).filter(has_text=subject_word).first
    with page.expect_navigation():
        row.locator("a").first.click()


def test_sign_up_read_the_mail_cancel_and_the_waiting_list_moves(live_site, browser):  # noqa: F811
    base_url, app = live_site
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()

    sign_up(page, base_url, "Alix", "alix@exemple.fr")
    sign_up(page, base_url, "Bastien", "bastien@exemple.fr")

    open_mail(page, base_url, "alix@exemple.fr", "Atelier réemploi")
    text = page.locator("pre.mail-text").inner_text()
    assert "Atelier réemploi à Laval" in text
    # The long private link overflows the <pre>: follow it with the keyboard.
    page.locator("pre.mail-text a", has_text="/registrations/").first.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Mon inscription"
    assert "Confirmée" in page.content()

    page.get_by_role("link", name="Annuler mon inscription").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Oui, annuler mon inscription").click()
    assert "Annulée" in page.content()

    with app.app_context():
        statuses = {r.email: r.status for r in db.session.query(Registration)}
        db.session.remove()
    assert statuses == {
        "alix@exemple.fr": RegistrationStatus.CANCELLED,
        "bastien@exemple.fr": RegistrationStatus.CONFIRMED,
    }
    page.goto(base_url + "/dev/mailbox")
    assert page.locator("tr", has_text="bastien@exemple.fr").count() == 2  # waiting list, then promotion
    context.close()
