"""Feedback: the visitor's form. It carries what was typed; the rules are in ``service``."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.validators import InputRequired

from openday.feedback.models import COMMENT_MAX

STARS = [(n, "★" * n + f" {n}") for n in range(1, 6)]


class FeedbackForm(FlaskForm):
    rating = RadioField(_l("评分"), choices=STARS, coerce=int,
                        validators=[InputRequired(message=_l("请选择 1 到 5 星。"))])
    comment = TextAreaField(_l("意见和建议（选填）"),
                            render_kw={"maxlength": COMMENT_MAX, "rows": 3})
    submit = SubmitField(_l("提交评价"))
