"""Cache of public pages, invalidated when public data changes.

Anonymous visitors all see the same agenda, so its rendered HTML is cached per
URL. Every cache key carries the *catalog version*: a random token replaced
after each commit that touched public data (events, sessions, campaigns,
organisations, registrations — seats left are shown). Old entries are then
never read again and expire on their own. The version lives in the cache
backend (Redis in production, files under ``instance/`` in the embedded
mode), so a change committed by a Celery worker reaches every web process.

Keys also carry the current minute: what only time changes (an event that has
ended, registrations that closed) shows within a minute. The version is read
*before* the data, so a page is never stored under a version older than the
data it shows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from uuid import uuid4

import sqlalchemy as sa
from flask import current_app, request
from flask_babel import get_locale
from sqlalchemy.orm import ORMExecuteState, Session

from eventsapp.extensions import cache

CATALOG_VERSION_KEY = "catalog-version"
# Tables whose rows appear on public pages.
PUBLIC_TABLES = frozenset(
    {
        "organisations",
        "campaigns",
        "events",
        "sessions",
        "event_audiences",
        "event_themes",
        "themes",
        "registrations",
        "registration_sessions",
    }
)
_DIRTY_FLAG = "public_data_changed"


def catalog_version() -> str:
    """The current catalog version (created on first use)."""
    version = cache.get(CATALOG_VERSION_KEY)
    if version is None:
        cache.add(CATALOG_VERSION_KEY, uuid4().hex, timeout=0)
        version = cache.get(CATALOG_VERSION_KEY) or "none"
    return version


def bump_catalog_version() -> None:
    """Make every cached public page stale."""
    cache.set(CATALOG_VERSION_KEY, uuid4().hex, timeout=0)


def public_page_cache_key(*_args: object, **_kwargs: object) -> str:
    """The cache key of the current request's public page."""
    minute = int(time.time() // 60)
    return f"page:{catalog_version()}:{minute}:{get_locale()}:{request.full_path}"


def cached_public_page(view: Callable) -> Callable:
    """Cache a public GET view's rendered page under ``public_page_cache_key``
    (for ``CACHE_DEFAULT_TIMEOUT`` seconds at most)."""
    return cache.cached(make_cache_key=public_page_cache_key)(view)


def _touches_public_data(session: Session) -> bool:
    for instance in (*session.new, *session.dirty, *session.deleted):
        table = getattr(instance, "__table__", None)
        if table is not None and table.name in PUBLIC_TABLES:
            return True
    return False


def _after_flush(session: Session, _flush_context: object) -> None:
    if _touches_public_data(session):
        session.info[_DIRTY_FLAG] = True


def _on_orm_execute(state: ORMExecuteState) -> None:
    # Bulk INSERT/UPDATE/DELETE statements bypass the flush.
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_DIRTY_FLAG] = True


def _after_commit(session: Session) -> None:
    if session.info.pop(_DIRTY_FLAG, False) and current_app:
        bump_catalog_version()


def _after_rollback(session: Session) -> None:
    session.info.pop(_DIRTY_FLAG, None)


def install_invalidation_hooks() -> None:
    """Listen on every ORM session (once per process)."""
    if sa.event.contains(Session, "after_commit", _after_commit):
        return
    sa.event.listen(Session, "after_flush", _after_flush)
    sa.event.listen(Session, "do_orm_execute", _on_orm_execute)
    sa.event.listen(Session, "after_commit", _after_commit)
    sa.event.listen(Session, "after_rollback", _after_rollback)
