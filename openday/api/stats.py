"""GET /api/v1/stats — public participation totals (SPEC §6): aggregates only, never a name or
a phone. The same service as the regulator's page, for the whole country (the public's scope)."""
from __future__ import annotations

from flask import request

from openday.api.blueprint import bp
from openday.core.errors import json_error
from openday.core.i18n import _
from openday.core.scope import Scope
from openday.extensions import limiter
from openday.stats import service


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
            return json_error("invalid", message, 400, {"campaign": message})
        year = int(raw_year)
    group_by = request.args.get("group_by", "").strip() or "province"
    report = service.cached(service.report, year, group_by, Scope.EVERYWHERE,
                            request.args.get("province", "").strip() or None,
                            request.args.get("kind", "").strip() or None)
    campaign = report.campaign
    response = {
        "campaign": {"year": campaign.year, "edition": campaign.edition, "theme": campaign.theme,
                     "starts_on": campaign.starts_on.isoformat(),
                     "ends_on": campaign.ends_on.isoformat()},
        "group_by": report.group_by,
        "totals": report.totals.as_dict(),
        "groups": [{name: group.as_dict()[name] for name in service.GROUP_COLUMNS}
                   for group in report.groups],
    }
    return response, 200, {"Cache-Control": "public, max-age=60"}
