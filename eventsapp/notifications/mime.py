"""Writing an e-mail's bytes without building a MIME tree, for the common
shape: a plain-text part, or plain text and HTML alternatives, in UTF-8,
without attachments (every reminder, most notices).

``email``'s generator walks a tree of ``Message`` objects, re-encodes and
re-folds every header of every part and compiles a regular expression for
each boundary: about a fifth of a worker's CPU time per reminder
(bench/reminders.py). The bytes written here are what it would write for
that shape (same headers, same transfer encodings: ``7bit`` or ``8bit``,
CRLF line ends), without the outer ``multipart/mixed`` Flask-Mail adds
even when nothing is attached. Anything else (attachments, copies, another
charset, a line longer than SMTP's 998 bytes that needs quoted-printable, a
header that needs encoding or folding) returns None, and the caller uses the
generator. ``tests/test_notifications_mime.py`` parses both outputs and
compares them.
"""

from __future__ import annotations

import re
import secrets
from functools import lru_cache

from flask_mail import Message, sanitize_address, sanitize_subject

from eventsapp.text import LINE_BREAKING

# RFC 5322: a line is at most 998 bytes (without its CRLF).
LONGEST_LINE = 998
_NEWLINES = re.compile(r"\r\n|\r|\n")


# A bare ASCII address, which Flask-Mail's encoding leaves as it is.
_BARE_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


def encode_address(address: str | tuple[str, str]) -> str:
    """An address as Flask-Mail's ``sanitize_address`` writes it (a name in
    RFC 2047, an international domain in IDNA), for headers and the SMTP
    envelope: a bare ASCII address as it is, others parsed once (the sender
    and the organisers' reply-to addresses repeat in a batch)."""
    if isinstance(address, str) and _BARE_ADDRESS.fullmatch(address):
        return address
    return _encoded_address(address)


@lru_cache(maxsize=1024)
def _encoded_address(address: str | tuple[str, str]) -> str:
    return sanitize_address(address, "utf-8")


def is_sendable_address(address: str | tuple[str, str]) -> bool:
    """Whether ``address`` can be written in an SMTP envelope or header:
    encoded (a name in RFC 2047, an accented domain in IDNA), it is ASCII.
    Not when its local part has accents (SMTPUTF8 would be needed) or its
    domain cannot be written in IDNA (an empty or over-long label)."""
    try:
        return encode_address(address).isascii()
    except UnicodeError:
        return False


@lru_cache(maxsize=1024)
def _encoded_subject(subject: str) -> str:
    """The subject as Flask-Mail encodes it (RFC 2047 words when it is not
    ASCII, already folded under 78 characters), with SMTP's line ends."""
    return sanitize_subject(subject, "utf-8").replace("\n", "\r\n")


def _text_part(text: str) -> tuple[bytes, str] | None:
    """The part's body with CRLF line ends and its transfer encoding, or
    None when a line is longer than SMTP allows (quoted-printable, left to
    the generator)."""
    body = _NEWLINES.sub("\r\n", text).encode("utf-8")
    if len(body) > LONGEST_LINE and max(map(len, body.split(b"\r\n"))) > LONGEST_LINE:
        return None
    return body, "7bit" if body.isascii() else "8bit"


def _plain_header(name: str, value: str) -> str | None:
    """``name: value`` when it can go out as it is (ASCII, one line, not too
    long), else None."""
    line = f"{name}: {value}"
    if not line.isascii() or not line.isprintable() or len(line) > LONGEST_LINE:
        return None
    return line


def write_simple_message(message: Message, date: str) -> bytes | None:
    """The bytes of ``message`` (with ``date``, already formatted, and its
    ``msgId``) when it has the common shape described above, else None."""
    charset = (message.charset or "utf-8").lower().replace("_", "-")
    alternatives = set(message.alts)
    if message.attachments or message.cc or charset != "utf-8" or alternatives - {"html"}:
        return None
    plain = _text_part(message.body or "")
    html = _text_part(message.alts["html"]) if alternatives else None
    if plain is None or (alternatives and html is None):
        return None
    lines: list[str | None] = []
    subject = message.subject or ""
    if subject:
        if LINE_BREAKING.search(subject):  # left to the generator
            return None
        lines.append(f"Subject: {_encoded_subject(subject)}")
        if max(map(len, lines[-1].split("\r\n"))) > LONGEST_LINE:
            return None
    recipients = dict.fromkeys(encode_address(address) for address in message.recipients)
    lines += [
        _plain_header("From", encode_address(message.sender)),
        _plain_header("To", ", ".join(recipients)),
        _plain_header("Date", date),
        _plain_header("Message-ID", message.msgId),
    ]
    if message.reply_to:
        lines.append(_plain_header("Reply-To", encode_address(message.reply_to)))
    lines += [_plain_header(name, value) for name, value in (message.extra_headers or {}).items()]
    if None in lines:
        return None
    headers = "\r\n".join(lines).encode("ascii")  # type: ignore[arg-type]
    if html is None:
        body, encoding = plain
        head = (
            'Content-Type: text/plain; charset="utf-8"\r\nMIME-Version: 1.0\r\n'
            f"Content-Transfer-Encoding: {encoding}\r\n"
        ).encode("ascii")
        return head + headers + b"\r\n\r\n" + body
    boundary = _boundary(plain[0], html[0])
    delimiter = b"\r\n--" + boundary
    return b"".join(
        (
            b'Content-Type: multipart/alternative; boundary="' + boundary + b'"\r\nMIME-Version: 1.0\r\n',
            headers,
            b"\r\n\r\n--",
            boundary,
            _part_head("plain", plain[1]),
            plain[0],
            delimiter,
            _part_head("html", html[1]),
            html[0],
            delimiter,
            b"--\r\n",
        )
    )


def _part_head(subtype: str, encoding: str) -> bytes:
    return (
        f'\r\nContent-Type: text/{subtype}; charset="utf-8"\r\nMIME-Version: 1.0\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    ).encode("ascii")


def _boundary(*bodies: bytes) -> bytes:
    """A random boundary found in none of the parts (as the generator's)."""
    while True:
        boundary = f"==============={secrets.token_hex(10)}==".encode("ascii")
        if not any(boundary in body for body in bodies):
            return boundary
