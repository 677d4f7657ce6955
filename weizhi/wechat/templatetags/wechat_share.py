"""{% wechat_share_scripts %}: the scripts that set WeChat's share card on a story page."""

from django import template
from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

from weizhi.wechat.jssdk_vendor import STATIC_PATH
from weizhi.wechat.oauth_views import in_wechat

register = template.Library()


def vendor_url() -> str | None:
    """The installed JS-SDK's URL, or None where `make deps` could not fetch it."""
    if finders.find(STATIC_PATH) is None:
        return None
    try:
        return static(STATIC_PATH)
    except ValueError:  # fetched after collectstatic: not in the manifest yet
        return None


@register.inclusion_tag("wechat/share_scripts.html", takes_context=True)
def wechat_share_scripts(context: template.Context) -> dict:
    request = context.get("request")
    if request is None or not (settings.WECHAT_JSSDK and in_wechat(request)):
        return {}
    sdk = vendor_url()
    if sdk is None:
        return {}
    return {"sdk": sdk, "config": reverse("wechat-jssdk-config")}
