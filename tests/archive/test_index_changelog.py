"""The change log: ids in commit order, compaction that waits for every index, the lag for the
readiness probe, rebuilds in a new folder switched in whole, and the reindex command's output."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from secretariat import create_app
from secretariat.archive.models import Record, SearchChange, SearchIndexState
from secretariat.archive.search import changelog, engine, folders, indexing
from secretariat.extensions import db
from secretariat.timeutil import utcnow
from tests.archive.helpers import file_record
from tests.archive.test_index_races import rename_without_applying, titles
from tests.factories import make_user, run_worker


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


@pytest.fixture
def server_b(app, tmp_path):
    """A second application server on the same database, with its own INDEX_DIR (another host)."""
    config = {name: app.config[name] for name in ("SQLALCHEMY_DATABASE_URI", "ARCHIVE_STORAGE")}
    server = create_app("testing", {**config, "ARCHIVE_INDEX": str(tmp_path / "index-b")})
    yield server
    with server.app_context():
        db.engine.dispose()


def age_every_change(days: int) -> None:
    db.session.execute(sa.update(SearchChange).values(created_at=utcnow() - timedelta(days=days)))
    db.session.commit()


def test_change_ids_follow_the_order_of_the_commits_not_of_the_flushes(app, coordinator):
    """A change flushed first but committed last gets the higher id: an index that applied the
    other one in between still applies it."""
    first = file_record(coordinator, "Flushed first, committed last")
    second = file_record(coordinator, "Flushed second, committed first")
    db.session.execute(sa.update(Record).where(Record.id == first.id).values(title="Slow transaction's title"))
    db.session.commit()  # (on SQLite a transaction that writes holds the only write lock: its change alone waits)
    db.session.add(SearchChange(record_id=first.id))
    db.session.flush()
    with app.app_context():  # another request, at the same time
        db.session.add(SearchChange(record_id=second.id))
        db.session.commit()
        indexing.sync()  # applies the second one: the index has now applied its id
        applied = folders.applied(engine.folder_of(engine.get_index()))
    db.session.commit()
    last = db.session.scalar(sa.select(SearchChange).order_by(SearchChange.id.desc()).limit(1))
    assert last.record_id == first.id and last.id > applied
    indexing.sync()
    assert "Slow transaction's title" in titles("slow")


def test_compaction_keeps_what_a_lagging_index_still_needs(app, coordinator, server_b):
    file_record(coordinator, "Bangkok declaration")
    with server_b.app_context():
        run_worker()  # server B builds its index and registers it
    file_record(coordinator, "Bangkok minutes")  # applied on A only: B lags
    file_record(coordinator, "Bangkok report")
    age_every_change(days=30)
    latest = changelog.latest_id(db.session)
    deleted = changelog.compact(db.session)
    db.session.commit()
    assert deleted >= 1  # what both have applied, old enough
    assert db.session.scalar(sa.select(sa.func.min(SearchChange.id))) < latest  # what B needs is kept
    with server_b.app_context():
        run_worker()
        assert titles("bangkok") == ["Bangkok declaration", "Bangkok minutes", "Bangkok report"]
        assert indexing.index_lag() == 0
    age_every_change(days=30)
    changelog.compact(db.session)
    db.session.commit()
    assert list(db.session.scalars(sa.select(SearchChange.id))) == [latest]  # the newest is always kept


def test_recent_changes_are_kept_even_once_applied_everywhere(app, coordinator):
    file_record(coordinator, "Filed a minute ago")
    file_record(coordinator, "Filed now")
    assert changelog.compact(db.session) == 0


def test_an_index_that_stopped_reporting_is_no_longer_waited_for_and_rebuilds_when_it_returns(
    app, coordinator, server_b
):
    file_record(coordinator, "Dhaka declaration")
    with server_b.app_context():
        run_worker()
    db.session.execute(sa.update(SearchIndexState).values(reported_at=utcnow() - timedelta(days=40)))
    db.session.commit()
    file_record(coordinator, "Dhaka minutes")
    file_record(coordinator, "Dhaka report")
    age_every_change(days=30)
    changelog.compact(db.session)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(SearchChange.id))) == 1
    with server_b.app_context():
        run_worker()  # forgotten by the registry: changes it needed may be gone, so it rebuilds
        assert titles("dhaka") == ["Dhaka declaration", "Dhaka minutes", "Dhaka report"]


def test_index_lag_for_the_readiness_probe(app, coordinator):
    record = file_record(coordinator, "Lag report")
    assert indexing.index_lag() == 0
    rename_without_applying(record, "Lag report renamed")
    rename_without_applying(record, "Lag report renamed again")
    assert indexing.index_lag() == 2
    run_worker()
    assert indexing.index_lag() == 0
    engine.delete_all(engine.get_index())  # lost: it waits for a rebuild
    assert indexing.index_lag() >= 1
    run_worker()
    assert indexing.index_lag() == 0


def test_a_rebuild_fills_a_new_folder_that_searches_see_only_when_complete(app, coordinator):
    for n in range(3):
        file_record(coordinator, f"Manila report {n}")
    base = engine.index_path()
    before = folders.current(base)
    seen_during = []
    indexing.rebuild(batch=1, progress=lambda _n: seen_during.append(len(titles("manila"))))
    assert seen_during and set(seen_during) == {3}  # the old index, whole, until the switch
    after = folders.current(base)
    assert after != before and titles("manila") == [f"Manila report {n}" for n in range(3)]
    indexing.rebuild()
    assert {p.name for p in base.glob("gen-*")} == {after.name, folders.current(base).name}  # older ones deleted


def test_one_rebuild_per_host_at_a_time_and_the_worker_skips_it(app, coordinator, caplog):
    file_record(coordinator, "Hanoi report")
    indexing.request_rebuild()
    db.session.commit()
    with folders.rebuild_lock(engine.index_path()) as ours:  # another process of this host rebuilds
        assert ours
        with pytest.raises(indexing.IndexBusy):
            indexing.rebuild()
        caplog.set_level(logging.INFO)
        run_worker()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert titles("hanoi") == ["Hanoi report"]


def test_a_failed_rebuild_is_not_tried_again_at_every_poll(app, coordinator, monkeypatch):
    file_record(coordinator, "Jakarta report")
    engine.delete_all(engine.get_index())  # waits for a rebuild
    attempts = []

    def fail(*args):
        attempts.append(1)
        raise OSError("disk full")

    monkeypatch.setattr(indexing, "_fill", fail)
    monkeypatch.setitem(indexing._last, "failed_rebuild", float("-inf"))
    generations = set(engine.index_path().glob("gen-*"))
    run_worker()
    run_worker()
    assert len(attempts) == 1
    assert set(engine.index_path().glob("gen-*")) == generations  # the failed one's folder is gone


def test_reindex_prints_one_line_when_not_on_a_terminal(app, runner, coordinator):
    file_record(coordinator, "Phnom Penh report")
    result = runner.invoke(args=["archive", "reindex"])
    assert result.exit_code == 0
    assert result.output.count("\n") == 1 and result.output.startswith("Index rebuilt: 1 records in ")
    assert result.output.rstrip().endswith("lag 0.")
