"""The same document filed by several coordinators at the same moment (a statement everyone received).

Files are stored once under their SHA-256, with one blob row shared by every record that holds
them. Four simultaneous uploads of the same bytes must all be filed, onto one blob row.
"""

from __future__ import annotations

from tests.reliability.threads import barrier, run_in_threads
from tests.reliability.web import Browser, file_record, image_file

UPLOADS = 4


def test_simultaneous_uploads_of_the_same_bytes_are_all_filed(shared_instance, serve):
    instance = shared_instance
    server = serve(instance)
    browsers = []
    for person in instance.take("coordinators", UPLOADS):
        browser = Browser(server.base)
        browser.sign_in(person["email"], instance.data["password"], person["totp"])
        browsers.append(browser)
    data = image_file(512 * 1024)
    start = barrier(UPLOADS)

    def upload(n: int):
        start.wait()
        return file_record(browsers[n], f"same-{n}", [("statement.png", data)])

    answers = run_in_threads(upload, UPLOADS)
    print(f"\nsame bytes uploaded {UPLOADS} times at once: {[a.status for a in answers]}")
    assert [(a.status, a.leaks()) for a in answers] == [(302, [])] * UPLOADS
    holders = instance.rows(
        "SELECT f.blob_sha256 FROM record_files f JOIN record_versions v ON v.id = f.version_id"
        " JOIN records r ON r.id = v.record_id WHERE r.title LIKE 'same-%'"
    )
    assert len(holders) == UPLOADS and len({row[0] for row in holders}) == 1
    assert instance.scalar("SELECT count(*) FROM blobs WHERE sha256 = :sha", sha=holders[0][0]) == 1
