"""Bad input on the sign-up form (issue 3, point 7): never a 500, never half a
sign-up, always a French message beside the field at fault. Also the
honeypot, CSRF, the rate limit, and a property-based test over every field."""

from __future__ import annotations

import itertools
import re
from uuid import uuid4

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from eventsapp.catalog.vocabulary import EventStatus
from eventsapp.extensions import db
from eventsapp.notifications.models import OutboxMessage
from eventsapp.registrations.models import Registration, RegistrationAnswer
from tests.conftest import build_test_app
from tests.databases import redis_url
from tests.factories import EventFactory, SessionFactory
from tests.signup_helpers import (
    field_error,
    form_data,
    journee_answers,
    make_journee,
    post,
    registrations,
    text,
)


@pytest.fixture
def journee():
    return make_journee()


def stored_rows() -> tuple[int, int, int]:
    """Registrations, answers and outbox rows in the whole database."""
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Registration, RegistrationAnswer, OutboxMessage)
    )  # type: ignore[return-value]


def test_empty_form_ties_each_french_error_to_its_field(client):
    event = EventFactory()
    response = client.post(f"/events/{event.slug}/register", data={})
    assert response.status_code == 422
    html = text(response)
    assert field_error(html, "first_name") == "Erreur : Indiquez votre prénom."
    assert field_error(html, "last_name") == "Erreur : Indiquez votre nom."
    assert field_error(html, "email") == "Erreur : Indiquez votre adresse e-mail."
    assert field_error(html, "category") == "Erreur : Indiquez à quel titre vous venez."
    assert "Votre accord est nécessaire" in field_error(html, "consent")
    assert re.search(r'aria-describedby="first_name-erreur" aria-invalid="true" [^>]*id="first_name"', html)
    assert re.search(r'<fieldset class="field field-group" aria-describedby="category-erreur">', html)
    # The summary at the top links to each field (the first radio of a group).
    assert 'href="#first_name"' in html and 'href="#category-0"' in html and 'href="#consent"' in html
    assert html.startswith("<!doctype html>") and "<title>Erreur : Inscription" in html
    assert registrations(event) == []


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"first_name": "   "}, "first_name", "Indiquez votre prénom."),
        ({"first_name": "A" * 10_000}, "first_name", "100 caractères au plus."),
        ({"last_name": "Du\x00rand"}, "last_name", "Ce champ contient des caractères non autorisés."),
        ({"email": "pas-une-adresse"}, "email", "Indiquez une adresse e-mail valide"),
        ({"email": "camille@"}, "email", "Indiquez une adresse e-mail valide"),
        ({"email": "josé@exemple.fr"}, "email", "Nos e-mails ne peuvent pas être envoyés à cette adresse"),
        ({"email": "x" * 250 + "@exemple.fr"}, "email", "254 caractères au plus."),
        ({"phone": "appelez-moi"}, "phone", "Indiquez un numéro de téléphone"),
        ({"structure": "S" * 201}, "structure", "200 caractères au plus."),
        ({"category": "pirate"}, "category", "Choisissez parmi les réponses proposées."),
        ({"consent": None}, "consent", "Votre accord est nécessaire"),
    ],
)
def test_bad_input_gets_a_french_message_beside_its_field_and_nothing_is_stored(
    client, overrides, field, message
):
    event = EventFactory()
    before = stored_rows()
    response = post(client, event, **overrides)
    assert response.status_code == 422
    assert message in field_error(text(response), field)
    assert stored_rows() == before


@pytest.mark.parametrize(
    ("seats", "message"),
    [
        ("0", "Indiquez un nombre de places entre 1 et 5."),
        ("-1", "Indiquez un nombre de places entre 1 et 5."),
        ("1000000000", "Indiquez un nombre de places entre 1 et 5."),
        ("9" * 5000, "Indiquez un nombre de places entre 1 et 5."),
        ("abc", "Indiquez un nombre de places en chiffres, par exemple 1."),
        ("", "Indiquez un nombre de places en chiffres, par exemple 1."),
        ("2.5", "Indiquez un nombre de places en chiffres, par exemple 1."),
    ],
)
def test_bad_seats_are_refused_in_french(client, journee, seats, message):
    plenary = journee.test_sessions[0]
    before = stored_rows()
    response = post(client, journee, seats=seats, sessions=[str(plenary.id)], **journee_answers(journee))
    assert response.status_code == 422
    html = text(response)
    assert field_error(html, "seats") == f"Erreur : {message}"
    assert f'value="{seats[:20]}' in html  # what was typed is kept
    assert stored_rows() == before


def test_a_session_of_another_event_is_refused(client, journee):
    other = SessionFactory()
    before = stored_rows()
    response = post(client, journee, sessions=[str(other.id)], **journee_answers(journee))
    assert response.status_code == 422
    assert "Un atelier choisi n'appartient pas à cet événement." in field_error(text(response), "sessions")
    for bad in (["abc"], ["9" * 5000], []):
        response = post(client, journee, sessions=bad, **journee_answers(journee))
        assert response.status_code == 422 and field_error(text(response), "sessions")
    assert stored_rows() == before


def test_overlapping_sessions_refused_by_the_rules_show_beside_the_sessions(client, journee):
    _plenary, atelier_a, atelier_b = journee.test_sessions
    response = post(client, journee, sessions=[str(atelier_a.id), str(atelier_b.id)],
                    **journee_answers(journee))  # fmt: skip
    assert response.status_code == 422
    assert "ont lieu en même temps" in field_error(text(response), "sessions")
    assert registrations(journee) == []


def test_questions_required_and_choices_offered(client, journee):
    text_q, meal, themes, wheelchair = journee.test_questions
    plenary = journee.test_sessions[0]
    cases = [
        ({f"question_{meal.id}": None}, meal, "Cette question est obligatoire."),
        ({f"question_{meal.id}": "Caviar"}, meal, "Choisissez parmi les réponses proposées."),
        ({f"question_{themes.id}": ["Emploi", "Pétanque"]}, themes, "Choisissez parmi les réponses"),
        ({f"question_{wheelchair.id}": "peut-être"}, wheelchair, "Choisissez parmi les réponses"),
        ({f"question_{text_q.id}": "x" * 2001}, text_q, "2000 caractères au plus."),
    ]
    for overrides, question, message in cases:
        data = {**journee_answers(journee), "sessions": [str(plenary.id)], **overrides}
        response = post(client, journee, **data)
        assert response.status_code == 422, overrides
        assert message in field_error(text(response), f"question_{question.id}"), overrides
    assert registrations(journee) == []


@pytest.mark.parametrize("slug", ["inconnu", "evenement-brouillon", "a" * 300, "..%2Fadmin"])
def test_forged_or_unpublished_event_is_a_french_404(client, slug):
    EventFactory(slug="evenement-brouillon", status=EventStatus.DRAFT)
    before = stored_rows()
    db.session.commit()
    for response in (client.get(f"/events/{slug}/register"), client.post(f"/events/{slug}/register")):
        assert response.status_code == 404
        assert "Page introuvable" in text(response)
    assert stored_rows() == before


def test_honeypot_filled_pretends_success_and_stores_nothing(client):
    event = EventFactory()
    before = stored_rows()
    response = post(client, event, website="http://spam.example")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/events/{event.slug}/register/sent")
    assert stored_rows() == before


# --- CSRF and the rate limit, on apps of their own -------------------------


@pytest.fixture(scope="module")
def strict_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """CSRF on, and at most 2 submissions a minute per address."""
    app = build_test_app(
        "sqlite",
        tmp_path_factory.mktemp("instance-strict"),
        WTF_CSRF_ENABLED=True,
        RATELIMIT_ENABLED=True,
        SIGNUP_RATE_LIMIT="2 per minute",
    )
    with app.app_context():
        EventFactory(slug="forum-csrf")
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def strict_registrations(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Registration))


def test_missing_or_wrong_csrf_token_gives_the_form_back_in_french(strict_app):
    strict_app.extensions["celery"].set_current()
    client = strict_app.test_client()
    url = "/events/forum-csrf/register"
    token = csrf_token(text(client.get(url)))
    for data in (form_data(), form_data(csrf_token="faux")):
        response = client.post(url, data=data, environ_base=unique_address())
        assert response.status_code == 400
        html = text(response)
        assert "Le formulaire a expiré ou n'a pas pu être vérifié" in html
        assert 'value="Camille"' in html and csrf_token(html)
    assert strict_registrations(strict_app) == 0

    response = client.post(url, data=form_data(csrf_token=token), environ_base=unique_address())
    assert response.status_code == 303
    assert strict_registrations(strict_app) == 1


def unique_address() -> dict:
    """A client address of its own, so that counters left in the (process-wide,
    possibly Redis) rate-limit storage by earlier runs never interfere."""
    return {"REMOTE_ADDR": f"2001:db8::{uuid4().hex[:4]}:{uuid4().hex[:4]}"}


def assert_limited_after(client, url: str, allowed: int) -> None:
    address = unique_address()
    for _ in range(allowed + 3):  # reading the form is not limited
        assert client.get(url, environ_base=address).status_code == 200
    statuses = [client.post(url, data={}, environ_base=address).status_code for _ in range(allowed + 1)]
    assert statuses == [400] * allowed + [429]  # forged posts (no CSRF token) count too
    response = client.post(url, data={}, environ_base=address)
    assert response.status_code == 429
    assert "Trop de demandes" in text(response) and "Réessayez dans quelques minutes" in text(response)
    assert int(response.headers["Retry-After"]) > 0
    # Another address is not affected.
    assert client.post(url, data={}, environ_base=unique_address()).status_code == 400


def test_too_many_submissions_get_the_french_429_page(strict_app):
    assert_limited_after(strict_app.test_client(), "/events/forum-csrf/register", allowed=2)


@pytest.mark.redis
def test_rate_limit_counts_in_redis_as_in_production(tmp_path):
    app = build_test_app(
        "sqlite",
        tmp_path,
        WTF_CSRF_ENABLED=True,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=redis_url(),
        SIGNUP_RATE_LIMIT="3 per minute",
    )
    with app.app_context():
        EventFactory(slug="forum-redis")
        db.session.commit()
    try:
        assert_limited_after(app.test_client(), "/events/forum-redis/register", allowed=3)
    finally:
        with app.app_context():
            db.engine.dispose()


def test_apps_without_rate_limit_stay_unlimited_beside_a_limited_one(strict_app, client):
    event = EventFactory()
    statuses = {post(client, event, email="").status_code for _ in range(12)}
    assert statuses == {422}


# --- Property: whatever is posted, a clean outcome ---------------------------

_ANY_TEXT = st.text(max_size=150)
_NUMBER_TEXT = st.integers(min_value=-(10**12), max_value=10**12).map(str)
_VALID_EMAIL = "<valid e-mail>"


def _field(valid: st.SearchStrategy) -> st.SearchStrategy:
    """Usually a sensible value, often garbage, sometimes absent."""
    return st.one_of(valid, _ANY_TEXT, _NUMBER_TEXT, st.none())


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_submission_gives_a_clean_outcome(client, journee, data):
    """Never a 500; a redirect stores exactly one registration (none for a
    honeypot), anything else stores nothing."""
    if not hasattr(journee, "test_emails"):
        journee.test_emails = itertools.count()
    session_ids = [str(session.id) for session in journee.test_sessions[:2]]
    answers = journee_answers(journee)
    fields = {
        "first_name": _field(st.just("Camille")),
        "last_name": _field(st.just("Durand")),
        "email": _field(st.just(_VALID_EMAIL)),
        "phone": _field(st.just("02 43 00 00 00")),
        "structure": _field(st.just("Scop Atlantique")),
        "category": _field(st.sampled_from(["grand-public", "elu", "presse"])),
        "seats": _field(st.sampled_from(["1", "2", "5"])),
        "consent": _field(st.just("y")),
        "website": st.one_of(st.none(), st.none(), st.none(), _ANY_TEXT),
    }
    submission = {name: data.draw(strategy, label=name) for name, strategy in fields.items()}
    session_values = st.one_of(st.sampled_from(session_ids), _ANY_TEXT, _NUMBER_TEXT)
    submission["sessions"] = data.draw(st.lists(session_values, max_size=3), label="sessions")
    for name, valid in answers.items():
        garbage = st.lists(_ANY_TEXT, max_size=2) if isinstance(valid, list) else _ANY_TEXT
        submission[name] = data.draw(st.one_of(st.just(valid), garbage, st.none()), label=name)
    if submission["email"] == _VALID_EMAIL:
        submission["email"] = f"personne{next(journee.test_emails)}@exemple.fr"
    submission = {name: value for name, value in submission.items() if value is not None}

    db.session.commit()
    before = stored_rows()
    response = client.post(f"/events/{journee.slug}/register", data=submission)
    after = stored_rows()
    assert response.status_code < 500
    event(f"status {response.status_code}")
    if response.status_code == 303:
        honeypot = bool(submission.get("website", "").strip())
        assert after[0] - before[0] == (0 if honeypot else 1)
    else:
        assert response.status_code in (200, 400, 409, 422)
        assert after == before
