"""The figures' pages (issue 7, points 3, 4 and 5): dashboards for the
coordinator and the organiser, charts with their tables, filters, CSV and
XLSX exports, the printable bilan, the event's panel, and the public figures
(page and JSON) with small counts hidden and no personal data.

They run on the world of ``tests/test_reports.py``, whose figures are known.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from eventsapp.accounts.models import Role
from eventsapp.catalog.models import Campaign, Event
from eventsapp.catalog.vocabulary import EventKind
from eventsapp.checkin.models import CheckIn, WalkIn
from eventsapp.demo.seed import campaign_slug, seed_demo
from eventsapp.extensions import db
from eventsapp.registrations.models import ParticipantCategory as P
from eventsapp.registrations.models import Registration
from eventsapp.registrations.models import RegistrationStatus as S
from eventsapp.reports.public import _protect, hidden
from eventsapp.reports.report import build_report
from eventsapp.reports.scope import ReportScope
from tests.accounts_support import client_for, make_member, text
from tests.factories import CampaignFactory, EventFactory, OrganisationFactory, RegistrationFactory
from tests.test_reports import SECRET_NAME, World, build_world


@pytest.fixture
def world(db_session) -> World:
    return build_world()


@pytest.fixture
def coordinator(app, world):
    member = make_member(world.campaign.coordinator, Role.EDITOR)
    return client_for(app, member.user)


@pytest.fixture
def organiser_a(app, world):
    member = make_member(world.org_a, Role.OWNER)
    return client_for(app, member.user)


def csv_rows(response) -> list[list[str]]:
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=";"))


def table_html(page: str, caption_id: str) -> str:
    match = re.search(rf'<caption id="{caption_id}-titre">.*?</table>', page, re.S)
    assert match, caption_id
    return match.group(0)


def test_campaign_dashboard_for_its_coordinator(coordinator, world):
    response = coordinator.get(f"/admin/reports/campaigns/{world.campaign.id}/")
    assert response.status_code == 200
    page = text(response)
    assert response.headers["Cache-Control"] == "private, no-store"
    # Key figures, the charts (SVG drawn on the server) and their tables.
    assert page.count("<svg") == 3 and 'role="img"' in page
    departments = table_html(page, "tableau-departements")
    assert '<th scope="col"' in departments and '<th scope="row">53 · Mayenne</th>' in departments
    # The department table's line for Mayenne: E1's figures, attendance 34.
    assert re.search(r"53 · Mayenne</th>(.*?)</tr>", departments, re.S).group(1).count(">34<") >= 2
    assert "Club ESS Alpha" in page and "Coopérative Bêta" in page
    assert SECRET_NAME not in page and "Lycée Réaumur" not in page
    assert "Mois de l'ESS test 2025" in page  # year on year


def test_the_dashboard_is_refused_outside_the_coordination(organiser_a, world):
    response = organiser_a.get(f"/admin/reports/campaigns/{world.campaign.id}/")
    assert response.status_code == 404


def test_organiser_dashboard_shows_only_its_own_events(organiser_a, world):
    page = text(organiser_a.get(f"/admin/reports/?campaign={world.campaign.id}"))
    events = table_html(page, "tableau-evenements")
    assert world.events["e1"].title in events and world.events["e2"].title in events
    assert world.events["e3"].title not in events  # Bêta's
    assert "Coopérative Bêta" not in page


def test_filters_and_their_errors(coordinator, world):
    url = f"/admin/reports/campaigns/{world.campaign.id}/"
    page = text(coordinator.get(url, query_string={"department": "53"}))
    events = table_html(page, "tableau-evenements")
    assert world.events["e1"].title in events and world.events["e2"].title not in events
    response = coordinator.get(url, query_string={"from": "hier", "kind": "karaoke", "department": "53"})
    assert response.status_code == 200
    page = text(response)
    assert "Date de début invalide" in page and "Type d'événement inconnu" in page
    assert 'aria-describedby="filtre-from-erreur"' in page
    # The valid filter still applies.
    assert world.events["e2"].title not in table_html(page, "tableau-evenements")


def test_csv_export_has_the_tables_figures(coordinator, world):
    response = coordinator.get(
        f"/admin/reports/campaigns/{world.campaign.id}/export", query_string={"table": "departements"}
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = csv_rows(response)
    header = rows[0]
    mayenne = dict(zip(header, next(row for row in rows if row[0].startswith("53")), strict=True))
    assert mayenne["Places inscrites"] == "42" and mayenne["Participation"] == "34"
    assert mayenne["Taux d'absence (%)"] == "20,6"  # 7 / 34
    total = dict(zip(header, rows[-1], strict=True))
    assert total["Participation"] == "44" and total["Événements"] == "3"
    unknown = coordinator.get(f"/admin/reports/campaigns/{world.campaign.id}/export?table=personnes")
    assert unknown.status_code == 404


def test_csv_cells_never_run_as_formulas(organiser_a, world):
    world.events["e1"].title = '=HYPERLINK("http://mal.example")'
    db.session.flush()
    rows = csv_rows(organiser_a.get("/admin/reports/export?table=evenements"))
    titles = [row[0] for row in rows[1:]]
    assert '\'=HYPERLINK("http://mal.example")' in titles


def test_xlsx_export_has_every_table(coordinator, world):
    response = coordinator.get(f"/admin/reports/campaigns/{world.campaign.id}/export?format=xlsx&kind=forum")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    assert {"Chiffres clés", "Par département", "Par type d'événement", "Événements et participation"} <= set(
        workbook.sheetnames
    )
    sheet = workbook["Par département"]
    header = [cell.value for cell in sheet[1]]
    le_mans = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert le_mans["Département"] == "72 · Sarthe" and le_mans["Participation"] == 10
    assert le_mans["Taux d'absence"] == pytest.approx(4 / 7)
    assert sheet.max_row == 3  # Sarthe and the total: the kind filter applies


def test_printable_bilan(coordinator, world):
    response = coordinator.get(f"/admin/reports/campaigns/{world.campaign.id}/bilan")
    assert response.status_code == 200
    page = text(response)
    assert "size: A4" in page and "@media print" in page
    assert page.count("<svg") == 3
    assert "bilan-departements-types" in page
    for name in ("e1", "e2", "e3", "e4"):
        assert world.events[name].title in page
    assert world.events["e5"].title not in page  # a draft
    assert SECRET_NAME not in page


def test_organiser_exports_and_bilan(organiser_a, world):
    assert organiser_a.get("/admin/reports/bilan").status_code == 200
    rows = csv_rows(organiser_a.get("/admin/reports/export"))
    assert rows[0] == ["Chiffre", "Valeur"]
    figures = dict(rows[1:])
    # Alpha's own events in every campaign: E1, E2, E6 (another campaign) and
    # E7 (previous edition); E4 cancelled apart, E5 a draft.
    assert figures["Places inscrites"] == str(42 + 7 + 6 + 10)
    assert figures["Événements annulés (à part)"] == "1"


def test_event_page_shows_its_figures_panel(organiser_a, world):
    page = text(organiser_a.get(f"/admin/events/{world.events['e2'].id}/"))
    assert 'id="chiffres-evenement"' in page
    assert "Atelier coopératives" in page and "83,3" in page  # the workshop's no-show rate 5/6
    assert "57,1" in page  # the event's 4/7


def test_nothing_in_a_campaign(app, world):
    member = make_member(world.empty.coordinator, Role.OWNER)
    client = client_for(app, member.user)
    response = client.get(f"/admin/reports/campaigns/{world.empty.id}/")
    assert response.status_code == 200
    assert "Aucun événement publié ne correspond" in text(response)
    assert client.get(f"/admin/reports/campaigns/{world.empty.id}/bilan").status_code == 200
    assert client.get(f"/admin/reports/campaigns/{world.empty.id}/export?format=xlsx").status_code == 200
    assert text(client.get(f"/campaigns/{world.empty.slug}/chiffres")).count("Pas encore de chiffres") == 3


# --- Public figures ---------------------------------------------------------


def test_small_counts_are_hidden_and_cannot_be_subtracted():
    assert [hidden(value) for value in (0, 1, 4, 5, 120)] == [0, None, None, 5, 120]
    rows = _protect(
        [
            {"confirmed": 40, "attendance": 3},
            {"confirmed": 12, "attendance": 30},
            {"confirmed": 7, "attendance": 9},
        ]
    )
    # One hidden attendance (3): the smallest other (9) is hidden too.
    assert [row["attendance"] for row in rows] == [None, 30, None]
    assert [row["confirmed"] for row in rows] == [40, 12, 7]


def test_public_figures_page_and_json(client, world):
    page_response = client.get(f"/campaigns/{world.campaign.slug}/chiffres")
    assert page_response.status_code == 200
    assert page_response.headers["Cache-Control"] == "public, max-age=300"
    page = text(page_response)
    response = client.get(f"/api/v1/campaigns/{world.campaign.slug}/stats")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "public, max-age=300"
    data = response.get_json()
    assert data["threshold"] == 5
    assert data["totals"] == {"events": 3, "cancelled_events": 1, "confirmed": 44, "attendance": 44}
    departments = {row["code"]: row for row in data["by_department"]}
    # Guyane: 3 confirmed, 0 came. 3 is hidden; Sarthe's 7 goes too (else 44 − 34 − 7).
    assert departments["973"] == {
        "code": "973",
        "name": "Guyane",
        "events": 1,
        "confirmed": None,
        "attendance": 0,
    }
    assert departments["72"]["confirmed"] is None and departments["72"]["attendance"] == 10
    assert departments["53"]["confirmed"] == 34
    categories = {row["category"]: row for row in data["by_category"]}
    assert categories["elu"] == {"category": "elu", "label": "Élu·e", "confirmed": 0, "attendance": None}
    # What is hidden in the JSON is hidden on the page.
    assert "&lt; 5" in page_response.get_data(as_text=True) and "Guyane" in page
    for secret in (SECRET_NAME, "Lycée Réaumur", "@exemple.fr", "Durand"):
        assert secret not in page and secret not in response.get_data(as_text=True)


def test_public_figures_never_show_fewer_than_five_people(client, db_session):
    campaign = CampaignFactory(series=None)
    for department, seats in (("53", 2), ("72", 6), ("49", 9)):
        event = EventFactory(campaign=campaign, department=department, kind=EventKind.CINE_DEBAT)
        RegistrationFactory(event=event, seats=seats, status=S.CONFIRMED, category=P.GRAND_PUBLIC)
    data = client.get(f"/api/v1/campaigns/{campaign.slug}/stats").get_json()

    def numbers(value):
        if isinstance(value, dict):
            return [
                n
                for key, item in value.items()
                if key not in ("events", "cancelled_events", "threshold")
                for n in numbers(item)
            ]
        if isinstance(value, list):
            return [n for item in value for n in numbers(item)]
        return [value] if isinstance(value, int) and not isinstance(value, bool) else []

    assert all(n == 0 or n >= 5 for n in numbers({k: v for k, v in data.items() if k != "campaign"}))
    assert {row["code"]: row["confirmed"] for row in data["by_department"]} == {
        "53": None,
        "72": None,
        "49": 9,
    }


def test_unknown_campaign(client, db_session):
    assert client.get("/campaigns/pas-de-campagne/chiffres").status_code == 404
    response = client.get("/api/v1/campaigns/pas-de-campagne/stats")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


def test_openapi_describes_the_stats(client, db_session):
    document = client.get("/api/v1/openapi.json").get_json()
    assert "/campaigns/{slug}/stats" in document["paths"]


def test_draft_campaign_events_stay_out_of_public_figures(client, db_session):
    organisation = OrganisationFactory()
    campaign = CampaignFactory(series=None)
    EventFactory(campaign=campaign, organisation=organisation, status="draft", title="Brouillon secret")
    data = client.get(f"/api/v1/campaigns/{campaign.slug}/stats").get_json()
    assert data["totals"]["events"] == 0 and data["by_department"] == []


def test_demo_campaign_has_figures_that_match_hand_counts(app, db_session):
    """``flask seed-demo``: the dashboard of the demo campaign has attendance
    (check-ins and walk-ins of its past event) equal to counting the rows."""
    anchor = date(2026, 11, 2)
    seed_demo(anchor)
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == campaign_slug(anchor.year)))
    report = build_report(ReportScope(campaign_ids=(campaign.id,)))
    counted = sa.select(Event.id).where(Event.campaign_id == campaign.id, Event.status == "published")
    checked_in = db.session.scalar(sa.select(sa.func.sum(CheckIn.seats)).where(CheckIn.event_id.in_(counted)))
    walk_ins = db.session.scalar(sa.select(sa.func.sum(WalkIn.count)).where(WalkIn.event_id.in_(counted)))
    confirmed = db.session.scalar(
        sa.select(sa.func.sum(Registration.seats)).where(
            Registration.event_id.in_(counted), Registration.status == "confirmed"
        )
    )
    assert checked_in and walk_ins
    assert (report.totals.checked_in, report.totals.walk_ins, report.totals.confirmed) == (
        checked_in,
        walk_ins,
        confirmed,
    )
    assert report.totals.no_show_rate is not None and report.by_department and report.curve
    member = make_member(campaign.coordinator, Role.EDITOR)
    page = text(client_for(app, member.user).get(f"/admin/reports/campaigns/{campaign.id}/"))
    assert "Participation par département" in page
