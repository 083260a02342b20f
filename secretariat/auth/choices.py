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


#: the partners that are ASEAN member states and EU member states: the "select all of …" buttons of
#: partner lists (the ASEAN Secretariat and the European Union themselves are partners apart)
ASEAN_MEMBER_STATES = frozenset({"BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN"})
EU_MEMBER_STATES = frozenset(
    {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE"}
    | {"IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}
)
PARTNER_GROUPS = (("ASEAN member states", ASEAN_MEMBER_STATES), ("EU member states", EU_MEMBER_STATES))
SIDES = {"Asia": "Asian partners", "Europe": "European partners"}


def partner_choices_by_side() -> list[SelectChoice]:
    """Every partner by name, grouped "Asian partners" / "European partners": a list of checkboxes."""
    partners = db.session.scalars(sa.select(Partner).order_by(Partner.side, Partner.name))
    return [SelectChoice(p.code, p.name, optgroup=SIDES.get(p.side, p.side)) for p in partners]


_PARTNER_NAMES = sa.select(Partner.__table__.c.code, Partner.__table__.c.name).order_by(Partner.__table__.c.name)


def partner_names() -> tuple[tuple[str, str], ...]:
    """(code, name) of every partner, by name: a list filter's choices (rows of columns, built once)."""
    return tuple(map(tuple, db.session.execute(_PARTNER_NAMES)))
