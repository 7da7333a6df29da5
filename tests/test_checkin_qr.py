"""The check-in QR code (issue 6, point 6): in confirmation and promotion
e-mails as an inline PNG referenced by the HTML, its URL in the text part;
the URL opens a staff page of the event's organisation (GET shows, POST
checks in, twice says "déjà pointé·e"), nothing for anyone else."""

from __future__ import annotations

import re
from email import message_from_bytes
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from eventsapp.accounts.models import Role
from eventsapp.checkin.attachments import checkin_qr_png
from eventsapp.checkin.links import checkin_token, read_checkin_token
from eventsapp.checkin.models import CheckIn
from eventsapp.extensions import db
from eventsapp.notifications.mailer import compose_email
from eventsapp.notifications.models import EmailKind
from eventsapp.registrations.models import ParticipantCategory, Registration, RegistrationStatus
from eventsapp.registrations.privacy import anonymise_registration
from eventsapp.registrations.service import SignUpRequest, sign_up
from eventsapp.registrations.tokens import new_token_salt
from tests.accounts_support import client_for, make_member, text
from tests.factories import EventFactory, OrganisationFactory, RegistrationFactory

PUBLIC = "http://127.0.0.1:5000"


def qr_parts(message) -> list:
    parsed = message_from_bytes(message.as_bytes())
    return [part for part in parsed.walk() if part.get_content_type() == "image/png"]


def checkin_url_in(body: str) -> str:
    match = re.search(r"(https?://\S+/admin/checkin/scan\?t=\S+)", body)
    assert match, body
    return match.group(1)


@pytest.fixture
def signed_up(db_session):
    """A real sign-up (salted private link) to an event of the Club ESS."""
    club = OrganisationFactory(name="Club ESS de la Sarthe")
    staff = make_member(club, Role.CHECKIN, full_name="Lou Accueil")
    event = EventFactory(organisation=club, title="Petit déjeuner de l'ESS")
    result = sign_up(
        event.id,
        SignUpRequest(
            first_name="Hélène",
            last_name="Durand",
            email="helene.durand@exemple.fr",
            category=ParticipantCategory.SALARIE_ESS,
            consent=True,
        ),
    )
    db.session.commit()
    return club, staff, event, db.session.get(Registration, result.registration_id)


def test_the_confirmation_email_carries_the_qr_code_inline(signed_up):
    _club, _staff, event, registration = signed_up
    message = compose_email(EmailKind.CONFIRMATION, registration)
    [image] = qr_parts(message)
    content_id = image["Content-ID"]
    assert re.fullmatch(r"<checkin-qr\.\d+@[^>]+>", content_id)
    assert image.get_content_disposition() == "inline"
    assert f'src="cid:{content_id[1:-1]}"' in message.html
    url = checkin_url_in(message.body)
    # The image is the QR code of the URL printed in the text part.
    assert image.get_payload(decode=True) == checkin_qr_png(url)
    assert image.get_payload(decode=True).startswith(b"\x89PNG\r\n\x1a\n")
    # The token names this registration, and it is not the private link.
    token = parse_qs(urlsplit(url).query)["t"][0]
    assert read_checkin_token(token)[0] == registration.id
    assert "/registrations/" not in url
    # The .ics is still there beside it.
    parsed = message_from_bytes(message.as_bytes())
    assert [part.get_content_type() for part in parsed.walk()].count("text/calendar") == 1


def test_a_confirmed_promotion_carries_it_too_but_not_one_still_to_confirm(db_session):
    confirmed = RegistrationFactory(status=RegistrationStatus.CONFIRMED, token_salt=new_token_salt())
    pending = RegistrationFactory(status=RegistrationStatus.PENDING, token_salt=new_token_salt())
    promoted = compose_email(EmailKind.PROMOTED, confirmed)
    assert len(qr_parts(promoted)) == 1 and "/admin/checkin/scan?t=" in promoted.body
    still_to_confirm = compose_email(EmailKind.PROMOTED, pending)
    assert qr_parts(still_to_confirm) == [] and "/admin/checkin/scan" not in still_to_confirm.body


@pytest.mark.parametrize("kind", [EmailKind.WAITLISTED, EmailKind.PENDING_CONFIRMATION, EmailKind.CANCELLED])
def test_other_emails_carry_no_qr_code(db_session, kind):
    registration = RegistrationFactory(status=RegistrationStatus.WAITLISTED, waitlist_position=1)
    message = compose_email(kind, registration)
    assert qr_parts(message) == [] and "/admin/checkin/scan" not in message.body


# --- The page the QR code opens -------------------------------------------------------------


def scan_path(registration) -> str:
    return f"/admin/checkin/scan?t={checkin_token(registration)}"


def test_staff_scan_see_the_person_and_confirm_with_a_post(app, signed_up):
    _club, staff, event, registration = signed_up
    client = client_for(app, staff.user)
    url = checkin_url_in(compose_email(EmailKind.CONFIRMATION, registration).body)
    path = url.removeprefix(PUBLIC)
    response = client.get(path)
    assert response.status_code == 200
    html = text(response)
    assert "Hélène DURAND" in html and "Petit déjeuner de l'ESS" in html
    assert "Confirmer l'arrivée" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 0  # GET changed nothing

    response = client.post("/admin/checkin/scan", data={"t": parse_qs(urlsplit(url).query)["t"][0]})
    assert response.status_code == 303 and response.headers["Location"] == path
    [row] = db.session.scalars(sa.select(CheckIn)).all()
    assert row.registration_id == registration.id and row.session_id is None
    assert row.recorded_by_id == staff.user.id
    html = text(client.get(path))
    assert "Hélène Durand est pointé·e." in html
    assert "Déjà pointé·e à " in html and "par Lou Accueil" in html
    assert "Confirmer l'arrivée" not in html

    # Scanned and confirmed again (another phone, a stale page): nothing changes.
    client.post("/admin/checkin/scan", data={"t": parse_qs(urlsplit(url).query)["t"][0]})
    html = text(client.get(path))
    assert "Hélène Durand : déjà pointé·e à " in html and "par Lou Accueil. Rien n'a été modifié." in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 1


def test_an_anonymous_scan_goes_to_the_login_and_back(app, signed_up):
    _club, _staff, _event, registration = signed_up
    response = app.test_client().get(scan_path(registration))
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/account/login")
    assert parse_qs(urlsplit(location).query)["next"] == [scan_path(registration)]


def test_staff_of_another_organisation_cannot_use_the_qr_code(app, signed_up):
    _club, _staff, _event, registration = signed_up
    outsider = make_member(OrganisationFactory(name="Coopérative Bêta"), Role.OWNER)
    db.session.commit()
    client = client_for(app, outsider.user)
    response = client.get(scan_path(registration))
    assert response.status_code == 404
    assert "Durand" not in text(response) and "Hélène" not in text(response)
    response = client.post("/admin/checkin/scan", data={"t": checkin_token(registration)})
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 0


def test_a_member_of_both_organisations_is_told_to_switch(app, signed_up):
    club, _staff, _event, registration = signed_up
    elsewhere = make_member(OrganisationFactory(name="Aaa Première Structure"), Role.OWNER)
    make_member(club, Role.CHECKIN, user=elsewhere.user)
    db.session.commit()
    client = client_for(app, elsewhere.user)
    response = client.get(scan_path(registration))  # works in "Aaa…" first
    assert response.status_code == 403
    assert "Ce QR code concerne un événement de Club ESS de la Sarthe" in text(response)
    assert "Durand" not in text(response)
    # One button switches and comes back to the scanned person.
    assert "Passer à Club ESS de la Sarthe et voir la personne" in text(response)
    switched = client.post(
        "/admin/organisations/switch",
        data={"organisation_id": str(club.id), "next": scan_path(registration)},
    )
    assert switched.status_code == 303
    assert switched.headers["Location"].endswith(scan_path(registration))
    assert client.get(scan_path(registration)).status_code == 200
    # "next" never leaves the back-office.
    elsewhere_back = client.post(
        "/admin/organisations/switch",
        data={"organisation_id": str(club.id), "next": "https://exemple.com/"},
    )
    assert elsewhere_back.headers["Location"].endswith("/admin/")


def test_forged_missing_and_dead_tokens(app, signed_up):
    _club, staff, _event, registration = signed_up
    client = client_for(app, staff.user)
    assert client.get("/admin/checkin/scan").status_code == 400
    response = client.get("/admin/checkin/scan?t=" + checkin_token(registration)[:-2] + "xx")
    assert response.status_code == 400
    assert "Ce QR code n'est pas un QR code de pointage valide." in text(response)
    token = checkin_token(registration)
    anonymise_registration(registration.id)
    db.session.commit()
    response = client.get(f"/admin/checkin/scan?t={token}")
    assert response.status_code == 404
    assert client.post("/admin/checkin/scan", data={"t": token}).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 0


def test_a_cancelled_registration_s_qr_code_checks_nobody_in(app, signed_up):
    _club, staff, _event, registration = signed_up
    registration.status = RegistrationStatus.CANCELLED
    db.session.commit()
    client = client_for(app, staff.user)
    html = text(client.get(scan_path(registration)))
    assert "Cette personne n'a pas de place réservée (inscription : Annulée)." in html
    assert "Confirmer l'arrivée" not in html
    client.post("/admin/checkin/scan", data={"t": checkin_token(registration)})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 0
