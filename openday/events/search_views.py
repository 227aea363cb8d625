"""Public search pages (owned by the search issue)."""
from __future__ import annotations

from flask import render_template, request

from openday.events.views import bp


@bp.route("/search")
def search():
    return render_template("events/search.html", city=request.args.get("city", ""))
