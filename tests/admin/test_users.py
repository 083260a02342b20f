"""Administrators manage users: create, edit, deactivate, issue links; input is kept on errors."""

import sqlalchemy as sa

from secretariat.auth.models import User
from secretariat.auth.permissions import acts_for_partner
from secretariat.extensions import db
from tests.factories import make_user, page_text, partner


def test_create_user_form_keeps_input_on_error(client, login_as):
    login_as("admin")
    make_user(email="taken@example.org")
    response = client.submit(
        "/admin/users/new",
        {"email": "TAKEN@example.org", "display_name": "Typed Name", "partner": "SG", "role": "official"},
    )
    body = page_text(response)
    assert response.status_code == 400
    assert "already exists" in body
    assert 'value="Typed Name"' in body
    assert '<option selected value="SG">' in body or 'value="SG" selected' in body


def test_create_user_validates_email_and_partner(client, login_as):
    login_as("admin")
    response = client.submit(
        "/admin/users/new", {"email": "not-an-email", "display_name": "X", "partner": "ZZ", "role": "official"}
    )
    body = page_text(response)
    assert response.status_code == 400
    assert "Invalid email address" in body and "Not a valid choice" in body
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_mass_assignment_is_ignored_on_create(client, login_as):
    login_as("admin")
    client.submit(
        "/admin/users/new",
        {
            "email": "mass@example.org",
            "display_name": "Mass",
            "partner": "FR",
            "role": "observer",
            "password_hash": "x",
            "is_active": "",
            "id": "1",
        },
    )
    user = db.session.scalar(sa.select(User).where(User.email == "mass@example.org"))
    assert user.role == "observer" and user.password_hash is None and user.is_active and user.id != 1


def test_official_cannot_promote_themselves(client, login_as):
    me = login_as("official")
    client.submit("/account/password", {"role": "admin"}, page="/account")
    db.session.refresh(me)
    assert me.role == "official"


def test_admin_cannot_demote_or_deactivate_themselves(client, login_as):
    me = login_as("admin")
    response = client.submit(
        f"/admin/users/{me.id}", {"display_name": me.display_name, "partner": "JP", "role": "observer"}
    )
    assert response.status_code == 400 and "cannot change your own role" in page_text(response)
    db.session.refresh(me)
    assert me.role == "admin" and me.is_active


def test_user_list_and_search(client, login_as):
    login_as("admin")
    make_user(name="Siriporn Thai", partner_code="TH")
    make_user(name="Lars Norsk", partner_code="NO", role="observer")
    body = page_text(client.get("/admin/users?q=siri"))
    assert "Siriporn Thai" in body and "Lars Norsk" not in body
    body = page_text(client.get("/admin/users?role=observer"))
    assert "Lars Norsk" in body and "Siriporn Thai" not in body


def test_edit_page_shows_open_sessions(app, client, login_as):
    login_as("admin")
    user = make_user()
    app.test_client().login(user.email)
    body = page_text(client.get(f"/admin/users/{user.id}"))
    assert "Open sessions (1)" in body


def test_rights_pass_to_the_successor_from_the_same_partner(client, login_as):
    leaving = make_user("official", partner_code="ID")
    owner = partner("ID").id
    assert acts_for_partner(leaving, owner)
    leaving.is_active_account = False
    db.session.commit()
    successor = make_user("official", partner_code="ID")
    assert not acts_for_partner(leaving, owner)
    assert acts_for_partner(successor, owner)
    assert not acts_for_partner(make_user("official", partner_code="MY"), owner)
