"""Notices: the regulator's form."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (DateTimeLocalField, SelectField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.widgets import CheckboxInput, ListWidget
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
    audience = SelectField(_l("通知对象"), choices=[("public", _l("公众（首页和机构工作台）")),
                                                ("labs", _l("仅检验检测机构（机构工作台）"))],
                           default="public", validate_choice=True)
    # Checked by content in the service (attachments.check): the browser's accept= is a hint.
    attachments = MultipleFileField(_l("附件"), render_kw={
        "accept": ".pdf,.docx,.xlsx,application/pdf,application/vnd.openxmlformats-officedocument."
                  "wordprocessingml.document,application/vnd.openxmlformats-officedocument."
                  "spreadsheetml.sheet"})
    # The notice's attachments to delete on saving (ids; choices filled by the view).
    remove = SelectMultipleField(_l("删除附件"), choices=[], coerce=int, validate_choice=True,
                                 option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))
    # Beijing time as the regulator types it; empty: publish now.
    # (Browsers send minutes, or seconds when a step is set; the first format is how it renders.)
    published_at = DateTimeLocalField(_l("发布时间"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S",
                                                              "%Y-%m-%d %H:%M"],
                                      validators=[Optional(), WithinCalendar()])


class DeleteForm(FlaskForm):
    """Only the CSRF token: deleting is a POST from a button."""
