"""The meeting list: its cells escaped, the meetings each role may see, filters and their options."""

from datetime import date

import sqlalchemy as sa

from secretariat.agenda.models import Meeting
from secretariat.auth.models import Partner
from secretariat.extensions import db
from tests.agenda.helpers import make_meeting
from tests.factories import make_user, page_text


def _rows(body: str) -> str:
    return body.split("<tbody>")[1].split("</tbody>")[0]


def test_rows_show_dates_venue_labels_and_escape_text(client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    long = make_meeting(coordinator, title="Talks <b>on</b> & co", code="A-1")
    make_meeting(
        coordinator,
        title="One day, nowhere",
        code="A-2",
        city="",
        host="",
        start_date=date(2027, 4, 2),
        end_date=date(2027, 4, 2),
    )
    login_as("official")
    rows = _rows(page_text(client.get("/meetings/")))
    assert (
        '<td data-label="Dates">10 March 2027 – 11 March 2027</td>\n'
        f'      <td data-label="Meeting"><a href="/meetings/{long.id}">Talks &lt;b&gt;on&lt;/b&gt; &amp; co</a></td>\n'
        '      <td data-label="Kind">Senior Officials&#39; Meeting</td>\n'
        '      <td data-label="Venue">Brussels (Belgium)</td>\n'
        '      <td data-label="Status">Planned</td>'
    ) in rows
    assert '<td data-label="Dates">2 April 2027</td>' in rows
    assert '<td data-label="Venue"></td>' in rows
    assert rows.index("One day, nowhere") < rows.index("Talks")  # latest first


def test_empty_list_and_coordinators_meetings_by_role(client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    make_meeting(coordinator, title="Coordinators only", code="C-1", kind="coordinators")
    make_meeting(coordinator, title="Open to all", code="C-2")
    login_as("official")
    body = page_text(client.get("/meetings/"))
    assert "Open to all" in body and "Coordinators only" not in body and "Meetings, 1 in all" in body
    body = page_text(client.get("/meetings/?kind=coordinators"))
    assert "No meetings match these filters." in _rows(body) and "Meetings, 0 in all" in body


def test_coordinators_see_coordinators_meetings(client):
    coordinator = make_user("coordinator", partner_code="EU")
    make_meeting(coordinator, title="Coordinators only", code="C-1", kind="coordinators")
    make_meeting(coordinator, title="Open to all", code="C-2")
    client.login(coordinator.email)
    assert "Meetings, 2 in all" in page_text(client.get("/meetings/"))
    body = page_text(client.get("/meetings/?kind=coordinators"))
    assert "Coordinators only" in body and "Open to all" not in body and "Meetings, 1 in all" in body


def test_filters_bind_their_values(client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    make_meeting(coordinator, title="Hosted by Belgium 2027", code="F-1")
    make_meeting(
        coordinator,
        title="Hosted by Japan 2028",
        code="F-2",
        host="JP",
        start_date=date(2028, 1, 5),
        end_date=date(2028, 1, 6),
    )
    login_as("official")
    # The same statement serves other values of the same filter: the values must not stick.
    for query, shown, hidden in (
        ("host=BE", "Belgium 2027", "Japan 2028"),
        ("host=JP", "Japan 2028", "Belgium 2027"),
        ("year=2028", "Japan 2028", "Belgium 2027"),
        ("year=2027", "Belgium 2027", "Japan 2028"),
        ("year=2027&host=JP", None, "2028"),
    ):
        rows = _rows(page_text(client.get(f"/meetings/?{query}")))
        assert (shown is None or shown in rows) and hidden not in rows, query


def test_filter_options_follow_partner_names_and_years(client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    make_meeting(coordinator, code="O-1")
    login_as("official")
    # Partners are kept from test to test (another test may have renamed Japan): read the name.
    name = db.session.scalar(sa.select(Partner.name).where(Partner.code == "JP"))
    body = page_text(client.get("/meetings/?host=JP"))
    assert f'<option value="JP" selected>{name}</option>' in body
    assert '<option value="2027">2027</option>' in body and '<option value="2030">' not in body
    db.session.execute(sa.update(Partner).where(Partner.code == "JP").values(name="Nippon <Japan>"))
    db.session.execute(sa.update(Meeting).values(start_date=date(2030, 1, 1), end_date=date(2030, 1, 2)))
    db.session.commit()
    body = page_text(client.get("/meetings/?host=JP"))
    assert '<option value="JP" selected>Nippon &lt;Japan&gt;</option>' in body and f">{name}</option>" not in body
    assert '<option value="2030">2030</option>' in body and '<option value="2027">' not in body
    body = page_text(client.get("/meetings/?host=BE&year=2030"))
    assert '<option value="JP">Nippon &lt;Japan&gt;</option>' in body
    assert '<option value="BE" selected>' in body and '<option value="2030" selected>2030</option>' in body
    db.session.execute(sa.update(Partner).where(Partner.code == "JP").values(name=name))
    db.session.commit()
