"""A meeting is named only to those who may see it: a coordinators' meeting's title, code and link
reach no official or observer through the pages, exports and search that mention meetings
(an initiative's mandate and status history, the changes since the last SOM, the initiatives'
CSV, search hits, facets and filters, a record's page)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from secretariat.archive import services as archive
from secretariat.extensions import db
from secretariat.programme import services as programme
from tests.agenda.helpers import make_meeting
from tests.archive.helpers import file_record
from tests.factories import make_user, page_text
from tests.programme.helpers import make_initiative

TITLE_WORD = "Conclave"
CODE = "CMZQ"
CLEARED = {"coordinator", "admin"}


@pytest.fixture
def hidden(app):
    """A coordinators' meeting, with an initiative mandated there and moved on there, a SOM after
    it, and a restricted record of it that partners may read."""
    coordinator = make_user("coordinator", partner_code="EU")
    meeting = make_meeting(
        coordinator,
        kind="coordinators",
        code=CODE,
        title=f"Coordinators' {TITLE_WORD} in Brussels",
        start_date=date(2026, 5, 1),
        end_date=date(2026, 5, 1),
    )
    som = make_meeting(
        coordinator, title="SOM after", code="SOMZQ", start_date=date(2026, 9, 1), end_date=date(2026, 9, 2)
    )
    initiative = make_initiative(
        coordinator, "ASEM-ZQ-001", status="endorsed", mandate_meeting_id=meeting.id, mandate_reference="para 4"
    )
    programme.change_status(
        initiative, "ongoing", effective=date(2026, 5, 1), meeting_id=meeting.id, note="", actor=coordinator
    )
    db.session.commit()
    record = file_record(
        coordinator, "Press line zqmeetingrecord", meeting_id=meeting.id, description_source="zqmeetingrecord"
    )
    archive.sync()
    return {"meeting": meeting.id, "som": som.id, "initiative": initiative.id, "record": record.id}


def _pages(ids) -> list[str]:
    return [
        f"/programme/initiatives/{ids['initiative']}",
        f"/programme/som-summary?meeting={ids['som']}",
        "/programme/export.csv",
        f"/archive/records/{ids['record']}",
        "/archive/?q=zqmeetingrecord",
        "/archive/?q=",
        "/archive/?q=asem",
        "/",
        "/meetings/",
        "/meetings/export.csv",
    ]


def _names_it(body: str, meeting_id: int) -> bool:
    linked = re.search(rf"/meetings/{meeting_id}(?!\d)", body) is not None
    return TITLE_WORD in body or CODE in body or linked


@pytest.mark.parametrize("role", ["official", "observer", "coordinator", "admin"])
def test_a_coordinators_meeting_is_named_only_to_those_who_may_see_it(client, login_as, hidden, role):
    login_as(role, partner_code="EU" if role in CLEARED else "JP")
    named = {url: _names_it(page_text(client.get(url)), hidden["meeting"]) for url in _pages(hidden)}
    if role in CLEARED:  # the pages that name it to those who may see it (the test sees names)
        naming = [url for url in _pages(hidden)[:6] if url != "/archive/?q="] + ["/meetings/", "/meetings/export.csv"]
        assert [url for url in naming if not named[url]] == []
    else:
        assert [url for url, seen in named.items() if seen] == []


@pytest.mark.parametrize("role", ["official", "observer"])
def test_partners_still_read_the_rest_unnamed(client, login_as, hidden, role):
    login_as(role, partner_code="JP")
    page = page_text(client.get(f"/programme/initiatives/{hidden['initiative']}"))
    assert "A coordinators&#39; meeting, para 4" in page
    assert "endorsed → <strong>ongoing</strong> at a coordinators&#39; meeting" in page
    summary = page_text(client.get(f"/programme/som-summary?meeting={hidden['som']}"))
    assert "endorsed → ongoing at a coordinators&#39; meeting" in summary
    assert '"a coordinators\' meeting","para 4"' in page_text(client.get("/programme/export.csv"))
    record = page_text(client.get(f"/archive/records/{hidden['record']}"))
    assert "Press line zqmeetingrecord" in record and "<dt>Meeting</dt>" not in record


@pytest.mark.parametrize("role", ["official", "observer"])
def test_search_facets_and_filters_do_not_tell_a_coordinators_meeting(client, login_as, hidden, role):
    login_as(role, partner_code="JP")

    def total(**args) -> int:
        body = page_text(client.get("/archive/", query_string=args))
        assert "Coordinators&#39; Meeting" not in body
        return int(re.search(r'<h2 id="results-title">(\d+) record', body).group(1))

    assert total(q="zqmeetingrecord") == 1
    assert total(q="zqmeetingrecord", meeting_kind="none") == 1  # as its page shows it: no meeting
    assert total(q="zqmeetingrecord", meeting_kind="coordinators") == 0
    assert total(q=f"zqmeetingrecord meeting:{CODE}") == 0
    assert total(q=f"meeting:{CODE}") == 0  # the initiative mandated there neither
    assert total(q="ASEM-ZQ-001") == 1


def test_coordinators_find_them_by_meeting(client, login_as, hidden):
    login_as("coordinator", partner_code="EU")
    body = page_text(client.get("/archive/", query_string={"q": f"meeting:{CODE}"}))
    assert '<h2 id="results-title">2 records' in body and "Coordinators&#39; Meeting" in body
