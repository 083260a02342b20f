"""The meeting page's links from URL patterns kept per script root (agenda/links.py): the strings
url_for gives, under any mount point, and a navigation written as the meeting_nav macro writes it."""

import pytest
from flask import get_template_attribute, url_for

from secretariat.agenda import links
from tests.agenda.helpers import make_meeting
from tests.factories import make_user, page_text


@pytest.mark.parametrize("script_root", ["", "/intranet", "/a b&c"])
def test_meeting_urls_are_url_for_under_every_mount_point(app, script_root):
    for meeting_id in (7, 123456):
        with app.test_request_context("/meetings/", environ_base={"SCRIPT_NAME": script_root}):
            urls = links.meeting_urls(meeting_id)
            for name, (endpoint, values) in links._MEETING_LINKS.items():
                assert urls[name] == url_for(endpoint, meeting_id=meeting_id, **values), name
            for current in ("agenda.meeting", "agenda.versions", "agenda.compare_versions", None):
                macro = get_template_attribute("agenda/_agenda.html", "meeting_nav")
                meeting = type("M", (), {"id": meeting_id})()
                assert links.meeting_nav(urls, current) == macro(meeting, current)


def test_officials_meeting_page_links(client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator)
    login_as("official")
    body = page_text(client.get(f"/meetings/{meeting.id}"))
    assert f'<li><a href="/meetings/{meeting.id}" aria-current="page">Meeting and agenda</a></li>' in body
    assert f'href="/meetings/{meeting.id}/edit"' not in body and "Print the draft" not in body


def test_coordinators_meeting_page_links(client):
    coordinator = make_user("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator)
    client.login(coordinator.email)
    body = page_text(client.get(f"/meetings/{meeting.id}"))
    assert f'href="/meetings/{meeting.id}/edit"' in body and f'action="/meetings/{meeting.id}/status"' in body
    assert f'href="/meetings/{meeting.id}/items/new"' in body
