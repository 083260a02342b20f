"""Partner choices for select boxes, shared by every area's forms and list filters."""

from __future__ import annotations

import sqlalchemy as sa
from wtforms.fields.choices import SelectChoice

from secretariat.auth.models import Partner
from secretariat.extensions import db


def partner_choices(blank: str | None = None, *, with_code: bool = False) -> list[SelectChoice]:
    """Every partner by name (optionally "Name (CODE)"), after an optional empty choice labelled ``blank``."""
    partners = db.session.scalars(sa.select(Partner).order_by(Partner.name))
    choices = [SelectChoice(p.code, f"{p.name} ({p.code})" if with_code else p.name) for p in partners]
    return ([SelectChoice("", blank)] if blank is not None else []) + choices


_PARTNER_NAMES = sa.select(Partner.__table__.c.code, Partner.__table__.c.name).order_by(Partner.__table__.c.name)


def partner_names() -> tuple[tuple[str, str], ...]:
    """(code, name) of every partner, by name: a list filter's choices (rows of columns, built once)."""
    return tuple(map(tuple, db.session.execute(_PARTNER_NAMES)))
