"""The registrant's own page: see, confirm, change, cancel, erase, through the
test client on both backends; a real token comes from ``sign_up``."""

from __future__ import annotations

import html as html_module
import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from eventsapp.catalog.models import EventQuestion
from eventsapp.catalog.vocabulary import QuestionKind
from eventsapp.db import now_utc
from eventsapp.extensions import db
from eventsapp.notifications.models import EmailKind, OutboxMessage
from eventsapp.registrations.models import ParticipantCategory, Registration, RegistrationStatus
from eventsapp.registrations.service import SignUpRequest, sign_up
from tests.conftest import build_test_app
from tests.factories import EventFactory, SessionFactory, in_days

counter = iter(range(1_000_000))


def person(**changes: object) -> SignUpRequest:
    number = next(counter)
    values: dict = dict(
        first_name="Dominique",
        last_name=f"Lefèvre{number}",
        email=f"dominique{number}@exemple.fr",
        category=ParticipantCategory.SALARIE_ESS,
        consent=True,
    )
    values.update(changes)
    return SignUpRequest(**values)


def signed_up(event, **changes: object) -> tuple[int, str]:
    """Sign a person up and commit, as the sign-up request does (the test's
    outer transaction is still rolled back at the end); the registration id
    and the private token."""
    result = sign_up(event.id, person(**changes))
    db.session.commit()
    assert result.token is not None
    return result.registration_id, result.token


def fresh(registration_id: int) -> Registration:
    """The registration as stored now (the request closed the test's session)."""
    db.session.expire_all()
    return db.session.get(Registration, registration_id)


def outbox(registration_id: int, kind: EmailKind) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.registration_id == registration_id, OutboxMessage.email_kind == kind)
    )


def page(client, token: str) -> str:
    response = client.get(f"/registrations/{token}")
    assert response.status_code == 200
    return text(response)


def text(response) -> str:
    """The page's HTML with entities decoded, to look for French sentences."""
    return html_module.unescape(response.get_data(as_text=True))


def test_page_shows_the_registration_its_status_and_waiting_list_position(client, db_session):
    event = EventFactory(title="Ciné-débat « Le Grand Partage »", capacity=1, waitlist_enabled=True)
    question = EventQuestion(event=event, label="Besoin d'accessibilité ?", kind=QuestionKind.YES_NO)
    db.session.add(question)
    db.session.flush()
    _first_id, first = signed_up(event, first_name="Aïcha")
    signed_up(event)
    _third_id, third = signed_up(event, first_name="Yannick", answers={question.id: True})

    response = client.get(f"/registrations/{third}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    html = text(response)
    assert '<meta name="robots" content="noindex' in html
    assert "Liste d'attente" in html and "position 2 sur la liste d'attente" in html
    assert "Yannick" in html and "Besoin d'accessibilité ?" in html and "Oui" in html
    assert f'href="/events/{event.slug}"' in html and "Le Grand Partage" in html
    assert "heure de Paris" in html

    html = page(client, first)
    assert "Confirmée" in html and "Votre place est réservée" in html and "liste d'attente</" not in html
    assert f'href="/registrations/{first}/cancel"' in html
    assert f'href="/registrations/{first}/erase"' in html


WRONG_TOKENS = [
    "A" * 43,  # well formed, unknown
    "abc",
    "A" * 44,
    "A" * 500,
    "A" * 42 + "%00",
    "%00" * 43,
    "A" * 42 + "!",
]


@pytest.mark.parametrize("token", WRONG_TOKENS)
@pytest.mark.parametrize("suffix", ["", "/confirm", "/change", "/cancel", "/erase"])
def test_wrong_tokens_give_the_same_plain_404(client, db_session, token, suffix):
    event = EventFactory()
    title = event.title
    _id, real = signed_up(event)
    reference = client.get("/registrations/" + "B" * 43)
    response = client.get(f"/registrations/{token}{suffix}")
    assert response.status_code == 404
    html = text(response)
    assert html == text(reference)  # no hint of what was wrong
    assert "Page introuvable" in html and title not in html
    assert response.headers["Cache-Control"] == "private, no-store"
    # A real token with one character changed is just as wrong.
    altered = ("B" if real[0] != "B" else "C") + real[1:]
    assert client.get(f"/registrations/{altered}{suffix}").status_code == 404
    assert client.post(f"/registrations/{token}{suffix or '/change'}").status_code == 404


def test_confirmation_link_changes_nothing_on_get_and_the_button_confirms(client, db_session):
    event = EventFactory(requires_email_confirmation=True)
    registration_id, token = signed_up(event)
    html = page(client, token)
    assert "En attente de confirmation" in html
    assert f'action="/registrations/{token}/confirm"' in html and "Confirmer mon inscription" in html

    response = client.get(f"/registrations/{token}/confirm")
    assert response.status_code == 200
    assert 'method="post"' in text(response)
    assert fresh(registration_id).status == RegistrationStatus.PENDING

    response = client.post(f"/registrations/{token}/confirm")
    assert response.status_code == 303 and response.location.endswith(f"/registrations/{token}")
    assert fresh(registration_id).status == RegistrationStatus.CONFIRMED
    assert outbox(registration_id, EmailKind.CONFIRMATION) == 1
    html = page(client, token)
    assert "votre inscription est confirmée" in html and "Confirmée" in html
    # Following the e-mail's link again only shows the page.
    assert client.get(f"/registrations/{token}/confirm").status_code == 303
    assert client.post(f"/registrations/{token}/confirm").status_code == 303
    assert outbox(registration_id, EmailKind.CONFIRMATION) == 1


def test_an_expired_confirmation_says_so_and_changes_nothing(client, db_session):
    event = EventFactory(requires_email_confirmation=True)
    registration_id, token = signed_up(event)
    fresh(registration_id).pending_expires_at = now_utc() - timedelta(minutes=1)
    db.session.commit()
    response = client.post(f"/registrations/{token}/confirm", follow_redirects=True)
    assert "Ce lien a expiré" in text(response)
    assert fresh(registration_id).status == RegistrationStatus.PENDING


def test_change_seats_within_capacity_and_a_french_refusal_beyond(client, db_session):
    event = EventFactory(capacity=5, max_seats_per_registration=4)
    registration_id, token = signed_up(event)
    signed_up(event, seats=2)
    html = page(client, token)
    assert 'id="seats"' in html and '<label for="seats">Nombre de places</label>' in html

    response = client.post(f"/registrations/{token}/change", data={"seats": "3"})
    assert response.status_code == 303
    assert fresh(registration_id).seats == 3
    assert "Votre inscription a été modifiée" in page(client, token)

    response = client.post(f"/registrations/{token}/change", data={"seats": "4"})
    assert response.status_code == 422
    html = text(response)
    assert "Il n'y a pas assez de places pour ce changement" in html
    assert 'aria-describedby="seats-aide seats-erreur"' in html and 'id="seats-erreur"' in html
    assert 'value="4"' in html  # what was typed is kept
    assert fresh(registration_id).seats == 3


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0", "entre 1 et 4"),
        ("-2", "entre 1 et 4"),
        ("99999999999999999999999", "entre 1 et 4"),
        ("deux", "nombre entier"),
        ("", "Indiquez le nombre de places"),
    ],
)
def test_bad_seat_numbers_are_refused_in_french(client, db_session, typed, message):
    event = EventFactory(capacity=50, max_seats_per_registration=4)
    registration_id, token = signed_up(event, seats=2)
    response = client.post(f"/registrations/{token}/change", data={"seats": typed})
    assert response.status_code == 422
    assert message in text(response)
    assert fresh(registration_id).seats == 2


def test_seats_are_not_offered_when_one_per_registration(client, db_session):
    event = EventFactory(max_seats_per_registration=1)
    _id, token = signed_up(event)
    html = page(client, token)
    assert 'id="seats"' not in html and "Modifier mon inscription" in html


def test_sessions_change_and_bad_choices_change_nothing(client, db_session):
    event = EventFactory(capacity=100, max_seats_per_registration=3)
    morning = SessionFactory(event=event, title="Atelier finances solidaires", capacity=10)
    hour = timedelta(hours=1)
    noon = SessionFactory(event=event, title="Atelier achats responsables", capacity=1,
                          starts_at=morning.ends_at, ends_at=morning.ends_at + hour)  # fmt: skip
    clash = SessionFactory(event=event, title="Visite de la recyclerie", capacity=None,
                           starts_at=morning.starts_at, ends_at=morning.ends_at)  # fmt: skip
    late = SessionFactory(event=event, title="Table ronde", capacity=1,
                          starts_at=noon.ends_at, ends_at=noon.ends_at + hour)  # fmt: skip
    elsewhere = SessionFactory(title="Atelier d'un autre événement")
    morning_id, noon_id, clash_id, late_id, elsewhere_id = (
        morning.id, noon.id, clash.id, late.id, elsewhere.id
    )  # fmt: skip
    signed_up(event, session_ids=[late_id])  # the table ronde is now full
    registration_id, token = signed_up(event, session_ids=[morning_id])
    html = page(client, token)
    assert "<legend>Ateliers ou créneaux</legend>" in html and 'type="checkbox"' in html
    assert f'value="{morning_id}" checked' in html and "Complet" in html

    response = client.post(f"/registrations/{token}/change", data={"seats": "1", "sessions": [noon_id]})
    assert response.status_code == 303
    assert [s.id for s in fresh(registration_id).sessions] == [noon_id]

    refusals = [
        ({"seats": "1", "sessions": [elsewhere_id]}, "sessions", "n'appartient pas à cet événement"),
        ({"seats": "1", "sessions": ["abc"]}, "sessions", "n'appartient pas à cet événement"),
        ({"seats": "1", "sessions": [morning_id, clash_id]}, "sessions", "ont lieu en même temps"),
        ({"seats": "1"}, "sessions", "Choisissez au moins un atelier"),
        ({"seats": "1", "sessions": [noon_id, late_id]}, "sessions", "pas assez de places"),
        ({"seats": "2", "sessions": [noon_id]}, "seats", "pas assez de places"),  # noon holds one seat
    ]
    for data, field, message in refusals:
        response = client.post(f"/registrations/{token}/change", data=data)
        assert response.status_code == 422, data
        html = text(response)
        error = re.search(f'<p id="{field}-erreur" class="field-error">([^<]*)</p>', html)
        assert error and message in error.group(1), data
        registration = fresh(registration_id)
        assert [s.id for s in registration.sessions] == [noon_id] and registration.seats == 1


def test_cancel_asks_first_then_cancels_once(client, db_session):
    event = EventFactory()
    registration_id, token = signed_up(event)
    response = client.get(f"/registrations/{token}/cancel")
    assert response.status_code == 200
    html = text(response)
    assert "Voulez-vous vraiment annuler votre inscription" in html and 'method="post"' in html
    assert fresh(registration_id).status == RegistrationStatus.CONFIRMED

    response = client.post(f"/registrations/{token}/cancel")
    assert response.status_code == 303 and response.location.endswith(f"/registrations/{token}")
    assert fresh(registration_id).status == RegistrationStatus.CANCELLED
    assert outbox(registration_id, EmailKind.CANCELLED) == 1
    html = page(client, token)
    assert "Annulée" in html and "Votre inscription est annulée" in html
    assert f"/registrations/{token}/cancel" not in html and "Modifier mon inscription" not in html

    # A second cancellation (another tab, a double click) is harmless.
    assert client.post(f"/registrations/{token}/cancel").status_code == 303
    assert client.get(f"/registrations/{token}/cancel").status_code == 303
    assert fresh(registration_id).status == RegistrationStatus.CANCELLED
    assert outbox(registration_id, EmailKind.CANCELLED) == 1


def test_erase_keeps_the_figures_and_kills_the_link(client, db_session):
    event = EventFactory(max_seats_per_registration=5)
    question = EventQuestion(event=event, label="Votre attente", kind=QuestionKind.TEXT)
    db.session.add(question)
    db.session.flush()
    registration_id, token = signed_up(
        event, seats=3, phone="06 12 34 56 78", structure="Coop'Alpha", answers={question.id: "Rencontrer"}
    )
    response = client.get(f"/registrations/{token}/erase")
    assert response.status_code == 200
    html = text(response)
    assert "sera d'abord annulée" in html and "Ce lien cessera de fonctionner" in html
    assert fresh(registration_id).anonymised_at is None

    response = client.post(f"/registrations/{token}/erase")
    assert response.status_code == 303 and response.location.endswith("/registrations/erased")
    registration = fresh(registration_id)
    assert registration.anonymised_at is not None
    assert (registration.first_name, registration.last_name, registration.phone, registration.structure) == (
        "",
        "",
        None,
        "",
    )
    assert "dominique" not in registration.email and registration.answers == []
    assert registration.seats == 3 and registration.status == RegistrationStatus.CANCELLED
    assert registration.category == ParticipantCategory.SALARIE_ESS
    assert client.get(f"/registrations/{token}").status_code == 404
    assert client.post(f"/registrations/{token}/erase").status_code == 404

    response = client.get("/registrations/erased")
    assert response.status_code == 200 and "Vos données ont été effacées." in text(response)
    assert response.headers["Cache-Control"] == "private, no-store"


def test_closed_event_hides_the_change_form_but_still_cancels(client, db_session):
    event = EventFactory(max_seats_per_registration=4)
    registration_id, token = signed_up(event)
    fresh(registration_id).event.registration_closes_at = in_days(-1)
    db.session.commit()
    html = page(client, token)
    assert "Modifier mon inscription" not in html and 'name="seats"' not in html
    assert "Les inscriptions à cet événement sont closes" in html

    response = client.post(f"/registrations/{token}/change", data={"seats": "2"}, follow_redirects=True)
    assert "Les inscriptions à cet événement sont closes." in text(response)
    assert fresh(registration_id).seats == 1

    assert client.post(f"/registrations/{token}/cancel").status_code == 303
    assert fresh(registration_id).status == RegistrationStatus.CANCELLED


def _csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def test_forms_need_their_csrf_token(tmp_path: Path):
    app = build_test_app("sqlite", tmp_path, WTF_CSRF_ENABLED=True)
    app.extensions["celery"].set_current()
    try:
        with app.app_context():
            event = EventFactory(max_seats_per_registration=3)
            registration_id, token = signed_up(event)
            db.session.commit()
        client = app.test_client()
        for action, data in (("cancel", {}), ("change", {"seats": "2"}), ("erase", {})):
            response = client.post(f"/registrations/{token}/{action}", data=data)
            assert response.status_code == 400
            html = text(response)
            assert "Rien n'a été modifié" in html and f'href="/registrations/{token}"' in html
        with app.app_context():
            registration = db.session.get(Registration, registration_id)
            assert (registration.status, registration.seats) == (RegistrationStatus.CONFIRMED, 1)
            assert registration.anonymised_at is None

        # With the token the page carries, the same form works.
        csrf = _csrf_token(text(client.get(f"/registrations/{token}")))
        response = client.post(f"/registrations/{token}/change", data={"seats": "2", "csrf_token": csrf})
        assert response.status_code == 303
        csrf = _csrf_token(text(client.get(f"/registrations/{token}/cancel")))
        assert client.post(f"/registrations/{token}/cancel", data={"csrf_token": csrf}).status_code == 303
        with app.app_context():
            registration = db.session.get(Registration, registration_id)
            assert (registration.status, registration.seats) == (RegistrationStatus.CANCELLED, 2)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
