"""Partner choices for select boxes, shared by every area's forms."""

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
