"""Ids no primary key can hold (past PostgreSQL's INTEGER, past SQLite's
64 bits), in a path, a query string or a form: a 404 or the page's French
message, never a database error. Each address is first shown to answer
with a real id, so a 404 below is the id's, not a mistyped path's."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from eventsapp.accounts.models import Role
from eventsapp.catalog.models import Campaign, Event
from eventsapp.extensions import db
from eventsapp.registrations.models import Registration
from eventsapp.text import LARGEST_ID, parse_id
from tests.accounts_support import client_for, make_member
from tests.factories import (
    CampaignFactory,
    EventFactory,
    OrganisationFactory,
    RegistrationFactory,
    SessionFactory,
)

HUGE = [str(LARGEST_ID + 1), str(2**63), "9" * 30]


@dataclass
class World:
    client: object
    event: Event
    campaign: Campaign
    registration: Registration
    session_id: int


@pytest.fixture
def world(app, db_session) -> World:  # noqa: ANN001
    organisation = OrganisationFactory()
    membership = make_member(organisation, Role.OWNER)
    campaign = CampaignFactory(coordinator=organisation)
    event = EventFactory(organisation=organisation, campaign=campaign)
    session = SessionFactory(event=event)
    registration = RegistrationFactory(event=event)
    db.session.commit()
    return World(client_for(app, membership.user), event, campaign, registration, session.id)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),
        (" 7 ", 7),
        ("007", 7),
        (str(LARGEST_ID), LARGEST_ID),
        ("0", None),
        ("-3", None),
        ("²", None),
    ]
    + [("", None)]
    + [(value, None) for value in HUGE],
)
def test_an_id_is_plain_digits_within_what_a_key_holds(raw, expected):
    assert parse_id(raw) == expected


PATHS = [
    "/admin/events/{event}/",
    "/admin/events/{event}/registrants/",
    "/admin/events/{event}/checkin",
    "/admin/reports/campaigns/{campaign}/",
    "/admin/campaigns/{campaign}/",
]


@pytest.mark.parametrize("path", PATHS)
def test_a_huge_id_in_a_path_is_a_404(world, path):
    assert world.client.get(path.format(event=world.event.id, campaign=world.campaign.id)).status_code == 200
    for value in HUGE:
        assert world.client.get(path.format(event=value, campaign=value)).status_code == 404


QUERIES = [
    ("/admin/events/{event}/registrants/person?registration={id}", "registration"),
    ("/admin/events/{event}/sessions/?session={id}", "session"),
    ("/admin/events/{event}/checkin?session={id}", "session"),
    ("/admin/privacy/person?registration_id={id}", "registration"),
    ("/admin/reports/?campaign={id}", "campaign"),
]


@pytest.mark.parametrize(("path", "names"), QUERIES)
def test_a_huge_id_in_a_query_string_is_refused_not_a_500(world, path, names):
    real = {"registration": world.registration.id, "session": world.session_id, "campaign": world.campaign.id}
    assert world.client.get(path.format(event=world.event.id, id=real[names])).status_code == 200
    for value in HUGE:
        response = world.client.get(path.format(event=world.event.id, id=value))
        assert response.status_code in (200, 303, 404), (value, response.status_code)


FORMS = [
    ("/admin/events/{event}/checkin/check", "registration_id"),
    ("/admin/events/{event}/checkin/undo", "registration_id"),
    ("/admin/events/{event}/sessions/remove", "item_id"),
    ("/admin/organisations/switch", "organisation_id"),
    ("/admin/campaigns/{campaign}/approve", "event_id"),
]


@pytest.mark.parametrize(("path", "field"), FORMS)
def test_a_huge_id_in_a_form_is_refused_not_a_500(world, path, field):
    address = path.format(event=world.event.id, campaign=world.campaign.id)
    for value in HUGE:
        response = world.client.post(address, data={field: value})
        assert response.status_code in (303, 422), (value, response.status_code)
