"""Requests that change something carry an HTML form, nothing else.

Every page posts a form (``application/x-www-form-urlencoded``, or
``multipart/form-data``) and none takes a file; the JSON API only reads.
Flask-WTF, though, also reads a JSON body, and a multipart body's files,
as form data: a JSON list, a number where a name goes or a file in a text
field reached the forms' filters as something other than text (a 500).
Such a request is refused before any view: 415 for another kind of body,
400 for a file, each with the French error page.
"""

from __future__ import annotations

from flask import Flask, abort, request

FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def refuse_bodies_that_are_not_forms() -> None:
    """``before_request``: abort unless the body is a form without files
    (or there is no body at all)."""
    if request.method in READING_METHODS:
        return
    mimetype = request.mimetype
    if mimetype and mimetype not in FORM_TYPES:
        abort(415)
    if mimetype == "multipart/form-data" and request.files:
        abort(400)


def install_body_check(app: Flask) -> None:
    app.before_request(refuse_bodies_that_are_not_forms)
