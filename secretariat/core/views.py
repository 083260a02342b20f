"""The home dashboard and the probes: liveness (/healthz) and readiness (/readyz)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from secretariat.auth.permissions import Permission, public, requires
from secretariat.core import queries, services
from secretariat.extensions import db
from secretariat.ops import readiness

bp = Blueprint("core", __name__)

#: a probe's answer is about this instant and this instance: no cache or proxy may keep it
NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/")
@requires(Permission.SIGNED_IN)
def home():
    """What needs the user now, and where to go next."""
    return render_template("core/home.html", dashboard=queries.dashboard(current_user))


@bp.post("/news/read")
@requires(Permission.SIGNED_IN)
def mark_news_read():
    """The "Mark all as read" button: the dashboard's news made until now lose their "New" marker."""
    services.mark_news_read(current_user)
    db.session.commit()
    flash("Everything in your news is marked as read.", "success")
    return redirect(url_for("core.home", _anchor="news"))


@bp.get("/healthz")
@public
def healthz():
    """Liveness: the process answers. Cheap and touching nothing, so a slow database never gets
    a healthy process restarted; whether it can serve is /readyz's question."""
    return {"status": "ok"}, 200, NO_STORE


@bp.get("/readyz")
@public
def readyz():
    """Readiness for the load balancer (ops/readiness.py): 503 when this instance must not take
    traffic, 200 "degraded" when it serves with per-process rate limits. No details in the answer;
    the causes go to the log."""
    report = readiness.check()
    if report.blocking:
        current_app.logger.error("readiness check failed: %s", "; ".join(report.blocking + report.degraded))
        return {"status": report.status}, 503, NO_STORE
    if report.degraded:
        current_app.logger.warning("readiness degraded: %s", "; ".join(report.degraded))
    return {"status": report.status}, 200, NO_STORE
