"""The stats blueprint, and the modules of its routes."""
from __future__ import annotations

from flask import Blueprint

from openday.core.i18n import _

bp = Blueprint("stats", __name__)

# Each module adds its routes to ``bp`` when imported; the app factory imports them all.
ROUTE_MODULES = ("openday.stats.views",)



# Template globals (not context variables: the stats macros are imported without context), so
# every screen names a figure, its explanation and 到场率 the same way.
@bp.app_template_global()
def figure_label(name: str) -> str:
    from openday.stats.service import FIGURE_LABELS
    return _(FIGURE_LABELS[name])


@bp.app_template_global()
def measure_hint(name: str) -> str:
    from openday.stats.service import MEASURE_HINTS
    return _(MEASURE_HINTS[name])


@bp.app_template_global()
def attendance_text(figures) -> str:
    from openday.stats.service import rate_text
    return rate_text(figures)


@bp.app_template_global()
def attendance_hint() -> str:
    from openday.stats.service import ATTENDANCE_HINT
    return _(ATTENDANCE_HINT)
