"""Bookings: forms. They only carry what was typed; the rules (SPEC §3) are checked once, in
``service.validate_request``, whose field errors the view puts back on these fields."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField


class BookingForm(FlaskForm):
    name = StringField(_l("姓名"), render_kw={"maxlength": 40, "autocomplete": "name", "required": True})
    phone = StringField(_l("手机号"), render_kw={"inputmode": "tel", "autocomplete": "tel",
                                                 "maxlength": 20, "required": True})
    party_size = StringField(_l("人数"), default="1",
                             render_kw={"inputmode": "numeric", "pattern": "[0-9]*", "maxlength": 3,
                                        "required": True})
    consent = BooleanField(_l("我已阅读并同意上述个人信息使用说明"), render_kw={"required": True})
    submit = SubmitField(_l("提交预约"))

    def party_size_value(self):
        """The typed party size as an int when it is one; otherwise as typed (the service says no)."""
        raw = (self.party_size.data or "").strip()
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 3 else raw


class CancelForm(FlaskForm):
    submit = SubmitField(_l("取消预约"))
