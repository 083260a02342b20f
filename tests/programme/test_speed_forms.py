"""The forms on the initiative page, written out in the template, print what _forms.html's field() prints.

The page no longer builds StatusForm, MilestoneForm and CommentForm nor calls the field() macro for
them: these tests render the forms the old way (unbound, the same choices) and find that HTML in the page.
The meeting options are escaped in one call (views._meeting_options): titles with markup, quotes,
double spaces and control characters check it against the per-option escaping of PlainOptionsSelect.
Their HTML is kept in the process keyed by the rows read: a changed, added or hidden meeting shows at once.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask import current_app
from flask_login import login_user
from wtforms.fields.choices import SelectChoice

from secretariat.extensions import db
from secretariat.programme import views
from secretariat.programme.forms import CommentForm, MilestoneForm, StatusForm
from secretariat.programme.models import STATUS_TRANSITIONS, InitiativeStatus
from secretariat.timeutil import utcnow
from tests.agenda.helpers import make_meeting
from tests.factories import make_user, page_text
from tests.programme.helpers import make_initiative

# The template's lines as they were before the forms were written out.
OLD_STATUS_FORM = """{% from "_forms.html" import field %}<input type="hidden" name="csrf_token" value="X">
    {{ field(status_form.status) }}
    {{ field(status_form.effective_date) }}
    {{ field(status_form.meeting_id, hint="Meetings of the last three years and of the year ahead.") }}
    {{ field(status_form.note) }}
    <button type="submit" class="button">Change the status</button>"""
OLD_COMMENT_FORM = """{% from "_forms.html" import field %}<input type="hidden" name="csrf_token" value="X">
    {{ field(comment_form.text, hint="Plain text; **bold**, *italic*, lists and links are formatted.") }}
    <button type="submit" class="button button--secondary">Add comment</button>"""
OLD_MILESTONE_FORM = """{% from "_forms.html" import field %}<input type="hidden" name="csrf_token" value="X">
    {{ field(milestone_form.title) }}
    {{ field(milestone_form.kind) }}
    {{ field(milestone_form.due_date) }}
    <button type="submit" class="button button--secondary">Add</button>"""


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value="X"', html)


def _old_forms(user, status: str) -> tuple[str, str]:
    """Both forms as the page printed them with WTForms and field(), for this user and status."""
    with current_app.test_request_context("/"):
        login_user(user)
        status_form = StatusForm(formdata=None)
        goals = sorted(STATUS_TRANSITIONS[InitiativeStatus(status)], key=list(InitiativeStatus).index)
        status_form.status.choices = [SelectChoice(s.value, s.label) for s in goals]
        status_form.meeting_id.choices = views._meeting_choices("No meeting", recent=True)
        status_form.effective_date.data = utcnow().date()
        env = current_app.jinja_env
        return (
            env.from_string(OLD_STATUS_FORM).render(status_form=status_form),
            env.from_string(OLD_MILESTONE_FORM).render(milestone_form=MilestoneForm(formdata=None)),
        )


TITLES = {
    "plain": ["Senior Officials' Meeting, Brussels"],
    "markup": ["<b>\"Quoted\"</b> & <i>'single'</i>", "Two  spaces   and three", " Leading and trailing  "],
    # PostgreSQL stores no NUL character: the NUL titles are tried on SQLite only (see the test)
    "control characters": ["A \x01 start of heading", "A \x00 null", "Both \x00\x01 in one"],
}


@pytest.mark.parametrize("titles", TITLES.values(), ids=TITLES.keys())
@pytest.mark.parametrize("status", ["proposed", "endorsed", "ongoing"])
def test_the_coordinators_forms_print_what_field_printed(client, login_as, titles, status):
    coordinator = login_as("coordinator", partner_code="EU")
    soon = utcnow().date() + timedelta(days=20)
    if db.engine.dialect.name != "sqlite":
        titles = [title for title in titles if "\x00" not in title]
    for n, title in enumerate(titles):
        meeting = make_meeting(coordinator, title=f"Meeting {n}", code=f"SOM-{n}", start_date=soon, end_date=soon)
        meeting.title = title  # as stored, whatever the form would have said
    make_meeting(coordinator, title="Without code", code="", start_date=soon, end_date=soon)
    make_meeting(
        coordinator, title="Coordinators only", kind="coordinators", code="C-1", start_date=soon, end_date=soon
    )
    make_meeting(coordinator, title="Too old", code="OLD", start_date=date(2001, 1, 1), end_date=date(2001, 1, 1))
    db.session.commit()
    item = make_initiative(coordinator, status=status)
    html = _without_tokens(page_text(client.get(f"/programme/initiatives/{item.id}")))
    status_form, milestone_form = _old_forms(coordinator, status)
    assert status_form in html
    assert milestone_form in html
    assert html.count("<option") == status_form.count("<option") + milestone_form.count("<option")
    assert "Too old" not in html and "Coordinators only" in html


@pytest.mark.parametrize("status", ["completed", "withdrawn", "discontinued"])
def test_a_final_status_has_no_status_form_but_the_milestone_form(client, login_as, status):
    coordinator = login_as("coordinator", partner_code="EU")
    item = make_initiative(coordinator, status=status)
    html = _without_tokens(page_text(client.get(f"/programme/initiatives/{item.id}")))
    assert f"<p>{InitiativeStatus(status).label} is final.</p>" in html
    assert 'id="meeting_id"' not in html and "Change the status" not in html
    assert _old_forms(coordinator, status)[1] in html


def test_others_see_neither_form(client, login_as):
    item = make_initiative(make_user("coordinator", partner_code="EU"))
    login_as("official", partner_code="DE")
    html = page_text(client.get(f"/programme/initiatives/{item.id}"))
    assert 'id="manage"' not in html and 'id="meeting_id"' not in html and 'id="due_date"' not in html


def test_meeting_options_without_recent_meetings(client, login_as):
    coordinator = login_as("coordinator", partner_code="EU")
    with current_app.test_request_context("/"):
        login_user(coordinator)
        assert str(views._meeting_options("No <meeting>")) == '<option value="">No &lt;meeting&gt;</option>'


def test_status_choices_come_in_the_life_cycles_order(client, login_as):
    """The first choice is the one a form pre-selects: it must not depend on the server process."""
    coordinator = login_as("coordinator", partner_code="EU")
    item = make_initiative(coordinator, status="ongoing")
    html = page_text(client.get(f"/programme/initiatives/{item.id}"))
    order = [s.label for s in InitiativeStatus if s in STATUS_TRANSITIONS[InitiativeStatus.ONGOING]]
    positions = [html.index(f">{label}</option>") for label in order]
    assert len(order) > 1 and positions == sorted(positions)


def _old_comment_form(user) -> str:
    with current_app.test_request_context("/"):
        login_user(user)
        return current_app.jinja_env.from_string(OLD_COMMENT_FORM).render(comment_form=CommentForm(formdata=None))


@pytest.mark.parametrize("role", ["coordinator", "official"])
def test_the_comment_form_prints_what_field_printed(client, login_as, role):
    user = login_as(role, partner_code="EU")
    item = make_initiative(make_user("coordinator", partner_code="DE"))
    html = _without_tokens(page_text(client.get(f"/programme/initiatives/{item.id}")))
    old = _old_comment_form(user)
    assert "\r\n</textarea>" in old  # WTForms starts a textarea's content with a CRLF: the page must too
    assert old in html
    assert html.count("<textarea") == 1


def test_an_observer_has_no_comment_form(client, login_as):
    item = make_initiative(make_user("coordinator", partner_code="EU"))
    login_as("observer", partner_code="DE")
    html = page_text(client.get(f"/programme/initiatives/{item.id}"))
    assert "<textarea" not in html and "Add comment" not in html


def test_the_kept_meeting_options_follow_the_meetings(client, login_as):
    """A meeting renamed, added, moved out of the window or deleted shows on the next page: the rows are the key."""
    coordinator = login_as("coordinator", partner_code="EU")
    soon = utcnow().date() + timedelta(days=20)
    first = make_meeting(coordinator, title="First title", code="SOM-1", start_date=soon, end_date=soon)
    db.session.commit()
    item = make_initiative(coordinator, status="proposed")
    url = f"/programme/initiatives/{item.id}"

    def options() -> str:
        html = page_text(client.get(url))
        return html[html.index('id="meeting_id"') : html.index("</select>", html.index('id="meeting_id"'))]

    assert f'<option value="{first.id}">{soon.isoformat()} SOM-1 First title</option>' in options()
    assert options() == options()  # the kept HTML, the same
    first.title = "Renamed <now>"
    db.session.commit()
    assert f'<option value="{first.id}">{soon.isoformat()} SOM-1 Renamed &lt;now&gt;</option>' in options()
    second = make_meeting(coordinator, title="Second", code="SOM-2", start_date=soon, end_date=soon)
    db.session.commit()
    assert f'<option value="{second.id}">' in options()
    first.start_date = first.end_date = date(2001, 1, 1)
    db.session.commit()
    assert f'<option value="{first.id}">' not in options() and f'<option value="{second.id}">' in options()
    db.session.delete(second)
    db.session.commit()
    assert options().endswith('<option value="">No meeting</option>')


def test_the_kept_meeting_options_are_those_the_viewer_may_see(client, login_as):
    """The rows read are the key: an entry made for one set of visible meetings is never shown for another."""
    coordinator = login_as("coordinator", partner_code="EU")
    soon = utcnow().date() + timedelta(days=20)
    make_meeting(coordinator, title="Open meeting", code="SOM-1", start_date=soon, end_date=soon)
    make_meeting(
        coordinator, title="Coordinators only", kind="coordinators", code="C-1", start_date=soon, end_date=soon
    )
    db.session.commit()
    with current_app.test_request_context("/"):
        login_user(coordinator)
        for_coordinators = str(views._meeting_options("No meeting"))
    with current_app.test_request_context("/"):
        login_user(make_user("official", partner_code="DE"))
        for_officials = str(views._meeting_options("No meeting"))
    assert "Coordinators only" in for_coordinators and "Open meeting" in for_coordinators
    assert "Coordinators only" not in for_officials and "Open meeting" in for_officials
