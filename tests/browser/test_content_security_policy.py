"""The Content-Security-Policy in a real browser: a story page inside WeChat, with the JS-SDK and
the share-card script, runs under the policy without a single violation, and its like button
still works."""

import pytest

from tests import factories
from weizhi.wechat.signin.share import vendor_url

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def test_a_story_inside_wechat_runs_under_the_policy_without_violations(
    live_server, phone, settings
):
    if vendor_url() is None:
        pytest.skip("WeChat's JS-SDK is not installed (make deps fetches it)")
    settings.WECHAT_JSSDK = True
    factories.site_home()
    story = factories.article(factories.column("toutiao"), title="政策之下", slug="csp-story")
    console = []
    phone.on("console", lambda message: console.append(message.text))
    phone.add_init_script(RECORD_VIOLATIONS)

    response = phone.goto(live_server.url + story.url)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    phone.wait_for_load_state("networkidle")
    # Both WeChat scripts came from our own static files and ran.
    assert phone.locator("script[src*='wechat/vendor/jweixin']").count() == 1
    assert phone.locator("script[src*='wechat/share']").count() == 1
    assert phone.evaluate("typeof window.wx") == "object"

    like = phone.locator("button.like")
    like.click()
    phone.wait_for_selector("button.like[aria-pressed=true]")
    assert phone.locator("[data-likes]").inner_text() == "1"

    # The cached copy of the page carries the policy as well.
    again = phone.goto(live_server.url + story.url)
    assert again.headers.get("x-page-cache") == "hit"
    assert again.headers["content-security-policy"] == response.headers["content-security-policy"]
    phone.wait_for_load_state("networkidle")

    assert phone.evaluate("window.__violations") == []
    assert not [text for text in console if "Content Security Policy" in text]
