"""Enumerations whose members carry a French label for the UI.

Values are stable slugs: they are stored in the database and appear in URLs.
"""

from __future__ import annotations

import enum

from flask_babel import LazyString

# Each enum's labels, built once: they are lazy strings, translated when shown.
_LABELS: dict[type, dict[str, LazyString]] = {}


class LabelledEnum(enum.StrEnum):
    """A string enum with a translatable label per member.

    Subclasses define ``_labels()`` returning a mapping member value → lazy
    French label.
    """

    @classmethod
    def _labels(cls) -> dict[str, LazyString]:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def label(self) -> str:
        labels = _LABELS.get(type(self))
        if labels is None:
            labels = _LABELS[type(self)] = self._labels()
        return str(labels[self.value])

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """(value, label) pairs in declaration order, for select fields."""
        return [(member.value, member.label) for member in cls]

    @classmethod
    def from_value(cls, value: str | None) -> LabelledEnum | None:
        """The member with this value, or None when there is none."""
        try:
            return cls(value) if value else None
        except ValueError:
            return None
