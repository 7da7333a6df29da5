"""Filters and globals shared by every template."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

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


def safe_url(url: str | None) -> str | None:
    """``url`` if it is a web address; None for anything a link must not
    carry (``javascript:``, ``data:``…), so organisers' text cannot run script."""
    if not url:
        return None
    scheme = urlsplit(url.strip()).scheme.lower()
    return url.strip() if scheme in ("http", "https") else None


def paragraphs(text: str | None) -> list[str]:
    """Text split into paragraphs on blank lines, whatever the line endings."""
    normalised = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return [" ".join(block.split("\n")).strip() for block in normalised.split("\n\n") if block.strip()]


def install_template_helpers(app: Flask) -> None:
    """Register the filters and globals every template may use."""
    app.jinja_env.filters.update(
        day=format_day,
        clock=format_clock,
        moment=format_moment,
        span=format_span,
        department_name=department_name,
        safe_url=safe_url,
        paragraphs=paragraphs,
    )
    app.jinja_env.globals.update(url_with_query=url_with_query, get_locale=get_locale)
