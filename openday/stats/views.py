from __future__ import annotations

from flask import Blueprint, render_template

from openday.accounts.permissions import regulator_required

bp = Blueprint("stats", __name__)


@bp.route("/regulator/")
@regulator_required
def regulator_home():
    return render_template("stats/regulator_home.html")


@bp.route("/participation")
def public_totals():
    return render_template("stats/public_totals.html")
