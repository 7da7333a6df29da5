"""Text helpers: folded for searching ("Château-Gontier" and "chateau
gontier" match), and on one line for e-mail headers.

Databases compare accents and (SQLite, beyond ASCII) case literally, so the
searchable columns keep a folded copy of the text and queries fold what the
person typed the same way.
"""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str | None) -> str:
    """Lower-case ASCII words separated by single spaces: accents, case,
    punctuation and ligatures ("œ" → "oe") do not matter."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    stripped = stripped.replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    return _NOT_WORD.sub(" ", stripped).strip()


def is_plain_digits(value: str) -> bool:
    """ASCII digits only: ``str.isdigit`` alone accepts "²" or "٣", which
    ``int`` then refuses (a 500 from a query string)."""
    return value.isascii() and value.isdigit()


# The largest id a table's primary key holds (PostgreSQL's INTEGER).
LARGEST_ID = 2**31 - 1


def parse_id(raw: str | None) -> int | None:
    """The row id a query string or a form names, or None when it is not one:
    not plain digits, zero, or past what a primary key holds (PostgreSQL
    refuses such a number in a query: a 500 otherwise)."""
    raw = (raw or "").strip()
    if not is_plain_digits(raw) or len(raw) > len(str(LARGEST_ID)):
        return None
    value = int(raw)
    return value if 0 < value <= LARGEST_ID else None


# Control characters, and what ``str.splitlines`` also breaks lines on.
LINE_BREAKING = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def one_line(text: str) -> str:
    """``text`` on one line: every control character, line or paragraph
    separator ("\\x0b", Word's line break, pasted into an e-mail subject)
    becomes a space, and spaces do not pile up; non-breaking spaces stay.
    A header written with such a character would split where
    ``str.splitlines`` splits, and spill into the message."""
    return re.sub(" {2,}", " ", LINE_BREAKING.sub(" ", text)).strip()
