"""Issue 25, item 10: anchors for the audit chain outside the database.

Someone with write access to the database can rewrite an entry and re-chain everything after it,
cut off the tail, or re-seal a record version: plain `verify` cannot tell (reproduced below). A
checkpoint kept outside the database (printed on frozen agenda versions and adopted minutes, and
downloadable) and an HMAC key held outside it each expose these rewrites.
"""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa

from secretariat import audit, create_app
from secretariat.agenda import minutes
from secretariat.archive import integrity, services
from secretariat.audit.models import AuditEntry
from secretariat.extensions import db
from tests.agenda.helpers import add, make_meeting, set_status
from tests.archive.helpers import file_record, pdf
from tests.factories import make_user, page_text
from tests.security.tampering import last_seq, rechain, tamper, truncate

KEY = "audit-key-" + "k" * 40


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


@pytest.fixture
def keyed(app):
    """The instance runs with AUDIT_HMAC_KEY; the attacker has the database, not the key."""
    app.config["AUDIT_HMAC_KEY"] = KEY
    yield
    app.config["AUDIT_HMAC_KEY"] = None


def history(count: int = 6) -> None:
    for n in range(count):
        audit.record(None, "user.role_change", object_type="users", object_id=n, diff={"role": ["official", "admin"]})
        db.session.commit()


def checkpoint_file(runner, tmp_path, name="checkpoint.json"):
    path = tmp_path / name
    result = runner.invoke(args=["audit", "checkpoint", "--output", str(path)])
    assert result.exit_code == 0, result.output
    return path


def audit_verify(runner, *extra):
    return runner.invoke(args=["audit", "verify", *extra])


def rewrite_entry(seq: int) -> None:
    """Turn a role change into a harmless one, then re-chain everything after it."""
    tamper("UPDATE audit_entries SET details = :d WHERE seq = :s", d='{"diff":{"note":["a","b"]}}', s=seq)
    rechain(seq)


def reseal_as_public(record) -> None:
    """Make a coordinators-only version public and re-seal it everywhere the seal is written."""
    version = services.current_version(record)
    metadata = json.loads(version.metadata_json) | {"confidentiality": "public"}
    old, new = version.seal_sha256, integrity.seal_of(metadata, version.files)
    tamper(
        "UPDATE record_versions SET metadata_json = :m, seal_sha256 = :s WHERE id = :v",
        m=json.dumps(metadata, sort_keys=True, separators=(",", ":")),
        s=new,
        v=version.id,
    )
    tamper("UPDATE records SET confidentiality = 'public' WHERE id = :id", id=record.id)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.details.contains(old)))
    tamper(
        "UPDATE audit_entries SET details = REPLACE(details, :old, :new) WHERE id = :id", old=old, new=new, id=entry.id
    )
    rechain(entry.seq)


# --- what plain SHA-256 lets through (reproduced) and what a checkpoint catches ---------------------


def test_a_rewritten_and_rechained_entry_passes_plain_verify_but_not_a_checkpoint(app, runner, tmp_path):
    history(6)
    kept = checkpoint_file(runner, tmp_path)
    history(2)
    rewrite_entry(3)
    assert audit_verify(runner).exit_code == 0  # what plain hashing alone cannot see
    result = audit_verify(runner, "--checkpoint", str(kept))
    assert result.exit_code == 1
    assert "seq=6" in result.output and "differs from the checkpoint" in result.output


def test_a_truncated_tail_passes_plain_verify_but_not_a_checkpoint(app, runner, tmp_path):
    history(8)
    kept = checkpoint_file(runner, tmp_path)
    truncate(5)
    assert audit_verify(runner).exit_code == 0
    result = audit_verify(runner, "--checkpoint", str(kept))
    assert result.exit_code == 1 and "the chain ends at entry 5, before the checkpoint's entry 8" in result.output


def test_a_resealed_version_passes_plain_verify_but_not_a_checkpoint(client, coordinator, runner, tmp_path):
    record = file_record(
        coordinator, "Coordinators briefing", files=[("b.pdf", pdf("x"))], confidentiality="coordinators"
    )
    client.login(make_user("official").email)
    download = client.get("/audit/checkpoint")  # what a partner keeps
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    kept = tmp_path / "partner.json"
    kept.write_bytes(download.data)
    reseal_as_public(record)
    assert client.get(f"/archive/records/{record.id}").status_code == 200  # the pages obey the forgery
    assert runner.invoke(args=["archive", "verify"]).exit_code == 0
    assert audit_verify(runner).exit_code == 0
    result = runner.invoke(args=["archive", "verify", "--checkpoint", str(kept)])
    assert result.exit_code == 1 and "differs from the checkpoint" in result.output


def test_an_intact_chain_passes_its_checkpoints(app, runner, tmp_path):
    history(3)
    kept = checkpoint_file(runner, tmp_path)
    history(3)
    result = audit_verify(runner, "--checkpoint", str(kept))
    assert result.exit_code == 0 and "Checkpoint at entry 3 matches" in result.output


def test_an_unreadable_checkpoint_file_is_a_clear_error(app, runner, tmp_path):
    history(1)
    path = tmp_path / "junk.txt"
    path.write_text("nothing to see")
    result = audit_verify(runner, "--checkpoint", str(path))
    assert result.exit_code == 1 and "no checkpoint found" in result.output
    assert isinstance(result.exception, SystemExit)  # a usage error, not a crash


# --- the same attacks under a key held outside the database ----------------------------------------


def test_with_a_key_a_rechained_rewrite_fails(keyed, runner):
    history(6)
    assert audit_verify(runner).exit_code == 0
    rewrite_entry(3)
    result = audit_verify(runner)
    assert result.exit_code == 1 and "seq=3" in result.output and "without the key" in result.output


def test_with_a_key_a_truncated_tail_fails(keyed, runner):
    history(8)
    truncate(5)
    result = audit_verify(runner)
    assert result.exit_code == 1 and "head was moved without the key" in result.output


def test_with_a_key_a_resealed_version_fails(keyed, coordinator, runner):
    record = file_record(
        coordinator, "Coordinators briefing", files=[("b.pdf", pdf("x"))], confidentiality="coordinators"
    )
    history(2)
    reseal_as_public(record)
    result = runner.invoke(args=["archive", "verify"])
    assert result.exit_code == 1 and "audit chain broken" in result.output


def test_with_a_key_a_forged_hmac_fails(keyed, runner):
    history(3)
    rechain(1)  # everything re-hashed in plain SHA-256, as someone without the key must
    result = audit_verify(runner)
    assert result.exit_code == 1 and "not keyed although AUDIT_HMAC_KEY is set" in result.output


def test_unkeyed_entries_written_before_the_key_stay_verifiable(app, runner):
    history(3)
    app.config["AUDIT_HMAC_KEY"] = KEY
    try:
        history(3)
        schemes = list(db.session.scalars(sa.select(AuditEntry.hash_scheme).order_by(AuditEntry.seq)))
        assert schemes == ["sha256"] * 3 + ["hmac-sha256"] * 3
        result = audit_verify(runner)
        assert result.exit_code == 0 and "3 of them under the key" in result.output
    finally:
        app.config["AUDIT_HMAC_KEY"] = None
    result = audit_verify(runner)  # without the key, keyed entries cannot be vouched for
    assert result.exit_code == 1 and "set AUDIT_HMAC_KEY" in result.output


def test_a_checkpoint_carries_a_mac_under_the_key_and_a_forged_one_is_refused(keyed, runner, tmp_path):
    history(4)
    path = checkpoint_file(runner, tmp_path)
    data = json.loads(path.read_text())
    assert data["seq"] == 4 and len(data["mac"]) == 64
    assert audit_verify(runner, "--checkpoint", str(path)).exit_code == 0
    data["seq"], data["entry_hash"] = 2, db.session.scalar(sa.select(AuditEntry.entry_hash).where(AuditEntry.seq == 2))
    path.write_text(json.dumps(data))
    result = audit_verify(runner, "--checkpoint", str(path))
    assert result.exit_code == 1 and "not issued under this key" in result.output


# --- where checkpoints come from ---------------------------------------------------------------------


def test_the_checkpoint_download_is_for_signed_in_users(client):
    history(2)
    assert client.get("/audit/checkpoint").status_code in (302, 401)
    client.login(make_user("observer").email)
    data = json.loads(client.get("/audit/checkpoint").data)
    assert data["format"] == "asem-audit-checkpoint/1" and data["seq"] == last_seq() and len(data["entry_hash"]) == 64


def test_agenda_versions_and_adopted_minutes_print_a_checkpoint_that_verifies(client, coordinator, runner, tmp_path):
    meeting = make_meeting(coordinator)
    add(meeting, coordinator, "Opening")
    set_status(meeting, coordinator, "drafting", "circulated", "adopted", "held")
    minutes.save_minutes(meeting, summary="The SOM met.", decisions={}, expected_version=0, actor=coordinator)
    minutes.adopt(meeting, actor=coordinator)
    db.session.commit()
    client.login(make_user("official").email)
    pages = {
        "version": client.get(f"/meetings/{meeting.id}/versions/1"),
        "minutes": client.get(f"/meetings/{meeting.id}/minutes/print"),
    }
    frozen = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "meeting.status").order_by(AuditEntry.seq.desc())
    )
    adoption = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "minutes.adopt"))
    assert f"Audit checkpoint: entry {adoption.seq}, hash <code>{adoption.entry_hash}</code>" in page_text(
        pages["minutes"]
    )
    assert "Audit checkpoint: entry" in page_text(pages["version"]) and frozen is not None
    filed = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "archive.version").order_by(AuditEntry.seq.desc())
    )
    record = services.get_record(int(filed.object_id))
    text = services.files.read(services.current_version(record).files[0].blob_sha256).decode()
    assert f"Audit checkpoint: entry {adoption.seq}, hash {adoption.entry_hash}" in text  # the filed minutes
    for name, page in pages.items():  # a partner saves the page and later checks the chain with it
        saved = tmp_path / f"{name}.html"
        saved.write_bytes(page.data)
        result = audit_verify(runner, "--checkpoint", str(saved))
        assert result.exit_code == 0, (name, result.output)
    rewrite_entry(2)
    saved = tmp_path / "minutes.html"
    assert audit_verify(runner, "--checkpoint", str(saved)).exit_code == 1


# --- configuration --------------------------------------------------------------------------------


BASE = "https://secretariat.example"  # production refuses to start without it


def test_production_without_a_key_warns_and_still_starts(database_url, caplog):
    with caplog.at_level(logging.WARNING):
        app = create_app(
            "production",
            {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "k" * 40, "EXTERNAL_BASE_URL": BASE},
        )
    assert app.config["AUDIT_HMAC_KEY"] is None
    assert any("AUDIT_HMAC_KEY is not set" in r.getMessage() for r in caplog.records)


def test_the_key_comes_from_a_file_and_a_short_key_is_refused(database_url, tmp_path):
    path = tmp_path / "audit.key"
    path.write_text(KEY + "\n")
    settings = {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "k" * 40, "EXTERNAL_BASE_URL": BASE}
    app = create_app("production", settings | {"AUDIT_HMAC_KEY_FILE": str(path)})
    assert app.config["AUDIT_HMAC_KEY"] == KEY
    with pytest.raises(RuntimeError, match="at least 32"):
        create_app("production", settings | {"AUDIT_HMAC_KEY": "short"})
    with pytest.raises(RuntimeError, match="cannot be read"):
        create_app("production", settings | {"AUDIT_HMAC_KEY_FILE": str(tmp_path / "missing.key")})
