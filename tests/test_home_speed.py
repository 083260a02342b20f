"""The home page's upcoming meetings, read as rows through a subquery of the meetings not yet over."""

from datetime import date, timedelta

from secretariat.agenda import services
from secretariat.extensions import db
from tests.agenda.helpers import make_meeting
from tests.factories import make_user, page_text


def test_upcoming_meetings_not_over_by_start_and_visible(app, client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    today = date(2027, 3, 10)
    day = timedelta(days=1)
    make_meeting(coordinator, title="Over yesterday", code="A", start_date=today - 3 * day, end_date=today - day)
    make_meeting(coordinator, title="Ends today", code="B", start_date=today - 2 * day, end_date=today)
    make_meeting(coordinator, title="Same day, made first", code="C", start_date=today + day, end_date=today + day)
    make_meeting(coordinator, title="Same day, made second", code="D", start_date=today + day, end_date=today + 2 * day)
    make_meeting(
        coordinator, title="Coordinators only", code="E", kind="coordinators", start_date=today, end_date=today
    )
    for n in range(6):
        make_meeting(
            coordinator,
            title=f"Later {n}",
            code=f"L{n}",
            start_date=today + (10 + n) * day,
            end_date=today + (10 + n) * day,
        )
    db.session.commit()
    official = make_user("official", partner_code="JP")

    def titles(user, limit=5):
        return [row.title for row in services.upcoming(today, user, limit)]

    assert titles(coordinator) == [
        "Ends today",
        "Coordinators only",
        "Same day, made first",
        "Same day, made second",
        "Later 0",
    ]
    assert titles(official) == ["Ends today", "Same day, made first", "Same day, made second", "Later 0", "Later 1"]
    assert titles(official, limit=20)[-1] == "Later 5"
    row = services.upcoming(today, official)[0]
    assert (row.start_date, row.city, row.status) == (today - 2 * day, "Brussels", "planned")

    login_as("official")
    body = page_text(client.get("/"))
    assert "Upcoming meetings" in body
