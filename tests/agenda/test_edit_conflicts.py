"""A save that lost the race to another one (the row's version changed between read and write) is
refused as an edit conflict, not written over the other: SQLAlchemy's version check on the UPDATE."""

import pytest
import sqlalchemy as sa

from secretariat.agenda import items, minutes, services
from secretariat.agenda.models import AgendaItem, Meeting, Minutes
from secretariat.extensions import db
from tests.agenda.helpers import ITEM_DEFAULTS, add, make_meeting, set_status
from tests.factories import make_user


def _saved_elsewhere(model, row_id: int) -> None:
    """Another request's save: the row's version moves on, this session's object still holds the old one."""
    db.session.execute(
        sa.update(model).where(model.id == row_id).values(version=model.version + 1),
        execution_options={"synchronize_session": False},
    )


def _form(meeting, **changes) -> dict:
    """The meeting form's data as opened, with ``changes``."""
    data = {name: getattr(meeting, name) for name in services.MEETING_FIELDS if name != "host"}
    return {**data, "host": meeting.host.code if meeting.host else "", **changes}


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


def test_a_meeting_saved_meanwhile_is_a_conflict(coordinator):
    meeting = make_meeting(coordinator)
    read = meeting.version
    _saved_elsewhere(Meeting, meeting.id)
    data = _form(meeting, title="Mine")
    with pytest.raises(services.MeetingConflict) as conflict:
        services.update_meeting(meeting, data, expected_version=read, actor=coordinator)
    db.session.rollback()
    assert conflict.value.current["title"] == "Senior Officials' Meeting, Brussels"
    assert db.session.get(Meeting, meeting.id).version == read


def test_a_status_change_is_not_a_conflict_for_the_meeting_form(coordinator):
    meeting = make_meeting(coordinator)
    opened = meeting.version
    set_status(meeting, coordinator, "drafting")
    data = _form(meeting, title="Renamed")
    services.update_meeting(meeting, data, expected_version=opened, actor=coordinator)
    db.session.commit()
    assert (meeting.title, meeting.version) == ("Renamed", opened + 1)


def test_an_item_saved_meanwhile_is_a_conflict(coordinator, monkeypatch):
    meeting = make_meeting(coordinator)
    item = add(meeting, coordinator, "Opening")
    read = item.version
    # Between the item's refresh under the agenda lock and its UPDATE (the lock makes this rare).
    refresh = db.session.refresh

    def refresh_then_lose_the_race(obj, *args, **kwargs):
        refresh(obj, *args, **kwargs)
        if obj is item:
            _saved_elsewhere(AgendaItem, item.id)

    monkeypatch.setattr(db.session, "refresh", refresh_then_lose_the_race)
    with pytest.raises(items.EditConflict):
        items.update_item(meeting, item, {**ITEM_DEFAULTS, "title": "Mine"}, expected_version=read, actor=coordinator)
    monkeypatch.undo()
    db.session.rollback()
    assert db.session.get(AgendaItem, item.id).title == "Opening"


def test_a_move_is_not_a_conflict_for_an_item_form(coordinator):
    meeting = make_meeting(coordinator)
    first = add(meeting, coordinator, "First")
    second = add(meeting, coordinator, "Second")
    opened = second.version
    items.move_item(meeting, first, "down", actor=coordinator)  # renumbers the second item too
    db.session.commit()
    items.update_item(
        meeting, second, {**ITEM_DEFAULTS, "title": "Second, reworded"}, expected_version=opened, actor=coordinator
    )
    db.session.commit()
    assert second.version == opened + 1


def test_minutes_saved_meanwhile_are_a_conflict(coordinator):
    meeting = make_meeting(coordinator)
    add(meeting, coordinator, "Opening")
    set_status(meeting, coordinator, "drafting", "circulated", "adopted")
    saved = minutes.save_minutes(meeting, summary="First", decisions={}, expected_version=0, actor=coordinator)
    db.session.commit()
    _saved_elsewhere(Minutes, saved.id)
    with pytest.raises(minutes.MinutesConflict):
        minutes.save_minutes(meeting, summary="Second", decisions={}, expected_version=1, actor=coordinator)
    db.session.rollback()
    with pytest.raises(minutes.MinutesRefused, match="meanwhile"):
        adopted = db.session.get(Minutes, saved.id)
        _saved_elsewhere(Minutes, saved.id)
        minutes.adopt(meeting, actor=coordinator)
    db.session.rollback()
    assert adopted.status == "draft" and adopted.summary_source == "First"
