"""A gunicorn worker killed with SIGKILL in the middle of uploads loses nothing that was acknowledged.

Four coordinators upload records with two 3 MB files each, at once. When every upload is under
way, the worker that is receiving one of them is killed (-9). The master starts a new worker, the
other uploads complete, and afterwards every stored file row has its bytes with the right SHA-256
(``flask archive sweep`` says none is missing), the killed upload left no record behind, and stray
bytes (a file without a row, a half-written temporary file, as a crash at another moment leaves
them) are listed by the sweep and removed by ``sweep --remove`` while every referenced file stays.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import signal
import threading
import time

from tests.reliability.conftest import wait_until
from tests.reliability.threads import Drivers, barrier
from tests.reliability.web import Browser, file_record, image_file

UPLOADS = 4
FILE_SIZE = 3 * 1024 * 1024


def test_killing_a_worker_mid_upload_loses_no_acknowledged_file(shared_instance, serve):
    instance = shared_instance
    server = serve(instance)
    browsers = []
    for person in instance.take("coordinators", UPLOADS):
        browser = Browser(server.base)
        browser.sign_in(person["email"], instance.data["password"], person["totp"])
        browsers.append(browser)
    ports: dict[int, int] = {}
    all_started = barrier(UPLOADS + 1)
    released = threading.Event()
    results: dict[int, object] = {}

    def upload(n: int) -> None:
        def started(conn):
            ports[n] = conn.sock.getsockname()[1]
            all_started.wait()
            released.wait(60)

        files = [(f"kill-{n}-{k}.png", image_file(FILE_SIZE)) for k in range(2)]
        try:
            results[n] = file_record(browsers[n], f"upload-{n}", files, chunk=64 * 1024, on_started=started)
        except (OSError, http.client.HTTPException) as exc:
            results[n] = exc

    drivers = Drivers()
    for n in range(UPLOADS):
        drivers.start(upload, n)
    all_started.wait(60)
    victim, pid = wait_until(
        lambda: next(((n, p) for n in ports if (p := server.worker_serving(ports[n]))), None),
        30,
        "no worker took an upload",
    )
    os.kill(pid, signal.SIGKILL)
    released.set()
    drivers.join(120)
    wait_until(lambda: len(server.workers()) == 2 and pid not in server.workers(), 30, "no new worker")

    outcomes = {n: getattr(r, "status", type(r).__name__) for n, r in results.items()}
    print(f"\nworker {pid} killed while receiving upload {victim}: {outcomes}")
    assert not isinstance(results[victim], http.client.HTTPResponse)
    assert all(results[n].status == 302 for n in results if n != victim), outcomes
    assert all(not results[n].leaks() for n in results if n != victim)
    titles = {r[0] for r in instance.rows("SELECT title FROM records WHERE title LIKE 'upload-%'")}
    assert titles == {f"upload-{n}" for n in range(UPLOADS) if n != victim}
    # The respawned worker serves as before.
    again = file_record(browsers[victim], f"upload-{victim}-again", [("again.png", image_file(FILE_SIZE))])
    assert again.status == 302

    # Every file row's bytes are there and hash to their name; the sweep agrees (exit 0, none missing).
    rows = instance.rows("SELECT b.sha256, b.size FROM blobs b")
    files_rows = instance.scalar(
        "SELECT count(*) FROM record_files f LEFT JOIN blobs b ON b.sha256 = f.blob_sha256 WHERE b.sha256 IS NULL"
    )
    assert files_rows == 0
    for sha, size in rows:
        path = instance.storage / sha[:2] / sha[2:4] / sha
        assert path.stat().st_size == size and hashlib.sha256(path.read_bytes()).hexdigest() == sha
    referenced = {sha for sha, _ in rows}

    # Stray bytes, as a crash leaves them: stored before the row was written, or half-written.
    orphan_bytes = b"bytes stored just before a crash, never committed"
    orphan = hashlib.sha256(orphan_bytes).hexdigest()
    orphan_path = instance.storage / orphan[:2] / orphan[2:4] / orphan
    orphan_path.parent.mkdir(parents=True, exist_ok=True)
    orphan_path.write_bytes(orphan_bytes)
    partial = next(iter(referenced))
    temp_path = instance.storage / partial[:2] / partial[2:4] / ".incoming-crashed"
    temp_path.write_bytes(b"half a file")
    fresh_path = temp_path.with_name(".incoming-in-progress")
    fresh_path.write_bytes(b"an upload still arriving")
    crashed_long_ago = time.time() - 2 * 3600  # the sweep spares files of the last hour (uploads in flight)
    for path in (orphan_path, temp_path):
        os.utime(path, (crashed_long_ago, crashed_long_ago))

    swept = instance.flask("archive", "sweep", check=False)
    assert swept.returncode == 0, swept.stdout + swept.stderr
    assert f"orphan {orphan}" in swept.stdout and ".incoming-crashed" in swept.stdout
    assert "0 missing" in swept.stdout and "MISSING" not in swept.stderr
    removed = instance.flask("archive", "sweep", "--remove", check=False)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert not orphan_path.exists() and not temp_path.exists()
    assert fresh_path.exists() and "may be an upload in progress" in removed.stdout
    for sha in referenced:
        assert (instance.storage / sha[:2] / sha[2:4] / sha).exists()
    verified = instance.flask("archive", "verify", check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
