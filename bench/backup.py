"""Backup and restore timings: an instance with N archive records (one incompressible file each) is
backed up with `secretariat.ops.backup` and restored, verified, into a fresh instance. Prints figures.

    python bench/backup.py                            # SQLite, 500 records of 200 KB (~100 MB of files)
    python bench/backup.py --records 2000 --size-kb 500
    python bench/backup.py --database-url postgresql://postgres@127.0.0.1/bench_a \\
                           --restore-url postgresql://postgres@127.0.0.1/bench_b   # two empty databases
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from secretariat import create_app, seed  # noqa: E402
from secretariat.archive import services  # noqa: E402
from secretariat.extensions import db  # noqa: E402
from secretariat.ops import backup, restore  # noqa: E402

PNG_HEADER = b"\x89PNG\r\n\x1a\n"


def instance(url: str, folder: Path):
    return create_app(
        "testing",
        {"SQLALCHEMY_DATABASE_URI": url, "ARCHIVE_STORAGE": str(folder / "files"), "ARCHIVE_INDEX": str(folder / "ix")},
    )


def fill(records: int, size: int) -> None:
    upgrade()
    seed.seed_partners()
    db.session.commit()
    for n in range(records):
        # Random bytes behind a PNG signature: stored as an image, nothing to extract, nothing compresses.
        upload = services.prepare_upload(f"photo-{n}.png", PNG_HEADER + os.urandom(size))
        data = {
            "title": f"Record {n}",
            "record_type": "presentation",
            "record_date": date(2000 + n % 25, 1 + n % 12, 1),
            "meeting_id": None,
            "language": "en",
            "description_source": "",
            "tags": "",
            "confidentiality": "restricted",
            "embargo_until": None,
            "embargo_meeting_id": None,
            "partners": [],
        }
        services.create_record(data, [upload], actor="bench:backup")
        if n % 100 == 99:
            db.session.commit()
    db.session.commit()


def megabytes(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=500)
    parser.add_argument("--size-kb", type=int, default=200)
    parser.add_argument("--database-url")
    parser.add_argument("--restore-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-backup-") as tmp:
        root = Path(tmp)
        source = instance(args.database_url or f"sqlite:///{root / 'a.sqlite'}", root / "a")
        target = instance(args.restore_url or f"sqlite:///{root / 'b.sqlite'}", root / "b")
        with source.app_context():
            started = time.perf_counter()
            fill(args.records, args.size_kb * 1024)
            print(f"filled {args.records} records of {args.size_kb} KB in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            backup.backup(root / "backup")
            took = time.perf_counter() - started
        size = megabytes(root / "backup")
        print(f"backup:  {size:.0f} MB in {took:.2f} s ({size / took:.0f} MB/s)")
        with target.app_context():
            started = time.perf_counter()
            report = restore.restore(root / "backup")
            took = time.perf_counter() - started
        print(f"restore: {size:.0f} MB in {took:.2f} s ({size / took:.0f} MB/s), verified: {report.ok}")
        for problem in report.problems:
            print("  PROBLEM:", problem)


if __name__ == "__main__":
    main()
