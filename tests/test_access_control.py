"""Deny by default: every endpoint declares who may use it, and the declaration is enforced."""

import pytest
import sqlalchemy as sa

from secretariat import create_app
from secretariat.audit.models import AuditEntry
from secretariat.auth.permissions import access_of, public
from secretariat.extensions import db
from tests.factories import make_user, path_of
from tests.routes import routes
from tests.test_permission_table import EXPECTED, PUBLIC

#: the only endpoints reachable without signing in (from the access table)
PUBLIC_ENDPOINTS = {endpoint for endpoint, needed in EXPECTED.items() if needed == PUBLIC}


def test_every_endpoint_declares_its_access(app):
    undeclared = [
        endpoint for endpoint, view in app.view_functions.items() if endpoint != "static" and access_of(view) is None
    ]
    assert undeclared == []


def test_public_endpoints_are_exactly_the_short_list(app):
    declared_public = {
        endpoint for endpoint, view in app.view_functions.items() if access_of(view) and access_of(view).public
    }
    assert (
        declared_public
        == PUBLIC_ENDPOINTS
        == {"auth.login", "auth.set_password", "core.healthz", "core.readyz", "agenda.calendar_feed"}
    )


def test_anonymous_get_of_every_protected_page_redirects_to_login(app, client):
    for endpoint, url in routes(app, "GET"):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        response = client.get(url)
        assert response.status_code == 302, (endpoint, url, response.status_code)
        assert path_of(response).startswith("/login"), (endpoint, url)


def test_anonymous_post_to_protected_endpoints_changes_nothing(app, client):
    token = client.csrf_token("/login")
    before = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))
    for endpoint, url in routes(app, "POST"):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        response = client.post(url, data={"csrf_token": token})
        assert response.status_code == 302 and path_of(response).startswith("/login"), (endpoint, url)
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == before


def test_an_endpoint_without_declaration_is_refused_at_run_time(_app, database_url):
    fresh = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})

    @fresh.get("/forgotten")
    def forgotten():
        return "should never be served"

    @fresh.get("/declared")
    @public
    def declared():
        return "fine"

    with fresh.test_client() as c:
        assert c.get("/forgotten").status_code == 403
        assert c.get("/declared").status_code == 200


ADMIN_PAGES = ["/admin/users", "/admin/users/new", "/admin/audit"]


@pytest.mark.parametrize("role", ["observer", "official", "coordinator"])
def test_admin_pages_are_refused_to_other_roles(client, login_as, role):
    login_as(role)
    for url in ADMIN_PAGES:
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("role", ["observer", "official", "coordinator"])
def test_admin_actions_are_refused_to_other_roles(client, login_as, role):
    me = login_as(role)
    victim = make_user("official")
    response = client.submit(
        f"/admin/users/{victim.id}",
        {"display_name": "Hacked", "partner": "JP", "role": "admin", "active": "y"},
        page="/",
    )
    assert response.status_code == 403
    assert client.submit(f"/admin/users/{me.id}/password-link", page="/").status_code == 403
    db.session.refresh(victim)
    assert victim.role == "official" and victim.display_name != "Hacked"


def test_admin_pages_are_open_to_admins(client, login_as):
    login_as("admin")
    for url in ADMIN_PAGES:
        assert client.get(url).status_code == 200, url


def test_denied_access_is_audited(client, login_as):
    user = login_as("official")
    client.get("/admin/users")
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "access.denied"))
    assert entry is not None
    assert entry.actor_id == user.id and entry.object_id == "admin.users"


@pytest.mark.parametrize("role", ["observer", "official", "coordinator", "admin"])
def test_every_role_reads_meetings_and_home(client, login_as, role):
    login_as(role)
    assert client.get("/").status_code == 200
    assert client.get("/meetings/").status_code == 200
    assert client.get("/account").status_code == 200
