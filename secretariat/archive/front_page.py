"""The archive's front page, rendered once per state of the index and audience, then served from the cache.

The front page is a search of everything the reader may open, newest first, with the counts of
every filter: the same for every reader of one role until the archive changes, and the costliest
page to compute (every document counted). The key names what the fragment shows: this host's index
generation and its last commit (engine.state, read before the search, so a fragment is never older
than its key), for partners' users the embargoes lifted since (their results change
when one passes, with no change to the index), the reader's role (what they may see and do), their
languages (the one a translated record is shown in) and the filters' labels.

Like the meeting page's agenda (agenda/views/agenda_cache.py) it holds nothing personal: the page
around it carries the search box, the reader's name and the CSRF tokens. A meeting's title or a
partner's name is not in the index: one renamed shows in its new name within TIMEOUT.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from secretariat.archive import access
from secretariat.archive.search import engine
from secretariat.extensions import cache
from secretariat.timeutil import utcnow

#: seconds a front page is kept at most (names that the index does not hold may change meanwhile)
TIMEOUT = 300


def is_front_page(args) -> bool:
    """Whether the address asks for the front page: no words, no filter, no other page or order."""
    return not any(value.strip() for _, value in args.items(multi=True))


def results(render: Callable[[], str], user, *, preferred: tuple[str, ...], labels: dict) -> str:
    """The front page's filters and results for ``user`` (HTML our template rendered): from the
    cache, or ``render()`` kept there."""
    index = engine.get_index()
    state = engine.state(index)
    if state is None:  # the index waits for its rebuild: what it shows changes as the rebuild runs
        return render()
    lifted = None if access.cleared(user) else engine.lifted_embargoes(index, utcnow())
    names = tuple((name, tuple(sorted(values.items()))) for name, values in sorted(labels.items()))
    parts = (state, lifted, user.role, preferred, names)
    key = "archive-front:" + hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html, timeout=TIMEOUT)
    return html
