"""No marker reaches a role that may not see it: a crawl of every page, export, feed and download.

A coordinator files coordinators-level, embargoed, withdrawn and re-levelled records, runs a
coordinators' meeting to the end (its agendas and minutes are filed by the application), leaves
draft minutes with action points and draft agendas, and records an initiative's status change at
the coordinators' meeting; officials propose items. Each piece of hidden material carries its own
marker word (ZPX…) in its title, text, file name and file contents; material every role may see
carries a control word (CTRL…), which every role must find, so the crawl is proven to reach pages.

Each role then walks the site from the home page: every same-site link and redirect, every GET form
with its defaults, every GET route with every id in the database, searches for every marker, the
exports, the personal calendar feed and every file download (zip files read member by member). The
test fails listing role, URL and marker for every leak.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa

from secretariat.agenda import minutes, proposals, tree
from secretariat.agenda import services as agenda
from secretariat.agenda.models import AgendaItem, AgendaVersion, ItemProposal, Meeting
from secretariat.archive import files as archive_files
from secretariat.archive import services as archive
from secretariat.archive.models import Blob, Record, RecordFile, RecordVersion, SearchableCopy
from secretariat.auth.models import Partner, User
from secretariat.auth.permissions import access_of, role_has
from secretariat.extensions import db
from secretariat.programme import reports, silence
from secretariat.programme import services as programme
from secretariat.programme.models import Initiative, SilenceProcedure
from secretariat.timeutil import utcnow
from tests.agenda.helpers import add, make_meeting, set_status
from tests.archive.helpers import docx, file_record
from tests.factories import make_user
from tests.programme.helpers import make_initiative
from tests.security.crawl import Crawler

#: in the order they crawl: the cleared roles first, so that a page or fragment kept in the process
#: (agenda fragments, navigation, option lists are cached) after a coordinator's view would then be
#: served to a partner, and caught
ROLES = ("coordinator", "admin", "official_a", "observer", "official_b")
EVERYONE = frozenset(ROLES)
CLEARED = frozenset({"coordinator", "admin"})  # archive/access.py and agenda/visibility.py
COORDINATOR = frozenset({"coordinator"})  # drafts, notes, other partners' proposals

#: who may see each marker (anonymous: none). The roles are the test's users (_users): officials of
#: two partners (JP, DE), an observer (KR), a coordinator, an administrator. The administrator also
#: reads the audit trail, which records every change in full (agenda items with their notes,
#: proposals, minutes): see ADMIN_AUDIT below.
MAY_SEE: dict[str, frozenset[str]] = {
    # the coordinators' meeting: its name, code and description, agenda, minutes and action points,
    # and the records the application files from them (issue 25, items 1 and 3)
    "ZPXCMTITLE": CLEARED,
    "ZPXCMCODE": CLEARED,
    "ZPXCMDESC": CLEARED,
    "ZPXCMITEM": CLEARED,
    "ZPXCMMINUTES": CLEARED,
    "ZPXCMDECISION": CLEARED,
    "ZPXCMACTION": CLEARED,
    # search facet counting a coordinators' meeting ("Coordinators' Meeting (1)", item 1)
    "facet meeting_kind=coordinators": CLEARED,
    # a record filed at the coordinators' level
    "ZPXCOORDRECTITLE": CLEARED,
    "ZPXCOORDRECBODY": CLEARED,
    "ZPXCOORDRECNAME": CLEARED,
    "ZPXCOORDRECFILE": CLEARED,
    # the searchable copy (PDF/A) of that record's scanned file
    "ZPXCOORDCOPY": CLEARED,
    # version 1 of a record filed at coordinators, then revised to restricted (item 2)
    "ZPXV1TITLE": CLEARED,
    "ZPXV1BODY": CLEARED,
    "ZPXV1NAME": CLEARED,
    "ZPXV1FILE": CLEARED,
    # embargoed until a date
    "ZPXEMBDATETITLE": CLEARED,
    "ZPXEMBDATEBODY": CLEARED,
    "ZPXEMBDATENAME": CLEARED,
    "ZPXEMBDATEFILE": CLEARED,
    # embargoed until a meeting (not yet closed) closes
    "ZPXEMBMEETTITLE": CLEARED,
    "ZPXEMBMEETBODY": CLEARED,
    "ZPXEMBMEETNAME": CLEARED,
    "ZPXEMBMEETFILE": CLEARED,
    # withdrawn, with its reason
    "ZPXWDTITLE": CLEARED,
    "ZPXWDBODY": CLEARED,
    "ZPXWDNAME": CLEARED,
    "ZPXWDFILE": CLEARED,
    "ZPXWDREASON": CLEARED,
    # a draft agenda, an item added after circulation, coordinators' notes
    "ZPXDRAFTAGENDA": COORDINATOR,
    "ZPXPOSTCIRC": COORDINATOR,
    "ZPXNOTE": COORDINATOR,
    # draft minutes of a SOM, their decisions and action points (item 4)
    "ZPXDRAFTMINUTES": COORDINATOR,
    "ZPXDRAFTDECISION": COORDINATOR,
    "ZPXDRAFTACTION": COORDINATOR,
    # pending proposals, and a declined one with its reason: their own partner's officials and the coordinators
    "ZPXPROPOSALA": frozenset({"official_a", "coordinator"}),
    "ZPXPROPOSALB": frozenset({"official_b", "coordinator"}),
    "ZPXDECLINEDB": frozenset({"official_b", "coordinator"}),
    "ZPXDECLINEREASON": frozenset({"official_b", "coordinator"}),
    # a SOM made a coordinators' meeting after its agenda was circulated (and filed)
    "ZPXREKINDTITLE": CLEARED,
    "ZPXREKINDITEM": CLEARED,
    # a record filed restricted, then raised to coordinators: its first version goes with it
    "ZPXRAISEDTITLE": CLEARED,
    "ZPXRAISEDBODY": CLEARED,
    "ZPXRAISEDNAME": CLEARED,
    "ZPXRAISEDFILE": CLEARED,
    # controls: every role must find each of these somewhere
    "CTRLSOMPREV": EVERYONE,
    "CTRLSOMHELD": EVERYONE,
    "CTRLSOMNEXT": EVERYONE,
    "CTRLSOMDRAFT": EVERYONE,
    "CTRLAGENDAITEM": EVERYONE,
    "CTRLCIRCITEM": EVERYONE,
    "CTRLMINUTES": EVERYONE,
    "CTRLACTION": EVERYONE,
    "CTRLRECTITLE": EVERYONE,
    "CTRLRECBODY": EVERYONE,
    "CTRLRECNAME": EVERYONE,
    "CTRLRECFILE": EVERYONE,
    "CTRLRECCOPY": EVERYONE,
    "CTRLV2TITLE": EVERYONE,
    "CTRLV2FILE": EVERYONE,
    "CTRLCMLINKED": EVERYONE,
    "CTRLRELEASED": EVERYONE,
    "CTRLINITONE": EVERYONE,
    "CTRLINITTWO": EVERYONE,
    "CTRLREPORT": EVERYONE,
    "CTRLSILENCE": EVERYONE,
}

#: the administrator's audit trail shows every recorded change whole: by design, not a leak
ADMIN_AUDIT = "/admin/audit"

#: a facet offering a coordinators' meeting with a count above zero (a chosen facet may show "(0)")
COORDINATORS_FACET = re.compile(r'name="meeting_kind" value="coordinators"[^>]*>[^<]*<span class="muted">\([1-9]')
MARKERS: dict[str, re.Pattern] = {
    name: re.compile(re.escape(name), re.IGNORECASE) for name in MAY_SEE if not name.startswith("facet ")
} | {"facet meeting_kind=coordinators": COORDINATORS_FACET}

#: markers that no page shows to anyone today: an earlier version's description (its page leaves the
#: description out); a leak of them still fails the test
SHOWN_NOWHERE = {"ZPXV1BODY", "ZPXRAISEDBODY"}

#: proof that each channel is read: every role must find these controls at a URL holding the path part
CHANNELS = [
    ("CTRLRECFILE", "/files/"),  # a DOCX download, read member by member
    ("CTRLV2FILE", "/files/"),  # a text download
    ("CTRLSOMNEXT", "/meetings/feed/"),  # the personal calendar feed
    ("CTRLSOMHELD", "/calendar.ics"),  # a meeting's calendar file
    ("CTRLSOMNEXT", "/meetings/export.csv"),  # the meetings' CSV export
    ("CTRLINITONE", "/programme/export.csv"),  # the initiatives' CSV export
    ("CTRLRECBODY", "/archive/?"),  # search results
    ("CTRLRECCOPY", "/searchable-copy"),  # a scanned file's searchable copy
]

#: a bound on each role's crawl (about 400 requests are needed today; 600 without signing in)
MAX_PAGES = 1500
#: what each argument of a route is filled with: every id of its kind in the database
ID_QUERIES = {
    ("meeting_id",): sa.select(Meeting.id.label("meeting_id")),
    ("item_id", "meeting_id"): sa.select(AgendaItem.id.label("item_id"), AgendaItem.meeting_id),
    ("meeting_id", "number"): sa.select(AgendaVersion.meeting_id, AgendaVersion.number),
    ("meeting_id", "proposal_id"): sa.select(ItemProposal.meeting_id, ItemProposal.id.label("proposal_id")),
    ("record_id",): sa.select(Record.id.label("record_id")),
    ("number", "record_id"): sa.select(RecordVersion.number, RecordVersion.record_id),
    ("file_id", "number", "record_id"): sa.select(
        RecordFile.id.label("file_id"), RecordVersion.number, RecordVersion.record_id
    ).join(RecordVersion, RecordVersion.id == RecordFile.version_id),
    ("initiative_id",): sa.select(Initiative.id.label("initiative_id")),
    ("procedure_id",): sa.select(SilenceProcedure.id.label("procedure_id")),
    ("user_id",): sa.select(User.id.label("user_id")),
    ("code",): sa.select(Partner.code).where(Partner.code.in_(["JP", "DE", "KR", "EU", "BE", "SG"])),
}
#: GET routes whose argument is a secret handed to one person (crawled from the link they were given)
SECRET_ARGUMENTS = {("token",)}


def _assert_markers_distinct():
    words = [name for name in MAY_SEE if not name.startswith("facet ")]
    for word in words:
        others = [other for other in words if other != word and word.lower() in other.lower()]
        assert not others, f"marker {word} is part of {others}: a find of one would count for the other"


# --- the material ---------------------------------------------------------------------------------


def _text_file(stem: str, marker: str) -> tuple[str, bytes]:
    return f"{stem}.txt", f"Text of the document: {marker}.\n".encode()


def _record(actor, marker: str, **fields) -> Record:
    """A record carrying ``marker`` in its title, description, file name and file contents."""
    return file_record(
        actor,
        f"Note {marker}TITLE",
        files=[_text_file(f"{marker}NAME", f"{marker}FILE")],
        description_source=f"About {marker}BODY.",
        **fields,
    )


def _with_searchable_copy(record: Record, marker: str) -> None:
    """A searchable copy made of the record's first file, as the worker stores one (the crawl is about
    who may fetch it; tests/archive/test_searchable_copy.py makes real ones with OCRmyPDF)."""
    row = db.session.scalars(
        sa.select(RecordFile)
        .join(RecordVersion, RecordVersion.id == RecordFile.version_id)
        .where(RecordVersion.record_id == record.id)
    ).first()
    data = f"%PDF-1.7\n% searchable copy {marker}\n".encode()
    sha = archive_files.store(data)
    db.session.add(Blob(sha256=sha, size=len(data)))
    db.session.add(
        SearchableCopy(record_file_id=row.id, status="made", blob_sha256=sha, size=len(data), made_at=utcnow())
    )
    db.session.commit()


def _minutes(meeting, actor, *, summary, decision, action, partner, adopt):
    nodes = tree.agenda_nodes(meeting.id)
    minutes.save_minutes(
        meeting, summary=summary, decisions={nodes[0].item.id: decision}, expected_version=0, actor=actor
    )
    minutes.add_action_point(meeting, text=action, partner_code=partner, due=None, item_id=None, actor=actor)
    if adopt:
        minutes.adopt(meeting, actor=actor)
    db.session.commit()


def build_material(coordinator, official_a, official_b) -> None:
    """Everything the crawl looks for, made through the services the views call."""
    today = utcnow().date()

    # A SOM of two months ago, held and minuted: everything about it is for every partner.
    som_prev = make_meeting(
        coordinator,
        title="Senior Officials' Meeting CTRLSOMPREV",
        code="SOM-P",
        start_date=today - timedelta(60),
        end_date=today - timedelta(59),
    )
    add(som_prev, coordinator, "Opening CTRLAGENDAITEM")
    set_status(som_prev, coordinator, "drafting", "circulated", "adopted", "held")
    _minutes(
        som_prev,
        coordinator,
        summary="Summary CTRLMINUTES",
        decision="Agreed.",
        action="Follow up CTRLACTION",
        partner="JP",
        adopt=True,
    )

    # The coordinators' meeting, run to its end: the application files its agendas and minutes.
    cm = make_meeting(
        coordinator,
        title="Coordinators' Meeting ZPXCMTITLE",
        kind="coordinators",
        code="ZPXCMCODE",
        description_source="Preparing the SOM: ZPXCMDESC.",
        start_date=today - timedelta(10),
        end_date=today - timedelta(10),
    )
    add(cm, coordinator, "Sequencing ZPXCMITEM")
    set_status(cm, coordinator, "drafting", "circulated", "adopted", "held")
    _minutes(
        cm,
        coordinator,
        summary="Coordinators agreed ZPXCMMINUTES",
        decision="Decided ZPXCMDECISION",
        action="Japan to draft ZPXCMACTION",
        partner="JP",
        adopt=True,
    )

    # Records about the coordinators' meeting that partners may read; its name must not come with them.
    file_record(coordinator, "Letter to partners CTRLCMLINKED", meeting_id=cm.id)
    file_record(coordinator, "Briefing CTRLRELEASED", embargo_meeting_id=cm.id)
    set_status(cm, coordinator, "closed")

    # A SOM held last week: circulated and adopted agenda, draft minutes not adopted.
    som_held = make_meeting(
        coordinator,
        title="Senior Officials' Meeting CTRLSOMHELD",
        code="SOM-H",
        start_date=today - timedelta(5),
        end_date=today - timedelta(4),
    )
    add(som_held, coordinator, "Connectivity CTRLAGENDAITEM", coordinator_notes="Ask the chair first ZPXNOTE")
    set_status(som_held, coordinator, "drafting", "circulated", "adopted", "held")
    _minutes(
        som_held,
        coordinator,
        summary="Draft summary ZPXDRAFTMINUTES",
        decision="Tentatively ZPXDRAFTDECISION",
        action="Japan to consider ZPXDRAFTACTION",
        partner="JP",
        adopt=False,
    )

    # The next SOM: agenda circulated, then changed in the draft; proposals of two partners pending.
    som_next = make_meeting(
        coordinator,
        title="Senior Officials' Meeting CTRLSOMNEXT",
        code="SOM-N",
        start_date=today + timedelta(30),
        end_date=today + timedelta(31),
    )
    add(som_next, coordinator, "Welcome CTRLCIRCITEM")
    set_status(som_next, coordinator, "drafting", "circulated")
    add(som_next, coordinator, "Late addition ZPXPOSTCIRC")
    for official, marker in ((official_a, "ZPXPROPOSALA"), (official_b, "ZPXPROPOSALB")):
        proposals.propose(
            som_next,
            {"title": f"Proposal {marker}", "item_type": "discussion", "description_source": marker},
            actor=official,
        )
        db.session.commit()

    declined = proposals.propose(
        som_next,
        {"title": "Proposal ZPXDECLINEDB", "item_type": "discussion", "description_source": ""},
        actor=official_b,
    )
    proposals.decline(som_next, declined, "Not this time ZPXDECLINEREASON", actor=coordinator)
    db.session.commit()

    # A SOM whose circulated agenda was filed, then found to be a coordinators' meeting.
    rekinded = make_meeting(
        coordinator,
        title="Meeting ZPXREKINDTITLE",
        code="SOM-K",
        start_date=today + timedelta(40),
        end_date=today + timedelta(40),
    )
    add(rekinded, coordinator, "Item ZPXREKINDITEM")
    set_status(rekinded, coordinator, "drafting", "circulated")
    fields = {name: getattr(rekinded, name) for name in agenda.MEETING_FIELDS if name != "host"}
    agenda.update_meeting(
        rekinded,
        {**fields, "host": None, "kind": "coordinators"},
        expected_version=rekinded.version,
        actor=coordinator,
    )
    db.session.commit()

    # A SOM whose agenda is still a draft.
    som_draft = make_meeting(
        coordinator,
        title="Senior Officials' Meeting CTRLSOMDRAFT",
        code="SOM-D",
        start_date=today + timedelta(90),
        end_date=today + timedelta(91),
    )
    set_status(som_draft, coordinator, "drafting")
    add(som_draft, coordinator, "Draft item ZPXDRAFTAGENDA")

    # Records: coordinators only, re-levelled, embargoed twice, withdrawn, and a control.
    coordinators_only = file_record(
        coordinator,
        "Note ZPXCOORDRECTITLE",
        files=[("ZPXCOORDRECNAME.docx", docx("Contents ZPXCOORDRECFILE"))],
        description_source="About ZPXCOORDRECBODY.",
        confidentiality="coordinators",
    )
    _with_searchable_copy(coordinators_only, "ZPXCOORDCOPY")
    relevelled = _record(coordinator, "ZPXV1", confidentiality="coordinators")
    archive.revise_record(
        relevelled,
        {
            **archive.record_metadata(relevelled),
            "title": "Revised note CTRLV2TITLE",
            "record_date": relevelled.record_date,
            "description_source": "Now for partners.",
            "confidentiality": "restricted",
        },
        [archive.prepare_upload(*_text_file("revised-note", "CTRLV2FILE"))],
        keep_file_ids=set(),
        change_note="Released to partners in a new version",
        expected_version=relevelled.version,
        actor=coordinator,
    )
    db.session.commit()
    raised = _record(coordinator, "ZPXRAISED")
    archive.revise_record(
        raised,
        {
            **archive.record_metadata(raised),
            "title": "Raised note",
            "record_date": raised.record_date,
            "description_source": "For coordinators now.",
            "confidentiality": "coordinators",
        },
        [],
        keep_file_ids=set(),
        change_note="Raised to coordinators",
        expected_version=raised.version,
        actor=coordinator,
    )
    db.session.commit()
    _record(coordinator, "ZPXEMBDATE", embargo_until=utcnow() + timedelta(days=30))
    _record(coordinator, "ZPXEMBMEET", embargo_meeting_id=som_held.id)
    withdrawn = _record(coordinator, "ZPXWD")
    archive.withdraw(withdrawn, "Circulated in error ZPXWDREASON", actor=coordinator)
    db.session.commit()
    control = file_record(
        coordinator,
        "Chair's statement CTRLRECTITLE",
        files=[("CTRLRECNAME.docx", docx("Contents CTRLRECFILE"))],
        description_source="About CTRLRECBODY.",
        meeting_id=som_prev.id,
    )
    _with_searchable_copy(control, "CTRLRECCOPY")

    # Initiatives: one whose status changed at the coordinators' meeting, one mandated there.
    first = make_initiative(coordinator, "ASEM-ECO-801", lead="JP", title="Initiative CTRLINITONE")
    programme.change_status(first, "endorsed", effective=cm.start_date, meeting_id=cm.id, note="", actor=coordinator)
    db.session.commit()
    make_initiative(coordinator, "ASEM-SOC-802", lead="DE", title="Initiative CTRLINITTWO", mandate_meeting_id=cm.id)
    reports.submit_report(
        first,
        period_start=today - timedelta(90),
        period_end=today - timedelta(1),
        text="Progress CTRLREPORT",
        milestones_done=set(),
        actor=official_a,
    )
    db.session.commit()
    silence.start(
        subject="Text under silence CTRLSILENCE",
        text="Proposed text.",
        deadline_local=datetime.combine(today + timedelta(days=20), datetime.min.time()),
        zone="Europe/Brussels",
        initiative=None,
        proposed_status=None,
        actor=coordinator,
    )
    db.session.commit()
    archive.sync()


# --- the crawl --------------------------------------------------------------------------------------


def _fill(rule: str, values: dict) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(values[m.group(1)]), rule)


def database_urls(app) -> list[str]:
    """Every GET route with its arguments filled with every id of their kind that exists."""
    urls = []
    unknown = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        arguments = tuple(sorted(rule.arguments))
        if not arguments:
            urls.append(rule.rule)
        elif arguments in ID_QUERIES:
            for row in db.session.execute(ID_QUERIES[arguments]):
                urls.append(_fill(rule.rule, dict(row._mapping)))
        elif arguments not in SECRET_ARGUMENTS:
            unknown.append(rule.rule)
    assert not unknown, f"the crawl does not know how to fill these routes' arguments: {unknown}"
    return urls


def query_urls(app) -> list[str]:
    """Pages with arguments that links do not all show: searches, filters, exports, comparisons, print views."""
    urls = [f"/archive/?q={name}" for name in MAY_SEE if not name.startswith("facet ")]
    urls += ["/archive/?q=zpx*", "/archive/?q=ctrl*", "/archive/?q=&sort=date", "/archive/?q=meeting:ZPXCMCODE"]
    urls += ["/archive/?meeting_kind=coordinators", "/archive/?q=type:minutes", "/archive/?q=type:agenda"]
    for when in ("all", "past", "upcoming"):
        urls += [f"/meetings/?when={when}", f"/meetings/export.csv?when={when}"]
    urls += ["/meetings/?kind=coordinators&when=all", "/meetings/export.csv?kind=coordinators&when=all"]
    urls += ["/programme/export.csv", "/programme/?status=endorsed", "/programme/som-summary"]
    for (meeting_id,) in db.session.execute(sa.select(Meeting.id)):
        urls += [
            f"/programme/som-summary?meeting={meeting_id}",
            f"/meetings/{meeting_id}/print?draft=1",
            f"/meetings/{meeting_id}/compare?from=v1&to=draft",
            f"/meetings/{meeting_id}/as-of?date={utcnow().date().isoformat()}",
            # the confirmation pages of circulating and adopting (what is said, and to whom)
            f"/meetings/{meeting_id}/status?target=circulated",
            f"/meetings/{meeting_id}/status?target=adopted",
        ]
        for (number,) in db.session.execute(
            sa.select(AgendaVersion.number).where(AgendaVersion.meeting_id == meeting_id)
        ):
            urls += [f"/meetings/{meeting_id}/compare?from=v{number}&to=draft"]
            urls += [f"/meetings/{meeting_id}/compare?from=v1&to=v{number}"]
    return urls


def calendar_feed_url(client) -> str:
    """The role's personal calendar feed, made as a person makes it (the address is shown once)."""
    response = client.submit("/meetings/calendar", {"action": "create"})
    match = re.search(r'value="(https?://[^"]+/meetings/feed/[^"]+\.ics)"', response.get_data(as_text=True))
    assert match, "no calendar address was shown"
    return urlsplit(match.group(1)).path  # on whatever host the address names (EXTERNAL_BASE_URL)


def _users():
    return {
        "official_a": make_user("official", partner_code="JP"),
        "observer": make_user("observer", partner_code="KR"),
        "official_b": make_user("official", partner_code="DE"),
        "coordinator": make_user("coordinator", partner_code="EU"),
        "admin": make_user("admin", partner_code="BE"),
    }


#: GET pages a signed-in person is sent away from (the sign-in steps) or that need a secret of their own
NOT_FOR_THE_SIGNED_IN = {"auth.login", "auth.mfa_code", "auth.set_password", "auth.mfa_setup", "static"}
#: pages only a partner that sponsors an initiative opens (the crawl's partners are not all sponsors)
SPONSORS_ONLY = {"programme.submit_report"}


def readable_endpoints(app, role: str) -> set[str]:
    """The GET endpoints the role's permissions open: the crawl must have had a 200 from each."""
    wanted = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint in NOT_FOR_THE_SIGNED_IN | SPONSORS_ONLY:
            continue
        access = access_of(app.view_functions[rule.endpoint])
        if access.public or role_has(role, access.permission):
            wanted.add(rule.endpoint)
    return wanted


def answered_endpoints(app, crawler: Crawler) -> set[str]:
    adapter = app.url_map.bind("localhost")
    endpoints = set()
    for visit in crawler.visits:
        if visit.status == 200:
            endpoints.add(adapter.match(urlsplit(visit.url).path, method="GET")[0])
    return endpoints


def crawl_as(app, user) -> Crawler:
    """One role's crawl: from the home page, then its calendar feed, then every URL made from the database.
    Without a user, the crawl of someone who is not signed in."""
    client = app.test_client()
    crawler = Crawler(client, MARKERS, max_pages=MAX_PAGES)
    crawler.add(["/"])  # the home page and the main navigation first, as a person starts
    if user is not None:
        assert client.login(user.email).status_code == 302
        crawler.add([calendar_feed_url(client)])
    crawler.add(database_urls(app))
    crawler.add(query_urls(app))
    crawler.run()
    return crawler


def judge(app, role: str, crawler: Crawler) -> tuple[list[str], list[str]]:
    """The role's leaks (markers it may not see, with every URL that showed them), and the crawl's own
    failures: a bound hit, a server error, a readable page never reached, a marker or channel never seen."""
    leaks, problems = [], []
    for marker, urls in sorted(crawler.found.items()):
        if role == "admin":
            urls = [url for url in urls if not url.startswith(ADMIN_AUDIT)]
        if role not in MAY_SEE[marker] and urls:
            leaks.append(f"LEAK {role} saw {marker} at: {', '.join(urls)}")
    if crawler.exhausted:
        problems.append(f"{role}: the crawl stopped at its bound of {MAX_PAGES} requests")
    problems += [f"{role}: {url} answered {status}" for url, status in crawler.server_errors]
    if role == "anonymous":
        return leaks, problems
    unreached = readable_endpoints(app, role_of(role)) - answered_endpoints(app, crawler)
    if unreached:
        problems.append(f"{role}: the crawl never had a page of {sorted(unreached)}")
    problems += [
        f"{role} never found {marker}, which it may see: the crawl does not reach it"
        for marker, allowed in MAY_SEE.items()
        if role in allowed and marker not in crawler.found and marker not in SHOWN_NOWHERE
    ]
    problems += [
        f"{role} never found {marker} in an answer of {part}: that channel is not read"
        for marker, part in CHANNELS
        if not any(part in url for url in crawler.found.get(marker, ()))
    ]
    return leaks, problems


def role_of(name: str) -> str:
    return name.removesuffix("_a").removesuffix("_b")


def test_no_marker_reaches_a_role_that_may_not_see_it(app):
    _assert_markers_distinct()
    users = _users()
    build_material(users["coordinator"], users["official_a"], users["official_b"])

    leaks, problems, requests = [], [], {}
    started = time.monotonic()
    for role in (*ROLES, "anonymous"):
        crawler = crawl_as(app, users.get(role))
        requests[role] = len(crawler.visits)
        found_leaks, found_problems = judge(app, role, crawler)
        leaks += found_leaks
        problems += found_problems
    elapsed = time.monotonic() - started

    summary = ", ".join(f"{role} {count}" for role, count in requests.items())
    assert not leaks + problems, (
        f"{len(leaks)} role x marker leaks (requests: {summary}; {elapsed:.0f} s)\n" + "\n".join(leaks + problems)
    )
