"""Irreversible actions ask first: what will happen, and to whom.

Without JavaScript the action's POST, sent without ``confirmed``, answers with the confirmation page
(templates/confirm.html), whose button sends it again with ``confirmed=yes``. With JavaScript the
same words are in a native <dialog> (templates/_confirm.html, static/js/confirm.js) that adds the
field before the form goes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import request

#: the field that says the person saw the confirmation and went on
CONFIRMED_FIELD = "confirmed"


def confirmed() -> bool:
    return request.form.get(CONFIRMED_FIELD) == "yes"


@dataclass
class Confirmation:
    """The confirmation step of one action."""

    #: the dialog's id on the page that holds the action's button
    id: str
    #: the question, e.g. "Circulate agenda v3 to 53 partners?"
    title: str
    #: what will happen, one sentence each
    consequences: list[str]
    #: the button that goes on, saying what it does
    button: str
    #: where the confirmation page's form posts (the action's own URL)
    action: str
    #: the page to go back to
    cancel: str
    #: fields the action needs, carried through the confirmation page
    fields: dict[str, str] = field(default_factory=dict)
    danger: bool = False
