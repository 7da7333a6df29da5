"""WSGI factory served by gunicorn for the registration benchmark.

``build_app()`` is the real app, configured from the environment
(``DATABASE_URL``, ``INSTANCE_PATH``) like ``wsgi.py`` but with CSRF and rate
limits off (the load generator neither fetches a token nor comes from many
addresses), plus four routes of the benchmark's own:

* ``GET /_bench/ready``: "ok", no database (gunicorn is up);
* ``POST /_bench/insert``: one ``INSERT`` of the posted e-mail into
  ``bench_inserts``, committed (the baseline of uncontended sign-ups);
* ``POST /_bench/hot-update``: one conditional update of a hot row,
  ``UPDATE bench_counter SET taken = taken + 1 WHERE id = 1 AND taken < capacity``,
  committed (the baseline of the rush: the cheapest "take a seat if one is
  left" the database can do under contention);
* ``POST /_bench/floor/<slug>``: the **floor** of a sign-up, the steps
  every sign-up under the house rules takes, done leanly: the real sign-up
  form's fields validated by Flask-WTF (the app's ``SignUpForm`` with the
  category and consent fields), the event found and locked in one
  ``SELECT … FOR UPDATE``, its seats and this e-mail's active registration
  counted in one aggregate, the registration and its outbox e-mail
  inserted (Core, prebuilt statements; at the end of the waiting list
  when the seats are gone, its position read by the same aggregate), the
  commit, the e-mail's task published to Celery, a 303 to the "sent" page.
  It does *less* than the app must (no ORM, no event details, no
  registration window, workshops, questions or double opt-in, a 409
  instead of the "already registered" e-mail, no page-cache bump): an
  upper bound of what the real sign-up could reach with these steps.

Both bare routes use the app's own Flask-SQLAlchemy session and engine (same
pool, same ``pool_pre_ping``), so the ratio isolates what the sign-up itself
costs. No module-level app (house rule): gunicorn calls the factory.

    gunicorn -w 5 -b 127.0.0.1:8000 'bench.registration_app:build_app()'
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue
from wtforms import BooleanField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired

from bench.registration_load import FLOOR_PATH
from eventsapp import create_app
from eventsapp.config import Config
from eventsapp.db import now_utc
from eventsapp.extensions import db
from eventsapp.notifications.dispatch import SEND_EMAIL_TASK
from eventsapp.notifications.models import EmailKind
from eventsapp.notifications.service import email_key
from eventsapp.registrations.forms import ChoiceRadioField, SignUpForm
from eventsapp.registrations.models import ParticipantCategory
from eventsapp.registrations.tokens import derive_token, hash_token, new_token_salt

READY_PATH = "/_bench/ready"
INSERT_PATH = "/_bench/insert"
HOT_UPDATE_PATH = "/_bench/hot-update"

INSERT_SQL = sa.text("INSERT INTO bench_inserts (email) VALUES (:email)")
HOT_UPDATE_SQL = sa.text("UPDATE bench_counter SET taken = taken + 1 WHERE id = 1 AND taken < capacity")


def ready() -> str:
    """gunicorn answers: no database, no template."""
    return "ok"


def bare_insert() -> tuple[str, int]:
    """One INSERT, committed: 204."""
    db.session.execute(INSERT_SQL, {"email": request.form.get("email", "")})
    db.session.commit()
    return "", 204


def hot_update() -> tuple[str, int]:
    """One conditional UPDATE of the hot row, committed: "taken" or "full"."""
    result = db.session.execute(HOT_UPDATE_SQL)
    db.session.commit()
    return ("taken" if result.rowcount else "full"), 200


class FloorForm(SignUpForm):
    """The sign-up form of an event without group seats, sessions or questions."""

    category = ChoiceRadioField(
        "Vous venez en tant que",
        choices=[SelectChoice(value, label) for value, label in ParticipantCategory.choices()],
        validators=[InputRequired("Indiquez à quel titre vous venez.")],
    )
    consent = BooleanField("J'accepte", validators=[DataRequired("Votre accord est nécessaire.")])


FLOOR_LOCK_SQL = sa.text(
    "SELECT id, capacity, waitlist_enabled FROM events WHERE slug = :slug AND status = 'published' FOR UPDATE"
)
# Seats held, this e-mail's active registration, the end of the waiting list.
FLOOR_COUNT_SQL = sa.text(
    "SELECT coalesce(sum(CASE WHEN status IN ('confirmed', 'pending') THEN seats ELSE 0 END), 0),"
    " max(CASE WHEN email = :email AND status IN ('confirmed', 'pending', 'waitlisted') THEN id END),"
    " coalesce(max(waitlist_position), 0)"
    " FROM registrations WHERE event_id = :event_id"
)
FLOOR_REGISTRATION_SQL = sa.text(
    "INSERT INTO registrations (event_id, first_name, last_name, email, phone, structure, category,"
    " seats, status, waitlist_position, token_salt, token_hash, consent_at, created_at, updated_at,"
    " confirmed_at)"
    " VALUES (:event_id, :first_name, :last_name, :email, :phone, :structure, :category, 1,"
    " :status, :position, :salt, :token_hash, :now, :now, :now, :confirmed_at) RETURNING id"
)
FLOOR_OUTBOX_SQL = sa.text(
    "INSERT INTO outbox_messages (kind, email_kind, registration_id, recipient, payload,"
    " idempotency_key, status, attempts, created_at)"
    " VALUES ('email', :email_kind, :registration_id, :email, '{}', :key, 'pending', 0, :now)"
    " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
)


def floor_signup(slug: str) -> ResponseReturnValue:
    """The floor of a sign-up (see the module's docstring): a seat if one is
    left, else the end of the waiting list if the event has one, else 409."""
    form = FloorForm()
    if form.honeypot_filled or not form.validate():
        return "invalid", 422
    connection = db.session.connection()
    event = connection.execute(FLOOR_LOCK_SQL, {"slug": slug}).first()
    if event is None:
        return "no such event", 404
    email = form.email.data.lower()
    taken, active_id, last_position = connection.execute(
        FLOOR_COUNT_SQL, {"event_id": event.id, "email": email}
    ).one()
    seat_left = event.capacity is None or taken < event.capacity
    if active_id is not None or not (seat_left or event.waitlist_enabled):
        db.session.rollback()
        return "already registered, or full", 409
    now = now_utc()
    salt = new_token_salt()
    kind = EmailKind.CONFIRMATION if seat_left else EmailKind.WAITLISTED
    registration_id = connection.execute(
        FLOOR_REGISTRATION_SQL,
        {
            "event_id": event.id,
            "first_name": form.first_name.data,
            "last_name": form.last_name.data,
            "email": email,
            "phone": form.phone.data or None,
            "structure": form.structure.data or "",
            "category": form.category.data,
            "status": "confirmed" if seat_left else "waitlisted",
            "position": None if seat_left else last_position + 1,
            "salt": salt,
            "token_hash": hash_token(derive_token(salt)),
            "now": now,
            "confirmed_at": now if seat_left else None,
        },
    ).scalar_one()
    message_id = connection.execute(
        FLOOR_OUTBOX_SQL,
        {
            "email_kind": kind.value,
            "registration_id": registration_id,
            "email": email,
            "key": email_key(kind, registration_id),
            "now": now,
        },
    ).scalar_one()
    db.session.commit()
    current_app.extensions["celery"].tasks[SEND_EMAIL_TASK].apply_async(args=[message_id])
    return redirect(url_for("signup.sent", slug=slug), 303)


def build_app() -> Flask:
    """The real app (CSRF and rate limits off) with the benchmark's routes."""
    config = Config()
    config.WTF_CSRF_ENABLED = False
    config.RATELIMIT_ENABLED = False
    app = create_app(config)
    app.add_url_rule(READY_PATH, endpoint="bench_ready", view_func=ready, methods=["GET"])
    app.add_url_rule(INSERT_PATH, endpoint="bench_insert", view_func=bare_insert, methods=["POST"])
    app.add_url_rule(HOT_UPDATE_PATH, endpoint="bench_hot_update", view_func=hot_update, methods=["POST"])
    app.add_url_rule(
        FLOOR_PATH.replace("{slug}", "<slug>"),
        endpoint="bench_floor",
        view_func=floor_signup,
        methods=["POST"],
    )
    return app
