"""gunicorn settings. gunicorn reads ./gunicorn.conf.py by default, so `make run`, the test servers and the
production command of the README all get them; options given on the command line still win."""

import signal


def post_worker_init(worker):
    """On SIGTERM a worker finishes the request it is serving (as gunicorn does) but stops listening at once.

    Without this, each worker's inherited copy of the listening socket keeps it open until the last busy
    worker is done: connections made during the drain are queued, then reset unanswered, so a client
    cannot tell whether its POST was applied. Refused, they fail fast and a proxy retries them elsewhere.
    """

    def stop_listening_and_finish(sig, frame):
        worker.handle_exit(sig, frame)
        for listener in worker.sockets:
            listener.close()

    signal.signal(signal.SIGTERM, stop_listening_and_finish)
    signal.siginterrupt(signal.SIGTERM, False)
