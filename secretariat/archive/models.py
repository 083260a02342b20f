"""The archive: records, their versions and files, and the change log that keeps the search indexes in step."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from secretariat.agenda.models import Meeting
from secretariat.auth.models import Partner
from secretariat.extensions import db
from secretariat.timeutil import utcnow
from secretariat.types import UTCDateTime


class RecordType(enum.StrEnum):
    CHAIRS_STATEMENT = "chairs_statement"
    DECLARATION = "declaration"
    MINUTES = "minutes"
    REPORT = "report"
    CONCEPT_NOTE = "concept_note"
    LETTER = "letter"
    PRESENTATION = "presentation"
    AGENDA = "agenda"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "chairs_statement": "Chair's statement",
            "declaration": "Declaration",
            "minutes": "Minutes",
            "report": "Report",
            "concept_note": "Concept note",
            "letter": "Letter",
            "presentation": "Presentation",
            "agenda": "Agenda",
            "other": "Other",
        }[self.value]


class Confidentiality(enum.StrEnum):
    PUBLIC = "public"
    RESTRICTED = "restricted"
    COORDINATORS = "coordinators"

    @property
    def label(self) -> str:
        return {
            "public": "Public (may be published)",
            "restricted": "Restricted to ASEM partners",
            "coordinators": "Coordinators only",
        }[self.value]


record_partners = sa.Table(
    "record_partners",
    db.metadata,
    sa.Column("record_id", sa.ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("partner_id", sa.ForeignKey("partners.id"), primary_key=True),
)


class Record(db.Model):
    """A document of the ASEM process. Never deleted: withdrawal is a status with a reason."""

    __tablename__ = "records"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(500))
    record_type: Mapped[str] = mapped_column(sa.String(30), index=True)
    record_date: Mapped[date] = mapped_column(sa.Date, index=True)
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meetings.id"), index=True)
    #: ISO 639-1 code, e.g. "en"
    language: Mapped[str] = mapped_column(sa.String(8), default="en")
    description_source: Mapped[str] = mapped_column(sa.Text, default="")
    description_html: Mapped[str] = mapped_column(sa.Text, default="")
    #: comma-separated, lower-case
    tags: Mapped[str] = mapped_column(sa.String(500), default="")
    confidentiality: Mapped[str] = mapped_column(sa.String(20), default=Confidentiality.RESTRICTED.value)
    #: until this instant only coordinators see the record (then it is released to its level)
    embargo_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: … or until this meeting is closed
    embargo_meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meetings.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_reason: Mapped[str] = mapped_column(sa.Text, default="")
    #: number of the current version
    current_version: Mapped[int] = mapped_column(default=1)
    #: optimistic lock for metadata edits: SQLAlchemy's version counter (see __mapper_args__)
    version: Mapped[int] = mapped_column(default=1)
    #: where the record came from when filed by the application (e.g. "agenda-version:12")
    source_ref: Mapped[str | None] = mapped_column(sa.String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    meeting: Mapped[Meeting | None] = relationship(foreign_keys=[meeting_id], lazy="joined")
    embargo_meeting: Mapped[Meeting | None] = relationship(foreign_keys=[embargo_meeting_id])
    partners: Mapped[list[Partner]] = relationship(secondary=record_partners, order_by=Partner.name, lazy="selectin")

    __table_args__ = (
        sa.CheckConstraint("confidentiality in ('public', 'restricted', 'coordinators')", name="confidentiality_known"),
    )
    #: a save whose record changed since it was read fails with StaleDataError (services.RecordConflict)
    __mapper_args__ = {"version_id_col": version}

    @property
    def type_enum(self) -> RecordType:
        return RecordType(self.record_type)

    @property
    def confidentiality_enum(self) -> Confidentiality:
        return Confidentiality(self.confidentiality)


class RecordVersion(db.Model):
    """One version of a record: its metadata as filed and its files. Never changed once written."""

    __tablename__ = "record_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(sa.ForeignKey("records.id"), index=True)
    number: Mapped[int]
    change_note: Mapped[str] = mapped_column(sa.String(1000), default="")
    #: canonical JSON of the record's metadata at this version
    metadata_json: Mapped[str] = mapped_column(sa.Text)
    #: SHA-256 over the metadata and the files' hashes: what the audit chain seals
    seal_sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    files: Mapped[list[RecordFile]] = relationship(order_by="RecordFile.id", lazy="selectin")

    __table_args__ = (sa.UniqueConstraint("record_id", "number", name="uq_record_versions_record_number"),)


class Blob(db.Model):
    """Bytes stored once, under their SHA-256, outside the web root."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    size: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecordFile(db.Model):
    """A file of a record version: the bytes (by hash), the name it was given, its sniffed type, its text."""

    __tablename__ = "record_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("record_versions.id"), index=True)
    blob_sha256: Mapped[str] = mapped_column(sa.ForeignKey("blobs.sha256"), index=True)
    #: the uploader's file name, cleaned for display and for Content-Disposition
    filename: Mapped[str] = mapped_column(sa.String(255))
    #: decided by content sniffing, never by the name
    mime_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    #: "pending" (the extraction worker has not read it yet; "extracting" while it does),
    #: "extracted", "empty" (no text in it) or "failed" (archived all the same, see text_problem)
    text_status: Mapped[str] = mapped_column(sa.String(20), index=True)
    #: why the text could not be extracted (a limit reached, a damaged file), shown on the record page
    text_problem: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    #: when the worker claimed the file, and how many claims so far (the number identifies a claim)
    text_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    text_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    #: the text was recognised in images of the pages (scanned paper, Tesseract), with this mean
    #: word confidence (0–100): readers are told, since recognised text has errors
    text_recognised: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    text_confidence: Mapped[int | None] = mapped_column()
    #: ISO 639-1 code of the file's text, detected when its text is read (at filing, or by the worker)
    #: and correctable by a coordinator; None while unknown. A version's files in different
    #: languages are translations of one document ("Chair's Statement — EN, FR, ZH").
    language: Mapped[str | None] = mapped_column(sa.String(8))
    #: read only when asked for: a page listing a record's files and versions must not carry the
    #: megabytes of text of every file it names (the index reads it with its own query)
    extracted_text: Mapped[str] = mapped_column(sa.Text, default="", deferred=True)


class SearchableCopy(db.Model):
    """A searchable PDF/A copy of a scanned file (its recognised text laid over the page images).

    Made by the worker (archive/searchable_copy.py) beside the original, whose row, bytes and seal
    never change: a table of its own, not columns of RecordFile, so that archive bundles (which
    carry RecordFile's columns) stay as they were; a copy can always be made again.
    """

    __tablename__ = "searchable_copies"

    record_file_id: Mapped[int] = mapped_column(sa.ForeignKey("record_files.id"), primary_key=True)
    #: "pending" (waiting for the worker, or for its next try after a failure), "making", "made",
    #: "failed" (given up after a few tries: see problem)
    status: Mapped[str] = mapped_column(sa.String(20), index=True)
    #: the Tesseract model recognition chose (ocr.py); empty: chosen again from the first page
    model: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    #: the copy's bytes, stored like every other file (None until made)
    blob_sha256: Mapped[str | None] = mapped_column(sa.ForeignKey("blobs.sha256"))
    size: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: why the last try failed, shown on the record page
    problem: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    #: tries so far; when the last one was claimed (or failed: the next waits a while)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    made_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SearchChange(db.Model):
    """The search index's change log: an object whose index entry must be rewritten, one row per change.

    Written in the transaction of the change (search/changelog.py gives the rows their ids in
    commit order). Each server's index applies the rows after the last id it applied; none deletes
    them: they are compacted by age once every registered index has passed them.
    """

    __tablename__ = "search_changes"

    #: monotonic, never reused (AUTOINCREMENT on SQLite, a sequence on PostgreSQL)
    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    #: what is indexed: "record" or "initiative"
    kind: Mapped[str] = mapped_column(sa.String(20), default="record", server_default="record")
    #: the record's (or initiative's) id
    record_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = {"sqlite_autoincrement": True}


class SearchIndexState(db.Model):
    """A server's search index, registered so that the change log keeps what it still has to apply."""

    __tablename__ = "search_indexes"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the index's own id, kept in its folder (ARCHIVE_INDEX, one per host)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    host: Mapped[str] = mapped_column(sa.String(255))
    folder: Mapped[str] = mapped_column(sa.String(1000))
    #: the last change the index applied, as it reported it (None: waiting for its first rebuild)
    applied_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: while a rebuild runs: the change it started at, which it catches up from
    rebuild_from: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: a coordinator asked for a rebuild of every server's index (search/indexing.py: catch_up)
    rebuild_requested: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
