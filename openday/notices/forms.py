"""Notices: the regulator's form."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from openday.core.forms import strip
from openday.core.i18n import _l
from openday.forms import WithinCalendar


class NoticeForm(FlaskForm):
    title = StringField(_l("标题"), validators=[DataRequired(_l("请填写标题")), Length(max=120)],
                        filters=[strip])
    body = TextAreaField(_l("正文"), validators=[DataRequired(_l("请填写正文")),
                                                Length(max=20000)],
                         render_kw={"rows": 10})
    region_scope = SelectField(_l("发布范围"), choices=[], validate_choice=True)
    # Beijing time as the regulator types it; empty: publish now.
    # (Browsers send minutes, or seconds when a step is set; the first format is how it renders.)
    published_at = DateTimeLocalField(_l("发布时间"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S",
                                                              "%Y-%m-%d %H:%M"],
                                      validators=[Optional(), WithinCalendar()])


class DeleteForm(FlaskForm):
    """Only the CSRF token: deleting is a POST from a button."""
