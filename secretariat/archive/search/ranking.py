"""What the ranking adds to the words' score: the authority of a document's type, and the
families whose members the results page shows as one hit.

Both are indexed with each document (engine.make_document) from fields it already has, so
neither costs a query per hit.
"""

from __future__ import annotations

from zlib import crc32

#: A type's weight; the engine multiplies a hit's score by log2(2 + weight): 0 leaves it as it
#: is, 2 doubles it. What a meeting decided or declared outranks what was said on the way there.
TYPE_WEIGHTS = {
    "declaration": 2,
    "chairs_statement": 2,
    "minutes": 1,
    "report": 1,
    "initiative": 1,
}

#: the types whose documents of one meeting are versions of one document (an agenda is filed
#: again each time it is circulated or adopted)
VERSIONED_TYPES = frozenset({"agenda"})


def authority(record_type: str) -> int:
    """The weight of a document's type in the ranking (TYPE_WEIGHTS)."""
    return TYPE_WEIGHTS.get(record_type, 0)


def family(record_type: str, meeting_code: str) -> int:
    """The family a document is shown under: the meeting's agenda versions share one (a positive
    number from the meeting's code); 0 for a document that stands alone."""
    if record_type not in VERSIONED_TYPES or not meeting_code:
        return 0
    return crc32(f"{record_type}:{meeting_code}".encode()) + 1
