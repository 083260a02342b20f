"""What the archive's pages read, through the models with the loader options each page needs."""

from __future__ import annotations

import functools

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, lazyload, load_only, selectinload

from secretariat.agenda.models import Meeting
from secretariat.agenda.visibility import visible_meetings
from secretariat.archive import access
from secretariat.archive.models import Record, RecordVersion
from secretariat.extensions import db
from secretariat.programme.models import Initiative

#: sorts after every character: a string beginning with w lies between w and w + this (bytewise)
LAST_CODE_POINT = chr(0x10FFFF)


def visible_record(user, record_id: int) -> Record:
    """The record with its meetings and partners, if ``user`` may see it (NotFound otherwise)."""
    record = db.session.scalar(
        sa.select(Record).where(Record.id == record_id).options(joinedload(Record.embargo_meeting))
    )
    return access.require(user, record)


def visible_versions(user, record: Record) -> list[RecordVersion]:
    """The versions of ``record`` that ``user`` may open, the latest first, each with its files."""
    versions = db.session.scalars(
        sa.select(RecordVersion)
        .where(RecordVersion.record_id == record.id)
        .order_by(RecordVersion.number.desc())
        .options(selectinload(RecordVersion.files))
    )
    return [version for version in versions if access.can_see_version(user, record, version)]


def records_of_meeting(meeting_id: int, user) -> list[Record]:
    """The records of a meeting that ``user`` may open, oldest first: what the meeting page lists."""
    query = (
        sa.select(Record)
        .where(Record.meeting_id == meeting_id)
        .order_by(Record.record_date, Record.id)
        .options(
            load_only(
                Record.title,
                Record.record_type,
                Record.record_date,
                Record.confidentiality,
                Record.withdrawn_at,
                Record.embargo_until,
                Record.embargo_meeting_id,
            ),
            joinedload(Record.embargo_meeting).load_only(Meeting.closed_at),
            lazyload("*"),
        )
    )
    if not access.cleared(user):
        # What a partner may never open stays in the database; an embargo is judged by the one rule.
        query = query.where(Record.confidentiality.in_(access.PARTNER_LEVELS), Record.withdrawn_at.is_(None))
    return [record for record in db.session.scalars(query) if access.can_see(user, record)]


@functools.cache
def _hits_statement(kind: str) -> sa.Select:
    """The statement that loads one page of hits of ``kind`` by id: built once, run with the ids."""
    ids = sa.bindparam("ids", expanding=True)
    if kind == "record":
        return (
            sa.select(Record)
            .where(Record.id.in_(ids))
            .options(
                load_only(
                    Record.title,
                    Record.record_type,
                    Record.record_date,
                    Record.confidentiality,
                    Record.withdrawn_at,
                    Record.current_version,  # a translation's download names the version
                ),
                joinedload(Record.meeting).load_only(Meeting.title, Meeting.kind),
                lazyload("*"),
            )
        )
    return (
        sa.select(Initiative)
        .where(Initiative.id.in_(ids))
        .options(
            load_only(Initiative.code, Initiative.title, Initiative.pillar, Initiative.status),
            joinedload(Initiative.lead_partner),
            lazyload("*"),
        )
    )


def search_hits(kind: str, ids: list[int]) -> dict[int, Record | Initiative]:
    """The records or initiatives a page of search hits shows, by id, with what their lines print."""
    return {hit.id: hit for hit in db.session.scalars(_hits_statement(kind), {"ids": ids})}


def meetings_named(words: list[str], user) -> list[Meeting]:
    """The meetings ``user`` may see whose code is one of ``words`` or whose city begins with one:
    the candidates for a search that names a meeting (archive/searching.py chooses among them).

    The codes and cities are found by seeks in their lower-case indexes (ix_meetings_code_lower,
    ix_meetings_city_lower): a city's prefix as a range, compared bytewise; the few meetings found
    are then read whole.
    """
    words = [w for w in words if len(w) >= 3][:16]
    if not words:
        return []
    city = sa.func.lower(Meeting.city)
    if db.session.get_bind().dialect.name == "postgresql":
        city = city.collate("C")  # as the index compares it (see the migration e4b7d2a81c36)
    # Every string that begins with the word sorts from it up to it followed by the last code point.
    prefixes = [sa.and_(city >= w, city < w + LAST_CODE_POINT) for w in words]
    named = sa.or_(sa.func.lower(Meeting.code).in_(words), *prefixes)
    ids = list(db.session.scalars(sa.select(Meeting.id).where(named).limit(200)))
    if not ids:
        return []
    query = sa.select(Meeting).where(Meeting.id.in_(ids)).order_by(Meeting.start_date).options(lazyload("*"))
    return list(db.session.scalars(visible_meetings(query, user)))
