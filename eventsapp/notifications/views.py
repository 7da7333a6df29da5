"""The dev mailbox: the e-mails written by the file backend, listed and shown.

Only when ``MAIL_BACKEND`` is "file" (the embedded mode of ``make run``) or
the app runs in debug mode; a 404 otherwise, so production never shows it.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request
from markupsafe import Markup, escape

from eventsapp.notifications.mailbox import mailbox_entries, read_mailbox_message

blueprint = Blueprint("notifications", __name__)

_URL = re.compile(r"https?://[^\s<>\"']+")
_TRAILING = ".,;:!?)»"


def _mail_dir() -> Path:
    return Path(current_app.config["MAIL_FILE_DIR"])


def mailbox_open() -> bool:
    """The dev mailbox shows every e-mail sent, password links included:
    only in the embedded mode writing mail to files, or in debug mode, and
    only to the machine itself (a laptop's `make run`)."""
    config = current_app.config
    local_mode = (config.get("EMBEDDED_MODE") and config.get("MAIL_BACKEND") == "file") or current_app.debug
    return bool(local_mode) and request.remote_addr in ("127.0.0.1", "::1")


@blueprint.before_request
def _only_in_development() -> None:
    if not mailbox_open():
        abort(404)


def linkify(text: str) -> Markup:
    """Plain text, escaped, with its web addresses made links."""
    parts: list[Markup] = []
    position = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        parts.append(escape(text[position : match.start()]))
        parts.append(Markup('<a href="{0}">{0}</a>').format(url))
        position = match.start() + len(url)
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


def framed_document(html: str) -> str:
    """The message's HTML for a sandboxed iframe, its links opening in the
    page itself (the iframe runs no script)."""
    base = '<base target="_top">'
    if re.search(r"<head[^>]*>", html, flags=re.IGNORECASE):
        return re.sub(r"(<head[^>]*>)", r"\1" + base, html, count=1, flags=re.IGNORECASE)
    return base + html


@blueprint.get("/dev/mailbox")
def mailbox():
    """The messages, newest first: date, recipient, subject."""
    return render_template(
        "notifications/mailbox.html",
        entries=mailbox_entries(_mail_dir()),
        directory=str(_mail_dir()),
        zone=current_app.config["TIMEZONE"],
    )


@blueprint.get("/dev/mailbox/<name>")
def mailbox_message(name: str):
    """One message: its headers, its HTML part in a sandboxed frame and its
    text part with clickable links."""
    message = read_mailbox_message(_mail_dir(), name)
    if message is None:
        abort(404)
    return render_template(
        "notifications/mailbox_message.html",
        message=message,
        document=framed_document(message.html) if message.html else None,
        text=linkify(message.text) if message.text else None,
        zone=current_app.config["TIMEZONE"],
    )
