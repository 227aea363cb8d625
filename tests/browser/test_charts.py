"""The public participation page's charts: below the key figures and tables' first screen they
wait, and each is drawn when the reader scrolls to it."""
from __future__ import annotations

import pytest

from tests.browser.conftest import assert_charts_drawn_when_scrolled_to

pytestmark = pytest.mark.browser


def test_participation_charts_are_drawn_when_scrolled_to(
        live_server, page, shot, check_page, campaign, participation):
    page.goto("/participation")
    assert "湖南省" in page.locator("#table-region").inner_text()  # the figures need no script
    assert_charts_drawn_when_scrolled_to(page)
    shot(page, "charts")
    check_page(page)
