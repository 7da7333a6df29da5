"""A coordinator's "edition against edition" table counts only the
editions of the series it coordinates: another network's campaign of the
same series (a Mois de l'ESS of another region) is not its to read, even
narrowed to one event by the département and kind filters."""

from __future__ import annotations

from datetime import timedelta

from eventsapp.accounts.models import Role
from eventsapp.catalog.vocabulary import EventKind
from eventsapp.extensions import db
from eventsapp.registrations.models import RegistrationStatus
from tests.accounts_support import client_for, make_member, text
from tests.factories import CampaignFactory, EventFactory, OrganisationFactory, RegistrationFactory, in_days

OTHER = "Mois de l'ESS Normandie (autre coordination)"


def test_coordinator_sees_only_its_own_campaigns_in_the_editions_table(app, db_session):
    cress_c = OrganisationFactory(name="CRESS C")
    cress_d = OrganisationFactory(name="CRESS D")
    org_b = OrganisationFactory(name="Structure B")
    start = in_days(20)
    mine = CampaignFactory(
        coordinator=cress_c,
        series="mois-ess",
        name="Mois de l'ESS C",
        starts_on=start.date() - timedelta(days=5),
        ends_on=start.date() + timedelta(days=5),
    )
    other = CampaignFactory(
        coordinator=cress_d,
        series="mois-ess",
        name=OTHER,
        starts_on=start.date() - timedelta(days=5),
        ends_on=start.date() + timedelta(days=5),
    )

    event_b = EventFactory(
        organisation=org_b,
        campaign=other,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        department="14",
        kind=EventKind.VISITE,
        title="Visite B",
    )
    for index in range(7):
        RegistrationFactory(
            event=event_b, status=RegistrationStatus.CANCELLED if index == 0 else RegistrationStatus.CONFIRMED
        )
    coordinator = make_member(cress_c, Role.OWNER)
    db.session.commit()
    client = client_for(app, coordinator.user)

    # The campaign the coordinator does not coordinate: refused directly…
    assert client.get(f"/admin/reports/campaigns/{other.id}/").status_code == 404
    # …but its figures come with the coordinator's own campaign.
    page = text(client.get(f"/admin/reports/campaigns/{mine.id}/?department=14&kind=visite"))
    csv = client.get(f"/admin/reports/campaigns/{mine.id}/export?table=editions&department=14&kind=visite")
    assert csv.status_code == 404 or OTHER not in csv.get_data(as_text=True), csv.get_data(as_text=True)
    assert OTHER not in page
