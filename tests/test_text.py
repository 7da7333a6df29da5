"""Folding text for search."""

import pytest

from eventsapp.text import fold


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Château-Gontier", "chateau gontier"),
        ("L’Œuvre d’Économie", "l oeuvre d economie"),
        ("  ÉCOLE   élémentaire ", "ecole elementaire"),
        ("Saint-Étienne-du-Rouvray", "saint etienne du rouvray"),
        ("100% récup'", "100 recup"),
        ("", ""),
        (None, ""),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded
