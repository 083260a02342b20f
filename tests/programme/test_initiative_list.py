"""The initiative list: its cells, escaped; filters whose values never stick; the partner filter by
code inside the statement."""

from datetime import date, timedelta

from sqlalchemy import event

from secretariat.extensions import db
from secretariat.programme import services
from secretariat.timeutil import utcnow
from tests.factories import make_user, page_text
from tests.programme.helpers import make_initiative


def _rows(body: str) -> str:
    return body.split("<tbody>")[1].split("</tbody>")[0]


def test_rows_show_code_link_labels_lead_co_sponsors_and_escape_text(client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    late = make_initiative(coordinator, "ASEM-ECO-101", lead="SG", co=["JP", "KR"], title="Trade <b>now</b> & later")
    make_initiative(coordinator, "ASEM-SOC-102", lead="FR", pillar="social", status="ongoing")
    services.add_milestone(late, title="Report", kind="deliverable", due=date(2020, 1, 1), actor=coordinator)
    db.session.commit()
    login_as("observer")
    rows = _rows(page_text(client.get("/programme/")))
    assert (
        '<td data-label="Code">ASEM-ECO-101</td>\n'
        f'      <td data-label="Initiative"><a href="/programme/initiatives/{late.id}">Trade &lt;b&gt;now&lt;/b&gt; '
        '&amp; later</a> <span class="badge badge--warning">milestone overdue</span></td>\n'
        '      <td data-label="Pillar">Economic and financial cooperation</td>\n'
        '      <td data-label="Lead">Singapore <span class="muted">+2</span></td>\n'
        '      <td data-label="Status">Proposed</td>'
    ) in rows
    assert '<td data-label="Lead">France</td>' in rows and '<td data-label="Status">Ongoing</td>' in rows
    assert rows.index("ASEM-ECO-101") < rows.index("ASEM-SOC-102")  # by code
    assert rows.count("milestone overdue") == 1
    empty = page_text(client.get("/programme/?q=nothing-like-this"))
    assert "No initiative matches." in _rows(empty) and "Initiatives, 0 in all" in empty


def test_filter_values_are_bound_and_never_stick(client, login_as):
    """Each request's filters are its own."""
    coordinator = make_user("coordinator", partner_code="EU")
    make_initiative(coordinator, "ASEM-ECO-201", lead="SG", co=["JP"], title="Energy markets")
    make_initiative(coordinator, "ASEM-SOC-202", lead="FR", pillar="social", status="ongoing", title="Youth exchange")
    soon = make_initiative(coordinator, "ASEM-POL-203", lead="VN", pillar="political", title="Energy dialogue")
    services.add_milestone(
        soon, title="Meeting", kind="milestone", due=utcnow().date() + timedelta(days=3), actor=coordinator
    )
    db.session.commit()
    login_as("official")
    for query, shown, hidden in (
        ("pillar=economic", {"201"}, {"202", "203"}),
        ("pillar=social", {"202"}, {"201", "203"}),
        ("status=ongoing", {"202"}, {"201", "203"}),
        ("partner=JP", {"201"}, {"202", "203"}),  # a co-sponsor
        ("partner=fr", {"202"}, {"201", "203"}),  # a lead, the code in any case
        ("partner=XX", set(), {"201", "202", "203"}),  # no such partner: nothing, not everything
        ("q=energy", {"201", "203"}, {"202"}),
        ("q=ENERGY&pillar=political", {"203"}, {"201", "202"}),
        ("q=%25", {"201", "202", "203"}, set()),
        ("overdue=1", set(), {"201", "202", "203"}),  # due in three days: not late
    ):
        rows = _rows(page_text(client.get(f"/programme/?{query}")))
        assert all(f"-{n}<" in rows for n in shown) and not any(f"-{n}<" in rows for n in hidden), query
    csv = page_text(client.get("/programme/export.csv?partner=JP"))
    assert "ASEM-ECO-201" in csv and "ASEM-SOC-202" not in csv


def _statements_of(client, url: str) -> int:
    seen = [0]

    def on_execute(*_args, **_kwargs):
        seen[0] += 1

    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        assert "ASEM-ECO-301" in page_text(client.get(url))
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)
    return seen[0]


def test_partner_filter_reads_no_partner_first(client, login_as):
    """The partner's code goes into the list's statements: no statement to look the partner up."""
    coordinator = make_user("coordinator", partner_code="EU")
    make_initiative(coordinator, "ASEM-ECO-301", lead="SG", co=["JP"])
    login_as("official")
    for url in ("/programme/", "/programme/?partner=JP"):
        client.get(url)
    assert _statements_of(client, "/programme/?partner=JP") == _statements_of(client, "/programme/")


def test_the_list_is_paged_and_the_pages_keep_the_filters(client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    for n in range(52):
        make_initiative(coordinator, f"ASEM-ECO-{n:03d}", lead="SG")
    make_initiative(coordinator, "ASEM-SOC-999", lead="FR", pillar="social")
    login_as("official")
    first = page_text(client.get("/programme/?pillar=economic"))
    assert "Page 1 of 2 (52 in all)" in first and "ASEM-ECO-049" in first and "ASEM-ECO-050" not in first
    assert 'href="/programme/?pillar=economic&amp;page=2" rel="next"' in first
    second = page_text(client.get("/programme/?pillar=economic&page=2"))
    assert "ASEM-ECO-050" in second and "ASEM-ECO-051" in second and "ASEM-ECO-049" not in second
    assert "ASEM-SOC-999" not in second and 'rel="prev"' in second
    beyond = page_text(client.get("/programme/?page=99999999999"))
    assert beyond.count('<td data-label="Code">') == 0
