"""Ids no primary key can hold (past PostgreSQL's INTEGER, past SQLite's
64 bits), in a path, a query string or a form: a 404 or the page's French
message, never a database error."""

from __future__ import annotations

import pytest

from eventsapp.accounts.models import Role
from eventsapp.extensions import db
from eventsapp.text import LARGEST_ID, parse_id
from tests.accounts_support import client_for, make_member
from tests.factories import EventFactory, OrganisationFactory, RegistrationFactory

HUGE = [str(LARGEST_ID + 1), str(2**63), "9" * 30]


@pytest.fixture
def owner(app, db_session):  # noqa: ANN001, ANN201
    organisation = OrganisationFactory()
    membership = make_member(organisation, Role.OWNER)
    event = EventFactory(organisation=organisation)
    RegistrationFactory(event=event)
    db.session.commit()
    return client_for(app, membership.user), event


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),
        (" 7 ", 7),
        (str(LARGEST_ID), LARGEST_ID),
        ("0", None),
        ("-3", None),
        ("²", None),
        ("", None),
    ]
    + [(value, None) for value in HUGE],
)
def test_an_id_is_plain_digits_within_what_a_key_holds(raw, expected):
    assert parse_id(raw) == expected


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize(
    "path",
    [
        "/admin/events/{}/",
        "/admin/events/{}/registrants/",
        "/admin/events/{}/checkin",
        "/admin/reports/campaigns/{}/",
        "/admin/campaigns/{}/",
    ],
)
def test_a_huge_id_in_a_path_is_a_404(owner, path, value):
    client, _event = owner
    assert client.get(path.format(value)).status_code == 404


@pytest.mark.parametrize("value", HUGE)
def test_a_huge_id_in_a_query_or_a_form_is_refused_not_a_500(owner, value):
    client, event = owner
    for path in (
        f"/admin/events/{event.id}/registrants/person?registration={value}",
        f"/admin/events/{event.id}/messages/view?message={value}",
        f"/admin/events/{event.id}/sessions/?session={value}",
        f"/admin/events/{event.id}/questions/?question={value}",
        f"/admin/events/{event.id}/reminders/?rule={value}",
        f"/admin/privacy/person?registration_id={value}",
        f"/admin/reports/?campaign={value}",
    ):
        response = client.get(path)
        assert response.status_code in (200, 303, 404), (path, response.status_code)
    for path, data in (
        (f"/admin/events/{event.id}/checkin/check", {"registration_id": value}),
        (f"/admin/events/{event.id}/sessions/remove", {"item_id": value}),
        ("/admin/organisations/switch", {"organisation_id": value}),
    ):
        response = client.post(path, data=data)
        assert response.status_code in (303, 404, 422), (path, response.status_code)
