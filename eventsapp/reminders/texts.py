"""The texts of reminders (and of organisers' messages): placeholders,
default texts, checking an organiser's text, filling it in for a person.

Only ``{name}`` is a placeholder, filled by a plain substitution (never
``str.format``: a format spec such as ``{prenom:>2000000000}`` would build a
huge e-mail).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask_babel import gettext as _

from eventsapp.formatting import format_span
from eventsapp.registrations.links import registration_page_url
from eventsapp.registrations.models import Registration
from eventsapp.reminders.models import ReminderRule
from eventsapp.text import one_line

# What a rule's texts may use, in braces: {prenom}, {evenement}…
PLACEHOLDERS = {
    "prenom": "first name",
    "nom": "last name",
    "evenement": "event title",
    "date": "date and time, in the event's time zone",
    "lieu": "place",
    "lien": "the person's own page",
    "questionnaire": "the survey link of a thank-you",
}
# A placeholder: a name in braces, nothing else (no format spec).
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


# Default texts ---------------------------------------------------------------


def default_rule_texts(days: int | None) -> tuple[str, str]:
    """Subject and body of the default "J-<days>" reminder (``days`` None:
    an offset in hours or minutes, the subject does not count days)."""
    if days == 1:
        subject = _("Rappel : « {evenement} », c'est demain")
    elif days:
        subject = _("Rappel : « {evenement} » dans %(days)d jours", days=days)
    else:
        subject = _("Rappel : « {evenement} » approche")
    body = _(
        "Vous êtes inscrit·e à « {evenement} », le {date}.\n"
        "Lieu : {lieu}\n\n"
        "Si vous ne pouvez plus venir, annulez votre inscription pour laisser votre place "
        "à quelqu'un d'autre : {lien}\n\n"
        "À bientôt !"
    )
    return subject, body


def default_thanks_texts(with_survey: bool) -> tuple[str, str]:
    """Subject and body of a thank-you sent after the event (asking for the
    person's opinion when there is a survey)."""
    subject = _("Merci d'être venu·e à « {evenement} »")
    if with_survey:
        return subject, _(
            "Merci d'avoir participé à « {evenement} ».\n"
            "Votre avis nous aide à préparer les prochains événements : {questionnaire}\n\n"
            "À bientôt !"
        )
    return subject, _("Merci d'avoir participé à « {evenement} ».\n\nÀ bientôt !")


def text_problem(text: str, limit: int, known: Iterable[str]) -> str | None:
    """What is wrong with an organiser's text with placeholders (in French):
    empty, longer than ``limit``, a brace that does not close a plain
    ``{name}``, a name not in ``known``; None when it is fine. Shared by
    reminder rules and messages. Only ``{name}`` is a placeholder: no format
    specs (``{prenom:>2000000000}`` would make a huge e-mail)."""
    if not text or not text.strip():
        return _("Ce texte ne peut pas être vide.")
    if len(text) > limit:
        return _("%(max)d caractères au plus.", max=limit)
    outside = _PLACEHOLDER.sub("", text)
    if "{" in outside or "}" in outside:
        return _("Une accolade n'est pas fermée : écrivez par exemple {prenom}.")
    known = list(known)
    unknown = [name for name in _PLACEHOLDER.findall(text) if name not in known]
    if unknown:
        return _(
            "Champ inconnu : {%(name)s}. Champs possibles : %(known)s.",
            name=unknown[0],
            known=", ".join(f"{{{name}}}" for name in known),
        )
    return None


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """``text`` with each ``{name}`` of ``values`` replaced (any other brace
    left as typed)."""
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


# Rendering -------------------------------------------------------------------


def placeholder_values(
    rule: ReminderRule, registration: Registration, *, when: str | None = None, page_url: str | None = None
) -> dict[str, str]:
    """What each placeholder of ``rule`` says for ``registration``. ``when``
    (the event's dates as ``format_span`` writes them) and ``page_url`` (the
    person's private link), when the caller has them already: the mailer
    does, for the rest of the e-mail."""
    event = registration.event
    place = ", ".join(
        part
        for part in (
            event.venue_name,
            event.venue_address,
            " ".join(p for p in (event.venue_postcode, event.commune) if p),
        )
        if part
    )
    return {
        "prenom": registration.first_name,
        "nom": registration.last_name,
        "evenement": event.title,
        "date": when if when is not None else format_span(event.starts_at, event.ends_at, event.timezone),
        "lieu": place or (_("en ligne") if event.online_url else ""),
        "lien": page_url if page_url is not None else registration_page_url(registration),
        "questionnaire": rule.survey_url or "",
    }


def render_reminder(
    rule: ReminderRule, registration: Registration, *, when: str | None = None, page_url: str | None = None
) -> tuple[str, str]:
    """The subject and plain-text body of ``rule`` for ``registration``
    (``when`` and ``page_url`` as for ``placeholder_values``)."""
    values = placeholder_values(rule, registration, when=when, page_url=page_url)
    return filled_texts(rule.subject, rule.body, values)


def filled_texts(subject: str, body: str, values: dict[str, str]) -> tuple[str, str]:
    """``subject`` and ``body`` with their placeholders filled in: the
    subject on one line (``text.one_line``), the body with plain line ends.
    Reminders and organisers' messages alike."""
    filled_body = fill_placeholders(body, values)
    return one_line(fill_placeholders(subject, values)), filled_body.replace("\r\n", "\n").replace("\r", "\n")
