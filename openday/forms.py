"""Form helpers every domain shares."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from openday import clock


class WithinCalendar:
    """A date or date-time field between clock.FIRST_DAY and clock.LAST_DAY: a year-1 date is a
    typo, and storing it overflows the conversion to UTC."""

    def __call__(self, form, field) -> None:
        value = field.data
        if value is None:
            return
        day = value.date() if isinstance(value, datetime) else value
        if isinstance(day, date) and not clock.FIRST_DAY <= day <= clock.LAST_DAY:
            raise ValidationError(_l("请填写 %(first)d 至 %(last)d 年之间的日期",
                                     first=clock.FIRST_DAY.year, last=clock.LAST_DAY.year))
