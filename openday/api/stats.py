"""GET /api/v1/stats — public participation totals (SPEC §6): aggregates only, never a name or
a phone. The same service as the regulator's page, with no scope (the public sees the nation)."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from openday.api import api_error
from openday.api.blueprint import bp
from openday.extensions import limiter
from openday.stats import service

GROUP_FIELDS = ("key", "name", "labs", "events", "slots", "capacity", "bookings", "people",
                "waitlisted", "checked_in", "walk_ins", "visits", "attendance_rate")


@bp.get("/stats")
@limiter.limit("300 per minute")  # generous per IP: many readers share one carrier NAT address
def stats():
    """``{"campaign", "totals", "groups"}`` for ``campaign=<year>`` (default: the current one),
    ``group_by=province|city|kind|date`` (default province), optional ``province`` and ``kind``.

    400 ``invalid`` for a bad parameter, 404 ``not_found`` for a campaign year that has none.
    """
    raw_year = request.args.get("campaign", "").strip()
    year = None
    if raw_year:
        if not raw_year.isdigit() or len(raw_year) != 4:
            message = _("campaign 应为年份，例如 2026。")
            return api_error("invalid", message, {"campaign": [message]})
        year = int(raw_year)
    group_by = request.args.get("group_by", "").strip() or "province"
    try:
        report = service.cached(service.report, year, group_by, None,
                                request.args.get("province", "").strip() or None,
                                request.args.get("kind", "").strip() or None)
    except service.UnknownCampaign:
        message = (_("%(year)s 年没有开放日活动。", year=year) if year
                   else _("当前没有开放日活动。"))
        return api_error("not_found", message, {"campaign": [message]}, status=404)
    except service.StatsError as exc:
        message = {
            "group_by": _("group_by 应为 province、city、kind 或 date。"),
            "kind": _("kind 应为 tour、lecture、free_testing、quiz 或 training。"),
            "province": _("province 应为省级行政区划代码，例如 430000。"),
        }.get(exc.field, exc.message)
        return api_error("invalid", message, {exc.field: [message]})
    campaign = report.campaign
    response = {
        "campaign": {"year": campaign.year, "edition": campaign.edition, "theme": campaign.theme,
                     "starts_on": campaign.starts_on.isoformat(),
                     "ends_on": campaign.ends_on.isoformat()},
        "group_by": report.group_by,
        "totals": report.totals.as_dict(),
        "groups": [{name: group.as_dict()[name] for name in GROUP_FIELDS}
                   for group in report.groups],
    }
    return response, 200, {"Cache-Control": "public, max-age=60"}
