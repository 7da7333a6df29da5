"""Personal feed tokens: one revocable private link per e-mail address.

The token is HMAC-SHA256(SECRET_KEY, "calendar-feed:" + salt), the salt being
random and kept with the feed; only the token's SHA-256 is stored and looked
up (as for the registrations' links, ``registrations/tokens.py``). The token
can be derived again, so every confirmation e-mail and the person's own page
can show the link; a new salt revokes the old link at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from eventsapp.calendars.models import CalendarFeed
from eventsapp.db import now_utc
from eventsapp.errors import NotFound
from eventsapp.extensions import db
from eventsapp.links import absolute_url
from eventsapp.registrations.tokens import hash_token, new_token_salt

# What ``_derive_feed_token`` makes: 43 URL-safe base64 characters.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")


def _derive_feed_token(salt: str) -> str:
    """The feed's token for ``salt``: 43 URL-safe characters (256 bits), not
    the same as any registration link made from the same salt."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"calendar-feed:{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def feed_token(feed: CalendarFeed) -> str:
    """The current private token of ``feed`` (derived again, never stored)."""
    return _derive_feed_token(feed.token_salt)


def personal_feed_url(feed: CalendarFeed) -> str:
    """The absolute address of the person's feed."""
    return absolute_url("calendars.personal_feed", token=feed_token(feed))


def _normalise_email(email: str) -> str:
    return email.strip().lower()


def find_feed(email: str) -> CalendarFeed | None:
    """The feed of this e-mail address, if one was made."""
    if not email:
        return None
    return db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.email == _normalise_email(email)))


def _new_salt(feed: CalendarFeed) -> None:
    feed.token_salt = new_token_salt()
    feed.token_hash = hash_token(_derive_feed_token(feed.token_salt))


def ensure_feed(email: str) -> CalendarFeed:
    """The feed of ``email``, made now if there is none. Flushes, never commits.

    Two transactions may make it at once (two e-mails sent in parallel): the
    unique address makes one of them fail in its savepoint, and it then reads
    the other's row.
    """
    email = _normalise_email(email)
    if not email:
        raise ValueError("a personal feed needs an e-mail address")
    feed = find_feed(email)
    if feed is not None:
        return feed
    feed = CalendarFeed(email=email)
    _new_salt(feed)
    try:
        with db.session.begin_nested():
            db.session.add(feed)
    except IntegrityError:
        existing = find_feed(email)
        if existing is None:
            raise
        return existing
    return feed


def renew_feed(email: str) -> CalendarFeed:
    """A new token for the feed of ``email`` (made if missing); the old link
    stops working at once. Flushes, never commits."""
    feed = find_feed(email)
    if feed is None:
        return ensure_feed(email)
    _new_salt(feed)
    feed.renewed_at = now_utc()
    db.session.flush()
    return feed


def get_feed_by_token(token: str) -> CalendarFeed:
    """The feed behind ``token``; ``NotFound`` for a malformed, unknown or
    revoked token (the same answer for all)."""
    if not TOKEN_PATTERN.fullmatch(token or ""):
        raise NotFound("calendar feed")
    feed = db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.token_hash == hash_token(token)))
    if feed is None:
        raise NotFound("calendar feed")
    return feed


def forget_feed(email: str) -> bool:
    """Delete the feed of ``email`` (erasure of personal data: the address is
    personal data, and the link then gives 404). Flushes, never commits."""
    feed = find_feed(email)
    if feed is None:
        return False
    db.session.delete(feed)
    db.session.flush()
    return True
