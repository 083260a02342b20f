"""A rebuild reads the archive in batches; every record is found afterwards as a sync would index it."""

import pytest

from secretariat.archive import services
from secretariat.archive.search import engine
from secretariat.archive.search.query import parse
from tests.archive.helpers import file_record, pdf
from tests.factories import make_user


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


def _filed(coordinator):
    return [
        file_record(coordinator, "Seoul declaration", files=[("a.pdf", pdf("Gyeongju annex"))], partners=["KR", "JP"]),
        file_record(coordinator, "Helsinki minutes", partners=["FI"], tags="water"),
        file_record(coordinator, "Ulaanbaatar report", files=[("b.pdf", pdf("Gobi corridor"))], partners=["MN"]),
        file_record(coordinator, "Brussels concept note", confidentiality="coordinators"),
        file_record(coordinator, "Vientiane letter", partners=["LA", "TH", "VN"]),
    ]


def test_a_rebuild_in_small_batches_finds_every_record_by_its_file_text_and_partner(app, coordinator):
    _filed(coordinator)
    assert services.rebuild(batch=2) == 5  # three batches: 2, 2 and 1
    official = engine.Access(cleared=False)

    def titles(query: str, filters: dict | None = None) -> set[str]:
        results = engine.search(parse(query), official, filters or {}, facets=False)
        return {hit.title for hit in results.hits}

    assert titles("gyeongju") == {"Seoul declaration"}
    assert titles("gobi corridor") == {"Ulaanbaatar report"}
    assert titles("letter", {"partners": ["VN"]}) == {"Vientiane letter"}
    assert titles("brussels") == set()  # the coordinators' level stays hidden after a rebuild
    cleared = engine.search(parse("brussels"), engine.Access(cleared=True), {}, facets=False)
    assert [hit.title for hit in cleared.hits] == ["Brussels concept note"]
