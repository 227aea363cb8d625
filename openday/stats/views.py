"""Participation totals: the regulator's dashboard and stats page, and the public page."""
from __future__ import annotations

import csv
import io

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from openday.accounts.permissions import regulator_required
from openday.events.kinds import kind_choices
from openday.geo.service import get_region
from openday.notices import service as notices
from openday.stats import service
from openday.stats.blueprint import bp
from openday.stats.forms import StatsFilterForm


def _filters(scope: str | None):
    """The filter form bound to the query string, and the service arguments it stands for.

    A provincial regulator's form offers only its province (preselected); an out-of-scope or
    unknown choice is a form error and the page falls back to the defaults.
    """
    campaigns = service.campaigns()
    args = MultiDict(request.args)
    if scope and not args.get("province"):
        args["province"] = scope
    default_year = None
    if campaigns and not args.get("campaign"):
        try:
            default_year = service.find_campaign().year
        except service.UnknownCampaign:
            default_year = campaigns[0].year
        args["campaign"] = str(default_year)
    form = StatsFilterForm(formdata=args)
    form.fill_choices(campaigns, service.province_choices(scope), kind_choices(),
                      all_provinces=scope is None)
    valid = form.validate() if campaigns else False
    if not valid:
        for name in ("campaign", "province", "kind"):
            if getattr(form, name).errors:
                getattr(form, name).data = None
    year = int(form.campaign.data) if form.campaign.data else default_year
    return form, year, form.province.data or scope, form.kind.data or None


def _page_report(scope: str | None, group_by: str | None = None):
    form, year, province, kind = _filters(scope)
    if not form.campaign.choices:
        return form, None
    region_group = group_by or ("city" if province else "province")
    report = service.cached(service.report, year, region_group, scope, province, kind)
    return form, report


def _chart_data(report, by_kind, by_date) -> dict:
    """What static/js/stats.js draws: aggregates only, read from a JSON data block."""
    return {
        "region": {"names": [g.name for g in report.groups],
                   "visits": [g.visits for g in report.groups],
                   "people": [g.people for g in report.groups],
                   "bookings": [g.bookings for g in report.groups]},
        "dates": {"days": [g.key for g in by_date],
                  "bookings": [g.bookings for g in by_date],
                  "people": [g.people for g in by_date],
                  "visits": [g.visits for g in by_date]},
        "kinds": [{"name": g.name, "value": g.people} for g in by_kind],
        "labels": {"visits": _("参与人次"), "people": _("预约人数"), "bookings": _("预约单数")},
    }


def _render_stats(template: str, scope: str | None, **context):
    form, report = _page_report(scope)
    if report is None:
        return render_template(template, form=form, report=None, **context)
    by_kind = service.cached(service.groups, report.campaign, "kind", report.region, report.kind)
    by_date = service.cached(service.groups, report.campaign, "date", report.region, report.kind)
    editions = service.cached(service.editions, report.region, report.kind)
    return render_template(template, form=form, report=report, by_kind=by_kind, by_date=by_date,
                           editions=editions, chart=_chart_data(report, by_kind, by_date),
                           **context)


@bp.route("/regulator/")
@regulator_required
def regulator_home():
    scope = service.scope_of(current_user)
    try:
        campaign = service.find_campaign()
    except service.UnknownCampaign:
        campaign = None
    return render_template(
        "stats/regulator_home.html", campaign=campaign,
        figures=service.totals(campaign, scope) if campaign else None,
        pending_labs=service.pending_labs(scope), region=get_region(scope) if scope else None,
        notices=notices.manageable_notices(current_user, limit=5), scheduled=notices.is_scheduled,
        # The approval queue belongs to the labs module; its path is fixed by SPEC §5.
        labs_url="/regulator/labs")


@bp.route("/regulator/stats")
@regulator_required
def regulator_stats():
    scope = service.scope_of(current_user)
    region = get_region(scope) if scope else None
    return _render_stats("stats/regulator_stats.html", scope, region=region)


@bp.route("/regulator/stats.csv")
@regulator_required
def regulator_stats_csv():
    scope = service.scope_of(current_user)
    group_by = request.args.get("group_by") or None
    if group_by is not None and group_by not in service.GROUPINGS:
        abort(400)
    _form, report = _page_report(scope, group_by)
    if report is None:
        abort(404)
    buffer = io.StringIO()
    buffer.write("\ufeff")  # a BOM, so spreadsheet software reads the Chinese as UTF-8
    writer = csv.writer(buffer)
    writer.writerow([_("代码"), _("名称"), _("机构数"), _("活动数"), _("场次数"), _("可预约名额"),
                     _("预约单数"), _("预约人数"), _("候补单数"), _("签到人数"), _("现场参与人数"),
                     _("参与人次"), _("到场率")])
    writer.writerows(service.csv_rows(report))
    name = f"openday-stats-{report.campaign.year}-{report.group_by}"
    if report.region:
        name += f"-{report.region}"
    return Response(buffer.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@bp.route("/participation")
def public_totals():
    return _render_stats("stats/public_totals.html", None)
