"""The region a regulator oversees, as one value: the whole country, a province or a city.

A scope is a range of adcodes: province PP0000 covers PP0000 up to (PP+1)0000, city PPCC00 covers
PPCC00 up to PP(CC+1)00. So a condition or a check must be given the *finest* adcode a row has (a
lab's district, a slot's city): a city scope never matches a province column. A missing, empty or
malformed scope is :attr:`Scope.NOTHING`, never the country.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

import sqlalchemy as sa

from openday.core.errors import RuleError
from openday.core.i18n import _

__all__ = ["NATIONAL", "Scope"]

NATIONAL = "000000"  # a regulator scope that covers every province
_ADCODE = re.compile(r"[0-9]{6}")


@dataclass(frozen=True, slots=True)
class Scope:
    """Hashable, so a scope can be part of a cache key. ``adcode`` is NATIONAL, a province, a city,
    or None for nothing at all."""

    adcode: str | None

    EVERYWHERE: ClassVar[Scope]
    NOTHING: ClassVar[Scope]

    @classmethod
    def parse(cls, raw: Any) -> Scope:
        """The scope a stored ``region_scope`` names; NOTHING for None, "", a malformed code or a
        district."""
        if not isinstance(raw, str) or not _ADCODE.fullmatch(raw):
            return cls.NOTHING
        if raw == NATIONAL:
            return cls.EVERYWHERE
        if raw.startswith("00") or not raw.endswith("00"):
            return cls.NOTHING
        return cls(raw)

    @classmethod
    def of(cls, user: Any) -> Scope:
        """An admin's is the country, a regulator's its region_scope, anyone else's nothing."""
        role = getattr(user, "role", None)
        if role == "admin":
            return cls.EVERYWHERE
        if role == "regulator":
            return cls.parse(user.region_scope)
        return cls.NOTHING

    @property
    def national(self) -> bool:
        return self.adcode == NATIONAL

    @property
    def empty(self) -> bool:
        return self.adcode is None

    @property
    def level(self) -> str:
        """"national", "province", "city" or "none"."""
        if self.adcode is None:
            return "none"
        if self.adcode == NATIONAL:
            return "national"
        return "province" if self.adcode.endswith("0000") else "city"

    @property
    def province(self) -> str | None:
        """The province (PP0000) a province or city scope lies in."""
        if self.level in ("province", "city"):
            return self.adcode[:2] + "0000"
        return None

    @property
    def city(self) -> str | None:
        return self.adcode if self.level == "city" else None

    def _range(self) -> tuple[str, str | None]:
        prefix = self.adcode[:2] if self.level == "province" else self.adcode[:4]
        lo = prefix.ljust(6, "0")
        following = int(prefix) + 1
        if following >= 10 ** len(prefix):
            return lo, None
        return lo, str(following).zfill(len(prefix)).ljust(6, "0")

    def covers(self, adcode: str | None) -> bool:
        """Whether a region (its finest adcode) lies in this scope."""
        if self.adcode is None:
            return False
        if self.national:
            return True
        if not isinstance(adcode, str) or not _ADCODE.fullmatch(adcode):
            return False
        lo, hi = self._range()
        return lo <= adcode and (hi is None or adcode < hi)

    def condition(self, column) -> sa.ColumnElement[bool]:
        """The same as :meth:`covers`, as a WHERE condition on an adcode column."""
        if self.adcode is None:
            return sa.false()
        if self.national:
            return sa.true()
        lo, hi = self._range()
        return column >= lo if hi is None else sa.and_(column >= lo, column < hi)

    def narrow(self, adcode: str | None) -> Scope:
        """A reader's filter within this scope (None or "": the whole scope). A region outside it
        is refused (403), as is a code that names no province or city."""
        if not adcode:
            return self
        inner = Scope.parse(adcode)
        if inner.national and self.national:
            return self
        if inner.empty or inner.national or not self.covers(inner.adcode):
            raise RuleError.on("province", _("您的账号无权访问此页面。"), code="forbidden", status=403)
        return inner


Scope.EVERYWHERE = Scope(NATIONAL)
Scope.NOTHING = Scope(None)
