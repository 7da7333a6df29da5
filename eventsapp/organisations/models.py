"""Organisation: a structure of the social and solidarity economy."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from eventsapp.db import UTCDateTime, enum_column_type, now_utc
from eventsapp.enums import LabelledEnum
from eventsapp.extensions import db
from eventsapp.text import fold

# Personal data of an event's registrants are erased this many months after
# the event; the consent text of the sign-up form promises 12 at most, so an
# organisation may choose less, never more (see registrations/privacy.py).
MAX_RETENTION_MONTHS = 12


class OrganisationKind(LabelledEnum):
    ASSOCIATION = "association"
    COOPERATIVE = "cooperative"
    MUTUELLE = "mutuelle"
    FONDATION = "fondation"
    INSERTION = "insertion"
    COLLECTIVITE = "collectivite"
    RESEAU = "reseau-ess"
    AUTRE = "autre"

    @classmethod
    def _labels(cls):
        return {
            "association": _l("Association"),
            "cooperative": _l("Coopérative"),
            "mutuelle": _l("Mutuelle"),
            "fondation": _l("Fondation"),
            "insertion": _l("Entreprise d'insertion / adaptée"),
            "collectivite": _l("Collectivité"),
            "reseau-ess": _l("Réseau ESS / CRESS"),
            "autre": _l("Autre"),
        }


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # eventsapp.text.fold(name), kept by the mapper hooks below, for search.
    name_folded: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    slug: Mapped[str] = mapped_column(sa.String(220), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(enum_column_type(OrganisationKind))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    department: Mapped[str | None] = mapped_column(sa.String(3), index=True)
    commune: Mapped[str | None] = mapped_column(sa.String(120))
    website: Mapped[str | None] = mapped_column(sa.String(300))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # Months after an event before its registrants' data are erased (RGPD).
    retention_months: Mapped[int] = mapped_column(
        default=MAX_RETENTION_MONTHS, server_default=str(MAX_RETENTION_MONTHS)
    )

    __table_args__ = (
        sa.CheckConstraint(
            f"retention_months BETWEEN 1 AND {MAX_RETENTION_MONTHS}", name="retention_months_range"
        ),
    )

    def __repr__(self) -> str:
        return f"<Organisation {self.slug}>"


@sa.event.listens_for(Organisation, "before_insert")
@sa.event.listens_for(Organisation, "before_update")
def _refresh_folded_name(_mapper: object, _connection: object, organisation: Organisation) -> None:
    organisation.name_folded = fold(organisation.name)
