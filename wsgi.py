"""Entry point for `flask --app wsgi` and gunicorn (`gunicorn wsgi:app`)."""

import gc

from secretariat import create_app

app = create_app()

# The ~150,000 objects of start-up (modules, routes, templates, mappers) live as long as the
# process: leave them out of the collector's full passes, which otherwise took about 70 ms and
# landed in some unlucky request (bench/pages.py); with them frozen a full pass takes about 6 ms.
gc.collect()
gc.freeze()
