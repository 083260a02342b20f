"""Denial of service by upload, a neighbour of issue 25 items 6 and 7: a zip whose central directory
lists a million entries. Python's zipfile reads the whole directory into objects when the file is
opened, before any check can count its entries; in the request, a 47 MB upload (under the 50 MB
limit) cost 5 s of CPU and 460 MB of memory before it was refused for having too many parts."""

from __future__ import annotations

import struct
import tracemalloc

import pytest

from secretariat.archive import services
from secretariat.archive.files import FileRefused

#: what refusing one hostile upload may allocate, at most
MEMORY_LIMIT = 20 * 1024 * 1024


def directory_bomb(entries: int) -> bytes:
    """One tiny stored part, then ``entries`` central-directory records all pointing at it."""
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, 1, 0) + b"a"
    record = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0) + b"a"
    directory = record * entries
    count = min(entries, 0xFFFF)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(directory), len(local), 0)
    return local + directory + end


@pytest.mark.parametrize("entries", [200_000])
def test_a_zip_listing_too_many_entries_is_refused_before_its_directory_is_read(app, entries):
    data = directory_bomb(entries)  # 9.4 MB
    tracemalloc.start()
    try:
        with pytest.raises(FileRefused, match="too many parts"):
            services.prepare_upload("annex.docx", data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_LIMIT, f"refusing it allocated {peak // (1024 * 1024)} MB"
