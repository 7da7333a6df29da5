"""Access control of the back-office, route by route (issue 6, point 7).

The cases are generated from the URL map: every rule under ``/admin`` and
each of its methods is one test, run for every kind of visitor:

- anonymous: sent to the login page;
- owner, editor, check-in staff of the organisation that owns the objects in
  the URL: allowed exactly when their role holds the permission the view
  declared (``admin.access.requires``), else 403;
- the owner of another organisation, and the coordinator of the campaign the
  event was submitted to: 403 or 404 on the organisation's objects, with
  nothing of them on the page;
- the coordinator on its own campaign's pages: allowed, without any
  registrant's personal data.

A refused request changes nothing in the database. A view without a declared
permission, or with a URL argument this module does not know, fails here:
a new route cannot go uncovered.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import sqlalchemy as sa

from eventsapp import create_app
from eventsapp.accounts.models import Membership, Role, User
from eventsapp.accounts.permissions import Permission, role_allows
from eventsapp.admin.access import declared_permission
from eventsapp.catalog.vocabulary import EventStatus
from eventsapp.config import TestConfig
from eventsapp.extensions import db
from eventsapp.notifications.models import OutboxMessage
from eventsapp.registrations.models import Registration
from tests.accounts_support import client_for, make_member, text
from tests.factories import CampaignFactory, EventFactory, OrganisationFactory, RegistrationFactory

ADMIN = "/admin"
IGNORED_METHODS = {"HEAD", "OPTIONS"}


@cache
def admin_routes() -> list[tuple[str, str, str]]:
    """(rule, method, endpoint) of every back-office route, read from the
    URL map of an app built for the purpose (at collection time)."""
    instance = Path(tempfile.mkdtemp(prefix="admin-routes-"))
    app = create_app(TestConfig(instance, f"sqlite:///{instance / 'routes.sqlite'}"))
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(ADMIN):
            for method in sorted(rule.methods - IGNORED_METHODS):
                routes.append((rule.rule, method, rule.endpoint))
    with app.app_context():
        db.engine.dispose()
    return routes


ROUTES = admin_routes()
ROUTE_IDS = [f"{method} {rule}" for rule, method, _endpoint in ROUTES]


def test_the_back_office_has_routes_to_check():
    endpoints = {endpoint for _rule, _method, endpoint in ROUTES}
    assert {"admin.home", "admin.dashboard", "admin_members.members", "admin.event_checkin"} <= endpoints


def test_every_admin_route_declares_a_permission(app):
    missing = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(ADMIN) and declared_permission(app.view_functions[rule.endpoint]) is None
    ]
    assert missing == []


# --- The world the cases run in --------------------------------------------

SECRET_NAME = "Zéphyrine Confidentielle"
SECRET_EMAIL = "zephyrine.confidentielle@exemple.fr"
TARGET_EMAIL = "membre.cible@exemple.org"


@dataclass
class World:
    """Organisation A (the objects in the URLs), B (another organisation),
    C (a CRESS coordinating campaign K, to which A submitted an event)."""

    values: dict[str, int]
    people: dict[str, User | None]
    organisation_of: dict[str, int | None]
    a_id: int
    c_id: int
    a_texts: tuple[str, ...]


@pytest.fixture
def world(db_session) -> World:
    a = OrganisationFactory(name="Association Alpha Solidaire")
    b = OrganisationFactory(name="Coopérative Bêta")
    c = OrganisationFactory(name="CRESS Gamma")
    campaign = CampaignFactory(coordinator=c, requires_approval=True)
    EventFactory(organisation=a, campaign=campaign, status=EventStatus.SUBMITTED, title="Forum Alpha soumis")
    published = EventFactory(organisation=a, campaign=campaign, title="Ciné-débat Alpha publié")
    EventFactory(organisation=b, title="Visite Bêta")
    RegistrationFactory(
        event=published, first_name="Zéphyrine", last_name="Confidentielle", email=SECRET_EMAIL
    )
    owner_a = make_member(a, Role.OWNER)
    editor_a = make_member(a, Role.EDITOR)
    checkin_a = make_member(a, Role.CHECKIN)
    target = make_member(a, Role.EDITOR, email=TARGET_EMAIL, full_name="Membre Cible")
    owner_b = make_member(b, Role.OWNER)
    coordinator = make_member(c, Role.OWNER)
    db.session.commit()
    return World(
        values={"event_id": published.id, "membership_id": target.id, "campaign_id": campaign.id},
        people={
            "anonymous": None,
            "owner": owner_a.user,
            "editor": editor_a.user,
            "checkin": checkin_a.user,
            "outsider": owner_b.user,
            "coordinator": coordinator.user,
        },
        organisation_of={
            "anonymous": None,
            "owner": a.id,
            "editor": a.id,
            "checkin": a.id,
            "outsider": b.id,
            "coordinator": c.id,
        },
        a_id=a.id,
        c_id=c.id,
        a_texts=(SECRET_NAME, SECRET_EMAIL, TARGET_EMAIL, "Forum Alpha soumis", "Ciné-débat Alpha publié"),
    )


ROLES = {
    "owner": Role.OWNER,
    "editor": Role.EDITOR,
    "checkin": Role.CHECKIN,
    "outsider": Role.OWNER,
    "coordinator": Role.OWNER,
}
# Which organisation's objects each URL argument names.
ARGUMENT_OWNER = {"event_id": "a", "membership_id": "a", "campaign_id": "c"}


def build_path(rule: str, world: World) -> str:
    path = rule
    for argument, value in world.values.items():
        path = path.replace(f"<int:{argument}>", str(value))
    assert "<" not in path, f"{rule}: give test_admin_access.World a value for this URL argument"
    return path


def arguments_of(rule: str) -> set[str]:
    return {argument for argument in ARGUMENT_OWNER if f"<int:{argument}>" in rule}


def snapshot() -> tuple:
    """What a refused request must not change."""
    memberships = tuple(db.session.execute(sa.select(Membership.id, Membership.role).order_by(Membership.id)))
    users = tuple(
        db.session.execute(sa.select(User.id, User.session_version, User.password_hash).order_by(User.id))
    )
    counts = tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (OutboxMessage, Registration)
    )
    return memberships, users, counts


def expected_allowed(persona: str, permission: Permission, rule: str, world: World) -> bool:
    """Does ``persona`` get the page? Role holds the permission, and every
    object in the URL belongs to (or, for a campaign, is coordinated by)
    the persona's organisation."""
    if persona == "anonymous" or not role_allows(ROLES[persona], permission):
        return False
    organisation = world.organisation_of[persona]
    owners = {"a": world.a_id, "c": world.c_id}
    return all(owners[ARGUMENT_OWNER[argument]] == organisation for argument in arguments_of(rule))


@pytest.mark.parametrize(("rule", "method", "endpoint"), ROUTES, ids=ROUTE_IDS)
def test_route_access(app, world, rule, method, endpoint):
    permission = declared_permission(app.view_functions[endpoint])
    assert permission is not None, f"{endpoint} declares no permission"
    path = build_path(rule, world)
    # Allowed visitors last: what they may change must not mask a refusal.
    order = sorted(world.people, key=lambda p: expected_allowed(p, permission, rule, world))
    for persona in order:
        client = client_for(app, world.people[persona])
        before = snapshot()
        response = client.open(path, method=method)
        status = response.status_code
        where = f"{persona} {method} {path}"
        if persona == "anonymous":
            assert status == 302, where
            assert response.headers["Location"].startswith("/account/login"), where
            assert snapshot() == before, where
        elif expected_allowed(persona, permission, rule, world):
            assert status < 500 and status not in (401, 403, 404, 405), (where, status)
            if persona == "coordinator":
                assert SECRET_NAME not in text(response) and SECRET_EMAIL not in text(response), where
        else:
            assert status in (403, 404), (where, status)
            page = text(response)
            leaked = [value for value in world.a_texts if value in page]
            assert leaked == [], (where, leaked)
            assert snapshot() == before, where


def test_check_in_staff_reach_only_check_in_pages(app, world):
    """Said plainly: the check-in member is allowed on the check-in pages,
    home (which sends them there) and their own account, nothing else."""
    allowed = {
        endpoint
        for _rule, _method, endpoint in ROUTES
        if role_allows(Role.CHECKIN, declared_permission(app.view_functions[endpoint]))
    }
    assert {"admin.checkin_list", "admin.event_checkin", "admin.home"} <= allowed
    assert not allowed & {
        "admin.dashboard",
        "admin.event_overview",
        "admin_members.members",
        "admin.campaigns",
    }
    client = client_for(app, world.people["checkin"])
    assert client.get("/admin/").headers["Location"] == "/admin/checkin/"


def test_post_only_routes_refuse_get(app, world):
    client = client_for(app, world.people["owner"])
    post_only = {rule for rule, method, _ in ROUTES} - {rule for rule, method, _ in ROUTES if method == "GET"}
    assert post_only  # there are some
    for rule in post_only:
        before = snapshot()
        assert client.get(build_path(rule, world)).status_code == 405, rule
        assert snapshot() == before, rule


def test_get_pages_change_nothing(app, world):
    """Nor does a HEAD, which reaches the same view (a view that acted on
    anything but GET once removed a member on a HEAD)."""
    client = client_for(app, world.people["owner"])
    for rule, method, _endpoint in ROUTES:
        if method == "GET":
            before = snapshot()
            assert client.get(build_path(rule, world)).status_code < 500, rule
            assert client.head(build_path(rule, world)).status_code < 500, rule
            assert snapshot() == before, rule


def test_a_view_without_permission_is_closed_by_default(tmp_path):
    """Even a view that forgot ``@requires`` refuses everyone (and the
    enumeration above fails on it)."""
    from tests.conftest import build_test_app

    app = build_test_app("sqlite", tmp_path)
    app.add_url_rule("/admin/oubli", "oubli", lambda: "secret")
    client = app.test_client()
    assert client.get("/admin/oubli").status_code == 302
    with app.app_context():
        organisation = OrganisationFactory()
        user = make_member(organisation, Role.OWNER).user
        db.session.commit()
        client = client_for(app, user)
        response = client.get("/admin/oubli")
    assert response.status_code == 403 and "secret" not in text(response)
    with app.app_context():
        db.engine.dispose()


# --- CSRF on every form -------------------------------------------------------


@pytest.fixture(scope="module")
def csrf_app(tmp_path_factory):
    from tests.conftest import build_test_app

    app = build_test_app("sqlite", tmp_path_factory.mktemp("instance-admin-csrf"), WTF_CSRF_ENABLED=True)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_every_admin_post_needs_its_csrf_token(csrf_app):
    csrf_app.extensions["celery"].set_current()
    with csrf_app.app_context():
        a = OrganisationFactory()
        owner = make_member(a, Role.OWNER)
        target = make_member(a, Role.EDITOR)
        event = EventFactory(organisation=a)
        campaign = CampaignFactory(coordinator=a)
        db.session.commit()
        world = World(
            values={"event_id": event.id, "membership_id": target.id, "campaign_id": campaign.id},
            people={}, organisation_of={}, a_id=a.id, c_id=a.id, a_texts=(),
        )  # fmt: skip
        client = client_for(csrf_app, owner.user)
        posts = [rule for rule, method, _ in ROUTES if method == "POST"]
        assert posts
        for rule in posts:
            before = snapshot()
            response = client.post(
                build_path(rule, world), data={"role": "checkin", "organisation_id": str(a.id)}
            )
            assert response.status_code == 400, rule
            assert "Formulaire expiré" in text(response), rule
            assert snapshot() == before, rule
        # With the page's token the same post goes through.
        page = text(client.get("/admin/members/"))
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        response = client.post(
            f"/admin/members/{target.id}/role",
            data={f"m{target.id}-role": "checkin", f"m{target.id}-csrf_token": token},
        )
        assert response.status_code == 303
        assert db.session.get(Membership, target.id).role == Role.CHECKIN
        for membership in db.session.scalars(sa.select(Membership)):
            db.session.delete(membership)
        db.session.commit()
