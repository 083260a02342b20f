"""The rendered list of changes between two frozen versions is cached (fragments.comparison_html):
it follows the snapshots, and who may compare is decided before the cache is asked."""

import sqlalchemy as sa

from secretariat.agenda.models import AgendaVersion
from secretariat.extensions import db
from tests.agenda.helpers import add, make_meeting, set_status
from tests.factories import make_user, page_text


def _two_versions(coordinator, **meeting):
    m = make_meeting(coordinator, **meeting)
    add(m, coordinator, "Opening")
    set_status(m, coordinator, "drafting", "circulated")
    add(m, coordinator, "Late item")
    set_status(m, coordinator, "circulated")
    return m


def test_a_compared_snapshot_altered_in_the_database_shows_as_it_is(app, client, login_as):
    m = _two_versions(make_user("coordinator", partner_code="EU"))
    login_as("official")
    url = f"/meetings/{m.id}/compare?from=v1&to=v2"
    assert "Late item" in page_text(client.get(url))
    v2 = db.session.scalar(sa.select(AgendaVersion).where(AgendaVersion.meeting_id == m.id, AgendaVersion.number == 2))
    db.session.execute(
        sa.update(AgendaVersion)
        .where(AgendaVersion.id == v2.id)
        .values(snapshot=v2.snapshot.replace('"Late item"', '"Tampered <i>item</i>"'))
    )
    db.session.commit()
    body = page_text(client.get(url))
    assert "Tampered &lt;i&gt;item&lt;/i&gt;" in body and "Late item" not in body


def test_a_cached_comparison_is_never_shown_to_who_may_not_compare(app, client):
    coordinator = make_user("coordinator", partner_code="EU")
    m = _two_versions(coordinator, kind="coordinators", code="C-9")
    coord = app.test_client()
    coord.login(coordinator.email)
    url = f"/meetings/{m.id}/compare?from=v1&to=v2"
    assert "Late item" in page_text(coord.get(url))  # now in the cache
    client.login(make_user("official", partner_code="TH").email)
    response = client.get(url)
    assert response.status_code == 404 and "Late item" not in page_text(response)
