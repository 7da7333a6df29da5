"""A person's own feed (``/me/<token>.ics``): their confirmed and waitlisted
registrations across events, by e-mail address, a VEVENT per chosen session;
the link on their own page, revoked there; the .ics and the link in the
confirmation and promotion e-mails."""

from __future__ import annotations

import html
from datetime import timedelta
from email import message_from_bytes

import pytest
from icalendar import Calendar

from eventsapp.calendars.tokens import (
    ensure_feed,
    feed_token,
    find_feed,
    forget_feed,
    get_feed_by_token,
    personal_feed_url,
    renew_feed,
)
from eventsapp.catalog.service import cancel_event, update_event
from eventsapp.catalog.vocabulary import EventStatus
from eventsapp.errors import NotFound
from eventsapp.notifications.mailer import compose_email
from eventsapp.notifications.models import EmailKind
from eventsapp.registrations.models import RegistrationStatus
from eventsapp.registrations.tokens import derive_token, hash_token, new_token_salt
from tests.factories import EventFactory, RegistrationFactory, SessionFactory, in_days

EMAIL = "dominique.lefevre@exemple.fr"


def registration_with_link(**values: object):
    """A registration whose private link works; returns it and its token."""
    salt = new_token_salt()
    token = derive_token(salt)
    registration = RegistrationFactory(token_salt=salt, token_hash=hash_token(token), **values)
    return registration, token


def feed_path(feed) -> str:
    return f"/me/{feed_token(feed)}.ics"


def fetch(client, path: str) -> Calendar:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.data)


def by_uid(calendar: Calendar) -> dict[str, object]:
    return {str(vevent["UID"]).split("@")[0]: vevent for vevent in calendar.walk("VEVENT")}


# The feed ---------------------------------------------------------------------------


def test_the_personal_feed_lists_confirmed_and_waitlisted_registrations_across_events(client):
    confirmed = RegistrationFactory(email=EMAIL, status=RegistrationStatus.CONFIRMED)
    waitlisted = RegistrationFactory(email=EMAIL, status=RegistrationStatus.WAITLISTED, waitlist_position=1)
    recent_past = RegistrationFactory(
        email=EMAIL, event__starts_at=in_days(-20), event__ends_at=in_days(-20) + timedelta(hours=2)
    )
    old_past = RegistrationFactory(
        email=EMAIL, event__starts_at=in_days(-45), event__ends_at=in_days(-45) + timedelta(hours=2)
    )
    cancelled = RegistrationFactory(email=EMAIL, status=RegistrationStatus.CANCELLED)
    pending = RegistrationFactory(email=EMAIL, status=RegistrationStatus.PENDING)
    someone_else = RegistrationFactory(email="autre@exemple.fr")
    feed = ensure_feed(EMAIL)

    calendar = fetch(client, feed_path(feed))
    entries = by_uid(calendar)
    expected = {f"event-{registration.event_id}" for registration in (confirmed, waitlisted, recent_past)}
    assert set(entries) == expected
    for absent in (old_past, cancelled, pending, someone_else):
        assert f"event-{absent.event_id}" not in entries
    assert str(entries[f"event-{confirmed.event_id}"]["STATUS"]) == "CONFIRMED"
    assert str(entries[f"event-{waitlisted.event_id}"]["STATUS"]) == "TENTATIVE"
    assert str(calendar["X-WR-CALNAME"]) == "Mes inscriptions – eventsapp"
    for vevent in calendar.walk("VEVENT"):
        assert "ORGANIZER" not in vevent and "ATTENDEE" not in vevent


def test_each_chosen_session_is_an_event_of_its_own(client):
    event = EventFactory(title="Journée de l'ESS")
    morning = SessionFactory(event=event, title="Atelier coopératives", location="Salle 2")
    afternoon = SessionFactory(
        event=event, title="Atelier mutuelles", starts_at=event.starts_at + timedelta(hours=1)
    )
    registration = RegistrationFactory(event=event, email=EMAIL, sessions=[morning])
    feed = ensure_feed(EMAIL)

    entries = by_uid(fetch(client, feed_path(feed)))
    assert set(entries) == {f"event-{event.id}", f"session-{morning.id}"}
    session = entries[f"session-{morning.id}"]
    assert str(session["SUMMARY"]) == "Atelier coopératives – Journée de l'ESS"
    assert str(session["LOCATION"]).startswith("Salle 2, Cinéma Le Vox")
    assert session.decoded("DTSTART") == morning.starts_at
    assert session.decoded("DTEND") == morning.ends_at
    assert f"session-{afternoon.id}" not in entries
    assert registration.sessions == [morning]


def test_a_cancelled_event_stays_in_the_personal_feed_as_cancelled(client):
    registration = RegistrationFactory(email=EMAIL)
    feed = ensure_feed(EMAIL)
    cancel_event(registration.event, "Annulé faute d'intervenant.")
    vevent = by_uid(fetch(client, feed_path(feed)))[f"event-{registration.event_id}"]
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert vevent["SEQUENCE"] == 1


def test_the_personal_feed_is_private_and_conditional(client):
    registration = RegistrationFactory(email=EMAIL, status=RegistrationStatus.WAITLISTED, waitlist_position=1)
    feed = ensure_feed(EMAIL)
    first = client.get(feed_path(feed))
    assert first.headers["Cache-Control"] == "private, max-age=300"
    assert first.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in first.headers["X-Robots-Tag"]
    etag = first.headers["ETag"]
    assert client.get(feed_path(feed), headers={"If-None-Match": etag}).status_code == 304

    # Promoted from the waiting list: the feed changes.
    registration.status = RegistrationStatus.CONFIRMED
    registration.waitlist_position = None
    promoted = client.get(feed_path(feed), headers={"If-None-Match": etag})
    assert promoted.status_code == 200
    assert "STATUS:CONFIRMED" in promoted.get_data(as_text=True)

    etag = promoted.headers["ETag"]
    update_event(registration.event, commune="Mayenne")  # moved
    assert client.get(feed_path(feed), headers={"If-None-Match": etag}).status_code == 200


def test_a_revoked_token_gives_404_and_the_new_one_works(client):
    RegistrationFactory(email=EMAIL)
    feed = ensure_feed(EMAIL)
    old_path = feed_path(feed)
    assert client.get(old_path).status_code == 200
    renewed = renew_feed(EMAIL)
    assert renewed.id == feed.id
    assert client.get(old_path).status_code == 404
    with pytest.raises(NotFound):
        get_feed_by_token(old_path.removeprefix("/me/").removesuffix(".ics"))
    assert client.get(feed_path(renewed)).status_code == 200


@pytest.mark.parametrize("token", ["x", "A" * 43, "A" * 44, "../" + "A" * 40])
def test_wrong_tokens_give_404(client, token):
    assert client.get(f"/me/{token}.ics").status_code == 404


def test_a_forgotten_feed_gives_404(client):
    RegistrationFactory(email=EMAIL)
    path = feed_path(ensure_feed(EMAIL))
    assert forget_feed(EMAIL) is True
    assert client.get(path).status_code == 404
    assert find_feed(EMAIL) is None


def test_one_feed_per_address_whatever_its_case(db_session):
    feed = ensure_feed(" Dominique.Lefevre@Exemple.fr ")
    assert ensure_feed(EMAIL).id == feed.id
    assert feed.email == EMAIL
    # The stored hash is not the token: a copy of the table gives no link.
    assert feed.token_hash == hash_token(feed_token(feed))
    assert feed_token(feed) not in (feed.token_hash, feed.token_salt)


# The person's own page ------------------------------------------------------------------


def page_text(client, token: str) -> str:
    response = client.get(f"/registrations/{token}")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def test_the_own_page_makes_the_link_on_request_then_shows_it(client):
    _registration, token = registration_with_link(email=EMAIL)
    page = page_text(client, token)
    assert "Créer mon lien d'abonnement" in page
    assert find_feed(EMAIL) is None  # a GET made nothing

    response = client.post(f"/registrations/{token}/calendar")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/registrations/{token}#agenda")
    feed = find_feed(EMAIL)
    assert feed is not None
    page = page_text(client, token)
    assert "Votre lien d'abonnement est prêt" in page
    url = personal_feed_url(feed)
    assert url in page
    assert url.replace("http://", "webcal://") in page
    assert "https://calendar.google.com/calendar/render?cid=webcal" in page
    assert "Révoquer ce lien et en créer un nouveau" in page


def test_the_own_page_revokes_the_link_after_asking(client):
    _registration, token = registration_with_link(email=EMAIL)
    feed = ensure_feed(EMAIL)
    old_path = feed_path(feed)

    question = client.get(f"/registrations/{token}/calendar")
    assert question.status_code == 200
    text = html.unescape(question.get_data(as_text=True))
    assert "L'ancien lien cessera aussitôt de fonctionner" in text
    assert "Oui, créer un nouveau lien" in text
    assert question.headers["Cache-Control"] == "private, no-store"
    assert client.get(old_path).status_code == 200  # asking changed nothing

    response = client.post(f"/registrations/{token}/calendar")
    assert response.status_code == 303
    assert client.get(old_path).status_code == 404
    new_feed = find_feed(EMAIL)
    assert client.get(feed_path(new_feed)).status_code == 200
    page = page_text(client, token)
    assert "Voici votre nouveau lien d'abonnement. L'ancien ne fonctionne plus." in page
    assert personal_feed_url(new_feed) in page


# E-mails ------------------------------------------------------------------------------------


def attached_calendar(message) -> Calendar:
    parsed = message_from_bytes(message.as_bytes())
    parts = [part for part in parsed.walk() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    assert parts[0].get_filename().endswith(".ics")
    return Calendar.from_ical(parts[0].get_payload(decode=True))


def test_the_confirmation_email_carries_the_event_and_the_feed_link(client):
    event = EventFactory(title="Journée de l'ESS")
    workshop = SessionFactory(event=event, title="Atelier finance solidaire")
    registration = RegistrationFactory(event=event, email=EMAIL, sessions=[workshop])
    message = compose_email(EmailKind.CONFIRMATION, registration)

    attachment = attached_calendar(message)
    assert str(attachment["METHOD"]) == "PUBLISH"
    entries = by_uid(attachment)
    assert set(entries) == {f"event-{event.id}", f"session-{workshop.id}"}
    assert str(entries[f"event-{event.id}"]["STATUS"]) == "CONFIRMED"

    feed = find_feed(EMAIL)
    assert feed is not None
    url = personal_feed_url(feed)
    assert url in message.body
    assert url in message.html
    assert "joint à ce message (fichier .ics)" in message.body
    # The link in the e-mail works.
    calendar = fetch(client, url.removeprefix("http://127.0.0.1:5000"))
    assert f"event-{event.id}" in by_uid(calendar)


def test_the_promotion_email_carries_the_event(db_session):
    registration = RegistrationFactory(email=EMAIL, status=RegistrationStatus.CONFIRMED)
    message = compose_email(EmailKind.PROMOTED, registration)
    vevent = by_uid(attached_calendar(message))[f"event-{registration.event_id}"]
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert personal_feed_url(find_feed(EMAIL)) in message.body


def test_a_promotion_still_to_confirm_is_tentative(db_session):
    registration = RegistrationFactory(email=EMAIL, status=RegistrationStatus.PENDING)
    message = compose_email(EmailKind.PROMOTED, registration)
    vevent = by_uid(attached_calendar(message))[f"event-{registration.event_id}"]
    assert str(vevent["STATUS"]) == "TENTATIVE"


@pytest.mark.parametrize("kind", [EmailKind.WAITLISTED, EmailKind.CANCELLED, EmailKind.PENDING_CONFIRMATION])
def test_other_emails_carry_no_calendar(db_session, kind):
    registration = RegistrationFactory(email=EMAIL, status=RegistrationStatus.WAITLISTED, waitlist_position=1)
    message = compose_email(kind, registration)
    assert not message.attachments
    assert find_feed(EMAIL) is None


def test_the_attachment_of_a_cancelled_event_says_so(db_session):
    registration = RegistrationFactory(email=EMAIL, event__status=EventStatus.PUBLISHED)
    cancel_event(registration.event, "Report à une date ultérieure.")
    message = compose_email(EmailKind.CONFIRMATION, registration)
    vevent = by_uid(attached_calendar(message))[f"event-{registration.event_id}"]
    assert str(vevent["STATUS"]) == "CANCELLED"
