"""The "edition against edition" table. A coordinator's counts only the
editions of the series it coordinates: another network's campaign of the
same series (a Mois de l'ESS of another region) is not its to read, even
narrowed to one event by the département and kind filters. An
organisation's own dashboard (only its own events) also shows the other
editions its events took part in, whoever coordinated them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from eventsapp.accounts.models import Role
from eventsapp.catalog.models import Campaign
from eventsapp.catalog.vocabulary import EventKind
from eventsapp.extensions import db
from eventsapp.organisations.models import Organisation
from eventsapp.registrations.models import RegistrationStatus
from eventsapp.reports.scope import ReportScope
from eventsapp.reports.service import campaign_dashboard, organisation_dashboard
from tests.accounts_support import client_for, make_member, text
from tests.factories import CampaignFactory, EventFactory, OrganisationFactory, RegistrationFactory, in_days

OTHER = "Mois de l'ESS Normandie (autre coordination)"


@dataclass
class Series:
    cress_c: Organisation
    structure_b: Organisation
    previous: Campaign  # coordinated by C, last year
    mine: Campaign  # coordinated by C, this year
    other: Campaign  # coordinated by D, this year, same series


def _visit(organisation: Organisation, campaign: Campaign, starts_at, registrations: int) -> None:  # noqa: ANN001
    event = EventFactory(
        organisation=organisation,
        campaign=campaign,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        department="14",
        kind=EventKind.VISITE,
    )
    for index in range(registrations):
        status = RegistrationStatus.CANCELLED if index == 0 else RegistrationStatus.CONFIRMED
        RegistrationFactory(event=event, status=status)


def _series() -> Series:
    cress_c = OrganisationFactory(name="CRESS C")
    cress_d = OrganisationFactory(name="CRESS D")
    structure_b = OrganisationFactory(name="Structure B")
    start = in_days(20)
    dates = {"starts_on": start.date() - timedelta(days=5), "ends_on": start.date() + timedelta(days=5)}
    last_year = start - timedelta(days=364)
    previous = CampaignFactory(
        coordinator=cress_c,
        series="mois-ess",
        name="Mois de l'ESS C (édition précédente)",
        starts_on=date(last_year.year, last_year.month, 1),
        ends_on=last_year.date() + timedelta(days=5),
    )
    mine = CampaignFactory(coordinator=cress_c, series="mois-ess", name="Mois de l'ESS C", **dates)
    other = CampaignFactory(coordinator=cress_d, series="mois-ess", name=OTHER, **dates)
    _visit(structure_b, previous, last_year, registrations=4)
    _visit(structure_b, mine, start, registrations=3)
    _visit(structure_b, other, start, registrations=7)
    db.session.commit()
    return Series(cress_c, structure_b, previous, mine, other)


def test_a_coordinator_sees_only_the_editions_it_coordinated(app, db_session):
    series = _series()
    coordinator = make_member(series.cress_c, Role.OWNER)
    db.session.commit()
    client = client_for(app, coordinator.user)

    # The campaign it does not coordinate is refused directly…
    assert client.get(f"/admin/reports/campaigns/{series.other.id}/").status_code == 404
    # …and its figures must not come with the coordinator's own campaign.
    page = text(client.get(f"/admin/reports/campaigns/{series.mine.id}/?department=14&kind=visite"))
    assert OTHER not in page
    export = client.get(f"/admin/reports/campaigns/{series.mine.id}/export?table=editions&department=14")
    assert export.status_code == 200
    assert OTHER not in export.get_data(as_text=True)

    editions = campaign_dashboard(series.mine, ReportScope(department="14")).editions
    assert [edition.campaign_id for edition in editions] == [series.previous.id, series.mine.id]
    # Each edition counts its own events only (one cancelled registration each).
    assert [edition.figures.confirmed for edition in editions] == [3, 2]


def test_an_organisation_compares_its_own_events_across_the_editions_it_took_part_in(app, db_session):
    series = _series()
    elsewhere = OrganisationFactory(name="CRESS E")
    CampaignFactory(coordinator=elsewhere, series="mois-ess", name="Mois de l'ESS E")  # B not there
    db.session.commit()
    dashboard = organisation_dashboard(series.structure_b.id, "Structure B", ReportScope(), series.other)
    editions = {edition.campaign_id: edition.figures.confirmed for edition in dashboard.editions}
    assert editions == {series.previous.id: 3, series.mine.id: 2, series.other.id: 6}
