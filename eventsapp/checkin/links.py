"""The check-in link of a registration: what the QR code of its confirmation
e-mail holds, and what staff open by scanning it at the door.

It is signed (itsdangerous, with ``SECRET_KEY``) rather than stored, like the
"stop the reminders" link (``reminders/links.py``): it names one registration
and can do nothing by itself. The page it opens requires a staff login of the
event's organisation, and checking in is a POST from that page. It is *not*
the person's private link (which can change or cancel the registration): a
QR code is shown at a door, photographed, printed.

The token carries the first characters of the registration's private-link
salt, so an erased registration (new salt) has a dead check-in link.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from eventsapp.links import absolute_url
from eventsapp.registrations.models import Registration

_SALT = "eventsapp.checkin.scan"
# Longer than any genuine token: anything beyond is refused unread.
MAX_TOKEN_LENGTH = 200


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def checkin_token(registration: Registration) -> str:
    """The signed token of ``registration``'s check-in link."""
    return _serializer().dumps([registration.id, registration.token_salt[:8]])


def checkin_url(registration: Registration) -> str:
    """The absolute check-in URL (under ``PUBLIC_URL``) staff open by scanning."""
    return absolute_url("admin_checkin.scan", t=checkin_token(registration))


def read_checkin_token(token: str | None) -> tuple[int, str] | None:
    """(registration id, salt prefix) of a genuine token, else None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        registration_id, salt_prefix = _serializer().loads(token)
    except (BadSignature, TypeError, ValueError):
        return None
    if not isinstance(registration_id, int) or not isinstance(salt_prefix, str):
        return None
    return registration_id, salt_prefix


def registration_matches(registration: Registration | None, salt_prefix: str) -> bool:
    """Does the token's salt prefix still name ``registration`` (not erased,
    private link not renewed)?"""
    return (
        registration is not None
        and registration.anonymised_at is None
        and registration.token_salt.startswith(salt_prefix)
    )
