"""One-time links to set a password (invitations and resets).

Why signed tokens rather than stored ones: an itsdangerous token signed with
``SECRET_KEY`` names the account, the purpose and a fingerprint of the
account's state (password hash, session version, address, active flag), and
carries its own time stamp. So:

- **one-time**: setting a password changes the hash (a new random salt every
  time) and bumps the session version, so every link issued before, used or
  not, stops matching;
- **limited in time**: an invitation lasts ``INVITATION_MAX_AGE``, a reset
  ``RESET_MAX_AGE``, counted from when the e-mail was composed;
- **nothing secret at rest**: no token table to leak or to clean up, and the
  outbox only records "send an invitation to user 12"; the link is made by
  the task when the e-mail is composed;
- **revocable** by bumping the account's session version, or deactivating it.

The fingerprint is an HMAC (keyed with ``SECRET_KEY``), so the readable
payload tells nothing about the password hash.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from eventsapp.accounts.models import User
from eventsapp.db import now_utc
from eventsapp.extensions import db

INVITATION_MAX_AGE = timedelta(days=7)
RESET_MAX_AGE = timedelta(hours=2)
_SALT = "eventsapp.accounts.set-password"
# Long enough for the payload; anything longer is not one of our tokens.
MAX_TOKEN_LENGTH = 400


class Purpose(enum.StrEnum):
    INVITATION = "invitation"
    RESET = "reset"


MAX_AGES = {Purpose.INVITATION: INVITATION_MAX_AGE, Purpose.RESET: RESET_MAX_AGE}


class InvalidToken(Exception):
    """The link is unknown, altered, already used or for a disabled account."""


class ExpiredToken(InvalidToken):
    """The link was genuine but is too old."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def state_fingerprint(user: User) -> str:
    """Changes whenever the password, the session version, the address or the
    active flag of ``user`` changes."""
    state = f"{user.id}|{user.session_version}|{user.password_hash or '-'}|{user.email}|{user.is_active}"
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, state.encode(), hashlib.sha256).hexdigest()[:32]


def make_token(user: User, purpose: Purpose) -> str:
    """A link token letting the holder set ``user``'s password once."""
    return _serializer().dumps({"u": user.id, "p": Purpose(purpose).value, "f": state_fingerprint(user)})


def read_token(token: str) -> tuple[User, Purpose]:
    """The account and purpose of a valid token; raises ``ExpiredToken`` or
    ``InvalidToken`` otherwise."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken
    longest = max(MAX_AGES.values())
    try:
        payload, signed_at = _serializer().loads(
            token, max_age=int(longest.total_seconds()), return_timestamp=True
        )
    except SignatureExpired as error:
        raise ExpiredToken from error
    except BadSignature as error:
        raise InvalidToken from error
    if not isinstance(payload, dict):
        raise InvalidToken
    try:
        purpose = Purpose(payload.get("p"))
        user_id = int(payload.get("u"))
    except (TypeError, ValueError) as error:
        raise InvalidToken from error
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        raise InvalidToken
    if not hmac.compare_digest(str(payload.get("f", "")), state_fingerprint(user)):
        raise InvalidToken
    if now_utc() - signed_at > MAX_AGES[purpose]:
        raise ExpiredToken
    return user, purpose
