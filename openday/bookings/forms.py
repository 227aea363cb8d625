"""Bookings: forms. They only carry what was typed; the rules (SPEC §3) are checked once, in the
services (``service.validate_request``, ``staff``), whose field errors the views put back on these
fields (``core.forms.put_on_form``)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from openday.core.forms import strip


class BookingForm(FlaskForm):
    name = StringField(_l("姓名"), render_kw={"maxlength": 40, "autocomplete": "name", "required": True})
    phone = StringField(_l("手机号"), render_kw={"inputmode": "tel", "autocomplete": "tel",
                                                 "maxlength": 30, "required": True})
    party_size = StringField(_l("人数"), default="1",
                             render_kw={"inputmode": "numeric", "pattern": "[0-9]*", "maxlength": 3,
                                        "required": True})
    remarks = StringField(_l("备注（选填）"), render_kw={"maxlength": 200})
    consent = BooleanField(_l("我已阅读并同意上述个人信息使用说明"), render_kw={"required": True})
    submit = SubmitField(_l("提交预约"))

    def party_size_value(self):
        """The typed party size as an int when it is one; otherwise as typed (the service says no)."""
        raw = (self.party_size.data or "").strip()
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 3 else raw


class CancelForm(FlaskForm):
    """The citizen cancels their own booking."""

    submit = SubmitField(_l("取消预约"))


# ---- the lab's forms -----------------------------------------------------------------------------

class CancelSlotForm(FlaskForm):
    """The lab cancels a slot or a whole event, saying why (the citizens booked are told)."""

    reason = TextAreaField(_l("取消原因（将告知已预约的市民）"), filters=[strip],
                           validators=[DataRequired(message=_l("请填写取消原因")), Length(max=500)])
    confirm = SubmitField(_l("确认取消"))


class CheckinForm(FlaskForm):
    code = StringField(_l("预约码"), filters=[strip],
                       validators=[DataRequired(message=_l("请输入预约码")), Length(max=20)])
    # Empty: the whole party came. The service checks it against the booking's party.
    arrived = IntegerField(_l("到场人数"), validators=[Optional()])
    early = BooleanField(_l("提前签到（场次不在今天）"))
    confirm = SubmitField(_l("确认签到"))


class CheckinChangeForm(FlaskForm):
    """Undo a check-in, or correct how many came, within the undo window."""

    code = StringField(_l("预约码"), filters=[strip],
                       validators=[DataRequired(message=_l("请输入预约码")), Length(max=20)])
    arrived = IntegerField(_l("实际到场人数"), validators=[Optional()])


class BookingSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField(_l("姓名或手机号后 4 位"), filters=[strip], validators=[Length(max=40)])


class WalkInForm(FlaskForm):
    slot_id = SelectField(_l("场次"), coerce=int, choices=[],
                          validators=[InputRequired(message=_l("请选择场次"))])
    number = IntegerField(_l("现场来访人数"),
                          validators=[InputRequired(message=_l("请填写人数")),
                                      NumberRange(min=-500, max=500,
                                                  message=_l("请填写 -500 到 500 之间的人数"))])
    # Set by the page that asked to confirm a count above the slot's capacity.
    confirm = HiddenField(default="")
    add = SubmitField(_l("记录"))
