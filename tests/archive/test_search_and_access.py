"""Search and access: levels, embargoes and withdrawal in pages, downloads, results, counts and snippets."""

import json
import re
import time
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from secretariat.archive import services
from secretariat.archive.models import Record, RecordVersion, SearchChange
from secretariat.archive.search import indexing
from secretariat.archive.search.query import parse
from secretariat.audit.services import canonical_json
from secretariat.extensions import db
from secretariat.timeutil import utcnow
from tests.agenda.helpers import make_meeting, set_status
from tests.archive.helpers import file_record, pdf
from tests.factories import make_user, page_text, run_worker


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


def found(client, query: str) -> tuple[int, str]:
    body = page_text(client.get("/archive/", query_string={"q": query}))
    total = int(re.search(r"<h2 id=\"results-title\">(\d+) record", body).group(1))
    return total, body


@pytest.fixture
def corpus(coordinator):
    return {
        "public": file_record(
            coordinator,
            "Public declaration on water",
            confidentiality="public",
            description_source="The leaders welcomed the Mekong water cooperation.",
        ),
        "restricted": file_record(
            coordinator,
            "Restricted minutes on water",
            record_type="minutes",
            description_source="Senior officials discussed water and sanitation.",
        ),
        "coordinators": file_record(
            coordinator,
            "Coordinators' note on water",
            confidentiality="coordinators",
            description_source="Secret: sensitive water negotiation positions.",
        ),
        "embargoed": file_record(
            coordinator,
            "Embargoed statement on water",
            embargo_until=utcnow() + timedelta(days=3),
            description_source="Embargoed wording about water.",
        ),
        "withdrawn": file_record(
            coordinator,
            "Withdrawn report on water",
            record_type="report",
            description_source="A withdrawn water report.",
        ),
    }


def withdraw(record, actor):
    services.withdraw(record, "Superseded by a corrected text", actor=actor)
    db.session.commit()
    services.sync()


#: a search, and the archive's front page (no words: every record the user may open, a different
#: engine query, see engine.full_query)
QUERIES = ["water", ""]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("role", ["official", "observer"])
def test_partner_roles_see_only_public_and_restricted(client, login_as, corpus, coordinator, role, query):
    withdraw(corpus["withdrawn"], coordinator)
    login_as(role)
    total, body = found(client, query)
    assert total == 2
    assert "Public declaration" in body and "Restricted minutes" in body
    for hidden in ("Coordinators&#39; note", "Embargoed statement", "Withdrawn report", "Secret:", "negotiation"):
        assert hidden not in body
    # facet counts never include what the user may not open
    assert re.search(r"Minutes <span class=\"muted\">\(1\)", body)
    assert 'Chair&#39;s statement <span class="muted">(1)' in body  # only the public one; the embargoed is hidden
    for key in ("coordinators", "embargoed", "withdrawn"):
        record = corpus[key]
        assert client.get(f"/archive/records/{record.id}").status_code == 404
        assert client.get(f"/archive/records/{record.id}/versions/1").status_code == 404


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_cleared_roles_see_everything(client, login_as, corpus, coordinator, role, query):
    withdraw(corpus["withdrawn"], coordinator)
    login_as(role)
    total, body = found(client, query)
    assert total == 5 and "withdrawn" in body
    page = page_text(client.get(f"/archive/records/{corpus['withdrawn'].id}"))
    assert "Superseded by a corrected text" in page


def test_snippets_do_not_leak_hidden_text(client, login_as, corpus):
    login_as("official")
    total, body = found(client, "negotiation")
    assert total == 0 and "negotiation positions" not in body
    total, body = found(client, "sanitation")
    assert total == 1 and "<mark>sanitation</mark>" in body


def test_embargo_is_released_at_its_date_without_any_step(client, login_as, corpus):
    login_as("official")
    assert "Embargoed statement" not in found(client, "embargoed")[1]
    # As if the clock had moved past the embargo: the row's date and the one its version was sealed
    # with (the stricter of the two applies to the version's page and files).
    passed = utcnow() - timedelta(seconds=1)
    db.session.execute(sa.update(Record).where(Record.id == corpus["embargoed"].id).values(embargo_until=passed))
    version = db.session.scalar(sa.select(RecordVersion).where(RecordVersion.record_id == corpus["embargoed"].id))
    version.metadata_json = canonical_json(json.loads(version.metadata_json) | {"embargo_until": passed.isoformat()})
    db.session.commit()
    services.rebuild()  # the index keeps the embargo date; only the clock moved (the rebuild re-reads the row)
    assert client.get(f"/archive/records/{corpus['embargoed'].id}").status_code == 200
    assert found(client, "embargoed")[0] == 1


def test_embargo_date_passing_needs_no_reindex(client, login_as, coordinator):
    record = file_record(coordinator, "Soon public", embargo_until=utcnow() + timedelta(seconds=2))
    login_as("official")
    assert found(client, "soon")[0] == 0
    import time

    time.sleep(2.2)
    assert found(client, "soon")[0] == 1  # same index, later clock
    assert client.get(f"/archive/records/{record.id}").status_code == 200


def test_embargo_until_a_meeting_closes(client, login_as, coordinator):
    meeting = make_meeting(coordinator, title="SOM Budapest")
    from tests.agenda.helpers import add

    add(meeting, coordinator, "Opening")
    record = file_record(coordinator, "Draft chair's statement of the SOM", embargo_meeting_id=meeting.id)
    login_as("official")
    assert found(client, "draft")[0] == 0
    set_status(meeting, coordinator, "drafting", "circulated", "adopted", "held", "closed")
    services.sync()  # what the closing request's end does (search/indexing.py); here the test committed
    assert found(client, "draft")[0] == 1
    assert client.get(f"/archive/records/{record.id}").status_code == 200


def test_query_language(client, login_as, coordinator):
    file_record(coordinator, "Chair's Statement of the Seventh Summit", description_source="sustainable connectivity")
    file_record(
        coordinator,
        "Declaration on climate change",
        record_type="declaration",
        record_date=date(2018, 10, 19),
        description_source="climate and environment",
    )
    file_record(coordinator, "Report on environment", record_type="report", description_source="draft environment")
    login_as("official")
    assert found(client, "connectivity")[0] == 1
    assert found(client, "connect*")[0] == 1
    assert found(client, '"sustainable connectivity"')[0] == 1
    assert found(client, '"connectivity sustainable"')[0] == 0
    assert found(client, "environment")[0] == 2
    assert found(client, "environment -draft")[0] == 1
    assert found(client, "climate OR connectivity")[0] == 2
    assert found(client, "type:declaration")[0] == 1
    assert found(client, "type:report environment")[0] == 1
    assert found(client, "year:2018")[0] == 1
    assert found(client, "year:2010..2020")[0] == 1
    assert found(client, "year:abc")[0] == 0


HOSTILE = [
    "'",
    '"',
    "a-b",
    "NEAR(",
    "col:x",
    "*",
    "x" * 10_000,
    "\x00\x01\x02",
    "AND OR NOT",
    "title:(",
    "((((",
    "-",
    "--",
    "\\",
    "%",
    "_",
    "*:*",
    "year:9999999999999",
    "type:",
    '"unclosed phrase',
    "IN [a b]",
    "field:[a TO b]",
    "a~2",
    "a^10",
    "/regex.*/",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_return_a_normal_page(client, login_as, coordinator, query):
    file_record(coordinator, "Anything at all")
    login_as("official")
    response = client.get("/archive/", query_string={"q": query, "page": "3", "sort": "date", "year": "x"})
    assert response.status_code == (400 if "\x00" in query else 200)  # NUL: refused before any view
    assert "<script>alert(1)</script>" not in page_text(response)


def test_invalid_utf8_in_the_query_string(client, login_as):
    login_as("official")
    assert client.get("/archive/?q=%ff%fe%c3&partner=%ff&page=%c3").status_code == 200


def test_parser_never_raises_and_bounds_input():
    plan = parse("w " * 5000)
    assert len(plan.groups) <= 32
    assert parse("\x00").groups == []


def test_facets_filter_and_sort_by_date(client, login_as, coordinator):
    file_record(coordinator, "Older water text", record_date=date(2004, 10, 8), partners=["VN"])
    file_record(coordinator, "Newer water text", record_date=date(2016, 7, 15), partners=["MN"])
    login_as("official")
    body = page_text(client.get("/archive/", query_string={"q": "water", "sort": "date"}))
    assert body.index("Newer water text") < body.index("Older water text")
    body = page_text(client.get("/archive/", query_string={"q": "water", "partner": "VN"}))
    assert "Older water text" in body and "Newer water text" not in body
    assert "Viet Nam" in body


def test_index_is_repaired_after_a_crash_between_commit_and_update(client, login_as, coordinator):
    record = file_record(coordinator, "Before the crash")
    # The database commits a change, then the process dies before the index is updated.
    db.session.execute(sa.update(Record).where(Record.id == record.id).values(title="After the crash"))
    db.session.add(SearchChange(record_id=record.id))
    db.session.commit()
    assert indexing.index_lag() == 1
    run_worker()  # the worker applies what the change log kept
    login_as("official")
    total, body = found(client, "after")
    assert total == 1 and "After the crash" in body
    assert indexing.index_lag() == 0


def test_a_search_writes_nothing_and_the_request_that_saves_updates_the_index(client, coordinator):
    record = file_record(coordinator, "Before the edit")
    # A change committed elsewhere (another process): the change log holds it until a sync.
    db.session.execute(sa.update(Record).where(Record.id == record.id).values(title="Renamed elsewhere"))
    db.session.execute(sa.insert(SearchChange), [{"record_id": record.id, "kind": "record"}])
    db.session.commit()
    client.login(coordinator.email)
    assert found(client, "renamed")[0] == 0  # the index as it is: a search applies nothing
    assert indexing.index_lag() == 1
    response = client.submit(
        f"/archive/records/{record.id}/withdraw", {"reason": "Filed twice"}, page=f"/archive/records/{record.id}"
    )
    assert response.status_code == 302
    # the withdrawal's request applied the log after its commit, its own change and the one waiting
    assert indexing.index_lag() == 0
    total, body = found(client, "renamed")
    assert total == 1 and "withdrawn" in body


def test_rebuild_command(app, runner, coordinator):
    file_record(coordinator, "One")
    file_record(coordinator, "Two")
    result = runner.invoke(args=["archive", "reindex"])
    assert "Index rebuilt: 2 records" in result.output


def test_file_text_is_searchable(client, login_as, coordinator):
    file_record(coordinator, "Scanned annex", files=[("annex.pdf", pdf("Ulaanbaatar declaration"))])
    login_as("official")
    total, body = found(client, "ulaanbaatar")
    assert total == 1 and "<mark>Ulaanbaatar</mark>" in body


def test_initiatives_are_found_by_the_same_search_box(client, login_as, coordinator):
    from tests.programme.helpers import make_initiative

    initiative = make_initiative(
        coordinator,
        "ASEM-ECO-777",
        lead="LA",
        title="Mekong river navigation study",
        summary_source="Feasibility of **navigation** on the Mekong.",
    )
    login_as("observer")
    total, body = found(client, "mekong navigation")
    assert total == 1 and "ASEM-ECO-777 Mekong river navigation study" in body and "led by Lao PDR" in body
    assert f'href="/programme/initiatives/{initiative.id}"' in body
    total, body = found(client, "type:initiative")
    assert total == 1
    from secretariat.programme import services as programme

    item = db.session.scalar(sa.select(programme.Initiative))
    programme.update_initiative(
        item,
        {
            **programme.initiative_state(item),
            "title": "Mekong ferry study",
            "lead_partner": "LA",
            "start_date": item.start_date,
            "end_date": item.end_date,
        },
        expected_version=1,
        actor=coordinator,
    )
    db.session.commit()
    services.sync()  # what the saving request's end does; here the test committed
    assert found(client, "ferry")[0] == 1 and found(client, '"navigation study"')[0] == 0


def test_an_index_lost_is_rebuilt_by_the_worker_never_by_a_search(client, login_as, coordinator):
    from secretariat.archive.search import engine

    file_record(coordinator, "Survives the loss of the index")
    engine.delete_all(engine.get_index())
    login_as("official")
    held = engine.writer(engine.get_index())  # a search needs no writer
    try:
        started = time.perf_counter()
        total, body = found(client, "survives")
        assert time.perf_counter() - started < 3
        assert total == 0 and "The search index is being rebuilt" in body
    finally:
        held.rollback()
        del held
    total, body = found(client, "survives")
    assert total == 0 and "being rebuilt" in body  # searches start nothing
    run_worker()
    total, body = found(client, "survives")
    assert total == 1 and "being rebuilt" not in body


def test_a_rebuild_asked_for_by_a_coordinator_is_done_by_the_worker(client, coordinator):

    file_record(coordinator, "Rebuilt on request")
    client.login(coordinator.email)
    assert client.submit("/archive/reindex", {}, page="/archive/").status_code == 302
    assert indexing.rebuild_requested()
    run_worker()
    assert not indexing.rebuild_requested()
    assert found(client, "request")[0] == 1


def test_the_index_hides_from_partners_what_their_record_pages_hide():
    """The index derives its partner exclusion from the levels; it must use the access rule's own."""
    from secretariat.archive import access
    from secretariat.archive.search import engine

    assert engine.PARTNER_LEVELS == access.PARTNER_LEVELS


def test_a_save_during_a_rebuild_neither_waits_for_it_nor_is_lost(client, coordinator):
    from secretariat.archive.search import engine

    file_record(coordinator, "Filed before the rebuild")
    rebuild_writer = engine.writer(engine.get_index())  # a rebuild holds the index's only writer
    try:
        client.login(coordinator.email)
        started = time.perf_counter()
        response = client.submit(
            "/archive/records/new",
            {
                "title": "Filed while the index was rebuilt",
                "record_type": "report",
                "record_date": "2024-03-01",
                "language": "en",
                "confidentiality": "restricted",
                "description_source": "Mekong water report.",
            },
        )
        assert response.status_code == 302
        assert time.perf_counter() - started < 3  # it left the change to the worker at once
        assert indexing.index_lag() == 1  # the change is kept in the log
        total, body = found(client, "mekong")  # the search still answers, from the index as it was
        assert total == 0
    finally:
        rebuild_writer.rollback()
        del rebuild_writer
    run_worker()  # the worker applies what waited
    total, body = found(client, "mekong")
    assert total == 1 and "Filed while the index was rebuilt" in body


def test_a_rebuild_that_fails_half_way_leaves_the_index_as_it_was(client, login_as, coordinator, monkeypatch):
    from secretariat.archive.search import engine

    file_record(coordinator, "First water report")
    file_record(coordinator, "Second water report")
    made = []

    def fail_on_the_second(fields, common=frozenset()):
        made.append(fields["doc_key"])
        if len(made) == 2:
            raise OSError("disk full")
        return real_make_document(fields, common)

    real_make_document = engine.make_document
    monkeypatch.setattr(engine, "make_document", fail_on_the_second)
    with pytest.raises(OSError):
        services.rebuild()
    monkeypatch.undo()
    login_as("official")
    assert found(client, "water")[0] == 2  # searches never saw an empty or half-built index


@pytest.mark.parametrize("mount", ["", "/intranet"])
def test_each_hit_links_to_its_own_record_under_any_mount_point(client, login_as, coordinator, mount):
    records = [file_record(coordinator, f"Mekong water report {n}") for n in range(3)]
    login_as("official")
    body = client.get("/archive/?q=mekong", base_url=f"http://localhost{mount}").get_data(as_text=True)
    for record in records:
        assert f'href="{mount}/archive/records/{record.id}">Mekong water report' in body


def test_results_an_official_saw_never_outlive_a_withdrawal_or_a_raised_level(client, login_as, corpus, coordinator):
    """The same search asked again gives the same results; a change to the archive shows at once."""
    login_as("official")
    total, body = found(client, "water")
    assert "Withdrawn report" in body and "Restricted minutes" in body
    again_total, again = found(client, "water")  # asked again: the same results
    assert again_total == total and re.findall(r'class="hit__title">(.*?)</h3>', again) == re.findall(
        r'class="hit__title">(.*?)</h3>', body
    )
    withdraw(corpus["withdrawn"], coordinator)
    total_after, body = found(client, "water")
    assert total_after == total - 1 and "Withdrawn report" not in body
    minutes = corpus["restricted"]
    data = {**services.record_metadata(minutes), "record_date": minutes.record_date, "confidentiality": "coordinators"}
    services.revise_record(
        minutes, data, [], keep_file_ids=set(), change_note="Level raised", expected_version=1, actor=coordinator
    )
    db.session.commit()
    services.sync()
    total_last, body = found(client, "water")
    assert total_last == total - 2 and "Restricted minutes" not in body


def _hit_lines(body: str) -> dict[str, str]:
    """Each hit's title -> its line of type, date, meeting and badges."""
    pairs = re.findall(
        r'<h3 class="hit__title"><a href="[^"]+">([^<]+)</a></h3>\s*<p class="hit__meta">(.*?)</p>', body
    )
    return dict(pairs)


def test_each_hit_says_its_type_date_and_meeting_and_only_the_cleared_see_levels(client, login_as, coordinator):
    meeting = make_meeting(coordinator, title="SOM in Bangkok", code="SOM-BKK")
    file_record(
        coordinator,
        "Minutes of the Mekong session",
        record_type="minutes",
        record_date=date(2019, 5, 7),
        meeting_id=meeting.id,
    )
    public = file_record(coordinator, "Mekong declaration", record_type="declaration", confidentiality="public")
    withdraw(public, coordinator)
    file_record(coordinator, "Mekong note", confidentiality="coordinators", record_type="report")

    login_as("coordinator")
    lines = _hit_lines(found(client, "mekong")[1])
    assert lines == {
        "Minutes of the Mekong session": "Minutes · 7 May 2019 · SOM in Bangkok",
        "Mekong declaration": 'Declaration · 26 November 2021 · <span class="badge">public</span>'
        ' · <span class="badge badge--warning">withdrawn</span>',
        "Mekong note": 'Report · 26 November 2021 · <span class="badge">coordinators</span>',
    }

    client.logout()
    login_as("official")
    assert _hit_lines(found(client, "mekong")[1]) == {
        "Minutes of the Mekong session": "Minutes · 7 May 2019 · SOM in Bangkok"
    }


def test_an_index_of_an_older_release_is_rebuilt_even_when_a_save_came_before_the_first_search(
    client, login_as, coordinator
):
    """The new index takes no change before its rebuild: searches say results are incomplete."""
    import shutil

    import tantivy

    from secretariat.archive.search import engine

    file_record(coordinator, "Filed under the old release about rivers")
    file_record(coordinator, "Also filed then about rivers")
    # What an upgrade leaves: an index of another layout in ARCHIVE_INDEX, found by processes that start afresh.
    base = engine.index_path()
    engine._indexes.clear()
    engine._current.clear()
    shutil.rmtree(base)
    base.mkdir()
    older = tantivy.SchemaBuilder()
    older.add_text_field("title", stored=True)
    tantivy.Index(older.build(), path=str(base))

    file_record(coordinator, "Filed after the upgrade about rivers")  # logged; the new index waits
    assert engine.document_count(engine.get_index()) == 0 and not (base / "meta.json").exists()

    login_as("official")
    total, body = found(client, "rivers")
    assert "The search index is being rebuilt" in body and total == 0
    run_worker()
    total, body = found(client, "rivers")
    assert total == 3 and "being rebuilt" not in body
    assert not engine.is_new(engine.get_index())


def test_a_new_index_on_an_empty_archive_is_complete_without_a_rebuild(client, login_as, coordinator):
    from secretariat.archive.search import engine, folders

    folders.forget_applied(engine.folder_of(engine.get_index()))  # as a fresh installation's
    assert engine.is_new(engine.get_index())
    run_worker()  # the worker's first poll finds the archive empty
    assert not engine.is_new(engine.get_index())
    file_record(coordinator, "The first record about lakes")
    file_record(coordinator, "The second record about lakes")
    login_as("official")
    total, body = found(client, "lakes")
    assert total == 2 and "being rebuilt" not in body
