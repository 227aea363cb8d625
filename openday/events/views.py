from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from openday.accounts.permissions import lab_staff_required

bp = Blueprint("events", __name__)


@bp.route("/")
def home():
    from openday.notices.service import latest_notices
    return render_template("events/home.html", notices=latest_notices(limit=5))


@bp.route("/privacy")
def privacy():
    return render_template("events/privacy.html")


@bp.route("/lab/")
@lab_staff_required
def lab_dashboard():
    return render_template("events/lab_dashboard.html", lab=current_user.lab)


from openday.events import search_views  # noqa: E402,F401  (public search routes on this blueprint)
