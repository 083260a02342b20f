"""The index's writer while changes of the log are applied: one process at a time per index.

Whoever holds the writer reads what the index has applied (folders.py) and the documents only after
taking it: two processes applying at once can then never commit an older document last.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import tantivy

from secretariat.archive.search import engine, folders


class IndexBusy(Exception):
    """Another process holds the index's writer; the change log keeps the work for the next turn."""


class Applier:
    """Replace documents, then commit with the id of the last change they carry."""

    def __init__(self, index: tantivy.Index, writer) -> None:
        self.index, self.writer = index, writer
        self.folder = engine.folder_of(index)
        self.common = engine.common_words(index)  # read while holding the writer: see pairs.py

    @property
    def applied(self) -> int | None:
        """The last change the index holds, as the previous holder of the writer left it."""
        return folders.applied(self.folder)

    def replace(self, doc_keys: list[str], documents: list[dict]) -> None:
        """Delete then add: applying the same change twice gives the same index."""
        for key in doc_keys:
            self.writer.delete_documents_by_term("doc_key", key)
        for fields in documents:
            self.writer.add_document(engine.make_document(fields, self.common))

    def commit(self, change_id: int) -> None:
        """Commit, then record the change reached (after the commit: see folders.py)."""
        self.writer.commit()
        folders.write_applied(self.folder, change_id)


@contextmanager
def applying(index: tantivy.Index, attempts: int = 1) -> Iterator[Applier]:
    """Hold ``index``'s writer for the block; IndexBusy if another process keeps it ``attempts`` times."""
    try:
        writer = engine.writer(index, attempts=attempts)
    except ValueError as busy:  # tantivy's LockBusy
        raise IndexBusy(str(busy)) from busy
    try:
        yield Applier(index, writer)
    except BaseException:
        writer.rollback()
        raise
    writer.wait_merging_threads()  # gives the writer back
