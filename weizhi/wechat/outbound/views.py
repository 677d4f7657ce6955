"""Admin views: send a live story to the Official Account, and the log of sends."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from wagtail.models import Page
from wagtail.permission_policies.pages import PagePermissionPolicy

from weizhi.audience.models import FollowerTag
from weizhi.content.models import StoryPage

from .models import WeChatSend
from .publishing import publish_to_wechat

Mode = WeChatSend.Mode


class SendForm(forms.Form):
    mode = forms.ChoiceField(
        label="方式",
        choices=Mode.choices,
        initial=Mode.PUBLISH,
        widget=forms.RadioSelect,
        help_text="发布：出现在公众号主页，不推送通知。群发：按标签推送给粉丝，每月次数有限。",
    )
    tag = forms.ModelChoiceField(
        label="群发标签",
        queryset=FollowerTag.objects.filter(wechat_id__isnull=False),
        required=False,
        empty_label="（请选择）",
    )
    preview_openids = forms.CharField(
        label="预览粉丝 OpenID",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="每行一个。群发前会先把预览发给这些粉丝。",
    )

    def clean(self) -> dict:
        data = super().clean()
        data["openids"] = [o.strip() for o in data.get("preview_openids", "").split() if o.strip()]
        if data.get("mode") == Mode.MASS and not data.get("tag"):
            self.add_error("tag", "群发需要选择粉丝标签。")
        if data.get("mode") == Mode.PREVIEW and not data["openids"]:
            self.add_error("preview_openids", "预览需要至少一个粉丝 OpenID。")
        return data


def can_send(user, page: Page) -> bool:
    """Live stories, to users who may publish that page (the final reviewers, admins)."""
    return (
        page.live
        and issubclass(page.specific_class or Page, StoryPage)
        and page.permissions_for_user(user).can_publish()
    )


def send_page(request: HttpRequest, page_id: int) -> HttpResponse:
    page = get_object_or_404(Page, pk=page_id)
    if not can_send(request.user, page):
        raise PermissionDenied
    form = SendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        tag = form.cleaned_data["tag"]
        publish_to_wechat(
            page,
            form.cleaned_data["mode"],
            user=request.user,
            tag_id=tag.wechat_id if tag else None,
            tag_name=tag.name if tag else "",
            preview_openids=form.cleaned_data["openids"],
        )
        messages.success(request, f"《{page.title}》已提交，正在后台发送到公众号。")
        return redirect("wechat_outbound_sends")
    sends = WeChatSend.objects.filter(page=page).select_related("requested_by")[:20]
    context = {"page": page, "form": form, "sends": sends}
    return render(request, "wechat_outbound/send_page.html", context)


def may_see_sends(user) -> bool:
    return PagePermissionPolicy().user_has_permission(user, "publish")


def send_list(request: HttpRequest) -> HttpResponse:
    if not may_see_sends(request.user):
        raise PermissionDenied
    sends = WeChatSend.objects.select_related("requested_by")[:200]
    return render(request, "wechat_outbound/send_list.html", {"sends": sends})
