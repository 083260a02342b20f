"""Who may read what the application files by itself: the strictest audience of its source.

A record filed automatically (an agenda version, adopted minutes, a progress report) is read by
everyone its level lets in, whatever the source was: it must never reach further than the source
itself does. The rule is here once; filing.py applies it when filing, and ``raise_filed_levels``
applies it to records filed before the rule existed.
"""

from __future__ import annotations

from dataclasses import dataclass

from secretariat.agenda.models import MeetingKind
from secretariat.archive.models import Confidentiality

#: from the widest audience to the narrowest
ORDER = (Confidentiality.PUBLIC, Confidentiality.RESTRICTED, Confidentiality.COORDINATORS)


@dataclass(frozen=True)
class Source:
    """What a filed record comes from, in the terms that decide who may read it."""

    #: the kind of the meeting the source belongs to (None: no meeting)
    meeting_kind: str | None = None
    #: the source holds what only coordinators read (their notes, for instance)
    coordinators_only: bool = False
    #: the source is not final (draft minutes, an agenda not yet circulated): coordinators' work
    draft: bool = False
    #: the widest audience the source itself has
    level: Confidentiality = Confidentiality.RESTRICTED


def strictest(*levels: str | Confidentiality) -> Confidentiality:
    """The narrowest of these levels."""
    return max((Confidentiality(level) for level in levels), key=ORDER.index)


def audience(source: Source) -> Confidentiality:
    """The level of a record filed from ``source``: its own, narrowed by everything that narrows the source."""
    narrowed = source.meeting_kind == MeetingKind.COORDINATORS.value or source.coordinators_only or source.draft
    return strictest(source.level, Confidentiality.COORDINATORS if narrowed else source.level)
