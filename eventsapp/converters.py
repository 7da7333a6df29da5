"""URL converters for the public URL map."""

from __future__ import annotations

from werkzeug.routing import BaseConverter


class SlugConverter(BaseConverter):
    """A slug as python-slugify makes them: letters, digits and hyphens.

    Anything else (a dot, a NUL byte, a slash) is a 404 before any query,
    and ``/events/<slug>.ics`` can later sit beside ``/events/<slug>``.
    """

    regex = r"[A-Za-z0-9][A-Za-z0-9_-]{0,219}"
