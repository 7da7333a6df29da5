"""Back-office events (issue 6, point 3): creating and editing an event with
the French form (errors beside their field), changes that reach the
registrants through ``catalog.service.update_event`` and the waiting list
through ``change_capacity``, and duplicating an event for its next edition."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from eventsapp.admin import events_service
from eventsapp.catalog.models import Event, EventQuestion, Session, Theme
from eventsapp.catalog.vocabulary import Audience, EventKind, EventStatus, QuestionKind
from eventsapp.extensions import db
from eventsapp.notifications.models import EmailKind
from eventsapp.registrations.models import Registration, RegistrationStatus
from eventsapp.registrations.service import PROMOTE_TASK
from eventsapp.reminders.models import ReminderAnchor, ReminderRule
from eventsapp.reminders.service import add_reminder_rule
from tests.accounts_support import client_for, field_error, text
from tests.admin_events_support import event_form, make_club, outbox_emails, tasks
from tests.factories import EventFactory, RegistrationFactory, SessionFactory

PARIS = ZoneInfo("Europe/Paris")
NEXT_YEAR = date.today().year + 1


@pytest.fixture
def club(db_session):
    return make_club()


def only_event(organisation_id: int) -> Event:
    return db.session.scalars(sa.select(Event).where(Event.organisation_id == organisation_id)).one()


# --- Creating -------------------------------------------------------------------


def test_an_editor_creates_a_draft_with_every_field(app, club):
    theme = Theme(slug="emploi", name="Emploi")
    db.session.add(theme)
    db.session.commit()
    client = client_for(app, club.editor.user)
    assert "Créer le brouillon" in text(client.get("/admin/events/new"))
    response = client.post(
        "/admin/events/new",
        data=event_form(
            themes=[str(theme.id)],
            opens_date=f"01/10/{NEXT_YEAR}",
            closes_date=f"{NEXT_YEAR}-11-16",
            closes_time="18 h 30",
            requires_email_confirmation="y",
            pending_expiry_hours="48",
        ),
    )
    assert response.status_code == 303
    event = only_event(club.organisation_id)
    assert response.headers["Location"] == f"/admin/events/{event.id}/"
    assert event.status == EventStatus.DRAFT and event.kind == EventKind.FORUM
    assert event.starts_at == datetime(NEXT_YEAR, 11, 17, 9, 0, tzinfo=PARIS)
    assert event.ends_at == datetime(NEXT_YEAR, 11, 17, 17, 30, tzinfo=PARIS)
    assert event.registration_opens_at == datetime(NEXT_YEAR, 10, 1, 0, 0, tzinfo=PARIS)
    assert event.registration_closes_at == datetime(NEXT_YEAR, 11, 16, 18, 30, tzinfo=PARIS)
    assert list(event.audiences) == [Audience.GRAND_PUBLIC, Audience.PROFESSIONNELS]
    assert [t.slug for t in event.themes] == ["emploi"]
    assert (event.capacity, event.max_seats_per_registration, event.waitlist_enabled) == (250, 30, True)
    assert event.requires_email_confirmation and event.pending_expiry_minutes == 48 * 60
    assert event.waitlist_cutoff_minutes == 120
    assert event.contact_email == "contact@club-ess.fr" and event.department == "72"
    # The default reminders (J-7 and J-1 at 9:00) come with a new event.
    rules = db.session.scalars(sa.select(ReminderRule).where(ReminderRule.event_id == event.id)).all()
    assert len(rules) == 2


def test_a_date_in_the_event_s_time_zone(app, club):
    client = client_for(app, club.owner.user)
    client.post("/admin/events/new", data=event_form(timezone="Indian/Reunion", start_time="09:00"))
    event = only_event(club.organisation_id)
    assert event.starts_at.astimezone(UTC) == datetime(NEXT_YEAR, 11, 17, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": "  "}, "title", "Indiquez le titre de l'événement."),
        ({"start_date": "31/02/2027"}, "start_date", "Indiquez une date valable, par exemple 17/11/2026."),
        ({"start_time": "25h"}, "start_time", "Indiquez une heure valable"),
        ({"end_time": ""}, "end_time", "Indiquez l'heure de fin."),
        ({"end_time": "8:00"}, "end_time", "La fin doit être après le début."),
        ({"capacity": "beaucoup"}, "capacity", "Indiquez un nombre entier en chiffres"),
        ({"capacity": "-3"}, "capacity", "Indiquez un nombre entre 0 et 100000."),
        ({"max_seats_per_registration": "0"}, "max_seats_per_registration", "entre 1 et 500"),
        ({"department": "99"}, "department", "Indiquez un numéro de département"),
        ({"online_url": "zoom.example"}, "online_url", "L'adresse doit commencer par https://."),
        ({"contact_email": "pas-une-adresse"}, "contact_email", "Indiquez une adresse e-mail valide"),
        ({"contact_email": "rené@asso.fr"}, "contact_email", "avant le « @ »"),
        ({"contact_email": "camille@exämple..fr"}, "contact_email", "nom de domaine invalide"),
        ({"kind": "banquet"}, "kind", "Choisissez parmi les types proposés."),
        ({"audiences": ["martiens"]}, "audiences", "Choisissez parmi les publics proposés."),
        ({"campaign_id": "999999"}, "campaign_id", "Choisissez une campagne dans la liste."),
        (
            {"closes_date": f"20/11/{NEXT_YEAR}"},
            "closes_date",
            "Les inscriptions doivent fermer avant la fin de l'événement.",
        ),
        ({"closes_time": "18:00"}, "closes_time", "Indiquez aussi la date."),
        # Blanks are no answer (they once reached the service as None: a 500).
        ({"start_date": " "}, "start_date", "Indiquez la date de début."),
        ({"start_time": "  "}, "start_time", "Indiquez l'heure de début."),
        ({"end_time": "\t"}, "end_time", "Indiquez l'heure de fin."),
    ],
)
def test_form_errors_are_french_and_beside_their_field(app, club, overrides, field, message):
    client = client_for(app, club.owner.user)
    response = client.post("/admin/events/new", data=event_form(**overrides))
    assert response.status_code == 422
    html = text(response)
    assert message in field_error(html, field), (field, field_error(html, field))
    assert re.search(rf'aria-describedby="[^"]*\b{field}-erreur', html), "error not tied to its field"
    assert "L'événement n'a pas été enregistré" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0


def test_a_time_skipped_by_the_change_to_summer_time_is_refused(app, club):
    # The last Sunday of March: 2:00–3:00 does not exist in Paris.
    march = date(NEXT_YEAR, 3, 31)
    last_sunday = march - timedelta(days=(march.weekday() + 1) % 7)
    client = client_for(app, club.owner.user)
    response = client.post(
        "/admin/events/new",
        data=event_form(start_date=last_sunday.strftime("%d/%m/%Y"), start_time="2h30", end_time="11:00"),
    )
    assert response.status_code == 422
    assert "Cette heure n'existe pas ce jour-là" in field_error(text(response), "start_time")


def test_a_campaign_s_dates_bound_the_event(app, club):
    client = client_for(app, club.owner.user)
    response = client.post(
        "/admin/events/new",
        data=event_form(campaign_id=str(club.campaign_id), start_date=f"02/12/{NEXT_YEAR}"),
    )
    assert response.status_code == 422
    assert "choisissez une date dans cette période" in field_error(text(response), "campaign_id")
    response = client.post("/admin/events/new", data=event_form(campaign_id=str(club.campaign_id)))
    assert response.status_code == 303
    assert only_event(club.organisation_id).campaign_id == club.campaign_id


def test_check_in_staff_cannot_create_events(app, club):
    response = client_for(app, club.checkin.user).post("/admin/events/new", data=event_form())
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0


# --- Editing ---------------------------------------------------------------------


def published_with_people(club, **fields) -> tuple[Event, list[Registration]]:
    from eventsapp.organisations.models import Organisation

    organisation = db.session.get(Organisation, club.organisation_id)
    event = EventFactory(
        organisation=organisation,
        title="Ciné-débat « Demain »",
        starts_at=datetime(NEXT_YEAR, 11, 17, 18, 30, tzinfo=PARIS),
        ends_at=datetime(NEXT_YEAR, 11, 17, 21, 0, tzinfo=PARIS),
        **fields,
    )
    people = [
        RegistrationFactory(event=event),
        RegistrationFactory(event=event, status=RegistrationStatus.WAITLISTED, waitlist_position=1),
        RegistrationFactory(event=event, status=RegistrationStatus.CANCELLED),
    ]
    db.session.commit()
    return event, people


def edit_form_of(client, event_id: int) -> dict[str, object]:
    """What the edit page's form holds now (its fields as posted)."""
    html = client.get(f"/admin/events/{event_id}/edit").get_data(as_text=True)
    data: dict[str, object] = {}
    for tag in re.findall(r"<(?:input|select|textarea)[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) == "csrf_token":
            continue
        value = re.search(r'value="([^"]*)"', tag)
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                data.setdefault(name.group(1), []).append(value.group(1) if value else "y")
            continue
        if tag.startswith("<select"):
            continue
        data[name.group(1)] = value.group(1) if value else ""
    import html as html_module

    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(
            r'<option[^>]*selected[^>]*value="([^"]*)"|<option value="([^"]*)" selected', options
        )
        data[name] = (chosen.group(1) or chosen.group(2)) if chosen else ""
    for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        data[name] = html_module.unescape(value.lstrip("\n"))
    return {key: html_module.unescape(v) if isinstance(v, str) else v for key, v in data.items()}


def test_the_edit_page_says_registrants_will_be_told(app, club):
    event, _people = published_with_people(club)
    html = text(client_for(app, club.editor.user).get(f"/admin/events/{event.id}/edit"))
    assert "2 personnes sont inscrites." in html
    assert "elles recevront un e-mail qui l'annonce" in html


def test_moving_a_published_event_tells_its_registrants(app, club):
    event, (confirmed, waiting, cancelled) = published_with_people(club)
    client = client_for(app, club.editor.user)
    data = edit_form_of(client, event.id)
    assert data["start_date"] == f"{NEXT_YEAR}-11-17" and data["start_time"] == "18:30"
    data.update(start_time="19:00", end_time="21:30", venue_name="Salle des fêtes")
    sequence = event.sequence
    response = client.post(f"/admin/events/{event.id}/edit", data=data)
    assert response.status_code == 303, field_error(text(response), "start_time")
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.starts_at == datetime(NEXT_YEAR, 11, 17, 19, 0, tzinfo=PARIS)
    assert event.venue_name == "Salle des fêtes" and event.sequence == sequence + 1
    notices = outbox_emails(EmailKind.EVENT_CHANGED, event.id)
    assert sorted(row.registration_id for row in notices) == sorted([confirmed.id, waiting.id])
    changed = {change["what"] for change in notices[0].payload["changes"]}
    assert changed == {"Date et horaire", "Lieu"}
    page = text(client.get(f"/admin/events/{event.id}/"))
    assert "Les inscrit·es sont prévenu·es du changement." in page


def test_editing_other_fields_tells_nobody(app, club):
    event, _people = published_with_people(club)
    client = client_for(app, club.editor.user)
    data = edit_form_of(client, event.id)
    data.update(summary="Un nouveau résumé", audiences=["jeunes"])
    assert client.post(f"/admin/events/{event.id}/edit", data=data).status_code == 303
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.summary == "Un nouveau résumé" and list(event.audiences) == [Audience.JEUNES]
    assert outbox_emails(EmailKind.EVENT_CHANGED, event.id) == []


def test_more_seats_go_through_change_capacity_and_promote_the_waiting_list(app, club):
    event, _people = published_with_people(club, capacity=1, waitlist_enabled=True)
    client = client_for(app, club.owner.user)
    data = edit_form_of(client, event.id)
    data["capacity"] = "5"
    assert client.post(f"/admin/events/{event.id}/edit", data=data).status_code == 303
    assert db.session.get(Event, event.id).capacity == 5
    assert [row.payload for row in tasks(PROMOTE_TASK)] == [{"event_id": event.id}]


def test_moving_the_start_can_shift_the_sessions(app, club):
    event, _people = published_with_people(club)
    session = SessionFactory(
        event=event, starts_at=event.starts_at, ends_at=event.starts_at + timedelta(hours=1)
    )
    db.session.commit()
    client = client_for(app, club.owner.user)
    data = edit_form_of(client, event.id)
    data.update(start_date=f"{NEXT_YEAR}-11-24", end_date="")
    response = client.post(f"/admin/events/{event.id}/edit", data=data)
    assert response.status_code == 422
    assert "Cochez « décaler les ateliers »" in field_error(text(response), "start_time")
    assert db.session.get(Event, event.id).starts_at.day == 17  # nothing changed
    data["shift_sessions"] = "y"
    assert client.post(f"/admin/events/{event.id}/edit", data=data).status_code == 303
    db.session.expire_all()
    assert db.session.get(Session, session.id).starts_at == datetime(NEXT_YEAR, 11, 24, 18, 30, tzinfo=PARIS)


def test_a_cancelled_event_is_not_edited(app, club):
    event, _people = published_with_people(club, status=EventStatus.CANCELLED)
    client = client_for(app, club.owner.user)
    response = client.post(f"/admin/events/{event.id}/edit", data=event_form())
    assert response.status_code == 303
    assert db.session.get(Event, event.id).title == "Ciné-débat « Demain »"
    with pytest.raises(events_service.EventRefused):
        events_service.update_event(event, club.owner, events_service.EventDetails.of(event))


def test_the_campaign_changes_only_on_a_draft(app, club):
    event, _people = published_with_people(club)
    details = events_service.EventDetails.of(event)
    details.campaign_id = club.open_campaign_id
    with pytest.raises(events_service.EventRefused) as refused:
        events_service.update_event(event, club.owner, details)
    assert refused.value.field == "campaign_id"


# --- Duplicating -------------------------------------------------------------------


def test_duplicate_copies_the_event_its_parts_and_not_its_registrations(app, club):
    event, _people = published_with_people(
        club,
        capacity=40,
        waitlist_enabled=True,
        registration_closes_at=datetime(NEXT_YEAR, 11, 16, tzinfo=PARIS),
    )
    event.audiences.append(Audience.ETUDIANTS)
    workshop = SessionFactory(event=event, title="Atelier emploi", starts_at=event.starts_at, capacity=12)
    db.session.add(
        EventQuestion(event_id=event.id, label="Repas ?", kind=QuestionKind.YES_NO, required=True, position=0)
    )
    add_reminder_rule(event, days=3, local_time=time(10, 0))
    add_reminder_rule(event, anchor=ReminderAnchor.AFTER_END, days=1, survey_url="https://exemple.org/avis")
    db.session.commit()
    client = client_for(app, club.editor.user)
    page = text(client.get(f"/admin/events/{event.id}/duplicate"))
    assert f'value="{NEXT_YEAR + 1}-11-17"' in page  # a year later by default
    response = client.post(
        f"/admin/events/{event.id}/duplicate",
        data={
            "title": "Ciné-débat 2",
            "start_date": f"24/11/{NEXT_YEAR}",
            "start_time": "18:00",
            "campaign_id": "",
        },
    )
    assert response.status_code == 303
    copy = db.session.scalars(sa.select(Event).where(Event.title == "Ciné-débat 2")).one()
    assert response.headers["Location"] == f"/admin/events/{copy.id}/"
    week = timedelta(days=7) - timedelta(minutes=30)
    assert copy.status == EventStatus.DRAFT and copy.slug != event.slug and copy.published_at is None
    assert copy.starts_at == datetime(NEXT_YEAR, 11, 24, 18, 0, tzinfo=PARIS)
    assert copy.ends_at - copy.starts_at == event.ends_at - event.starts_at
    assert copy.registration_closes_at == event.registration_closes_at + week
    assert (copy.capacity, copy.waitlist_enabled, copy.venue_name) == (40, True, event.venue_name)
    assert list(copy.audiences) == [Audience.ETUDIANTS]
    assert [(s.title, s.capacity, s.starts_at) for s in copy.sessions] == [
        ("Atelier emploi", 12, workshop.starts_at + week)
    ]
    assert [(q.label, q.kind, q.required) for q in copy.questions] == [("Repas ?", QuestionKind.YES_NO, True)]
    rules = db.session.scalars(
        sa.select(ReminderRule).where(ReminderRule.event_id == copy.id).order_by(ReminderRule.due_at)
    ).all()
    assert [(r.offset_minutes, r.anchor) for r in rules] == [
        (3 * 24 * 60, ReminderAnchor.BEFORE_START),
        (24 * 60, ReminderAnchor.AFTER_END),
    ]
    assert rules[0].due_at == datetime(NEXT_YEAR, 11, 21, 10, 0, tzinfo=PARIS)
    assert rules[1].survey_url == "https://exemple.org/avis" and rules[1].handled_generation == 0
    assert db.session.scalar(sa.select(sa.func.count()).where(Registration.event_id == copy.id)) == 0
    # The original is untouched.
    assert db.session.scalar(sa.select(sa.func.count()).where(Registration.event_id == event.id)) == 3


def test_duplicate_form_errors(app, club):
    event, _people = published_with_people(club)
    client = client_for(app, club.editor.user)
    response = client.post(
        f"/admin/events/{event.id}/duplicate", data={"title": "", "start_date": "demain", "start_time": "9h"}
    )
    assert response.status_code == 422
    html = text(response)
    assert field_error(html, "title").endswith("Indiquez un titre.")
    assert "Indiquez une date valable" in field_error(html, "start_date")
    response = client.post(
        f"/admin/events/{event.id}/duplicate",
        data={
            "title": "Copie",
            "start_date": f"02/12/{NEXT_YEAR}",
            "start_time": "9h",
            "campaign_id": str(club.campaign_id),
        },
    )
    assert response.status_code == 422
    assert "choisissez une date dans cette période" in field_error(text(response), "campaign_id")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 1


def test_a_refused_form_keeps_what_was_typed_in_a_form_date_pickers_show(app, club):
    response = client_for(app, club.owner.user).post("/admin/events/new", data=event_form(title=""))
    html = text(response)
    assert re.search(rf'id="start_date"[^>]*type="date"[^>]*value="{NEXT_YEAR}-11-17"', html) or re.search(
        rf'type="date"[^>]*value="{NEXT_YEAR}-11-17"[^>]*id="start_date"', html
    ), "the French date typed comes back as ISO"
    assert 'value="09:00"' in html and 'value="Abbaye de l\'Épau"' in html
