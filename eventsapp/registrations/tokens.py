"""Tokens of the registrants' private links.

A token is HMAC-SHA256(SECRET_KEY, salt), the salt being 32 random bytes kept
with the registration. Only the token's SHA-256 is stored and looked up: a
copy of the database alone gives no working link. Because the token can be
derived again, every later e-mail (promotion, reminder) carries the link; a
new salt revokes it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import current_app


def new_token_salt() -> str:
    """A fresh random salt (a new salt revokes the previous link)."""
    return secrets.token_urlsafe(32)


def derive_token(salt: str) -> str:
    """The private token for ``salt``: 43 URL-safe characters (256 bits)."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"registration-link:{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hash_token(token: str) -> str:
    """What is stored and looked up: the SHA-256 of the token, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()
