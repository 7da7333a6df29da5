"""Exports of an event's registrants (issue 6, point 4): CSV for French
Excel and XLSX read back with the csv module and openpyxl, one column per
question, dates in the event's time zone, no formula from the public; the
sign-in sheet sorted by last name; personal data for the organisation's
registrant managers only, never cached."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import openpyxl
import pytest

from eventsapp.accounts.models import Role
from eventsapp.catalog.models import EventQuestion
from eventsapp.catalog.vocabulary import QuestionKind
from eventsapp.checkin.models import CheckIn
from eventsapp.extensions import db
from eventsapp.registrations.models import ParticipantCategory, RegistrationAnswer, RegistrationStatus
from tests.accounts_support import client_for, make_member, text
from tests.factories import EventFactory, OrganisationFactory, RegistrationFactory, SessionFactory

R = RegistrationStatus
# 20 July 2026 at 08:05 UTC is 10:05 in Paris (summer time).
SIGNED_UP_AT = datetime(2026, 7, 20, 8, 5, tzinfo=UTC)


@pytest.fixture
def exported(db_session):
    organisation = OrganisationFactory(name="Club ESS de la Sarthe")
    editor = make_member(organisation, Role.EDITOR)
    event = EventFactory(organisation=organisation, title="Journée de l'ESS", slug="journee-ess-2026")
    atelier = SessionFactory(event=event, title="Atelier emploi")
    meal = EventQuestion(
        event=event, label="Repas", kind=QuestionKind.SINGLE_CHOICE, choices=["Végétarien", "Sans porc"],
        position=1,
    )  # fmt: skip
    themes = EventQuestion(
        event=event, label="Thèmes", kind=QuestionKind.MULTIPLE_CHOICE, choices=["Emploi", "Mobilité"],
        position=2,
    )  # fmt: skip
    wheelchair = EventQuestion(event=event, label="Fauteuil ?", kind=QuestionKind.YES_NO, position=3)
    db.session.add_all([meal, themes, wheelchair])
    db.session.flush()
    elodie = RegistrationFactory(
        event=event, first_name="Élodie", last_name="Lefèvre", email="elodie@exemple.fr",
        structure="=HYPERLINK(\"http://pirate.example\",\"clic\")", seats=2,
        category=ParticipantCategory.SALARIE_ESS, created_at=SIGNED_UP_AT, phone="+33 6 12 34 56 78",
    )  # fmt: skip
    elodie.sessions = [atelier]
    elodie.answers = [
        RegistrationAnswer(question_id=meal.id, value="Végétarien"),
        RegistrationAnswer(question_id=themes.id, value=["Emploi", "Mobilité"]),
        RegistrationAnswer(question_id=wheelchair.id, value=True),
    ]
    RegistrationFactory(event=event, first_name="Jean", last_name="Dupont", email="jean@exemple.fr",
                        status=R.WAITLISTED, waitlist_position=1)  # fmt: skip
    RegistrationFactory(event=event, first_name="Zoé", last_name="Zola", status=R.CANCELLED)
    db.session.add(CheckIn(event_id=event.id, registration_id=elodie.id))
    db.session.commit()
    return event, editor


def csv_rows(response) -> list[dict[str, str]]:
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM French Excel needs
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_csv_for_french_excel_with_a_column_per_question(app, exported):
    event, editor = exported
    response = client_for(app, editor.user).get(f"/admin/events/{event.id}/registrants/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert re.fullmatch(
        r'attachment; filename="inscrits-journee-ess-2026-\d{8}\.csv"',
        response.headers["Content-Disposition"],
    )
    rows = csv_rows(response)
    assert [row["Nom"] for row in rows] == ["Dupont", "Lefèvre", "Zola"]
    elodie = rows[1]
    assert elodie["Prénom"] == "Élodie" and elodie["E-mail"] == "elodie@exemple.fr"
    assert elodie["Places"] == "2" and elodie["Ateliers"] == "Atelier emploi"
    assert elodie["Statut"] == "Confirmée" and elodie["Pointé·e"] == "Oui"
    assert elodie["Catégorie"] == "Salarié·e de l'ESS"
    assert elodie["Inscrit·e le (Europe/Paris)"] == "20/07/2026 10:05"
    assert (elodie["Repas"], elodie["Thèmes"], elodie["Fauteuil ?"]) == (
        "Végétarien",
        "Emploi, Mobilité",
        "Oui",
    )
    # Typed by the public, never run as a formula; a phone number stays as is.
    assert elodie["Structure"] == '\'=HYPERLINK("http://pirate.example","clic")'
    assert elodie["Téléphone"] == "+33 6 12 34 56 78"
    assert rows[0]["Statut"] == "Liste d'attente" and rows[0]["Repas"] == "" and rows[0]["Pointé·e"] == "Non"


def test_exports_follow_the_list_s_filter(app, exported):
    event, editor = exported
    client = client_for(app, editor.user)
    rows = csv_rows(client.get(f"/admin/events/{event.id}/registrants/export.csv?status=active&q=dupont"))
    assert [row["Nom"] for row in rows] == ["Dupont"]
    html = text(client.get(f"/admin/events/{event.id}/registrants/?status=active"))
    assert f"/admin/events/{event.id}/registrants/export.csv?status=active" in html


def test_xlsx_read_back_with_openpyxl(app, exported):
    event, editor = exported
    response = client_for(app, editor.user).get(f"/admin/events/{event.id}/registrants/export.xlsx")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    headers = list(rows[0])
    assert headers[-3:] == ["Repas", "Thèmes", "Fauteuil ?"]
    records = [dict(zip(headers, row, strict=True)) for row in rows[1:]]
    assert [record["Nom"] for record in records] == ["Dupont", "Lefèvre", "Zola"]
    elodie = records[1]
    assert elodie["Places"] == 2  # a number, not text
    assert elodie["Inscrit·e le (Europe/Paris)"] == datetime(2026, 7, 20, 10, 5)
    assert elodie["Thèmes"] == "Emploi, Mobilité" and elodie["Fauteuil ?"] == "Oui"
    structure = sheet.cell(row=3, column=headers.index("Structure") + 1)
    assert structure.value == '=HYPERLINK("http://pirate.example","clic")' and structure.data_type == "s"
    assert sheet.freeze_panes == "A2"


def test_the_sign_in_sheet_lists_the_expected_people_by_last_name(app, db_session):
    organisation = OrganisationFactory()
    owner = make_member(organisation, Role.OWNER)
    event = EventFactory(
        organisation=organisation, title="Petit déjeuner de l'ESS", venue_name="Maison des associations"
    )
    atelier = SessionFactory(event=event, title="Atelier A")
    for first, last in [
        ("Marc", "Zola"),
        ("Émile", "émery"),
        ("Anne", "Dupont"),
        ("Luc", "Martin"),
        ("Bea", "Étienne"),
    ]:
        RegistrationFactory(event=event, first_name=first, last_name=last)
    RegistrationFactory(event=event, first_name="Pas", last_name="Confirmée", status=R.PENDING).sessions = [
        atelier
    ]
    RegistrationFactory(event=event, first_name="Attend", last_name="Encore", status=R.WAITLISTED)
    RegistrationFactory(event=event, first_name="Plus", last_name="Venue", status=R.CANCELLED)
    db.session.commit()
    response = client_for(app, owner.user).get(f"/admin/events/{event.id}/registrants/emargement")
    html = text(response)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    rows = re.findall(r'<td class="last-name">([^<]*)</td>', html)
    listed = [name for name in rows if name]
    assert listed == ["Confirmée", "Dupont", "émery", "Étienne", "Martin", "Zola"]
    assert "Encore" not in html and "Venue" not in html
    assert "Petit déjeuner de l'ESS" in html and "Maison des associations" in html
    assert "@page { size: A4" in html and "break-inside: avoid" in html
    assert '<th scope="col" class="signature">Signature</th>' in html
    # One session's sheet.
    html = text(
        client_for(app, owner.user).get(
            f"/admin/events/{event.id}/registrants/emargement?session={atelier.id}"
        )
    )
    listed = [name for name in re.findall(r'<td class="last-name">([^<]*)</td>', html) if name]
    assert listed == ["Confirmée"] and "Atelier A" in html


def test_exports_only_for_the_organisation_s_registrant_managers(app, exported):
    event, _editor = exported
    staff = make_member(event.organisation, Role.CHECKIN)
    outsider = make_member(OrganisationFactory(), Role.OWNER)
    db.session.commit()
    for path in ("export.csv", "export.xlsx", "emargement"):
        full = f"/admin/events/{event.id}/registrants/{path}"
        assert client_for(app, staff.user).get(full).status_code == 403
        response = client_for(app, outsider.user).get(full)
        assert response.status_code == 404 and b"elodie@exemple.fr" not in response.get_data()
        assert client_for(app, None).get(full).status_code == 302
