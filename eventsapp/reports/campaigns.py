"""Which campaigns the reports offer: a campaign by its slug, the editions
of a recurring one, those in which an organisation has counted events."""

from __future__ import annotations

import sqlalchemy as sa

from eventsapp.catalog.models import Campaign, Event
from eventsapp.extensions import db
from eventsapp.reports.scope import ReportScope


def campaigns_of_series(series: str) -> list[Campaign]:
    """Every edition of a recurring campaign, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Campaign).where(Campaign.series == series).order_by(Campaign.starts_on, Campaign.id)
        )
    )


def campaign_by_slug(slug: str) -> Campaign | None:
    return db.session.scalar(sa.select(Campaign).where(Campaign.slug == slug))


def organisation_campaigns(organisation_id: int) -> list[Campaign]:
    """Campaigns in which the organisation has counted events (the
    organiser dashboard's campaign filter)."""
    return list(
        db.session.scalars(
            sa.select(Campaign)
            .where(
                Campaign.id.in_(
                    sa.select(Event.campaign_id).where(
                        *ReportScope(organisation_id=organisation_id).conditions(),
                        Event.campaign_id.is_not(None),
                    )
                )
            )
            .order_by(Campaign.starts_on.desc(), Campaign.id)
        )
    )
