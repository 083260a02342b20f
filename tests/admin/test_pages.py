"""The admin lists are paged by db.paginate; the pager's links keep the list's filters."""

from __future__ import annotations

import re

import pytest

from tests.factories import make_user, page_text


@pytest.fixture
def many_officials(app):
    # password=None: no slow hashing for sixty users nobody signs in as
    return [make_user("official", name=f"Official {n:02d}", password=None, mfa=False) for n in range(60)]


def test_users_are_paged_and_the_next_page_keeps_the_filters(client, login_as, many_officials):
    login_as("admin")
    first = page_text(client.get("/admin/users?q=official&role=official"))
    assert "Page 1 of 2 (60 in all)" in first and "Previous page" not in first
    (next_link,) = re.findall(r'<a href="([^"]+)" rel="next">', first)
    assert next_link.replace("&amp;", "&") == "/admin/users?q=official&role=official&page=2"
    second = page_text(client.get(next_link.replace("&amp;", "&")))
    assert "Page 2 of 2 (60 in all)" in second and "Next page" not in second
    assert "Official 59" in second and "Official 00" not in second


@pytest.mark.parametrize("page", ["-3", "0", "abc", "99999", "99999999999999999999"])
def test_a_page_number_that_makes_no_sense_shows_a_page(client, login_as, many_officials, page):
    login_as("admin")
    assert client.get(f"/admin/users?page={page}").status_code == 200
    assert client.get(f"/admin/audit?page={page}").status_code == 200
