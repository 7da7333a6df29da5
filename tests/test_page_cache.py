"""Cached public pages: served from the cache, made stale by every commit that
touches public data, shared between processes through the cache backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from eventsapp.caching import catalog_version
from eventsapp.catalog.models import Event
from eventsapp.extensions import db
from eventsapp.registrations.models import RegistrationStatus
from tests.conftest import build_test_app
from tests.factories import EventFactory, RegistrationFactory


@pytest.fixture(autouse=True)
def frozen_minute(monkeypatch):
    """The key's minute must not roll over in the middle of a test."""
    monkeypatch.setattr("eventsapp.caching._current_minute", lambda: 29_000_000)


@pytest.fixture
def cached_app(tmp_path) -> Iterator[Flask]:
    """An app with a real (in-process) cache, on its own SQLite file; tests commit."""
    app = build_test_app("sqlite", tmp_path, CACHE_TYPE="SimpleCache")
    with app.app_context():
        app.extensions["celery"].set_current()
        yield app
        db.session.remove()
        db.engine.dispose()


def html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_pages_come_from_the_cache_until_public_data_changes(cached_app):
    client = cached_app.test_client()
    event = EventFactory(title="Titre d'origine", capacity=10)
    db.session.commit()
    assert "Titre d&#39;origine" in html(client, "/")
    assert "10 places restantes" in html(client, f"/events/{event.slug}")

    # A change made behind the ORM's back is not seen: the page is cached.
    db.session.execute(sa.text("UPDATE events SET title = 'Changé en douce'"))
    db.session.commit()
    assert "Titre d&#39;origine" in html(client, "/")

    # A change through the ORM, once committed, makes every page stale.
    event = db.session.get(Event, event.id)
    event.title = "Titre modifié"
    db.session.commit()
    assert "Titre modifié" in html(client, "/")

    RegistrationFactory(event=event, seats=3)
    db.session.commit()
    assert "7 places restantes" in html(client, f"/events/{event.slug}")
    assert "7 places restantes" in html(client, "/")


def test_bulk_statements_also_make_pages_stale(cached_app):
    client = cached_app.test_client()
    event = EventFactory(capacity=5)
    db.session.commit()
    assert "5 places restantes" in html(client, "/")
    RegistrationFactory(event=event, seats=2)
    db.session.commit()
    db.session.execute(sa.update(Event).where(Event.id == event.id).values(capacity=9))
    db.session.commit()
    assert "7 places restantes" in html(client, "/")


def test_rolled_back_changes_keep_the_version(cached_app):
    event = EventFactory()
    db.session.commit()
    before = catalog_version()
    event.title = "Jamais enregistré"
    db.session.flush()
    db.session.rollback()
    assert catalog_version() == before
    RegistrationFactory(event=db.session.get(Event, event.id), status=RegistrationStatus.CONFIRMED)
    db.session.commit()
    assert catalog_version() != before


def test_filters_are_part_of_the_key(cached_app):
    client = cached_app.test_client()
    EventFactory(title="En Mayenne", department="53")
    EventFactory(title="En Sarthe", department="72")
    db.session.commit()
    assert "En Sarthe" not in html(client, "/?department=53")
    assert "En Mayenne" not in html(client, "/?department=72")


def test_the_version_is_shared_through_the_file_cache(tmp_path):
    """The embedded mode's web server and worker are two processes: a commit in
    one must make the other's pages stale. Two apps on the same cache folder
    stand for them."""
    settings = {"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": str(tmp_path / "cache")}
    web = build_test_app("sqlite", tmp_path / "web", **settings)
    worker = build_test_app("sqlite", tmp_path / "worker", **settings)
    with web.app_context():
        seen_by_web = catalog_version()
    with worker.app_context():
        assert catalog_version() == seen_by_web
        EventFactory()
        db.session.commit()
        db.session.remove()
    with web.app_context():
        assert catalog_version() != seen_by_web


def test_tracking_parameters_share_the_cached_page(cached_app):
    client = cached_app.test_client()
    event = EventFactory(title="Avant")
    db.session.commit()
    assert "Avant" in html(client, "/?department=53")
    db.session.execute(sa.text("UPDATE events SET title = 'Après'"))
    db.session.commit()
    # Same filters, extra tracking parameters: the same (cached) page.
    assert "Avant" in html(client, "/?utm_source=lettre&department=53&fbclid=abc")
    assert event.id


def test_a_rolled_back_savepoint_does_not_lose_the_invalidation(cached_app):
    client = cached_app.test_client()
    event = EventFactory(capacity=10)
    db.session.commit()
    assert "10 places restantes" in html(client, "/")
    RegistrationFactory(event=db.session.get(Event, event.id), seats=4)
    # A nested attempt fails and is rolled back (as a duplicate sign-up would be)…
    savepoint = db.session.begin_nested()
    savepoint.rollback()
    # …but the registration flushed before it is committed, and must show.
    db.session.commit()
    assert "6 places restantes" in html(client, "/")


def test_a_cache_failure_does_not_fail_the_commit(cached_app, monkeypatch):
    def broken_bump() -> None:
        raise ConnectionError("cache down")

    monkeypatch.setattr("eventsapp.caching.bump_catalog_version", broken_bump)
    EventFactory(title="Enregistré quand même")
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 1


def test_pages_and_feeds_are_served_when_the_cache_is_down(cached_app, monkeypatch):
    """Redis stopped: every cache call fails; pages and feeds are built instead."""
    EventFactory(title="Visite de la recyclerie")
    db.session.commit()
    cache = cached_app.extensions["cache"]
    backends = list(cache.values()) if isinstance(cache, dict) else [cache]

    def down(*_args, **_kwargs):
        raise ConnectionError("cache down")

    for backend in backends:
        for method in ("get", "set", "add", "get_many", "set_many", "delete"):
            if hasattr(backend, method):
                monkeypatch.setattr(backend, method, down)
    client = cached_app.test_client()
    assert "Visite de la recyclerie" in html(client, "/events/")
    feed = client.get("/calendar.ics")
    assert feed.status_code == 200
    assert "Visite de la recyclerie" in feed.get_data(as_text=True)
