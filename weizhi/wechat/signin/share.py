"""The scripts that set WeChat's share card on a story page, which the content app's share
card asks for through the `insert_story_share_html` hook (wagtail_hooks.py)."""

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.safestring import SafeString

from .jssdk_vendor import STATIC_PATH
from .views import in_wechat


def vendor_url() -> str | None:
    """The installed JS-SDK's URL, or None where `make deps` could not fetch it."""
    if finders.find(STATIC_PATH) is None:
        return None
    try:
        return static(STATIC_PATH)
    except ValueError:  # fetched after collectstatic: not in the manifest yet
        return None


def share_scripts(request: HttpRequest | None) -> dict:
    if request is None or not (settings.WECHAT_JSSDK and in_wechat(request)):
        return {}
    sdk = vendor_url()
    if sdk is None:
        return {}
    return {"sdk": sdk, "config": reverse("wechat-jssdk-config")}


def share_scripts_html(request: HttpRequest | None) -> SafeString:
    """Inside WeChat, the JS-SDK and share.js; elsewhere nothing (an empty line)."""
    return render_to_string("wechat/share_scripts.html", share_scripts(request))
