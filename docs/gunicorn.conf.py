"""gunicorn settings for the ASEM Virtual Secretariat (see docs/deployment.md).

.venv/bin/gunicorn -c docs/gunicorn.conf.py wsgi:app
"""

import multiprocessing
import os
import runpy
from pathlib import Path

# The project's own gunicorn.conf.py (read by default when no -c is given) holds hooks every
# deployment needs, e.g. workers that stop listening at once on SIGTERM: take all of it first.
globals().update(
    {
        k: v
        for k, v in runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py")).items()
        if not k.startswith("_")
    }
)

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")  # the reverse proxy's side only
# Sync workers: one request at a time each. 2 x cores + 1 is the usual start; each worker takes
# about 90 MB, plus 64 MiB while it hashes a password (argon2id).
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1))
worker_class = "sync"
timeout = 60  # a 50 MB upload is sniffed and hashed inside the request (its text is read by `flask worker`)
graceful_timeout = 30  # on reload or stop, requests in flight get this long to finish
max_requests = 1000  # recycle workers now and then, so slow memory growth never accumulates
max_requests_jitter = 100  # ... and not all at the same moment
preload_app = False  # each worker opens its own database connections after the fork

# The application writes one JSON line per request; gunicorn's access log would repeat it with the
# query string, the referrer and password-link tokens. Its own messages become JSON lines too.
accesslog = None
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "secretariat.ops.logs.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "root": {"level": "INFO", "handlers": []},  # the application adds its own JSON handler
    "loggers": {
        "gunicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": [], "propagate": False},
    },
}
