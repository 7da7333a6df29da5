"""Exports of an event's registrants: CSV, XLSX and the printable sign-in
sheet (feuille d'émargement).

- CSV for French spreadsheets: UTF-8 with a byte-order mark and ``;``
  between fields (Excel in French reads ``,`` as the decimal comma and
  opens a BOM-less file as Windows-1252);
- XLSX with openpyxl: real numbers and dates, a bold frozen header;
- both: one column per question of the event (answers as read: Oui/Non,
  choices joined), sessions, status, seats, category, structure, the
  registration's date in the event's time zone; the rows the list's filter
  selects (``?status=…``, the same query arguments), by last name;
- the sign-in sheet: the people holding seats (of one session with
  ``?session=``), by last name, an empty signature column, A4 print CSS.

Text typed by the public is never run as a formula: in the CSV a cell
starting with ``= + - @`` gets a leading apostrophe (unless it is only
digits and ``+ - ( ) .``, a phone number, which no spreadsheet can turn into
a call), and XLSX cells are typed as strings.

These are personal data: every route requires ``Permission.REGISTRANTS``
of the event's organisation, and the back-office's responses are
``Cache-Control: private, no-store`` (``blueprints._never_cached``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from eventsapp.accounts.permissions import Permission
from eventsapp.admin import registrants_filters as filtering
from eventsapp.admin.access import get_own_event, requires
from eventsapp.admin.blueprints import admin_blueprint
from eventsapp.catalog.models import Event
from eventsapp.db import now_utc
from eventsapp.formatting import local_time
from eventsapp.registrations.models import SEAT_HOLDING_STATUSES, Registration, RegistrationStatus

blueprint = admin_blueprint("admin_exports", __name__, "/events/<int:event_id>/registrants")

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ONLY_NUMBERS = re.compile(r"^[0-9+().\s-]*$")
# Empty lines at the end of the sign-in sheet, for people who come unannounced.
BLANK_SIGN_IN_ROWS = 8


def answer_text(value: object) -> str:
    """An answer as read: "Oui"/"Non", choices joined, or the text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Oui") if value else _("Non")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


@dataclass(frozen=True)
class ExportTable:
    headers: list[str]
    rows: list[list[object]]  # str, int or datetime (naive, event's local time)


def _person(registration: Registration) -> tuple[str, str]:
    if registration.anonymised_at is not None:
        return _("(données effacées)"), ""
    return registration.last_name, registration.first_name


def export_table(event: Event, registrations: Sequence[Registration], checked_in: set[int]) -> ExportTable:
    """The rows of an export, in the order given."""
    questions = list(event.questions)
    headers = [
        _("Nom"),
        _("Prénom"),
        _("E-mail"),
        _("Téléphone"),
        _("Structure"),
        _("Catégorie"),
        _("Places"),
        _("Ateliers"),
        _("Statut"),
        _("Pointé·e"),
        _("Inscrit·e le (%(zone)s)", zone=event.timezone),
        *[question.label for question in questions],
    ]
    rows: list[list[object]] = []
    for registration in registrations:
        last_name, first_name = _person(registration)
        erased = registration.anonymised_at is not None
        answers = {answer.question_id: answer.value for answer in registration.answers}
        rows.append(
            [
                last_name,
                first_name,
                "" if erased else registration.email,
                registration.phone or "",
                registration.structure or "",
                registration.category.label,
                registration.seats,
                ", ".join(session.title for session in registration.sessions),
                registration.status.label,
                _("Oui") if registration.id in checked_in else _("Non"),
                local_time(registration.created_at, event.timezone).replace(tzinfo=None, microsecond=0),
                *[answer_text(answers.get(question.id)) for question in questions],
            ]
        )
    return ExportTable(headers=headers, rows=rows)


def _csv_cell(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    text = str(value)
    if text.startswith(_FORMULA_START) and not _ONLY_NUMBERS.match(text):
        return "'" + text
    return text


def to_csv(table: ExportTable) -> bytes:
    """UTF-8 with a BOM, ``;``-separated, CRLF lines: what French Excel opens as is."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([_csv_cell(header) for header in table.headers])
    for row in table.rows:
        writer.writerow([_csv_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(table: ExportTable, title: str) -> bytes:
    """One sheet: bold frozen header, dates as dates, every text a string."""
    workbook = Workbook()
    sheet = workbook.active
    # Sheet titles: 31 characters, none of []:*?/\
    sheet.title = re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Inscrits"
    sheet.append(table.headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row_number, row in enumerate(table.rows, start=2):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=row_number, column=column)
            if isinstance(value, str):
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
                cell.data_type = "s"  # "=…" typed by someone stays text, never a formula
            else:
                cell.value = value
                if isinstance(value, datetime):
                    cell.number_format = "dd/mm/yyyy hh:mm"
    sheet.freeze_panes = "A2"
    for column, header in enumerate(table.headers, start=1):
        longest = max([len(str(header))] + [len(_csv_cell(row[column - 1])) for row in table.rows[:500]])
        sheet.column_dimensions[get_column_letter(column)].width = min(max(10, longest + 2), 60)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _filename(event: Event, extension: str) -> str:
    return f"inscrits-{event.slug}-{local_time(now_utc(), event.timezone):%Y%m%d}.{extension}"


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _selected(event: Event) -> tuple[list[Registration], set[int]]:
    filters = filtering.parse_filters(request.args, event)
    registrations = filtering.load_registrations(filtering.matching_ids(event.id, filters))
    return registrations, filtering.checked_in_ids(registration.id for registration in registrations)


@blueprint.get("/export.csv")
@requires(Permission.REGISTRANTS)
def export_csv(event_id: int) -> ResponseReturnValue:
    """The registrants the list's filter selects, as CSV for French Excel."""
    event = get_own_event(event_id)
    table = export_table(event, *_selected(event))
    return _download(to_csv(table), CSV_TYPE, _filename(event, "csv"))


@blueprint.get("/export.xlsx")
@requires(Permission.REGISTRANTS)
def export_xlsx(event_id: int) -> ResponseReturnValue:
    """The same as an Excel workbook (openpyxl)."""
    event = get_own_event(event_id)
    table = export_table(event, *_selected(event))
    return _download(to_xlsx(table, event.title), XLSX_TYPE, _filename(event, "xlsx"))


def sign_in_registrations(event: Event, session_id: int | None) -> list[Registration]:
    """Who is expected: seats held (of one session if given), by last name."""
    filters = filtering.RegistrantFilters(session_id=session_id)
    registrations = filtering.load_registrations(filtering.matching_ids(event.id, filters))
    return [registration for registration in registrations if registration.status in SEAT_HOLDING_STATUSES]


@blueprint.get("/emargement")
@requires(Permission.REGISTRANTS)
def sign_in_sheet(event_id: int) -> ResponseReturnValue:
    """The printable sign-in sheet (A4), optionally for one session."""
    event = get_own_event(event_id)
    filters = filtering.parse_filters(request.args, event)
    session = next((item for item in event.sessions if item.id == filters.session_id), None)
    registrations = sign_in_registrations(event, session.id if session else None)
    return render_template(
        "admin/registrants/sign_in_sheet.html",
        event=event,
        session=session,
        registrations=registrations,
        seats=sum(registration.seats for registration in registrations),
        blank_rows=BLANK_SIGN_IN_ROWS,
        show_sessions=bool(event.sessions) and session is None,
        Pending=RegistrationStatus.PENDING,
        person=_person,
    )
