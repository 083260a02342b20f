"""Recent search results, kept while the index and the embargoes they were found under are unchanged.

The same search is often asked again: the results page reloaded, the way back from a record, a
popular query at a summit. Ranking, snippets and facet counts over 100,000 records cost about 3 ms
(bench/pages.py); a kept result costs a dictionary lookup. Elasticsearch's request cache works the
same way and for the same reason: results are kept per index version and dropped when it changes.

A kept result is exactly what searching again would find:
- **The index is unchanged.** Every commit (filing, revising, withdrawing, a rebuild, a merge)
  rewrites the index's ``meta.json``, whichever process commits; its bytes name the version
  (they hold the commit's stamp and the segments' ids). They are read before the searcher takes
  its snapshot and again after: a commit in between (the snapshot is not that version) keeps
  nothing.
- **No embargo has lifted since.** Embargoes lift with the clock, not with a commit (see
  engine.full_query): results are kept for the clock from the moment the first of them was found
  to the earliest embargo date still to come then, and all dropped at that date.
- **The same question**: the words, the filters, the sort, the page, and who asks (cleared or
  not: the only difference access makes to results, see engine.Access). The facet counts of a
  question are kept apart too: the next page, or the same results by date, count nothing again.

One store per process and per index folder, of at most ``SIZE`` results: about 20 KB each.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

SIZE = 256
#: index folders a process keeps results for (one in production; tests make one per test)
FOLDERS = 16

_lock = threading.Lock()
_stores: dict[str, _Store] = {}


class _Store:
    def __init__(self) -> None:
        self.version: bytes | None = None
        #: the kept results are right for a clock from ``since`` (included) to ``valid_until``
        #: (excluded, when the first embargo still to come lifts); POSIX times, None: not known yet
        self.since: float | None = None
        self.valid_until: float | None = None
        self.results: OrderedDict[tuple, Any] = OrderedDict()

    def start(self, version: bytes) -> None:
        self.version, self.since, self.valid_until = version, None, None
        self.results.clear()

    def holds(self, now: float) -> bool:
        return self.since is not None and self.valid_until is not None and self.since <= now < self.valid_until


def version_of(folder: Path | None) -> bytes | None:
    """The index's version as its last commit wrote it; None when unknown (nothing is kept then)."""
    if folder is None:
        return None
    try:
        return (folder / "meta.json").read_bytes()
    except OSError:
        return None


def get(folder: Path, version: bytes, key: tuple, now: float) -> Any | None:
    """What was kept for ``key`` at ``version``, if it is right for the clock ``now``."""
    with _lock:
        store = _stores.get(str(folder))
        if store is None or store.version != version:
            return None
        if store.valid_until is not None and now >= store.valid_until:
            store.start(version)  # an embargo has lifted: every result may now find one more record
            return None
        if not store.holds(now):  # a clock before the results' (a test's, or one set back)
            return None
        found = store.results.get(key)
        if found is not None:
            store.results.move_to_end(key)
        return found


def put(folder: Path, version: bytes, key: tuple, results: Any, now: float, next_lift: Callable[[], float]) -> None:
    """Keep ``results``, found in the index at ``version`` with the clock at ``now``.

    ``next_lift()`` (when the next embargo after ``now`` lifts) is asked once per version and lifted
    embargo, outside the lock; if it fails, nothing is kept.
    """
    with _lock:
        store = _stores.get(str(folder))
        if store is None:
            if len(_stores) >= FOLDERS:
                _stores.clear()
            store = _stores[str(folder)] = _Store()
        if store.version != version:
            store.start(version)
        known = store.valid_until is not None
    lift = None
    if not known:
        try:
            lift = next_lift()
        except Exception:  # noqa: BLE001 - keeping is an optimisation: the search itself succeeded
            return
    with _lock:
        if _stores.get(str(folder)) is not store or store.version != version:
            return  # another version was started meanwhile
        if store.valid_until is None:
            if lift is None:
                return
            store.since, store.valid_until = now, lift
        if not store.holds(now):
            return  # found under other embargoes than those of the results kept
        store.results[key] = results
        store.results.move_to_end(key)
        while len(store.results) > SIZE:
            store.results.popitem(last=False)


def forget(folder: Path, key: tuple, kept: Any) -> None:
    """Drop what is kept for ``key`` if it is still ``kept`` (its facet counting failed)."""
    with _lock:
        store = _stores.get(str(folder))
        if store is not None and store.results.get(key) is kept:
            del store.results[key]


def clear() -> None:
    """Forget every kept result (bench/pages.py times searches as if asked for the first time).

    What is known of the index's embargoes is kept, as it is between two new searches.
    """
    with _lock:
        for store in _stores.values():
            store.results.clear()
