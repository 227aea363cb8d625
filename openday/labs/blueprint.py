"""The labs blueprint, its app-wide template helpers, and the modules of its routes."""
from __future__ import annotations

from flask import Blueprint

from openday.core.i18n import _
from openday.geo.names import place_name
from openday.labs.forms import LAB_STATUS_LABELS, TESTING_FIELD_LABELS

bp = Blueprint("labs", __name__)

# Each module adds its routes to ``bp`` when imported; the app factory imports them all.
ROUTE_MODULES = ("openday.labs.views",)



@bp.app_context_processor
def lab_labels():
    return {"lab_status_labels": LAB_STATUS_LABELS, "testing_field_labels": TESTING_FIELD_LABELS,
            "region_name": region_name, "region_full_name": region_full_name,
            "scope_name": scope_name}


def region_name(adcode: str | None) -> str:
    """A region in the reader's language (geo.names.place_name); an unknown code as it is."""
    return place_name(adcode)


def region_full_name(adcode: str | None) -> str:
    return place_name(adcode, full=True)


def scope_name(scope) -> str:
    """What a regulator's scope (a core.scope.Scope) is called on a page: 全国, its region's
    name, or 未设置 when it has none."""
    if scope.national:
        return _("全国")
    if scope.empty:
        return _("未设置")
    return region_name(scope.adcode)
