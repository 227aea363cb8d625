from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("labs", __name__)


@bp.route("/labs/register", methods=["GET", "POST"])
def register():
    return render_template("labs/register.html")
