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

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode
from uuid import uuid4

import sqlalchemy as sa
from flask import current_app, request
from flask_babel import get_locale
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from eventsapp.extensions import cache

logger = logging.getLogger(__name__)

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


def cache_get(key: str) -> Any:
    """``cache.get`` that answers None when the cache is down (Redis
    stopped): a page is then built, not refused."""
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 - any backend error: the cache is optional
        logger.warning("Cache unavailable: could not read %s", key, exc_info=True)
        return None


def cache_set(key: str, value: Any, timeout: int | None = None) -> None:
    """``cache.set`` that gives up quietly when the cache is down."""
    try:
        cache.set(key, value, timeout=timeout)
    except Exception:  # noqa: BLE001 - any backend error: the cache is optional
        logger.warning("Cache unavailable: could not write %s", key, exc_info=True)


def catalog_version() -> str:
    """The current catalog version (created on first use); "unavailable"
    when the cache is down (nothing is cached then anyway)."""
    try:
        version = cache.get(CATALOG_VERSION_KEY)
        if version is None:
            cache.add(CATALOG_VERSION_KEY, uuid4().hex, timeout=0)
            version = cache.get(CATALOG_VERSION_KEY) or "none"
    except Exception:  # noqa: BLE001 - any backend error: the cache is optional
        logger.warning("Cache unavailable: no catalog version", exc_info=True)
        return "unavailable"
    return version


def bump_catalog_version() -> None:
    """Make every cached public page stale."""
    cache.set(CATALOG_VERSION_KEY, uuid4().hex, timeout=0)


def _current_minute() -> int:
    return int(time.time() // 60)


def public_page_cache_key(query_parameters: Iterable[str]) -> str:
    """The cache key of the current request's public page.

    Only the query parameters the page reads are part of it (their first
    value, as the page reads them), so tracking parameters such as
    ``utm_source`` share one entry instead of each forcing a new rendering.
    """
    args = request.args
    used = sorted((name, args[name]) for name in query_parameters if name in args)
    target = f"{request.path}?{urlencode(used)}"
    digest = hashlib.sha256(target.encode()).hexdigest()
    return f"page:{catalog_version()}:{_current_minute()}:{get_locale()}:{digest}"


def cached_public_page(query_parameters: Iterable[str] = ()) -> Callable[[Callable], Callable]:
    """Decorator: cache a public GET view's page for ``CACHE_DEFAULT_TIMEOUT``
    seconds at most, keyed by ``public_page_cache_key``. The undecorated view
    stays reachable as ``view.uncached``."""
    parameters = tuple(query_parameters)
    return cache.cached(make_cache_key=lambda *_args, **_kwargs: public_page_cache_key(parameters))


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
        # Only public tables matter (an outbox row is not on any page); a
        # statement whose table is not plain is assumed to touch them.
        name = getattr(getattr(state.statement, "table", None), "name", None)
        if name is None or name in PUBLIC_TABLES:
            state.session.info[_DIRTY_FLAG] = True


def _after_commit(session: Session) -> None:
    if session.info.pop(_DIRTY_FLAG, False) and current_app:
        try:
            bump_catalog_version()
        except Exception:  # noqa: BLE001 - the commit succeeded; pages expire anyway
            current_app.logger.exception("Could not invalidate the public page cache")


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    # Only the outermost transaction's end forgets the flag: a rolled-back
    # savepoint does not undo what the enclosing transaction will commit.
    if transaction.parent is None:
        session.info.pop(_DIRTY_FLAG, None)


def install_invalidation_hooks() -> None:
    """Listen on every ORM session (once per process)."""
    if sa.event.contains(Session, "after_commit", _after_commit):
        return
    sa.event.listen(Session, "after_flush", _after_flush)
    sa.event.listen(Session, "do_orm_execute", _on_orm_execute)
    sa.event.listen(Session, "after_commit", _after_commit)
    sa.event.listen(Session, "after_transaction_end", _after_transaction_end)
