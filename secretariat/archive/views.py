"""Archive pages: search, records and their versions, downloads, filing and revising."""

from __future__ import annotations

import json
from urllib.parse import quote

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from secretariat.agenda.models import Meeting, MeetingKind
from secretariat.agenda.visibility import can_see_meeting_kind, visible_meetings
from secretariat.archive import (
    access,
    bulk_upload,
    downloads,
    files,
    front_page,
    queries,
    searchable_copy,
    searching,
    services,
)
from secretariat.archive.forms import LANGUAGES, FileImportForm, FileLanguageForm, ImportForm, RecordForm, WithdrawForm
from secretariat.archive.models import Confidentiality, RecordType
from secretariat.archive.search import indexing
from secretariat.auth.choices import partner_choices_by_side, partner_names
from secretariat.auth.permissions import Permission, requires
from secretariat.errors import NotFound
from secretariat.extensions import db
from secretariat.web import merge
from secretariat.web.forms import ConfirmForm

bp = Blueprint("archive", __name__)

# Changes reach the search index after the request's commit (search/indexing.py: init_app).


def _record(record_id: int):
    return queries.visible_record(current_user, record_id)


def _version(record_id: int, number: int):
    """The record and one of its versions, if the user may see that version (404 otherwise, as for records)."""
    rec = _record(record_id)
    return rec, access.require_version(current_user, rec, services.get_version(rec, number))


_TYPE_LABELS = {t.value: t.label for t in RecordType} | {"initiative": "Initiative (work programme)"}
_KIND_LABELS = {k.value: k.label for k in MeetingKind} | {"none": "No meeting"}


@bp.get("/")
@requires(Permission.READ)
def search():
    preferred = searching.reader_languages(request.accept_languages)
    labels = {
        "type": _TYPE_LABELS,
        "meeting_kind": _KIND_LABELS,
        "partner": dict(partner_names()) | {"none": "No partner"},
        "language": dict(LANGUAGES),
    }

    def results() -> str:
        result = searching.run(request.args, current_user, preferred)
        return render_template(
            "archive/_results.html", result=result, labels=labels, cleared=access.cleared(current_user)
        )

    if front_page.is_front_page(request.args):
        html = front_page.results(results, current_user, preferred=preferred, labels=labels)
    else:
        html = results()
    return render_template("archive/search.html", q=(request.args.get("q") or "")[: searching.MAX_QUERY], results=html)


@bp.get("/records/<int:record_id>")
@requires(Permission.READ)
def record(record_id: int):
    rec = _record(record_id)
    versions = queries.visible_versions(current_user, rec)
    # A current version the user may not see (sealed stricter than the record says) hides the record.
    current = next((v for v in versions if v.number == rec.current_version), None)
    if current is None:
        raise NotFound("record")
    cleared = access.cleared(current_user)
    embargo_end = access.embargo_end(rec)
    return render_template(
        "archive/record.html",
        record=rec,
        # a meeting the reader may not see is neither named nor linked (issue 25)
        meeting=rec.meeting if rec.meeting and can_see_meeting_kind(current_user, rec.meeting.kind) else None,
        current=current,
        versions=versions,
        # Coordinators see every version; they are told which ones partners cannot open.
        hidden_from_partners={v.number for v in versions if not access.partner_may_see_version(v.metadata_json)}
        if cleared
        else set(),
        embargoed=access.under_embargo(embargo_end),
        embargo_end=embargo_end,
        copies=searchable_copy.of_files(current.files),
        withdraw_form=WithdrawForm(formdata=None),
        language_form=FileLanguageForm(formdata=None),
        language_names=dict(LANGUAGES),
        translations=_translations(current.files),
    )


def _translations(rows) -> list[tuple[str, list]]:
    """The current version's files by language, in the order filed: (language, files), for a record
    that holds one document in several languages ("Chair's Statement — EN, FR, ZH")."""
    by_language: dict[str, list] = {}
    for row in rows:
        if row.language:
            by_language.setdefault(row.language, []).append(row)
    return list(by_language.items()) if len(by_language) > 1 else []


@bp.post("/records/<int:record_id>/files/<int:file_id>/language")
@requires(Permission.COORDINATE)
def file_language(record_id: int, file_id: int):
    """Correct the language detected for a file of the current version (audited; the record is indexed again)."""
    rec = _record(record_id)
    row = services.get_file(services.current_version(rec), file_id)
    form = FileLanguageForm()
    if not form.validate_on_submit():
        flash("Choose a language from the list.", "error")
        return redirect(url_for("archive.record", record_id=rec.id))
    try:
        changed = services.set_file_language(rec, row, form.language.data, actor=current_user)
    except services.RecordRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        said = f"The language of “{row.filename}” is now {dict(LANGUAGES).get(row.language, row.language)}."
        db.session.commit()
        flash(said if changed else "The language was already that one.", "success")
    return redirect(url_for("archive.record", record_id=record_id, _anchor="files-title"))


@bp.get("/records/<int:record_id>/versions/<int:number>")
@requires(Permission.READ)
def version(record_id: int, number: int):
    rec, ver = _version(record_id, number)
    metadata = access.readable_metadata(current_user, json.loads(ver.metadata_json))
    return render_template("archive/version.html", record=rec, version=ver, metadata=metadata)


def _content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII fallback and the exact UTF-8 name."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\;%' else "_" for ch in filename) or "document"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@bp.get("/records/<int:record_id>/versions/<int:number>/files/<int:file_id>")
@requires(Permission.READ)
def download(record_id: int, number: int, file_id: int):
    rec, ver = _version(record_id, number)
    row = services.get_file(ver, file_id)
    served = (downloads.FILE_DOWNLOADED, rec, ver, row)
    return _attachment(row.blob_sha256, row.mime_type, row.filename, served)


@bp.get("/records/<int:record_id>/versions/<int:number>/files/<int:file_id>/searchable-copy")
@requires(Permission.READ)
def download_searchable_copy(record_id: int, number: int, file_id: int):
    """The PDF/A copy of a scanned file, to whoever may download the file (the same checks)."""
    rec, ver = _version(record_id, number)
    row = services.get_file(ver, file_id)
    copy = searchable_copy.made_copy(row)
    served = (downloads.COPY_DOWNLOADED, rec, ver, row)
    return _attachment(copy.blob_sha256, files.PDF, searchable_copy.filename(row.filename), served)


def _attachment(sha256: str, mime_type: str, filename: str, served: tuple) -> Response:
    """The stored bytes as a download; audited once read, before they leave (archive/downloads.py).

    ``served`` is (action, record, version, file row) for the audit entry.
    """
    try:
        data = files.read(sha256)
    except FileNotFoundError:
        current_app.logger.error("stored file missing: %s", sha256)
        raise NotFound("stored file") from None
    action, rec, ver, row = served
    downloads.write_on_download(current_user, action, rec, ver, row, sha256)
    mime = mime_type + ("; charset=utf-8" if mime_type == files.TXT else "")
    return Response(
        data,
        headers={
            "Content-Type": mime,
            "Content-Disposition": _content_disposition(filename),
            # Whatever the bytes are, the browser must not run them: no scripts, no plugins, a sandbox.
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


def _form(formdata=True, **data) -> RecordForm:
    form = RecordForm(**({"formdata": None} if not formdata else {}), data=data or None)
    meetings = db.session.scalars(
        visible_meetings(sa.select(Meeting), current_user).order_by(Meeting.start_date.desc())
    )
    choices = [SelectChoice(str(m.id), f"{m.start_date:%Y-%m-%d} {m.title}") for m in meetings]
    form.meeting_id.choices = [SelectChoice("", "No meeting")] + choices
    form.embargo_meeting_id.choices = [SelectChoice("", "No embargo by meeting")] + choices
    form.partners.choices = partner_choices_by_side()
    return form


def _prepare_uploads(form: RecordForm) -> list[services.PreparedFile] | None:
    prepared = []
    for upload in form.files.data or []:
        if not getattr(upload, "filename", ""):
            continue
        try:
            prepared.append(services.prepare_upload(upload.filename, upload.read()))
        except files.FileRefused as refused:
            form.files.errors = list(form.files.errors) + [str(refused)]
    return None if form.files.errors else prepared


@bp.route("/records/new", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def create():
    form = _form()
    if request.method == "GET":
        form.confidentiality.data = Confidentiality.RESTRICTED.value
    if form.validate_on_submit():
        prepared = _prepare_uploads(form)
        if prepared is not None:
            rec = services.create_record(form.record_data(), prepared, actor=current_user)
            filed = rec.id  # read before the commit, which expires it (reading after reloads it)
            db.session.commit()
            flash("Record filed.", "success")
            return redirect(url_for("archive.record", record_id=filed))
    status = 400 if request.method == "POST" else 200
    return render_template("archive/record_form.html", form=form, record=None), status


def _saved_record_form(rec, current) -> RecordForm:
    """The revision form as it opens: the record's saved metadata, every current file kept."""
    meta = services.record_metadata(rec)
    form = _form(
        formdata=False,
        **{
            **meta,
            "record_date": rec.record_date,
            "embargo_until": rec.embargo_until,
            "meeting_id": str(rec.meeting_id or ""),
            "embargo_meeting_id": str(rec.embargo_meeting_id or ""),
            "keep_files": [str(f.id) for f in current.files],
            "version": rec.version,
        },
    )
    form.keep_files.choices = [SelectChoice(str(f.id), f.filename) for f in current.files]
    return form


#: the metadata a conflict merges (web/merge.py); files are chosen again, the change note is this person's
MERGED_FIELDS = (
    "title",
    "record_type",
    "record_date",
    "meeting_id",
    "partners",
    "language",
    "description_source",
    "tags",
    "confidentiality",
    "embargo_until",
    "embargo_meeting_id",
)


@bp.route("/records/<int:record_id>/revise", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def revise(record_id: int):
    rec = _record(record_id)
    current = services.current_version(rec)
    form = _saved_record_form(rec, current) if request.method == "GET" else _form()
    form.keep_files.choices = [SelectChoice(str(f.id), f.filename) for f in current.files]
    key, labels = merge.object_key(rec), {name: form[name].label.text for name in MERGED_FIELDS}
    valid = form.validate_on_submit()
    if form.is_submitted() and not (form.change_note.data or "").strip():
        # the service's rule, said with the form's other mistakes rather than after the next try
        form.change_note.errors = [*form.change_note.errors, "Say what changed in this version."]
        valid = False
    if valid:
        prepared = _prepare_uploads(form)
        if prepared is not None:

            def save() -> None:
                services.revise_record(
                    rec,
                    form.record_data(),
                    prepared,
                    keep_file_ids={int(x) for x in form.keep_files.data or []},
                    change_note=form.change_note.data or "",
                    expected_version=int(form.version.data or 0),
                    actor=current_user,
                )

            def remerge() -> merge.Merge:
                nonlocal rec
                db.session.rollback()
                rec = _record(record_id)
                saved = _saved_record_form(rec, services.current_version(rec))
                # The other version's files replace the list: every file is kept unless unticked again.
                form.keep_files.choices, form.keep_files.data = saved.keep_files.choices, saved.keep_files.data
                form.version.data = str(rec.version)
                return merge.merge_form(key, form, saved, labels, audit_of=(rec, ("archive.update",)))

            try:
                done = merge.save_or_merge(
                    key, save=save, remerge=remerge, conflict=services.RecordConflict, retry=False
                )
            except services.RecordRefused as refused:
                db.session.rollback()
                form.change_note.errors = [str(refused)]
            else:
                if not done.saved:
                    return render_template(
                        "archive/record_form.html",
                        form=form,
                        record=rec,
                        merge=done.merge,
                        edit_base=done.merge.token(),
                    ), 409
                db.session.commit()
                flash("New version filed.", "success")
                return redirect(url_for("archive.record", record_id=record_id))
    status = 400 if request.method == "POST" else 200
    edit_base = merge.carried(key, {name: form[name].data for name in labels})
    return render_template("archive/record_form.html", form=form, record=rec, edit_base=edit_base), status


@bp.post("/records/<int:record_id>/withdraw")
@requires(Permission.COORDINATE)
def withdraw(record_id: int):
    rec = _record(record_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        flash("Give the reason for the withdrawal.", "error")
        return redirect(url_for("archive.record", record_id=rec.id))
    try:
        services.withdraw(rec, form.reason.data, actor=current_user)
    except services.RecordRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        db.session.commit()
        flash("Record withdrawn. It stays in the archive for coordinators, with your reason.", "success")
    return redirect(url_for("archive.record", record_id=record_id))


@bp.post("/reindex")
@requires(Permission.COORDINATE)
def reindex():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    indexing.request_rebuild()  # never in a web worker: each server's worker rebuilds its own
    db.session.commit()
    flash("The search index will be rebuilt by the worker in the next few seconds.", "success")
    return redirect(url_for("archive.search"))


@bp.route("/import", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def bulk_import():
    """Historical records from a manifest: upload, then a preview of every line (nothing filed yet)."""
    form, result, token = ImportForm(), None, None
    if form.validate_on_submit():
        uploads = [(u.filename, u.read()) for u in form.files.data or [] if getattr(u, "filename", "")]
        try:
            if not uploads:
                raise bulk_upload.UploadRefused("Choose a .zip file, or manifest.csv with the files it names.")
            token = bulk_upload.keep(uploads, current_user)
            result = bulk_upload.preview(token, current_user)
        except bulk_upload.UploadRefused as refused:
            form.files.errors = [str(refused)]
    refused = request.method == "POST" and (form.errors or (result is not None and result.errors))
    page = render_template("archive/import.html", form=form, result=result, token=token, confirm=FileImportForm())
    return page, 400 if refused else 200


@bp.post("/import/file")
@requires(Permission.COORDINATE)
def file_import():
    """File every line of a previewed upload, or none."""
    confirm = FileImportForm()
    if not confirm.validate_on_submit():
        flash("This import is unknown or has expired: choose the files again.", "error")
        return redirect(url_for("archive.bulk_import"))
    try:
        result = bulk_upload.file_all(confirm.token.data, current_user)
    except bulk_upload.UploadRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("archive.bulk_import"))
    if result.errors:  # changed since the preview (a meeting removed…): nothing was filed
        db.session.rollback()
        page = render_template("archive/import.html", form=ImportForm(), result=result, token=None, confirm=confirm)
        return page, 400
    db.session.commit()
    flash(f"Filed {result.filed} records.", "success")
    return redirect(url_for("archive.search", sort="date"))
