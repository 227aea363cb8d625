from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    # No format check at login: a wrong address simply does not match (and demo accounts use .test).
    email = EmailField(_l("邮箱"), validators=[DataRequired(_l("请填写邮箱")), Length(max=254)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请填写密码")), Length(max=200)])
    remember = BooleanField(_l("记住我"))
