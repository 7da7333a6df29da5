"""Filters and globals shared by every template."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, request
from flask_babel import get_locale

from eventsapp.formatting import format_clock, format_day, format_moment, format_span
from eventsapp.territories.departments import department_name


def url_with_query(**changes: object) -> str:
    """The current URL with some query parameters changed (None removes one);
    used by pagination links so they keep the filters."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    query = urlencode(args, doseq=True)
    return f"{request.path}?{query}" if query else request.path


def install_template_helpers(app: Flask) -> None:
    app.jinja_env.filters.update(
        day=format_day,
        clock=format_clock,
        moment=format_moment,
        span=format_span,
        department_name=department_name,
    )
    app.jinja_env.globals.update(url_with_query=url_with_query, get_locale=get_locale)
