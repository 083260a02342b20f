"""SIGTERM to gunicorn's master during a slow upload: the upload completes, then the server stops.

A coordinator's upload goes out slowly (64 KB every 50 ms, 4 MB: over three seconds), as over a poor line. Once a
worker is receiving it, the master gets SIGTERM. It stops listening at once (a new connection is
refused) while the worker finishes the request within the graceful timeout: the answer is the
usual redirect and the record and its file are stored.
"""

from __future__ import annotations

import hashlib
import signal
import socket
import threading

from tests.reliability.conftest import wait_until
from tests.reliability.threads import Drivers
from tests.reliability.web import Browser, file_record, image_file


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_sigterm_lets_a_slow_upload_finish_and_refuses_new_connections(shared_instance, serve):
    instance = shared_instance
    server = serve(instance, graceful_timeout=30)
    browser = Browser(server.base)
    person = instance.take("coordinators", 1)[0]
    browser.sign_in(person["email"], instance.data["password"], person["totp"])
    data = image_file(4 * 1024 * 1024)
    port: list[int] = []
    done = threading.Event()
    answer = []

    def upload():
        def started(conn):
            port.append(conn.sock.getsockname()[1])

        answer.append(
            file_record(browser, "slow upload", [("slow.png", data)], chunk=64 * 1024, pause=0.05, on_started=started)
        )
        done.set()

    drivers = Drivers()
    drivers.start(upload)
    wait_until(lambda: port and server.worker_serving(port[0]), 30, "no worker took the slow upload")
    server.process.send_signal(signal.SIGTERM)
    wait_until(lambda: refused(server.port), 10, "the server still accepts connections after SIGTERM")
    still_uploading = not done.is_set()
    drivers.join(60)
    assert server.process.wait(40) == 0
    print(
        f"\nslow upload: still sending when new connections were refused: {still_uploading}; answer {answer[0].status}"
    )
    assert still_uploading
    assert answer[0].status == 302 and not answer[0].leaks()
    sha = hashlib.sha256(data).hexdigest()
    stored = instance.rows(
        "SELECT f.blob_sha256 FROM record_files f JOIN record_versions v ON v.id = f.version_id"
        " JOIN records r ON r.id = v.record_id WHERE r.title = 'slow upload'"
    )
    assert [row[0] for row in stored] == [sha]
    assert hashlib.sha256((instance.storage / sha[:2] / sha[2:4] / sha).read_bytes()).hexdigest() == sha
