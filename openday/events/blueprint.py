"""The events blueprint, its app-wide template helpers, and the modules of its routes."""
from __future__ import annotations

from flask import Blueprint

from openday.events.forms import AUDIENCE_LABELS, EVENT_STATUS_LABELS, VENUE_LABELS
from openday.events.kinds import kind_badge, kind_choices, kind_name
from openday.events.service import current_campaign

bp = Blueprint("events", __name__)

# Each module adds its routes to ``bp`` when imported; the app factory imports them all.
ROUTE_MODULES = ("openday.events.views",
                 "openday.events.search_views")



bp.add_app_template_global(kind_name)
bp.add_app_template_global(kind_badge)
bp.add_app_template_global(kind_choices)
# The campaign a page speaks of (the lab registration page shows its window): a global, so the
# labs blueprint, which sits below events, needs no import of it.
bp.add_app_template_global(current_campaign)


@bp.app_context_processor
def event_labels():
    """The labels of stored codes, for every template that shows an event or a slot."""
    return {"AUDIENCE_LABELS": AUDIENCE_LABELS,
            "VENUE_LABELS": VENUE_LABELS, "STATUS_LABELS": EVENT_STATUS_LABELS}
