"""Every action the code can write to the audit trail has its own words on the trail page.

The actions are read from the source (the action argument of each ``record(...)`` call), so a new
action without a label in secretariat/audit/labels.py fails here, not on an administrator's page.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import sqlalchemy as sa

from secretariat.archive import services as archive
from secretariat.archive.models import RecordFile
from secretariat.audit.labels import ACTIONS, DETAILS, QUIET
from secretariat.core.filters import FIELD_LABELS
from secretariat.extensions import db
from secretariat.programme.models import PositionKind
from tests.archive.helpers import file_record
from tests.factories import make_user, page_text

PACKAGE = Path(__file__).resolve().parents[2] / "secretariat"

#: the actions an f-string makes, by its template (a new template fails until it is listed here)
TEMPLATES = {"silence.{position_kind.value}": {f"silence.{kind.value}" for kind in PositionKind}}

#: what an action string looks like: "auth.login", "agenda.item.update"
ACTION_SHAPE = re.compile(r"[a-z_]+(\.[a-z_]+)+")

#: details that are not the entry's facts: where record() files the object
NOT_DETAILS = {"object_type", "object_id"}


def _record_calls() -> list[tuple[Path, list[ast.AST], ast.Call]]:
    """Each ``audit.record(...)`` (or ``record(...)``) call, with the nodes around it, innermost last."""
    calls = []

    def walk(node: ast.AST, around: list[ast.AST], path: Path) -> None:
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name == "record" and (len(node.args) > 1 or any(k.arg == "action" for k in node.keywords)):
                calls.append((path, around, node))
        for child in ast.iter_child_nodes(node):
            walk(child, [*around, node], path)

    for path in sorted(PACKAGE.rglob("*.py")):
        walk(ast.parse(path.read_text(encoding="utf-8")), [], path)
    return calls


def _action_argument(call: ast.Call) -> ast.AST:
    if len(call.args) > 1:
        return call.args[1]
    return next(k.value for k in call.keywords if k.arg == "action")


def _alternatives(node: ast.AST | None) -> set[str]:
    """The strings an expression can be: "a" if x else "b" gives both (not what x compares)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _alternatives(node.body) | _alternatives(node.orelse)
    if isinstance(node, ast.BoolOp):
        return set().union(*(_alternatives(value) for value in node.values))
    return set()


def _resolve_name(name: str, around: list[ast.AST]) -> set[str]:
    """What a variable passed as the action can hold: what its function assigns to it, its default,
    and the module's action constants (a parameter such as downloads.write_on_download's ``action``
    is given one of the constants its module defines)."""
    module = around[0]
    found: set[str] = set()
    function = next((n for n in reversed(around) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)), None)
    if function is not None:
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                found |= _alternatives(node.value)
        arguments = function.args
        positional = arguments.posonlyargs + arguments.args
        defaults = dict(zip([a.arg for a in positional][-len(arguments.defaults) :], arguments.defaults, strict=False))
        defaults |= {a.arg: d for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True) if d}
        if name in defaults:
            found |= _alternatives(defaults[name]) or _resolve_name(getattr(defaults[name], "id", ""), [module])
    for node in module.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            found |= {s for value in values for s in _alternatives(value) if ACTION_SHAPE.fullmatch(s)}
    return found


def recorded_actions() -> dict[str, set[str]]:
    """Every action string the code can record, with where it is recorded (file:line)."""
    actions: dict[str, set[str]] = {}
    unresolved = []
    for path, around, call in _record_calls():
        argument = _action_argument(call)
        where = f"{path.relative_to(PACKAGE)}:{call.lineno}"
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            found = {argument.value}
        elif isinstance(argument, ast.JoinedStr):
            template = "".join(
                part.value if isinstance(part, ast.Constant) else "{" + ast.unparse(part.value) + "}"
                for part in argument.values
            )
            found = TEMPLATES.get(template, set())
        elif isinstance(argument, ast.Name):
            found = _resolve_name(argument.id, around)
        else:
            found = set()
        if not found:
            unresolved.append(f"{where}: {ast.unparse(argument)}")
        for action in found:
            actions.setdefault(action, set()).add(where)
    assert not unresolved, f"actions this test cannot read (give them a literal or a TEMPLATES entry): {unresolved}"
    return actions


def test_the_collector_sees_the_actions_written_every_way():
    """Literal, f-string, module constant, a variable's alternatives and a parameter's default."""
    actions = recorded_actions()
    assert {"auth.login", "silence.agreed", "silence.broke_silence", "archive.file_downloaded"} <= set(actions)
    assert {"archive.copy_downloaded", "user.role_change", "user.update", "archive.access"} <= set(actions)
    assert len(actions) >= 70


def test_every_recorded_action_has_a_label_of_its_own():
    missing = sorted(f"{action} ({', '.join(sorted(where))})" for action, where in recorded_actions().items())
    missing = [line for line in missing if line.split(" ")[0] not in ACTIONS]
    assert not missing, "add these to ACTIONS in secretariat/audit/labels.py: " + "; ".join(missing)


def test_labels_read_as_the_others_do():
    """Sentence case, no dotted or underscored words left, no full stop."""
    for action, label in ACTIONS.items():
        assert label[0].isupper() and label == label.strip() and not label.endswith("."), action
        assert "_" not in label and "." not in label, action


def test_every_detail_the_code_records_has_a_name_or_stays_quiet():
    """The keyword details of record(...) calls: each named in DETAILS or the shared FIELD_LABELS."""
    unnamed = set()
    for path, _around, call in _record_calls():
        for keyword in call.keywords:
            name = keyword.arg
            if name and name not in NOT_DETAILS | QUIET and name not in DETAILS and name not in FIELD_LABELS:
                unnamed.add(f"{name} ({path.relative_to(PACKAGE)}:{call.lineno})")
    assert not unnamed, "name these in DETAILS in secretariat/audit/labels.py: " + "; ".join(sorted(unnamed))
    assert not set(DETAILS) & set(FIELD_LABELS), "one word for a field: in DETAILS or in FIELD_LABELS, not both"


def test_the_trail_page_says_new_actions_and_their_details_in_words(app, client):
    admin = make_user("admin")
    coordinator = make_user("coordinator", partner_code="EU")
    record = file_record(
        coordinator, "SOM minutes", files=[("som-minutes.txt", b"As agreed.")], confidentiality="public"
    )
    row = db.session.scalar(sa.select(RecordFile).order_by(RecordFile.id.desc()).limit(1))
    assert archive.set_file_language(record, row, "fr", actor=coordinator)
    archive.withdraw(record, "Filed twice", actor=coordinator)
    db.session.commit()
    client.login(admin.email)
    official = make_user("official", name="Promoted Official")
    response = client.submit(
        f"/admin/users/{official.id}",
        {"display_name": "Promoted Official", "partner": "JP", "role": "coordinator", "active": "y"},
    )
    assert response.status_code == 302

    text = page_text(client.get("/admin/audit"))

    for words in ("File language corrected", "Record withdrawn", "User role changed", "Record version sealed"):
        assert words in text, words
    for words in ("File name", "som-minutes.txt", "Withdrawn at", "Filed twice", "Files", "SHA-256 fingerprint"):
        assert words in text, words
    # none of the generated fallbacks for these actions and details
    for generated in ("Archive file language", "Archive withdraw", "Archive version", "File id", "Sha256", "Filename"):
        assert generated not in text, generated
    assert not re.search(r"User role change\b", text)
