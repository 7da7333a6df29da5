"""The cache of built feeds: a feed is built once and served from the cache
until an event in it changes (its ETag, the cache key, then changes); changes
elsewhere leave it cached. On an app with a real (in-process) cache."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask

from eventsapp.calendars import validators
from eventsapp.catalog.models import Event
from eventsapp.catalog.service import cancel_event, update_event
from eventsapp.extensions import db
from tests.conftest import QueryCounter, build_test_app
from tests.factories import CampaignFactory, EventFactory


@pytest.fixture
def cached_app(tmp_path) -> Iterator[Flask]:
    """An app with a SimpleCache, on its own SQLite file; tests commit."""
    app = build_test_app("sqlite", tmp_path, CACHE_TYPE="SimpleCache")
    with app.app_context():
        app.extensions["celery"].set_current()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def builds(monkeypatch) -> list[int]:
    """One item per feed actually built."""
    calls: list[int] = []
    real_build = validators.build_calendar

    def counting_build(info, entries):  # noqa: ANN001, ANN202
        calls.append(1)
        return real_build(info, entries)

    monkeypatch.setattr(validators, "build_calendar", counting_build)
    return calls


def test_a_feed_is_built_once_until_an_event_in_it_changes(cached_app, builds):
    client = cached_app.test_client()
    campaign = CampaignFactory(slug="mois-cache")
    event = EventFactory(campaign=campaign, title="Titre d'origine")
    outside = EventFactory(title="Ailleurs")
    db.session.commit()

    first = client.get("/campaigns/mois-cache.ics")
    second = client.get("/campaigns/mois-cache.ics")
    assert len(builds) == 1
    assert first.data == second.data
    assert first.headers["ETag"] == second.headers["ETag"]

    update_event(db.session.get(Event, outside.id), title="Ailleurs, autrement")
    db.session.commit()
    assert client.get("/campaigns/mois-cache.ics").data == first.data
    assert len(builds) == 1  # not in this feed: still cached

    update_event(db.session.get(Event, event.id), title="Titre modifié")
    db.session.commit()
    changed = client.get("/campaigns/mois-cache.ics")
    assert len(builds) == 2
    assert "Titre modifié" in changed.get_data(as_text=True)
    assert changed.headers["ETag"] != first.headers["ETag"]

    cancel_event(db.session.get(Event, event.id), "Annulé.")
    db.session.commit()
    assert "STATUS:CANCELLED" in client.get("/campaigns/mois-cache.ics").get_data(as_text=True)
    assert len(builds) == 3


def test_conditional_requests_are_answered_from_remembered_validators(cached_app, builds, monkeypatch):
    """Feed clients poll all day: while no public data changed this minute,
    their 304 costs no query; a committed change, or the next minute (the
    window moves), makes the validators be computed again."""
    monkeypatch.setattr(validators, "_current_minute", lambda: 29_000_000)
    client = cached_app.test_client()
    campaign = CampaignFactory(slug="mois-memo")
    event = EventFactory(campaign=campaign)
    db.session.commit()
    etag = client.get("/campaigns/mois-memo.ics").headers["ETag"]
    assert len(builds) == 1

    with QueryCounter(db.engine) as counter:
        response = client.get("/campaigns/mois-memo.ics", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.headers["ETag"] == etag
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert counter.count == 0, counter.statements

    monkeypatch.setattr(validators, "_current_minute", lambda: 29_000_001)
    with QueryCounter(db.engine) as counter:
        assert client.get("/campaigns/mois-memo.ics", headers={"If-None-Match": etag}).status_code == 304
    assert counter.count >= 1  # validators computed again from the data

    update_event(db.session.get(Event, event.id), starts_at=event.starts_at + timedelta(hours=1))
    db.session.commit()
    moved = client.get("/campaigns/mois-memo.ics", headers={"If-None-Match": etag})
    assert moved.status_code == 200
    assert moved.headers["ETag"] != etag
    assert "SEQUENCE:1" in moved.get_data(as_text=True)
    assert len(builds) == 2


def test_an_unknown_feed_is_never_remembered(cached_app):
    client = cached_app.test_client()
    assert client.get("/campaigns/pas-encore.ics").status_code == 404
    CampaignFactory(slug="pas-encore")
    db.session.commit()
    assert client.get("/campaigns/pas-encore.ics").status_code == 200
