"""The back-office's pages (issue 6, points 2 and 3): the dashboard, members
(invite, change a role, remove, never the last owner), switching between
organisations, the coordinator's permission, the demo accounts."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from eventsapp.accounts import service
from eventsapp.accounts.models import Membership, Role, User
from eventsapp.accounts.permissions import is_coordinator_of
from eventsapp.catalog.vocabulary import EventStatus
from eventsapp.demo.accounts import DEMO_PASSWORD, demo_accounts_allowed, seed_demo_accounts
from eventsapp.demo.seed import seed_demo
from eventsapp.extensions import db
from eventsapp.notifications.models import OutboxStatus
from eventsapp.registrations.models import RegistrationStatus
from tests.accounts_support import (
    account_email_rows,
    client_for,
    field_error,
    make_member,
    make_user,
    text,
)
from tests.factories import CampaignFactory, EventFactory, OrganisationFactory, RegistrationFactory, in_days


@pytest.fixture
def club(db_session):
    organisation = OrganisationFactory(name="Club ESS de la Sarthe")
    owner = make_member(organisation, Role.OWNER, full_name="Anne Responsable")
    db.session.commit()
    return organisation, owner


def membership(membership_id: int) -> Membership | None:
    return db.session.get(Membership, membership_id)


# --- Dashboard ----------------------------------------------------------------


def test_dashboard_lists_the_organisation_s_events_with_their_counts(app, club):
    organisation, owner = club
    coming = EventFactory(
        organisation=organisation, title="Journée de l'ESS", capacity=250, status=EventStatus.DRAFT
    )
    RegistrationFactory(event=coming, seats=3)
    RegistrationFactory(event=coming, seats=2, status=RegistrationStatus.PENDING)
    RegistrationFactory(event=coming, seats=4, status=RegistrationStatus.WAITLISTED)
    RegistrationFactory(event=coming, seats=5, status=RegistrationStatus.CANCELLED)
    EventFactory(
        organisation=organisation,
        title="Petit-déjeuner passé",
        starts_at=in_days(-10),
        ends_at=in_days(-10, hour=20),
    )
    EventFactory(title="L'événement d'une autre structure")
    db.session.commit()
    html = text(client_for(app, owner.user).get("/admin/events/"))
    assert "Événements de Club ESS de la Sarthe" in html
    row = html.split("Journée de l'ESS")[1].split("</tr>")[0]
    assert "Brouillon" in row and "5 / 250" in row and ">4<" in row
    assert (
        html.index("À venir")
        < html.index("Journée de l'ESS")
        < html.index("Passés")
        < html.index("Petit-déjeuner passé")
    )
    assert "autre structure" not in html
    assert f'href="/admin/events/{coming.id}/"' in html


def test_the_layout_shows_who_where_and_a_logout_button(app, club):
    organisation, owner = club
    html = text(client_for(app, owner.user).get("/admin/events/"))
    assert "Club ESS de la Sarthe" in html and "Responsable" in html and "Anne Responsable" in html
    assert 'action="/account/logout"' in html and 'name="csrf_token"' in html
    assert "Changer de structure" not in html  # only one organisation
    assert 'href="/admin/members/"' in html


def test_public_pages_link_to_the_back_office(client):
    assert 'href="/admin/"' in text(client.get("/"))


# --- Members ------------------------------------------------------------------


def test_owner_invites_a_member_from_the_members_page(app, club):
    organisation, owner = club
    client = client_for(app, owner.user)
    page = text(client.get("/admin/members/"))
    assert '<label for="email">Adresse e-mail</label>' in page and 'id="role-0"' in page
    response = client.post(
        "/admin/members/invite",
        data={"email": "Lou@Exemple.org", "full_name": "Lou Bénévole", "role": "checkin"},
    )
    assert response.status_code == 303
    page = text(client.get("/admin/members/"))
    assert "Invitation envoyée à lou@exemple.org." in page and "Invitation en attente" in page
    user = db.session.scalar(sa.select(User).where(User.email == "lou@exemple.org"))
    assert user.memberships[0].role == Role.CHECKIN and user.memberships[0].organisation_id == organisation.id
    assert [row.payload["kind"] for row in account_email_rows(user.id)] == ["invitation"]

    again = client.post(
        "/admin/members/invite", data={"email": "lou@exemple.org", "full_name": "Lou", "role": "editor"}
    )
    assert again.status_code == 422
    assert "lou@exemple.org est déjà membre de cette structure." in field_error(text(again), "email")
    resend = client.post(f"/admin/members/{user.memberships[0].id}/resend")
    assert resend.status_code == 303 and len(account_email_rows(user.id)) == 1  # the first still waits
    [row] = account_email_rows(user.id)
    row.status, row.idempotency_key = (
        OutboxStatus.DISPATCHED,
        f"{row.idempotency_key}#{row.id}",
    )  # as dispatch does
    db.session.commit()
    assert client.post(f"/admin/members/{user.memberships[0].id}/resend").status_code == 303
    assert len(account_email_rows(user.id)) == 2


def test_invitation_form_errors_are_french_and_beside_their_field(app, club):
    _organisation, owner = club
    response = client_for(app, owner.user).post(
        "/admin/members/invite", data={"email": "pas-une-adresse", "full_name": "", "role": "roi"}
    )
    assert response.status_code == 422
    html = text(response)
    assert "adresse e-mail valide" in field_error(html, "email")
    assert "Indiquez le prénom et le nom." in field_error(html, "full_name")
    assert "Choisissez parmi les rôles proposés." in field_error(html, "role")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
    accented = client_for(app, owner.user).post(
        "/admin/members/invite", data={"email": "rené@exemple.org", "full_name": "René", "role": "editor"}
    )
    assert accented.status_code == 422
    assert "avant le « @ »" in field_error(text(accented), "email")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_owner_changes_a_role_but_never_leaves_the_organisation_without_owner(app, club):
    organisation, owner = club
    editor = make_member(organisation, Role.EDITOR)
    db.session.commit()
    client = client_for(app, owner.user)
    response = client.post(f"/admin/members/{editor.id}/role", data={f"m{editor.id}-role": "owner"})
    assert response.status_code == 303
    assert membership(editor.id).role == Role.OWNER

    assert (
        client.post(f"/admin/members/{owner.id}/role", data={f"m{owner.id}-role": "editor"}).status_code
        == 303
    )
    response = client_for(app, membership(editor.id).user).post(
        f"/admin/members/{editor.id}/role", data={f"m{editor.id}-role": "checkin"}
    )
    assert response.status_code == 422
    assert "doit garder au moins un·e responsable" in field_error(text(response), f"m{editor.id}-role")
    assert membership(editor.id).role == Role.OWNER
    bad = client_for(app, membership(editor.id).user).post(
        f"/admin/members/{owner.id}/role", data={f"m{owner.id}-role": "roi"}
    )
    assert bad.status_code == 422 and "Choisissez parmi les rôles proposés." in text(bad)


def test_owner_removes_a_member_after_confirming_but_not_the_last_owner(app, club):
    organisation, owner = club
    editor = make_member(organisation, Role.EDITOR, full_name="Paul Partant")
    db.session.commit()
    client = client_for(app, owner.user)
    confirm = text(client.get(f"/admin/members/{editor.id}/remove"))
    assert "Retirer Paul Partant de Club ESS de la Sarthe ?" in confirm
    assert membership(editor.id) is not None  # GET changes nothing
    assert client.post(f"/admin/members/{editor.id}/remove").status_code == 303
    assert membership(editor.id) is None
    assert db.session.get(User, editor.user_id) is not None  # the account stays

    refused = client.post(f"/admin/members/{owner.id}/remove")
    assert refused.status_code == 422 and "doit garder au moins un·e responsable" in text(refused)
    assert membership(owner.id) is not None


def test_a_removed_member_loses_access_at_once(app, club):
    organisation, owner = club
    editor = make_member(organisation, Role.EDITOR)
    db.session.commit()
    editor_client = client_for(app, editor.user)
    assert editor_client.get("/admin/events/").status_code == 200
    client_for(app, owner.user).post(f"/admin/members/{editor.id}/remove")
    assert editor_client.get("/admin/events/").status_code == 403
    response = editor_client.get("/admin/")
    assert response.status_code == 403 and "membre d'aucune structure" in text(response)


def test_services_check_the_actor_too(db_session):
    organisation = OrganisationFactory()
    editor = make_member(organisation, Role.EDITOR)
    owner = make_member(organisation, Role.OWNER)
    with pytest.raises(service.PermissionDenied):
        service.change_role(organisation.id, editor.user_id, owner.id, Role.CHECKIN)
    with pytest.raises(service.PermissionDenied):
        service.invite_member(organisation.id, editor.user_id, "x@exemple.org", "X", Role.OWNER)
    other = OrganisationFactory()
    with pytest.raises(Exception) as refused:
        service.remove_member(other.id, make_member(other, Role.OWNER).user_id, owner.id)
    assert type(refused.value).__name__ == "NotFound"


# --- Several organisations -------------------------------------------------------


def test_a_person_switches_between_their_organisations(app, club):
    organisation, owner = club
    cress = OrganisationFactory(name="CRESS Pays de la Loire")
    stranger = OrganisationFactory(name="Structure étrangère")
    make_member(cress, Role.CHECKIN, user=owner.user)
    EventFactory(organisation=cress, title="Forum régional")
    db.session.commit()
    client = client_for(app, owner.user)
    # The first organisation by name until one is chosen: check-in only there.
    assert client.get("/admin/").headers["Location"] == "/admin/checkin/"
    html = text(client.get("/admin/checkin/"))
    assert "Changer de structure" in html and "Club ESS de la Sarthe (Responsable)" in html
    assert "Forum régional" in html
    assert client.get("/admin/events/").status_code == 403  # check-in only here

    response = client.post("/admin/organisations/switch", data={"organisation_id": str(organisation.id)})
    assert response.status_code == 303
    assert client.get("/admin/").headers["Location"] == "/admin/events/"
    assert "Forum régional" not in text(client.get("/admin/events/"))

    assert (
        client.post("/admin/organisations/switch", data={"organisation_id": str(stranger.id)}).status_code
        == 404
    )
    assert client.post("/admin/organisations/switch", data={"organisation_id": "abc"}).status_code == 303
    assert client.get("/admin/").headers["Location"] == "/admin/events/"  # unchanged
    assert "Travailler pour CRESS Pays de la Loire" in text(client.get("/admin/organisations/"))


# --- Coordination -------------------------------------------------------------------


def test_is_coordinator_of_needs_the_coordinating_organisation_and_a_role(db_session):
    cress, club = OrganisationFactory(), OrganisationFactory()
    campaign = CampaignFactory(coordinator=cress)
    assert is_coordinator_of(campaign, make_member(cress, Role.OWNER))
    assert is_coordinator_of(campaign, make_member(cress, Role.EDITOR))
    assert not is_coordinator_of(campaign, make_member(cress, Role.CHECKIN))
    assert not is_coordinator_of(campaign, make_member(club, Role.OWNER))
    assert not is_coordinator_of(campaign, None)


def test_coordinator_sees_submitted_events_and_figures_but_no_registrant(app, db_session):
    cress, club = OrganisationFactory(name="CRESS"), OrganisationFactory(name="Club")
    campaign = CampaignFactory(coordinator=cress, name="Mois de l'ESS 2026")
    EventFactory(organisation=club, campaign=campaign, status=EventStatus.SUBMITTED, title="Visite soumise")
    EventFactory(organisation=club, campaign=campaign, status=EventStatus.DRAFT, title="Brouillon privé")
    published = EventFactory(organisation=club, campaign=campaign, title="Ciné publié")
    RegistrationFactory(
        event=published, seats=2, first_name="Yolande", last_name="Secrète", email="yolande@exemple.fr"
    )
    coordinator = make_member(cress, Role.EDITOR)
    db.session.commit()
    client = client_for(app, coordinator.user)
    assert "Mois de l'ESS 2026" in text(client.get("/admin/campaigns/"))
    html = text(client.get(f"/admin/campaigns/{campaign.id}/"))
    assert "Visite soumise" in html and "Ciné publié" in html and "Club" in html
    assert "Brouillon privé" not in html
    assert "Places prises, toutes structures confondues : 2" in html
    assert "Yolande" not in html and "yolande@exemple.fr" not in html
    assert client.get(f"/admin/events/{published.id}/").status_code == 404


# --- Lock before counting owners (PostgreSQL, real threads) -------------------------


def test_two_owners_demoting_each_other_at_once_leave_one_owner(app):
    """Row locks on PostgreSQL; on SQLite the write lock serialises them."""
    with app.app_context():
        organisation = OrganisationFactory()
        first = make_member(organisation, Role.OWNER)
        second = make_member(organisation, Role.OWNER)
        db.session.commit()
        ids = (organisation.id, first.id, first.user_id, second.id, second.user_id)
    org_id, first_id, first_user, second_id, second_user = ids
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def demote(actor: int, target: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                service.change_role(org_id, actor, target, Role.EDITOR)
                db.session.commit()
                outcomes.append("done")
            except (service.AccountError, service.PermissionDenied):
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=demote, args=(first_user, second_id)),
        threading.Thread(target=demote, args=(second_user, first_id)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    with app.app_context():
        owners = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Membership)
            .where(Membership.organisation_id == org_id, Membership.role == Role.OWNER)
        )
        for model in (Membership, User):
            db.session.execute(sa.delete(model))
        db.session.execute(sa.delete(organisation.__class__).where(organisation.__class__.id == org_id))
        db.session.commit()
    assert sorted(outcomes) == ["done", "refused"] and owners == 1


# --- Demo accounts --------------------------------------------------------------------


def test_demo_accounts_only_in_the_embedded_or_debug_mode(app, client, monkeypatch):
    assert not demo_accounts_allowed(app)  # tests: not embedded, no debug
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "file")
    assert not demo_accounts_allowed(app)  # files alone (a server without MAIL_SERVER): no
    monkeypatch.setitem(app.config, "EMBEDDED_MODE", True)
    assert demo_accounts_allowed(app)
    seed_demo()
    first = seed_demo_accounts()
    assert [(email, created) for email, _roles, created in first] == [
        ("organisatrice@example.org", True),
        ("accueil@example.org", True),
    ]
    assert "Responsable de « Club ESS de la Sarthe »" in first[0][1]
    assert [created for _e, _r, created in seed_demo_accounts()] == [False, False]
    db.session.commit()
    response = client.post(
        "/account/login", data={"email": "organisatrice@example.org", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 303
    assert "Changer de structure" in text(client.get("/admin/events/"))


def test_seed_demo_command_refuses_demo_accounts_outside_the_embedded_mode(app, db_session):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "non créés" in result.output and DEMO_PASSWORD not in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_make_user_helper_has_no_password_by_default(db_session):
    assert not make_user().has_password
