"""Requests that change something carry an HTML form, not JSON nor files.

Every page posts a form and none takes a file; the JSON API only reads.
Flask-WTF, though, also reads a JSON body, and a multipart body's files,
as form data: a JSON list, a number where a name goes or a file in a text
field reached the forms' filters as something other than text (a 500).
Such a request is refused before its view: 415 for JSON, 400 for a file,
each with the French error page. Any other body goes on (a form reads
nothing from it and says what is missing): mail clients send RFC 8058's
one-click unsubscribe as ``text/plain`` or with no type at all.
"""

from __future__ import annotations

from flask import Flask, abort, request

READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def refuse_json_and_files() -> None:
    """``before_request``: abort a JSON body (415) or one carrying files
    (400); an unknown address or method keeps its own 404 or 405."""
    if request.method in READING_METHODS or request.routing_exception is not None:
        return
    if request.is_json:
        abort(415)
    if request.mimetype == "multipart/form-data" and request.files:
        abort(400)


def install_body_check(app: Flask) -> None:
    """Check every request's body before its view (and before CSRF)."""
    app.before_request(refuse_json_and_files)
