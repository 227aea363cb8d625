"""Geo: choices for the province → city → district selects of lab and event forms."""
from __future__ import annotations

from openday.geo import names, service


def region_choices(parent_adcode: str | None = None) -> list[tuple[str, str]]:
    """``[(adcode, name)]`` for a WTForms SelectField: the provinces when ``parent_adcode`` is
    empty, else its children (a municipality's only child is its city, PP0100). Validate the
    submitted value against the same list, so a forged adcode never reaches the database."""
    regions = service.children(parent_adcode) if parent_adcode else service.provinces()
    locale = names.current_locale()
    return [(r.adcode, names.display_name(r, locale)) for r in regions]
