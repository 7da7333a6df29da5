"""The preview of an organiser's message shows the e-mail the first
recipient would get, with their private link and their stop-reminders link
masked everywhere, the subject included ({lien} may stand there). The
private link is the person's alone: it opens their calendar feed, which
lists their registrations at every organisation's events, so an organiser
who saw it (after adding any address to one of its own events, without an
e-mail) could read another organisation's registrations."""

from __future__ import annotations

import html
import re

from eventsapp.accounts.models import Role
from eventsapp.extensions import db
from eventsapp.registrations.links import registration_page_url
from eventsapp.registrations.models import Registration
from eventsapp.reminders.links import stop_reminders_url
from tests.accounts_support import client_for, make_member, text
from tests.factories import EventFactory, OrganisationFactory, RegistrationFactory


def test_the_preview_masks_the_first_recipients_links_in_the_subject_and_the_texts(app, db_session):
    organisation = OrganisationFactory(name="Alpha")
    event = EventFactory(organisation=organisation, title="Evenement Alpha", capacity=50)
    owner = make_member(organisation, Role.OWNER)
    client = client_for(app, owner.user)
    response = client.post(
        f"/admin/events/{event.id}/registrants/add",
        data={
            "first_name": "Aaron",
            "last_name": "Aaa",
            "email": "quelquun@exemple.fr",
            "category": "grand-public",
            "consent": "y",
            "no_email": "y",
        },
    )
    assert response.status_code == 303
    person = db.session.scalars(db.select(Registration).filter_by(email="quelquun@exemple.fr")).one()
    RegistrationFactory(event=event, last_name="Zola")  # listed after: not the one previewed
    db.session.commit()

    response = client.post(
        f"/admin/events/{event.id}/messages/new",
        data={
            "status": "active",
            "category": "",
            "checked": "",
            "subject": "Votre lien {lien}",
            "body": "Bonjour {prenom}, votre page : {lien}",
            "action": "preview",
        },
    )
    assert response.status_code == 200
    page = html.unescape(text(response))
    subject = re.search(r'id="apercu-objet">(.*?)</dd>', page, re.S).group(1)
    assert subject.startswith("Votre lien ") and subject.endswith("/registrations/lien-personnel")
    assert "Bonjour Aaron, votre page : " in page
    for link in (registration_page_url(person), stop_reminders_url(person)):
        token = link.rsplit("/", 1)[1]
        assert token not in page
