"""HTTP validators of the feeds, and the cache of built feeds.

The ETag and Last-Modified of a feed come from one aggregate query over the
same rows (count, latest change, sums of ids and sequences): a conditional
request is answered without loading or building anything, and a built feed is
cached under its ETag, so any change to an event in it (which moves
``updated_at``), an event entering or leaving it, or a new SEQUENCE gives a
new key. Old entries are never read again and expire on their own.

Calendar clients poll feeds all day long, nearly always for nothing: the
validators of public feeds are also remembered under the catalog version of
the page cache and the current minute, so most conditional requests are
answered with no query at all. The personal feed is not: its token must be
checked against the database at every request (it may have been revoked).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from flask_babel import get_locale

from eventsapp.caching import cache_get, cache_set, catalog_version
from eventsapp.calendars.ical import build_calendar
from eventsapp.calendars.service import FeedSpec

# Raise when the builder's output changes, so no client keeps an old copy
# under an unchanged ETag.
FEED_FORMAT = "1"
# Built feeds are cached under their ETag: they can never be stale, only
# unused, so this only bounds the space they take.
BUILT_FEED_SECONDS = 3600
# Remembered validators are keyed by the minute: a little more than one.
STATE_MEMO_SECONDS = 90


@dataclass(frozen=True)
class FeedState:
    """A feed's validators: ``etag`` (strong, unquoted) and ``last_modified``
    (the latest change of what it holds; None for an empty feed)."""

    etag: str
    last_modified: datetime | None


def feed_state(spec: FeedSpec) -> FeedState:
    """The feed's ETag and Last-Modified, from one aggregate query."""
    fingerprint = spec.fingerprint()
    config = current_app.config
    # Everything else the bytes depend on: the format, the links' host, the language.
    material = repr(
        (FEED_FORMAT, config["PUBLIC_URL"], config.get("ICAL_UID_DOMAIN"), str(get_locale()), spec.key)
        + fingerprint
    )
    digest = hashlib.sha256(material.encode()).hexdigest()[:32]
    moments = [_as_utc(value) for value in fingerprint if isinstance(value, datetime)]
    return FeedState(etag=digest, last_modified=max(moments, default=None))


def _as_utc(moment: datetime | None) -> datetime | None:
    # max() keeps the column's type (UTCDateTime), but be sure: stored times are UTC.
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _current_minute() -> int:
    return int(time.time() // 60)


def state_memo_key(identity: str) -> str:
    """Where the validators of the public feed ``identity`` ("campaign:<slug>",
    …) are remembered: under the catalog version (replaced after every commit
    that touches public data, see ``eventsapp/caching.py``), read *before* the
    data, and the current minute (the feed window moves with time)."""
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
    return f"ical-state:{catalog_version()}:{_current_minute()}:{get_locale()}:{digest}"


def recall_state(memo_key: str) -> FeedState | None:
    """The validators remembered under ``memo_key``, if any."""
    state = cache_get(memo_key)
    return state if isinstance(state, FeedState) else None


def remember_state(memo_key: str, state: FeedState) -> None:
    """Keep the validators until the data or the minute changes: a feed
    client's conditional request is then answered without any query."""
    cache_set(memo_key, state, timeout=STATE_MEMO_SECONDS)


def feed_body(spec: FeedSpec, state: FeedState) -> bytes:
    """The feed's bytes: from the cache of built feeds, else built and kept."""
    key = f"ical:{state.etag}"
    body = cache_get(key)
    if body is None:
        body = build_calendar(spec.info, spec.entries())
        cache_set(key, body, timeout=BUILT_FEED_SECONDS)
    return body
