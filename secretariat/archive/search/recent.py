"""Recent search results, kept while the index and the embargoes they were found under are unchanged.

The same search is often asked again: the results page reloaded, the way back from a record, a
popular query at a summit. Ranking, snippets and facet counts over 100,000 records cost about 3 ms
(bench/pages.py); a kept result costs a dictionary lookup. Elasticsearch's request cache works the
same way and for the same reason: results are kept per index version and dropped when it changes.

A kept result is exactly what searching again would find:
- **The index is unchanged.** Every commit (filing, revising, withdrawing, a rebuild, a merge)
  rewrites the index's ``meta.json``, whichever process commits; its bytes name the version
  (they hold the commit's stamp and the segments' ids). They are read before the searcher takes
  its snapshot, so a result is never kept under a version older than the one it was found in
  the other way round: at worst a newer result is kept under an older name that no one asks
  for again.
- **No embargo has lifted since.** Embargoes lift with the clock, not with a commit (see
  engine.full_query): everything kept is dropped at the earliest embargo date still to come.
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

_lock = threading.Lock()
_stores: dict[str, _Store] = {}


class _Store:
    def __init__(self) -> None:
        self.version: bytes | None = None
        #: when the first embargo still to come lifts (a POSIX time); None: not known yet
        self.valid_until: float | None = None
        self.results: OrderedDict[tuple, Any] = OrderedDict()

    def start(self, version: bytes) -> None:
        self.version, self.valid_until = version, None
        self.results.clear()


def version_of(folder: Path | None) -> bytes | None:
    """The index's version as its last commit wrote it; None when unknown (nothing is kept then)."""
    if folder is None:
        return None
    try:
        return (folder / "meta.json").read_bytes()
    except OSError:
        return None


def get(folder: Path, version: bytes, key: tuple, now: float) -> Any | None:
    with _lock:
        store = _stores.get(str(folder))
        if store is None or store.version != version:
            return None
        if store.valid_until is not None and now >= store.valid_until:
            store.start(version)  # an embargo has lifted: every result may now find one more record
            return None
        found = store.results.get(key)
        if found is not None:
            store.results.move_to_end(key)
        return found


def put(folder: Path, version: bytes, key: tuple, results: Any, next_lift: Callable[[], float]) -> None:
    """Keep ``results`` of the index at ``version``; ``next_lift()``: when its next embargo lifts.

    ``next_lift`` is asked once per version and lifted embargo, not for every result kept.
    """
    with _lock:
        store = _stores.setdefault(str(folder), _Store())
        if store.version != version:
            store.start(version)
        if store.valid_until is None:
            store.valid_until = next_lift()
        store.results[key] = results
        store.results.move_to_end(key)
        while len(store.results) > SIZE:
            store.results.popitem(last=False)


def forget(folder: Path, key: tuple) -> None:
    """Drop one result (its facet counts failed: the next search counts again)."""
    with _lock:
        store = _stores.get(str(folder))
        if store is not None:
            store.results.pop(key, None)


def clear() -> None:
    """Forget every kept result (bench/pages.py times searches as if asked for the first time).

    What is known of the index's embargoes is kept, as it is between two new searches.
    """
    with _lock:
        for store in _stores.values():
            store.results.clear()
