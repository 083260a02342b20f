"""The home dashboard and the health check."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from secretariat.auth.permissions import Permission, public, requires
from secretariat.core import dashboard
from secretariat.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/")
@requires(Permission.SIGNED_IN)
def home():
    return render_template("core/home.html", dashboard=dashboard.build())


@bp.get("/healthz")
@public
def healthz():
    """Liveness and database reachability for the load balancer; says nothing else."""
    try:
        db.session.execute(db.text("SELECT 1"))
    except Exception:
        current_app.logger.exception("health check: database unreachable")
        abort(503)
    return {"status": "ok"}
