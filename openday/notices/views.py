from __future__ import annotations

from flask import Blueprint, abort, render_template

from openday import clock
from openday.extensions import db
from openday.notices.models import Notice

bp = Blueprint("notices", __name__)


@bp.route("/notices/<int:notice_id>")
def show(notice_id: int):
    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.published_at > clock.now():
        abort(404)
    return render_template("notices/show.html", notice=notice)
