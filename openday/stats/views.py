"""Participation totals: the regulator's dashboard and stats page, and the public page."""
from __future__ import annotations

from flask import Response, abort, render_template, request
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from openday.accounts.permissions import regulator_required
from openday.core.i18n import _
from openday.core.scope import Scope
from openday.events.kinds import kind_choices
from openday.geo.service import get_region
from openday.notices import service as notices
from openday.stats import service
from openday.stats.blueprint import bp
from openday.stats.forms import StatsFilterForm


def _filters(scope: Scope):
    """The filter form bound to the query string, and the service arguments it stands for.

    A provincial regulator's form offers only its province (preselected); an out-of-scope or
    unknown choice is a form error and the page falls back to the defaults.
    """
    campaigns = service.campaigns()
    args = MultiDict(request.args)
    if scope.level == "province" and not args.get("province"):
        args["province"] = scope.adcode
    default_year = None
    if campaigns and not args.get("campaign"):
        try:
            default_year = service.find_campaign().year
        except service.UnknownCampaign:
            default_year = campaigns[0].year
        args["campaign"] = str(default_year)
    form = StatsFilterForm(formdata=args)
    form.fill_choices(campaigns, service.province_choices(scope), kind_choices(),
                      all_provinces=scope.national)
    valid = form.validate() if campaigns else False
    if not valid:
        for name in ("campaign", "province", "kind"):
            if getattr(form, name).errors:
                getattr(form, name).data = None
    year = int(form.campaign.data) if form.campaign.data else default_year
    return form, year, form.province.data or None, form.kind.data or None


def _page_report(scope: Scope, group_by: str | None = None):
    form, year, province, kind = _filters(scope)
    if not form.campaign.choices:
        return form, None
    region_group = group_by or ("city" if province or not scope.national else "province")
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


def _render_stats(template: str, scope: Scope, **context):
    form, report = _page_report(scope)
    if report is None:
        return render_template(template, form=form, report=None, **context)
    by_kind = service.cached(service.groups, report.campaign, "kind", report.scope, report.kind)
    by_date = service.cached(service.groups, report.campaign, "date", report.scope, report.kind)
    editions = service.cached(service.editions, report.scope, report.kind)
    return render_template(template, form=form, report=report, by_kind=by_kind, by_date=by_date,
                           editions=editions, chart=_chart_data(report, by_kind, by_date),
                           **context)


@bp.route("/regulator/")
@regulator_required
def regulator_home():
    scope = current_user.scope
    try:
        campaign = service.find_campaign()
    except service.UnknownCampaign:
        campaign = None
    return render_template(
        "stats/regulator_home.html", campaign=campaign, scope=scope,
        figures=service.totals(campaign, scope) if campaign else None,
        pending_labs=service.pending_labs(scope),
        notices=notices.manageable_notices(current_user, limit=5), scheduled=notices.is_scheduled,
        # The approval queue belongs to the labs module; its path is fixed by SPEC §5.
        labs_url="/regulator/labs")


@bp.route("/regulator/stats")
@regulator_required
def regulator_stats():
    scope = current_user.scope
    region = get_region(scope.adcode) if not scope.national and scope.adcode else None
    return _render_stats("stats/regulator_stats.html", scope, region=region)


@bp.route("/regulator/stats.csv")
@regulator_required
def regulator_stats_csv():
    scope = current_user.scope
    group_by = request.args.get("group_by") or None
    if group_by is not None and group_by not in service.GROUPINGS:
        abort(400)
    _form, report = _page_report(scope, group_by)
    if report is None:
        abort(404)
    name = f"openday-stats-{report.campaign.year}-{report.group_by}"
    if report.region:
        name += f"-{report.region}"
    # A text/ mimetype gets "; charset=utf-8" from Werkzeug; naming it here would send it twice.
    return Response(service.csv_document(report), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@bp.route("/participation")
def public_totals():
    return _render_stats("stats/public_totals.html", Scope.EVERYWHERE)
