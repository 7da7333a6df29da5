"""Helpers of the account and back-office tests: organisers, memberships,
logging a test client in, the e-mails recorded in the outbox."""

from __future__ import annotations

import html as html_module
import re
from itertools import count

import sqlalchemy as sa
from flask import Flask

from eventsapp.accounts.models import Membership, Role, User
from eventsapp.accounts.passwords import hash_password
from eventsapp.accounts.service import ACCOUNT_EMAIL_TASK
from eventsapp.extensions import db, mail
from eventsapp.notifications.models import OutboxMessage

PASSWORD = "une phrase de passe solide"
_numbers = count(1)


def make_user(email: str | None = None, *, password: str | None = None, **fields: object) -> User:
    """An organiser account (no password unless given: hashing is slow)."""
    number = next(_numbers)
    user = User(
        email=email or f"organisateur{number}@exemple.org",
        full_name=fields.pop("full_name", f"Camille Organisatrice {number}"),
        password_hash=hash_password(password) if password else None,
        **fields,
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_member(organisation, role: Role, user: User | None = None, **user_fields: object) -> Membership:
    membership = Membership(user=user or make_user(**user_fields), organisation=organisation, role=Role(role))
    db.session.add(membership)
    db.session.flush()
    return membership


def log_in(client, user: User) -> None:
    """Log ``client`` in as ``user`` the way Flask-Login's session does."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def client_for(app: Flask, user: User | None):
    client = app.test_client()
    if user is not None:
        log_in(client, user)
    return client


def text(response) -> str:
    return html_module.unescape(response.get_data(as_text=True))


def field_error(html: str, field_id: str) -> str:
    match = re.search(rf'<p id="{field_id}-erreur" class="field-error">(.*?)</p>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


def account_email_rows(user_id: int | None = None) -> list[OutboxMessage]:
    rows = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.task_name == ACCOUNT_EMAIL_TASK)
        .order_by(OutboxMessage.id)
    ).all()
    return [row for row in rows if user_id is None or row.payload.get("user_id") == user_id]


def deliver_account_emails(user_id: int | None = None) -> list:
    """Run the outbox's account-e-mail tasks (the test transaction is never
    really committed, so nothing was dispatched) and return the messages."""
    from eventsapp.accounts.emails import send_account_email

    with mail.record_messages() as outbox:
        for row in account_email_rows(user_id):
            send_account_email(**row.payload)
    return outbox


def link_in(message) -> str:
    """The path of the set-password link in an e-mail's text."""
    match = re.search(r"https?://[^/\s]+(/account/password/set/\S+)", message.body)
    assert match, message.body
    return match.group(1)
