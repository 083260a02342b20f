"""Search across the cluster: each server keeps its own index and catches up from the database's
change log. Waits for the per-host index (secretariat.archive.search.indexing.index_lag): until it
is merged, these tests are skipped with that reason.
"""

from __future__ import annotations

import signal

import pytest

from secretariat.archive.search import indexing
from tests.cluster.conftest import Cluster
from tests.reliability.conftest import wait_until
from tests.reliability.web import file_record, text_file

pytestmark = pytest.mark.skipif(
    not hasattr(indexing, "index_lag"),
    reason="needs the per-host search index and its change log (indexing.index_lag), not merged yet",
)


def found(client, server, words: str) -> bool:
    client.servers = [server]  # ask this server only
    return words in client.get(f"/archive/?q={words.replace(' ', '+')}").text


def test_a_record_filed_on_a_is_found_on_b_and_c(cluster: Cluster):
    person = cluster.instance.take("coordinators", 1)[0]
    a, b, c = cluster.servers
    filer = cluster.client()
    filer.servers = [a]
    filer.sign_in(person["email"], cluster.instance.data["password"], person["totp"])
    token = "quasarcluster"
    answer = file_record(filer, f"Cluster note {token}", [("note.txt", text_file(2000, token))])
    assert answer.status == 302
    for server in (b, c):
        wait_until(lambda s=server: found(filer, s, f"Cluster note {token}"), 2, f"not found on {server.name}")


@pytest.mark.xfail(
    reason="open (issue 29): after SIGKILL and a restart, server B finds the last record written meanwhile, "
    "then drops the next connection or lists the records a second time; not yet understood",
    strict=False,
)
def test_a_server_killed_catches_up_without_losing_or_doubling(cluster: Cluster):
    person = cluster.instance.take("coordinators", 1)[0]
    a, b, _ = cluster.servers
    writer = cluster.client()
    writer.servers = [a]
    writer.sign_in(person["email"], cluster.instance.data["password"], person["totp"])
    b.process.send_signal(signal.SIGKILL)
    b.process.wait(10)
    b.process = None
    titles = [f"Written while B was down {n} killtoken" for n in range(5)]
    for title in titles:
        assert file_record(writer, title, [("n.txt", text_file(500, "killtoken"))]).status == 302
    b.start()
    wait_until(lambda: found(writer, b, titles[-1]), 30, "B did not catch up")
    page = writer.get("/archive/?q=killtoken").text
    assert [page.count(title) for title in titles] == [1] * len(titles), page[page.find("<main"):][:3000]
