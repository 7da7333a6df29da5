"""A post carries an HTML form: a JSON body, or a file where text goes, is
refused with a French page before any view (Flask-WTF would read them as
form data and hand a list, a number or a file to the forms' filters), and
nothing is stored. With CSRF on, any visitor holds a token: same answer."""

from __future__ import annotations

import io
import json
import re

import pytest
import sqlalchemy as sa

from eventsapp.extensions import db
from eventsapp.registrations.models import Registration
from tests.conftest import build_test_app
from tests.factories import EventFactory
from tests.signup_helpers import form_data, text

JSON_BODIES = ["1", '"abc"', "[[1, 2, 3]]", json.dumps({**form_data(), "first_name": 5})]


def _registrations() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Registration))


@pytest.mark.parametrize("body", [*JSON_BODIES, json.dumps({**form_data(), "first_name": "\ud800"})])
def test_a_json_body_is_refused_and_nothing_is_stored(client, db_session, body):
    event = EventFactory()
    db.session.commit()
    response = client.post(f"/events/{event.slug}/register", data=body, content_type="application/json")
    assert response.status_code == 415
    assert "Ce formulaire s'envoie depuis sa page sur le site" in text(response)
    assert _registrations() == 0


def test_a_file_in_a_text_field_is_refused_and_nothing_is_stored(client, db_session):
    event = EventFactory()
    db.session.commit()
    data = {**form_data(), "first_name": (io.BytesIO(b"Camille"), "prenom.txt")}
    response = client.post(f"/events/{event.slug}/register", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert _registrations() == 0


def test_a_form_sent_as_multipart_without_files_still_signs_up(client, db_session):
    event = EventFactory()
    db.session.commit()
    response = client.post(
        f"/events/{event.slug}/register", data=form_data(), content_type="multipart/form-data"
    )
    assert response.status_code == 303
    assert _registrations() == 1


def test_with_csrf_on_a_visitor_holding_a_token_gets_the_same_answer(tmp_path):
    app = build_test_app("sqlite", tmp_path, WTF_CSRF_ENABLED=True)
    app.extensions["celery"].set_current()
    with app.app_context():
        event = EventFactory()
        db.session.commit()
        client = app.test_client()
        page = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        for body in JSON_BODIES:
            response = client.post(
                f"/events/{event.slug}/register",
                data=body,
                content_type="application/json",
                headers={"X-CSRFToken": token},
            )
            assert response.status_code == 415
        assert _registrations() == 0
        db.engine.dispose()


def test_an_unknown_address_or_method_keeps_its_own_answer(client, db_session):
    """A JSON post to no page is a 404, to a page that takes no post a 405."""
    assert client.post("/nulle-part", data="{}", content_type="application/json").status_code == 404
    assert client.post("/events/", data="{}", content_type="application/json").status_code == 405
