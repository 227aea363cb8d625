"""Stats: the filter form of the totals pages (a GET form: bookmarkable, no CSRF needed)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from openday.stats.service import FIGURE_LABELS, MEASURES


class StatsFilterForm(FlaskForm):
    class Meta:
        csrf = False  # read-only GET filters; nothing changes, so there is nothing to forge

    campaign = SelectField(_l("开放日（届）"), choices=[], validate_choice=True)
    # "" is "all": the default when the query string leaves a filter out.
    province = SelectField(_l("省份"), choices=[], default="", validate_choice=True)
    kind = SelectField(_l("活动类型"), choices=[], default="", validate_choice=True)
    # One measure for every chart and the map, chosen once (service.MEASURES).
    measure = SelectField(_l("统计口径"), choices=[], default="visits", validate_choice=True)

    def fill_choices(self, campaigns, provinces, kinds, all_provinces: bool = True) -> None:
        self.campaign.choices = [(str(c.year), _l("%(year)s年 第%(edition)s届", year=c.year,
                                                 edition=c.edition)) for c in campaigns]
        self.province.choices = ([("", _l("全国"))] if all_provinces else []) + list(provinces)
        self.kind.choices = [("", _l("全部类型"))] + list(kinds)
        self.measure.choices = [(m, _l(FIGURE_LABELS[m])) for m in MEASURES]
