"""Participation totals: the regulator's dashboard and stats page, and the public page."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from flask import Response, abort, jsonify, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from openday import clock
from openday.accounts.permissions import regulator_required
from openday.core.errors import RuleError, api_error
from openday.core.i18n import _
from openday.core.scope import Scope
from openday.events.kinds import kind_choices
from openday.geo.service import get_region
from openday.notices import service as notices
from openday.stats import activity, maps, service, xlsx
from openday.stats.blueprint import bp
from openday.stats.forms import StatsFilterForm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Filters:
    year: int | None
    province: str | None
    kind: str | None
    measure: str


def _filters(scope: Scope):
    """The filter form bound to the query string, and the service arguments it stands for.

    A provincial regulator's form offers only its province (preselected); an out-of-scope or
    unknown choice is a form error and the page falls back to the defaults.
    """
    campaigns = service.campaigns()
    args = MultiDict(request.args)
    if scope.level == "province" and not args.get("province"):
        args["province"] = scope.adcode
    if not args.get("measure"):
        args["measure"] = service.DEFAULT_MEASURE
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
        for name in ("campaign", "province", "kind", "measure"):
            if getattr(form, name).errors:
                getattr(form, name).data = None
    year = int(form.campaign.data) if form.campaign.data else default_year
    measure = form.measure.data if form.measure.data in service.MEASURES else (
        service.DEFAULT_MEASURE)
    form.measure.data = measure
    return form, Filters(year, form.province.data or None, form.kind.data or None, measure)


def _page_report(scope: Scope, group_by: str | None = None):
    form, chosen = _filters(scope)
    if not form.campaign.choices:
        return form, None, chosen
    region_group = group_by or ("city" if chosen.province or not scope.national else "province")
    report = service.cached(service.report, chosen.year, region_group, scope, chosen.province,
                            chosen.kind)
    return form, report, chosen


def _map_of(report) -> str:
    """The map a report is drawn on: the country's for national figures by province, else the
    province's (a city's regulator sees its city on its province's map)."""
    if report.group_by == "province" or report.scope.province is None:
        return maps.COUNTRY  # the country's figures, or no region at all (an empty map)
    return report.scope.province


def _map_block(report, groups, adcode: str) -> dict:
    return {"adcode": adcode, "url": url_for("static", filename=maps.static_name(adcode)),
            # ECharts adds the South China Sea islands inset to a map registered as "china".
            "name": "china" if adcode == maps.COUNTRY else adcode,
            "regions": maps.series(adcode, groups, service.MEASURES)}


def _chart_data(report, by_kind, by_date, measure: str, drill_url: str | None) -> dict:
    """What static/js/stats.js draws: aggregates only, read from a JSON data block. Every chart
    shows the one ``measure`` the reader chose."""
    map_adcode = _map_of(report)
    return {
        "measure": measure,
        "label": _(service.FIGURE_LABELS[measure]),
        "region": {"names": [g.name for g in report.groups],
                   "values": [g.value(measure) for g in report.groups]},
        "dates": {"days": [g.key for g in by_date],
                  "values": [g.value(measure) for g in by_date]},
        "kinds": [{"name": g.name, "value": g.value(measure)} for g in by_kind],
        "map": _map_block(report, report.groups, map_adcode),
        "drill": drill_url if map_adcode == maps.COUNTRY else None,
    }


def _query(report, measure: str) -> dict:
    """The page's filters as a query string for its links (exports, report, drill-down)."""
    return {"campaign": report.campaign.year, "province": report.region or "",
            "kind": report.kind or "", "measure": measure}


def _render_stats(template: str, scope: Scope, drill_endpoint: str, page=None, **context):
    form, report, chosen = page or _page_report(scope)
    if report is None:
        return render_template(template, form=form, report=None, **context)
    by_kind = service.cached(service.groups, report.campaign, "kind", report.scope, report.kind)
    by_date = service.cached(service.groups, report.campaign, "date", report.scope, report.kind)
    editions = service.cached(service.editions, report.scope, report.kind)
    drill_url = url_for(drill_endpoint, campaign=report.campaign.year, kind=report.kind or "")
    return render_template(template, form=form, report=report, by_kind=by_kind, by_date=by_date,
                           editions=editions, measure=chosen.measure,
                           query=_query(report, chosen.measure),
                           chart=_chart_data(report, by_kind, by_date, chosen.measure, drill_url),
                           **context)


def _map_json(scope: Scope):
    """One province's cities for the map's drill-down: GET ?province=&campaign=&kind=. Its
    errors are JSON too (the page's script reads them)."""
    _form, chosen = _filters(scope)
    province = request.args.get("province", "")
    region = get_region(province)
    try:
        if region is None or region.level != "province" or not maps.drillable(province):
            raise RuleError.on("province", _("province 应为省级行政区划代码，例如 430000。"),
                               status=400)
        report = service.cached(service.report, chosen.year, "city", scope, province,
                                chosen.kind)
    except RuleError as error:
        return api_error(error)
    block = _map_block(report, report.groups, province)
    block["title"] = region.name
    return jsonify(block)


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
    page = _page_report(scope)
    _form, report, chosen = page
    league = {}
    if report is not None:
        league = {
            "cities": activity.ranked(
                service.cached(service.report, report.campaign.year, "city", report.scope, None,
                               report.kind).groups, chosen.measure),
            "labs": service.cached(activity.by_lab, report.campaign, report.scope, report.kind,
                                   chosen.measure),
            "inactive": len(activity.inactive_labs(report.campaign, report.scope)),
        }
    return _render_stats("stats/regulator_stats.html", scope, "stats.regulator_map", page,
                         region=region, league=league)


@bp.route("/regulator/stats/map.json")
@regulator_required
def regulator_map():
    return _map_json(current_user.scope)


@bp.route("/participation/map.json")
def public_map():
    return _map_json(Scope.EVERYWHERE)


def _scope_title(report) -> str:
    scope = report.scope
    if scope.national:
        return _("全国")
    region = get_region(scope.adcode)
    return region.name if region else scope.adcode


def _file_name(report, suffix: str, ext: str) -> str:
    name = f"openday-{suffix}-{report.campaign.year}"
    if report.region:
        name += f"-{report.region}"
    return f"{name}.{ext}"


@bp.route("/regulator/stats.xlsx")
@regulator_required
def regulator_stats_xlsx():
    scope = current_user.scope
    _form, report, chosen = _page_report(scope)
    if report is None:
        abort(404)
    book = xlsx.Workbook(
        report=report, scope_name=_scope_title(report), measure=chosen.measure,
        by_kind=service.groups(report.campaign, "kind", report.scope, report.kind),
        by_date=service.groups(report.campaign, "date", report.scope, report.kind),
        by_lab=activity.by_lab(report.campaign, report.scope, report.kind, chosen.measure),
        by_city=activity.ranked(service.groups(report.campaign, "city", report.scope,
                                               report.kind), chosen.measure),
        inactive=activity.inactive_labs(report.campaign, report.scope),
        unbooked=activity.unbooked_events(report.campaign, report.scope))
    return Response(xlsx.document(book), mimetype=XLSX, headers={
        "Content-Disposition": f'attachment; filename="{_file_name(report, "stats", "xlsx")}"',
        "Cache-Control": "private, no-store"})


def _inactive(scope: Scope):
    form, report, chosen = _page_report(scope)
    sort = request.args.get("sort", "city")
    sort = sort if sort in activity.INACTIVE_SORTS else "city"
    descending = request.args.get("order") == "desc"
    labs = activity.inactive_labs(report.campaign, report.scope, sort, descending) if report else []
    return form, report, chosen, sort, descending, labs


@bp.route("/regulator/stats/inactive")
@regulator_required
def regulator_inactive():
    form, report, chosen, sort, descending, labs = _inactive(current_user.scope)
    events = activity.unbooked_events(report.campaign, report.scope) if report else []
    return render_template("stats/inactive.html", form=form, report=report, labs=labs,
                           events=events, sort=sort, descending=descending,
                           query=_query(report, chosen.measure) if report else {},
                           scope_title=_scope_title(report) if report else "")


@bp.route("/regulator/stats/inactive.csv")
@regulator_required
def regulator_inactive_csv():
    _form, report, _chosen, _sort, _descending, labs = _inactive(current_user.scope)
    if report is None:
        abort(404)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([_(activity.INACTIVE_COLUMNS[c]) for c in activity.INACTIVE_COLUMNS])
    for lab in labs:
        writer.writerow([lab.name, lab.city, lab.contact_name, lab.contact_phone,
                         lab.contact_email,
                         clock.local(lab.approved_at).strftime("%Y-%m-%d") if lab.approved_at
                         else ""])
    return Response(buffer.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{_file_name(report, "inactive", "csv")}"',
        "Cache-Control": "private, no-store"})


@bp.route("/regulator/stats/report")
@regulator_required
def regulator_report():
    """One printable A4 page: headline figures, the map, the charts, the top and bottom cities."""
    scope = current_user.scope
    form, report, chosen = _page_report(scope)
    if report is None:
        abort(404)
    cities = activity.ranked(service.cached(service.report, report.campaign.year, "city",
                                            report.scope, None, report.kind).groups,
                             chosen.measure)
    by_kind = service.cached(service.groups, report.campaign, "kind", report.scope, report.kind)
    by_date = service.cached(service.groups, report.campaign, "date", report.scope, report.kind)
    return render_template(
        "stats/print_report.html", report=report, measure=chosen.measure,
        scope_title=_scope_title(report), top=cities[:5],
        bottom=list(reversed(cities[-5:])) if len(cities) > 5 else [],
        chart=_chart_data(report, by_kind, by_date, chosen.measure, None),
        made_at=clock.local(clock.now()))


@bp.route("/regulator/stats.csv")
@regulator_required
def regulator_stats_csv():
    scope = current_user.scope
    group_by = request.args.get("group_by") or None
    if group_by is not None and group_by not in service.GROUPINGS:
        abort(400)
    _form, report, _chosen = _page_report(scope, group_by)
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
    return _render_stats("stats/public_totals.html", Scope.EVERYWHERE, "stats.public_map")
