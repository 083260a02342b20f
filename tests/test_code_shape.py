"""The shape issue 26 gave the code, kept: one read path, no threads in web workers, no abort() in services.

Each test lists its offenders. `python -m tests.test_code_shape` prints them all, enforced or not.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "secretariat"
MAX_LINES = 500

#: NamedTuples that are values, not rows of a page: what a version's sealed metadata says of its
#: audience, and a record whose confidentiality filing raised
VALUE_TUPLES = {"archive/access.py:SealedAccess", "archive/filing.py:Raised"}

#: where abort() belongs: the web layer's refusals (views, the access rule of every endpoint, the
#: request guard); services raise secretariat.errors.NotFound / Forbidden instead
MAY_ABORT = {"auth/access.py", "request_guard.py"}

#: what starts a thread; a web worker's threads die with it when max_requests recycles it
THREAD_MAKERS = {"Thread", "ThreadPoolExecutor", "ProcessPoolExecutor", "Timer"}


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(PACKAGE).as_posix(), path


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _is_view_module(name: str) -> bool:
    return name.endswith("views.py") or "/views/" in name


def long_modules() -> list[str]:
    offenders = []
    for name, path in modules():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            offenders.append(f"{name}: {lines} lines")
    return offenders


def row_tuples() -> list[str]:
    offenders = []
    for name, path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = {base.id if isinstance(base, ast.Name) else getattr(base, "attr", "") for base in node.bases}
            if "NamedTuple" in bases and f"{name}:{node.name}" not in VALUE_TUPLES:
                offenders.append(f"{name}:{node.lineno} {node.name}")
    return offenders


def thread_starts() -> list[str]:
    offenders = []
    for name, path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _called_name(node) in THREAD_MAKERS:
                offenders.append(f"{name}:{node.lineno} {_called_name(node)}")
    return offenders


def aborts_outside_views() -> list[str]:
    offenders = []
    for name, path in modules():
        if _is_view_module(name) or name in MAY_ABORT:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _called_name(node) == "abort":
                offenders.append(f"{name}:{node.lineno}")
    return offenders


def test_no_module_is_over_500_lines():
    assert long_modules() == []


def test_pages_read_models_not_named_tuples():
    assert row_tuples() == []


def test_no_thread_is_started_in_the_application():
    """Indexing and rebuilds run in `flask archive reindex` or the worker process, facet counts in the request."""
    assert thread_starts() == []


def test_only_views_and_the_access_rules_call_abort():
    assert aborts_outside_views() == []


if __name__ == "__main__":
    for check in (long_modules, row_tuples, thread_starts, aborts_outside_views):
        print(f"{check.__name__}:", *check() or ["none"], sep="\n  ")
