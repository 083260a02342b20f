"""The main navigation: the entries each role may use, the current page marked, never another role's."""

from __future__ import annotations

import re

import pytest

from tests.factories import make_user

NAV = re.compile(r'<nav class="site-nav" aria-label="Main">(.*?)</nav>', re.S)


def nav_of(client, url: str) -> tuple[list[str], list[str]]:
    """The labels of the main navigation on ``url``, and those marked as the current page."""
    html = NAV.search(client.get(url).get_data(as_text=True)).group(1)
    labels = re.findall(r"<a [^>]*>([^<]+)</a>", html)
    current = re.findall(r'<a [^>]*aria-current="page"[^>]*>([^<]+)</a>', html)
    return labels, current


EVERYONE = ["Home", "Meetings", "Work programme", "Silence procedures", "Archive"]


@pytest.mark.parametrize(
    "role, labels",
    [
        ("official", EVERYONE),
        ("observer", EVERYONE),
        ("coordinator", EVERYONE),
        ("admin", [*EVERYONE, "Users", "Audit trail", "Settings", "Mail queue"]),
    ],
)
def test_each_role_sees_its_entries_and_the_current_page_marked(client, role, labels):
    client.login(make_user(role).email)
    assert nav_of(client, "/") == (labels, ["Home"])
    assert nav_of(client, "/meetings/") == (labels, ["Meetings"])
    assert nav_of(client, "/archive/") == (labels, ["Archive"])
    assert nav_of(client, "/account") == (labels, [])


def test_the_kept_navigation_of_one_role_never_reaches_another(client):
    """The navigation is kept per role and page: an administrator's must not show for an official."""
    client.login(make_user("admin").email)
    assert "Users" in nav_of(client, "/meetings/")[0]
    client.logout()
    client.login(make_user("official").email)
    assert nav_of(client, "/meetings/") == (EVERYONE, ["Meetings"])
    client.logout()
    assert NAV.search(client.get("/login").get_data(as_text=True)) is None  # signed out: no navigation
