"""The checkpoint download: the chain's current head as a small file partners keep."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort

from secretariat.audit import checkpoints
from secretariat.auth.permissions import Permission, requires

bp = Blueprint("audit", __name__)


@bp.get("/checkpoint")
@requires(Permission.SIGNED_IN)
def checkpoint():
    """The newest entry's sequence number, hash and time (and MAC under the key) as a JSON file."""
    point = checkpoints.latest()
    if point is None:
        abort(404)
    return Response(
        point.to_json(),
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Content-Disposition": f'attachment; filename="asem-audit-checkpoint-{point.seq}.json"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def init_app(app: Flask) -> None:
    """The download under /audit, and `audit_checkpoint(...)` for pages that print one."""
    app.register_blueprint(bp, url_prefix="/audit")
    app.jinja_env.globals["audit_checkpoint"] = checkpoints.recorded
