"""Admin views: send a live story to the Official Account, and the log of sends."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from wagtail.models import Page
from wagtail.permission_policies.pages import PagePermissionPolicy

from weizhi.audience.models import FollowerTag
from weizhi.content.models import StoryPage
from weizhi.wechat.records.models import WeChatSend

from .services import MAX_MORE, WXNAME, publish_to_wechat, retry_send

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
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="每行一个。群发前会先把预览发给这些粉丝。",
    )
    preview_wxnames = forms.CharField(
        label="预览微信号",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="每行一个微信号（不是昵称），对方须已关注公众号。与 OpenID 可任填其一。",
    )

    def __init__(self, *args, head: Page, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.head = head
        stories = Page.objects.live().type(StoryPage).exclude(pk=head.pk)
        for n in range(1, MAX_MORE + 1):
            self.fields[f"more_{n}"] = forms.ModelChoiceField(
                label=f"次条 {n}",
                queryset=stories.order_by("-first_published_at"),
                required=False,
                empty_label="（不加）",
            )

    def more_fields(self) -> list:
        return [self[f"more_{n}"] for n in range(1, MAX_MORE + 1)]

    def head_fields(self) -> list:
        return [self[name] for name in ("mode", "tag", "preview_openids", "preview_wxnames")]

    def clean(self) -> dict:
        data = super().clean()
        data["openids"] = lines(data.get("preview_openids", ""))
        data["wxnames"] = lines(data.get("preview_wxnames", ""))
        for name in data["wxnames"]:
            if not WXNAME.fullmatch(name):
                self.add_error("preview_wxnames", f"“{name}”不是有效的微信号。")
        data["more"] = [data[f"more_{n}"] for n in range(1, MAX_MORE + 1) if data.get(f"more_{n}")]
        if len({p.pk for p in data["more"]}) != len(data["more"]):
            self.add_error(None, "同一篇稿件不能作为两个次条。")
        if data.get("mode") == Mode.MASS and not data.get("tag"):
            self.add_error("tag", "群发需要选择粉丝标签。")
        if data.get("mode") == Mode.PREVIEW and not (data["openids"] or data["wxnames"]):
            self.add_error("preview_openids", "预览需要至少一个粉丝 OpenID 或微信号。")
        return data


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.split() if line.strip()]


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
    form = SendForm(request.POST or None, head=page)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        tag = data["tag"]
        publish_to_wechat(
            page,
            data["mode"],
            user=request.user,
            tag_id=tag.wechat_id if tag else None,
            tag_name=tag.name if tag else "",
            preview_openids=data["openids"],
            preview_wxnames=data["wxnames"],
            more=data["more"],
        )
        count = f"（共 {1 + len(data['more'])} 篇）" if data["more"] else ""
        messages.success(request, f"《{page.title}》{count}已提交，正在后台发送到公众号。")
        return redirect("wechat_outbound_sends")
    sends = WeChatSend.objects.filter(page=page).select_related("requested_by", "page")[:20]
    context = {"page": page, "form": form, "sends": with_retry(request.user, sends)}
    return render(request, "wechat_outbound/send_page.html", context)


def with_retry(user, sends) -> list[WeChatSend]:
    """The sends, each marked whether this user may send it again (failed, page still live)."""
    sends = list(sends)
    retried = set(
        WeChatSend.objects.filter(retry_of__in=[s.pk for s in sends]).values_list(
            "retry_of", flat=True
        )
    )
    for send in sends:
        send.retryable = (
            send.status == WeChatSend.Status.FAILED
            and send.pk not in retried
            and send.page is not None
            and can_send(user, send.page)
        )
    return sends


@require_POST
def retry(request: HttpRequest, send_id: int) -> HttpResponse:
    send = get_object_or_404(WeChatSend.objects.select_related("page"), pk=send_id)
    if send.page is None or not can_send(request.user, send.page):
        raise PermissionDenied
    try:
        again = retry_send(send, request.user)
    except ValueError as exc:
        messages.error(request, f"无法重试：{exc}")
    else:
        messages.success(request, f"《{again.page_title}》已重新提交，正在后台发送到公众号。")
    return redirect("wechat_outbound_sends")


def may_see_sends(user) -> bool:
    return PagePermissionPolicy().user_has_permission(user, "publish")


def send_list(request: HttpRequest) -> HttpResponse:
    if not may_see_sends(request.user):
        raise PermissionDenied
    sends = WeChatSend.objects.select_related("requested_by", "page")[:200]
    context = {"sends": with_retry(request.user, sends)}
    return render(request, "wechat_outbound/send_list.html", context)
