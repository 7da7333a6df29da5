"""The "stop the reminders" link of every e-mail (and its List-Unsubscribe header).

It is signed (itsdangerous, with ``SECRET_KEY``) rather than stored: it names
one registration and can only stop its reminders, so it may travel in a mail
header, which the person's private link (that can cancel) must not.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from eventsapp.links import absolute_url
from eventsapp.registrations.models import Registration

_SALT = "eventsapp.reminders.stop"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def stop_token(registration: Registration) -> str:
    """The signed token of ``registration``'s stop link; it changes with the
    registration's private-link salt (so an erased one is dead)."""
    return _serializer().dumps([registration.id, registration.token_salt[:8]])


def stop_reminders_url(registration: Registration) -> str:
    return absolute_url("reminders.stop", token=stop_token(registration))


def registration_id_from_stop_token(token: str) -> tuple[int, str] | None:
    """(registration id, salt prefix) of a genuine token, else None."""
    if not token or len(token) > 200:
        return None
    try:
        registration_id, salt_prefix = _serializer().loads(token)
    except (BadSignature, TypeError, ValueError):
        return None
    if not isinstance(registration_id, int) or not isinstance(salt_prefix, str):
        return None
    return registration_id, salt_prefix
