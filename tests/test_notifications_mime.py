"""The e-mail bytes written without a MIME tree (``notifications.mime``)
read exactly as the ones ``email``'s generator writes, and every other shape
still goes through the generator."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from email.utils import formatdate

import pytest
from flask import Flask

from eventsapp.notifications.mime import write_simple_message
from eventsapp.notifications.transport import _SMTP_COMPAT32, OutgoingMessage

SENDER = "eventsapp <ne-pas-repondre@eventsapp.localhost>"
TEXT = "Bonjour Aïssata,\n\nVous êtes inscrit·e à « Ciné-débat ».\n\n-- \nÀ bientôt\n"
HTML = "<p>Bonjour Aïssata,</p>\r\n<p>Vous êtes inscrit·e à « Ciné-débat ».</p>\n"


def _message(**overrides: object) -> OutgoingMessage:
    fields: dict = {
        "subject": "Rappel : « Ciné-débat de l'ESS n° 12 » approche, venez nombreux·ses",
        "recipients": ["personne@exemple.fr"],
        "body": TEXT,
        "html": HTML,
        "sender": SENDER,
        "reply_to": "Camille Martin <camille@exemple.org>",
        "extra_headers": {
            "Auto-Submitted": "auto-generated",
            "List-Unsubscribe": "<http://127.0.0.1:5000/reminders/stop/WzEsIjAwIl0.boEeda4>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        "date": 1795000000.0,
    }
    fields.update(overrides)
    message = OutgoingMessage(**fields)
    message.msgId = "<outbox-7.0123456789abcdef@eventsapp.localhost>"
    return message


def _read(raw: bytes):  # noqa: ANN202
    return BytesParser(policy=policy.default).parsebytes(raw)


def _generated(message: OutgoingMessage) -> bytes:
    return message._message().as_bytes(policy=_SMTP_COMPAT32)


def _assert_same_reading(fast: bytes, generated: bytes) -> None:
    assert b"\n" not in fast.replace(b"\r\n", b"")  # CRLF only
    assert max(len(line) for line in fast.split(b"\r\n")) <= 998
    ours, theirs = _read(fast), _read(generated)
    # Flask-Mail lists the recipients from a set, in any order; ours keep theirs.
    assert sorted(map(str, ours["To"].addresses)) == sorted(map(str, theirs["To"].addresses))
    for name in (
        "Subject",
        "From",
        "Date",
        "Message-ID",
        "Reply-To",
        "Auto-Submitted",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
    ):
        assert ours[name] == theirs[name], name
    assert not ours.defects
    for subtype in ("plain", "html"):
        our_part = ours.get_body(preferencelist=(subtype,))
        their_part = theirs.get_body(preferencelist=(subtype,))
        if their_part is None or their_part.get_content_subtype() != subtype:
            assert our_part is None or our_part.get_content_subtype() != subtype
            continue
        assert our_part.get_content() == their_part.get_content()
        assert our_part["Content-Transfer-Encoding"] == their_part["Content-Transfer-Encoding"]
        assert our_part.get_content_charset() == "utf-8"
        assert not our_part.defects


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"html": None},
        {"subject": "Rappel", "body": "Hello\nworld\n", "html": "<p>Hello</p>"},
        {"sender": "Réseau des CRESS <ne-pas-repondre@eventsapp.localhost>", "reply_to": None},
        {"recipients": ["Aïssata Diallo <aissata@exemple.fr>", "b@exemple.fr"]},
        {"body": "ligne 1\rligne 2\r\nligne 3", "html": "<p>\u00e9</p>"},
        {"subject": "", "extra_headers": None},
        {"body": "x" * 998 + "\n" + "y" * 10},
    ],
    ids=[
        "reminder",
        "text-only",
        "ascii",
        "named-sender",
        "two-recipients",
        "line-ends",
        "no-subject",
        "longest-line",
    ],
)
def test_the_common_shape_reads_as_the_generator_writes_it(app: Flask, overrides: dict) -> None:
    with app.app_context():
        message = _message(**overrides)
        assert write_simple_message(message, formatdate(message.date, localtime=True)) is not None
        fast = message.as_bytes()
        _assert_same_reading(fast, _generated(message))


def test_the_parts_are_alternatives_in_one_multipart(app: Flask) -> None:
    with app.app_context():
        received = _read(_message().as_bytes())
    assert received.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in received.iter_parts()] == ["text/plain", "text/html"]
    assert received.get_body(preferencelist=("plain",))["Content-Transfer-Encoding"] == "8bit"


def test_a_boundary_never_appears_in_a_part(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first boundary drawn is in the text: another is drawn."""
    from eventsapp.notifications import mime

    drawn = iter(["aa" * 10, "bb" * 10])
    monkeypatch.setattr(mime.secrets, "token_hex", lambda _n: next(drawn))
    with app.app_context():
        message = _message(body=f"avant\n--==============={'aa' * 10}==\naprès\n")
        raw = message.as_bytes()
    assert b'boundary="===============' + b"bb" * 10 + b'=="' in raw
    text = _read(raw).get_body(preferencelist=("plain",)).get_content()
    assert text.replace("\r\n", "\n") == message.body


@pytest.mark.parametrize(
    "overrides",
    [
        {"cc": ["copie@exemple.fr"]},
        {"attachments": None},  # replaced below: one attachment
        {"body": "x" * 999},
        {"extra_headers": {"X-Note": "déjà"}},
        {"subject": "Rappel\r\nBcc: victime@exemple.fr"},
        {"subject": "Rappel\x0bBcc: victime@exemple.fr"},
        {"charset": "iso-8859-1"},
        {"alts": {"html": HTML, "markdown": "*x*"}},
    ],
    ids=[
        "cc",
        "attachment",
        "line-too-long",
        "non-ascii-header",
        "newline-in-subject",
        "vertical-tab-in-subject",
        "charset",
        "alts",
    ],
)
def test_other_shapes_are_left_to_the_generator(app: Flask, overrides: dict) -> None:
    with app.app_context():
        message = _message(**overrides)
        if "attachments" in overrides:
            message.attach("agenda.ics", "text/calendar", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
        if "alts" in overrides:
            message.html = None
            message.alts = overrides["alts"]
        assert write_simple_message(message, formatdate(message.date, localtime=True)) is None
        if "subject" not in overrides:  # a bad header is refused before writing, by the connection
            raw = message.as_bytes()
            assert max(len(line) for line in raw.split(b"\r\n")) <= 998
            assert _read(raw)["Message-ID"] == message.msgId


@pytest.mark.parametrize(
    "address",
    [
        "personne@exemple.fr",
        "prenom.nom+ess@sous.exemple.fr",
        "Camille Martin <camille@exemple.org>",
        "Réseau des CRESS <contact@cress.fr>",
        ("Aïssata Diallo", "aissata@exemple.fr"),
        "contact@économie-sociale.fr",
        '"Martin, Camille" <camille@exemple.org>',
    ],
)
def test_addresses_are_encoded_as_flask_mail_encodes_them(address) -> None:
    from flask_mail import sanitize_address

    from eventsapp.notifications.mime import encode_address

    assert encode_address(address) == sanitize_address(address, "utf-8")


def test_one_line_leaves_no_line_break_nor_control_character() -> None:
    """Subjects go through ``text.one_line``: Word's line break (\\x0b),
    form feed, file separators, paragraph separators and CR/LF would split
    a header where ``str.splitlines`` splits (the generator does)."""
    from eventsapp.text import one_line

    pasted = "Rappel\x0b: venez\u2028nombreux \r\n Bcc: x@y.fr\x0c\x1c\x00fin"
    assert one_line(pasted) == "Rappel : venez nombreux Bcc: x@y.fr fin"
    assert len(one_line(pasted).splitlines()) == 1
    assert one_line("Ciné-débat\u00a0: «\u202fDemain\u202f»") == "Ciné-débat\u00a0: «\u202fDemain\u202f»"
