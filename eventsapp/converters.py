"""URL converters for the public URL map."""

from __future__ import annotations

from werkzeug.routing import BaseConverter, IntegerConverter

from eventsapp.text import LARGEST_ID


class SlugConverter(BaseConverter):
    """A slug as python-slugify makes them: letters, digits and hyphens.

    Anything else (a dot, a NUL byte, a slash) is a 404 before any query,
    and ``/events/<slug>.ics`` can later sit beside ``/events/<slug>``.
    """

    regex = r"[A-Za-z0-9][A-Za-z0-9_-]{0,219}"


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: a row id, so a number no primary key can
    hold (PostgreSQL's INTEGER stops at 2**31 - 1; SQLite refuses anything
    past 2**63 - 1) is a 404 before any query, not a database error."""

    def __init__(self, map: object, *args: object, **kwargs: object) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(map, *args, **kwargs)  # type: ignore[arg-type]
