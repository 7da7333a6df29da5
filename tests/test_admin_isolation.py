"""Organisations see only their own data: every id passed in a query string
or a form (not only in the URL path) is checked against the organisation,
and each role stays within its limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from eventsapp.accounts.models import Membership, Role
from eventsapp.admin.messages_models import OrganiserMessage
from eventsapp.catalog.models import Event, EventQuestion, Session
from eventsapp.catalog.vocabulary import EventStatus, QuestionKind
from eventsapp.checkin.links import checkin_token
from eventsapp.checkin.models import CheckIn, WalkIn
from eventsapp.extensions import db
from eventsapp.registrations.models import Registration, RegistrationStatus
from eventsapp.registrations.tokens import new_token_salt
from eventsapp.reminders import service as reminders
from eventsapp.reminders.models import ReminderRule
from tests.accounts_support import client_for, make_member, text
from tests.factories import (
    CampaignFactory,
    EventFactory,
    OrganisationFactory,
    RegistrationFactory,
    SessionFactory,
    in_days,
)

SECRET_B = "Zoltan Secretissime"
SECRET_B_EMAIL = "zoltan.secret@exemple.fr"


@dataclass
class W:
    a_owner: Membership
    a_editor: Membership
    a_checkin: Membership
    b_owner: Membership
    b_member_id: int
    event_a: int
    event_b: int
    session_a: int
    session_b: int
    question_b: int
    rule_b: int
    reg_a: int
    reg_b: int
    reg_b_wait: int
    message_b: int
    campaign_c: int  # coordinated by C
    campaign_a: int  # coordinated by A
    event_b_in_c: int  # B's event submitted to campaign C
    event_b_draft_in_a: int  # B's draft in campaign coordinated by A


@pytest.fixture
def w(db_session) -> W:
    a = OrganisationFactory(name="Alpha")
    b = OrganisationFactory(name="Beta")
    c = OrganisationFactory(name="Gamma CRESS")
    year = date.today().year + 1
    campaign_c = CampaignFactory(
        coordinator=c, requires_approval=True, starts_on=date(year, 1, 1), ends_on=date(year, 12, 31)
    )
    campaign_a = CampaignFactory(
        coordinator=a, requires_approval=True, starts_on=date(year, 1, 1), ends_on=date(year, 12, 31)
    )
    event_a = EventFactory(organisation=a, title="Evenement Alpha", waitlist_enabled=True)
    event_b = EventFactory(organisation=b, title="Evenement Beta secret", waitlist_enabled=True, capacity=1)
    session_a = SessionFactory(event=event_a, title="Atelier Alpha")
    session_b = SessionFactory(event=event_b, title="Atelier Beta secret")
    question_b = EventQuestion(
        event_id=event_b.id, label="Question Beta secrete", kind=QuestionKind.TEXT, position=0, choices=[]
    )
    db.session.add(question_b)
    db.session.flush()
    rule_b = reminders.add_reminder_rule(event_b, days=1, subject="Rappel Beta secret {prenom}")
    reg_a = RegistrationFactory(event=event_a, token_salt=new_token_salt(), sessions=[session_a])
    reg_b = RegistrationFactory(
        event=event_b,
        first_name="Zoltan",
        last_name="Secretissime",
        email=SECRET_B_EMAIL,
        token_salt=new_token_salt(),
        sessions=[session_b],
    )
    reg_b_wait = RegistrationFactory(
        event=event_b, status=RegistrationStatus.WAITLISTED, token_salt=new_token_salt(), sessions=[session_b]
    )
    message_b = OrganiserMessage(
        event_id=event_b.id,
        subject="Message Beta secret",
        body="Corps secret",
        audience="Toutes",
        filters={},
        send_key="k" * 32,
        recipients_count=1,
    )
    db.session.add(message_b)
    starts = in_days(30)
    starts = starts.replace(year=year, month=6, day=15)
    event_b_in_c = EventFactory(
        organisation=b,
        campaign=campaign_c,
        status=EventStatus.SUBMITTED,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        title="Soumis Beta",
    )
    event_b_draft_in_a = EventFactory(
        organisation=b,
        campaign=campaign_a,
        status=EventStatus.DRAFT,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        title="Brouillon Beta secret",
    )
    result = W(
        a_owner=make_member(a, Role.OWNER),
        a_editor=make_member(a, Role.EDITOR),
        a_checkin=make_member(a, Role.CHECKIN),
        b_owner=make_member(b, Role.OWNER),
        b_member_id=0,
        event_a=event_a.id,
        event_b=event_b.id,
        session_a=session_a.id,
        session_b=session_b.id,
        question_b=question_b.id,
        rule_b=rule_b.id,
        reg_a=reg_a.id,
        reg_b=reg_b.id,
        reg_b_wait=reg_b_wait.id,
        message_b=message_b.id,
        campaign_c=campaign_c.id,
        campaign_a=campaign_a.id,
        event_b_in_c=event_b_in_c.id,
        event_b_draft_in_a=event_b_draft_in_a.id,
    )
    result.b_member_id = make_member(b, Role.EDITOR).id
    db.session.commit()
    return result


def no_secret(response) -> None:
    page = text(response)
    for secret in (
        SECRET_B,
        SECRET_B_EMAIL,
        "Atelier Beta secret",
        "Question Beta secrete",
        "Rappel Beta secret",
        "Message Beta secret",
        "Evenement Beta secret",
        "Brouillon Beta secret",
    ):
        assert secret not in page, secret


def owner_a(app, w):
    return client_for(app, w.a_owner.user)


# --- event parts -----------------------------------------------------------------


def test_parts_query_ids_of_other_events(app, w):
    client = owner_a(app, w)
    for path in (
        f"/admin/events/{w.event_a}/sessions/?session={w.session_b}",
        f"/admin/events/{w.event_a}/questions/?question={w.question_b}",
        f"/admin/events/{w.event_a}/reminders/?rule={w.rule_b}",
        f"/admin/events/{w.event_a}/reminders/preview?rule={w.rule_b}",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        no_secret(response)


def test_parts_form_ids_of_other_events(app, w):
    client = owner_a(app, w)
    day = db.session.get(Event, w.event_a).starts_at
    for path, data in (
        (
            f"/admin/events/{w.event_a}/sessions/",
            {
                "item_id": w.session_b,
                "title": "Pirate",
                "day": day.strftime("%d/%m/%Y"),
                "start_time": day.strftime("%H:%M"),
                "end_time": "23:59",
            },
        ),
        (f"/admin/events/{w.event_a}/sessions/remove", {"item_id": w.session_b}),
        (
            f"/admin/events/{w.event_a}/questions/",
            {"item_id": w.question_b, "label": "Pirate", "kind": "text"},
        ),
        (f"/admin/events/{w.event_a}/questions/remove", {"item_id": w.question_b}),
        (f"/admin/events/{w.event_a}/questions/move", {"item_id": w.question_b, "direction": "up"}),
        (
            f"/admin/events/{w.event_a}/reminders/",
            {
                "item_id": w.rule_b,
                "anchor": "before_start",
                "days": 1,
                "hours": 0,
                "minutes": 0,
                "audience": "confirmed",
                "subject": "Pirate",
                "body": "Pirate {lien}",
            },
        ),
        (f"/admin/events/{w.event_a}/reminders/remove", {"item_id": w.rule_b}),
    ):
        response = client.post(path, data=data)
        assert response.status_code in (404, 422), (path, response.status_code)
        no_secret(response)
    db.session.expire_all()
    assert db.session.get(Session, w.session_b).title == "Atelier Beta secret"
    assert db.session.get(EventQuestion, w.question_b).label == "Question Beta secrete"
    assert db.session.get(ReminderRule, w.rule_b).subject.startswith("Rappel Beta secret")


# --- registrants, exports, messages -------------------------------------------------


def test_registrant_query_ids_of_other_events(app, w):
    client = owner_a(app, w)
    base = f"/admin/events/{w.event_a}/registrants"
    response = client.get(f"{base}/person?registration={w.reg_b}")
    assert response.status_code == 404
    no_secret(response)
    for action in ("cancel", "promote", "resend", "change"):
        registration = w.reg_b_wait if action == "promote" else w.reg_b
        response = client.post(f"{base}/{action}?registration={registration}", data={"seats": 1})
        assert response.status_code == 404, action
    db.session.expire_all()
    assert db.session.get(Registration, w.reg_b).status == RegistrationStatus.CONFIRMED
    assert db.session.get(Registration, w.reg_b_wait).status == RegistrationStatus.WAITLISTED


def test_registrant_change_with_session_of_other_event(app, w):
    client = owner_a(app, w)
    response = client.post(
        f"/admin/events/{w.event_a}/registrants/change?registration={w.reg_a}",
        data={"sessions": [str(w.session_b)]},
    )
    assert response.status_code == 422
    db.session.expire_all()
    assert [s.id for s in db.session.get(Registration, w.reg_a).sessions] == [w.session_a]


def test_exports_with_session_of_other_event(app, w):
    client = owner_a(app, w)
    for path in (
        f"/admin/events/{w.event_a}/registrants/export.csv?session={w.session_b}",
        f"/admin/events/{w.event_a}/registrants/export.xlsx?session={w.session_b}",
        f"/admin/events/{w.event_a}/registrants/emargement?session={w.session_b}",
        f"/admin/events/{w.event_a}/registrants/?session={w.session_b}",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.get_data()
        assert b"Zoltan" not in body and b"zoltan" not in body, path


def test_messages_of_other_events(app, w):
    client = owner_a(app, w)
    response = client.get(f"/admin/events/{w.event_a}/messages/view?message={w.message_b}")
    assert response.status_code == 404
    no_secret(response)
    response = client.post(
        f"/admin/events/{w.event_a}/messages/new",
        data={
            "status": "",
            "session": str(w.session_b),
            "category": "",
            "checked": "",
            "subject": "Sujet",
            "body": "Bonjour {prenom}",
            "action": "preview",
        },
    )
    assert response.status_code == 422
    no_secret(response)


# --- check-in ----------------------------------------------------------------------


def test_checkin_ids_of_other_events(app, w):
    client = client_for(app, w.a_checkin.user)
    base = f"/admin/events/{w.event_a}/checkin"
    assert client.get(f"{base}?session={w.session_b}").status_code == 404
    assert client.get(f"{base}/results?session={w.session_b}").status_code == 404
    assert client.get(f"{base}/counts.json?session={w.session_b}").status_code == 404
    client.post(f"{base}/check", data={"registration_id": w.reg_b})
    client.post(
        f"{base}/walk-ins", data={"change": "plus", "category": "grand-public", "session": w.session_b}
    )
    client.post(f"/admin/events/{w.event_b}/checkin/check", data={"registration_id": w.reg_b})
    assert db.session.scalar(sa.select(sa.func.count(CheckIn.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(WalkIn.id))) == 0


def test_scan_of_other_organisation(app, w):
    client = client_for(app, w.a_checkin.user)
    token = checkin_token(db.session.get(Registration, w.reg_b))
    response = client.get(f"/admin/checkin/scan?t={token}")
    assert response.status_code == 404
    no_secret(response)
    response = client.post("/admin/checkin/scan", data={"t": token})
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(CheckIn.id))) == 0


def test_scan_own_organisation_works(app, w):
    client = client_for(app, w.a_checkin.user)
    token = checkin_token(db.session.get(Registration, w.reg_a))
    assert client.get(f"/admin/checkin/scan?t={token}").status_code == 200
    assert client.post("/admin/checkin/scan", data={"t": token}).status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(CheckIn.id))) == 1


# --- privacy -----------------------------------------------------------------------


def test_privacy_other_organisation(app, w):
    client = owner_a(app, w)
    response = client.get(f"/admin/privacy/person?registration_id={w.reg_b}")
    assert response.status_code == 404
    no_secret(response)
    response = client.post("/admin/privacy/person", data={"email": SECRET_B_EMAIL})
    assert "Secretissime" not in text(response)
    response = client.post("/admin/privacy/export", data={"email": SECRET_B_EMAIL})
    assert response.status_code == 200
    assert response.get_json()["registrations"] == []
    client.post("/admin/privacy/erase", data={"email": SECRET_B_EMAIL, "confirm": "y"})
    db.session.expire_all()
    assert db.session.get(Registration, w.reg_b).anonymised_at is None


def test_privacy_editor_refused(app, w):
    client = client_for(app, w.a_editor.user)
    assert client.get("/admin/privacy/").status_code == 403


# --- members and switching -----------------------------------------------------------


def test_members_of_other_organisation(app, w):
    client = owner_a(app, w)
    assert (
        client.post(
            f"/admin/members/{w.b_member_id}/role", data={f"m{w.b_member_id}-role": "owner"}
        ).status_code
        == 404
    )
    assert client.post(f"/admin/members/{w.b_member_id}/remove", data={}).status_code == 404
    assert client.post(f"/admin/members/{w.b_member_id}/resend").status_code == 404
    db.session.expire_all()
    assert db.session.get(Membership, w.b_member_id).role == Role.EDITOR


def test_switch_to_organisation_not_member(app, w):
    client = owner_a(app, w)
    response = client.post(
        "/admin/organisations/switch", data={"organisation_id": str(w.b_owner.organisation_id)}
    )
    assert response.status_code == 404
    response = client.get(f"/admin/events/{w.event_b}/")
    assert response.status_code == 404


# --- coordination --------------------------------------------------------------------


def test_coordination_of_campaign_not_coordinated(app, w):
    client = owner_a(app, w)
    for path in (
        f"/admin/campaigns/{w.campaign_c}/",
        f"/admin/campaigns/{w.campaign_c}/review",
        f"/admin/reports/campaigns/{w.campaign_c}/",
        f"/admin/reports/campaigns/{w.campaign_c}/export",
        f"/admin/reports/campaigns/{w.campaign_c}/bilan",
    ):
        assert client.get(path).status_code == 404, path
    response = client.post(f"/admin/campaigns/{w.campaign_c}/approve", data={"event_id": w.event_b_in_c})
    assert response.status_code == 404
    # An event of another campaign, approved through A's own campaign.
    response = client.post(f"/admin/campaigns/{w.campaign_a}/approve", data={"event_id": w.event_b_in_c})
    assert response.status_code == 404
    # A draft in A's campaign: never seen, never approved.
    response = client.post(
        f"/admin/campaigns/{w.campaign_a}/approve", data={"event_id": w.event_b_draft_in_a}
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Event, w.event_b_in_c).status == EventStatus.SUBMITTED
    assert db.session.get(Event, w.event_b_draft_in_a).status == EventStatus.DRAFT
    for path in (
        f"/admin/campaigns/{w.campaign_a}/",
        f"/admin/campaigns/{w.campaign_a}/review",
        f"/admin/reports/campaigns/{w.campaign_a}/",
    ):
        response = client.get(path)
        assert response.status_code == 200
        assert "Brouillon Beta secret" not in text(response), path


def test_organisation_reports_campaign_filter(app, w):
    client = owner_a(app, w)
    response = client.get(f"/admin/reports/?campaign={w.campaign_c}")
    assert response.status_code == 200
    no_secret(response)
    response = client.get("/admin/reports/export?table=evenements")
    assert b"Beta" not in response.get_data()
