"""Signed links that name one registration for one purpose (stop its
reminders, check it in at the door), instead of its private link.

They are signed with ``SECRET_KEY`` (itsdangerous, a salt per purpose)
rather than stored: each names a registration and can do nothing alone, so
it may travel where the private link (which can cancel) must not: a mail
header, a QR code shown at a door. The token carries the first characters
of the registration's private-link salt, so an erased registration (its
salt renewed) has dead links.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from eventsapp.registrations.models import Registration

# Longer than any genuine token: anything beyond is refused unread.
MAX_TOKEN_LENGTH = 200
_SALT_PREFIX_LENGTH = 8


class RegistrationSigner:
    """Tokens of one purpose (``purpose`` is itsdangerous's salt)."""

    def __init__(self, purpose: str) -> None:
        self.purpose = purpose

    def _serializer(self) -> URLSafeSerializer:
        return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=self.purpose)

    def token(self, registration: Registration) -> str:
        """The token naming ``registration``."""
        return self._serializer().dumps([registration.id, registration.token_salt[:_SALT_PREFIX_LENGTH]])

    def read(self, token: str | None) -> tuple[int, str] | None:
        """(registration id, salt prefix) of a genuine token, else None."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        try:
            registration_id, salt_prefix = self._serializer().loads(token)
        except (BadSignature, TypeError, ValueError):
            return None
        if not isinstance(registration_id, int) or not isinstance(salt_prefix, str):
            return None
        return registration_id, salt_prefix


def still_names(registration: Registration | None, salt_prefix: str) -> bool:
    """Does a token's salt prefix still name ``registration`` (not erased,
    private link not renewed)?"""
    return (
        registration is not None
        and registration.anonymised_at is None
        and registration.token_salt.startswith(salt_prefix)
    )
