"""Numbers in query strings and forms: a non-ASCII digit ("²", "٣") or a
year out of range gets a French message or a 404, never a 500 (review
findings)."""

from __future__ import annotations

import pytest

from eventsapp.accounts.models import Role
from tests.accounts_support import client_for, make_member
from tests.factories import EventFactory, OrganisationFactory


@pytest.fixture
def owner_client(app, db_session):
    organisation = OrganisationFactory()
    membership = make_member(organisation, Role.OWNER)
    event = EventFactory(organisation=organisation)
    return client_for(app, membership.user), event


@pytest.mark.parametrize(
    "path",
    [
        "/admin/events/{id}/registrants/person?registration=²",
        "/admin/events/{id}/registrants/?page=²",
        "/admin/events/{id}/messages/view?message=²",
        "/admin/events/{id}/sessions/?session=²",
        "/admin/events/{id}/checkin?session=²",
        "/admin/privacy/person?registration_id=²",
        "/admin/reports/?campaign=²",
        "/admin/reports/?campaign=" + "9" * 5000,
        "/admin/reports/?to=9999-12-31",
        "/admin/reports/?from=0001-01-01",
    ],
)
def test_odd_numbers_in_urls_never_give_a_500(owner_client, path):
    client, event = owner_client
    response = client.get(path.format(id=event.id))
    assert response.status_code < 500, response.status_code


def test_an_event_in_year_1_or_9999_is_refused_in_french(owner_client):
    client, _event = owner_client
    for day in ("0001-01-01", "9999-12-31"):
        response = client.post(
            "/admin/events/new",
            data={
                "title": "Forum",
                "kind": "forum",
                "start_date": day,
                "start_time": "09:00",
                "end_time": "17:00",
            },
        )
        assert response.status_code == 422
        assert "Indiquez une année entre 2000 et 2100." in response.get_data(as_text=True)
