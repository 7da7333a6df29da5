"""The dev mailbox's files: the ``.eml`` files the embedded mode writes
(``transport.write_eml``), listed and read for ``notifications/views.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

# The names ``transport.write_eml`` gives (about 35 characters); a longer one
# is no message of ours, and past the file system's limit a 500.
MAILBOX_NAME = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_.-]{0,95}\.eml\Z")


# The dev mailbox's files ---------------------------------------------------


@dataclass(frozen=True)
class MailboxEntry:
    name: str
    date: datetime | None
    recipient: str
    subject: str


@dataclass(frozen=True)
class MailboxMessage:
    entry: MailboxEntry
    sender: str
    reply_to: str
    html: str | None
    text: str | None


def _entry(name: str, parsed: EmailMessage) -> MailboxEntry:
    date_header = parsed["date"]
    return MailboxEntry(
        name=name,
        date=getattr(date_header, "datetime", None),
        recipient=str(parsed["to"] or ""),
        subject=str(parsed["subject"] or ""),
    )


def mailbox_entries(directory: Path, limit: int = 200) -> list[MailboxEntry]:
    """The newest ``limit`` messages written by the file backend, newest first."""
    if not directory.is_dir():
        return []
    paths = [path for path in directory.glob("*.eml") if path.is_file() and MAILBOX_NAME.match(path.name)]
    paths.sort(key=lambda path: (path.stat().st_mtime, path.name), reverse=True)
    parser = BytesParser(policy=policy.default)
    entries = []
    for path in paths[:limit]:
        with path.open("rb") as handle:
            entries.append(_entry(path.name, parser.parse(handle, headersonly=True)))
    return entries


def read_mailbox_message(directory: Path, name: str) -> MailboxMessage | None:
    """The message ``name`` of the file backend, or None if there is none."""
    if not MAILBOX_NAME.match(name):
        return None
    path = directory / name
    if not path.is_file():
        return None
    parsed = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    html_part = parsed.get_body(preferencelist=("html",))
    text_part = parsed.get_body(preferencelist=("plain",))
    return MailboxMessage(
        entry=_entry(name, parsed),
        sender=str(parsed["from"] or ""),
        reply_to=str(parsed["reply-to"] or ""),
        html=html_part.get_content() if html_part is not None else None,
        text=text_part.get_content() if text_part is not None else None,
    )
