"""GET /api/v1/cities?q=&province=&limit= — city autocomplete (SPEC §4, §6)."""
from __future__ import annotations

from flask import request

from openday.api.blueprint import bp
from openday.core.errors import json_error
from openday.core.i18n import _
from openday.geo import names, service
from openday.geo.models import Region

MAX_LIMIT = 50


def city_json(region: Region) -> dict:
    """A city or district, named in the language ``Accept-Language`` asks for (zh-Hant, zh-TW
    and zh-HK: 長沙市; en: Changsha; else 长沙市)."""
    locale = names.current_locale()
    province = service.province_of(region.adcode)
    return {"adcode": region.adcode, "name": names.display_name(region, locale),
            "province": names.display_name(province, locale) if province else None,
            "lat": region.lat, "lon": region.lon}


@bp.get("/cities")
def cities():
    """``[{"adcode","name","province","lat","lon"}]``, best match first: cities before districts
    (长沙, 長沙, changsha → 430100 first). A province's name lists its cities.

    400 ``missing_query`` for an empty q, ``unknown_province`` for a province filter that names
    none; 404 ``unknown_city`` when nothing matches, naming the closest places in its message.
    """
    q = request.args.get("q", "").strip()
    province = request.args.get("province", "").strip() or None
    limit = min(max(request.args.get("limit", 10, type=int), 1), MAX_LIMIT)
    if not q:
        message = _("请输入城市名称、拼音或行政区划代码。")
        return json_error("missing_query", message, 400, {"q": message})
    try:
        found = service.suggest_cities(q, limit=limit, province=province)
    except service.UnknownCity as exc:
        if exc.suggestions:
            message = _("未知的省份：%(province)s。您是不是要找：%(names)s？",
                        province=province, names=_listed(exc.suggestions))
        else:
            message = _("未知的省份：%(province)s。", province=province)
        return json_error("unknown_province", message, 400, {"province": message})
    if found:
        return [city_json(r) for r in found]
    close = service.closest_names(q, province=province)
    if close:
        message = _("没有名为“%(q)s”的城市。您是不是要找：%(names)s？", q=q,
                    names=_listed(close, full=True))
    else:
        message = _("没有名为“%(q)s”的城市。", q=q)
    # The names go in the message, not a new key: the error object keeps SPEC §6's shape.
    return json_error("unknown_city", message, 404, {"q": message})


def _listed(regions: list[Region], full: bool = False) -> str:
    """Places named in a message, in the reader's language."""
    locale = names.current_locale()
    name = names.display_full_name if full else names.display_name
    return ("; " if locale == "en" else "、").join(name(r, locale) for r in regions)
