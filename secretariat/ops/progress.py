"""Progress of the long commands (backup, restore, archive verify/export/import/import-folder).

A bar on the terminal's standard error while a person watches; nothing at all when the command runs
from cron or a pipe (standard error is not a terminal), where only the command's final one-line
summary on standard output is wanted. The operations take a ``progress`` callable of this shape and
default to none: ``progress(items, label=..., length=None)`` returns the items, to be iterated.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

import click

T = TypeVar("T")


def none(items: Iterable[T], **_) -> Iterable[T]:
    """No progress shown (the operations' default)."""
    return items


def on_terminal() -> bool:
    return sys.stderr.isatty()


def bar(items: Iterable[T], *, label: str, length: int | None = None) -> Iterator[T]:
    """The items, with a bar on a terminal; silently otherwise."""
    if not on_terminal():
        yield from items
        return
    with click.progressbar(items, length=length, label=label, file=sys.stderr, show_pos=True) as shown:
        yield from shown
