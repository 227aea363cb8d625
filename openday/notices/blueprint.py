"""The notices blueprint, and the modules of its routes."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("notices", __name__)

# Each module adds its routes to ``bp`` when imported; the app factory imports them all.
ROUTE_MODULES = ("openday.notices.views",)



@bp.app_template_global()
def lab_notices(lab, limit: int = 5):
    """The notices a lab's dashboard shows (templates/notices/_for_labs.html)."""
    from openday.notices.service import lab_notices as notices_for
    return notices_for(lab, limit)
