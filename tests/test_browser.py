"""The agenda in a real browser: Debian's Chromium driven by Playwright against
a live server loaded with the demo data.

A newcomer's path: open the agenda, filter by département 53 and ciné-débat,
open an event page; with JavaScript off too, and with the keyboard only.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from eventsapp import create_app
from eventsapp.config import TestConfig
from eventsapp.demo.seed import seed_demo
from eventsapp.extensions import db
from tests.databases import in_ci

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a real port, with the demo data committed to its own SQLite file."""
    instance = tmp_path_factory.mktemp("browser-instance")
    app = create_app(TestConfig(instance, f"sqlite:///{instance / 'browser.sqlite'}"))
    app.testing = False  # serve French error pages as a visitor would see them
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        message = "Debian's chromium is not installed (make browser)"
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=[True, False], ids=["with-js", "without-js"])
def page(request: pytest.FixtureRequest, browser):
    context = browser.new_context(java_script_enabled=request.param, locale="fr-FR")
    page = context.new_page()
    yield page
    context.close()


def test_filter_by_department_and_kind_then_open_an_event(live_server, page):
    page.goto(live_server + "/")
    assert page.locator("h1").inner_text().startswith("Agenda")
    page.get_by_label("Département").select_option("53")
    page.get_by_label("Type d'événement").select_option("cine-debat")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_load_state()
    assert "department=53" in page.url and "kind=cine-debat" in page.url
    cards = page.locator(".event-card")
    assert cards.count() >= 1
    for index in range(cards.count()):
        text = cards.nth(index).inner_text()
        assert "Ciné-débat" in text and "(53 – Mayenne)" in text
    first_title = cards.first.locator("h3 a").inner_text()
    cards.first.locator("h3 a").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == first_title
    assert "/events/" in page.url
    assert page.get_by_role("link", name="Voir sur OpenStreetMap").count() == 1
    json_ld = page.locator('script[type="application/ld+json"]').text_content()
    assert '"@type": "Event"' in json_ld or '"@type":"Event"' in json_ld


def test_a_bad_filter_shows_a_french_message(live_server, page):
    page.goto(live_server + "/events/?department=999&from=demain")
    alert = page.get_by_role("alert")
    assert "n'est pas un numéro de département connu" in alert.inner_text()
    assert "n'est pas valide" in alert.inner_text()


def test_keyboard_reaches_the_skip_link_and_the_filters(live_server, browser):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(live_server + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#contenu"
    assert page.evaluate("document.activeElement.id") == "contenu"
    # Every filter field has a label the browser knows about.
    for label in (
        "Recherche",
        "Campagne",
        "Département",
        "Commune",
        "Type d'événement",
        "Public",
        "Du (date de début)",
        "Au (date de fin)",
    ):
        assert page.get_by_label(label, exact=True).count() == 1, label
    context.close()


def test_unknown_page_is_a_french_404(live_server, page):
    response = page.goto(live_server + "/events/cet-evenement-n-existe-pas")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Page introuvable"


def test_phone_width_has_no_horizontal_scroll(live_server, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
    page = context.new_page()
    page.goto(live_server + "/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()
