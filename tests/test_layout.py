"""The layout every page shares: landmarks, a skip link, one h1, navigation by role."""

import re

import pytest

from tests.factories import page_text
from tests.routes import routes


def check_layout(body: str, where: str):
    assert body.startswith("<!doctype html>"), where
    assert '<html lang="en">' in body, where
    assert 'href="#main"' in body and 'id="main"' in body, where
    assert len(re.findall(r"<h1[\s>]", body)) == 1, where
    for landmark in ("<header", "<main", "<footer"):
        assert landmark in body, where
    assert re.search(r"<title>[^<]+</title>", body), where
    assert "http://" not in re.sub(r'(value|href)="http://localhost[^"]*"', "", body).split("<main")[0], where


@pytest.mark.parametrize("role", ["observer", "official", "coordinator", "admin"])
def test_every_page_has_the_layout(app, client, login_as, role):
    login_as(role)
    for _endpoint, url in routes(app, "GET"):
        response = client.get(url)
        if response.mimetype == "text/html" and response.status_code in (200, 400, 403, 404):
            check_layout(page_text(response), f"{role} {url}")


def test_public_pages_have_the_layout(client):
    for url in ("/login", "/password/set/x", "/nope"):
        check_layout(page_text(client.get(url)), url)


def test_navigation_follows_the_role(client, login_as):
    login_as("official")
    nav = page_text(client.get("/")).split('aria-label="Main"')[1].split("</nav>")[0]
    assert "Meetings" in nav and "Users" not in nav and "Audit" not in nav


def test_admin_navigation(client, login_as):
    login_as("admin")
    nav = page_text(client.get("/")).split('aria-label="Main"')[1].split("</nav>")[0]
    assert "Users" in nav and "Audit trail" in nav


def test_header_shows_user_and_partner(client, login_as):
    login_as("official", partner_code="KR", name="Min-jun Kim")
    body = page_text(client.get("/"))
    assert "Min-jun Kim" in body and "Republic of Korea" in body and "Senior official" in body


def test_no_external_resources(client, login_as):
    login_as("admin")
    body = page_text(client.get("/"))
    for attr in re.findall(r'(?:src|href)="([^"]+)"', body):
        assert attr.startswith(("/", "#")), attr
