"""Text folded for searching: "Château-Gontier" and "chateau gontier" match.

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
