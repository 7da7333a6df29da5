"""The strings an English catalogue would translate are all extracted:
``babel.cfg`` covers every template and module that calls gettext."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

ROOT = Path(__file__).resolve().parent.parent
# How a template or module asks for a translation.
_TRANSLATED = re.compile(r"(?<![\w.])(_|_l|gettext|ngettext|lazy_gettext)\(")


def _extracted() -> tuple[set[str], set[str]]:
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    files, messages = set(), set()
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords={"_": None, "_l": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None},
    ):
        files.add(filename)
        messages.update(message if isinstance(message, tuple) else (message,))
    return files, messages


def test_every_file_that_asks_for_translations_is_extracted():
    files, _messages = _extracted()
    candidates = [*(ROOT / "eventsapp").rglob("*.py"), *(ROOT / "templates").rglob("*")]
    asking = {
        str(path.relative_to(ROOT))
        for path in candidates
        if path.is_file() and _TRANSLATED.search(path.read_text(encoding="utf-8"))
    }
    assert asking - files == set()


def test_the_plain_text_emails_strings_are_extracted():
    """Only the text part of an e-mail says this (its HTML has a button)."""
    _files, messages = _extracted()
    assert "Voir, modifier ou annuler mon inscription :" in messages
