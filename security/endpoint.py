"""A loopback stand-in for wapiti's callback server, so that its SSRF module works without the internet.

wapiti's ssrf module puts URLs of the form ``<endpoint>/ssrf/<session>/<request id>/<hex parameter>/``
into every parameter; if the application ever fetched one, the request would land here. When the module
finishes it asks ``<endpoint>/get_ssrf.php?session_id=<session>`` for what arrived, as JSON
``{request id: {hex parameter: [{"url", "date", "ip", "method", "size"}]}}``, and reports each as a
vulnerability. wapiti also refuses to start unless the endpoint answers, which this does for any path.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Endpoint:
    """Serves on 127.0.0.1:``port`` in a thread until stop()."""

    def __init__(self, port: int):
        self.hits: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
        self.lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the name http.server calls)
                self.answer()

            def do_POST(self):  # noqa: N802
                self.answer()

            def answer(self):
                parts = urlsplit(self.path)
                segments = [s for s in parts.path.split("/") if s]
                body = b"ok"
                if len(segments) >= 4 and segments[0] == "ssrf":
                    session, request_id, hex_param = segments[1:4]
                    with endpoint.lock:
                        endpoint.hits[session][request_id][hex_param].append(
                            {
                                "url": self.path,
                                "date": datetime.now(UTC).isoformat(),
                                "ip": self.client_address[0],
                                "method": self.command,
                                "size": int(self.headers.get("Content-Length") or 0),
                            }
                        )
                elif parts.path.endswith("get_ssrf.php"):
                    session = parse_qs(parts.query).get("session_id", [""])[0]
                    with endpoint.lock:
                        body = json.dumps(endpoint.hits.get(session, {})).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # the scan's own output stays readable
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Endpoint:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def total_hits(self) -> int:
        with self.lock:
            return sum(
                len(calls) for by_id in self.hits.values() for by_param in by_id.values() for calls in by_param.values()
            )
