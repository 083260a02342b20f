"""CSV exports open as text in any spreadsheet, whatever its list separator (CSV injection).

Only a leading = + - @ tab CR was defused: "a;=1+1;b" was exported unchanged and became a formula
where the spreadsheet splits on ';'. Every export is read here the way a spreadsheet might (split
on any of , ; tab |, quotes honoured or not) and no piece may start a formula; the initiatives'
export still imports back exactly.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from secretariat import csv_safe
from secretariat.extensions import db
from secretariat.programme.models import Initiative
from tests.agenda.helpers import make_meeting
from tests.factories import make_user
from tests.programme.helpers import make_initiative

PROJECT = Path(__file__).resolve().parents[2]

PAYLOADS = [
    "a;=1+1;b",
    "a,=1+1,b",
    "a\t=1+1",
    "a|=1+1|b",
    "x|=cmd|' /C calc'!A0",
    "Brussels; +32 2 584 11 11",
    "Note, -2+3",
    "contact;@SUM(1+1)*cmd|' /C calc'!A0",
    'x;"=HYPERLINK(""http://evil.example"")"',
    "x; \t =1+1",
    "=1+1",
    "+1",
    "-1",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
    "first line\n=1+1",
    "first line\r\n@SUM(1)",
    "'=1+1",
    "a;'=1+1",
]
SAFE = ["Plain title", "Hà Nội, Viet Nam", "ASEM-ECO-010", "2027-03-10", "Economic pillar; Asia and Europe"]
#: where a spreadsheet may start a cell: the text's start, or after any separator it may split on
PIECES = re.compile(r"[,;\t|\r\n]")


def _no_piece_starts_a_formula(text: str) -> None:
    """Split on every separator, quotes or not: no piece, once spaces and quotes are trimmed, is a formula."""
    for piece in PIECES.split(text.lstrip("\ufeff")):
        assert piece.lstrip(' "')[:1] not in {"=", "+", "-", "@"}, (piece, text)


def _every_cell_quoted(text: str) -> None:
    """The text is exactly what a writer quoting every cell makes of its own rows."""
    body = text.lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(body, newline="")))
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL).writerows(rows)
    assert out.getvalue() == body


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_meetings_export_defuses_every_part_of_every_cell(client, coordinator, payload):
    meeting = make_meeting(coordinator, title=payload, city=payload, chair=payload)
    stored = [meeting.title, meeting.city, meeting.chair]  # as the form would, the service trims them
    client.login(make_user("observer").email)
    response = client.get("/meetings/export.csv")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    _no_piece_starts_a_formula(text)
    _every_cell_quoted(text)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [csv_safe.uncell(rows[0][name]) for name in ("title", "city", "chair")] == stored


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_initiatives_export_defuses_every_cell_and_imports_back_exactly(client, coordinator, payload):
    make_initiative(coordinator, "ASEM-ECO-010", co=["JP", "KR"], summary_source=payload, mandate_reference=payload)
    db.session.execute(sa.update(Initiative).values(title=payload.strip()))
    db.session.commit()
    client.login(coordinator.email)
    exported = client.get("/programme/export.csv").get_data(as_text=True)
    _no_piece_starts_a_formula(exported)
    _every_cell_quoted(exported)
    db.session.execute(sa.update(Initiative).values(title="Changed locally", summary_source="", mandate_reference=""))
    db.session.commit()
    response = client.submit(
        "/programme/import", {"file": (io.BytesIO(exported.encode()), "i.csv")}, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    db.session.expire_all()
    initiative = db.session.scalar(sa.select(Initiative))
    # the import trims each cell, as it always did
    assert (initiative.title, initiative.summary_source, initiative.mandate_reference) == (payload.strip(),) * 3


@pytest.mark.parametrize("text", PAYLOADS + SAFE + ["", "''", " '=x", "a;;=b", "=;=", "'"])
def test_a_defused_cell_reads_back_exactly(text):
    defused = csv_safe.cell(text)
    _no_piece_starts_a_formula(defused)
    assert csv_safe.uncell(defused) == text


@pytest.mark.parametrize("text", SAFE)
def test_ordinary_text_is_left_alone(text):
    assert csv_safe.cell(text) == text


def test_every_csv_the_application_writes_goes_through_csv_safe():
    writers = re.compile(r"csv\.writer\b|DictWriter|QUOTE_")
    offenders = [
        f"{path.relative_to(PROJECT)}:{number}"
        for path in sorted((PROJECT / "secretariat").rglob("*.py"))
        if path.name != "csv_safe.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if writers.search(line)
    ]
    assert offenders == []
