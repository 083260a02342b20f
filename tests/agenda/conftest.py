"""Partners are kept from test to test (tests/conftest.py empties every other table): tests here that
rename a partner to check that a page follows would leave the new name to later tests (the home page's
tests look for "Japan"). Each test gets the partners' names back as they were."""

import pytest
import sqlalchemy as sa

from secretariat.auth.models import Partner
from secretariat.extensions import db


@pytest.fixture(autouse=True)
def _partner_names_restored(request):
    if "app" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("app")
    names = dict(db.session.execute(sa.select(Partner.code, Partner.name)).all())
    yield
    db.session.rollback()
    for code, name in db.session.execute(sa.select(Partner.code, Partner.name)).all():
        if names.get(code, name) != name:
            db.session.execute(sa.update(Partner).where(Partner.code == code).values(name=names[code]))
    db.session.commit()
