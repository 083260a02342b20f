"""The issue's reference page, to read the figures of any machine: a 50-row page with a session check.

Issue #8 states its goals beside a figure from its own machine: "a 50-row page with a session check
ran at about 490 requests per second with p99 58 ms against 3,200 for a bare route, both on 2 sync
gunicorn workers". Machines of this kind differ by a factor of two and more from one session to
the next (bench/README.md), so `load.py --reference` and `pages.py` time this page beside the real
ones, in the same minutes: the real pages are then read against it on whatever machine runs them.

The page goes through everything the application does for any page (the signed-in session check,
the access rule, the layout with its navigation, the security headers) and does the least a list
page can on top: one statement reading 50 meetings, written into a table with a link per row. It
lives only here: `add_reference_page` adds it to an application; gunicorn serves one made by
`reference:create_reference_app()` (with bench/ on its Python path, as load.py starts it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

# The application's modules are imported only when a page is added: the benchmarks import this
# module before bench/data.py's configure() has pointed the configuration at the bench instance.

PATH = "/bench/reference"

SOURCE = """{% extends "base.html" %}
{% block content %}
<h1>Meetings (reference page)</h1>
<table class="table">
  <thead><tr><th scope="col">Meeting</th><th scope="col">Kind</th><th scope="col">City</th>
  <th scope="col">From</th><th scope="col">To</th><th scope="col">Status</th></tr></thead>
  <tbody>
  {% for row in rows %}
  <tr><td><a href="{{ url_for('agenda.meeting', meeting_id=row.id) }}">{{ row.title }}</a></td><td>{{ row.kind }}</td>
  <td>{{ row.city or "" }}</td><td>{{ row.start_date }}</td><td>{{ row.end_date }}</td><td>{{ row.status }}</td></tr>
  {% endfor %}
  </tbody>
</table>
{% endblock %}
"""


def add_reference_page(app: Flask) -> None:
    """Serve the reference page at PATH, for signed-in users, on ``app``."""
    import sqlalchemy as sa
    from flask import render_template

    from secretariat.agenda.models import Meeting
    from secretariat.auth.permissions import Permission, requires
    from secretariat.extensions import db

    template = app.jinja_env.from_string(SOURCE)
    # built once, as the application's own statements are
    rows = (
        sa.select(Meeting.id, Meeting.title, Meeting.kind, Meeting.city, Meeting.start_date, Meeting.end_date)
        .add_columns(Meeting.status)
        .order_by(Meeting.start_date.desc(), Meeting.id.desc())
        .limit(50)
    )

    @requires(Permission.SIGNED_IN)
    def reference_page():
        return render_template(template, rows=db.session.execute(rows).all())

    app.add_url_rule(PATH, "bench_reference", reference_page)


def create_reference_app() -> Flask:
    """The application as wsgi.py makes it, with the reference page."""
    import gc

    from secretariat import create_app

    application = create_app()
    add_reference_page(application)
    gc.collect()  # as wsgi.py does
    gc.freeze()
    return application
