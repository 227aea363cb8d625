from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from openday.accounts.service import MIN_PASSWORD_LENGTH
from openday.core.forms import strip
from openday.core.i18n import _l


class FindBookingsForm(FlaskForm):
    phone = StringField(_l("手机号"), filters=[strip], validators=[
        DataRequired(_l("请填写手机号")), Length(max=30)])


class RemindersForm(FlaskForm):
    wanted = HiddenField(validators=[DataRequired()])


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("邮箱"), filters=[strip], validators=[
        DataRequired(_l("请填写邮箱")), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("新密码"), validators=[
        DataRequired(_l("请设置密码")),
        Length(min=MIN_PASSWORD_LENGTH, max=200, message=_l("密码长度应为 %(min)d–%(max)d 位"))])
    confirm = PasswordField(_l("确认密码"), validators=[
        DataRequired(_l("请再次输入密码")), EqualTo("password", _l("两次输入的密码不一致"))])
