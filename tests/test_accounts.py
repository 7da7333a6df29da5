"""Organisers' accounts (issue 6, point 1): Argon2id hashes, one-time links
for invitations and resets, logging in and out, the same answer whether an
address exists or not, logout everywhere when the password changes, cookie
settings, ``flask create-organiser``."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from eventsapp.accounts import service
from eventsapp.accounts.models import Membership, Role, User
from eventsapp.accounts.passwords import hash_password
from eventsapp.accounts.tokens import ExpiredToken, InvalidToken, Purpose, make_token, read_token
from eventsapp.config import Config
from eventsapp.db import now_utc
from eventsapp.extensions import db
from tests.accounts_support import (
    PASSWORD,
    account_email_rows,
    deliver_account_emails,
    field_error,
    link_in,
    make_member,
    make_user,
    text,
)
from tests.factories import EventFactory, OrganisationFactory


def reload(user: User) -> User:
    return db.session.get(User, user.id)


# --- Hashing ---------------------------------------------------------------


def test_passwords_are_stored_as_argon2id_and_checked(db_session):
    user = make_user("hash@exemple.org", password=PASSWORD)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert service.authenticate("HASH@exemple.org ", PASSWORD).id == user.id
    assert service.authenticate("hash@exemple.org", PASSWORD + "!") is None
    assert service.authenticate("personne@exemple.org", PASSWORD) is None


def test_a_hash_made_with_weaker_parameters_is_replaced_at_login(db_session):
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    user = make_user("ancien@exemple.org")
    user.password_hash = weak
    version = user.session_version
    assert service.authenticate(user.email, PASSWORD) is not None
    assert user.password_hash != weak and "m=65536" in user.password_hash
    assert user.session_version == version  # same password: sessions go on


def test_accounts_without_password_or_disabled_cannot_log_in(db_session):
    make_user("invite@exemple.org")
    make_user("parti@exemple.org", password=PASSWORD, is_active=False)
    assert service.authenticate("invite@exemple.org", "") is None
    assert service.authenticate("parti@exemple.org", PASSWORD) is None


# --- One-time links ---------------------------------------------------------


def test_a_link_sets_the_password_once(db_session):
    user = make_user("once@exemple.org")
    token = make_token(user, Purpose.INVITATION)
    assert read_token(token) == (user, Purpose.INVITATION)
    service.set_password_with_token(token, PASSWORD)
    assert service.authenticate(user.email, PASSWORD) is not None
    with pytest.raises(InvalidToken):
        read_token(token)  # spent: the state it was signed for has changed


def test_links_expire_after_their_purpose_s_lifetime(db_session, monkeypatch):
    user = make_user("expire@exemple.org")
    invitation, reset = make_token(user, Purpose.INVITATION), make_token(user, Purpose.RESET)
    later = now_utc() + timedelta(hours=3)
    monkeypatch.setattr("eventsapp.accounts.tokens.now_utc", lambda: later)
    assert read_token(invitation)[1] == Purpose.INVITATION  # 7 days
    with pytest.raises(ExpiredToken):
        read_token(reset)  # 2 hours


def test_altered_or_foreign_links_are_refused(db_session, app):
    user = make_user("altere@exemple.org")
    token = make_token(user, Purpose.RESET)
    for bad in (token[:-2] + "xx", "pas-un-jeton", "", "a" * 1000):
        with pytest.raises(InvalidToken):
            read_token(bad)
    user.is_active = False
    with pytest.raises(InvalidToken):
        read_token(token)


def test_an_expired_link_page_says_so_in_french(client, monkeypatch):
    user = make_user("vieux@exemple.org")
    token = make_token(user, Purpose.RESET)
    db.session.commit()
    later = now_utc() + timedelta(days=1)
    monkeypatch.setattr("eventsapp.accounts.tokens.now_utc", lambda: later)
    response = client.get(f"/account/password/set/{token}")
    assert response.status_code == 410
    assert "Lien expiré" in text(response)
    response = client.get("/account/password/set/nimporte-quoi")
    assert response.status_code == 404
    assert "Lien non valable" in text(response)


# --- Invitation: from the members' service to a working login ---------------


def test_an_invitation_e_mail_leads_to_a_password_and_a_login(client):
    organisation = OrganisationFactory(name="Club ESS de la Sarthe")
    owner = make_member(organisation, Role.OWNER)
    membership = service.invite_member(
        organisation.id, owner.user_id, " Nouvelle@Exemple.org", "Lou Nouvelle", Role.EDITOR
    )
    db.session.commit()
    assert membership.user.email == "nouvelle@exemple.org" and not membership.user.has_password
    [message] = deliver_account_emails(membership.user_id)
    assert message.recipients == ["nouvelle@exemple.org"]
    assert "Invitation" in message.subject
    assert "Club ESS de la Sarthe" in message.body and "7 jours" in message.body
    link = link_in(message)

    page = client.get(link)
    assert page.status_code == 200 and "choisissez votre mot de passe" in text(page)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    response = client.post(link, data={"password": PASSWORD, "password_confirm": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/")
    assert client.get("/admin/events/").status_code == 200  # logged in
    assert client.get(link).status_code == 404  # spent


def test_an_existing_account_invited_elsewhere_is_told_it_was_added(db_session):
    user = make_user("deja@exemple.org", password=PASSWORD)
    first, second = OrganisationFactory(), OrganisationFactory(name="APESS 53")
    make_member(first, Role.EDITOR, user=user)
    owner = make_member(second, Role.OWNER)
    service.invite_member(second.id, owner.user_id, "deja@exemple.org", "", Role.CHECKIN)
    [message] = deliver_account_emails(user.id)
    assert "APESS 53" in message.subject and "/account/password/set/" not in message.body
    with pytest.raises(service.AccountError) as refused:
        service.invite_member(second.id, owner.user_id, "DEJA@exemple.org", "", Role.EDITOR)
    assert refused.value.field == "email" and "déjà membre" in refused.value.message


def test_an_invitation_removed_before_it_left_is_not_sent(db_session):
    organisation = OrganisationFactory()
    owner = make_member(organisation, Role.OWNER)
    membership = service.invite_member(organisation.id, owner.user_id, "retire@exemple.org", "X", Role.EDITOR)
    service.remove_member(organisation.id, owner.user_id, membership.id)
    assert deliver_account_emails(membership.user_id) == []


def test_password_policy_errors_are_french_and_beside_their_field(client):
    user = make_user("regle@exemple.org")
    link = f"/account/password/set/{make_token(user, Purpose.INVITATION)}"
    db.session.commit()
    cases = [
        ({"password": "court", "password_confirm": "court"}, "password", "au moins 12 caractères"),
        ({"password": PASSWORD, "password_confirm": PASSWORD + "x"}, "password_confirm", "pas identiques"),
        ({"password": "regle@exemple.org", "password_confirm": "regle@exemple.org"}, "password", "adresse"),
        ({"password": "aaaaaaaaaaaaaaaa", "password_confirm": "aaaaaaaaaaaaaaaa"}, "password", "trop facile"),
        ({}, "password", "Choisissez un mot de passe."),
    ]
    for data, field, words in cases:
        response = client.post(link, data=data)
        assert response.status_code == 422, data
        assert words in field_error(text(response), field), (data, text(response))
    assert not reload(user).has_password


# --- Logging in and out -----------------------------------------------------


@pytest.fixture
def organiser(db_session):
    organisation = OrganisationFactory(name="Pôle ESS du Pays de Coutances")
    membership = make_member(organisation, Role.OWNER, email="owner@exemple.org", password=PASSWORD)
    db.session.commit()
    return membership.user


def login(client, email: str = "owner@exemple.org", password: str = PASSWORD, **extra: object):
    return client.post("/account/login", data={"email": email, "password": password, **extra})


def test_login_opens_the_back_office_and_logout_closes_it(client, organiser):
    assert client.get("/admin/events/").headers["Location"].startswith("/account/login?next=/admin/events/")
    response = login(client, next="/admin/events/")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/events/"
    assert "Pôle ESS du Pays de Coutances" in text(client.get("/admin/events/"))
    assert reload(organiser).last_login_at is not None
    assert client.get("/account/logout").status_code == 405  # no state change on GET
    assert client.post("/account/logout").status_code == 303
    assert client.get("/admin/events/").status_code == 302


def test_wrong_password_and_unknown_address_get_the_same_answer(client, organiser):
    answers = [login(client, password="mauvais mot de passe"), login(client, email="inconnu@exemple.org")]
    for response in answers:
        assert response.status_code == 401
        assert "Adresse e-mail ou mot de passe incorrect." in text(response)
    assert answers[0].get_data() == answers[1].get_data().replace(b"inconnu@", b"owner@")


def test_login_form_errors_are_french_and_beside_their_field(client, organiser):
    html = text(login(client, email="pas-une-adresse", password=""))
    assert "adresse e-mail valide" in field_error(html, "email")
    assert field_error(html, "password") == "Erreur : Indiquez votre mot de passe."
    assert 'aria-describedby="email-erreur"' in html


def test_next_never_leads_to_another_site(client, organiser):
    for target in ("https://pirate.example/admin", "//pirate.example/admin", "/events/", "/\\pirate.example"):
        response = login(client, next=target)
        assert response.headers["Location"] == "/admin/", target
        client.post("/account/logout")


def test_remember_cookie_is_httponly_samesite_and_dies_with_the_password(app, client, organiser):
    response = login(client, remember="y")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    remembered = client.get_cookie("remember_token").value
    other = app.test_client()  # a second browser with only the remember cookie
    other.set_cookie("remember_token", remembered)
    assert other.get("/admin/events/").status_code == 200

    new = "un tout autre mot de passe"
    response = client.post(
        "/admin/account/password",
        data={"current_password": PASSWORD, "password": new, "password_confirm": new},
    )
    assert response.status_code == 303
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remembered)
    assert fresh.get("/admin/events/").status_code == 302  # the old cookie no longer logs in
    assert client.get("/admin/events/").status_code == 200  # this browser stays logged in


def test_changing_the_password_logs_out_every_other_session(app, client, organiser):
    login(client)
    elsewhere = app.test_client()
    login(elsewhere)
    assert elsewhere.get("/admin/events/").status_code == 200
    new = "encore un autre mot de passe"
    wrong = client.post(
        "/admin/account/password", data={"current_password": "faux", "password": new, "password_confirm": new}
    )
    assert wrong.status_code == 422
    assert "Ce n'est pas votre mot de passe actuel." in field_error(text(wrong), "current_password")
    response = client.post(
        "/admin/account/password",
        data={"current_password": PASSWORD, "password": new, "password_confirm": new},
    )
    assert response.status_code == 303
    assert "Vos autres sessions sont déconnectées" in text(client.get(response.headers["Location"]))
    assert elsewhere.get("/admin/events/").status_code == 302
    assert login(app.test_client(), password=new).status_code == 303


def test_a_reset_link_ends_every_session(app, client, organiser):
    login(client)
    token = make_token(reload(organiser), Purpose.RESET)
    other = app.test_client()
    new = "x" * 4 + PASSWORD
    response = other.post(f"/account/password/set/{token}", data={"password": new, "password_confirm": new})
    assert response.status_code == 303
    assert client.get("/admin/events/").status_code == 302


def test_a_disabled_account_is_logged_out(client, organiser):
    login(client)
    reload(organiser).is_active = False
    db.session.commit()
    assert client.get("/admin/events/").status_code == 302


# --- Forgotten password ------------------------------------------------------


def test_reset_request_answers_the_same_whether_the_address_exists_or_not(client, organiser):
    known = client.post("/account/password/forgot", data={"email": "Owner@exemple.org"})
    unknown = client.post("/account/password/forgot", data={"email": "personne@exemple.org"})
    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"]
    assert (
        client.get(known.headers["Location"]).get_data() == client.get(unknown.headers["Location"]).get_data()
    )
    assert [row.payload["kind"] for row in account_email_rows()] == ["reset"]

    client.post("/account/password/forgot", data={"email": "owner@exemple.org"})
    assert len(account_email_rows()) == 1  # still waiting to leave: not recorded twice
    [message] = deliver_account_emails()
    assert "nouveau mot de passe" in message.subject and "2 heures" in message.body
    link = link_in(message)
    new = "mon nouveau mot de passe"
    assert client.post(link, data={"password": new, "password_confirm": new}).status_code == 303
    assert login(client, password=new).status_code == 303
    assert client.get(link).status_code == 404


def test_an_accented_address_can_still_log_in_and_ask_for_a_reset(client):
    """Only forms that send to a new address refuse accented local parts:
    logging in and asking for a reset keep working for an account that has
    one (the answer is the same as for any unknown address)."""
    assert login(client, email="rené@exemple.org").status_code == 401
    response = client.post("/account/password/forgot", data={"email": "rené@exemple.org"})
    assert response.status_code in (200, 303)


def test_reset_request_checks_the_address_shape_in_french(client):
    response = client.post("/account/password/forgot", data={"email": "nimporte"})
    assert response.status_code == 422
    assert "adresse e-mail valide" in field_error(text(response), "email")
    assert account_email_rows() == []


# --- Rate limit and CSRF, on an app of their own -----------------------------


@pytest.fixture(scope="module")
def strict_app(tmp_path_factory):
    from tests.conftest import build_test_app

    app = build_test_app(
        "sqlite",
        tmp_path_factory.mktemp("instance-accounts-strict"),
        WTF_CSRF_ENABLED=True,
        RATELIMIT_ENABLED=True,
        LOGIN_RATE_LIMIT="3 per minute",
        LOGIN_ACCOUNT_RATE_LIMIT="5 per hour",
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def _address(n: int) -> dict:
    from uuid import uuid4

    return {"REMOTE_ADDR": f"2001:db8::{n}:{uuid4().hex[:4]}"}


def test_login_posts_are_limited_per_address_with_a_french_429(strict_app):
    client = strict_app.test_client()
    address = _address(1)
    data = {"email": "x@exemple.org", "password": "y"}
    statuses = [client.post("/account/login", data=data, environ_base=address).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]  # forged posts (no CSRF token) count too
    response = client.post("/account/login", data=data, environ_base=address)
    assert response.status_code == 429 and "Trop de demandes" in text(response)
    assert client.get("/account/login", environ_base=address).status_code == 200  # reading is free
    limited = client.post("/account/password/forgot", data={"email": "x@exemple.org"}, environ_base=address)
    assert limited.status_code == 400  # each form has its own count
    assert client.post("/account/login", data=data, environ_base=_address(2)).status_code == 400


def test_login_posts_are_limited_per_account_across_addresses(strict_app):
    client = strict_app.test_client()
    data = {"email": "cible@exemple.org", "password": "y"}
    statuses = [
        client.post("/account/login", data=data, environ_base=_address(n)).status_code for n in range(10, 16)
    ]
    assert statuses == [400] * 5 + [429]
    other = {"email": "autre@exemple.org", "password": "y"}
    assert client.post("/account/login", data=other, environ_base=_address(20)).status_code == 400


def test_account_forms_refuse_a_missing_csrf_token_in_french(strict_app):
    client = strict_app.test_client()
    response = client.post(
        "/account/password/forgot", data={"email": "a@exemple.org"}, environ_base=_address(30)
    )
    assert response.status_code == 400
    assert "Formulaire expiré" in text(response) and "Rien n'a été modifié" in text(response)


# --- Cookies -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("public_url", "override", "secure"),
    [
        ("https://agenda.cress-pdl.org", None, True),
        ("http://127.0.0.1:5000", None, False),
        ("https://agenda.cress-pdl.org", "false", False),
        ("http://intranet", "true", True),
    ],
)
def test_cookie_settings_follow_the_public_address(monkeypatch, tmp_path, public_url, override, secure):
    monkeypatch.setenv("PUBLIC_URL", public_url)
    monkeypatch.setenv("SECRET_KEY", "test")
    if override is None:
        monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    else:
        monkeypatch.setenv("SESSION_COOKIE_SECURE", override)
    config = Config(tmp_path)
    assert config.SESSION_COOKIE_SECURE is secure and config.REMEMBER_COOKIE_SECURE is secure
    assert config.SESSION_COOKIE_HTTPONLY and config.REMEMBER_COOKIE_HTTPONLY
    assert config.SESSION_COOKIE_SAMESITE == config.REMEMBER_COOKIE_SAMESITE == "Lax"


def test_public_pages_stay_free_of_sessions(client):
    """The login manager must not make public pages vary by cookie (they are
    cached) nor set a cookie."""
    event = EventFactory()
    db.session.commit()
    for url in ("/", "/events/", f"/events/{event.slug}", "/calendar.ics"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Cookie" not in response.headers.get("Vary", ""), url
        assert "Set-Cookie" not in response.headers, url


# --- flask create-organiser ---------------------------------------------------


def test_create_organiser_prints_a_one_time_link(app, client):
    organisation = OrganisationFactory(slug="club-ess-sarthe", name="Club ESS de la Sarthe")
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-organiser",
            "Marie@Exemple.org",
            "--organisation",
            "club-ess-sarthe",
            "--name",
            "Marie Curie",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Responsable de « Club ESS de la Sarthe »" in result.output and "7 jours" in result.output
    link = result.output.strip().splitlines()[-1]
    assert link.startswith(app.config["PUBLIC_URL"] + "/account/password/set/")
    path = link.removeprefix(app.config["PUBLIC_URL"])
    assert client.post(path, data={"password": PASSWORD, "password_confirm": PASSWORD}).status_code == 303
    membership = db.session.scalar(sa.select(Membership).join(User).where(User.email == "marie@exemple.org"))
    assert membership.role == Role.OWNER and membership.organisation_id == organisation.id
    assert membership.user.full_name == "Marie Curie"

    args = ["create-organiser", "marie@exemple.org", "--organisation", "club-ess-sarthe", "--role", "checkin"]
    again = runner.invoke(args=args)
    assert again.exit_code == 0 and "2 h" in again.output  # has a password: a reset link
    assert db.session.scalar(sa.select(Membership.role).where(Membership.id == membership.id)) == Role.CHECKIN


def test_create_organiser_refuses_bad_input_in_french(app, db_session):
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=["create-organiser", "a@exemple.org", "--organisation", "nulle-part"])
    assert unknown.exit_code != 0 and "Aucune structure" in unknown.output
    OrganisationFactory(slug="apess-53")
    bad = runner.invoke(args=["create-organiser", "pas une adresse", "--organisation", "apess-53"])
    assert bad.exit_code != 0 and "Adresse e-mail invalide" in bad.output
    role = runner.invoke(
        args=["create-organiser", "a@exemple.org", "--organisation", "apess-53", "--role", "roi"]
    )
    assert role.exit_code != 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_hash_password_is_salted(db_session):
    assert hash_password(PASSWORD) != hash_password(PASSWORD)
