"""On a phone inside WeChat: the tabs, the search box and 点赞 are at least 44 px high, the
active column's tab is scrolled into view, and dates do not break across lines."""

import pytest

from tests import factories
from tests.browser.conftest import screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_tap_targets_are_big_enough_and_the_active_tab_is_in_view(live_server, phone):
    factories.site_home()
    column = factories.column("shipin")  # the last tab, off screen at phone width
    story = factories.article(column, title="汛期值班安排与联系方式一览表")
    phone.goto(live_server.url + column.url)
    tab = phone.locator(".tabs a.on")
    assert tab.inner_text() == column.title
    box, width = tab.bounding_box(), phone.viewport_size["width"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    for selector in (".tabs a.on", ".topsearch input"):
        assert phone.locator(selector).bounding_box()["height"] >= 44, selector
    screenshot(phone, "phone-active-tab")

    phone.goto(live_server.url + story.url)
    assert phone.locator(".story-foot .like").bounding_box()["height"] >= 44
    time = phone.locator(".story-head time")
    assert time.evaluate("t => getComputedStyle(t).whiteSpace") == "nowrap"
    assert time.bounding_box()["height"] < 30  # one line
