"""Frozen versions of an agenda: the history, one version, comparisons, the agenda at a moment, print."""

from __future__ import annotations

from datetime import datetime, time

from flask import abort, flash, render_template, request
from flask_login import current_user

from secretariat.agenda import compare, queries, services, tree, visibility
from secretariat.agenda.forms import AsOfForm
from secretariat.agenda.models import Meeting
from secretariat.agenda.views.blueprint import bp, meeting_or_404
from secretariat.auth.choices import partner_names
from secretariat.auth.permissions import Permission, requires
from secretariat.timeutil import UTC


def _may_see_versions(meeting: Meeting) -> bool:
    return visibility.is_coordinator(current_user) or visibility.partners_may_see_agenda(meeting)


@bp.get("/<int:meeting_id>/versions")
@requires(Permission.READ)
def versions(meeting_id: int):
    m = meeting_or_404(meeting_id)
    coordinator = visibility.is_coordinator(current_user)
    return render_template(
        "agenda/versions.html",
        meeting=m,
        versions=services.versions(m) if _may_see_versions(m) else [],
        revisions=services.revisions(m) if coordinator else [],
        as_of_form=AsOfForm(request.args),
    )


@bp.get("/<int:meeting_id>/versions/<int:number>")
@requires(Permission.READ)
def version(meeting_id: int, number: int):
    m = meeting_or_404(meeting_id)
    v = services.get_version(m, number)
    if v is None or not _may_see_versions(m):
        abort(404)
    return render_template(
        "agenda/version.html",
        meeting=m,
        version=v,
        agenda_items=queries.version_items(m, v),
        partner_names=dict(partner_names()),
        verified=tree.sha256(v.snapshot) == v.snapshot_sha256,
    )


def _version_number(spec: str) -> int | None:
    spec = (spec or "").strip().lower()
    return int(spec[1:]) if spec.startswith("v") and spec[1:].isdigit() else None


def _side(m: Meeting, spec: str, frozen: dict) -> queries.Side | None:
    """ "v3" → that frozen version (from ``frozen``); "draft" → the working agenda (coordinators only)."""
    if (spec or "").strip().lower() == "draft" and visibility.is_coordinator(current_user):
        return queries.draft_side(m)
    v = frozen.get(_version_number(spec))
    return None if v is None else queries.version_side(v)


@bp.get("/<int:meeting_id>/compare")
@requires(Permission.READ)
def compare_versions(meeting_id: int):
    m = meeting_or_404(meeting_id)
    may_see_versions = _may_see_versions(m)
    numbers = services.version_numbers(m) if may_see_versions else []
    options = [f"v{n}" for n in numbers] + (["draft"] if visibility.is_coordinator(current_user) else [])
    default_to = options[-1] if options else ""
    default_from = options[-2] if len(options) > 1 else default_to
    old_spec = request.args.get("from", default_from)
    new_spec = request.args.get("to", default_to)
    wanted = {n for n in (_version_number(old_spec), _version_number(new_spec)) if n is not None}
    frozen = services.versions_numbered(m, wanted) if may_see_versions else {}
    old, new = _side(m, old_spec, frozen), _side(m, new_spec, frozen)
    changes = summary = None
    if old and new:
        changes = compare.compare_items(old.items, new.items)
        summary = compare.summarize(changes)
    elif options and request.args:
        flash("Choose two versions that exist.", "error")
    return render_template(
        "agenda/compare.html",
        meeting=m,
        options=options,
        old_spec=old_spec,
        new_spec=new_spec,
        old_label=old.label if old else "",
        new_label=new.label if new else "",
        changes=changes,
        summary=summary,
    )


@bp.get("/<int:meeting_id>/as-of")
@requires(Permission.READ)
def as_of(meeting_id: int):
    m = meeting_or_404(meeting_id)
    form = AsOfForm(request.args)
    if not form.validate():
        return render_template("agenda/as_of.html", meeting=m, form=form, agenda_items=None), 400
    moment = datetime.combine(form.date.data, form.time.data or time(23, 59, 59), tzinfo=UTC)
    source = None
    agenda_items = None
    if visibility.is_coordinator(current_user):
        revision = services.revision_as_of(m, moment)
        if revision is not None:
            source = f"revision {revision.number} of {revision.created_at:%d %b %Y %H:%M} UTC ({revision.summary})"
            agenda_items = queries.version_items(m, revision)
    else:
        v = services.version_as_of(m, moment) if visibility.partners_may_see_agenda(m) else None
        if v is not None:
            source = f"version v{v.number} frozen on {v.frozen_at:%d %b %Y %H:%M} UTC"
            agenda_items = queries.version_items(m, v)
    return render_template(
        "agenda/as_of.html",
        meeting=m,
        form=form,
        moment=moment,
        source=source,
        agenda_items=agenda_items,
        partner_names=dict(partner_names()),
    )


@bp.get("/<int:meeting_id>/print")
@requires(Permission.READ)
def print_agenda(meeting_id: int):
    m = meeting_or_404(meeting_id)
    latest = queries.latest_version(m)
    if visibility.is_coordinator(current_user) and request.args.get("draft"):
        agenda_items, label = queries.draft_items(m, include_notes=False), "Draft — not circulated"
    elif latest is not None and _may_see_versions(m):
        agenda_items, label = queries.version_items(m, latest), f"Version v{latest.number} ({latest.kind})"
    else:
        abort(404)
    return render_template(
        "agenda/print.html", meeting=m, agenda_items=agenda_items, label=label, partner_names=dict(partner_names())
    )
